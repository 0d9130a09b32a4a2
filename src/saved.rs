//! Saved plans: `slsr plan --out FILE` writes the plan with what it was made from, and
//! `slsr apply FILE` applies exactly that plan, refusing when anything it was made from has
//! moved since: a live resource, the spec, or the code.
//!
//! The file holds the desired env values and policies in clear (apply sets them), so it is
//! written readable by its owner only (mode 0600), and never through a symlink, which could
//! point it at a file of the user's to overwrite. The live side of a sensitive value (a
//! secret-looking variable, one the spec takes from a SecureString) is kept only as a
//! fingerprint: apply never needs it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::desired::canonical_json;
use crate::model::State;
use crate::package::CodeIdentity;
use crate::plan::Plan;

/// Names the file's format; bumped on any change a reader could notice.
pub const FORMAT: &str = "slsr-saved-plan/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub service: String,
    pub stage: String,
    pub account: Option<String>,
    pub region: Option<String>,
    /// SHA-256 of the spec file's bytes.
    pub spec_sha256: String,
    /// Each function's code identity: its CodeSha256, or its image URI.
    pub code: BTreeMap<String, String>,
    /// A fingerprint of every live resource the plan was made against, by address.
    pub live: BTreeMap<String, String>,
    pub api_id: Option<String>,
    pub plan: Plan,
}

/// SHA-256 of bytes, as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A live state's fingerprints: any change to a resource's attributes changes its own.
pub fn fingerprints(state: &State) -> BTreeMap<String, String> {
    state
        .resources
        .iter()
        .map(|(address, r)| {
            let value = serde_json::to_value(r).expect("a resource serializes");
            (
                address.clone(),
                sha256_hex(canonical_json(&value).as_bytes()),
            )
        })
        .collect()
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

/// The plan with the live side of each sensitive value replaced by its fingerprint.
fn scrubbed(plan: &Plan) -> Plan {
    let mut plan = plan.clone();
    for change in &mut plan.changes {
        for diff in change.diffs.iter_mut().filter(|d| d.sensitive) {
            let Some(serde_json::Value::String(live)) = &diff.before else {
                continue;
            };
            let kept = serde_json::Value::from(crate::ssm::fingerprint("the live value", live));
            if let Some(before) = change.before.as_mut() {
                before.attrs.insert(diff.path.clone(), kept.clone());
            }
            diff.before = Some(kept);
        }
    }
    plan
}

/// Writes the saved plan to `path`, readable by its owner only. A symlink at `path` is
/// refused rather than followed: the open itself refuses it (O_NOFOLLOW), so no link can
/// be put in place between a check and the write, and the plan never overwrites a file the
/// link points at.
pub fn write(path: &Path, saved: &SavedPlan) -> std::io::Result<()> {
    let saved = SavedPlan {
        plan: scrubbed(&saved.plan),
        ..saved.clone()
    };
    let text = serde_json::to_string_pretty(&saved).expect("a saved plan serializes");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    use std::io::Write;
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
    file.write_all(text.as_bytes())
}

pub fn read(path: &Path) -> Result<SavedPlan, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let saved: SavedPlan = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a saved slsr plan ({e})", path.display()))?;
    if saved.format != FORMAT {
        return Err(format!(
            "{}: saved with format {}, this slsr reads {FORMAT}; make the plan again",
            path.display(),
            saved.format
        ));
    }
    Ok(saved)
}

/// What moved since the plan was saved, one line each; empty when nothing did.
pub fn moved(
    saved: &SavedPlan,
    spec_sha256: &str,
    code: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if saved.spec_sha256 != spec_sha256 {
        reasons.push("the spec file changed".to_string());
    }
    for (name, id) in code {
        if saved.code.get(name) != Some(id) {
            reasons.push(format!("the code of function `{name}` changed"));
        }
    }
    for name in saved.code.keys().filter(|n| !code.contains_key(*n)) {
        reasons.push(format!("function `{name}` is no longer in the spec"));
    }
    let addresses: std::collections::BTreeSet<&String> =
        saved.live.keys().chain(live.keys()).collect();
    for address in addresses {
        match (saved.live.get(address), live.get(address)) {
            (Some(a), Some(b)) if a != b => {
                reasons.push(format!("{address} changed in the account"))
            }
            (Some(_), None) => reasons.push(format!("{address} was deleted from the account")),
            (None, Some(_)) => reasons.push(format!("{address} appeared in the account")),
            _ => {}
        }
    }
    reasons
}
