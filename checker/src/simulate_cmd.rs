//! `durable simulate`: many random executions, for state spaces too large to exhaust. Run `k`
//! is the random walk of `run` with ChaCha8 seeded with the seed, stream `k`, so the same seed
//! gives byte-identical output on every machine. Properties are checked along every run; the
//! first run that violates one stops the simulation and is written as a trace.

use crate::error::CliResult;
use crate::registry::{with_protocol, Target};
use crate::report::sorted_outcomes;
use crate::run_cmd::{one_protocol, one_scenario, trace_of, RandomWalk, RunViolation};
use crate::settings::{FlagSettings, Settings};
use crate::trace::{write_file, write_trace, TraceName};
use durable_interpreter::hl::observe::Outcome;
use durable_interpreter::load::load_path;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub struct SimulateRequest {
    pub spec: PathBuf,
    pub scenario: Option<String>,
    pub model: Option<String>,
    pub protocol: Option<String>,
    pub flags: FlagSettings,
    pub runs: u64,
    pub seed: u64,
    pub max_steps: u64,
    pub trace_dir: Option<PathBuf>,
    pub itf: Option<PathBuf>,
    pub progress: bool,
}

/// The report; it has no wall-clock fields, so the same seed gives the same bytes.
#[derive(Debug, Serialize)]
pub struct SimulateReport {
    pub spec: String,
    pub scenario: String,
    pub model: String,
    pub protocol: String,
    pub seed: u64,
    pub runs: u64,
    pub max_steps: u64,
    /// Runs made (fewer than `runs` when one found a violation).
    pub runs_made: u64,
    /// Runs that ended in a terminal state (the others hit `--max-steps`).
    pub terminal_runs: u64,
    pub steps: u64,
    /// The terminal outcomes seen.
    pub outcomes: Vec<BTreeMap<String, String>>,
    pub violation: Option<SimulatedViolation>,
}

#[derive(Debug, Serialize)]
pub struct SimulatedViolation {
    pub check: String,
    /// Which run (0-based) and after how many of its steps.
    pub run: u64,
    pub step: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub trace: Option<String>,
}

pub fn simulate(req: &SimulateRequest) -> CliResult<SimulateReport> {
    let spec = Arc::new(load_path(&req.spec)?);
    let scenario = one_scenario(&spec, req.scenario.as_deref())?;
    let protocol = one_protocol(req.model.as_deref(), req.protocol.as_deref())?;
    let def = &spec.scenarios[scenario];
    let settings = Settings::merge(&req.flags, &def.options);
    spec.check_determinism(def, settings.allow_nondeterminism)?;
    let target = Target {
        spec: &spec,
        scenario,
        settings,
    };
    let mut report = SimulateReport {
        spec: spec.file.path.clone(),
        scenario: def.name.clone(),
        model: String::new(),
        protocol: protocol.clone(),
        seed: req.seed,
        runs: req.runs,
        max_steps: req.max_steps,
        runs_made: 0,
        terminal_runs: 0,
        steps: 0,
        outcomes: Vec::new(),
        violation: None,
    };
    let mut outcomes: BTreeSet<Outcome> = BTreeSet::new();
    let start = Instant::now();
    let mut last_progress = Instant::now();
    for k in 0..req.runs {
        let walk = RandomWalk {
            spec: &spec,
            scenario: def,
            seed: req.seed,
            stream: k,
            max_steps: req.max_steps,
            schedule: &[],
            itf: req.itf.is_some(),
        };
        let w = with_protocol(&protocol, &target, walk)?
            .expect("a walk without a schedule always fits");
        report.model = w.model.clone();
        report.runs_made += 1;
        report.steps += w.steps.len() as u64;
        if w.terminal {
            report.terminal_runs += 1;
        }
        if let Some(o) = &w.outcome {
            outcomes.insert(Outcome(o.clone()));
        }
        if let Some(v) = w.violations.first() {
            report.violation = Some(violation(req, &target, &w.model, &protocol, k, v, &w)?);
            break;
        }
        if req.progress && last_progress.elapsed().as_secs_f64() >= 1.0 {
            last_progress = Instant::now();
            crate::say(&format!(
                "simulate: {} runs, {} steps, {:.0} steps/s",
                report.runs_made,
                report.steps,
                report.steps as f64 / start.elapsed().as_secs_f64().max(1e-9)
            ));
        }
    }
    report.outcomes = sorted_outcomes(&outcomes);
    Ok(report)
}

fn violation(
    req: &SimulateRequest,
    target: &Target<'_>,
    model: &str,
    protocol: &str,
    run: u64,
    v: &RunViolation,
    w: &crate::run_cmd::Walk,
) -> CliResult<SimulatedViolation> {
    let spec = target.spec;
    let scenario = &spec.scenarios[target.scenario].name;
    let trace = trace_of(
        spec,
        &target.settings,
        scenario,
        model,
        protocol,
        Some(v),
        &w.steps,
    );
    let mut written = None;
    if let Some(dir) = &req.trace_dir {
        let kind = v.check.split(' ').next().unwrap_or("violation");
        let name = TraceName {
            spec_path: &spec.file.path,
            scenario,
            protocol,
            settings: &target.settings,
            kind,
            index: None,
        };
        let file = format!("simulate.{}", name.file_name());
        written = Some(write_trace(dir, &file, &trace)?.display().to_string());
    }
    if let (Some(path), Some(states)) = (&req.itf, &w.itf_states) {
        let states = states.iter().take(v.step + 1).cloned().collect();
        let doc = crate::itf::document(&trace, states);
        write_file(
            path,
            &(serde_json::to_string_pretty(&doc).expect("json") + "\n"),
        )?;
    }
    Ok(SimulatedViolation {
        check: v.check.clone(),
        run,
        step: v.step,
        message: v.message.clone(),
        trace: written,
    })
}

pub fn render(r: &SimulateReport) -> String {
    let mut out = format!(
        "{} scenario {}, model {}, protocol {}, seed {}\n{} runs made ({} ended, {} steps in all), {} outcome{}\n",
        r.spec,
        r.scenario,
        r.model,
        r.protocol,
        r.seed,
        r.runs_made,
        r.terminal_runs,
        r.steps,
        r.outcomes.len(),
        if r.outcomes.len() == 1 { "" } else { "s" }
    );
    for o in &r.outcomes {
        out.push_str(&format!("  {}\n", crate::report::outcome_json(o)));
    }
    match &r.violation {
        Some(v) => {
            out.push_str(&format!(
                "VIOLATED {} in run {} after {} steps\n",
                v.check, v.run, v.step
            ));
            if let Some(m) = &v.message {
                out.push_str(&format!("  {m}\n"));
            }
            if let Some(t) = &v.trace {
                out.push_str(&format!("  trace: {t}\n"));
            }
            out.push_str("verdict: fail\n");
        }
        None => out.push_str("verdict: pass (no run violated anything)\n"),
    }
    out
}
