//! A spec file's text and the positions in it that diagnostics point at.
//!
//! Positions are kept as 1-based line and column (in characters), the way editors count,
//! so that a diagnostic can be printed without re-scanning the file.

use std::path::{Path, PathBuf};

/// A place in a source file: where a YAML node starts and ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// 1-based line of the first character.
    pub line: usize,
    /// 1-based column (in characters) of the first character.
    pub col: usize,
    /// 1-based line of the position just past the last character.
    pub end_line: usize,
    /// 1-based column just past the last character.
    pub end_col: usize,
}

impl Span {
    pub fn point(line: usize, col: usize) -> Span {
        Span {
            line,
            col,
            end_line: line,
            end_col: col + 1,
        }
    }
}

/// The text of one spec file and the name it is shown under.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl AsRef<Path>, text: impl Into<String>) -> SourceFile {
        SourceFile {
            path: path.as_ref().to_path_buf(),
            text: text.into(),
        }
    }

    /// The name used in diagnostics: the path as the user gave it.
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: usize) -> Option<&str> {
        self.text
            .split('\n')
            .nth(line.checked_sub(1)?)
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
    }
}
