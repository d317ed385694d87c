//! The compute-storage rules on small scenarios, driven step by step.

use durable_interpreter::diagnostic::SourceFile;
use durable_interpreter::hl::entity::EntityState;
use durable_interpreter::load::load;
use durable_interpreter::syntax::ast::BatchMode;
use durable_interpreter::value::Value;
use durable_model::faults::{FaultBudget, Variant};
use durable_model::protocol::Protocol;
use durable_model::runtime::{Runtime, RuntimeOptions, RuntimeState, CS_INFO};
use durable_model::storage::{Key, Stored};
use durable_model::worker::Persistence;
use std::sync::Arc;

fn cs(text: &str) -> Runtime {
    let spec = Arc::new(load(SourceFile::new("t.dfl", text)).unwrap_or_else(|e| panic!("{e}")));
    let opts = RuntimeOptions {
        lock_activities: false,
        budget: FaultBudget {
            crashes: 1,
            duplicates: 1,
            lost_commits: 1,
            batch: BatchMode::One,
            timeouts: false,
        },
        variant: Variant::default(),
        persistence: Persistence::State,
    };
    Runtime::new(spec, 0, opts, CS_INFO)
}

/// The texts of the steps enabled in `s`.
fn enabled(m: &Runtime, s: &RuntimeState) -> Vec<String> {
    let mut out = Vec::new();
    m.successors(s, &mut out);
    out.into_iter().map(|(a, _)| a.to_string()).collect()
}

/// Takes the first enabled step whose text contains `what`.
fn take(m: &Runtime, s: &RuntimeState, what: &str) -> RuntimeState {
    let mut out = Vec::new();
    m.successors(s, &mut out);
    match out.into_iter().find(|(a, _)| a.to_string().contains(what)) {
        Some((_, next)) => next,
        None => panic!("no step `{what}` among {:?}", enabled(m, s)),
    }
}

fn entity(s: &RuntimeState, name: &str) -> (Value, Option<String>, Vec<String>) {
    let (_, slot) = s
        .storage
        .iter()
        .find(|(k, _)| matches!(k, Key::Entity(e) if e.name.as_ref() == name))
        .expect("entity in storage");
    let Stored::Entity(EntityState { value, owner }) = &slot.stored else {
        panic!("entity slot");
    };
    let queue = slot.queue.iter().map(ToString::to_string).collect();
    (value.clone(), owner.as_ref().map(|o| o.to_string()), queue)
}

const COUNTER: &str = r#"
entity Counter { init 0; op add(n) = set(get + n) }
scenario s { signal Counter().add(1); signal Counter().add(2); }
"#;

#[test]
fn a_message_arriving_during_a_work_item_survives_the_commit() {
    let m = cs(COUNTER);
    let s = take(&m, &m.init(), "input #0");
    let s = take(&m, &s, "fetch Counter()");
    let s = take(&m, &s, "input #1");
    assert_eq!(entity(&s, "Counter").2.len(), 2, "both signals queued");
    let s = take(&m, &s, "commit worker 0");
    let (value, _, queue) = entity(&s, "Counter");
    assert_eq!(value, Value::Int(1));
    assert_eq!(queue, vec!["signal add(2) from client".to_string()]);
}

#[test]
fn a_duplicate_workers_commit_is_rejected() {
    let m = cs(COUNTER);
    let s = take(&m, &m.init(), "input #0");
    let s = take(&m, &s, "fetch Counter() [signal add(1) from client]");
    let s = take(&m, &s, "(duplicate worker)");
    assert_eq!(s.workers.len(), 2);
    let s = take(&m, &s, "commit worker 0");
    assert_eq!(entity(&s, "Counter").0, Value::Int(1));
    let steps = enabled(&m, &s);
    assert!(
        steps
            .iter()
            .any(|a| a == "commit worker 0 on Counter(): rejected (lost the race)"),
        "{steps:?}"
    );
    let s = take(&m, &s, "rejected");
    assert!(s.workers.is_empty());
    let (value, _, queue) = entity(&s, "Counter");
    assert_eq!(
        value,
        Value::Int(1),
        "the duplicate did not apply the signal twice"
    );
    assert!(queue.is_empty());
}

#[test]
fn an_entity_may_serve_another_origins_older_message_first() {
    let m = cs(r#"
entity Counter { init 0; op add(n) = set(get + n) }
orchestration O() = signal Counter().add(10)
scenario s { signal Counter().add(1); start t = O(); }
"#);
    let s = take(&m, &m.init(), "input #0");
    let s = take(&m, &s, "input #1");
    let s = take(&m, &s, "fetch t [start O()]");
    let s = take(&m, &s, "commit worker 0 on t");
    let queue = entity(&s, "Counter").2;
    assert_eq!(
        queue,
        vec!["signal add(1) from client", "signal add(10) from t"]
    );
    let steps = enabled(&m, &s);
    assert!(
        steps.contains(&"fetch Counter() [signal add(10) from t]".to_string()),
        "{steps:?}"
    );
    assert!(steps.contains(&"fetch Counter() [signal add(1) from client]".to_string()));
    let s = take(&m, &s, "fetch Counter() [signal add(10) from t]");
    let s = take(&m, &s, "commit worker 0");
    assert_eq!(entity(&s, "Counter").0, Value::Int(10));
}

#[test]
fn a_lock_survives_a_crash_between_grant_and_commit() {
    let m = cs(r#"
entity E { init 0; op inc(_) = set(get + 1) }
orchestration O() = lock [E()] { await call E().inc() }
scenario s { start t = O(); }
"#);
    let s = take(&m, &m.init(), "input #0");
    let s = take(&m, &s, "fetch t");
    let s = take(&m, &s, "commit worker 0 on t");
    let s = take(&m, &s, "fetch E() [lock #0 for t]");
    let s = take(&m, &s, "commit worker 0 on E()");
    assert_eq!(
        entity(&s, "E").1.as_deref(),
        Some("t"),
        "the grant is committed"
    );
    // The orchestration's worker takes the grant and crashes before committing.
    let s = take(&m, &s, "fetch t [grant t#0.0]");
    let s = take(&m, &s, "crash worker 0 on t");
    assert_eq!(
        entity(&s, "E").1.as_deref(),
        Some("t"),
        "the lock is still held"
    );
    let t = &s.storage[&Key::Instance(Arc::from("t"))];
    assert_eq!(t.queue.len(), 1, "the grant is still queued");
    // Re-executed, the orchestration goes on and finishes its critical section.
    let s = take(&m, &s, "fetch t [grant t#0.0]");
    let s = take(&m, &s, "commit worker 0 on t");
    let s = take(&m, &s, "fetch E() [call inc() from t]");
    let s = take(&m, &s, "commit worker 0 on E()");
    let s = take(&m, &s, "fetch t");
    let s = take(&m, &s, "commit worker 0 on t");
    let (value, owner, queue) = entity(&s, "E");
    assert_eq!((value, owner), (Value::Int(1), Some("t".to_string())));
    assert_eq!(queue, vec!["release by t".to_string()]);
    let s = take(&m, &s, "fetch E() [release by t]");
    let s = take(&m, &s, "commit worker 0 on E()");
    assert_eq!(entity(&s, "E").1, None, "released");
}

#[test]
fn a_commit_removes_exactly_the_consumed_messages() {
    // Batch `all` takes both signals; a third arriving meanwhile stays.
    let mut m = cs(r#"
entity Counter { init 0; op add(n) = set(get + n) }
scenario s { signal Counter().add(1); signal Counter().add(2); signal Counter().add(4); }
"#);
    m.opts.budget.batch = BatchMode::All;
    let s = take(&m, &m.init(), "input #0");
    let s = take(&m, &s, "input #1");
    let s = take(
        &m,
        &s,
        "fetch Counter() [signal add(1) from client; signal add(2) from client]",
    );
    let s = take(&m, &s, "input #2");
    let s = take(&m, &s, "commit worker 0");
    let (value, _, queue) = entity(&s, "Counter");
    assert_eq!(value, Value::Int(3));
    assert_eq!(queue, vec!["signal add(4) from client".to_string()]);
}
