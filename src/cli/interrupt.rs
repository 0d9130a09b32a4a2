//! Stopping an apply or destroy part-way without leaving a mess: on SIGINT or SIGTERM, or
//! when the deploy lock is lost.
//!
//! Before any change starts (waiting for the lock, planning, asking for `yes`) there is
//! nothing to finish: the first signal releases the lock (or what an attempt in flight may
//! have taken) and exits. Once changes run, the first signal stops new ones as a failure
//! does: the calls in flight finish, so the account is left as the next `plan` describes
//! it, then apply reports what was done and not done, releases the lock and exits 130
//! (SIGINT) or 143 (SIGTERM). A second signal exits at once after a best-effort release. A
//! lost lock stops new changes the same way and fails the apply.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::apply::Report;
use crate::aws::lock::Lock;

/// Why an apply stopped before its end.
#[derive(Debug, Clone)]
pub enum Reason {
    Signal(Caught),
    /// The sentence `Lock::keep_renewed` gave.
    LockLost(String),
}

/// A signal caught: its name and the exit code a shell gives a process it killed.
#[derive(Debug, Clone, Copy)]
pub struct Caught {
    pub name: &'static str,
    pub code: u8,
}

const SIGINT: Caught = Caught {
    name: "SIGINT",
    code: 130,
};
#[cfg(unix)]
const SIGTERM: Caught = Caught {
    name: "SIGTERM",
    code: 143,
};

/// Where the run is: what a first signal does depends on it.
const PREPARING: u8 = 0;
const APPLYING: u8 = 1;
const EXITING: u8 = 2;

/// The stop state of one apply or destroy, shared by the command, the signal watcher, the
/// lock's renewal and the `Applier` (through `flag`).
#[derive(Clone)]
pub struct Interrupts {
    shared: Arc<Shared>,
}

struct Shared {
    stop: Arc<AtomicBool>,
    reason: Mutex<Option<Reason>>,
    phase: AtomicU8,
    lock: Mutex<Option<Lock>>,
}

impl Interrupts {
    /// Catches SIGINT and SIGTERM for the rest of the process, on `runtime`. If the
    /// signals cannot be caught, they keep their default (the process ends), as before.
    pub fn install(runtime: &tokio::runtime::Runtime) -> Interrupts {
        let interrupts = Interrupts {
            shared: Arc::new(Shared {
                stop: Arc::default(),
                reason: Mutex::new(None),
                phase: AtomicU8::new(PREPARING),
                lock: Mutex::new(None),
            }),
        };
        let _entered = runtime.enter();
        match Signals::catch() {
            Ok(signals) => {
                runtime.spawn(watch(interrupts.shared.clone(), signals));
            }
            Err(e) => warn(&format!(
                "cannot catch SIGINT and SIGTERM ({e}): a signal will end slsr without releasing the deploy lock"
            )),
        }
        interrupts
    }

    /// The lock a signal must release, set before the first attempt to take it.
    pub fn guard(&self, lock: Lock) {
        *self
            .shared
            .lock
            .lock()
            .expect("no panic holding the lock slot") = Some(lock);
    }

    /// Set once no new change may start; the `Applier` checks it before each change.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.shared.stop.clone()
    }

    /// Stops new changes for `reason` (a lost lock), keeping the first reason given.
    pub fn stop(&self, reason: Reason) {
        if let Reason::LockLost(why) = &reason {
            error(&format!("{why}; no new change starts"));
        }
        self.shared.stop_for(reason);
    }

    /// Why the run was stopped, if it was.
    pub fn reason(&self) -> Option<Reason> {
        self.shared
            .reason
            .lock()
            .expect("no panic holding the reason")
            .clone()
    }

    /// Changes are about to start: from now on a first signal lets running ones finish. If
    /// a signal came first, the watcher is releasing the lock and ending the process, and
    /// this waits for it rather than start anything.
    pub fn applying(&self) {
        let phase = &self.shared.phase;
        if phase
            .compare_exchange(PREPARING, APPLYING, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            loop {
                std::thread::park();
            }
        }
    }
}

impl Shared {
    fn stop_for(&self, reason: Reason) {
        let mut first = self.reason.lock().expect("no panic holding the reason");
        first.get_or_insert(reason);
        self.stop.store(true, Ordering::SeqCst);
    }

    fn lock(&self) -> Option<Lock> {
        self.lock
            .lock()
            .expect("no panic holding the lock slot")
            .clone()
    }
}

/// What the signals do: see the module's comment.
async fn watch(shared: Arc<Shared>, mut signals: Signals) {
    let first = signals.next().await;
    shared.stop_for(Reason::Signal(first));
    let before_changes = shared
        .phase
        .compare_exchange(PREPARING, EXITING, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if before_changes {
        let lock = shared.lock();
        let releasing = if lock.is_some() {
            "; releasing the deploy lock"
        } else {
            ""
        };
        error(&format!(
            "{}: stopped before any change was made{releasing}",
            first.name
        ));
        if let Some(lock) = lock {
            tokio::select! {
                released = lock.release() => report_release(released, &lock),
                again = signals.next() => std::process::exit(again.code.into()),
            }
        }
        std::process::exit(first.code.into());
    }
    let releases = if shared.lock().is_some() {
        " releases the deploy lock and"
    } else {
        ""
    };
    error(&format!(
        "{}: the changes in flight finish, no new change starts; then slsr{releases} exits. Send it again to exit at once.",
        first.name
    ));
    let second = signals.next().await;
    error(&format!("{}: exiting now", second.name));
    if let Some(lock) = shared.lock() {
        match tokio::time::timeout(Duration::from_secs(5), lock.release()).await {
            Ok(released) => report_release(released, &lock),
            Err(_) => report_release(Err("no answer in 5s from the lock table"), &lock),
        }
    }
    std::process::exit(second.code.into());
}

fn report_release<E: std::fmt::Display>(released: Result<(), E>, lock: &Lock) {
    if let Err(e) = released {
        warn(&format!(
            "could not release the deploy lock {}: {e}; release it with `slsr unlock {}`",
            lock.id(),
            lock.id()
        ));
    }
}

/// The end of an apply (or a destroy, `command`) that was stopped: what was done and not
/// done, and the exit code (the signal's, or 1 for a lost lock).
pub fn report_stopped(report: &Report, reason: &Reason, command: &str) -> ExitCode {
    for e in &report.failed {
        error(&e.to_string());
    }
    let (why, code) = match reason {
        Reason::Signal(caught) => (caught.name, ExitCode::from(caught.code)),
        Reason::LockLost(_) => ("the deploy lock was lost", ExitCode::FAILURE),
    };
    let mut err = anstream::stderr().lock();
    let mut title = command.to_string();
    title[..1].make_ascii_uppercase();
    let _ = writeln!(
        err,
        "{title} stopped after {:.1}s ({why}): {}",
        report.took.as_secs_f64(),
        report.tally()
    );
    let _ = writeln!(
        err,
        "Run `slsr plan` to see where the account stands, and `slsr {command}` again to finish."
    );
    code
}

/// SIGINT and SIGTERM where the platform has both, Ctrl-C elsewhere. `slsr logs --follow`
/// waits on them too.
#[cfg(unix)]
pub(crate) struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    pub(crate) fn catch() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    pub(crate) async fn next(&mut self) -> Caught {
        tokio::select! {
            _ = self.interrupt.recv() => SIGINT,
            _ = self.terminate.recv() => SIGTERM,
        }
    }
}

#[cfg(not(unix))]
pub(crate) struct Signals;

#[cfg(not(unix))]
impl Signals {
    pub(crate) fn catch() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    pub(crate) async fn next(&mut self) -> Caught {
        let _ = tokio::signal::ctrl_c().await;
        SIGINT
    }
}

fn warn(message: &str) {
    let style = anstyle::AnsiColor::Yellow.on_default().bold();
    let _ = writeln!(
        anstream::stderr().lock(),
        "{style}warning{style:#}: {message}"
    );
}

fn error(message: &str) {
    let style = anstyle::AnsiColor::Red.on_default().bold();
    let _ = writeln!(
        anstream::stderr().lock(),
        "{style}error{style:#}: {message}"
    );
}
