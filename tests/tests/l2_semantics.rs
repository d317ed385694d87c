//! Level 2 (LANGUAGE.md §6a, docs/semantics.md "Level 2"): every rule with the exact outcome
//! set of a small program — the same in HL, compute-storage and record-replay.

use durable_checker::check::check_spec;
use durable_checker::report::Verdict;
use durable_tests::{request, spec};

/// The outcome set of the one scenario of `text`, asserted equal in all three models.
fn outcomes(text: &str) -> Vec<String> {
    let report = check_spec(&spec(text), &request("all")).expect("check runs");
    let s = &report.scenarios[0];
    let hl = &s.models[0];
    assert!(hl.complete, "hl exploration incomplete");
    for m in &s.models[1..] {
        assert_eq!(m.outcomes, hl.outcomes, "{} differs from hl", m.model);
        assert_eq!(m.refines_hl, Some(true), "{} refines hl", m.model);
    }
    assert_eq!(s.equivalent, Some(true));
    hl.outcomes
        .iter()
        .map(durable_checker::report::outcome_json)
        .collect()
}

fn verdict(text: &str) -> (Verdict, Vec<String>) {
    let report = check_spec(&spec(text), &request("hl")).expect("check runs");
    let s = &report.scenarios[0];
    let checks = s.models[0]
        .violations
        .iter()
        .map(|v| v.check.clone())
        .collect();
    (s.verdict, checks)
}

#[test]
fn await_any_yields_the_future_delivered_first() {
    let o = outcomes(
        r#"
activity A(x) = x
orchestration O() = let a = call A("a") in let b = call A("b") in await_any([a, b])
scenario s { start t = O(); }
"#,
    );
    assert_eq!(
        o,
        [
            r#"{"t":"completed (0, \"a\")"}"#,
            r#"{"t":"completed (1, \"b\")"}"#
        ]
    );
}

#[test]
fn await_any_prefers_values_then_the_lowest_index_and_rejects_nothing() {
    let o = outcomes(
        r#"
activity A(x) = x
orchestration O() =
  let a = call A(1) in
  let first = await_any([a, "now", "later"]) in
  let err = try await_any([]) catch e -> e in
  (first, err, await a)
scenario s { start t = O(); }
"#,
    );
    assert_eq!(
        o,
        [r#"{"t":"completed ((1, \"now\"), \"type: `await_any` of an empty list\", 1)"}"#]
    );
}

#[test]
fn await_any_raises_the_error_of_the_first_delivered() {
    let o = outcomes(
        r#"
activity Ok() = "fine"
activity Bad() = fail("broken")
orchestration O() = try await_any([call Bad(), call Ok()]) catch e -> ("caught", e)
scenario s { start t = O(); }
"#,
    );
    assert_eq!(
        o,
        [
            r#"{"t":"completed (1, \"fine\")"}"#,
            r#"{"t":"completed (\"caught\", \"broken\")"}"#
        ]
    );
}

#[test]
fn await_all_raises_the_first_failure_in_list_order_whatever_failed_first() {
    let o = outcomes(
        r#"
activity Bad(x) = fail(x)
orchestration O() = try await_all([call Bad("first"), call Bad("second")]) catch e -> e
scenario s { start t = O(); }
"#,
    );
    assert_eq!(o, [r#"{"t":"completed \"first\""}"#]);
}

#[test]
fn events_bind_to_futures_in_creation_order_and_buffer_before_any_wait() {
    let o = outcomes(
        r#"
orchestration O() =
  let x1 = event("x") in
  let y = event("y") in
  let x2 = event("x") in
  (await x2, await y, await x1)
scenario s { start t = O(); raise t x(1); raise t y("why"); raise t x(2); }
"#,
    );
    assert_eq!(o, [r#"{"t":"completed (2, \"why\", 1)"}"#]);
}

#[test]
fn an_event_for_an_absent_instance_is_dropped() {
    let (v, checks) = verdict(
        r#"
orchestration O() = await event("go")
scenario s { raise t go(1); start t = O(); }
"#,
    );
    assert_eq!(v, Verdict::Fail);
    assert_eq!(checks, ["deadlock"]);
}

#[test]
fn continue_as_new_drops_buffered_events() {
    let o = outcomes(
        r#"
orchestration O(n) =
  if n == 0 then (await timer(1); continue O(1))
  else (let (i, v) = await_any([event("x"), timer(1)]) in if i == 0 then v else "nothing")
scenario s { start t = O(0); raise t x("early"); }
"#,
    );
    // The event reaches execution 0 (buffered, then dropped by continue) or execution 1.
    assert_eq!(
        o,
        [
            r#"{"t":"completed \"early\""}"#,
            r#"{"t":"completed \"nothing\""}"#
        ]
    );
}

#[test]
fn now_counts_what_the_code_received_but_not_lock_grants() {
    // Whenever the event and the results arrive, and however a worker batches them, the code
    // sees the same logical times.
    let o = outcomes(
        r#"
entity E { init 0; op get(_) = get }
activity A() = ()
orchestration O() =
  let t0 = now() in
  let g = lock [E()] { now() } in
  let unawaited = call A() in
  await call A();
  let t1 = now() in
  await timer(1);
  let t2 = now() in
  await event("e");
  (t0, g, t1, t2, now())
scenario s { start t = O(); raise t e(()); }
"#,
    );
    assert_eq!(o, [r#"{"E()":"0","t":"completed (0, 0, 1, 2, 3)"}"#]);
    for batch in ["all", "any"] {
        let text = r#"
activity A() = ()
orchestration O() = let a = call A() in let b = call A() in await b; (now(), await a, now())
scenario s { start t = O(); raise t e(()); }
"#;
        let mut req = durable_tests::request("all");
        req.flags.batch = durable_interpreter::syntax::ast::BatchMode::parse(batch);
        let report = check_spec(&spec(text), &req).expect("check runs");
        let s = &report.scenarios[0];
        assert_eq!(s.equivalent, Some(true), "batch {batch}");
        let o: Vec<String> = s.models[1]
            .outcomes
            .iter()
            .map(durable_checker::report::outcome_json)
            .collect();
        assert_eq!(o, [r#"{"t":"completed (1, (), 2)"}"#], "batch {batch}");
    }
}

#[test]
fn sub_orchestrations_are_named_after_their_parent_and_removed_when_done() {
    let text = r#"
activity Id(x) = x
orchestration Child(x) = await call Id(x)
orchestration O() = (await call Child(1), await call Child(2))
scenario s {
  start t = O();
  always status("t:0:1") != "completed" && status("t:0:2") != "completed";
  sometimes status("t:0:1") == "running";
  sometimes status("t:0:2") == "running";
  finally result(t) == (1, 2) && status("t:0:1") == "absent" && status("t:0:2") == "absent";
}
"#;
    assert_eq!(outcomes(text), [r#"{"t":"completed (1, 2)"}"#]);
    let (v, checks) = verdict(text);
    assert_eq!((v, checks), (Verdict::Pass, Vec::<String>::new()));
}

#[test]
fn a_sub_orchestrations_failure_is_raised_at_its_parents_await() {
    let o = outcomes(
        r#"
orchestration Child() = fail(("no", 3))
orchestration O() = try await call Child() catch (what, n) -> (what, n + 1)
scenario s { start t = O(); }
"#,
    );
    assert_eq!(o, [r#"{"t":"completed (\"no\", 4)"}"#]);
}

#[test]
fn a_stale_sub_orchestration_result_is_dropped_after_continue_as_new() {
    let o = outcomes(
        r#"
activity Id(x) = x
orchestration Child(x) = await call Id(x)
orchestration O(n) =
  if n == 0 then (call Child("stale"); continue O(1)) else await call Child("fresh")
scenario s { start t = O(0); }
"#,
    );
    assert_eq!(o, [r#"{"t":"completed \"fresh\""}"#]);
}

#[test]
fn a_continue_as_new_loop_with_sub_orchestrations_stays_finite() {
    let report = check_spec(
        &spec(
            r#"
activity Coin() = choose([true, false])
orchestration Child() = await call Coin()
orchestration Loop() = if await call Child() then continue Loop() else "done"
scenario s { start t = Loop(); }
"#,
        ),
        &request("all"),
    )
    .expect("check runs");
    let s = &report.scenarios[0];
    assert_eq!(s.verdict, Verdict::Pass);
    assert_eq!(s.equivalent, Some(true));
    for m in &s.models {
        assert!(m.complete, "{} finite", m.model);
    }
    assert!(
        s.models[0].unique_states < 50,
        "hl: {}",
        s.models[0].unique_states
    );
}

#[test]
fn a_timer_fires_at_any_later_step() {
    let o = outcomes(
        r#"
entity L { init []; op add(x) = set(get ++ [x]) }
activity A() = ()
orchestration O() =
  let t = timer(10) in
  let a = call A() in
  let (i, _) = await_any([t, a]) in
  await call L().add(i)
scenario s { start o = O(); }
"#,
    );
    assert_eq!(
        o,
        [
            r#"{"L()":"[0]","o":"completed ()"}"#,
            r#"{"L()":"[1]","o":"completed ()"}"#
        ]
    );
}

#[test]
fn a_sub_orchestration_inside_a_critical_section_breaks_a_lock_rule() {
    let o = outcomes(
        r#"
entity E { init 0 }
orchestration Child() = 1
orchestration O() = lock [E()] { await call Child() }
scenario s { start t = O(); }
"#,
    );
    assert_eq!(
        o,
        [
            r#"{"E()":"0","t":"failed \"lock-rule: sub-orchestration `Child` called inside a critical section\""}"#
        ]
    );
}

#[test]
fn a_stuck_sub_orchestration_is_a_deadlock() {
    let (v, checks) = verdict(
        r#"
orchestration Child() = await event("never")
orchestration O() = await call Child()
scenario s { start t = O(); }
"#,
    );
    assert_eq!((v, checks), (Verdict::Fail, vec!["deadlock".to_string()]));
}
