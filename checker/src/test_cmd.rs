//! `durable test`: checks every scenario with `--continue` and its own options, and compares
//! what was found with its `expect` items (CLI.md).

use crate::check::{check_spec, CheckRequest};
use crate::error::{CliError, CliResult};
use crate::explore::Bounds;
use crate::report::{ScenarioReport, Verdict};
use crate::settings::FlagSettings;
use durable_interpreter::load::{load_path, Expectation};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct TestRequest {
    pub paths: Vec<PathBuf>,
    pub bounds: Bounds,
    pub threads: usize,
    pub trace_dir: Option<PathBuf>,
    pub progress: bool,
}

#[derive(Debug, Serialize)]
pub struct TestReport {
    pub total: usize,
    pub met: usize,
    /// `expect` items naming a model this run does not check.
    pub skipped: usize,
    pub scenarios: Vec<ScenarioOutcome>,
}

#[derive(Debug, Serialize)]
pub struct ScenarioOutcome {
    pub spec: String,
    pub scenario: String,
    pub expected: Vec<String>,
    pub verdict: Verdict,
    pub violations: Vec<ModelCheck>,
    pub met: bool,
    pub seconds: f64,
    /// The items skipped because their model was not checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq, Eq)]
pub struct ModelCheck {
    pub model: String,
    pub check: String,
}

/// The `*.dfl` files a path names: itself, or those directly in a directory, sorted.
pub fn spec_files(paths: &[PathBuf]) -> CliResult<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| {
                CliError::Usage(format!("cannot read directory {}: {e}", p.display()))
            })?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "dfl"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub fn test(req: &TestRequest) -> CliResult<TestReport> {
    let files = spec_files(&req.paths)?;
    let specs = files
        .iter()
        .map(|f| load_path(f).map(Arc::new))
        .collect::<Result<Vec<_>, _>>()?;
    let mut scenarios = Vec::new();
    let mut skipped = 0;
    for (file, spec) in files.iter().zip(&specs) {
        for s in &spec.scenarios {
            let check = CheckRequest {
                spec: file.clone(),
                scenarios: vec![s.name.clone()],
                model: None,
                protocol: None,
                flags: FlagSettings::default(),
                bounds: req.bounds,
                threads: req.threads,
                continue_all: true,
                stop_unless: None,
                trace_dir: req.trace_dir.clone(),
                progress: req.progress,
            };
            let report = check_spec(spec, &check)?;
            let scenario = &report.scenarios[0];
            let outcome = compare(file, &s.name, &s.expectations, scenario);
            skipped += outcome.skipped.len();
            scenarios.push(outcome);
        }
    }
    Ok(TestReport {
        total: scenarios.len(),
        met: scenarios.iter().filter(|s| s.met).count(),
        skipped,
        scenarios,
    })
}

fn matches(check: &str, model: Option<&str>, v: &ModelCheck) -> bool {
    (v.check == check || v.check.starts_with(&format!("{check} ")))
        && model.is_none_or(|m| m == v.model)
}

/// Does the run meet the scenario's expectation?
pub fn compare(
    file: &Path,
    name: &str,
    expected: &[Expectation],
    report: &ScenarioReport,
) -> ScenarioOutcome {
    let checked: Vec<&str> = report.models.iter().map(|m| m.model.as_str()).collect();
    let violations: Vec<ModelCheck> = report
        .models
        .iter()
        .flat_map(|m| {
            m.violations.iter().map(|v| ModelCheck {
                model: m.model.clone(),
                check: v.check.clone(),
            })
        })
        .collect();
    let mut skipped = Vec::new();
    let mut fails = Vec::new();
    let mut expect_pass = false;
    for e in expected {
        match e {
            Expectation::Pass => expect_pass = true,
            Expectation::Fail { check, model } => {
                if model.as_deref().is_some_and(|m| !checked.contains(&m)) {
                    skipped.push(e.text());
                } else {
                    fails.push((check.as_str(), model.as_deref()));
                }
            }
        }
    }
    let met = if report.verdict == Verdict::Inconclusive {
        false
    } else if expect_pass {
        violations.is_empty() && report.verdict == Verdict::Pass
    } else {
        fails
            .iter()
            .all(|(c, m)| violations.iter().any(|v| matches(c, *m, v)))
            && violations
                .iter()
                .all(|v| fails.iter().any(|(c, m)| matches(c, *m, v)))
    };
    ScenarioOutcome {
        spec: file.display().to_string(),
        scenario: name.to_string(),
        expected: expected.iter().map(Expectation::text).collect(),
        verdict: report.verdict,
        violations,
        met,
        seconds: report.models.iter().map(|m| m.seconds).sum(),
        skipped,
    }
}

pub fn render(report: &TestReport) -> String {
    let mut out = String::new();
    for s in &report.scenarios {
        let got = if s.violations.is_empty() {
            s.verdict.name().to_string()
        } else {
            s.violations
                .iter()
                .map(|v| format!("fail {:?} in {}", v.check, v.model))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "{} {}:{}  expected {}; got {} ({:.2} s){}\n",
            if s.met { "met    " } else { "NOT MET" },
            s.spec,
            s.scenario,
            s.expected.join(", "),
            got,
            s.seconds,
            if s.skipped.is_empty() {
                String::new()
            } else {
                format!("  [skipped: {}]", s.skipped.join(", "))
            }
        ));
    }
    out.push_str(&format!(
        "{} of {} scenarios meet their expectation; {} expect item{} skipped\n",
        report.met,
        report.total,
        report.skipped,
        if report.skipped == 1 { "" } else { "s" }
    ));
    out
}
