//! `pledger retract SEQ|UUID --reason TEXT`: void an earlier event. The
//! retracted event stays in the chain; projections stop seeing it.

use std::process::ExitCode;

use pledger::event::EventRef;
use serde_json::Value;

use super::record::{self, Draft, WriteArgs};
use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
pledger retract 12 --reason \"Recorded under the wrong announcement\"\n  \
pledger retract 0190f3a2-7c4e-7d2b-9a1e-3f5c6b7d8e9f --reason \"Duplicate of #14\" --dry-run\n\n\
The seq is the one `pledger log` and `pledger show` print (a leading # is accepted). Retracting a\n\
retraction restores its target. To correct an event, retract it and record the corrected one.")]
pub struct Args {
    /// The event to retract: its seq or its uuid.
    #[arg(value_name = "SEQ|UUID")]
    target: String,

    /// Why it is retracted.
    #[arg(long, value_name = "TEXT")]
    reason: String,

    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let target = args.target.strip_prefix('#').unwrap_or(&args.target);
    // A seq is a JSON number, a uuid a JSON string, as in a JSON line.
    let value = match target.parse::<u64>() {
        Ok(seq) => Value::from(seq),
        Err(_) => Value::from(target),
    };
    let mut draft = Draft::new("retraction");
    if serde_json::from_value::<EventRef>(value.clone()).is_ok() {
        draft.value::<EventRef>("retracts", "SEQ|UUID", value);
    } else {
        // serde's message for this untagged type lacks what was found.
        draft.problem(format!("SEQ|UUID: expected a seq number or an event uuid, found {:?}", args.target));
    }
    draft.field::<pledger::event::Text>("reason", "--reason", &args.reason);
    record::write(draft.finish()?, &args.write, ctx)
}
