//! The checks one state violates on its own — what `run` checks along its execution and what
//! `replay` checks at the end of a trace. (The explorer checks the same things, once per
//! state, with its own bookkeeping.)

use crate::explore::{explore, Bounds, Checks};
use crate::fingerprint::{fingerprint, FingerprintSet};
use durable_interpreter::hl::observe::{holds, outcome, stuck, Outcome};
use durable_interpreter::hl::Hl;
use durable_interpreter::load::{ScenarioDef, Spec};
use durable_interpreter::syntax::ast::PropertyKind;
use durable_model::high_level::HighLevel;
use durable_model::protocol::Protocol;
use std::collections::BTreeSet;

/// What the high-level model can reach, for refinement and equivalence.
pub struct HlReference {
    pub configs: FingerprintSet,
    pub outcomes: BTreeSet<Outcome>,
    pub complete: bool,
}

impl HlReference {
    /// Explores HL to completion (within the bounds).
    pub fn explore(hl: Hl, bounds: Bounds) -> HlReference {
        let spec = hl.spec.clone();
        let scenario = &spec.scenarios[hl.scenario];
        let checks = Checks {
            spec: &spec,
            scenario,
            refines: None,
            continue_all: true,
            stop_unless: None,
            collect_configs: true,
            threads: 1,
            bounds,
            hl_outcomes: None,
            progress: false,
            label: "hl".into(),
        };
        let ex = explore(&HighLevel(hl), &checks);
        HlReference {
            configs: ex.configs,
            outcomes: ex.outcomes,
            complete: ex.complete,
        }
    }
}

/// A violated check: its name in reports, and what more there is to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violated {
    pub check: String,
    pub message: Option<String>,
}

fn property_message(
    verdict: &Result<bool, durable_interpreter::value::Value>,
) -> Option<Option<String>> {
    match verdict {
        Ok(true) => None,
        Ok(false) => Some(None),
        Err(e) => Some(Some(format!("evaluating the property raised {e}"))),
    }
}

/// The checks `s` violates: `always` properties, the protocol's own violation, refinement
/// (given HL's configurations); in a terminal state also `finally` properties, deadlock and
/// equivalence (given HL's outcomes).
pub fn violations_at<P: Protocol>(
    p: &P,
    spec: &Spec,
    scenario: &ScenarioDef,
    s: &P::State,
    terminal: bool,
    hl: Option<&HlReference>,
) -> Vec<Violated> {
    let mut out = Vec::new();
    let config = p.abstraction(s);
    if let Some((kind, message)) = p.violation(s) {
        out.push(Violated {
            check: kind,
            message: Some(message),
        });
    }
    if let Some(hl) = hl.filter(|h| h.complete) {
        if !hl.configs.contains(&fingerprint(&*config)) {
            out.push(Violated {
                check: "refinement".into(),
                message: Some("a configuration the high-level model cannot reach".into()),
            });
        }
    }
    for prop in &scenario.properties {
        let applies = match prop.kind {
            PropertyKind::Always => true,
            PropertyKind::Finally => terminal,
            PropertyKind::Sometimes => false,
        };
        if !applies {
            continue;
        }
        if let Some(message) = property_message(&holds(spec, &config, &prop.code)) {
            out.push(Violated {
                check: prop.name.clone(),
                message,
            });
        }
    }
    if terminal {
        let running = stuck(&config);
        if !running.is_empty() {
            out.push(Violated {
                check: "deadlock".into(),
                message: Some(format!("still running: {}", running.join(", "))),
            });
        }
        if let Some(hl) = hl.filter(|h| h.complete) {
            if !hl
                .outcomes
                .contains(&outcome(scenario, &config, p.externs(s)))
            {
                out.push(Violated {
                    check: "equivalence".into(),
                    message: Some("a terminal outcome the high-level model cannot produce".into()),
                });
            }
        }
    }
    out
}
