//! Lambda runtimes: which exist, which are deprecated, and what replaces them.
//!
//! Kept as a table so that a new runtime is one line. A runtime Lambda refuses for new
//! functions is an error; one that is deprecated but still deployable is a warning.

/// Runtimes Lambda accepts today.
pub const SUPPORTED: &[&str] = &[
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "java11",
    "java17",
    "java21",
    "java25",
    "java8.al2",
    "dotnet8",
    "dotnet10",
    "ruby3.3",
    "ruby3.4",
    "provided.al2",
    "provided.al2023",
];

/// Deprecated runtimes and what to move to. `blocked` ones can no longer be deployed.
pub const DEPRECATED: &[(&str, &str, bool)] = &[
    ("nodejs", "nodejs22.x", true),
    ("nodejs4.3", "nodejs22.x", true),
    ("nodejs6.10", "nodejs22.x", true),
    ("nodejs8.10", "nodejs22.x", true),
    ("nodejs10.x", "nodejs22.x", true),
    ("nodejs12.x", "nodejs22.x", true),
    ("nodejs14.x", "nodejs22.x", true),
    ("nodejs16.x", "nodejs22.x", true),
    ("nodejs18.x", "nodejs22.x", false),
    ("python2.7", "python3.13", true),
    ("python3.6", "python3.13", true),
    ("python3.7", "python3.13", true),
    ("python3.8", "python3.13", true),
    ("python3.9", "python3.13", false),
    ("java8", "java21", true),
    ("go1.x", "provided.al2023", true),
    ("provided", "provided.al2023", true),
    ("dotnetcore1.0", "dotnet8", true),
    ("dotnetcore2.0", "dotnet8", true),
    ("dotnetcore2.1", "dotnet8", true),
    ("dotnetcore3.1", "dotnet8", true),
    ("dotnet5.0", "dotnet8", true),
    ("dotnet6", "dotnet8", true),
    ("dotnet7", "dotnet8", true),
    ("ruby2.5", "ruby3.4", true),
    ("ruby2.7", "ruby3.4", true),
    ("ruby3.2", "ruby3.4", false),
];

pub enum Status {
    Supported,
    /// Deprecated: the successor, and whether Lambda refuses it outright.
    Deprecated {
        successor: &'static str,
        blocked: bool,
    },
    Unknown,
}

pub fn status(runtime: &str) -> Status {
    if SUPPORTED.contains(&runtime) {
        return Status::Supported;
    }
    match DEPRECATED.iter().find(|(name, _, _)| *name == runtime) {
        Some((_, successor, blocked)) => Status::Deprecated {
            successor,
            blocked: *blocked,
        },
        None => Status::Unknown,
    }
}
