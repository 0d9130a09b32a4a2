//! Saved plans: `slsr plan --out FILE` writes the plan with what it was made from, and
//! `slsr apply FILE` applies it only when a fresh plan, made at apply time from the spec
//! and the account, is exactly the saved one.
//!
//! The file is a record for review, never a program: apply always runs the fresh plan,
//! so an edited file can at most be refused. It names the account, region, service and
//! stage, a keyed hash of what the spec asks for (not of its bytes: a comment or a blank
//! line changes nothing) and the code's ids; every sensitive value (a secret-looking
//! variable, a value that takes a SecureString, a credential found by its content) is
//! kept only as a keyed fingerprint (HMAC-SHA256 with the plan key, which lives outside
//! the file), so a saved plan holds no secret and no hash that can be guessed offline.
//! The file is written readable by its owner only (mode 0600), and never through a
//! symlink, which could point it at a file of the user's to overwrite.
//!
//! It also says where its spec is (`Origin`), so that `slsr apply FILE` finds it from any
//! directory. That path is signed with the plan key: one edited in the file is refused
//! before slsr reads anything there, and the spec slsr loads is said on stderr.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::engine::desired::canonical_json;
use crate::engine::plan::{Change, Plan};
use crate::engine::sensitive::is_sensitive;
use crate::package::CodeIdentity;

/// Names the file's format; bumped on any change a reader could notice.
pub const FORMAT: &str = "slsr-saved-plan/3";

/// The environment variable that holds the plan key, for pipelines whose plan and apply
/// run on different machines (a CI secret).
pub const KEY_VARIABLE: &str = "SLSR_PLAN_KEY";

/// At most this many differences are named when a saved plan is refused.
const MAX_REASONS: usize = 12;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub service: String,
    pub stage: String,
    pub account: String,
    pub region: Option<String>,
    /// What the spec asks for (`Planned::intent`: its resources and outputs as resolved
    /// before the account is read), as an HMAC with the plan key: it may hold secrets.
    pub spec_digest: String,
    /// Where the spec is, for `slsr apply FILE` without `-f`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Each function's code identity: its CodeSha256, or its image URI.
    pub code: BTreeMap<String, String>,
    /// Which plan key made the fingerprints (a keyed hash of a constant, not the key).
    pub key_id: String,
    /// The plan, sensitive values as fingerprints.
    pub plan: Plan,
    /// The `--target`s it was made with: an apply must name the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// The `--param`s it was made with, each value as its fingerprint (a param may be a
    /// secret): an apply must give the same.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, Value>,
}

/// `--param KEY=VALUE`s as a saved plan keeps them: each value fingerprinted.
pub fn params(given: &[(String, String)], key: &PlanKey) -> BTreeMap<String, Value> {
    given
        .iter()
        .map(|(k, v)| (k.clone(), key.fingerprint(&Value::from(v.as_str()))))
        .collect()
}

/// Where a saved plan's spec was when the plan was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// Its absolute path, links resolved.
    pub spec: String,
    /// The same from the plan file's directory, for a checkout that moved with the plan (a
    /// CI job that applies in another workspace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_from_plan: Option<String>,
    /// HMAC with the plan key of both paths and the plan's service and stage.
    pub mac: String,
}

impl Origin {
    /// The origin of a plan of `service` and `stage` made from `spec`, to be saved at `plan_file`.
    /// `None` when a path is not UTF-8 (apply then needs `-f`).
    pub fn new(
        spec: &Path,
        plan_file: &Path,
        service: &str,
        stage: &str,
        key: &PlanKey,
    ) -> Result<Option<Origin>, String> {
        let spec = std::fs::canonicalize(spec).map_err(|e| format!("{}: {e}", spec.display()))?;
        let dir = plan_dir(plan_file);
        let dir = std::fs::canonicalize(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let (Some(absolute), from_plan) = (
            spec.to_str(),
            relative(&dir, &spec).and_then(|p| p.to_str().map(str::to_string)),
        ) else {
            return Ok(None);
        };
        let mut origin = Origin {
            spec: absolute.to_string(),
            spec_from_plan: from_plan,
            mac: String::new(),
        };
        origin.mac = origin.signature(service, stage, key);
        Ok(Some(origin))
    }

    fn signature(&self, service: &str, stage: &str, key: &PlanKey) -> String {
        let fields = [
            "slsr plan origin",
            service,
            stage,
            &self.spec,
            self.spec_from_plan.as_deref().unwrap_or_default(),
        ];
        key.mac(fields.join("\0").as_bytes())
    }
}

/// The spec a saved plan was made from, as its file says, for `slsr apply FILE` without
/// `-f`: its path (checked to be what slsr wrote, with this plan key) and stage.
pub struct Recorded {
    pub spec: PathBuf,
    pub stage: String,
}

/// Where the spec of the plan in `plan_file` is, and its stage. An origin the plan key did
/// not sign (edited, or made with another key) is refused before anything is read there.
pub fn recorded_spec(plan_file: &Path, key: &PlanKey) -> Result<Recorded, String> {
    origin_spec(read(plan_file)?, plan_file, key)
}

/// `recorded_spec` of a plan read from `plan_file`.
pub fn origin_spec(saved: SavedPlan, plan_file: &Path, key: &PlanKey) -> Result<Recorded, String> {
    let at = plan_file.display();
    let origin = saved
        .origin
        .as_ref()
        .ok_or_else(|| format!("{at} does not say where its spec is; pass -f FILE to name it"))?;
    if origin.signature(&saved.service, &saved.stage, key) != origin.mac {
        return Err(format!(
            "{at}: the spec path in it is not the one slsr wrote with this plan key (the file was edited, or {KEY_VARIABLE} is another key), so slsr reads nothing it names; pass -f FILE to name the spec"
        ));
    }
    let beside = origin
        .spec_from_plan
        .as_ref()
        .map(|p| plan_dir(plan_file).join(p));
    let candidates = std::iter::once(PathBuf::from(&origin.spec)).chain(beside);
    let mut tried = Vec::new();
    for candidate in candidates {
        if candidate.is_file() {
            return Ok(Recorded {
                spec: candidate,
                stage: saved.stage,
            });
        }
        tried.push(candidate.display().to_string());
    }
    Err(format!(
        "the spec {at} was made from is gone (not at {}); pass -f FILE to name it",
        tried.join(", nor at ")
    ))
}

/// The directory a plan file is in (`.` for a bare file name).
fn plan_dir(plan_file: &Path) -> PathBuf {
    match plan_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `to` from the directory `from`, both absolute: `../app/slsr.yaml`.
fn relative(from: &Path, to: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let (from, to): (Vec<Component>, Vec<Component>) =
        (from.components().collect(), to.components().collect());
    if from.first() != to.first() {
        return None;
    }
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for part in &to[common..] {
        path.push(part);
    }
    Some(path)
}

/// SHA-256 of bytes, as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Code identities as text: CodeSha256 or image URI.
pub fn code_ids(
    code: &std::collections::HashMap<String, CodeIdentity>,
) -> BTreeMap<String, String> {
    code.iter()
        .map(|(name, c)| {
            let id = match c {
                CodeIdentity::Zip(p) => p.code_sha256.clone(),
                CodeIdentity::Image(uri) => uri.clone(),
            };
            (name.clone(), id)
        })
        .collect()
}

/// The key that fingerprints sensitive values in saved plans: `SLSR_PLAN_KEY`, or else a
/// random key made once per user in `~/.config/slsr/plan-key` (mode 0600).
pub struct PlanKey([u8; 32]);

impl PlanKey {
    pub fn load() -> Result<PlanKey, String> {
        if let Ok(text) = std::env::var(KEY_VARIABLE) {
            if text.len() < 16 {
                return Err(format!(
                    "{KEY_VARIABLE} is too short: give at least 16 characters (32 random bytes as hex is best)"
                ));
            }
            return Ok(PlanKey(Sha256::digest(text.as_bytes()).into()));
        }
        let path = key_file().ok_or_else(|| {
            format!("no plan key: set {KEY_VARIABLE}, or HOME so that slsr can keep one")
        })?;
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(PlanKey(Sha256::digest(text.trim().as_bytes()).into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => make_key_file(&path),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// A key from bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> PlanKey {
        PlanKey(bytes)
    }

    fn mac(&self, what: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(what);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Names the key without revealing it, so that a plan made with another key is
    /// refused with a clear reason.
    pub fn id(&self) -> String {
        self.mac(b"slsr plan key id")[..16].to_string()
    }

    /// A value as the saved plan keeps it when it is sensitive.
    pub fn fingerprint(&self, value: &Value) -> Value {
        Value::from(format!(
            "(sensitive hmac-sha256:{})",
            self.mac(canonical_json(value).as_bytes())
        ))
    }
}

fn key_file() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("slsr").join("plan-key"))
}

fn make_key_file(path: &Path) -> Result<PlanKey, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a plan key: {e}"))?;
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // Another run may make the file at the same moment: whoever comes second reads it.
    match write_private(path, text.as_bytes(), true) {
        Ok(()) => Ok(PlanKey(Sha256::digest(text.as_bytes()).into())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => PlanKey::load(),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes `bytes` to `path` readable by its owner only; `new` refuses an existing file.
fn write_private(path: &Path, bytes: &[u8], new: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(path).map_err(|e| {
        // O_NOFOLLOW fails with ELOOP on a link; the same error can mean a loop among the
        // directories above, so the message is chosen by what is at the path.
        let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if link {
            std::io::Error::new(
                e.kind(),
                "is a symbolic link; slsr does not write a saved plan through a link (remove it, or pass another --out)",
            )
        } else {
            e
        }
    })?;
    // An existing file keeps its mode on open: narrow it too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)
}

impl SavedPlan {
    /// The saved form of a live plan: what it was made from, sensitive values fingerprinted.
    /// `origin` is where its spec is (`None` for the fresh plan apply compares a file with).
    pub fn new(
        planned: &crate::engine::make::Planned,
        key: &PlanKey,
        origin: Option<Origin>,
    ) -> Result<SavedPlan, String> {
        let account = planned.header.account.clone().ok_or_else(|| {
            "an offline plan cannot be saved for apply: it was made without reading the account; run `slsr plan --out FILE` without --offline".to_string()
        })?;
        Ok(SavedPlan {
            format: FORMAT.to_string(),
            service: planned.header.service.clone(),
            stage: planned.header.stage.clone(),
            account,
            region: planned.header.region.clone(),
            spec_digest: key.mac(planned.intent.as_bytes()),
            origin,
            code: code_ids(&planned.code),
            key_id: key.id(),
            plan: scrubbed(&planned.plan, key),
            targets: Vec::new(),
            params: BTreeMap::new(),
        })
    }
}

/// The plan with every sensitive value, in diffs and in the resources they compare,
/// replaced by its keyed fingerprint.
fn scrubbed(plan: &Plan, key: &PlanKey) -> Plan {
    let mut plan = plan.clone();
    // What the plan opens is made again from its changes, never kept (`engine::widening`).
    plan.widening.clear();
    // What the plan costs is priced again from its changes, never kept (`engine::cost`).
    plan.cost = Default::default();
    for change in &mut plan.changes {
        scrub_change(change, key);
    }
    for output in plan.outputs.iter_mut().filter(|o| o.sensitive) {
        for side in [&mut output.before, &mut output.after] {
            if let Some(v) = side.as_mut() {
                *v = key
                    .fingerprint(&Value::from(v.as_str()))
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
            }
        }
    }
    plan
}

fn scrub_change(change: &mut Change, key: &PlanKey) {
    let mut sensitive_paths = std::collections::BTreeSet::new();
    for diff in change.diffs.iter_mut().filter(|d| d.sensitive) {
        sensitive_paths.insert(diff.path.clone());
        for side in [&mut diff.before, &mut diff.after] {
            if let Some(v) = side.as_mut() {
                *v = key.fingerprint(v);
            }
        }
    }
    for resource in [change.before.as_mut(), change.after.as_mut()]
        .into_iter()
        .flatten()
    {
        for (path, value) in resource.attrs.iter_mut() {
            if sensitive_paths.contains(path) || is_sensitive(path, Some(value)) {
                *value = key.fingerprint(value);
            }
        }
    }
}

pub fn write(path: &Path, saved: &SavedPlan) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(saved).expect("a saved plan serializes");
    write_private(path, text.as_bytes(), false)
}

/// Reads a saved plan. A file that is not one (truncated, edited into another shape, of
/// another format) is an error that says so, never a panic.
pub fn read(path: &Path) -> Result<SavedPlan, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// A saved plan from the bytes of its file.
pub fn parse(bytes: &[u8]) -> Result<SavedPlan, String> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a saved slsr plan (not JSON: {e})"))?;
    match value.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(format!(
                "saved with format {other}, this slsr reads {FORMAT}; make the plan again"
            ));
        }
        None => return Err("not a saved slsr plan (no `format`)".into()),
    }
    serde_json::from_value(value).map_err(|e| format!("not a saved slsr plan ({e})"))
}

/// Why `saved` is not the plan `fresh` (made now, in the same form), one line each; empty
/// when they are the same.
pub fn differences(saved: &SavedPlan, fresh: &SavedPlan) -> Vec<String> {
    let mut reasons = Vec::new();
    if (saved.service.as_str(), saved.stage.as_str())
        != (fresh.service.as_str(), fresh.stage.as_str())
    {
        reasons.push(format!(
            "it is a plan for service {} stage {}, not {} stage {}",
            saved.service, saved.stage, fresh.service, fresh.stage
        ));
    }
    if saved.account != fresh.account {
        reasons.push(format!(
            "it was made in account {}, and these credentials are for account {}",
            saved.account, fresh.account
        ));
    }
    if saved.region != fresh.region {
        reasons.push(format!(
            "it was made in region {}, and this apply is in {}",
            saved.region.as_deref().unwrap_or("(none)"),
            fresh.region.as_deref().unwrap_or("(none)")
        ));
    }
    if saved.key_id != fresh.key_id {
        reasons.push(format!(
            "its secrets were fingerprinted with another plan key; set {KEY_VARIABLE} to the key of the run that made it"
        ));
    }
    if saved.targets != fresh.targets {
        let list = |t: &[String]| match t {
            [] => "no --target".to_string(),
            t => format!("--target {}", t.join(" --target ")),
        };
        reasons.push(format!(
            "it was planned with {}, and this apply has {}",
            list(&saved.targets),
            list(&fresh.targets)
        ));
    }
    if saved.params != fresh.params {
        let keys = |p: &BTreeMap<String, Value>| match p.len() {
            0 => "no --param".to_string(),
            _ => format!(
                "--param {}",
                p.keys()
                    .map(|k| format!("{k}=…"))
                    .collect::<Vec<_>>()
                    .join(" --param ")
            ),
        };
        reasons.push(format!(
            "it was planned with {}, and this apply has {} (or other values)",
            keys(&saved.params),
            keys(&fresh.params)
        ));
    }
    if saved.spec_digest != fresh.spec_digest {
        reasons.push(
            "what the spec asks for changed (its resources or outputs, not only its text)"
                .to_string(),
        );
    }
    for (name, id) in &fresh.code {
        if saved.code.get(name) != Some(id) {
            reasons.push(format!("the code of function `{name}` changed"));
        }
    }
    for name in saved.code.keys().filter(|n| !fresh.code.contains_key(*n)) {
        reasons.push(format!("function `{name}` is no longer in the spec"));
    }
    if saved.plan.conflicts != fresh.plan.conflicts {
        reasons.push("the conflicts with resources slsr does not own changed".to_string());
    }
    if saved.plan.kept != fresh.plan.kept {
        reasons.push("the resources slsr keeps because it does not own them changed".to_string());
    }
    if saved.plan.outputs != fresh.plan.outputs {
        reasons.push("the changes to the outputs differ from a plan now".to_string());
    }
    let by_address = |plan: &Plan| -> BTreeMap<String, Change> {
        plan.changes
            .iter()
            .map(|c| (c.address.clone(), c.clone()))
            .collect()
    };
    let (was, now) = (by_address(&saved.plan), by_address(&fresh.plan));
    if saved.plan.changes.len() != was.len() {
        reasons.push("it names a resource twice".to_string());
    }
    for (address, change) in &was {
        match now.get(address) {
            None => reasons.push(format!(
                "it plans to {} {address}, which a plan now does not",
                change.action.as_str()
            )),
            Some(current) if current != change => {
                reasons.push(change_difference(address, change, current))
            }
            Some(_) => {}
        }
    }
    for (address, change) in now.iter().filter(|(a, _)| !was.contains_key(*a)) {
        reasons.push(format!(
            "a plan now also plans to {} {address}",
            change.action.as_str()
        ));
    }
    if reasons.len() > MAX_REASONS {
        let more = reasons.len() - MAX_REASONS;
        reasons.truncate(MAX_REASONS);
        reasons.push(format!("and {more} more"));
    }
    reasons
}

/// What differs between the saved and the fresh change to one resource, in words.
fn change_difference(address: &str, saved: &Change, fresh: &Change) -> String {
    if saved.before != fresh.before {
        return match (&saved.before, &fresh.before) {
            (Some(_), None) => format!("{address} was deleted from the account since the plan"),
            (None, Some(_)) => format!("{address} appeared in the account since the plan"),
            _ => format!("{address} changed in the account since the plan"),
        };
    }
    if saved.action != fresh.action {
        return format!(
            "{address}: it plans to {}, a plan now plans to {}",
            saved.action.as_str(),
            fresh.action.as_str()
        );
    }
    if saved.kind != fresh.kind || saved.name != fresh.name {
        return format!(
            "{address}: it names `{}`, a plan now names `{}`",
            saved.name, fresh.name
        );
    }
    let paths = |c: &Change| -> Vec<String> { c.diffs.iter().map(|d| d.path.clone()).collect() };
    if saved.diffs != fresh.diffs {
        let (a, b) = (paths(saved), paths(fresh));
        return if a == b {
            let differing: Vec<&str> = saved
                .diffs
                .iter()
                .zip(&fresh.diffs)
                .filter(|(x, y)| x != y)
                .map(|(x, _)| x.path.as_str())
                .collect();
            format!(
                "{address}: the values of {} differ from a plan now",
                differing.join(", ")
            )
        } else {
            format!(
                "{address}: it changes {}, a plan now changes {}",
                list_or_nothing(&a),
                list_or_nothing(&b)
            )
        };
    }
    format!("{address}: what it would make differs from a plan now")
}

fn list_or_nothing(paths: &[String]) -> String {
    if paths.is_empty() {
        "nothing".into()
    } else {
        paths.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::{Kind, Resource};
    use crate::engine::plan::{Action, FieldDiff};

    fn key() -> PlanKey {
        PlanKey::from_bytes([7; 32])
    }

    fn change(token: &str) -> Change {
        let before = Resource::new(Kind::Function, "api", "shop-dev-api")
            .with("env.API_TOKEN", "old-token")
            .with("env.DB_URL", "postgres://app:hunter2@db/app")
            .with("memory", 128);
        let after = before.clone().with("env.API_TOKEN", token);
        Change {
            address: "function.api".into(),
            kind: Kind::Function,
            name: "shop-dev-api".into(),
            action: Action::Update,
            diffs: vec![FieldDiff {
                path: "env.API_TOKEN".into(),
                before: Some("old-token".into()),
                after: Some(token.into()),
                sensitive: true,
                forces_replacement: false,
            }],
            before: Some(before),
            after: Some(after),
            reason: None,
            data_loss: false,
        }
    }

    #[test]
    fn a_spec_is_found_from_the_plan_file_by_a_relative_path() {
        let spec = Path::new("/work/app/slsr.yaml");
        assert_eq!(
            relative(Path::new("/work/app"), spec),
            Some(PathBuf::from("slsr.yaml"))
        );
        assert_eq!(
            relative(Path::new("/tmp/plans"), spec),
            Some(PathBuf::from("../../work/app/slsr.yaml"))
        );
        assert_eq!(plan_dir(Path::new("p.plan")), PathBuf::from("."));
    }

    #[test]
    fn a_scrubbed_change_holds_no_secret_and_no_plain_hash() {
        let mut c = change("new-token");
        scrub_change(&mut c, &key());
        let text = serde_json::to_string(&c).unwrap();
        for secret in ["old-token", "new-token", "hunter2"] {
            assert!(!text.contains(secret), "{secret} in {text}");
            let plain_hash = sha256_hex(format!("\"{secret}\"").as_bytes());
            assert!(!text.contains(&plain_hash), "an unkeyed hash of {secret}");
        }
        assert!(text.contains("(sensitive hmac-sha256:"), "{text}");
        assert!(text.contains("\"memory\":128"), "{text}");
    }

    #[test]
    fn fingerprints_tell_values_apart_and_depend_on_the_key() {
        let (mut a, mut b) = (change("one"), change("two"));
        scrub_change(&mut a, &key());
        scrub_change(&mut b, &key());
        assert_ne!(a, b);
        let mut again = change("one");
        scrub_change(&mut again, &key());
        assert_eq!(a, again);
        let mut other_key = change("one");
        scrub_change(&mut other_key, &PlanKey::from_bytes([8; 32]));
        assert_ne!(a, other_key);
        assert_ne!(key().id(), PlanKey::from_bytes([8; 32]).id());
    }
}
