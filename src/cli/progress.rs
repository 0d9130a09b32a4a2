//! Apply's progress: on a terminal, a live view of the changes in flight (a spinner each);
//! elsewhere (CI), one plain line per change as it finishes, with its duration.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::{Done, Event, Progress};
use crate::engine::plan::Action;
use crate::render::escape::printable;

fn verb(action: Action, done: bool) -> &'static str {
    match (action, done) {
        (Action::Create, false) => "creating",
        (Action::Create, true) => "created",
        (Action::Delete, false) => "destroying",
        (Action::Delete, true) => "destroyed",
        (_, false) => "updating",
        (_, true) => "updated",
    }
}

/// The line printed when a change finishes: `  + function.api created in 0.4s`.
pub fn finished_line(done: &Done) -> String {
    format!(
        "  {} {} {} in {:.1}s",
        done.action.symbol(),
        printable(&done.address),
        verb(done.action, true),
        done.took.as_secs_f64()
    )
}

/// A progress reporter: live when `live` (stdout is a terminal), plain lines otherwise.
pub fn reporter(live: bool) -> Progress {
    if !live {
        return Arc::new(|event| {
            if let Event::Finished(done) = event {
                let _ = writeln!(anstream::stdout().lock(), "{}", finished_line(done));
            }
        });
    }
    let view = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
    let bars: Arc<Mutex<HashMap<String, ProgressBar>>> = Arc::default();
    let style =
        ProgressStyle::with_template("  {spinner} {msg} ({elapsed})").expect("a valid template");
    Arc::new(move |event| match event {
        Event::Started { address, action } => {
            let bar = view.add(
                ProgressBar::new_spinner()
                    .with_style(style.clone())
                    .with_message(format!("{} {}", printable(address), verb(action, false))),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            bars.lock()
                .expect("no panic holding the bars")
                .insert(address.to_string(), bar);
        }
        Event::Finished(done) => {
            if let Some(bar) = bars
                .lock()
                .expect("no panic holding the bars")
                .remove(&done.address)
            {
                bar.finish_and_clear();
                view.remove(&bar);
            }
            let _ = view.println(finished_line(done));
        }
        Event::Failed { address } => {
            if let Some(bar) = bars
                .lock()
                .expect("no panic holding the bars")
                .remove(address)
            {
                bar.abandon_with_message(format!("{} failed", printable(address)));
            }
        }
    })
}
