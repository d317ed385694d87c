//! The reports of `check`: the exact `--json` document of CLI.md and its human rendering.

use crate::settings::{Faults, Limits};
use durable_interpreter::hl::observe::Outcome;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Inconclusive,
    Fail,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Fail => "fail",
        }
    }

    /// The exit code of CLI.md for this verdict.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Pass => 0,
            Verdict::Fail => 1,
            Verdict::Inconclusive => 3,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct SpecReport {
    pub spec: String,
    pub verdict: Verdict,
    pub limits: Limits,
    pub scenarios: Vec<ScenarioReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    pub faults: Faults,
    pub verdict: Verdict,
    pub equivalent: Option<bool>,
    pub models: Vec<ModelReport>,
    /// Models requested but not in this build, said once per scenario.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelReport {
    pub model: String,
    pub protocol: String,
    pub complete: bool,
    pub states: u64,
    pub unique_states: u64,
    pub max_depth: u32,
    pub seconds: f64,
    pub outcomes: Vec<BTreeMap<String, String>>,
    pub stuck: u64,
    pub refines_hl: Option<bool>,
    pub violations: Vec<ViolationReport>,
    pub states_per_second: f64,
    /// What stopped an incomplete search: `max-states`, `max-depth`, `time-limit` (not
    /// reproducible) or `violation`.
    pub stopped_by: Option<&'static str>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Serialize)]
pub struct ViolationReport {
    pub check: String,
    pub trace: Option<String>,
    pub length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<BTreeMap<String, String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<Vec<BTreeMap<String, String>>>,
    /// The counterexample as a timeline, for the human report (not in the JSON).
    #[serde(skip)]
    pub steps: Vec<crate::timeline::StepView>,
}

/// An outcome's compact JSON text, keys sorted bytewise.
pub fn outcome_json(o: &BTreeMap<String, String>) -> String {
    serde_json::to_string(o).expect("maps of strings serialize")
}

/// Outcomes free of duplicates and sorted by their compact JSON text (CLI.md), so that two
/// models are equivalent exactly when their lists are equal.
pub fn sorted_outcomes<'a>(
    outcomes: impl IntoIterator<Item = &'a Outcome>,
) -> Vec<BTreeMap<String, String>> {
    let mut v: Vec<(String, BTreeMap<String, String>)> = outcomes
        .into_iter()
        .map(|o| (outcome_json(&o.0), o.0.clone()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.dedup_by(|a, b| a.0 == b.0);
    v.into_iter().map(|(_, o)| o).collect()
}

pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    verdicts.into_iter().max().unwrap_or(Verdict::Pass)
}

/// The human report.
pub fn render(report: &SpecReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", report.spec);
    for s in &report.scenarios {
        let f = &s.faults;
        let _ = writeln!(
            out,
            "  scenario {}  [crashes {}, duplicates {}, lost commits {}, batch {}{}]",
            s.name,
            f.crashes,
            f.duplicates,
            f.lost_commits,
            f.batch.name(),
            if f.timeouts { ", timeouts" } else { "" }
        );
        for note in &s.notes {
            let _ = writeln!(out, "    note: {note}");
        }
        for m in &s.models {
            let status = match (m.verdict, m.stopped_by) {
                (Verdict::Inconclusive, Some(why)) => format!("inconclusive (stopped by {why})"),
                (v, _) => v.name().to_string(),
            };
            let _ = writeln!(
                out,
                "    {:<4} {}: {} states, {} unique, depth {}, {:.2} s ({:.0} states/s), {} outcome{}{}",
                m.protocol,
                status,
                m.states,
                m.unique_states,
                m.max_depth,
                m.seconds,
                m.states_per_second,
                m.outcomes.len(),
                if m.outcomes.len() == 1 { "" } else { "s" },
                match m.refines_hl {
                    Some(true) if m.model != "hl" => ", refines hl",
                    Some(false) => ", does NOT refine hl",
                    _ => "",
                }
            );
            for o in &m.outcomes {
                let _ = writeln!(out, "         {}", outcome_json(o));
            }
            for v in &m.violations {
                render_violation(&mut out, v);
            }
        }
        if let Some(eq) = s.equivalent {
            let _ = writeln!(
                out,
                "    equivalent to hl: {}",
                if eq { "yes" } else { "NO" }
            );
        }
        let _ = writeln!(out, "    verdict: {}", s.verdict.name());
    }
    let _ = writeln!(out, "verdict: {}", report.verdict.name());
    out
}

fn render_violation(out: &mut String, v: &ViolationReport) {
    let _ = writeln!(out, "      VIOLATED {}", v.check);
    if let Some(m) = &v.message {
        let _ = writeln!(out, "        {m}");
    }
    for (label, list) in [("missing", &v.missing), ("extra", &v.extra)] {
        if let Some(list) = list {
            for o in list {
                let _ = writeln!(out, "        {label}: {}", outcome_json(o));
            }
        }
    }
    if let Some(len) = v.length {
        let _ = writeln!(out, "        counterexample, {len} steps:");
        for line in crate::timeline::render(&v.steps).lines() {
            let _ = writeln!(out, "        {line}");
        }
    }
    if let Some(t) = &v.trace {
        let _ = writeln!(out, "        trace: {t}");
    }
}
