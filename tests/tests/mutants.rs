//! The broken protocols (CLI.md "mutants"): the bundled specs reject every one, each with a
//! counterexample that `replay` reproduces, and a protocol no scenario exposes survives.

use durable_checker::explore::Bounds;
use durable_checker::mutants_cmd::{mutants, MutantsReport, MutantsRequest};
use durable_checker::replay_cmd::replay;
use durable_checker::settings::FlagSettings;
use durable_model::mutants::MUTANTS;
use durable_tests::root;
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("durable-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `durable mutants PATH...` with its defaults (a broken protocol's search is bounded at
/// 200000 states), traces written to `dir`.
fn run(paths: Vec<PathBuf>, dir: &std::path::Path) -> MutantsReport {
    mutants(&MutantsRequest {
        paths,
        flags: FlagSettings::default(),
        bounds: Bounds {
            max_states: 200_000,
            ..Bounds::default()
        },
        threads: 1,
        trace_dir: Some(dir.to_path_buf()),
        progress: false,
    })
    .expect("the specs load")
}

#[test]
fn the_specs_reject_every_broken_protocol_with_a_replayable_counterexample() {
    let dir = temp_dir("mutants");
    // Absolute paths: the traces name their spec as given, and replay from any directory.
    let report = run(vec![root().join("specs")], &dir);
    assert_eq!(report.total, MUTANTS.len());
    let names: Vec<&str> = report.mutants.iter().map(|m| m.protocol.as_str()).collect();
    let listed: Vec<&str> = MUTANTS.iter().map(|m| m.info.name).collect();
    assert_eq!(
        names, listed,
        "one verdict per broken protocol, in the listed order"
    );
    for m in &report.mutants {
        assert!(
            m.rejected,
            "{} survived {} scenarios",
            m.protocol, m.scenarios
        );
        let check = m
            .check
            .as_deref()
            .expect("a rejected protocol names its check");
        let trace = PathBuf::from(m.trace.as_deref().expect("and its counterexample's trace"));
        assert!(
            trace.starts_with(&dir),
            "{}: {}",
            m.protocol,
            trace.display()
        );
        let r = replay(&trace, None, None).expect("the trace is readable");
        assert!(r.reproduced, "{}: {:?}", m.protocol, r.message);
        assert_eq!(r.exit_code(), 1, "{}", m.protocol);
        assert_eq!(r.protocol, m.protocol);
        assert_eq!(r.check.as_deref(), Some(check), "{}", m.protocol);
        assert_eq!(
            Some(r.steps.len()),
            m.length,
            "{}: the replay has the counterexample's length",
            m.protocol
        );
    }
    assert_eq!(report.rejected, MUTANTS.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_protocol_that_no_scenario_exposes_survives() {
    // Two starts of one instance id touch no entity and no lock: the lock protocols and the
    // record-replay id and snapshot bugs cannot show there.
    let dir = temp_dir("mutants-survive");
    let report = run(vec![root().join("specs/duplicate_start.dfl")], &dir);
    let survived: Vec<&str> = report
        .mutants
        .iter()
        .filter(|m| !m.rejected)
        .map(|m| m.protocol.as_str())
        .collect();
    for name in [
        "lock-unsorted",
        "lock-no-holder-priority",
        "rr-snapshot-without-lock",
    ] {
        assert!(survived.contains(&name), "{name} rejected: {survived:?}");
    }
    for m in report.mutants.iter().filter(|m| !m.rejected) {
        assert!(m.check.is_none() && m.trace.is_none(), "{m:?}");
        assert!(m.scenarios > 0, "{}: run on no scenario", m.protocol);
    }
    assert_eq!(report.rejected, report.total - survived.len());
    assert!(report.rejected < report.total);
    let _ = std::fs::remove_dir_all(&dir);
}
