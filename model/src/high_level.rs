//! The adapter that puts the high-level model behind the protocol seam (identity
//! abstraction), so one checker serves HL and every execution model.

use crate::protocol::{Protocol, ProtocolInfo};
use durable_interpreter::hl::{Action, Config, ExternLog, Hl, HlState};
use durable_interpreter::load::{Input, ScenarioDef};
use std::borrow::Cow;

pub const HL_INFO: ProtocolInfo = ProtocolInfo {
    name: "hl",
    model: "hl",
    refines: "hl",
    description: "the high-level semantics: fault-free, the specification",
    broken: false,
};

pub struct HighLevel(pub Hl);

/// The lane of client input `i`: the instance it starts or the entity it signals.
pub fn input_lane(scenario: &ScenarioDef, i: u32) -> String {
    match scenario.inputs.get(i as usize) {
        Some(Input::Start { instance, .. }) | Some(Input::Raise { instance, .. }) => {
            instance.to_string()
        }
        Some(Input::Signal { entity, .. }) => entity.to_string(),
        None => "client".into(),
    }
}

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

    fn lane(&self, _: &HlState, action: &Action) -> String {
        match action {
            Action::Input(i) => input_lane(self.0.scenario(), *i),
            Action::RunOrchestration { instance, .. } => instance.to_string(),
            Action::RunActivity { task, .. } | Action::Timeout { task } => {
                format!("activity {task}")
            }
            Action::Serve { entity, .. } => entity.to_string(),
            Action::FireTimer { to } => to.instance.to_string(),
        }
    }
}
