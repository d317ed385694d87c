//! The protocol seam (DESIGN.md §4): what every model — the high-level semantics, the
//! execution models and their broken variants, and the protocols researchers add — offers the
//! checker. The checker explores any [`Protocol`]; it never looks inside a state except
//! through [`Protocol::abstraction`].

use durable_interpreter::hl::{Config, ExternLog};
use std::borrow::Cow;
use std::fmt::{Debug, Display};
use std::hash::Hash;

/// What a protocol is, for `durable protocols` and reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolInfo {
    /// `hl`, `cs`, `rr`, or a variant's name such as `cs-blind-commit`.
    pub name: &'static str,
    /// The model it belongs to: `hl`, `cs` or `rr`.
    pub model: &'static str,
    /// The specification it refines: `hl` for every protocol so far.
    pub refines: &'static str,
    pub description: &'static str,
    /// A deliberately broken variant (a mutant the checker must reject).
    pub broken: bool,
}

/// A model of Durable Functions that the checker can explore.
pub trait Protocol: Send + Sync {
    /// A state: canonical (equal states are equal values), cheap to clone, stable to hash.
    type State: Clone + Eq + Hash + Debug + Send + Sync;
    /// A step. Its `Display` text names it uniquely among the steps enabled in a state; trace
    /// files record that text.
    type Action: Clone + Eq + Hash + Debug + Display + Send + Sync;

    fn info(&self) -> &ProtocolInfo;

    /// The initial state of the scenario.
    fn init(&self) -> Self::State;

    /// Every enabled step (faults within the budget included) with its successor, in a fixed
    /// order.
    fn successors(&self, s: &Self::State, out: &mut Vec<(Self::Action, Self::State)>);

    /// The HL configuration `s` stands for.
    fn abstraction<'s>(&self, s: &'s Self::State) -> Cow<'s, Config>;

    /// The extern calls made so far (observable in outcomes).
    fn externs<'s>(&self, s: &'s Self::State) -> &'s ExternLog;

    /// A violation that `s` itself is, whatever the properties say: its check kind and a
    /// message (`replay-divergence` in record-replay).
    fn violation(&self, _s: &Self::State) -> Option<(String, String)> {
        None
    }

    /// The column a step belongs to in a timeline: the instance, entity or activity that acts
    /// (a client input belongs to what it addresses).
    fn lane(&self, s: &Self::State, action: &Self::Action) -> String;

    /// The successor of the step named `action` (its `Display` text), if it is enabled.
    fn step_named(&self, s: &Self::State, action: &str) -> Option<(Self::Action, Self::State)> {
        let mut out = Vec::new();
        self.successors(s, &mut out);
        out.into_iter().find(|(a, _)| a.to_string() == action)
    }
}
