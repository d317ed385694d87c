//! Counterexamples as traces: every trace `check` writes for the specs replays to the same
//! violation, and a trace whose spec changed under it names the first step that differs.

use durable_checker::check::check_spec;
use durable_checker::replay_cmd::replay;
use durable_checker::test_cmd::spec_files;
use durable_checker::trace::read_trace;
use durable_interpreter::load::load_path;
use durable_tests::{request, root};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("durable-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Checks a spec with --continue, writing traces into `dir`; returns the written traces.
fn traces_of(spec_path: &Path, dir: &Path) -> Vec<(String, PathBuf)> {
    let spec = Arc::new(load_path(spec_path).expect("loads"));
    let mut req = request("all");
    req.spec = spec_path.to_path_buf();
    req.trace_dir = Some(dir.to_path_buf());
    let report = check_spec(&spec, &req).expect("checks");
    report
        .scenarios
        .iter()
        .flat_map(|s| s.models.iter())
        .flat_map(|m| m.violations.iter())
        .filter_map(|v| {
            v.trace
                .as_ref()
                .map(|t| (v.check.clone(), PathBuf::from(t)))
        })
        .collect()
}

#[test]
fn every_trace_check_writes_for_the_specs_replays_to_its_violation() {
    let dir = temp_dir("spec-traces");
    let mut replayed = 0;
    // Traces name their spec by the path given: run from the repository root.
    std::env::set_current_dir(root()).expect("cd to the repository");
    for file in spec_files(&[PathBuf::from("specs")]).expect("specs") {
        for (check, trace) in traces_of(&file, &dir) {
            let r = replay(&trace, None, None).expect("the trace is readable");
            assert!(
                r.reproduced,
                "{} does not reproduce: {:?}",
                trace.display(),
                r.message
            );
            assert_eq!(r.exit_code(), 1);
            assert_eq!(r.check.as_deref(), Some(check.as_str()));
            assert!(!r.spec_changed);
            replayed += 1;
        }
    }
    assert!(replayed >= 5, "only {replayed} traces");
}

#[test]
fn a_trace_of_an_edited_spec_names_the_first_differing_step() {
    let dir = temp_dir("edited");
    let spec = dir.join("bank.dfl");
    let text = std::fs::read_to_string(root().join("specs/bank_unsafe.dfl")).expect("spec");
    std::fs::write(&spec, &text).expect("write");
    let traces = traces_of(&spec, &dir);
    let (_, trace) = traces
        .iter()
        .find(|(c, t)| c.starts_with("always") && t.to_string_lossy().contains(".cs."))
        .expect("the overdraft is found in cs");
    let original = read_trace(trace).expect("trace");
    assert_eq!(replay(trace, None, None).expect("replays").exit_code(), 1);

    // Withdraw a different amount: the recorded steps name the old argument.
    let edited = text.replacen("70", "71", 1);
    assert_ne!(edited, text, "the spec has an amount to edit");
    std::fs::write(&spec, edited).expect("write");
    let r = replay(trace, None, None).expect("replays");
    assert!(r.spec_changed);
    assert!(!r.reproduced);
    assert_eq!(r.exit_code(), 2);
    let d = r.first_difference.expect("a step differs");
    assert_eq!(d.action, original.steps[d.step - 1].action);
    assert!(d.step > 1, "the inputs still match; a later step differs");
}
