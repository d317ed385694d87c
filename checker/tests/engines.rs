//! The explorer and stateright's own breadth-first checker agree on every count.

use durable_checker::explore::{explore, Bounds, Checks};
use durable_checker::stateright_model::StaterightModel;
use durable_interpreter::diagnostic::SourceFile;
use durable_interpreter::hl::{Hl, HlOptions};
use durable_interpreter::load::load;
use durable_model::high_level::HighLevel;
use stateright::{Checker, HasDiscoveries, Model};
use std::sync::Arc;

const BANK: &str = include_str!("../../specs/bank.dfl");

#[test]
fn stateright_bfs_counts_the_same_states_as_the_explorer() {
    let spec = Arc::new(load(SourceFile::new("specs/bank.dfl", BANK)).expect("bank loads"));
    let hl = || HighLevel(Hl::new(spec.clone(), 0, HlOptions::default()));
    let checks = Checks {
        spec: &spec,
        scenario: &spec.scenarios[0],
        refines: None,
        continue_all: true,
        stop_unless: None,
        collect_configs: false,
        threads: 1,
        bounds: Bounds::default(),
        hl_outcomes: None,
        progress: false,
        label: "hl".into(),
    };
    let ours = explore(&hl(), &checks);
    assert!(ours.complete && ours.violations.is_empty());

    let model = StaterightModel {
        protocol: hl(),
        spec: spec.clone(),
        scenario: 0,
    };
    // `always` properties hold and `sometimes` ones are examples, not failures: waiting for a
    // failure makes stateright explore everything.
    assert_eq!(model.properties().len(), 2);
    let checker = model
        .checker()
        .finish_when(HasDiscoveries::AnyFailures)
        .spawn_bfs()
        .join();
    assert_eq!(checker.unique_state_count() as u64, ours.unique_states);
    assert_eq!(checker.state_count() as u64, ours.states);
    checker.assert_no_discovery("always state(Account(\"A\")) >= 0");
    checker.assert_any_discovery("sometimes result(t2) == true");
}
