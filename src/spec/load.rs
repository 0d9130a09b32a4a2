//! The spec pipeline: text -> YAML tree -> interpolated -> structurally checked ->
//! typed -> defaults merged -> rule-checked `Project`.
//!
//! Each stage collects diagnostics and goes on when it can, so one run reports every
//! problem. Only problems that leave nothing to check (no file, not text, not YAML, not a
//! mapping) stop the pipeline, as a `FileError` with a one-line message.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::interpolate::{self, Context, Declared};
use super::model::{Bucket, Function, HttpApi, Output, Queue, Role, Spec, Table};
use super::{rules, schema, structure};
use crate::spec::diag::{self, Code, Diagnostic};
use crate::spec::source::{SourceFile, Span};
use crate::spec::yaml::{self, Node, Value};

/// What the command line and the environment decide, over what the spec says.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--stage`; else the spec's `stage`; else `dev`.
    pub stage: Option<String>,
    /// `--region`; else the spec's `region`; else `default_region`.
    pub region: Option<String>,
    /// Known once the account has been asked; `None` keeps `${account_id}` as a placeholder.
    pub account_id: Option<String>,
    /// The AWS environment's region (`AWS_REGION`), for a spec that names none.
    pub default_region: Option<String>,
    /// `--param KEY=VALUE`: over the stage's params, each value typed as a plain scalar.
    /// A key the spec's `params` do not declare is an error.
    pub params: Vec<(String, String)>,
    /// Leave each function's `code` unexamined (E211, E212): for the commands that never
    /// package it (destroy, unlock), so that a checkout without its build (a CI job
    /// tearing a stage down) can still run them.
    pub without_code: bool,
}

/// Why a file could not be checked at all. Printed as one line, or, when the problem has a
/// place in the file (a YAML syntax error, a tab, a second document), as diagnostics are:
/// the place, the line with a caret, and a help line where one is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    pub line: Option<(usize, usize)>,
    pub message: String,
    /// The file's text, kept for a located error so that its report can show the line.
    pub text: Option<String>,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some((line, col)) => {
                write!(f, "{}:{line}:{col}: {}", self.path.display(), self.message)
            }
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for FileError {}

impl FileError {
    fn new(path: &Path, line: Option<(usize, usize)>, message: String) -> FileError {
        FileError {
            path: path.to_path_buf(),
            line,
            message,
            text: None,
        }
    }

    /// The error as slsr prints it, styled (`anstream` strips the styles where colour is
    /// off): `error: PATH: MESSAGE` on one line, or for a located error the message, the
    /// place and the line with a caret under it.
    pub fn report(&self) -> String {
        let (Some((line, col)), Some(text)) = (self.line, &self.text) else {
            let style = anstyle::AnsiColor::Red.on_default().bold();
            return format!(
                "{style}error{style:#}: {}\n",
                crate::render::escape::printable(&self.to_string())
            );
        };
        let file = SourceFile::new(&self.path, text.clone());
        let place = diag::Place {
            span: Span::point(line, col),
            label: Some(yaml::error_label(&self.message)),
            help: yaml::error_help(&self.message),
        };
        diag::render_uncoded(&self.message, &place, &file)
    }

    /// The same report without styles.
    pub fn report_plain(&self) -> String {
        anstream::adapter::strip_str(&self.report()).to_string()
    }
}

/// Where each value of the spec was written, by dotted path (`functions.api.memory`,
/// `functions.api.events[0].sqs.queue`): the key's span and the value's span.
#[derive(Debug, Clone, Default)]
pub struct Spans(HashMap<String, (Span, Span)>);

impl Spans {
    /// The value's span at `path`.
    pub fn value(&self, path: &str) -> Option<Span> {
        self.0.get(path).map(|(_, v)| *v)
    }

    /// The key's span at `path`.
    pub fn key(&self, path: &str) -> Option<Span> {
        self.0.get(path).map(|(k, _)| *k)
    }

    /// The dotted path of the innermost value written around a position.
    pub fn path_at(&self, line: usize, col: usize) -> Option<&str> {
        let inside =
            |s: &Span| (s.line, s.col) <= (line, col) && (line, col) < (s.end_line, s.end_col);
        self.0
            .iter()
            .filter(|(_, (_, value))| inside(value))
            .min_by_key(|(_, (_, v))| (v.end_line - v.line, v.end_col.abs_diff(v.col)))
            .map(|(path, _)| path.as_str())
    }

    /// The first path that exists, as a value span; else the top of the file.
    pub fn first_value(&self, paths: &[&str]) -> Span {
        paths
            .iter()
            .find_map(|p| self.value(p))
            .unwrap_or(Span::point(1, 1))
    }
}

/// The spec for one stage, with `defaults` merged into every function.
#[derive(Debug, Clone)]
pub struct Project {
    pub service: String,
    pub stage: String,
    pub region: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub roles: BTreeMap<String, Role>,
    pub queues: BTreeMap<String, Queue>,
    pub tables: BTreeMap<String, Table>,
    pub buckets: BTreeMap<String, Bucket>,
    pub state_machines: BTreeMap<String, super::model::StateMachine>,
    /// Each state machine's definition, read and its references to the spec's values
    /// resolved (`spec/state_machines.rs`); a file definition is absent when loaded without code.
    pub definitions: BTreeMap<String, serde_json::Value>,
    pub topics: BTreeMap<String, super::model::Topic>,
    pub buses: BTreeMap<String, super::model::Bus>,
    pub streams: BTreeMap<String, super::model::Stream>,
    pub secrets: BTreeMap<String, super::model::Secret>,
    pub http_api: Option<HttpApi>,
    pub rest_api: Option<super::model::RestApi>,
    pub functions: BTreeMap<String, Function>,
    pub outputs: BTreeMap<String, Output>,
    pub lock: Option<super::model::DeployLock>,
    pub package: Option<super::model::Packaging>,
    pub alarms: Option<super::model::Alarms>,
    /// The directory the spec file is in; `code` paths are relative to it.
    pub base_dir: PathBuf,
    pub spans: Spans,
    /// The spec's text, for diagnostics found once the account is read (`planning`).
    pub file: SourceFile,
}

impl Project {
    /// `{service}-{stage}-{name}`, the physical name of every resource.
    pub fn physical_name(&self, name: &str) -> String {
        format!("{}-{}-{name}", self.service, self.stage)
    }

    /// Where a function's field was written: the function's own value, else `defaults`.
    pub fn field_span(&self, function: &str, field: &str) -> Span {
        self.spans
            .value(&format!("functions.{function}.{field}"))
            .or_else(|| self.spans.value(&format!("defaults.{field}")))
            .or_else(|| self.spans.key(&format!("functions.{function}")))
            .unwrap_or(Span::point(1, 1))
    }
}

/// The result of checking a spec: every diagnostic, and the project when there was no error.
#[derive(Debug)]
pub struct Loaded {
    pub file: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    pub project: Option<Project>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads and checks the spec file at `path`.
pub fn load_file(
    path: &Path,
    options: &Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, FileError> {
    let fail = |message: String| FileError::new(path, None, message);
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            fail("no such file; pass the spec with -f FILE (default slsr.yaml)".into())
        }
        std::io::ErrorKind::PermissionDenied => {
            fail("cannot read the file: permission denied".into())
        }
        _ if path.is_dir() => fail("is a directory, not a spec file".into()),
        _ => fail(format!("cannot read the file: {e}")),
    })?;
    load_bytes(path, bytes, options, env)
}

/// Checks the bytes of a spec file: they must be UTF-8 text without NUL bytes.
pub fn load_bytes(
    path: &Path,
    bytes: Vec<u8>,
    options: &Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, FileError> {
    let fail = |message: String| FileError::new(path, None, message);
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(fail(format!(
            "is a binary file (NUL byte at offset {at}), not a YAML spec"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    load_source(SourceFile::new(path, text), options, env)
}

/// Checks a spec already in memory.
pub fn load_source(
    file: SourceFile,
    options: &Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, FileError> {
    let text = file.text.strip_prefix('\u{feff}').unwrap_or(&file.text);
    let fail = |line: Option<(usize, usize)>, message: String| FileError {
        text: line.map(|_| text.to_string()),
        ..FileError::new(&file.path, line, message)
    };
    if text.contains('\0') {
        return Err(fail(
            None,
            "is a binary file (it contains NUL bytes), not a YAML spec".into(),
        ));
    }
    let (root, mut diagnostics) =
        yaml::parse(text).map_err(|e| fail(Some((e.line, e.col)), e.message))?;
    let mut root = match root {
        None
        | Some(Node {
            value: Value::Null, ..
        }) => {
            return Err(fail(
                None,
                "is empty; a spec needs at least `service:` and `functions:`".into(),
            ));
        }
        Some(
            node @ Node {
                value: Value::Map(_),
                ..
            },
        ) => node,
        Some(node) => {
            return Err(fail(
                Some((node.span.line, node.span.col)),
                format!(
                    "the spec must be a YAML mapping (service:, functions:, ...), found {}",
                    node.kind()
                ),
            ));
        }
    };

    let mut context = context(&root, options, env, &mut diagnostics);
    set_params(&mut context, &root, &options.params).map_err(|(at, message)| fail(at, message))?;
    interpolate::interpolate(&mut root, &context, &mut diagnostics);
    if let Some((at, message)) = context.growth.exceeded() {
        return Err(fail(Some((at.line, at.col)), message));
    }

    let mut project = None;
    let mut spans = HashMap::new();
    let checked = structure::check(&root, &schema::strict(), &mut spans, &mut diagnostics);
    let spans = Spans(spans);
    if let Some(checked) = checked {
        match serde_json::from_value::<Spec>(checked) {
            Ok(spec) => {
                let base_dir = file
                    .path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let mut p = resolve(spec, &context, base_dir, spans, file.clone());
                p.definitions = super::state_machines::load(
                    &p,
                    &context,
                    !options.without_code,
                    &mut diagnostics,
                );
                rules::check(&p, &mut diagnostics);
                if !options.without_code {
                    super::build_rules::check(&p, &mut diagnostics);
                    super::code_files::check(&p, &mut diagnostics);
                }
                project = Some(p);
            }
            // Structural validation passes only what these types read; reaching this is
            // a bug in the schema, reported rather than hidden.
            Err(e) => diagnostics.push(Diagnostic::error(
                Code::InvalidValue,
                root.span,
                format!("the spec could not be read: {e}"),
            )),
        }
    }
    diag::sort(&mut diagnostics);
    let project = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        project
    };
    Ok(Loaded {
        file,
        diagnostics,
        project,
    })
}

/// Service, stage, region and params come first: every reference is resolved with them.
fn context<'a>(
    root: &Node,
    options: &Options,
    env: &'a dyn Fn(&str) -> Option<String>,
    diags: &mut Vec<Diagnostic>,
) -> Context<'a> {
    let text = |key: &str| root.get(key).and_then(Node::as_str).map(str::to_string);
    let service = text("service").unwrap_or_else(|| "service".into());
    let stage = options
        .stage
        .clone()
        .or_else(|| text("stage"))
        .unwrap_or_else(|| "dev".into());
    let region = options
        .region
        .clone()
        .or_else(|| text("region"))
        .or_else(|| options.default_region.clone());
    let mut declared = Declared::default();
    for (section, names) in [
        ("queues", &mut declared.queues),
        ("functions", &mut declared.functions),
        ("roles", &mut declared.roles),
        ("tables", &mut declared.tables),
        ("buckets", &mut declared.buckets),
        ("state_machines", &mut declared.state_machines),
        ("topics", &mut declared.topics),
        ("streams", &mut declared.streams),
        ("secrets", &mut declared.secrets),
    ] {
        if let Some(Node {
            value: Value::Map(entries),
            ..
        }) = root.get(section)
        {
            names.extend(entries.iter().map(|(k, _)| yaml::key_text(k)));
        }
    }
    // The APIs with a custom domain, for `${http_api.domain_target}`.
    for section in ["http_api", "rest_api"] {
        if let Some(api) = root.get(section)
            && api.get("domain").is_some()
        {
            declared.domains.insert(section.into());
        }
    }
    let mut context = Context {
        service,
        stage,
        region,
        account_id: options.account_id.clone(),
        params: BTreeMap::new(),
        declared,
        env,
        growth: interpolate::Growth::default(),
    };
    // A stage's params override `default` key by key; params may use every reference but params.
    let mut params = BTreeMap::new();
    if let Some(Node {
        value: Value::Map(stages),
        ..
    }) = root.get("params")
    {
        for wanted in ["default", context.stage.as_str()] {
            if let Some((
                _,
                Node {
                    value: Value::Map(values),
                    ..
                },
            )) = stages.iter().find(|(k, _)| k.as_str() == Some(wanted))
            {
                for (k, v) in values {
                    let mut v = v.clone();
                    interpolate::interpolate(&mut v, &context, diags);
                    params.insert(yaml::key_text(k), v);
                }
            }
        }
    }
    context.params = params;
    context
}

/// `--param KEY=VALUE` over the stage's params. A key no stage's params declare is refused,
/// at the `params:` line, so that a misspelt key is not silently a no-op.
fn set_params(
    context: &mut Context,
    root: &Node,
    given: &[(String, String)],
) -> Result<(), (Option<(usize, usize)>, String)> {
    let params = root.get("params");
    let mut declared: Vec<String> = match params {
        Some(Node {
            value: Value::Map(stages),
            ..
        }) => stages
            .iter()
            .filter_map(|(_, values)| match &values.value {
                Value::Map(values) => Some(values.iter().map(|(k, _)| yaml::key_text(k))),
                _ => None,
            })
            .flatten()
            .collect(),
        _ => Vec::new(),
    };
    declared.sort();
    declared.dedup();
    for (key, text) in given {
        if !declared.contains(key) {
            // At the `params:` key, where a reader would add the missing one.
            let at = match &root.value {
                Value::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.as_str() == Some("params"))
                    .map(|(k, _)| (k.span.line, k.span.col)),
                _ => None,
            };
            let known = if declared.is_empty() {
                "it declares none".to_string()
            } else {
                format!("it declares {}", declared.join(", "))
            };
            return Err((
                at,
                format!("--param {key}: the spec's `params` declare no `{key}` ({known})"),
            ));
        }
        let span = context
            .params
            .get(key)
            .map_or(root.span, |existing| existing.span);
        context
            .params
            .insert(key.clone(), Node::new(yaml::type_plain(text), span));
    }
    Ok(())
}

fn resolve(
    spec: Spec,
    context: &Context,
    base_dir: PathBuf,
    spans: Spans,
    file: SourceFile,
) -> Project {
    let defaults = spec.defaults;
    let functions = spec
        .functions
        .into_iter()
        .map(|(name, f)| (name, merge(&defaults, f)))
        .collect();
    Project {
        service: spec.service,
        stage: context.stage.clone(),
        region: context.region.clone(),
        tags: spec.tags,
        roles: spec.roles,
        queues: spec.queues,
        tables: spec.tables,
        buckets: spec.buckets,
        state_machines: spec.state_machines,
        definitions: BTreeMap::new(),
        topics: spec.topics,
        buses: spec.buses,
        streams: spec.streams,
        secrets: spec.secrets,
        http_api: spec.http_api,
        rest_api: spec.rest_api,
        functions,
        outputs: spec.outputs,
        lock: spec.lock,
        package: spec.package,
        alarms: spec.alarms,
        base_dir,
        spans,
        file,
    }
}

/// A function's own value wins over `defaults`; `env` is merged key by key. `handler` and
/// `runtime` from defaults do not apply to image functions, which may not have them.
fn merge(defaults: &Function, f: Function) -> Function {
    let image = f.image.is_some();
    let code = f.code.is_some();
    let env = merge_maps(&defaults.env, f.env);
    let access = merge_maps(&defaults.access, f.access);
    Function {
        exclude: f.exclude.or_else(|| defaults.exclude.clone()),
        bundle: f.bundle.or(defaults.bundle),
        build: f
            .build
            .or_else(|| if image { None } else { defaults.build.clone() }),
        handler: f.handler.or_else(|| {
            if image {
                None
            } else {
                defaults.handler.clone()
            }
        }),
        runtime: f.runtime.or_else(|| {
            if image {
                None
            } else {
                defaults.runtime.clone()
            }
        }),
        code: f
            .code
            .or_else(|| if image { None } else { defaults.code.clone() }),
        image: f
            .image
            .or_else(|| if code { None } else { defaults.image.clone() }),
        description: f.description.or_else(|| defaults.description.clone()),
        memory: f.memory.or(defaults.memory),
        timeout: f.timeout.or(defaults.timeout),
        ephemeral_storage: f.ephemeral_storage.or(defaults.ephemeral_storage),
        architecture: f.architecture.or(defaults.architecture),
        env,
        kms_key_arn: f.kms_key_arn.or_else(|| defaults.kms_key_arn.clone()),
        role: f.role.or_else(|| defaults.role.clone()),
        layers: f.layers.or_else(|| defaults.layers.clone()),
        vpc: f.vpc.or_else(|| defaults.vpc.clone()),
        reserved_concurrency: f.reserved_concurrency.or(defaults.reserved_concurrency),
        provisioned_concurrency: f
            .provisioned_concurrency
            .or(defaults.provisioned_concurrency),
        tracing: f.tracing.or(defaults.tracing),
        log_retention_days: f.log_retention_days.or(defaults.log_retention_days),
        allow_invoke: f.allow_invoke.or_else(|| defaults.allow_invoke.clone()),
        events: f.events.or_else(|| defaults.events.clone()),
        statements: f.statements.or_else(|| defaults.statements.clone()),
        async_invoke: f.async_invoke.or_else(|| defaults.async_invoke.clone()),
        url: f.url.or_else(|| defaults.url.clone()),
        access,
    }
}

/// A function's own map over the one in `defaults`, key by key (`env`, `access`).
fn merge_maps<V: Clone>(
    defaults: &Option<BTreeMap<String, V>>,
    own: Option<BTreeMap<String, V>>,
) -> Option<BTreeMap<String, V>> {
    match (defaults, own) {
        (Some(base), Some(own)) => {
            let mut merged = base.clone();
            merged.extend(own);
            Some(merged)
        }
        (base, own) => own.or_else(|| base.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, stage: Option<&str>) -> Loaded {
        let options = Options {
            stage: stage.map(str::to_string),
            region: None,
            account_id: None,
            ..Default::default()
        };
        // Beside the fixtures, whose `src` holds the `app.py` these specs' handler needs.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/invalid/slsr.yaml"
        );
        load_source(SourceFile::new(path, text), &options, &|name| {
            (name == "HOME_REGION").then(|| "eu-west-1".into())
        })
        .unwrap()
    }

    const SPEC: &str = "service: shop
params:
  default: {memory: 256, level: info}
  prod: {memory: 1024}
defaults:
  runtime: python3.12
  handler: app.handler
  timeout: 10
  env: {LEVEL: '${param:level}', SHARED: base}
functions:
  api:
    code: ./src
    memory: ${param:memory}
    env: {SHARED: own, NAME: '${service}-${stage}'}
  etl:
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/etl:1
    timeout: 900
";

    #[test]
    fn defaults_merge_under_each_function_and_env_merges_by_key() {
        let loaded = load(SPEC, None);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let p = loaded.project.unwrap();
        let api = &p.functions["api"];
        assert_eq!(api.memory, Some(256));
        assert_eq!(api.timeout, Some(10));
        let env: Vec<(&str, &str)> = api
            .env
            .as_ref()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.0.as_str()))
            .collect();
        assert_eq!(
            env,
            [("LEVEL", "info"), ("NAME", "shop-dev"), ("SHARED", "own")]
        );
        let etl = &p.functions["etl"];
        assert_eq!(
            (etl.handler.as_deref(), etl.runtime.as_deref()),
            (None, None),
            "no handler or runtime for an image"
        );
        assert_eq!(etl.timeout, Some(900));
    }

    #[test]
    fn the_stage_chooses_params_over_default() {
        let p = load(SPEC, Some("prod")).project.unwrap();
        assert_eq!(p.stage, "prod");
        assert_eq!(p.functions["api"].memory, Some(1024));
        assert_eq!(p.functions["api"].env.as_ref().unwrap()["LEVEL"].0, "info");
        assert_eq!(p.physical_name("api"), "shop-prod-api");
    }

    #[test]
    fn unknown_account_stays_a_placeholder() {
        let spec = "service: shop\nroles:\n  r:\n    statements:\n      - actions: [sqs:SendMessage]\n        resources: ['arn:aws:sqs:${region}:${account_id}:q']\n";
        let p = load(spec, None).project.unwrap();
        assert_eq!(
            p.roles["r"].statements[0].resources[0],
            "arn:aws:sqs:${region}:${account_id}:q"
        );
        let known = load_source(
            SourceFile::new("slsr.yaml", spec),
            &Options {
                stage: None,
                region: Some("eu-west-1".into()),
                account_id: Some("123456789012".into()),
                ..Default::default()
            },
            &|_| None,
        )
        .unwrap();
        assert_eq!(
            known.project.unwrap().roles["r"].statements[0].resources[0],
            "arn:aws:sqs:eu-west-1:123456789012:q"
        );
    }

    #[test]
    fn structural_and_cross_field_problems_come_out_together() {
        let spec = "service: shop\nfunctions:\n  api:\n    image: x\n    memroy: 1\n    events:\n      - sqs: {queue: nope}\n";
        let loaded = load(spec, None);
        let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["E102", "E201"]);
        assert!(loaded.project.is_none());
    }
}
