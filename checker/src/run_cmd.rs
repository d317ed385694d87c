//! `durable run`: one execution chosen by a seeded random scheduler (ChaCha8: the same seed
//! gives the same run on every machine), checked as it goes.

use crate::error::{CliError, CliResult};
use crate::registry::{with_protocol, ProtocolTask, Target};
use crate::report::outcome_json;
use crate::settings::{FlagSettings, Settings};
use crate::timeline::{view, StepView};
use crate::trace::{read_trace, spec_hash, write_file, write_trace, FaultsData, TraceFile, FORMAT};
use crate::verdict::violations_at;
use durable_interpreter::hl::observe::outcome;
use durable_interpreter::load::{load_path, ScenarioDef, Spec};
use durable_model::protocol::Protocol;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub struct RunRequest {
    pub spec: PathBuf,
    pub scenario: Option<String>,
    pub model: Option<String>,
    pub protocol: Option<String>,
    pub flags: FlagSettings,
    pub seed: u64,
    pub max_steps: u64,
    /// Follow this trace's steps first (`--schedule`).
    pub schedule: Option<PathBuf>,
    pub trace_out: Option<PathBuf>,
    pub itf: Option<PathBuf>,
    pub mermaid: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct RunReport {
    pub spec: String,
    pub scenario: String,
    pub model: String,
    pub protocol: String,
    pub seed: u64,
    /// How many of the first steps followed `--schedule`.
    pub scheduled: usize,
    pub steps: Vec<StepView>,
    /// The run ended in a state where nothing can move.
    pub terminal: bool,
    pub outcome: Option<BTreeMap<String, String>>,
    pub violations: Vec<RunViolation>,
}

#[derive(Debug, Serialize)]
pub struct RunViolation {
    pub check: String,
    /// After how many steps it was seen.
    pub step: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The scenario a one-scenario command (`run`, `simulate`, `explore`) works on.
pub fn one_scenario(spec: &Spec, name: Option<&str>) -> CliResult<usize> {
    match name {
        Some(n) => spec
            .scenarios
            .iter()
            .position(|s| s.name == n)
            .ok_or_else(|| CliError::Usage(format!("{} has no scenario `{n}`", spec.file.path))),
        None if spec.scenarios.len() == 1 => Ok(0),
        None => Err(CliError::Usage(format!(
            "{} has {} scenarios: choose one with --scenario",
            spec.file.path,
            spec.scenarios.len()
        ))),
    }
}

/// The one protocol a one-model command runs: `--protocol`, else `--model` (default `hl`).
pub fn one_protocol(model: Option<&str>, protocol: Option<&str>) -> CliResult<String> {
    // `hl` is the default model only without `--protocol`: a protocol names its own model.
    let model_or_default = if protocol.is_some() {
        model
    } else {
        model.or(Some("hl"))
    };
    let selection = crate::registry::select(model_or_default, protocol)?;
    if model == Some("all") && protocol.is_none() {
        return Err(CliError::Usage(
            "this command takes one model, not `all`".into(),
        ));
    }
    Ok(match (protocol, selection.protocols.first()) {
        (Some(p), _) => p.to_string(),
        (None, Some(p)) => p.name.to_string(),
        (None, None) => "hl".to_string(),
    })
}

pub fn run(req: &RunRequest) -> CliResult<RunReport> {
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
    let schedule = match &req.schedule {
        Some(path) => read_trace(path)?
            .steps
            .into_iter()
            .map(|s| s.action)
            .collect(),
        None => Vec::new(),
    };
    let walk = RandomWalk {
        spec: &spec,
        scenario: def,
        seed: req.seed,
        stream: 0,
        max_steps: req.max_steps,
        schedule: &schedule,
        itf: req.itf.is_some(),
    };
    let w = with_protocol(&protocol, &target, walk)?.map_err(|m| {
        CliError::Usage(format!(
            "the schedule does not fit: its step {} `{}` is not enabled",
            m.step, m.action
        ))
    })?;
    let report = RunReport {
        spec: spec.file.path.clone(),
        scenario: def.name.clone(),
        model: w.model,
        protocol,
        seed: req.seed,
        scheduled: schedule.len().min(w.steps.len()),
        steps: w.steps,
        terminal: w.terminal,
        outcome: w.outcome,
        violations: w.violations,
    };
    let first = report.violations.first();
    let trace = trace_of(
        &spec,
        &settings,
        &report.scenario,
        &report.model,
        &report.protocol,
        first,
        &report.steps,
    );
    if let Some(path) = &req.trace_out {
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trace.json".into());
        write_trace(dir, &name, &trace)?;
    }
    if let (Some(path), Some(states)) = (&req.itf, w.itf_states) {
        let doc = crate::itf::document(&trace, states);
        write_file(
            path,
            &(serde_json::to_string_pretty(&doc).expect("json") + "\n"),
        )?;
    }
    if let Some(path) = &req.mermaid {
        write_file(path, &crate::mermaid::render(&report.steps))?;
    }
    Ok(report)
}

/// A run as a trace: its steps up to the first violation, named by that violation.
pub fn trace_of(
    spec: &Spec,
    settings: &Settings,
    scenario: &str,
    model: &str,
    protocol: &str,
    violation: Option<&RunViolation>,
    steps: &[StepView],
) -> TraceFile {
    TraceFile {
        format: FORMAT.into(),
        spec: spec.file.path.clone(),
        spec_hash: spec_hash(&spec.file.text),
        scenario: scenario.to_string(),
        model: model.to_string(),
        protocol: protocol.to_string(),
        faults: FaultsData::from(settings.faults),
        lock_activities: settings.lock_activities,
        allow_nondeterminism: settings.allow_nondeterminism,
        check: violation.map(|v| v.check.clone()),
        message: violation.and_then(|v| v.message.clone()),
        steps: steps
            .iter()
            .take(violation.map_or(usize::MAX, |v| v.step))
            .cloned()
            .collect(),
    }
}

/// One random execution: at each state, the first steps follow `schedule`, then the step is
/// chosen by ChaCha8 seeded with `seed`, stream `stream`: the enabled step number
/// `next_u64() % count`, in the model's fixed order.
pub struct RandomWalk<'a> {
    pub spec: &'a Spec,
    pub scenario: &'a ScenarioDef,
    pub seed: u64,
    pub stream: u64,
    pub max_steps: u64,
    pub schedule: &'a [String],
    /// Also record the ITF states of the walk.
    pub itf: bool,
}

/// What a random walk did.
pub struct Walk {
    pub model: String,
    pub steps: Vec<StepView>,
    pub terminal: bool,
    pub outcome: Option<BTreeMap<String, String>>,
    pub violations: Vec<RunViolation>,
    pub itf_states: Option<Vec<serde_json::Value>>,
}

impl ProtocolTask for RandomWalk<'_> {
    type Output = Result<Walk, crate::timeline::Mismatch>;

    fn run<P: Protocol + 'static>(self, p: P) -> Self::Output {
        let p = &p;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(self.stream);
        let mut state = p.init();
        let mut steps = Vec::new();
        let mut violations: Vec<RunViolation> = Vec::new();
        let mut out = Vec::new();
        let mut terminal = false;
        loop {
            out.clear();
            p.successors(&state, &mut out);
            if out.is_empty() {
                terminal = true;
                break;
            }
            self.check_state(p, &state, steps.len(), false, &mut violations);
            if steps.len() as u64 >= self.max_steps {
                break;
            }
            let i = match self.schedule.get(steps.len()) {
                Some(name) => match out.iter().position(|(a, _)| a.to_string() == *name) {
                    Some(i) => i,
                    None => {
                        return Err(crate::timeline::Mismatch {
                            step: steps.len() + 1,
                            action: name.clone(),
                        })
                    }
                },
                None => (rng.next_u64() % out.len() as u64) as usize,
            };
            let (a, s) = out.swap_remove(i);
            steps.push(view(p, &state, &a, &s));
            state = s;
        }
        let mut outcome_seen = None;
        if terminal {
            let config = p.abstraction(&state);
            outcome_seen = Some(outcome(self.scenario, &config, p.externs(&state)).0);
            self.check_state(p, &state, steps.len(), true, &mut violations);
        }
        let itf_states = self.itf.then(|| {
            let names: Vec<String> = steps.iter().map(|s: &StepView| s.action.clone()).collect();
            crate::itf::states_of(p, &names)
        });
        Ok(Walk {
            model: p.info().model.to_string(),
            steps,
            terminal,
            outcome: outcome_seen,
            violations,
            itf_states,
        })
    }
}

impl RandomWalk<'_> {
    /// Records the checks `state` violates that were not violated earlier in the run.
    fn check_state<P: Protocol>(
        &self,
        p: &P,
        state: &P::State,
        step: usize,
        terminal: bool,
        violations: &mut Vec<RunViolation>,
    ) {
        for v in violations_at(p, self.spec, self.scenario, state, terminal, None) {
            if !violations.iter().any(|w| w.check == v.check) {
                violations.push(RunViolation {
                    check: v.check,
                    step,
                    message: v.message,
                });
            }
        }
    }
}

pub fn render(r: &RunReport) -> String {
    let mut out = format!(
        "{} scenario {}, model {}, protocol {}, seed {}\n",
        r.spec, r.scenario, r.model, r.protocol, r.seed
    );
    if r.scheduled > 0 {
        out.push_str(&format!(
            "the first {} steps follow the schedule\n",
            r.scheduled
        ));
    }
    out.push_str(&crate::timeline::render(&r.steps));
    if r.terminal {
        out.push_str(&format!("terminal after {} steps\n", r.steps.len()));
    } else {
        out.push_str(&format!(
            "stopped after {} steps (--max-steps)\n",
            r.steps.len()
        ));
    }
    if let Some(o) = &r.outcome {
        out.push_str(&format!("outcome: {}\n", outcome_json(o)));
    }
    for v in &r.violations {
        out.push_str(&format!("VIOLATED {} (after step {})", v.check, v.step));
        if let Some(m) = &v.message {
            out.push_str(&format!(": {m}"));
        }
        out.push('\n');
    }
    out.push_str(if r.violations.is_empty() {
        "verdict: pass\n"
    } else {
        "verdict: fail\n"
    });
    out
}
