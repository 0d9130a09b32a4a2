//! The spec: `slsr.yaml` read, interpolated, validated and resolved into a `Project`.
//!
//! Nothing here does I/O except reading the spec file, resolving `code` paths (to check
//! that they stay in the project) and looking into them (for the handler's file), and
//! nothing knows of AWS's SDK.
//! The pipeline is in `load.rs`; each stage is its own module.

pub mod alarm_model;
pub mod alarm_rules;
mod build_rules;
pub mod code_files;
pub mod code_roots;
pub mod data_model;
pub mod data_rules;
pub mod diag;
pub mod domain_model;
pub mod domain_rules;
pub mod escalation;
mod event_names;
pub mod interpolate;
pub mod load;
pub mod messaging_model;
pub mod messaging_rules;
pub mod model;
pub mod names;
pub mod rest_auth_model;
pub mod rest_auth_rules;
pub mod rest_cors_model;
pub mod rest_cors_rules;
pub mod rest_key_model;
pub mod rest_key_rules;
pub mod rest_model;
mod rest_rules;
pub mod rest_stage_rules;
pub mod rules;
pub mod runtime;
pub mod schedule;
pub mod schema;
pub mod source;
pub mod state_machines;
pub mod stream_model;
pub mod stream_rules;
pub mod structure;
pub mod workflow_model;
pub mod yaml;

pub use load::{FileError, Loaded, Options, Project, Spans, load_bytes, load_file, load_source};
