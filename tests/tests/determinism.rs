//! Determinism (DESIGN.md §6): the same seed gives the same `durable run`; `check` with one
//! thread gives the same report on every run (timings aside); more threads never change a
//! verdict, a count or an outcome set.

use durable_checker::check::{check_spec, CheckRequest};
use durable_checker::report::SpecReport;
use durable_checker::run_cmd::{run, RunRequest};
use durable_checker::settings::FlagSettings;
use durable_tests::{request, spec};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// Scenarios with every kind of result: a pass, an `always` violation, an equivalence
/// violation in the execution models (an extern call repeated by a re-executed activity),
/// nondeterministic outcomes and a lock that two orchestrations contend for.
const SPEC: &str = r#"
entity Account { init 0; op get(_) = get; op add(n) = set(get + n) }

extern Pay: [true, false]

activity Charge(x) = await call Pay(x)

orchestration Transfer(src, dst, amt) =
  lock [Account(src), Account(dst)] {
    let b = await call Account(src).get() in
    if b >= amt then
      await call Account(src).add(-amt);
      await call Account(dst).add(amt);
      true
    else false
  }

orchestration Unsafe(src, dst, amt) =
  let b = await call Account(src).get() in
  if b >= amt then
    await call Account(src).add(-amt);
    await call Account(dst).add(amt);
    true
  else false

orchestration Order(x) = if await call Charge(x) then ("paid", x) else ("declined", x)

scenario transfers {
  init Account("A") = 100;
  start t1 = Transfer("A", "B", 70);
  start t2 = Transfer("B", "A", 50);
  always state(Account("A")) >= 0;
  finally state(Account("A")) + state(Account("B")) == 100;
}

scenario overdraft {
  init Account("A") = 100;
  start t1 = Unsafe("A", "B", 70);
  start t2 = Unsafe("A", "B", 50);
  always state(Account("A")) >= 0;
}

scenario order {
  start t1 = Order(5);
  sometimes result(t1) == ("declined", 5);
}
"#;

/// Writes `text` to a fresh file in the temporary directory.
fn temp_spec(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("durable-determinism-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("spec written");
    path
}

fn run_json(path: &Path, scenario: &str, model: &str, seed: u64) -> (String, usize) {
    let req = RunRequest {
        spec: path.to_path_buf(),
        scenario: Some(scenario.to_string()),
        model: Some(model.to_string()),
        protocol: None,
        flags: FlagSettings::default(),
        seed,
        max_steps: 400,
        schedule: None,
        trace_out: None,
        itf: None,
        mermaid: None,
    };
    let report = run(&req).expect("run works");
    let steps = serde_json::to_string(&report.steps).expect("steps serialize");
    let whole = serde_json::to_string(&report).expect("report serializes");
    assert!(whole.contains(&steps));
    (whole, report.steps.len())
}

/// (a) The same seed gives the same run — steps, outcome and violations — in every model;
/// and the seed matters (different seeds give different runs), so the comparison means
/// something.
#[test]
fn same_seed_same_run() {
    let path = temp_spec("run.dfl", SPEC);
    for model in ["hl", "cs", "rr"] {
        for scenario in ["transfers", "overdraft", "order"] {
            let mut distinct = std::collections::BTreeSet::new();
            for seed in 0..8u64 {
                let (a, len) = run_json(&path, scenario, model, seed);
                let (b, _) = run_json(&path, scenario, model, seed);
                assert!(len > 0, "{model} {scenario} seed {seed}: no steps");
                assert_eq!(a, b, "{model} {scenario} seed {seed}: two runs differ");
                distinct.insert(a);
            }
            if scenario != "order" || model != "hl" {
                assert!(
                    distinct.len() > 1,
                    "{model} {scenario}: eight seeds gave one run"
                );
            }
        }
    }
}

/// Blanks the timing fields of a report (wherever they are), which are the only ones that
/// may differ between two runs.
fn blank_timings(v: &mut Json) {
    match v {
        Json::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "seconds" || k == "states_per_second" {
                    *x = Json::Null;
                } else {
                    blank_timings(x);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(blank_timings),
        _ => {}
    }
}

fn report_json(report: &SpecReport) -> Json {
    let mut v = serde_json::to_value(report).expect("reports serialize");
    blank_timings(&mut v);
    v
}

fn check_with(
    text: &str,
    model: Option<&str>,
    protocol: Option<&str>,
    threads: usize,
) -> SpecReport {
    let req = CheckRequest {
        model: model.map(str::to_string),
        protocol: protocol.map(str::to_string),
        threads,
        ..request("all")
    };
    check_spec(&spec(text), &req).expect("check runs")
}

/// (b) `check` with one thread gives byte-identical JSON, timings aside, in every model and
/// for a broken protocol (whose counterexamples are part of the report).
#[test]
fn check_one_thread_is_reproducible() {
    for (model, protocol) in [(Some("all"), None), (None, Some("lock-unsorted"))] {
        let a = check_with(SPEC, model, protocol, 1);
        let b = check_with(SPEC, model, protocol, 1);
        let (ja, jb) = (report_json(&a), report_json(&b));
        assert_eq!(
            serde_json::to_string_pretty(&ja).unwrap(),
            serde_json::to_string_pretty(&jb).unwrap(),
            "{model:?} {protocol:?}"
        );
        // The report has the substance the comparison is about.
        assert!(a
            .scenarios
            .iter()
            .all(|s| s.models.iter().all(|m| m.complete)));
        assert!(a
            .scenarios
            .iter()
            .any(|s| s.models.iter().any(|m| !m.violations.is_empty())));
    }
}

/// What must not depend on the number of threads: per scenario and model, the verdict,
/// completeness, every count, the outcome set, refinement, and which checks are violated with
/// how long a shortest counterexample (which one is found may differ).
fn thread_independent(report: &SpecReport) -> Json {
    let mut v = report_json(report);
    for s in v["scenarios"].as_array_mut().expect("scenarios") {
        for m in s["models"].as_array_mut().expect("models") {
            for viol in m["violations"].as_array_mut().expect("violations") {
                let kept = serde_json::json!({
                    "check": viol["check"],
                    "length": viol["length"],
                });
                *viol = kept;
            }
        }
    }
    v
}

/// (c) `--threads 4` gives the same verdicts, counts and outcome sets as `--threads 1`.
#[test]
fn four_threads_same_results_as_one() {
    for (model, protocol) in [(Some("all"), None), (None, Some("lock-unsorted"))] {
        let one = check_with(SPEC, model, protocol, 1);
        let four = check_with(SPEC, model, protocol, 4);
        assert_eq!(
            serde_json::to_string_pretty(&thread_independent(&one)).unwrap(),
            serde_json::to_string_pretty(&thread_independent(&four)).unwrap(),
            "{model:?} {protocol:?}"
        );
        assert_eq!(one.verdict, four.verdict);
    }
}
