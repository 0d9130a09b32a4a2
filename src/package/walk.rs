//! What goes into a function's zip: the files under its code directory, sorted, with
//! exclusions applied and symlinks checked.
//!
//! Symlinks are stored as links (Lambda extracts them as links, so node_modules/.bin keeps
//! working) when they resolve inside the code directory; a link that leads outside it, or
//! nowhere, is an error naming it, because following it would package files the user did
//! not put in the directory.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::PackageError;

/// Names never packaged, at any depth: version control and slsr's own build output.
pub const ALWAYS_EXCLUDED: &[&str] = &[".git", ".slsr"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File { executable: bool },
    Symlink { target: String },
}

/// One entry of the zip, by its path inside the zip (always `/`-separated).
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub path: PathBuf,
    pub kind: Kind,
    pub size: u64,
}

impl Entry {
    /// The Unix permissions stored in the zip: 0755 for executables (and for a root
    /// `bootstrap`, which Lambda must be able to run), 0644 otherwise.
    pub fn mode(&self) -> u32 {
        match self.kind {
            Kind::File { executable: true } => 0o755,
            Kind::File { executable: false } => 0o644,
            Kind::Symlink { .. } => 0o777,
        }
    }
}

/// Compiles `exclude` patterns. They match paths relative to the code directory; `*` also
/// matches `/`; a pattern that matches a directory excludes everything under it.
pub fn exclusions(patterns: &[String]) -> Result<GlobSet, PackageError> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern.trim_end_matches('/'))
            .literal_separator(false)
            .build()
            .map_err(|e| PackageError::Exclude {
                pattern: pattern.clone(),
                message: e.to_string(),
            })?;
        set.add(glob);
    }
    set.build().map_err(|e| PackageError::Exclude {
        pattern: patterns.join(", "),
        message: e.to_string(),
    })
}

/// The entries under `root`, sorted by name so the zip does not depend on the order the
/// file system lists them in.
pub fn collect(root: &Path, excluded: &GlobSet) -> Result<Vec<Entry>, PackageError> {
    let canonical_root = root.canonicalize().map_err(|e| PackageError::io(root, e))?;
    let mut entries = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let listing = std::fs::read_dir(&dir).map_err(|e| PackageError::io(&dir, e))?;
        for item in listing {
            let item = item.map_err(|e| PackageError::io(&dir, e))?;
            let file_name = item.file_name();
            let Some(file_name) = file_name.to_str() else {
                return Err(PackageError::NotUtf8 { path: item.path() });
            };
            if ALWAYS_EXCLUDED.contains(&file_name) {
                continue;
            }
            let name = format!("{prefix}{file_name}");
            if excluded.is_match(&name) {
                continue;
            }
            let path = item.path();
            let meta = std::fs::symlink_metadata(&path).map_err(|e| PackageError::io(&path, e))?;
            let file_type = meta.file_type();
            if file_type.is_dir() {
                pending.push((path, format!("{name}/")));
            } else if file_type.is_file() {
                entries.push(Entry {
                    kind: Kind::File {
                        executable: is_executable(&meta) || name == "bootstrap",
                    },
                    size: meta.len(),
                    name,
                    path,
                });
            } else if file_type.is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| PackageError::io(&path, e))?;
                let resolved = path.canonicalize().map_err(|_| PackageError::BrokenLink {
                    link: path.clone(),
                    target: target.clone(),
                })?;
                if !resolved.starts_with(&canonical_root) {
                    return Err(PackageError::LinkOutside {
                        link: path.clone(),
                        target: resolved,
                    });
                }
                let target = target
                    .to_str()
                    .ok_or_else(|| PackageError::NotUtf8 { path: path.clone() })?
                    .replace('\\', "/");
                entries.push(Entry {
                    size: target.len() as u64,
                    kind: Kind::Symlink { target },
                    name,
                    path,
                });
            } else {
                return Err(PackageError::SpecialFile { path });
            }
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}
