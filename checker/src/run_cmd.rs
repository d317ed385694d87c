//! `durable run`: one execution chosen by a seeded random scheduler (ChaCha8: the same seed
//! gives the same run on every machine), checked as it goes.

use crate::error::{CliError, CliResult};
use crate::registry::{with_protocol, ProtocolTask, Target};
use crate::report::outcome_json;
use crate::settings::{FlagSettings, Settings};
use crate::trace::{spec_hash, write_trace, FaultsData, TraceFile, TraceStep, FORMAT};
use durable_interpreter::hl::observe::{holds, outcome, stuck};
use durable_interpreter::load::{load_path, ScenarioDef, Spec};
use durable_interpreter::syntax::ast::PropertyKind;
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
    pub trace_out: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct RunReport {
    pub spec: String,
    pub scenario: String,
    pub model: String,
    pub protocol: String,
    pub seed: u64,
    pub steps: Vec<String>,
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
    let selection = crate::registry::select(model.or(Some("hl")), protocol)?;
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
    let walk = RandomWalk {
        spec: &spec,
        scenario: def,
        seed: req.seed,
        max_steps: req.max_steps,
    };
    let (model, steps, terminal, outcome, violations) = with_protocol(&protocol, &target, walk)?;
    let report = RunReport {
        spec: spec.file.path.clone(),
        scenario: def.name.clone(),
        model,
        protocol,
        seed: req.seed,
        steps,
        terminal,
        outcome,
        violations,
    };
    if let Some(path) = &req.trace_out {
        let first = report.violations.first();
        let trace = TraceFile {
            format: FORMAT.into(),
            spec: report.spec.clone(),
            spec_hash: spec_hash(&spec.file.text),
            scenario: report.scenario.clone(),
            model: report.model.clone(),
            protocol: report.protocol.clone(),
            faults: FaultsData::from(settings.faults),
            lock_activities: settings.lock_activities,
            allow_nondeterminism: settings.allow_nondeterminism,
            check: first.map(|v| v.check.clone()),
            message: first.and_then(|v| v.message.clone()),
            steps: report
                .steps
                .iter()
                .take(first.map_or(usize::MAX, |v| v.step))
                .map(|a| TraceStep { action: a.clone() })
                .collect(),
        };
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trace.json".into());
        write_trace(dir, &name, &trace)?;
    }
    Ok(report)
}

struct RandomWalk<'a> {
    spec: &'a Spec,
    scenario: &'a ScenarioDef,
    seed: u64,
    max_steps: u64,
}

type WalkResult = (
    String,
    Vec<String>,
    bool,
    Option<BTreeMap<String, String>>,
    Vec<RunViolation>,
);

impl ProtocolTask for RandomWalk<'_> {
    type Output = WalkResult;

    fn run<P: Protocol>(self, p: &P) -> WalkResult {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut state = p.init();
        let mut steps = Vec::new();
        let mut violations: Vec<RunViolation> = Vec::new();
        let mut out = Vec::new();
        let mut terminal = false;
        loop {
            self.check_state(p, &state, steps.len(), &mut violations);
            out.clear();
            p.successors(&state, &mut out);
            if out.is_empty() {
                terminal = true;
                break;
            }
            if steps.len() as u64 >= self.max_steps {
                break;
            }
            let i = (rng.next_u64() % out.len() as u64) as usize;
            let (a, s) = out.swap_remove(i);
            steps.push(a.to_string());
            state = s;
        }
        let mut outcome_seen = None;
        if terminal {
            let config = p.abstraction(&state);
            outcome_seen = Some(outcome(self.scenario, &config, p.externs(&state)).0);
            for prop in &self.scenario.properties {
                if prop.kind == PropertyKind::Finally {
                    record(
                        &mut violations,
                        &prop.name,
                        steps.len(),
                        holds(self.spec, &config, &prop.code),
                    );
                }
            }
            let running = stuck(&config);
            if !running.is_empty() {
                violations.push(RunViolation {
                    check: "deadlock".into(),
                    step: steps.len(),
                    message: Some(format!("still running: {}", running.join(", "))),
                });
            }
        }
        (
            p.info().model.to_string(),
            steps,
            terminal,
            outcome_seen,
            violations,
        )
    }
}

impl RandomWalk<'_> {
    fn check_state<P: Protocol>(
        &self,
        p: &P,
        state: &P::State,
        step: usize,
        violations: &mut Vec<RunViolation>,
    ) {
        let config = p.abstraction(state);
        if let Some((kind, message)) = p.violation(state) {
            if !violations.iter().any(|v| v.check == kind) {
                violations.push(RunViolation {
                    check: kind,
                    step,
                    message: Some(message),
                });
            }
        }
        for prop in &self.scenario.properties {
            if prop.kind == PropertyKind::Always {
                record(
                    violations,
                    &prop.name,
                    step,
                    holds(self.spec, &config, &prop.code),
                );
            }
        }
    }
}

fn record(
    violations: &mut Vec<RunViolation>,
    check: &str,
    step: usize,
    verdict: Result<bool, durable_interpreter::value::Value>,
) {
    if violations.iter().any(|v| v.check == check) {
        return;
    }
    let message = match verdict {
        Ok(true) => return,
        Ok(false) => None,
        Err(e) => Some(format!("evaluating the property raised {e}")),
    };
    violations.push(RunViolation {
        check: check.to_string(),
        step,
        message,
    });
}

pub fn render(r: &RunReport) -> String {
    let mut out = format!(
        "{} scenario {}, model {}, protocol {}, seed {}\n",
        r.spec, r.scenario, r.model, r.protocol, r.seed
    );
    for (i, s) in r.steps.iter().enumerate() {
        out.push_str(&format!("  {:>4}. {s}\n", i + 1));
        for v in r.violations.iter().filter(|v| v.step == i + 1) {
            out.push_str(&format!("        VIOLATED {}\n", v.check));
        }
    }
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
