//! The docs show specs that work: every ```yaml block in README.md and docs/*.md is written
//! to a scratch directory, with the code directories and handler files it names, and must
//! pass `slsr validate` with no problem at all. A block that is deliberately part of a spec
//! is marked ```yaml fragment, and must still parse as YAML.

use std::path::{Path, PathBuf};

use slsr::spec::{structure, yaml};

use crate::support::{run, scratch, slsr};

struct Block {
    /// `README.md:132`: where the block starts, for messages.
    at: String,
    fragment: bool,
    text: String,
}

/// The ```yaml blocks of a Markdown file, with the fence's indentation taken off (a block
/// may sit in a list item).
fn blocks(path: &Path) -> Vec<Block> {
    let name = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap()
        .display()
        .to_string();
    let text = std::fs::read_to_string(path).unwrap();
    let mut found = Vec::new();
    let mut open: Option<(usize, usize, bool, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```yaml") {
                    let fragment = match info.trim() {
                        "" => false,
                        "fragment" => true,
                        other => panic!("{name}:{}: unknown ```yaml info `{other}`", i + 1),
                    };
                    open = Some((i + 1, indent, fragment, String::new()));
                }
            }
            Some((start, fence, fragment, body)) => {
                if trimmed == "```" {
                    found.push(Block {
                        at: format!("{name}:{start}"),
                        fragment: *fragment,
                        text: std::mem::take(body),
                    });
                    open = None;
                } else {
                    body.push_str(line.get(*fence..).unwrap_or_else(|| line.trim_start()));
                    body.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "{name}: a ```yaml block is not closed");
    found
}

fn markdown_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The file a runtime loads for `handler`, as the docs' readers would have it.
fn handler_file(runtime: &str, handler: &str) -> Option<String> {
    if runtime.starts_with("provided") {
        return Some("bootstrap".into());
    }
    if runtime.starts_with("python") {
        let (module, _) = handler.rsplit_once('.')?;
        return Some(format!("{}.py", module.replace('.', "/")));
    }
    if runtime.starts_with("nodejs") {
        let (file, _) = handler.split_once('.')?;
        return Some(format!("{file}.js"));
    }
    None
}

/// Writes the code each function of `spec` names, holding its handler's file.
fn code_for(dir: &Path, spec: &str) {
    let (node, _) = yaml::parse(spec).unwrap();
    let json = structure::to_json(&node.unwrap());
    let defaults = &json["defaults"];
    let Some(functions) = json["functions"].as_object() else {
        return;
    };
    for function in functions.values() {
        if function.get("image").is_some() {
            continue;
        }
        let field = |name: &str| {
            function
                .get(name)
                .or_else(|| defaults.get(name))
                .and_then(|v| v.as_str())
        };
        let (Some(code), Some(handler), Some(runtime)) =
            (field("code"), field("handler"), field("runtime"))
        else {
            continue;
        };
        let Some(file) = handler_file(runtime, handler) else {
            continue;
        };
        let path = dir.join(code).join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }
}

#[test]
fn every_yaml_block_in_the_docs_validates_as_shown_or_is_marked_a_fragment() {
    let mut whole = 0;
    let mut failures = Vec::new();
    for file in markdown_files() {
        for (i, block) in blocks(&file).into_iter().enumerate() {
            if block.fragment {
                if let Err(e) = yaml::parse(&block.text) {
                    failures.push(format!("{}: a fragment that is not YAML: {e:?}", block.at));
                }
                continue;
            }
            whole += 1;
            let stem = file.file_stem().unwrap().to_string_lossy().to_lowercase();
            let dir = scratch(&format!("docs-{stem}-{i}"));
            std::fs::write(dir.join("slsr.yaml"), &block.text).unwrap();
            code_for(&dir, &block.text);
            let out = run(slsr().arg("validate").arg("-f").arg(dir.join("slsr.yaml")));
            if out.code != 0 || !out.stderr.contains("no problems found") {
                failures.push(format!(
                    "{}: does not validate as shown (mark a deliberate part of a spec ```yaml fragment):\n{}",
                    block.at, out.stderr
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(whole >= 3, "only {whole} whole specs in the docs");
}
