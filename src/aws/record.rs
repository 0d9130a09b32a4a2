//! Which change made each AWS call: apply runs each change inside `CHANGE`, and an
//! interceptor on every client notes each operation once (retries of one attempt are not
//! new calls) with the change it was made for. Apply's `-v` listing and `--dry-run` both
//! print these notes, so what a dry run shows is what the same writers call.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The change a task is making, and where its calls are noted.
#[derive(Clone, Debug)]
pub struct InChange {
    pub address: String,
    pub recorder: Arc<Recorder>,
}

tokio::task_local! {
    /// Set around each change apply makes.
    pub static CHANGE: InChange;
}

/// One call, by `Service.Operation`, and the change it was made for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub operation: String,
    pub change: String,
}

impl Call {
    /// Reads (a look-up before a write, a wait for a function to be ready) against writes.
    pub fn is_read(&self) -> bool {
        let operation = self.operation.rsplit('.').next().unwrap_or_default();
        ["Get", "List", "Describe"]
            .iter()
            .any(|verb| operation.starts_with(verb))
    }
}

/// Every call noted, in the order they were made.
#[derive(Debug, Default)]
pub struct Recorder(Mutex<Vec<Call>>);

impl Recorder {
    pub fn calls(&self) -> Vec<Call> {
        self.0.lock().expect("no panic while recording").clone()
    }

    /// The writes, by operation.
    pub fn write_counts(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for call in self.calls().into_iter().filter(|c| !c.is_read()) {
            *counts.entry(call.operation).or_default() += 1;
        }
        counts
    }

    /// The writes made for `change`, in order.
    pub fn writes_of(&self, change: &str) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| c.change == change && !c.is_read())
            .map(|c| c.operation)
            .collect()
    }
}

/// Notes each operation, once (before it is serialized; attempts come after), when it runs
/// inside a change.
#[derive(Debug)]
pub struct RecordCalls;

impl Intercept for RecordCalls {
    fn name(&self) -> &'static str {
        "RecordCalls"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (Some(meta), Ok(change)) = (cfg.load::<Metadata>(), CHANGE.try_with(Clone::clone))
        else {
            return Ok(());
        };
        // The SDK names CloudWatch Logs with a space; slsr's names do not.
        let operation = format!("{}.{}", meta.service().replace(' ', ""), meta.name());
        change
            .recorder
            .0
            .lock()
            .expect("no panic while recording")
            .push(Call {
                operation,
                change: change.address,
            });
        Ok(())
    }
}
