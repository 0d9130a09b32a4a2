//! The engine: the desired state a project asks for, the diff against the live state, and
//! plans, made (`make`), shown by `render` and saved (`saved`). Pure but for `make`, which
//! calls the packager and the AWS reader.

pub mod cost;
pub mod desired;
pub mod grants;
pub mod graph;
pub mod make;
pub mod model;
pub mod normalize;
pub mod outputs;
pub mod plan;
pub mod policy;
pub mod prices;
pub mod quota;
pub mod saved;
pub mod sensitive;
pub mod ssm;
pub mod target;
pub mod usage_cost;
pub mod widening;
