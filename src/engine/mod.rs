//! The engine: the desired state a project asks for, the diff against the live state, and
//! plans, made (`make`), shown by `render` and saved (`saved`). Pure but for `make`, which
//! calls the packager and the AWS reader.

pub mod desired;
pub mod graph;
pub mod make;
pub mod model;
pub mod normalize;
pub mod outputs;
pub mod plan;
pub mod policy;
pub mod saved;
pub mod sensitive;
pub mod ssm;
pub mod target;
