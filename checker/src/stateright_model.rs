//! Any protocol as a stateright [`Model`], with the scenario's `always` and `sometimes`
//! properties: what stateright's Explorer UI and its own checkers run. `durable check` uses
//! [`crate::explore`] instead; a test checks that both engines count the same states.

use durable_interpreter::hl::observe::holds;
use durable_interpreter::load::{ScenarioDef, Spec};
use durable_interpreter::syntax::ast::PropertyKind;
use durable_model::protocol::Protocol;
use stateright::{Model, Property};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};

/// A protocol with the spec and scenario its properties come from.
pub struct StaterightModel<P: Protocol> {
    pub protocol: P,
    pub spec: Arc<Spec>,
    pub scenario: usize,
}

impl<P: Protocol> StaterightModel<P> {
    fn scenario(&self) -> &ScenarioDef {
        &self.spec.scenarios[self.scenario]
    }

    /// Does the `k`-th `always`/`sometimes` property hold in `s`? An evaluation error counts as
    /// "does not hold".
    fn holds_property(&self, k: usize, s: &P::State) -> bool {
        let Some(prop) = self.checked_properties().nth(k) else {
            return true;
        };
        holds(&self.spec, &self.protocol.abstraction(s), &prop.code).unwrap_or(false)
    }

    fn checked_properties(&self) -> impl Iterator<Item = &durable_interpreter::load::PropertyDef> {
        self.scenario()
            .properties
            .iter()
            .filter(|p| p.kind != PropertyKind::Finally)
    }
}

/// Property names live for the whole process (stateright wants `&'static str`): each distinct
/// name is stored once.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(|| Mutex::new(BTreeSet::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// stateright takes property conditions as `fn` pointers; one instance per property slot.
fn condition<P: Protocol, const K: usize>(m: &StaterightModel<P>, s: &P::State) -> bool {
    m.holds_property(K, s)
}

macro_rules! slots {
    ($($k:literal)*) => {
        fn slot<P: Protocol>(k: usize) -> Option<fn(&StaterightModel<P>, &P::State) -> bool> {
            match k {
                $($k => Some(condition::<P, $k>),)*
                _ => None,
            }
        }
    };
}

slots!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);

impl<P: Protocol> Model for StaterightModel<P> {
    type State = P::State;
    type Action = P::Action;

    fn init_states(&self) -> Vec<P::State> {
        vec![self.protocol.init()]
    }

    fn actions(&self, s: &P::State, actions: &mut Vec<P::Action>) {
        let mut out = Vec::new();
        self.protocol.successors(s, &mut out);
        actions.extend(out.into_iter().map(|(a, _)| a));
    }

    fn next_state(&self, s: &P::State, action: P::Action) -> Option<P::State> {
        let mut out = Vec::new();
        self.protocol.successors(s, &mut out);
        out.into_iter().find(|(a, _)| *a == action).map(|(_, s)| s)
    }

    fn format_action(&self, action: &P::Action) -> String {
        action.to_string()
    }

    /// The scenario's `always` and `sometimes` properties (the first 32 of them).
    fn properties(&self) -> Vec<Property<Self>> {
        self.checked_properties()
            .enumerate()
            .filter_map(|(k, p)| {
                let cond = slot::<P>(k)?;
                let name = intern(&p.name);
                Some(match p.kind {
                    PropertyKind::Always => Property::always(name, cond),
                    _ => Property::sometimes(name, cond),
                })
            })
            .collect()
    }
}
