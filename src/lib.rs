//! slsr: deploy AWS Lambda applications from one YAML spec.
//!
//! The library holds everything; the `slsr` binary (`main.rs`) is glue that parses flags,
//! calls into here and turns results into exit codes. See ARCHITECTURE.md for the map.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod desired;
pub mod diag;
pub mod escape;
pub mod interrupt;
pub mod model;
pub mod normalize;
pub mod package;
pub mod plan;
pub mod planning;
pub mod progress;
pub mod render;
pub mod saved;
pub mod sensitive;
pub mod source;
pub mod spec;
pub mod ssm;
pub mod yaml;
