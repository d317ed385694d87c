//! The adapter that puts the high-level model behind the protocol seam (identity
//! abstraction), so one checker serves HL and every execution model.

use crate::protocol::{Protocol, ProtocolInfo};
use durable_interpreter::hl::{Action, Config, ExternLog, Hl, HlState};
use std::borrow::Cow;

pub const HL_INFO: ProtocolInfo = ProtocolInfo {
    name: "hl",
    model: "hl",
    refines: "hl",
    description: "the high-level semantics: fault-free, the specification",
    broken: false,
};

pub struct HighLevel(pub Hl);

impl Protocol for HighLevel {
    type State = HlState;
    type Action = Action;

    fn info(&self) -> &ProtocolInfo {
        &HL_INFO
    }

    fn init(&self) -> HlState {
        self.0.init()
    }

    fn successors(&self, s: &HlState, out: &mut Vec<(Action, HlState)>) {
        self.0.successors(s, out)
    }

    fn abstraction<'s>(&self, s: &'s HlState) -> Cow<'s, Config> {
        Cow::Borrowed(&s.config)
    }

    fn externs<'s>(&self, s: &'s HlState) -> &'s ExternLog {
        &s.externs
    }
}
