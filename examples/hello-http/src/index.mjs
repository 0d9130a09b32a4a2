// GET /hello/{name}: a greeting as JSON, in the language asked for with
// ?lang=xx or, failing that, the first supported language in Accept-Language.
// Event: API Gateway HTTP API, payload format 2.0 (header names are lower-case).

const GREETINGS = {
  de: "Hallo",
  en: "Hello",
  es: "Hola",
  fr: "Bonjour",
  it: "Ciao",
  ja: "こんにちは",
  nl: "Hallo",
  pt: "Olá",
};
const DEFAULT_LANG = GREETINGS[process.env.DEFAULT_LANG] ? process.env.DEFAULT_LANG : "en";

// Letters (any script), combining marks, spaces, apostrophes, dots and hyphens.
const NAME = /^[\p{L}\p{M}][\p{L}\p{M}' .-]{0,63}$/u;

const json = (statusCode, body, headers = {}) => ({
  statusCode,
  headers: { "content-type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(body),
});

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // already decoded, or a stray "%": let validation judge it
  }
}

// "de-CH,de;q=0.9,en;q=0.8" -> ["de", "de", "en"], best first.
function acceptedLanguages(header = "") {
  return header
    .split(",")
    .map((part) => {
      const [tag, ...params] = part.trim().split(";");
      const q = params.find((p) => p.trim().startsWith("q="));
      return { lang: tag.split("-")[0].toLowerCase(), q: q ? Number(q.split("=")[1]) : 1 };
    })
    .filter((l) => l.lang && l.q > 0)
    .sort((a, b) => b.q - a.q)
    .map((l) => l.lang);
}

function pickLanguage(event) {
  const asked = event.queryStringParameters?.lang?.toLowerCase();
  if (asked) return GREETINGS[asked] ? asked : null;
  return acceptedLanguages(event.headers?.["accept-language"]).find((l) => GREETINGS[l]) ?? DEFAULT_LANG;
}

export const handler = async (event) => {
  const name = decode(event.pathParameters?.name ?? "").trim();
  if (!NAME.test(name)) {
    return json(400, { error: "name must be 1-64 letters, spaces, apostrophes, dots or hyphens" });
  }

  const lang = pickLanguage(event);
  if (!lang) {
    return json(400, { error: "unsupported lang", supported: Object.keys(GREETINGS) });
  }

  return json(
    200,
    { message: `${GREETINGS[lang]}, ${name}!`, lang, requestId: event.requestContext?.requestId },
    { "content-language": lang, "cache-control": "public, max-age=300", vary: "accept-language" },
  );
};
