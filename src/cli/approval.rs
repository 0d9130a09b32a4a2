//! `apply --require-approval WHEN`: when apply stops for a person's `yes` whatever
//! `--auto-approve` or a saved plan say. `widening` is the pipeline's case: apply unattended,
//! but stop for a human when the change opens access (the plan's "Access this change
//! opens:" list, `engine::widening`, made from the changes apply runs, never read from a
//! saved plan); with nothing opened it goes ahead unasked. `any-change` asks before any
//! change. `never` leaves apply's own question as it was: asked unless `--auto-approve` or
//! a saved plan. The `yes` is read as apply's always is (`commands::answer`): on a terminal,
//! or a line piped in; with neither, apply refuses and changes nothing.

use std::process::ExitCode;

use crate::cli::RequireApproval;
use crate::cli::commands::{Ask, answer, confirm};
use crate::engine::plan::Plan;
use crate::render::widening::{TITLE, lines};

/// Asks `ask` when `mode` (or, for `never`, apply's own rule) wants it; `preapproved` is
/// `--auto-approve` or a saved plan. `Err` is the exit code of a refusal or a `no`.
pub(crate) fn approve(
    mode: RequireApproval,
    plan: &Plan,
    preapproved: bool,
    ask: &Ask,
) -> Result<(), ExitCode> {
    match mode {
        RequireApproval::Never if preapproved => Ok(()),
        RequireApproval::Never => confirm(ask),
        RequireApproval::AnyChange => answer(
            ask,
            &format!(
                "not {}ing: --require-approval any-change asks for `yes` before any change, and there is no terminal to ask on and no answer on stdin; pipe in `yes` to approve it",
                ask.verb.trim_end_matches('e')
            ),
        ),
        RequireApproval::Widening if plan.widening.is_empty() => Ok(()),
        RequireApproval::Widening => {
            let n = plan.widening.len();
            let question = format!(
                "This change opens access ({n} item{} under \"{TITLE}\"). {}",
                if n == 1 { "" } else { "s" },
                ask.question
            );
            let opened = lines(&plan.widening, |flags| flags);
            let refusal = format!(
                "not {}ing: this change opens access, and --require-approval widening asks for `yes` before it does, but there is no terminal to ask on and no answer on stdin. {TITLE}\n{}\nReview it, then approve it with `yes` on a terminal or piped in; nothing was changed.",
                ask.verb.trim_end_matches('e'),
                opened.join("\n")
            );
            let widening = Ask {
                question: &question,
                verb: ask.verb,
                declined: ask.declined,
            };
            answer(&widening, &refusal)
        }
    }
}
