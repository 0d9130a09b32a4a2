//! What goes into a function's zip: the files under its code directory, sorted, with
//! exclusions applied, symlinks followed inside the directory, and every entry's name checked.
//!
//! A symlink that resolves inside the code directory is stored as what it points to, as
//! `cp -L` would copy it: a file with its content and executable bit, a directory with its
//! whole tree. The zip then holds no link, so no extractor can be led by one out of the
//! directory it unpacks into, and what is stored is exactly what slsr checked. A link back
//! into a directory it is inside of (a cycle) is an error, and so is a link that leads
//! outside the code directory, or nowhere: following those would package files the user did
//! not put there.
//!
//! Entries are made in one place, `Entry::new`, which refuses any name an extractor could
//! read as a way out of its directory or as something else than it is: a backslash, a `.` or
//! `..` component, an absolute path, a control character.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::PackageError;

/// Names never packaged, at any depth: version control and slsr's own build output.
pub const ALWAYS_EXCLUDED: &[&str] = &[".git", ".slsr"];

/// One file of the zip, by its path inside the zip (always `/`-separated).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Private: only `Entry::new`, which checks it, makes an entry.
    name: String,
    /// Where its content is read from.
    pub path: PathBuf,
    pub executable: bool,
    pub size: u64,
}

impl Entry {
    /// An entry named `name` in the zip, refused if the name could climb out of the
    /// directory it is extracted into or be read as another name. A root `bootstrap` is
    /// always executable: Lambda must be able to run it.
    pub fn new(
        name: String,
        path: PathBuf,
        executable: bool,
        size: u64,
    ) -> Result<Entry, PackageError> {
        if let Err(reason) = check_name(&name) {
            return Err(PackageError::BadName { path, name, reason });
        }
        Ok(Entry {
            executable: executable || name == "bootstrap",
            name,
            path,
            size,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Unix permissions stored in the zip: 0755 for executables, 0644 otherwise.
    pub fn mode(&self) -> u32 {
        if self.executable { 0o755 } else { 0o644 }
    }
}

/// Why `name` cannot be a zip entry's name, if it cannot. Extractors differ: Windows ones
/// read `\` as a separator and `C:` as a drive, and some honour `..` and a leading `/`.
fn check_name(name: &str) -> Result<(), &'static str> {
    if name.starts_with('/') {
        return Err("it is an absolute path");
    }
    if name.contains('\\') {
        return Err("it has a backslash, a separator to extractors on Windows");
    }
    if name.chars().any(char::is_control) {
        return Err("it has a control character");
    }
    let first = name.split('/').next().unwrap_or_default();
    let mut chars = first.chars();
    if let (Some(letter), Some(':')) = (chars.next(), chars.next())
        && letter.is_ascii_alphabetic()
    {
        return Err("it starts with a drive letter, an absolute path on Windows");
    }
    for component in name.split('/') {
        match component {
            "" => return Err("it has an empty component"),
            "." | ".." => {
                return Err(
                    "it has a `.` or `..` component, which can climb out of the directory it is extracted into",
                );
            }
            _ => {}
        }
    }
    Ok(())
}

/// Compiles `exclude` patterns. They match paths relative to the code directory; `*` also
/// matches `/`; a pattern that matches a directory excludes everything under it.
pub fn exclusions(patterns: &[String]) -> Result<GlobSet, PackageError> {
    glob_set(patterns, |p| p.trim_end_matches('/').to_string())
}

/// Compiles path patterns as `exclusions` does, each written first as `normal` gives it (a
/// build's `inputs` also drop a leading `./`); an error names the pattern as written.
pub fn glob_set(
    patterns: &[String],
    normal: impl Fn(&str) -> String,
) -> Result<GlobSet, PackageError> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(&normal(pattern))
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

/// A directory to list: where it is, the prefix of its entries' names, and the canonical
/// paths of the directories it is reached through, itself last (a link to one of them is a
/// cycle).
struct Dir {
    path: PathBuf,
    prefix: String,
    chain: Vec<PathBuf>,
}

/// The entries under `root`, sorted by name so the zip does not depend on the order the
/// file system lists them in.
pub fn collect(root: &Path, excluded: &GlobSet) -> Result<Vec<Entry>, PackageError> {
    let canonical_root = root.canonicalize().map_err(|e| PackageError::io(root, e))?;
    let mut entries = Vec::new();
    let mut pending = vec![Dir {
        path: root.to_path_buf(),
        prefix: String::new(),
        chain: vec![canonical_root.clone()],
    }];
    while let Some(dir) = pending.pop() {
        let listing = std::fs::read_dir(&dir.path).map_err(|e| PackageError::io(&dir.path, e))?;
        for item in listing {
            let item = item.map_err(|e| PackageError::io(&dir.path, e))?;
            let file_name = item.file_name();
            let Some(file_name) = file_name.to_str() else {
                return Err(PackageError::NotUtf8 { path: item.path() });
            };
            if ALWAYS_EXCLUDED.contains(&file_name) {
                continue;
            }
            let name = format!("{}{file_name}", dir.prefix);
            if excluded.is_match(&name) {
                continue;
            }
            let path = item.path();
            let meta = std::fs::symlink_metadata(&path).map_err(|e| PackageError::io(&path, e))?;
            let file_type = meta.file_type();
            let here = dir.chain.last().expect("a chain holds its own directory");
            if file_type.is_dir() {
                let mut chain = dir.chain.clone();
                chain.push(here.join(file_name));
                pending.push(Dir {
                    path,
                    prefix: format!("{name}/"),
                    chain,
                });
            } else if file_type.is_file() {
                entries.push(Entry::new(name, path, is_executable(&meta), meta.len())?);
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
                let meta =
                    std::fs::metadata(&resolved).map_err(|e| PackageError::io(&resolved, e))?;
                if meta.is_dir() {
                    if dir.chain.contains(&resolved) {
                        return Err(PackageError::LinkCycle {
                            link: path,
                            target: resolved,
                        });
                    }
                    let mut chain = dir.chain.clone();
                    chain.push(resolved);
                    pending.push(Dir {
                        path,
                        prefix: format!("{name}/"),
                        chain,
                    });
                } else if meta.is_file() {
                    // Read from where the check looked, not through the link again.
                    entries.push(Entry::new(
                        name,
                        resolved,
                        is_executable(&meta),
                        meta.len(),
                    )?);
                } else {
                    return Err(PackageError::SpecialFile { path });
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_climb_or_confuse_an_extractor_are_refused() {
        for (name, why) in [
            ("../etc/passwd", "`..`"),
            ("lib/../../x", "`..`"),
            ("./x", "`.`"),
            ("/etc/passwd", "absolute"),
            ("C:/Windows/x", "drive letter"),
            ("a\\..\\..\\x", "backslash"),
            ("bad\u{1b}[2Jname", "control"),
            ("a\rb", "control"),
            ("lib//x", "empty"),
            ("lib/", "empty"),
        ] {
            let err = Entry::new(name.into(), PathBuf::from("f"), false, 0).unwrap_err();
            assert!(
                matches!(&err, PackageError::BadName { reason, .. } if reason.contains(why)),
                "{name:?}: {err}"
            );
        }
        for name in [
            "bootstrap",
            "lib/util.py",
            "node_modules/.bin/tsc",
            "a..b/c.",
            "dir:x/y",
        ] {
            assert!(
                Entry::new(name.into(), PathBuf::from("f"), false, 0).is_ok(),
                "{name}"
            );
        }
        assert!(
            Entry::new("bootstrap".into(), PathBuf::from("f"), false, 0)
                .unwrap()
                .executable
        );
        assert!(
            !Entry::new("lib/bootstrap".into(), PathBuf::from("f"), false, 0)
                .unwrap()
                .executable
        );
    }
}
