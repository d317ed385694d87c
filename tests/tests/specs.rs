//! The bundled specs: canonical, meeting their expectations in every model, and — where they
//! expect a pass — with the same outcome sets in `hl`, `cs` and `rr` under every batch mode.

use durable_checker::check::check_spec;
use durable_checker::fmt_cmd::{fmt, FmtOutcome};
use durable_checker::report::Verdict;
use durable_checker::test_cmd::{spec_files, test, TestRequest};
use durable_interpreter::load::{load_path, Expectation};
use durable_interpreter::syntax::ast::BatchMode;
use durable_tests::{request, root};
use std::sync::Arc;

fn specs() -> Vec<std::path::PathBuf> {
    spec_files(&[root().join("specs")]).expect("specs/ is readable")
}

#[test]
fn every_spec_is_in_canonical_form() {
    let files = specs();
    assert!(files.len() >= 10, "specs/ holds the paper's examples");
    for f in files {
        match fmt(&f, true, false).expect("every spec parses") {
            FmtOutcome::Checked(true) => {}
            _ => panic!("{} is not canonical: run durable fmt --write", f.display()),
        }
    }
}

#[test]
fn every_scenario_meets_its_expectation_in_every_model() {
    let report = test(&TestRequest {
        paths: vec![root().join("specs")],
        bounds: Default::default(),
        threads: 1,
        trace_dir: None,
        progress: false,
    })
    .expect("the specs load");
    let failing: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| !s.met)
        .map(|s| format!("{}:{} got {:?}", s.spec, s.scenario, s.violations))
        .collect();
    assert!(failing.is_empty(), "not met: {failing:#?}");
    assert_eq!(report.skipped, 0, "cs and rr exist: no item is skipped");
    assert!(report.total >= 40);
}

#[test]
fn passing_scenarios_have_the_same_outcomes_in_every_model_and_batch_mode() {
    let mut compared = 0;
    for file in specs() {
        let spec = Arc::new(load_path(&file).expect("loads"));
        for s in &spec.scenarios {
            if s.expectations != [Expectation::Pass] {
                continue;
            }
            for batch in [BatchMode::One, BatchMode::All, BatchMode::Any] {
                let mut req = request("all");
                req.scenarios = vec![s.name.clone()];
                req.flags.batch = Some(batch);
                let report = check_spec(&spec, &req).expect("checks");
                let sc = &report.scenarios[0];
                let what = format!("{}:{} batch {}", file.display(), s.name, batch.name());
                assert_eq!(sc.verdict, Verdict::Pass, "{what}");
                assert_eq!(sc.equivalent, Some(true), "{what}");
                let models: Vec<&str> = sc.models.iter().map(|m| m.model.as_str()).collect();
                assert_eq!(models, ["hl", "cs", "rr"], "{what}");
                for m in &sc.models[1..] {
                    assert_eq!(m.outcomes, sc.models[0].outcomes, "{what}: {}", m.model);
                    assert_eq!(m.refines_hl, Some(true), "{what}: {}", m.model);
                }
                compared += 1;
            }
        }
    }
    assert!(compared >= 90, "only {compared} comparisons");
}
