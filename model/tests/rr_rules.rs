//! The record-replay rules: replay sends nothing, stale responses are dropped, and a history
//! cut at any commit replays to the state compute-storage stores (the paper's Lemma 6.6 and
//! Theorem 6.4, checked in lockstep on many paths).

use durable_interpreter::diagnostic::SourceFile;
use durable_interpreter::hl::choice::Choices;
use durable_interpreter::hl::orchestration::{OrchOptions, Status};
use durable_interpreter::load::load;
use durable_interpreter::syntax::ast::BatchMode;
use durable_interpreter::value::Value;
use durable_model::faults::{FaultBudget, Variant};
use durable_model::history::{replay, ReplayCheck};
use durable_model::protocol::Protocol;
use durable_model::runtime::{Runtime, RuntimeOptions, RuntimeState, CS_INFO, RR_INFO};
use durable_model::storage::{Key, OrchRecord, Stored};
use durable_model::worker::{Persistence, Phase};
use std::sync::Arc;

fn model(text: &str, rr: bool, batch: BatchMode) -> Runtime {
    let spec = Arc::new(load(SourceFile::new("t.dfl", text)).unwrap_or_else(|e| panic!("{e}")));
    let opts = RuntimeOptions {
        lock_activities: false,
        budget: FaultBudget {
            crashes: 1,
            duplicates: 1,
            lost_commits: 1,
            batch,
            timeouts: false,
        },
        variant: Variant::default(),
        persistence: if rr {
            Persistence::History {
                check: ReplayCheck::Whole,
                resend: false,
            }
        } else {
            Persistence::State
        },
    };
    let info = if rr { RR_INFO } else { CS_INFO };
    Runtime::new(spec, 0, opts, info)
}

fn take(m: &Runtime, s: &RuntimeState, what: &str) -> RuntimeState {
    let mut out = Vec::new();
    m.successors(s, &mut out);
    let texts: Vec<String> = out.iter().map(|(a, _)| a.to_string()).collect();
    match out.into_iter().find(|(a, _)| a.to_string().contains(what)) {
        Some((_, next)) => next,
        None => panic!("no step `{what}` among {texts:?}"),
    }
}

const CHAIN: &str = r#"
activity A(x) = x + 1
orchestration O(x) = let a = await call A(x) in let b = await call A(a) in a + b
scenario s { start t = O(1); }
"#;

#[test]
fn replay_sends_nothing_again() {
    let m = model(CHAIN, true, BatchMode::One);
    let s = take(&m, &m.init(), "input #0");
    let s = take(&m, &s, "fetch t [start O(1)]");
    let s = take(&m, &s, "commit worker 0 on t");
    let s = take(&m, &s, "fetch activity t#0.0");
    let s = take(&m, &s, "step worker 0");
    let s = take(&m, &s, "commit worker 0");
    // The second work item replays the first (which sent `run A(1)`) and must send only
    // what is new.
    let s = take(&m, &s, "fetch t [2 for t#0.0]");
    let Phase::Ready(commit) = &s.workers[0].phase else {
        panic!("a ready worker")
    };
    let sent: Vec<String> = commit.outgoing.iter().map(ToString::to_string).collect();
    assert_eq!(sent, vec!["run A(2)".to_string()]);
    let Stored::Orchestration(OrchRecord::History(h)) = &commit.after else {
        panic!("rr stores a history")
    };
    assert_eq!(h.items.len(), 2);
    assert_eq!(h.recorded_outs().len(), 2);
}

/// A response to an earlier execution must not resolve a future of the current one with the
/// same number: `A`'s result (100) would otherwise replace `B`'s (7).
const STALE: &str = r#"
activity A(n) = n * 100
activity B(n) = 7
orchestration O(n) = if n > 0 then (call A(n); continue O(n - 1)) else await call B(0)
scenario s { start t = O(1); }
"#;

#[test]
fn a_stale_response_after_continue_as_new_is_dropped() {
    for rr in [false, true] {
        let m = model(STALE, rr, BatchMode::One);
        let s = take(&m, &m.init(), "input #0");
        let s = take(&m, &s, "fetch t [start O(1)]");
        let s = take(&m, &s, "commit worker 0 on t");
        // Execution 1 starts and calls B before A's result (for execution 0) arrives.
        let s = take(&m, &s, "fetch t []");
        let s = take(&m, &s, "commit worker 0 on t");
        let s = take(&m, &s, "fetch activity t#0.0");
        let s = take(&m, &s, "step worker 0");
        let s = take(&m, &s, "commit worker 0");
        let s = take(&m, &s, "fetch t [100 for t#0.0]");
        let s = take(&m, &s, "commit worker 0 on t");
        let c = m.abstraction(&s);
        let o = &c.orchestrations["t"];
        assert!(
            o.resolved.is_empty(),
            "rr={rr}: the stale result was dropped"
        );
        assert!(matches!(o.status, Status::Running(_)));
        // Nothing of execution 0 is in flight any more: execution 1 is renumbered 0.
        let s = take(&m, &s, "fetch activity t#0.0 [call B(0)]");
        let s = take(&m, &s, "step worker 0");
        let s = take(&m, &s, "commit worker 0");
        let s = take(&m, &s, "fetch t [7 for t#0.0]");
        let s = take(&m, &s, "commit worker 0 on t");
        let c = m.abstraction(&s);
        assert_eq!(
            c.orchestrations["t"].status,
            Status::Completed(Value::Int(7))
        );
    }
}

/// Specs whose histories are checked against compute-storage's stored states.
const LOCKSTEP_SPECS: [&str; 3] = [
    CHAIN,
    STALE,
    r#"
entity Account { init 0; op get(_) = get; op add(n) = set(get + n) }
orchestration Transfer(src, dst, amt) =
  lock [Account(src), Account(dst)] {
    let b = await call Account(src).get() in
    if b >= amt then
      await call Account(src).add(-amt);
      await call Account(dst).add(amt);
      true
    else false
  }
scenario two_transfers {
  init Account("A") = 100;
  start t1 = Transfer("A", "B", 70);
  start t2 = Transfer("A", "B", 50);
}
"#,
];

/// A small deterministic generator for the walks (the test must not depend on a seed file).
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn every_history_replays_to_the_state_compute_storage_stores() {
    let mut checked = 0;
    for text in LOCKSTEP_SPECS {
        for batch in [BatchMode::One, BatchMode::All, BatchMode::Any] {
            let cs = model(text, false, batch);
            let rr = model(text, true, batch);
            for walk in 0..40u64 {
                let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (walk + 1);
                let (mut a, mut b) = (cs.init(), rr.init());
                for _ in 0..200 {
                    let mut out_a = Vec::new();
                    cs.successors(&a, &mut out_a);
                    if out_a.is_empty() {
                        break;
                    }
                    let i = (next(&mut seed) % out_a.len() as u64) as usize;
                    let (action, next_a) = out_a.swap_remove(i);
                    // RR's fetches also say how much they replay; otherwise the steps are named
                    // alike.
                    let name = action.to_string();
                    let mut out_b = Vec::new();
                    rr.successors(&b, &mut out_b);
                    let (_, next_b) = out_b
                        .into_iter()
                        .find(|(a, _)| without_replays(&a.to_string()) == name)
                        .unwrap_or_else(|| panic!("rr cannot take `{name}`"));
                    a = next_a;
                    b = next_b;
                    checked += compare_orchestrations(&rr, &a, &b);
                    assert_eq!(cs.abstraction(&a), rr.abstraction(&b), "after `{name}`");
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} comparisons");
}

fn without_replays(action: &str) -> String {
    match action.find(", replaying ") {
        Some(i) => {
            let rest = &action[i..];
            let end = rest.find(" choosing").unwrap_or(rest.len());
            format!("{}{}", &action[..i], &rest[end..])
        }
        None => action.to_string(),
    }
}

/// At every key, the stored RR history replays to exactly the stored CS state.
fn compare_orchestrations(rr: &Runtime, cs_state: &RuntimeState, rr_state: &RuntimeState) -> usize {
    let mut n = 0;
    for (key, slot) in &rr_state.storage {
        let Key::Instance(id) = key else { continue };
        let Stored::Orchestration(OrchRecord::History(h)) = &slot.stored else {
            continue;
        };
        let Stored::Orchestration(OrchRecord::State(expected)) = &cs_state.storage[key].stored
        else {
            panic!("cs stores the state of {id}")
        };
        let opts = OrchOptions::default();
        let replayed = replay(
            &rr.spec,
            opts,
            id,
            h,
            ReplayCheck::Whole,
            &mut Choices::new(vec![]),
        )
        .unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(
            &replayed, expected,
            "{id}'s history replays to the stored state"
        );
        n += 1;
    }
    n
}
