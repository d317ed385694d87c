//! `durable check`: explores each selected scenario in every selected model and checks its
//! properties, deadlocks, refinement and equivalence (CLI.md).

use crate::error::{CliError, CliResult};
use crate::explore::{Bounds, Checks, Exploration, Found};
use crate::registry::{explore_protocol, select, Target};
use crate::report::{
    sorted_outcomes, worst, ModelReport, ScenarioReport, SpecReport, Verdict, ViolationReport,
};
use crate::settings::{FlagSettings, Limits, Settings};
use crate::timeline::StepView;
use crate::trace::{spec_hash, write_trace, FaultsData, TraceFile, TraceName, FORMAT};
use durable_interpreter::load::{load_path, Spec};
use durable_model::protocol::ProtocolInfo;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

/// Everything `check` (and `test`, which runs it) is asked.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    pub spec: PathBuf,
    /// Scenario names; empty means all.
    pub scenarios: Vec<String>,
    pub model: Option<String>,
    pub protocol: Option<String>,
    pub flags: FlagSettings,
    pub bounds: Bounds,
    pub threads: usize,
    pub continue_all: bool,
    /// Stop an execution model's search at its first violation of a check not in this set.
    pub stop_unless: Option<BTreeSet<String>>,
    /// Where counterexamples go; `None` writes none.
    pub trace_dir: Option<PathBuf>,
    pub progress: bool,
}

pub fn check(req: &CheckRequest) -> CliResult<SpecReport> {
    let spec = Arc::new(load_path(&req.spec)?);
    check_spec(&spec, req)
}

/// Checks a loaded spec. Every selected scenario is validated before anything is explored, so a
/// load error writes nothing.
pub fn check_spec(spec: &Arc<Spec>, req: &CheckRequest) -> CliResult<SpecReport> {
    let selection = select(req.model.as_deref(), req.protocol.as_deref())?;
    let mut chosen = Vec::new();
    for name in &req.scenarios {
        if spec.scenario(name).is_none() {
            let known: Vec<&str> = spec.scenarios.iter().map(|s| s.name.as_str()).collect();
            return Err(CliError::Usage(format!(
                "{} has no scenario `{name}` (it has: {})",
                spec.file.path,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    for (i, s) in spec.scenarios.iter().enumerate() {
        if req.scenarios.is_empty() || req.scenarios.contains(&s.name) {
            let settings = Settings::merge(&req.flags, &s.options);
            spec.check_determinism(s, settings.allow_nondeterminism)?;
            chosen.push((i, settings));
        }
    }
    let mut scenarios = Vec::new();
    for (i, settings) in chosen {
        let target = Target {
            spec,
            scenario: i,
            settings,
        };
        let mut report = check_scenario(&target, &selection.protocols, req)?;
        report.notes.extend(selection.notes.iter().cloned());
        scenarios.push(report);
    }
    Ok(SpecReport {
        spec: spec.file.path.clone(),
        verdict: worst(scenarios.iter().map(|s| s.verdict)),
        limits: Limits::from(req.bounds),
        scenarios,
    })
}

fn checks<'a>(target: &'a Target<'a>, req: &'a CheckRequest, label: &str) -> Checks<'a> {
    Checks {
        spec: target.spec,
        scenario: &target.spec.scenarios[target.scenario],
        refines: None,
        continue_all: req.continue_all,
        stop_unless: req.stop_unless.as_ref(),
        collect_configs: false,
        threads: req.threads,
        bounds: req.bounds,
        hl_outcomes: None,
        progress: req.progress,
        label: label.to_string(),
    }
}

fn check_scenario(
    target: &Target<'_>,
    protocols: &[&'static ProtocolInfo],
    req: &CheckRequest,
) -> CliResult<ScenarioReport> {
    let scenario = &target.spec.scenarios[target.scenario];
    let _span = tracing::info_span!("scenario", name = %scenario.name).entered();
    let with_models = !protocols.is_empty();
    let mut hl_checks = checks(target, req, "hl");
    // HL is explored to completion whenever an execution model is checked against it.
    hl_checks.continue_all |= with_models;
    hl_checks.stop_unless = None;
    hl_checks.collect_configs = with_models;
    let hl = explore_protocol("hl", target, &hl_checks)?;
    let hl_known = hl.complete;
    let mut models = Vec::new();
    let mut equivalent = hl_known.then_some(true);
    for info in protocols {
        let mut c = checks(target, req, info.name);
        if hl_known {
            c.refines = Some(&hl.configs);
            c.hl_outcomes = Some(&hl.outcomes);
        }
        let ex = explore_protocol(info.name, target, &c)?;
        let complete = ex.complete;
        let report = model_report(target, info, ex, Some(&hl), req)?;
        equivalent = match (equivalent, complete && hl_known) {
            (Some(eq), true) => Some(eq && report.outcomes == sorted_outcomes(&hl.outcomes)),
            _ => None,
        };
        models.push(report);
    }
    let hl_info = crate::registry::protocols()[0];
    let hl_report = model_report(target, hl_info, hl, None, req)?;
    models.insert(0, hl_report);
    let verdict = worst(models.iter().map(|m| m.verdict));
    Ok(ScenarioReport {
        name: scenario.name.clone(),
        faults: target.settings.faults,
        verdict,
        equivalent,
        models,
        notes: Vec::new(),
    })
}

/// Turns an exploration into its report: verdict, outcomes, equivalence against HL, and a
/// trace file for each counterexample.
fn model_report(
    target: &Target<'_>,
    info: &ProtocolInfo,
    mut ex: Exploration<String>,
    hl: Option<&Exploration<String>>,
    req: &CheckRequest,
) -> CliResult<ModelReport> {
    let outcomes = sorted_outcomes(&ex.outcomes);
    if let Some(hl) = hl.filter(|h| h.complete && ex.complete) {
        let missing: BTreeSet<_> = hl.outcomes.difference(&ex.outcomes).cloned().collect();
        if (!missing.is_empty() || !ex.extra.is_empty())
            && !ex.violations.iter().any(|v| v.kind == "equivalence")
        {
            ex.violations.push(Found {
                check: "equivalence".into(),
                kind: "equivalence",
                index: None,
                message: Some("the terminal outcomes differ from the high-level model's".into()),
                path: None,
                views: Vec::new(),
            });
        }
    }
    let mut violations = Vec::new();
    for v in &ex.violations {
        let mut r = violation_report(target, info, v, req)?;
        if v.kind == "equivalence" {
            r.extra = Some(sorted_outcomes(&ex.extra));
            if let Some(hl) = hl.filter(|h| h.complete && ex.complete) {
                let missing: Vec<_> = hl.outcomes.difference(&ex.outcomes).collect();
                r.missing = Some(sorted_outcomes(missing));
            }
        }
        violations.push(r);
    }
    let hl_complete = hl.is_none_or(|h| h.complete);
    let verdict = if !violations.is_empty() {
        Verdict::Fail
    } else if ex.complete && hl_complete {
        Verdict::Pass
    } else {
        Verdict::Inconclusive
    };
    let refines_hl = if info.model == "hl" {
        ex.complete.then_some(true)
    } else {
        ex.refines_hl
    };
    Ok(ModelReport {
        model: info.model.to_string(),
        protocol: info.name.to_string(),
        complete: ex.complete,
        states: ex.states,
        unique_states: ex.unique_states,
        max_depth: ex.max_depth,
        seconds: ex.seconds,
        outcomes,
        stuck: ex.stuck,
        refines_hl,
        violations,
        states_per_second: ex.states as f64 / ex.seconds.max(1e-9),
        stopped_by: ex.cut.map(|c| c.name()),
        verdict,
    })
}

fn violation_report(
    target: &Target<'_>,
    info: &ProtocolInfo,
    v: &Found<String>,
    req: &CheckRequest,
) -> CliResult<ViolationReport> {
    let scenario = &target.spec.scenarios[target.scenario];
    let mut trace = None;
    if let (Some(dir), Some(path)) = (&req.trace_dir, &v.path) {
        let name = TraceName {
            spec_path: &target.spec.file.path,
            scenario: &scenario.name,
            protocol: info.name,
            settings: &target.settings,
            kind: v.kind,
            index: v.index,
        };
        let file = TraceFile {
            format: FORMAT.into(),
            spec: target.spec.file.path.clone(),
            spec_hash: spec_hash(&target.spec.file.text),
            scenario: scenario.name.clone(),
            model: info.model.into(),
            protocol: info.name.into(),
            faults: FaultsData::from(target.settings.faults),
            lock_activities: target.settings.lock_activities,
            allow_nondeterminism: target.settings.allow_nondeterminism,
            check: Some(v.check.clone()),
            message: v.message.clone(),
            steps: if v.views.len() == path.len() {
                v.views.clone()
            } else {
                path.iter()
                    .map(|a| StepView {
                        action: a.clone(),
                        lane: String::new(),
                        effects: Vec::new(),
                    })
                    .collect()
            },
        };
        let written = write_trace(dir, &name.file_name(), &file)?;
        trace = Some(written.display().to_string());
    }
    Ok(ViolationReport {
        check: v.check.clone(),
        trace,
        length: v.path.as_ref().map(Vec::len),
        message: v.message.clone(),
        missing: None,
        extra: None,
        steps: v.views.clone(),
    })
}
