//! `durable mutants`: runs every broken protocol on every scenario whose expectation the
//! correct protocol of its model meets, and says which are rejected (CLI.md).

use crate::check::{check_spec, CheckRequest};
use crate::error::CliResult;
use crate::explore::Bounds;
use crate::report::ScenarioReport;
use crate::settings::FlagSettings;
use crate::test_cmd::{compare, spec_files};
use durable_interpreter::load::{load_path, Expectation};
use durable_model::mutants::MUTANTS;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub struct MutantsRequest {
    pub paths: Vec<PathBuf>,
    pub flags: FlagSettings,
    pub bounds: Bounds,
    pub threads: usize,
    pub trace_dir: Option<PathBuf>,
    pub progress: bool,
}

#[derive(Debug, Serialize)]
pub struct MutantsReport {
    pub total: usize,
    pub rejected: usize,
    pub mutants: Vec<MutantVerdict>,
}

/// One broken protocol: whether it was rejected, and by which scenario and check (the one
/// with the shortest counterexample).
#[derive(Debug, Serialize, Clone)]
pub struct MutantVerdict {
    pub protocol: String,
    pub rejected: bool,
    pub spec: Option<String>,
    pub scenario: Option<String>,
    pub check: Option<String>,
    pub length: Option<usize>,
    /// The trace of that counterexample.
    pub trace: Option<String>,
    /// How many scenarios it was run on.
    pub scenarios: usize,
}

/// The expectation as the correct protocol of `model` is held to it: items without `in`, or
/// naming `hl` or `model`.
fn expectation_for(expected: &[Expectation], model: &str) -> Vec<Expectation> {
    let kept: Vec<Expectation> = expected
        .iter()
        .filter(|e| match e {
            Expectation::Pass => true,
            Expectation::Fail { model: m, .. } => {
                m.as_deref().is_none_or(|m| m == "hl" || m == model)
            }
        })
        .cloned()
        .collect();
    if kept.is_empty() {
        vec![Expectation::Pass]
    } else {
        kept
    }
}

/// The checks a scenario report shows under `model`.
fn checks_of(report: &ScenarioReport, model: &str) -> Vec<(String, Option<usize>, Option<String>)> {
    report
        .models
        .iter()
        .filter(|m| m.model == model)
        .flat_map(|m| {
            m.violations
                .iter()
                .map(|v| (v.check.clone(), v.length, v.trace.clone()))
        })
        .collect()
}

pub fn mutants(req: &MutantsRequest) -> CliResult<MutantsReport> {
    let files = spec_files(&req.paths)?;
    let mut verdicts: BTreeMap<&str, MutantVerdict> = MUTANTS
        .iter()
        .map(|m| {
            (
                m.info.name,
                MutantVerdict {
                    protocol: m.info.name.to_string(),
                    rejected: false,
                    spec: None,
                    scenario: None,
                    check: None,
                    length: None,
                    trace: None,
                    scenarios: 0,
                },
            )
        })
        .collect();
    for file in &files {
        let spec = Arc::new(load_path(file)?);
        for s in &spec.scenarios {
            let run = |protocol: &str, known: Option<&Vec<String>>| -> CliResult<ScenarioReport> {
                let req = CheckRequest {
                    spec: file.clone(),
                    scenarios: vec![s.name.clone()],
                    model: None,
                    protocol: Some(protocol.to_string()),
                    flags: req.flags.clone(),
                    bounds: req.bounds,
                    threads: req.threads,
                    continue_all: true,
                    stop_unless: known.map(|k| k.iter().cloned().collect()),
                    trace_dir: req.trace_dir.clone(),
                    progress: req.progress,
                };
                let mut report = check_spec(&spec, &req)?;
                Ok(report.scenarios.remove(0))
            };
            let mut correct: BTreeMap<&str, (bool, Vec<String>)> = BTreeMap::new();
            for model in ["cs", "rr"] {
                let report = run(model, None)?;
                let expected = expectation_for(&s.expectations, model);
                let met = compare(file, &s.name, &expected, &report).met;
                let checks = checks_of(&report, model).into_iter().map(|c| c.0).collect();
                correct.insert(model, (met, checks));
            }
            for m in &MUTANTS {
                let (met, correct_checks) = &correct[m.info.model];
                if !met {
                    continue;
                }
                let report = run(m.info.name, Some(correct_checks))?;
                let verdict = verdicts.get_mut(m.info.name).expect("every mutant listed");
                verdict.scenarios += 1;
                for (check, length, trace) in checks_of(&report, m.info.model) {
                    if correct_checks.contains(&check) {
                        continue;
                    }
                    let shorter = match (verdict.length, length) {
                        (_, None) => !verdict.rejected,
                        (None, Some(_)) => true,
                        (Some(old), Some(new)) => new < old,
                    };
                    if !verdict.rejected || shorter {
                        *verdict = MutantVerdict {
                            rejected: true,
                            spec: Some(file.display().to_string()),
                            scenario: Some(s.name.clone()),
                            check: Some(check),
                            length,
                            trace,
                            ..verdict.clone()
                        };
                    }
                }
            }
        }
    }
    let mutants: Vec<MutantVerdict> = MUTANTS
        .iter()
        .map(|m| verdicts[m.info.name].clone())
        .collect();
    Ok(MutantsReport {
        total: mutants.len(),
        rejected: mutants.iter().filter(|m| m.rejected).count(),
        mutants,
    })
}

pub fn render(r: &MutantsReport) -> String {
    let mut out = String::new();
    for m in &r.mutants {
        if m.rejected {
            out.push_str(&format!(
                "rejected  {:<26} {}:{}  {} ({} steps){}\n",
                m.protocol,
                m.spec.as_deref().unwrap_or(""),
                m.scenario.as_deref().unwrap_or(""),
                m.check.as_deref().unwrap_or(""),
                m.length.map_or("-".into(), |l| l.to_string()),
                m.trace
                    .as_ref()
                    .map(|t| format!("  {t}"))
                    .unwrap_or_default()
            ));
        } else {
            out.push_str(&format!(
                "SURVIVED  {:<26} (run on {} scenarios)\n",
                m.protocol, m.scenarios
            ));
        }
    }
    out.push_str(&format!(
        "{} of {} broken protocols rejected\n",
        r.rejected, r.total
    ));
    out
}
