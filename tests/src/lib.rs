//! Helpers shared by the integration tests in `tests/tests/`.

use durable_checker::check::{check_spec, CheckRequest};
use durable_checker::explore::Bounds;
use durable_checker::report::SpecReport;
use durable_checker::settings::FlagSettings;
use durable_interpreter::diagnostic::SourceFile;
use durable_interpreter::load::{load, Spec};
use std::path::PathBuf;
use std::sync::Arc;

/// The repository's root directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_path_buf()
}

/// Loads a spec from text, panicking with the rendered errors if it does not load.
pub fn spec(text: &str) -> Arc<Spec> {
    match load(SourceFile::new("test.dfl", text)) {
        Ok(s) => Arc::new(s),
        Err(e) => panic!("spec does not load:\n{e}"),
    }
}

/// A check request with the defaults of CLI.md, no trace files and no progress lines.
pub fn request(model: &str) -> CheckRequest {
    CheckRequest {
        spec: PathBuf::from("test.dfl"),
        scenarios: Vec::new(),
        model: Some(model.to_string()),
        protocol: None,
        flags: FlagSettings::default(),
        bounds: Bounds::default(),
        threads: 1,
        continue_all: true,
        stop_unless: None,
        trace_dir: None,
        progress: false,
    }
}

/// Checks every scenario of a spec text in one model with `--continue`.
pub fn check_text(text: &str, model: &str) -> SpecReport {
    check_spec(&spec(text), &request(model)).expect("check runs")
}

/// The outcome set of one scenario in one model, each outcome as its compact JSON text.
pub fn outcomes(text: &str, scenario: &str, model: &str) -> Vec<String> {
    let mut req = request(model);
    req.scenarios = vec![scenario.to_string()];
    let report = check_spec(&spec(text), &req).expect("check runs");
    let m = report.scenarios[0]
        .models
        .iter()
        .find(|m| m.model == model)
        .expect("the model was checked");
    assert!(m.complete, "exploration incomplete");
    m.outcomes
        .iter()
        .map(durable_checker::report::outcome_json)
        .collect()
}

/// One outcome as its compact JSON text (the form `outcomes` returns), from (key, value)
/// pairs in any order.
pub fn outcome(pairs: &[(&str, &str)]) -> String {
    let map: std::collections::BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    serde_json::to_string(&map).expect("maps of strings serialize")
}
