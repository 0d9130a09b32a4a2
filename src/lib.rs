//! slsr: deploy AWS Lambda applications from one YAML spec.
//!
//! The library holds everything; the `slsr` binary (`main.rs`) is glue that parses flags,
//! calls into here and turns results into exit codes. The modules follow the flow (see
//! ARCHITECTURE.md): `spec` reads and checks the file, `package` zips the code, `engine`
//! builds the desired state, diffs it with the live one and keeps plans, `kinds` describes
//! each resource kind, `aws` reads the account, `apply` makes the changes, `render` prints
//! plans, and `cli` ties them to the commands.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod engine;
pub mod kinds;
pub mod package;
pub mod render;
pub mod spec;
