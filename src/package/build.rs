//! Builds: each function's `build:` run before its code is packaged, only when its inputs
//! changed, several at a time.
//!
//! A build's key is a SHA-256 of what decides its result: the builder and its settings, the
//! runtime, the architecture, and every input file's path, mode and bytes, in path order.
//! The key and a copy of the build's output live in the build directory
//! (`NAME.build/key`, `NAME.build/out/`), so an unchanged function is neither built again
//! nor, since its output's bytes are the same, zipped again: a no-op plan stays a hash of
//! the inputs and of the output. Functions that share a code directory and the same build
//! are built once, under the first one's name.
//!
//! Builds run in parallel, at most one per core, each output line on stderr prefixed by the
//! function's name. A failed build is an error with its command, exit status and last
//! lines; callers build before they read the account, so a failed build makes no AWS call.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use globset::GlobSet;
use sha2::{Digest, Sha256};

use super::{PackageError, walk};
use crate::spec::Project;
use crate::spec::model::{Architecture, Build, Builder, Function};

/// The lines of a failed build's output its error shows.
const TAIL: usize = 20;

/// Why a build did not give a package.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "function `{function}`: the build failed: `{command}` {status}; its last lines:\n{}",
        tail.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
    )]
    Failed {
        function: String,
        command: String,
        status: String,
        tail: Vec<String>,
    },
    #[error("function `{function}`: `{command}` could not be started: {source}")]
    Spawn {
        function: String,
        command: String,
        source: std::io::Error,
    },
    #[error("function `{function}`: {message}")]
    Tool { function: String, message: String },
    #[error(
        "function `{function}`: the build succeeded but left no directory `{output}` in {dir} (the build's `output`)"
    )]
    NoOutput {
        function: String,
        output: String,
        dir: PathBuf,
    },
    #[error("function `{function}`: after the build, {message}")]
    Handler { function: String, message: String },
}

/// A built function: the directory to package, and whether this run built it.
#[derive(Debug, Clone)]
pub struct Built {
    pub dir: PathBuf,
    pub rebuilt: bool,
}

/// What one build runs: a shell command in the code directory, which files it reads, and
/// how its result becomes the output directory.
struct Recipe {
    command: String,
    /// Globs of the inputs (None: every file), and what is never an input.
    inputs: Option<Vec<String>>,
    not_inputs: Vec<String>,
    output: Output,
}

enum Output {
    /// A directory under the code directory the command leaves the package in.
    Dir(String),
    /// The one `target/lambda/NAME/bootstrap` cargo-lambda made, at the root.
    CargoLambda,
    /// A staging directory in the build directory that the command installs into, with
    /// the code directory's files copied beside what it installed: after the command
    /// (pip's `--target`), or before it, the command then running in the staging copy
    /// (`npm ci`, which installs next to package.json).
    Staged { sources: Sources },
}

/// Where a staged build's copy of the code directory goes, if it has one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sources {
    Before,
    After,
    /// A bundle is the whole package.
    Not,
}

/// One build to run: the functions it serves (sorted; the first names it), and where.
struct Job {
    functions: Vec<String>,
    /// Each function's handler, to check in the output (None: not checked, with layers).
    handlers: Vec<Option<String>>,
    code_dir: PathBuf,
    build: Build,
    runtime: String,
    arch: &'static str,
    excludes: Vec<String>,
    /// With `bundle: true`, the handler's file in the code directory: the bundle's entry.
    bundle: Option<String>,
}

impl Job {
    fn name(&self) -> &str {
        &self.functions[0]
    }
}

/// Runs the builds of `only` (every function with `build:` when empty) into `build_dir`,
/// reusing those whose key is unchanged (unless `force`). Returns the built directory of
/// every function built, or the first error in function order.
pub fn run(
    project: &Project,
    build_dir: &Path,
    only: &[String],
    force: bool,
) -> Result<HashMap<String, Built>, PackageError> {
    let jobs = jobs(project, only);
    if jobs.is_empty() {
        return Ok(HashMap::new());
    }
    std::fs::create_dir_all(build_dir).map_err(|e| PackageError::io(build_dir, e))?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<(usize, Result<Built, PackageError>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(jobs.len()) {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut next = next.lock().expect("the job counter");
                        let i = *next;
                        *next += 1;
                        i
                    };
                    let Some(job) = jobs.get(i) else { break };
                    let result = run_one(job, build_dir, force);
                    results.lock().expect("the results").push((i, result));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("the results");
    results.sort_by_key(|(i, _)| *i);
    let mut built = HashMap::new();
    for (i, result) in results {
        let result = result?;
        for function in &jobs[i].functions {
            built.insert(function.clone(), result.clone());
        }
    }
    Ok(built)
}

/// The builds to run, one per code directory, build, runtime and architecture.
fn jobs(project: &Project, only: &[String]) -> Vec<Job> {
    let mut jobs: BTreeMap<String, Job> = BTreeMap::new();
    for (name, f) in &project.functions {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        let (Some(build), Some(code), None) = (&f.build, &f.code, &f.image) else {
            continue;
        };
        let handler = f
            .handler
            .clone()
            .filter(|_| f.layers.as_ref().is_none_or(|l| l.is_empty()));
        let job = Job {
            functions: vec![name.clone()],
            handlers: vec![handler.clone()],
            code_dir: project.base_dir.join(code),
            build: build.clone(),
            runtime: f.runtime.clone().unwrap_or_default(),
            arch: arch(f),
            excludes: f.exclude.clone().unwrap_or_default(),
            bundle: bundle_entry(f, &project.base_dir.join(code)),
        };
        let same = serde_json::json!([
            job.code_dir.to_string_lossy(),
            job.build,
            job.runtime,
            job.arch,
            job.excludes,
            job.bundle
        ])
        .to_string();
        jobs.entry(same)
            .and_modify(|j| {
                j.functions.push(name.clone());
                j.handlers.push(handler.clone());
            })
            .or_insert(job);
    }
    let mut jobs: Vec<Job> = jobs.into_values().collect();
    jobs.sort_by(|a, b| a.name().cmp(b.name()));
    jobs
}

/// The file a bundle starts from: the one the handler names, as TypeScript or JavaScript.
fn bundle_entry(f: &Function, code_dir: &Path) -> Option<String> {
    if f.bundle != Some(true) {
        return None;
    }
    let handler = f.handler.as_deref()?;
    let files = crate::spec::code_files::handler_files(f.runtime.as_deref()?, handler);
    let base = files.first()?.strip_suffix(".js")?.to_string();
    let candidates = [".ts", ".mts", ".js", ".mjs", ".cjs"].map(|ext| format!("{base}{ext}"));
    Some(
        candidates
            .iter()
            .find(|file| code_dir.join(file).is_file())
            .unwrap_or(&files[0])
            .clone(),
    )
}

fn arch(f: &Function) -> &'static str {
    match f.architecture {
        Some(Architecture::Arm64) => "arm64",
        _ => "x86_64",
    }
}

/// How a build is run.
fn recipe(job: &Job) -> Result<Recipe, PackageError> {
    let tool = |message: String| {
        PackageError::Build(BuildError::Tool {
            function: job.name().to_string(),
            message,
        })
    };
    Ok(match &job.build {
        Build::Command(c) => Recipe {
            command: c.command.clone(),
            inputs: c.inputs.clone(),
            not_inputs: vec![normal(&c.output)],
            output: Output::Dir(normal(&c.output)),
        },
        Build::Builtin(Builder::Rust) => {
            if on_path("cargo-lambda").is_none() {
                return Err(tool(
                    "`build: rust` runs `cargo lambda build`, and cargo-lambda is not on PATH: install it with `cargo install cargo-lambda` (or `pip install cargo-lambda`), or use `build: {command, output}`".into(),
                ));
            }
            let arm = if job.arch == "arm64" { " --arm64" } else { "" };
            Recipe {
                command: format!("cargo lambda build --release{arm}"),
                inputs: None,
                not_inputs: vec!["target".into()],
                output: Output::CargoLambda,
            }
        }
        Build::Builtin(Builder::Python) => {
            let version = job.runtime.strip_prefix("python").unwrap_or_default();
            let platform = match job.arch {
                "arm64" => "manylinux2014_aarch64",
                _ => "manylinux2014_x86_64",
            };
            let pip = Command::new("python3")
                .args(["-m", "pip", "--version"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if !pip.is_ok_and(|s| s.success()) {
                return Err(tool(
                    "`build: python` runs `python3 -m pip`, and there is no python3 with pip on PATH: install Python 3 with pip".into(),
                ));
            }
            // Without requirements.txt, pyproject.toml's [project] dependencies, written
            // beside the staging directory (not into it: it is the package).
            let (list, requirements) = if job.code_dir.join("requirements.txt").is_file() {
                (String::new(), "requirements.txt")
            } else {
                (
                    "python3 -c 'import sys, tomllib; print(\"\\n\".join(tomllib.load(open(\"pyproject.toml\", \"rb\")).get(\"project\", {}).get(\"dependencies\", [])))' > \"$SLSR_BUILD_OUT/../requirements.txt\" && ".to_string(),
                    "\"$SLSR_BUILD_OUT/../requirements.txt\"",
                )
            };
            // Wheels only, for Lambda's platform and Python: what pip installs is what
            // Lambda can import, whatever machine builds it, without Docker.
            Recipe {
                command: format!(
                    "{list}python3 -m pip install --disable-pip-version-check --no-compile -r {requirements} --platform {platform} --python-version {version} --only-binary=:all: --implementation cp --target \"$SLSR_BUILD_OUT\""
                ),
                inputs: None,
                not_inputs: job.excludes.clone(),
                output: Output::Staged {
                    sources: Sources::After,
                },
            }
        }
        Build::Builtin(Builder::Node) if job.bundle.is_some() => {
            let entry = job.bundle.as_deref().unwrap_or_default();
            if !job.code_dir.join("node_modules/.bin/esbuild").is_file() {
                return Err(tool(
                    "`bundle: true` bundles with the project's own esbuild, and node_modules/.bin/esbuild is not there: add it with `npm install --save-dev esbuild`".into(),
                ));
            }
            let (format, ext) = if entry.ends_with(".mjs") {
                ("esm", "mjs")
            } else {
                ("cjs", "js")
            };
            let base = entry.rsplit_once('.').map_or(entry, |(base, _)| base);
            // Single-quoted for sh, a quote in a file name included.
            let (entry, base) = (entry.replace('\'', "'\\''"), base.replace('\'', "'\\''"));
            let node = job
                .runtime
                .strip_prefix("nodejs")
                .map(|v| v.trim_end_matches(".x"))
                .unwrap_or_default();
            Recipe {
                command: format!(
                    "node_modules/.bin/esbuild '{entry}' --bundle --platform=node --target=node{node} --format={format} --outfile=\"$SLSR_BUILD_OUT\"/'{base}.{ext}'"
                ),
                // What it bundles is in node_modules too.
                inputs: None,
                not_inputs: Vec::new(),
                output: Output::Staged {
                    sources: Sources::Not,
                },
            }
        }
        Build::Builtin(Builder::Node) => {
            let npm = Command::new("npm")
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if !npm.is_ok_and(|s| s.success()) {
                return Err(tool(
                    "`build: node` runs `npm ci`, and there is no npm on PATH: install Node.js with npm".into(),
                ));
            }
            // Production dependencies only, exactly as package-lock.json pins them, in a
            // copy: the code directory's own node_modules (with its dev dependencies) is
            // neither read nor changed.
            Recipe {
                command: "npm ci --omit=dev --no-audit --no-fund --ignore-scripts".into(),
                inputs: None,
                not_inputs: vec!["node_modules".into()],
                output: Output::Staged {
                    sources: Sources::Before,
                },
            }
        }
    })
}

/// `./dist/` as `dist`: how walk names it.
fn normal(path: &str) -> String {
    path.trim_start_matches("./")
        .trim_end_matches('/')
        .to_string()
}

/// The executable `name` in one of PATH's directories.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn run_one(job: &Job, build_dir: &Path, force: bool) -> Result<Built, PackageError> {
    let recipe = recipe(job)?;
    let key = key(job, &recipe)?;
    let home = build_dir.join(format!("{}.build", job.name()));
    let out = home.join("out");
    let stage = home.join("stage");
    let key_path = home.join("key");
    if !force
        && out.is_dir()
        && std::fs::read_to_string(&key_path).is_ok_and(|stored| stored == key)
    {
        return Ok(Built {
            dir: out,
            rebuilt: false,
        });
    }
    // Built again from the same inputs (`--force`): what the last build made, to compare.
    let before = match std::fs::read_to_string(&key_path) {
        Ok(stored) if stored == key && out.is_dir() => Some(output_key(&out)?),
        _ => None,
    };
    // The key goes first, so that a build stopped half-way is never taken as done.
    let _ = std::fs::remove_file(&key_path);
    for dir in [&out, &stage] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| PackageError::io(dir, e))?;
        }
    }
    if let Output::Staged { sources } = recipe.output {
        std::fs::create_dir_all(&stage).map_err(|e| PackageError::io(&stage, e))?;
        if sources == Sources::Before {
            copy_sources(job, &recipe, &stage)?;
        }
    }
    let ran = execute(job, &recipe, &stage);
    if ran.is_err() {
        let _ = std::fs::remove_dir_all(&stage);
    }
    ran?;
    std::fs::create_dir_all(&out).map_err(|e| PackageError::io(&out, e))?;
    match &recipe.output {
        Output::Dir(dir) => {
            let from = job.code_dir.join(dir);
            if !from.is_dir() {
                return Err(PackageError::Build(BuildError::NoOutput {
                    function: job.name().to_string(),
                    output: dir.clone(),
                    dir: job.code_dir.clone(),
                }));
            }
            copy_tree(&from, &out)?;
        }
        Output::CargoLambda => {
            let bootstrap = cargo_lambda_bootstrap(job)?;
            copy_file(&bootstrap, &out.join("bootstrap"), true)?;
        }
        Output::Staged { sources } => {
            if *sources == Sources::After {
                copy_sources(job, &recipe, &stage)?;
            }
            scrub(&stage)?;
            std::fs::remove_dir(&out).map_err(|e| PackageError::io(&out, e))?;
            std::fs::rename(&stage, &out).map_err(|e| PackageError::io(&stage, e))?;
        }
    }
    let _ = std::fs::remove_dir_all(&stage);
    for (name, handler) in job.functions.iter().zip(&job.handlers) {
        if let Some(message) = crate::spec::code_files::missing_after_build(
            &job.runtime,
            handler.as_deref(),
            &out,
            &job.excludes,
        ) {
            return Err(PackageError::Build(BuildError::Handler {
                function: name.clone(),
                message,
            }));
        }
    }
    if let Some(before) = before
        && before != output_key(&out)?
    {
        // The same inputs gave other bytes: the zip's CodeSha256 will change on every
        // build, and a plan will show a code change that is none. Said, not hidden.
        let _ = writeln!(
            std::io::stderr().lock(),
            "warning: function `{}`: the build's output differs from the last build of the same inputs (a timestamp, a random name or an absolute path in what it writes?); its zip will not be the same from one build to the next",
            job.name()
        );
    }
    std::fs::write(&key_path, &key).map_err(|e| PackageError::io(&key_path, e))?;
    Ok(Built {
        dir: out,
        rebuilt: true,
    })
}

/// The content key of a build's output: what its zip is made from.
fn output_key(out: &Path) -> Result<String, PackageError> {
    let nothing = walk::exclusions(&[])?;
    super::content_key(&walk::collect(out, &nothing)?)
}

/// The code directory's files but those the recipe never reads, into the staging copy
/// (`exclude` is applied when it is zipped).
fn copy_sources(job: &Job, recipe: &Recipe, stage: &Path) -> Result<(), PackageError> {
    let excluded = walk::exclusions(&recipe.not_inputs)?;
    for entry in walk::collect(&job.code_dir, &excluded)? {
        copy_file(&entry.path, &stage.join(entry.name()), entry.executable)?;
    }
    Ok(())
}

/// Removes what pip writes that differs between two installs of the same wheels: the
/// RECORD (it lists the `.pyc` files and installer paths), `direct_url.json` (where the
/// wheel was found), the INSTALLER, and compiled `__pycache__`.
fn scrub(dir: &Path) -> Result<(), PackageError> {
    let listing = std::fs::read_dir(dir).map_err(|e| PackageError::io(dir, e))?;
    for item in listing {
        let item = item.map_err(|e| PackageError::io(dir, e))?;
        let path = item.path();
        let name = item.file_name();
        let name = name.to_string_lossy();
        let is_dir = item
            .file_type()
            .map_err(|e| PackageError::io(&path, e))?
            .is_dir();
        if !is_dir && name == ".package-lock.json" && dir.ends_with("node_modules") {
            // npm's record of what it installed, a cache of package-lock.json.
            std::fs::remove_file(&path).map_err(|e| PackageError::io(&path, e))?;
        } else if is_dir && name == "__pycache__" {
            std::fs::remove_dir_all(&path).map_err(|e| PackageError::io(&path, e))?;
        } else if is_dir && name.ends_with(".dist-info") {
            for noisy in ["RECORD", "direct_url.json", "INSTALLER", "REQUESTED"] {
                let _ = std::fs::remove_file(path.join(noisy));
            }
        } else if is_dir {
            scrub(&path)?;
        }
    }
    Ok(())
}

/// The key: the builder's settings, runtime and architecture, and the inputs' bytes.
fn key(job: &Job, recipe: &Recipe) -> Result<String, PackageError> {
    let excluded = walk::exclusions(&recipe.not_inputs)?;
    let wanted = match &recipe.inputs {
        Some(globs) => Some(walk::glob_set(globs, normal)?),
        None => None,
    };
    let entries: Vec<walk::Entry> = walk::collect(&job.code_dir, &excluded)?
        .into_iter()
        .filter(|e| {
            wanted
                .as_ref()
                .is_none_or(|w| matches_or_under(w, e.name()))
        })
        .collect();
    let mut hasher = Sha256::new();
    hasher.update(b"slsr-build-1\0");
    hasher.update(
        serde_json::json!([job.build, job.runtime, job.arch, job.bundle])
            .to_string()
            .as_bytes(),
    );
    hasher.update(super::content_key(&entries)?.as_bytes());
    Ok(format!("{:x}", hasher.finalize()))
}

/// Whether `name` or a directory it is under matches (`src` takes `src/app.py`).
fn matches_or_under(set: &GlobSet, name: &str) -> bool {
    let mut prefix = name;
    loop {
        if set.is_match(prefix) {
            return true;
        }
        match prefix.rsplit_once('/') {
            Some((parent, _)) => prefix = parent,
            None => return false,
        }
    }
}

/// Runs the recipe's command in the code directory, each line of its output on stderr after
/// the function's name; a non-zero exit is an error with the last lines.
fn execute(job: &Job, recipe: &Recipe, stage: &Path) -> Result<(), PackageError> {
    let name = job.name();
    let out = match &recipe.output {
        Output::Dir(dir) => job.code_dir.join(dir),
        Output::CargoLambda => job.code_dir.join("target").join("lambda"),
        Output::Staged { .. } => stage.to_path_buf(),
    };
    let cwd = match recipe.output {
        Output::Staged {
            sources: Sources::Before,
        } => stage,
        _ => &job.code_dir,
    };
    let out = std::path::absolute(&out).unwrap_or(out);
    let spawn_error = |source| {
        PackageError::Build(BuildError::Spawn {
            function: name.to_string(),
            command: recipe.command.clone(),
            source,
        })
    };
    // One pipe for stdout and stderr, so that the lines keep the order they were written in
    // (an error on stderr after the output that led to it).
    let (reader, writer) = std::io::pipe().map_err(spawn_error)?;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(&recipe.command)
        .current_dir(cwd)
        .env("SLSR_BUILD_ARCH", job.arch)
        .env("SLSR_BUILD_RUNTIME", &job.runtime)
        .env("SLSR_BUILD_OUT", &out)
        .stdin(Stdio::null())
        .stdout(writer.try_clone().map_err(spawn_error)?)
        .stderr(writer);
    let mut child = command.spawn().map_err(spawn_error)?;
    // The parent's copies of the writer go with `command`, so the reader ends with the child.
    drop(command);
    let tail = Mutex::new(VecDeque::with_capacity(TAIL));
    relay(name, reader, &tail);
    let status = child.wait().map_err(spawn_error)?;
    if status.success() {
        return Ok(());
    }
    let status = match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => "was killed by a signal".to_string(),
    };
    Err(PackageError::Build(BuildError::Failed {
        function: name.to_string(),
        command: recipe.command.clone(),
        status,
        tail: tail.into_inner().expect("the tail").into(),
    }))
}

/// Copies a stream's lines to stderr as `NAME | line`, keeping the last few. A line that
/// looks secret (a token a build printed) is masked, in the stream and in the tail an error
/// quotes, as every other output of slsr's is.
fn relay(name: &str, stream: impl std::io::Read, tail: &Mutex<VecDeque<String>>) {
    for line in std::io::BufReader::new(stream).split(b'\n') {
        let Ok(line) = line else { break };
        let line =
            crate::engine::sensitive::redact(String::from_utf8_lossy(&line).trim_end_matches('\r'));
        let _ = writeln!(std::io::stderr().lock(), "{name} | {line}");
        let mut tail = tail.lock().expect("the tail");
        if tail.len() == TAIL {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

/// The `bootstrap` cargo-lambda made: there must be exactly one.
fn cargo_lambda_bootstrap(job: &Job) -> Result<PathBuf, PackageError> {
    let dir = job.code_dir.join("target").join("lambda");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| PackageError::io(&dir, e))?
        .filter_map(|item| Some(item.ok()?.path().join("bootstrap")))
        .filter(|path| path.is_file())
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(PackageError::Build(BuildError::Tool {
            function: job.name().to_string(),
            message: format!(
                "`cargo lambda build` left {n} binaries under {}; `build: rust` packages exactly one (use `build: {{command, output}}` to choose)",
                dir.display()
            ),
        })),
    }
}

/// Copies the files under `from` (links followed inside it, as packaging does) to `to`.
fn copy_tree(from: &Path, to: &Path) -> Result<(), PackageError> {
    let nothing = walk::exclusions(&[])?;
    for entry in walk::collect(from, &nothing)? {
        copy_file(&entry.path, &to.join(entry.name()), entry.executable)?;
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path, executable: bool) -> Result<(), PackageError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| PackageError::io(parent, e))?;
    }
    std::fs::copy(from, to).map_err(|e| PackageError::io(from, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode))
            .map_err(|e| PackageError::io(to, e))?;
    }
    Ok(())
}
