//! `durable replay TRACE`: re-executes a trace exactly and says whether its violation
//! reproduces (exit 1), it is a passing run that reproduces (exit 0), or it does not
//! reproduce (exit 2, naming the first step that differs).

use crate::error::{CliError, CliResult};
use crate::explore::Bounds;
use crate::registry::{with_protocol, ProtocolTask, Target};
use crate::settings::{Faults, Settings};
use crate::timeline::{follow, StepView};
use crate::trace::{read_trace, spec_hash, write_file, TraceFile};
use crate::verdict::{violations_at, HlReference};
use durable_interpreter::load::{load_path, ScenarioDef, Spec};
use durable_interpreter::syntax::ast::BatchMode;
use durable_model::protocol::Protocol;
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Serialize)]
pub struct ReplayReport {
    pub trace: String,
    pub spec: String,
    pub scenario: String,
    pub protocol: String,
    pub check: Option<String>,
    /// The trace re-executed step by step and ended as it says (its violation, or a pass).
    pub reproduced: bool,
    /// The spec's text differs from the one the trace was written against.
    pub spec_changed: bool,
    /// The first step that is not enabled any more, when the trace does not re-execute.
    pub first_difference: Option<Difference>,
    /// What does not reproduce, when that is not a step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub steps: Vec<StepView>,
}

#[derive(Debug, Serialize)]
pub struct Difference {
    /// 1-based.
    pub step: usize,
    pub action: String,
}

impl ReplayReport {
    /// The exit code of CLI.md: 1 for a reproduced violation, 0 for a reproduced passing run,
    /// 2 when the trace does not reproduce.
    pub fn exit_code(&self) -> i32 {
        match (self.reproduced, &self.check) {
            (true, Some(_)) => 1,
            (true, None) => 0,
            (false, _) => 2,
        }
    }
}

/// The settings a trace was written under.
pub fn settings_of(trace: &TraceFile) -> CliResult<Settings> {
    let batch = BatchMode::parse(&trace.faults.batch).ok_or_else(|| {
        CliError::Usage(format!(
            "trace: unknown batch mode `{}`",
            trace.faults.batch
        ))
    })?;
    Ok(Settings {
        faults: Faults {
            crashes: trace.faults.crashes,
            duplicates: trace.faults.duplicates,
            lost_commits: trace.faults.lost_commits,
            timeouts: trace.faults.timeouts,
            batch,
        },
        lock_activities: trace.lock_activities,
        allow_nondeterminism: trace.allow_nondeterminism,
    })
}

/// Re-executes a trace (or an ITF file durable wrote); writes its ITF and Mermaid renderings
/// when asked.
pub fn replay(path: &Path, itf: Option<&Path>, mermaid: Option<&Path>) -> CliResult<ReplayReport> {
    let trace = read_trace(path)?;
    let spec = Arc::new(load_path(Path::new(&trace.spec))?);
    let settings = settings_of(&trace)?;
    let mut report = ReplayReport {
        trace: path.display().to_string(),
        spec: trace.spec.clone(),
        scenario: trace.scenario.clone(),
        protocol: trace.protocol.clone(),
        check: trace.check.clone(),
        reproduced: false,
        spec_changed: spec_hash(&spec.file.text) != trace.spec_hash,
        first_difference: None,
        message: None,
        steps: Vec::new(),
    };
    let Some(scenario) = spec.scenarios.iter().position(|s| s.name == trace.scenario) else {
        report.message = Some(format!(
            "{} has no scenario `{}` any more",
            trace.spec, trace.scenario
        ));
        return Ok(report);
    };
    let target = Target {
        spec: &spec,
        scenario,
        settings,
    };
    let task = Reexecute {
        spec: &spec,
        scenario: &spec.scenarios[scenario],
        target: &target,
        trace: &trace,
    };
    let (steps, outcome, states) = with_protocol(&trace.protocol, &target, task)?;
    report.steps = steps;
    if let Some(path) = itf {
        let doc = crate::itf::document(&trace, states);
        write_file(
            path,
            &(serde_json::to_string_pretty(&doc).expect("json") + "\n"),
        )?;
    }
    if let Some(path) = mermaid {
        write_file(path, &crate::mermaid::render(&report.steps))?;
    }
    match outcome {
        Err(m) => {
            report.first_difference = Some(Difference {
                step: m.step,
                action: m.action,
            })
        }
        Ok(None) => report.reproduced = true,
        Ok(Some(why)) => report.message = Some(why),
    }
    Ok(report)
}

struct Reexecute<'a> {
    spec: &'a Arc<Spec>,
    scenario: &'a ScenarioDef,
    target: &'a Target<'a>,
    trace: &'a TraceFile,
}

/// The steps re-executed, and `Ok(None)` if the trace ends as it says, `Ok(Some(why))` if it
/// re-executes but ends otherwise, `Err` at the first step that is not enabled.
type Reexecuted = (
    Vec<StepView>,
    Result<Option<String>, crate::timeline::Mismatch>,
    Vec<serde_json::Value>,
);

impl ProtocolTask for Reexecute<'_> {
    type Output = Reexecuted;

    fn run<P: Protocol + 'static>(self, p: P) -> Reexecuted {
        let p = &p;
        let names: Vec<String> = self.trace.steps.iter().map(|s| s.action.clone()).collect();
        let states = crate::itf::states_of(p, &names);
        let (views, last) = match follow(p, &names) {
            Ok(done) => done,
            Err(m) => {
                let partial = follow(p, &names[..m.step - 1])
                    .map(|(v, _)| v)
                    .unwrap_or_default();
                return (partial, Err(m), states);
            }
        };
        let mut next = Vec::new();
        p.successors(&last, &mut next);
        let terminal = next.is_empty();
        let Some(check) = &self.trace.check else {
            return (views, Ok(None), states);
        };
        let needs_hl = matches!(check.as_str(), "refinement" | "equivalence");
        let hl = needs_hl.then(|| HlReference::explore(self.target.hl(), Bounds::default()));
        let found = violations_at(p, self.spec, self.scenario, &last, terminal, hl.as_ref());
        let verdict = if found.iter().any(|v| &v.check == check) {
            None
        } else {
            Some(format!(
                "the trace re-executes, but its last state does not violate `{check}`"
            ))
        };
        (views, Ok(verdict), states)
    }
}

pub fn render(r: &ReplayReport) -> String {
    let mut out = format!(
        "{}: {} scenario {}, protocol {}\n",
        r.trace, r.spec, r.scenario, r.protocol
    );
    if r.spec_changed {
        out.push_str("note: the spec changed since this trace was written\n");
    }
    out.push_str(&crate::timeline::render(&r.steps));
    if let Some(d) = &r.first_difference {
        out.push_str(&format!(
            "does not reproduce: step {} `{}` is not enabled\n",
            d.step, d.action
        ));
    }
    if let Some(m) = &r.message {
        out.push_str(&format!("does not reproduce: {m}\n"));
    }
    if r.reproduced {
        match &r.check {
            Some(c) => out.push_str(&format!("reproduced: VIOLATED {c}\n")),
            None => out.push_str("reproduced: a passing run\n"),
        }
    }
    out
}
