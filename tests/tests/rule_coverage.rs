//! The rules of docs/semantics.md that `hl_semantics.rs`, `l2_semantics.rs`,
//! `model/tests/cs_rules.rs` and `model/tests/rr_rules.rs` leave without a test of their own:
//! each observed on a small DFL program as the exact outcome set (and, where the rule is
//! about an execution model, the exact outcome set of that model and its verdicts). The rule
//! each test exercises is named in its doc comment.

use durable_checker::check::check_spec;
use durable_checker::report::{outcome_json, ModelReport, ScenarioReport};
use durable_interpreter::diagnostic::SourceFile;
use durable_interpreter::load::load;
use durable_interpreter::syntax::ast::BatchMode;
use durable_model::faults::{FaultBudget, Variant};
use durable_model::history::ReplayCheck;
use durable_model::protocol::Protocol;
use durable_model::runtime::{Runtime, RuntimeOptions, CS_INFO, RR_INFO};
use durable_model::storage::Key;
use durable_model::worker::Persistence;
use durable_tests::outcome as o;
use durable_tests::{request, spec};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Outcomes in any order, sorted as the reports list them.
fn set(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// The report of one scenario of `text` checked in `model` (`hl`, `cs`, `rr` or `all`).
fn scenario(text: &str, name: &str, model: &str) -> ScenarioReport {
    let mut req = request(model);
    req.scenarios = vec![name.to_string()];
    let mut report = check_spec(&spec(text), &req).expect("check runs");
    report.scenarios.remove(0)
}

/// One model's report within a scenario's.
fn model<'a>(s: &'a ScenarioReport, name: &str) -> &'a ModelReport {
    s.models
        .iter()
        .find(|m| m.model == name)
        .unwrap_or_else(|| panic!("{name} was checked"))
}

/// A model's outcome set, each outcome as its compact JSON text, after a complete search.
fn outs(m: &ModelReport) -> Vec<String> {
    assert!(m.complete, "{}: exploration incomplete", m.model);
    m.outcomes.iter().map(outcome_json).collect()
}

/// The checks a model reports violated, sorted.
fn violated(m: &ModelReport) -> Vec<String> {
    let mut v: Vec<String> = m.violations.iter().map(|v| v.check.clone()).collect();
    v.sort();
    v
}

/// The outcome set of one scenario, asserted the same in HL, CS and RR, with both execution
/// models refining HL and nothing violated anywhere.
fn all_models(text: &str, name: &str) -> Vec<String> {
    let s = scenario(text, name, "all");
    let hl = model(&s, "hl");
    let want = outs(hl);
    for m in &s.models {
        assert_eq!(outs(m), want, "{name}: {} differs from hl", m.model);
        assert_eq!(violated(m), Vec::<String>::new(), "{name}: {}", m.model);
        assert_eq!(m.stuck, 0, "{name}: {}", m.model);
        if m.model != "hl" {
            assert_eq!(m.refines_hl, Some(true), "{name}: {} refines hl", m.model);
        }
    }
    assert_eq!(s.equivalent, Some(true), "{name}");
    want
}

// ---------------------------------------------------------------------------------------------
// Level 2

/// Timer-Fire (and Deliver): a timer set by an execution that then continued as new still
/// fires, but its firing is stale and dropped. Execution 1's `await_any` waits for an event
/// that never comes and an activity; a stale firing that reached execution 1's future with the
/// same counter would make it yield `(0, ())` (or `(1, ())`).
#[test]
fn a_stale_timer_firing_after_continue_as_new_is_dropped() {
    let text = r#"
activity A(x) = x
orchestration O(n) =
  if n == 0 then (timer(1); continue O(1)) else await_any([event("never"), call A("a")])
scenario s { start t = O(0); }
"#;
    assert_eq!(all_models(text, "s"), [o(&[("t", "completed (1, \"a\")")])]);
}

/// Event-Deliver: an event raised to an instance that is absent (not started yet) is dropped,
/// and so is one that reaches an instance already finished; while the instance runs it is
/// delivered (buffered or taken by the waiting future).
#[test]
fn an_event_for_an_absent_or_finished_instance_is_dropped() {
    let text = r#"
orchestration O() = await_any([event("go"), timer(1)])
scenario before_start { raise t go(7); start t = O(); }
scenario while_running { start t = O(); raise t go(7); }
"#;
    // Raised before the start: never delivered, only the timer can win.
    assert_eq!(
        all_models(text, "before_start"),
        [o(&[("t", "completed (1, ())")])]
    );
    // Raised after the start: it wins if it arrives before the timer fires; otherwise the
    // instance completes with the timer and the event is dropped (at the finished instance,
    // or unused) — no crash, nothing stuck.
    assert_eq!(
        all_models(text, "while_running"),
        set(vec![
            o(&[("t", "completed (0, 7)")]),
            o(&[("t", "completed (1, ())")]),
        ])
    );
}

/// Await-All: the list of values in list order (not arrival order), a non-future standing for
/// itself, `await_all([])` is `[]`; awaiting a future again through another `await_all`
/// yields the same value.
#[test]
fn await_all_yields_values_in_list_order() {
    let text = r#"
activity A(x) = x * 10
orchestration O() =
  let a = call A(1) in
  let b = call A(2) in
  (await_all([b, 5, a]), await_all([]), await_all([a, "x"]))
scenario s { start t = O(); }
"#;
    assert_eq!(
        all_models(text, "s"),
        [o(&[("t", "completed ([20, 5, 10], [], [10, \"x\"])")])]
    );
}

/// Await-All (with Now): `await_all` suspends until *every* future has its result before it
/// raises the first failure, so both results count as received: `now()` is 2 afterwards,
/// whichever arrived first.
#[test]
fn await_all_waits_for_every_future_before_raising() {
    let text = r#"
activity Bad() = fail("bad")
activity Ok() = "ok"
orchestration O() = let r = try await_all([call Bad(), call Ok()]) catch e -> e in (r, now())
scenario s { start t = O(); }
"#;
    assert_eq!(
        all_models(text, "s"),
        [o(&[("t", "completed (\"bad\", 2)")])]
    );
}

/// Canon-Execution with Sub-Start: a sub-orchestration carries its parent's execution number
/// in its id, and is renamed with it. After `continue`, execution 1 keeps the number 1 while
/// execution 0's activity is in flight — its child starts as `t:1:1`, the grandchild as
/// `t:1:1:0:1` — and becomes 0 once the stale result is dropped: the same instances are then
/// `t:0:1` and `t:0:1:0:1`. With nothing stale in flight the child is `t:0:1` from the start.
#[test]
fn sub_orchestration_ids_are_renumbered_with_their_parents_execution() {
    let text = r#"
activity Id(x) = x
orchestration Grand(x) = await call Id(x)
orchestration Child(x) = await call Grand(x)
orchestration Stale(n) = if n == 0 then (call Id("stale"); continue Stale(1)) else await call Child(n)
orchestration Clean(n) = if n == 0 then continue Clean(1) else await call Child(n)
scenario stale {
  start t = Stale(0);
  sometimes status("t:1:1") == "running";
  sometimes status("t:1:1:0:1") == "running";
  sometimes status("t:0:1") == "running";
  sometimes status("t:0:1:0:1") == "running";
  always status("t:1:1") == "absent" || status("t:0:1") == "absent";
  finally status("t:0:1") == "absent" && status("t:1:1") == "absent";
}
scenario clean {
  start t = Clean(0);
  always status("t:1:1") == "absent";
  sometimes status("t:0:1") == "running";
  sometimes status("t:0:1:0:1") == "running";
}
"#;
    assert_eq!(all_models(text, "stale"), [o(&[("t", "completed 1")])]);
    assert_eq!(all_models(text, "clean"), [o(&[("t", "completed 1")])]);
}

// ---------------------------------------------------------------------------------------------
// Compute-storage and record-replay

const EXTERN_ONCE: &str = r#"
extern X: [()]
activity A() = await call X(1)
activity Two() = await call X(1); await call X(2)
activity B(x) = x + 1
orchestration O() = await call A()
orchestration P() = await call Two()
orchestration Q() = await call B(1)
scenario lost [crashes = 0, duplicates = 0, lost_commits = 1] { start t = O(); }
scenario lost_plain [crashes = 0, duplicates = 0, lost_commits = 1] { start t = Q(); }
scenario crash [crashes = 1, duplicates = 0] { start t = O(); }
scenario duplicate [crashes = 0, duplicates = 1] { start t = O(); }
scenario both [crashes = 1, duplicates = 1] { start t = O(); }
scenario crash_between [crashes = 1, duplicates = 0] { start t = P(); }
scenario fault_free [crashes = 0, duplicates = 0] { start t = P(); }
"#;

/// Asserts that in `cs` and in `rr` the scenario's outcome set is exactly `want`, HL's is
/// exactly `hl_want`, and — where they differ — that the only violation is `equivalence`,
/// with the outcomes HL cannot produce as its `extra`.
fn assert_faulty(text: &str, name: &str, hl_want: &[String], want: &[String]) {
    let s = scenario(text, name, "all");
    assert_eq!(outs(model(&s, "hl")), hl_want, "{name}: hl");
    let extra: Vec<String> = want
        .iter()
        .filter(|w| !hl_want.contains(w))
        .cloned()
        .collect();
    for m in ["cs", "rr"] {
        let r = model(&s, m);
        assert_eq!(outs(r), want, "{name}: {m}");
        assert_eq!(r.stuck, 0, "{name}: {m}");
        if extra.is_empty() {
            assert_eq!(violated(r), Vec::<String>::new(), "{name}: {m}");
            assert_eq!(r.refines_hl, Some(true), "{name}: {m}");
        } else {
            assert_eq!(violated(r), ["equivalence"], "{name}: {m}");
            let v = &r.violations[0];
            let got: Vec<String> = v
                .extra
                .as_ref()
                .expect("an equivalence violation lists the extra outcomes")
                .iter()
                .map(outcome_json)
                .collect();
            assert_eq!(got, extra, "{name}: {m}");
            // The extern log is not abstracted: the states still refine HL.
            assert_eq!(r.refines_hl, Some(true), "{name}: {m}");
        }
    }
}

/// CS-Lost-Commit (`lost_commits`): an activity worker's ready commit lost on its way is
/// re-executed by a new worker, which repeats the extern call — an outcome HL cannot produce;
/// without an extern call a lost commit is invisible (the same outcome set as HL).
#[test]
fn a_lost_commit_reexecutes_the_work_item() {
    let once = o(&[("extern X", "[1]"), ("t", "completed ()")]);
    let twice = o(&[("extern X", "[1, 1]"), ("t", "completed ()")]);
    assert_faulty(
        EXTERN_ONCE,
        "lost",
        std::slice::from_ref(&once),
        &set(vec![once.clone(), twice]),
    );
    let plain = o(&[("t", "completed 2")]);
    assert_faulty(
        EXTERN_ONCE,
        "lost_plain",
        std::slice::from_ref(&plain),
        std::slice::from_ref(&plain),
    );
}

/// CS-Crash, CS-Commit (duplicates) and CS-Activity-Step: a crashed activity worker is
/// re-executed and a duplicate worker runs the same work item; each repeats the extern call,
/// which is logged when reached, so one crash and one duplicate can make it three times; the
/// activity's effect on storage happens once (the orchestration completes once, with `()`).
#[test]
fn crashes_and_duplicates_repeat_extern_calls() {
    let calls = |n: usize| {
        let args = vec!["1"; n].join(", ");
        o(&[("extern X", &format!("[{args}]")), ("t", "completed ()")])
    };
    let hl = [calls(1)];
    assert_faulty(EXTERN_ONCE, "crash", &hl, &set(vec![calls(1), calls(2)]));
    assert_faulty(
        EXTERN_ONCE,
        "duplicate",
        &hl,
        &set(vec![calls(1), calls(2)]),
    );
    assert_faulty(
        EXTERN_ONCE,
        "both",
        &hl,
        &set(vec![calls(1), calls(2), calls(3)]),
    );
}

/// CS-Activity-Step: an activity worker advances one effect point per step, so a crash can
/// fall between two extern calls: the re-executed worker repeats only what the crashed one
/// had reached — `[1, 1, 2]` — or both; without faults each call is made once.
#[test]
fn a_crash_can_fall_between_two_extern_calls() {
    let with = |x: &str| o(&[("extern X", x), ("t", "completed ()")]);
    let hl = [with("[1, 2]")];
    assert_faulty(
        EXTERN_ONCE,
        "crash_between",
        &hl,
        &set(vec![
            with("[1, 2]"),
            with("[1, 1, 2]"),
            with("[1, 1, 2, 2]"),
        ]),
    );
    assert_faulty(EXTERN_ONCE, "fault_free", &hl, &hl);
}

/// CS-Timeout (with Activity-Timeout): a timeout is a storage step that completes the
/// activity with `"timeout"` before or after its extern call, and discards the workers
/// executing it: CS and RR have exactly HL's outcomes, whatever the batch mode.
#[test]
fn a_timeout_in_storage_has_hls_outcomes() {
    let text = r#"
extern X: [10]
activity A() = let r = await call X(1) in r + 1
orchestration O() = try await call A() catch e -> ("caught", e)
scenario s [timeouts, crashes = 0, duplicates = 0] { start t = O(); }
scenario all_batch [timeouts, crashes = 0, duplicates = 0, batch = all] { start t = O(); }
"#;
    let want = set(vec![
        o(&[("extern X", "[1]"), ("t", "completed 11")]),
        o(&[
            ("extern X", "[1]"),
            ("t", "completed (\"caught\", \"timeout\")"),
        ]),
        o(&[("t", "completed (\"caught\", \"timeout\")")]),
    ]);
    assert_eq!(all_models(text, "s"), want);
    assert_eq!(all_models(text, "all_batch"), want);
}

/// RR-Divergence: an orchestration that branches on `choose` (`allow_nondeterminism`) makes a
/// replaying worker diverge in RR — a `replay-divergence` violation — but the diverged worker
/// commits nothing and is never terminal, so RR's outcomes are exactly HL's (never the
/// mismatched `(1, 20)`); CS, which stores continuations, passes.
#[test]
fn a_replay_divergence_is_reported_and_never_terminal() {
    let text = r#"
activity Work(x) = x * 10
orchestration O() = let c = choose([1, 2]) in (c, await call Work(c))
scenario s [allow_nondeterminism, crashes = 0, duplicates = 0] { start t = O(); }
"#;
    let s = scenario(text, "s", "all");
    let want = set(vec![
        o(&[("t", "completed (1, 10)")]),
        o(&[("t", "completed (2, 20)")]),
    ]);
    for m in ["hl", "cs", "rr"] {
        assert_eq!(outs(model(&s, m)), want, "{m}");
        assert_eq!(model(&s, m).stuck, 0, "{m}");
    }
    assert_eq!(violated(model(&s, "hl")), Vec::<String>::new());
    assert_eq!(violated(model(&s, "cs")), Vec::<String>::new());
    assert_eq!(violated(model(&s, "rr")), ["replay-divergence"]);
}

/// The runtime's options for the storage walk below: no faults.
fn runtime(text: &str, rr: bool) -> Runtime {
    let spec = Arc::new(load(SourceFile::new("t.dfl", text)).unwrap_or_else(|e| panic!("{e}")));
    let opts = RuntimeOptions {
        lock_activities: false,
        budget: FaultBudget {
            crashes: 0,
            duplicates: 0,
            lost_commits: 0,
            batch: BatchMode::One,
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
    Runtime::new(spec, 0, opts, if rr { RR_INFO } else { CS_INFO })
}

/// Keys and CS-Sub: an entity's key exists once touched; an activity's key goes when its
/// completion commits; a sub-orchestration's key goes once it has finished and its queue is
/// empty. Walked to a terminal state (always the first enabled step, which is a fault-free
/// path), storage holds only the started instance and the touched entity — in CS and in RR.
#[test]
fn finished_activity_and_sub_orchestration_keys_are_removed() {
    let text = r#"
entity E { init 0; op add(n) = set(get + n) }
activity A(x) = x + 1
orchestration Child(x) = let v = await call A(x) in signal E().add(v); v
orchestration O() = let a = await call A(1) in let c = await call Child(a) in (a, c)
scenario s { start t = O(); }
"#;
    for rr in [false, true] {
        let m = runtime(text, rr);
        let mut s = m.init();
        let mut seen_activity = false;
        let mut seen_sub = false;
        for _ in 0..200 {
            let mut out = Vec::new();
            m.successors(&s, &mut out);
            let Some((_, next)) = out.into_iter().next() else {
                break;
            };
            s = next;
            seen_activity |= s.storage.keys().any(|k| matches!(k, Key::Activity(_)));
            seen_sub |= s
                .storage
                .keys()
                .any(|k| matches!(k, Key::Instance(i) if i.as_ref() == "t:0:1"));
        }
        assert!(s.workers.is_empty(), "rr={rr}: terminal");
        assert!(
            seen_activity && seen_sub,
            "rr={rr}: the keys existed on the way"
        );
        let keys: Vec<String> = s.storage.keys().map(ToString::to_string).collect();
        assert_eq!(keys, ["t", "E()"], "rr={rr}");
        let c = m.abstraction(&s);
        assert!(c.activities.is_empty(), "rr={rr}");
        assert_eq!(
            c.orchestrations
                .keys()
                .map(|k| k.to_string())
                .collect::<Vec<_>>(),
            ["t"],
            "rr={rr}"
        );
    }
}
