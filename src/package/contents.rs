//! What a function's package will hold, asked one file at a time without zipping anything:
//! validation uses it to tell whether the file a handler names is in the package.
//!
//! For a code directory the answer follows the same rules as `walk::collect` (`.git` and
//! `.slsr` left out at any depth, `exclude` patterns matched against each path and each of
//! its directories, links followed), so what validation accepts is what the zip holds. For
//! a ready-made `.zip` the answer is read from the zip's own directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::GlobSet;

use super::walk::{self, ALWAYS_EXCLUDED};

/// A function's package, as far as asking for one file needs.
pub enum Contents {
    Dir {
        root: PathBuf,
        patterns: Vec<String>,
        excluded: GlobSet,
    },
    /// A ready-made zip: each file entry's name and Unix mode, when the zip records one.
    Zip {
        entries: BTreeMap<String, Option<u32>>,
    },
}

/// Why `code` has no contents to ask about.
#[derive(Debug)]
pub enum Unreadable {
    /// Nothing at the path.
    Missing,
    /// A file that is not a zip archive (or a zip slsr cannot read), with the reader's words.
    NotZip(String),
    /// Something else: a socket, a device, a FIFO.
    Special,
    /// An `exclude` pattern that is not a glob (`glob_error` says why).
    BadExclude,
}

/// Where one file stands in the package.
#[derive(Debug, PartialEq, Eq)]
pub enum Presence {
    /// In the package; `executable` as Lambda will see it.
    Packed {
        executable: bool,
    },
    /// Under the code directory, but left out by this `exclude` pattern (or always left out).
    Excluded(String),
    Absent,
}

impl Contents {
    /// The contents of `code` (a path already joined to the spec's directory), packaged with
    /// the function's `exclude` patterns.
    pub fn open(code: &Path, exclude: &[String]) -> Result<Contents, Unreadable> {
        let meta = std::fs::metadata(code).map_err(|_| Unreadable::Missing)?;
        if meta.is_dir() {
            let excluded = walk::exclusions(exclude).map_err(|_| Unreadable::BadExclude)?;
            return Ok(Contents::Dir {
                root: code.to_path_buf(),
                patterns: exclude.to_vec(),
                excluded,
            });
        }
        if !meta.is_file() {
            return Err(Unreadable::Special);
        }
        let file = std::fs::File::open(code).map_err(|e| Unreadable::NotZip(e.to_string()))?;
        let mut archive =
            zip::ZipArchive::new(file).map_err(|e| Unreadable::NotZip(e.to_string()))?;
        let mut entries = BTreeMap::new();
        for i in 0..archive.len() {
            let entry = archive
                .by_index_raw(i)
                .map_err(|e| Unreadable::NotZip(e.to_string()))?;
            if entry.is_file()
                && let Ok(name) = entry.name()
            {
                entries.insert(name.into_owned(), entry.unix_mode());
            }
        }
        Ok(Contents::Zip { entries })
    }

    /// Where the file `name` (a `/`-separated path inside the package) stands.
    pub fn find(&self, name: &str) -> Presence {
        match self {
            Contents::Zip { entries } => match entries.get(name) {
                // A zip made without Unix modes (on Windows) gives Lambda no mode to refuse.
                Some(mode) => Presence::Packed {
                    executable: mode.is_none_or(|m| m & 0o111 != 0),
                },
                None => Presence::Absent,
            },
            Contents::Dir {
                root,
                patterns,
                excluded,
            } => {
                // `collect` tests each directory on the way down, then the file itself.
                let parts: Vec<&str> = name.split('/').collect();
                for depth in 1..=parts.len() {
                    let part = parts[depth - 1];
                    if ALWAYS_EXCLUDED.contains(&part) {
                        return Presence::Excluded(part.to_string());
                    }
                    let prefix = parts[..depth].join("/");
                    if let Some(&i) = excluded.matches(&prefix).first() {
                        return Presence::Excluded(patterns[i].clone());
                    }
                }
                match std::fs::metadata(root.join(name)) {
                    // Packaging makes a root `bootstrap` executable whatever its mode.
                    Ok(meta) if meta.is_file() => Presence::Packed { executable: true },
                    _ => Presence::Absent,
                }
            }
        }
    }

    /// Whether the package source holds nothing at all (before any exclusion).
    pub fn is_empty(&self) -> bool {
        match self {
            Contents::Zip { entries } => entries.is_empty(),
            Contents::Dir { root, .. } => {
                std::fs::read_dir(root).map_or(true, |mut items| items.next().is_none())
            }
        }
    }

    /// Up to `max` names at the package's root, sorted, directories with a trailing `/`,
    /// and whether there were more: what a message shows of where it looked.
    pub fn root_listing(&self, max: usize) -> (Vec<String>, bool) {
        let mut names: Vec<String> = match self {
            Contents::Zip { entries } => {
                let mut names: Vec<String> = entries
                    .keys()
                    .map(|name| match name.split_once('/') {
                        Some((dir, _)) => format!("{dir}/"),
                        None => name.clone(),
                    })
                    .collect();
                names.dedup();
                names
            }
            Contents::Dir { root, excluded, .. } => std::fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|item| {
                    let name = item.file_name().into_string().ok()?;
                    if ALWAYS_EXCLUDED.contains(&name.as_str()) || excluded.is_match(&name) {
                        return None;
                    }
                    let dir = std::fs::metadata(item.path()).is_ok_and(|m| m.is_dir());
                    Some(if dir { format!("{name}/") } else { name })
                })
                .collect(),
        };
        names.sort();
        let more = names.len() > max;
        names.truncate(max);
        (names, more)
    }
}

/// Why `pattern` is not a glob `exclude` can use, if it is not.
pub fn glob_error(pattern: &str) -> Option<String> {
    match walk::exclusions(&[pattern.to_string()]) {
        Err(super::PackageError::Exclude { message, .. }) => Some(message),
        Err(other) => Some(other.to_string()),
        Ok(_) => None,
    }
}
