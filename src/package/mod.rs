//! Packaging: each function's code as a deterministic zip, and its code identity.
//!
//! Lambda compares code by CodeSha256, base64 of the SHA-256 of the zip. Because the same
//! tree always gives the same bytes, slsr can tell unchanged code from changed code without
//! uploading anything. A zip is rebuilt only when the content of its tree changed: the
//! content key (names, modes and bytes of every entry) is kept next to the zip.

pub mod build;
pub mod contents;
mod walk;
mod zipper;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::spec::Project;
use crate::spec::model::Function;

pub use walk::ALWAYS_EXCLUDED;

/// Lambda's limit for a zip uploaded directly (not through S3).
pub const MAX_ZIPPED: u64 = 50 * 1024 * 1024;
/// Lambda's limit for a function's code once unzipped.
pub const MAX_UNZIPPED: u64 = 250 * 1024 * 1024;
/// Above this a package slows cold starts noticeably: a warning.
pub const WARN_ZIPPED: u64 = 10 * 1024 * 1024;

/// Why a function's code could not be packaged.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Zip { path: PathBuf, message: String },
    #[error(
        "cannot write the zips to {dir} ({source}); build them elsewhere with --build-dir DIR or SLSR_BUILD_DIR=DIR (a read-only checkout needs one)"
    )]
    BuildDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "symlink {link} points outside the code directory, to {target}; slsr does not follow links out of it (copy the file in, or point `code` at a directory that contains both)"
    )]
    LinkOutside { link: PathBuf, target: PathBuf },
    #[error("symlink {link} points to {target}, which does not exist")]
    BrokenLink { link: PathBuf, target: PathBuf },
    #[error(
        "symlink {link} points to {target}, a directory it is inside of: following it would never end (remove the link, or exclude it)"
    )]
    LinkCycle { link: PathBuf, target: PathBuf },
    #[error(
        "{path}: cannot be stored in a zip as `{name}`: {reason}; rename the file or exclude it"
    )]
    BadName {
        path: PathBuf,
        name: String,
        reason: &'static str,
    },
    #[error(
        "{path} is not a regular file, directory or symlink (a socket, FIFO or device); remove it or exclude it"
    )]
    SpecialFile { path: PathBuf },
    #[error("{path}: file names must be UTF-8")]
    NotUtf8 { path: PathBuf },
    #[error("exclude pattern `{pattern}`: {message}")]
    Exclude { pattern: String, message: String },
    #[error("function `{function}`: code `{path}` does not exist")]
    MissingCode { function: String, path: PathBuf },
    #[error(transparent)]
    Build(#[from] build::BuildError),
    #[error("function `{function}`: {what} is {size}, over Lambda's limit of {limit}")]
    TooLarge {
        function: String,
        what: &'static str,
        size: String,
        limit: String,
    },
}

impl PackageError {
    fn io(path: &Path, source: std::io::Error) -> PackageError {
        PackageError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    fn zip(path: &Path, e: zip::result::ZipError) -> PackageError {
        PackageError::Zip {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// What the planner compares for a function's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeIdentity {
    Zip(Package),
    Image(String),
}

/// A function's zip, built or given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub path: PathBuf,
    /// base64(sha256(zip bytes)), as Lambda's CodeSha256.
    pub code_sha256: String,
    pub zipped: u64,
    pub unzipped: u64,
    /// Whether the zip was reused from an earlier run (same content key).
    pub reused: bool,
    /// Whether `code` named a ready-made .zip.
    pub prebuilt: bool,
    /// Over 10 MB: slower cold starts.
    pub large: bool,
}

/// Stored next to each zip: what it was built from.
#[derive(Serialize, Deserialize, PartialEq)]
struct Manifest {
    content_key: String,
    code_sha256: String,
    zipped: u64,
    unzipped: u64,
}

/// Packages functions once per run: a code directory used by several functions (with the
/// same exclusions) is zipped once.
pub struct Packager {
    out_dir: PathBuf,
    /// Ignore zips from earlier runs and rebuild.
    force: bool,
    threads: usize,
    done: HashMap<(PathBuf, Vec<String>), Package>,
    /// What `build::run` built, by function: packaged instead of the code directory.
    built: HashMap<String, build::Built>,
}

impl Packager {
    /// `out_dir` (`--build-dir`), relative to the working directory; else `.slsr/build`
    /// beside the spec.
    pub fn new(project: &Project, out_dir: Option<&Path>, force: bool) -> Packager {
        let out_dir = match out_dir {
            Some(dir) => dir.to_path_buf(),
            None => project.base_dir.join(".slsr").join("build"),
        };
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        Packager {
            out_dir,
            force,
            threads,
            done: HashMap::new(),
            built: HashMap::new(),
        }
    }

    /// Runs the builds of `only` (all when empty) that their inputs say are due, before any
    /// function is packaged; each built function is then packaged from its build's output.
    pub fn build(
        &mut self,
        project: &Project,
        only: &[String],
    ) -> Result<&HashMap<String, build::Built>, PackageError> {
        let built = self.writable(build::run(project, &self.out_dir, only, self.force))?;
        self.built.extend(built);
        Ok(&self.built)
    }

    /// Compress with this many threads (default: one per core). The zip is the same bytes
    /// whatever the number.
    pub fn with_threads(mut self, threads: usize) -> Packager {
        self.threads = threads.max(1);
        self
    }

    /// The code identity of one function: its zip's CodeSha256, or its image URI.
    pub fn code(&mut self, project: &Project, name: &str) -> Result<CodeIdentity, PackageError> {
        let function = &project.functions[name];
        if let Some(image) = &function.image {
            return Ok(CodeIdentity::Image(image.clone()));
        }
        // Never the code directory of a function that builds: its build runs first.
        if function.build.is_some() && !self.built.contains_key(name) {
            self.build(project, &[name.to_string()])?;
        }
        let code = function.code.as_deref().unwrap_or(".");
        let source = match self.built.get(name) {
            Some(built) => built.dir.clone(),
            None => project.base_dir.join(code),
        };
        let excludes = function.exclude.clone().unwrap_or_default();
        let key = (source.clone(), excludes.clone());
        if let Some(done) = self.done.get(&key) {
            return Ok(CodeIdentity::Zip(done.clone()));
        }
        let package = if source.is_file() {
            prebuilt(&source)?
        } else if source.is_dir() {
            self.zip(name, &source, &excludes)?
        } else {
            return Err(PackageError::MissingCode {
                function: name.to_string(),
                path: source,
            });
        };
        check_limits(name, &package)?;
        self.done.insert(key, package.clone());
        Ok(CodeIdentity::Zip(package))
    }

    fn zip(&self, name: &str, source: &Path, excludes: &[String]) -> Result<Package, PackageError> {
        let excluded = walk::exclusions(excludes)?;
        let entries = walk::collect(source, &excluded)?;
        let unzipped: u64 = entries.iter().map(|e| e.size).sum();
        if unzipped > MAX_UNZIPPED {
            return Err(too_large(name, "the unzipped code", unzipped, MAX_UNZIPPED));
        }
        self.writable(
            std::fs::create_dir_all(&self.out_dir).map_err(|e| PackageError::io(&self.out_dir, e)),
        )?;
        let zip_path = self.out_dir.join(format!("{name}.zip"));
        let manifest_path = self.out_dir.join(format!("{name}.json"));
        let content_key = content_key(&entries)?;
        if !self.force
            && let Some(manifest) = read_manifest(&manifest_path)
            && manifest.content_key == content_key
            && std::fs::metadata(&zip_path).is_ok_and(|m| m.len() == manifest.zipped)
        {
            return Ok(Package {
                path: zip_path,
                code_sha256: manifest.code_sha256,
                zipped: manifest.zipped,
                unzipped: manifest.unzipped,
                reused: true,
                prebuilt: false,
                large: manifest.zipped > WARN_ZIPPED,
            });
        }
        let written = self.writable(zipper::write(&entries, &zip_path, self.threads))?;
        let code_sha256 = base64::engine::general_purpose::STANDARD.encode(written.sha256);
        let manifest = Manifest {
            content_key,
            code_sha256: code_sha256.clone(),
            zipped: written.zipped,
            unzipped: written.unzipped,
        };
        let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
        self.writable(
            std::fs::write(&manifest_path, json).map_err(|e| PackageError::io(&manifest_path, e)),
        )?;
        Ok(Package {
            path: zip_path,
            code_sha256,
            zipped: written.zipped,
            unzipped: written.unzipped,
            reused: false,
            prebuilt: false,
            large: written.zipped > WARN_ZIPPED,
        })
    }
}

impl Packager {
    /// A write into the build directory that the file system refuses (a read-only
    /// checkout, a directory of another user's) is named as the build directory's problem,
    /// with the way around it.
    fn writable<T>(&self, written: Result<T, PackageError>) -> Result<T, PackageError> {
        written.map_err(|e| match e {
            PackageError::Io { path, source }
                if path.starts_with(&self.out_dir)
                    && matches!(
                        source.kind(),
                        std::io::ErrorKind::PermissionDenied
                            | std::io::ErrorKind::ReadOnlyFilesystem
                    ) =>
            {
                PackageError::BuildDir {
                    dir: self.out_dir.clone(),
                    source,
                }
            }
            other => other,
        })
    }
}

/// A ready-made zip is used as it is: hashed, and its unzipped size read from its directory.
fn prebuilt(path: &Path) -> Result<Package, PackageError> {
    let (zipped, sha256) = zipper::hash_file(path)?;
    let file = std::fs::File::open(path).map_err(|e| PackageError::io(path, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| PackageError::zip(path, e))?;
    let mut unzipped = 0;
    for i in 0..archive.len() {
        unzipped += archive
            .by_index_raw(i)
            .map_err(|e| PackageError::zip(path, e))?
            .size();
    }
    Ok(Package {
        path: path.to_path_buf(),
        code_sha256: base64::engine::general_purpose::STANDARD.encode(sha256),
        zipped,
        unzipped,
        reused: false,
        prebuilt: true,
        large: zipped > WARN_ZIPPED,
    })
}

fn check_limits(name: &str, package: &Package) -> Result<(), PackageError> {
    if package.zipped > MAX_ZIPPED {
        return Err(too_large(name, "the zip", package.zipped, MAX_ZIPPED));
    }
    if package.unzipped > MAX_UNZIPPED {
        return Err(too_large(
            name,
            "the unzipped code",
            package.unzipped,
            MAX_UNZIPPED,
        ));
    }
    Ok(())
}

fn too_large(function: &str, what: &'static str, size: u64, limit: u64) -> PackageError {
    PackageError::TooLarge {
        function: function.to_string(),
        what,
        size: human_size(size),
        limit: human_size(limit),
    }
}

/// The content key: every entry's name, mode and bytes, in order. The same key means the
/// same zip, whatever the files' timestamps, owners or location.
pub(crate) fn content_key(entries: &[walk::Entry]) -> Result<String, PackageError> {
    let mut hasher = Sha256::new();
    hasher.update(b"slsr-zip-1\0");
    let mut buffer = vec![0; 256 * 1024];
    for entry in entries {
        use std::io::Read;
        hasher.update(entry.name().as_bytes());
        hasher.update(format!("\0{:o}\0", entry.mode()).as_bytes());
        let mut file =
            std::fs::File::open(&entry.path).map_err(|e| PackageError::io(&entry.path, e))?;
        loop {
            let n = file
                .read(&mut buffer)
                .map_err(|e| PackageError::io(&entry.path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        hasher.update(b"\0");
    }
    Ok(format!("{:x}", hasher.finalize()))
}

fn read_manifest(path: &Path) -> Option<Manifest> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// `12.3 MB`, `850 KB`, `512 B`, in powers of 1024 as AWS's limits are.
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KB * KB {
        format!("{:.1} MB", b / KB / KB)
    } else if b >= KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{bytes} B")
    }
}

/// Functions whose code slsr packages (all but image functions), in name order.
pub fn zip_functions(project: &Project) -> impl Iterator<Item = (&String, &Function)> {
    project.functions.iter().filter(|(_, f)| f.image.is_none())
}
