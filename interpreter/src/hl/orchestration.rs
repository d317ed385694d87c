//! Orchestrations: their state, and the driver that runs one to its next effect point
//! (rule Orch-Step of docs/semantics.md), enforcing the critical-section rules at run time.
//! Every model runs orchestrations through [`step`].

use super::choice::Choices;
use super::message::{EntityRequest, FutureRef, InstanceId, Message, Origin};
use crate::eval::{error, Machine, Request, Runner, Yield};
use crate::load::Spec;
use crate::value::{EntityId, Value};
use imbl::{OrdMap, OrdSet, Vector};
use std::sync::Arc;

/// One orchestration instance.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OrchState {
    pub name: Arc<str>,
    /// 0 for the first execution, +1 at each continue-as-new.
    pub execution: u32,
    pub status: Status,
    /// The next future's number within this execution.
    pub counter: u32,
    /// Results delivered to this execution's futures, by future number.
    pub resolved: OrdMap<u32, Result<Value, Value>>,
    /// The critical section it is acquiring or holds.
    pub lock: Option<LockCtx>,
    /// For a sub-orchestration: the parent's future its result answers.
    pub parent: Option<FutureRef>,
    /// How many results, events and timer firings have reached this execution (their arrival
    /// order decides `await_any`).
    pub delivered: u32,
    /// When each resolved future's result arrived (its `delivered` count), for `await_any`.
    pub arrival: OrdMap<u32, u32>,
    /// The futures whose result the code has received (`now()` counts them).
    pub taken: OrdSet<u32>,
    /// How many sub-orchestrations this execution has started (their ids count them).
    pub subs: u32,
    /// Events delivered that no `event(name)` future has taken yet, per name, in arrival order,
    /// with when they arrived.
    pub events: OrdMap<Arc<str>, Vector<(Value, u32)>>,
    /// `event(name)` futures waiting for an event, per name, in creation order.
    pub waiting: OrdMap<Arc<str>, Vector<u32>>,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Status {
    Running(Run),
    Completed(Value),
    Failed(Value),
}

/// Where a running orchestration stands.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Run {
    /// Started (or continued as new) with this input; its code has not run yet.
    Start(Value),
    /// Suspended at `await` of this future.
    Await(Machine, u32),
    /// Suspended at `await_all` of these elements (futures and values).
    AwaitAll(Machine, Vec<Value>),
    /// Suspended at `await_any` of these elements (all futures).
    AwaitAny(Machine, Vec<Value>),
}

/// A critical section (DESIGN.md §5).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct LockCtx {
    /// The lock set, de-duplicated and sorted.
    pub set: Arc<[EntityId]>,
    /// The future the last entity of the set resolves when all are acquired.
    pub grant: u32,
    /// Calls to locked entities whose futures have not been awaited yet.
    pub pending: OrdMap<EntityId, u32>,
}

/// The options that change how orchestrations run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrchOptions {
    /// Activity calls are allowed inside critical sections (`--lock-activities`).
    pub lock_activities: bool,
    /// Lock sets are acquired in the order written instead of sorted (the `lock-unsorted`
    /// broken protocol).
    pub unsorted_locks: bool,
    /// Added to the number of every future a message carries: 0 makes ids a function of the
    /// history, as they must be; the `rr-fresh-ids` broken protocol draws a fresh base for
    /// each run of the code.
    pub id_base: u32,
    /// What `now()` returns, when it is a wall clock (the conformance oracle: the turn's
    /// `orchestratorStarted` time) instead of the models' logical time.
    pub clock: Option<i64>,
    /// Event names are compared after Unicode case folding (the Python SDK's rule,
    /// [`crate::casefold`]).
    pub fold_event_names: bool,
    /// Sub-orchestrations may be started inside critical sections (production SDKs allow it).
    pub lock_sub_orchestrations: bool,
    /// Lock-rule violations raise the Python SDK's messages instead of `lock-rule: ...`.
    pub sdk_lock_messages: bool,
    /// `await_all` raises the failure that arrived first instead of the first in list order
    /// (the Python SDK's `when_all`).
    pub first_failure_by_arrival: bool,
}

/// An orchestration's step: its new state and what it sent, in program order.
#[derive(Clone, Debug)]
pub struct OrchStep {
    pub state: OrchState,
    pub sent: Vec<Message>,
    /// Where in `sent` a call was refused by a lock rule (SDKs spend an action id on it).
    pub refused: Vec<usize>,
}

impl OrchState {
    pub fn new(name: Arc<str>, input: Value) -> OrchState {
        OrchState {
            name,
            execution: 0,
            status: Status::Running(Run::Start(input)),
            counter: 0,
            resolved: OrdMap::new(),
            lock: None,
            parent: None,
            delivered: 0,
            arrival: OrdMap::new(),
            taken: OrdSet::new(),
            subs: 0,
            events: OrdMap::new(),
            waiting: OrdMap::new(),
        }
    }

    /// A sub-orchestration whose result answers `parent`.
    pub fn sub(name: Arc<str>, input: Value, parent: FutureRef) -> OrchState {
        OrchState {
            parent: Some(parent),
            ..OrchState::new(name, input)
        }
    }

    /// A finished sub-orchestration: removed once its result is sent to its parent.
    pub fn is_finished_sub(&self) -> bool {
        self.parent.is_some() && !self.is_running()
    }

    fn is_resolved(&self, v: &Value) -> bool {
        match v {
            Value::Future(n) => self.resolved.contains_key(n),
            _ => true,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.status, Status::Running(_))
    }

    /// Can it take a step: just started, or awaiting a future that has its result?
    pub fn ready(&self) -> bool {
        match &self.status {
            Status::Running(Run::Start(_)) => true,
            Status::Running(Run::Await(_, f)) => self.resolved.contains_key(f),
            Status::Running(Run::AwaitAll(_, items)) => items.iter().all(|v| self.is_resolved(v)),
            Status::Running(Run::AwaitAny(_, items)) => items
                .iter()
                .any(|v| matches!(v, Value::Future(n) if self.resolved.contains_key(n))),
            _ => false,
        }
    }

    /// Delivers a result to one of its futures; a result for another execution, or for a
    /// finished instance, is dropped (rule Deliver). True if it was taken.
    pub fn deliver(&mut self, to: &FutureRef, result: Result<Value, Value>, grant: bool) -> bool {
        if to.execution != self.execution || !self.is_running() {
            return false;
        }
        if !grant {
            self.delivered += 1;
            self.arrival.insert(to.counter, self.delivered);
        }
        self.resolved.insert(to.counter, result);
        true
    }

    /// Delivers an external event (rule Event-Deliver): the oldest `event(name)` future waiting
    /// takes it, or it is buffered. Dropped by a finished instance.
    pub fn deliver_event(&mut self, name: &Arc<str>, payload: Value) -> bool {
        if !self.is_running() {
            return false;
        }
        self.delivered += 1;
        let seq = self.delivered;
        let waiter = self.waiting.get_mut(name).and_then(|w| w.pop_front());
        if self.waiting.get(name).is_some_and(|w| w.is_empty()) {
            self.waiting.remove(name);
        }
        match waiter {
            Some(n) => {
                self.resolved.insert(n, Ok(payload));
                self.arrival.insert(n, seq);
            }
            None => self
                .events
                .entry(name.clone())
                .or_default()
                .push_back((payload, seq)),
        }
        true
    }

    fn future(&mut self, instance: &InstanceId, id_base: u32) -> (u32, FutureRef) {
        let n = self.counter;
        self.counter += 1;
        (
            n,
            FutureRef {
                instance: instance.clone(),
                execution: self.execution,
                counter: n + id_base,
            },
        )
    }

    /// The code received the result of future `f`: it counts for `now()`, and a call to a
    /// locked entity it answers is no longer pending.
    fn awaited(&mut self, f: u32) {
        if self.lock.as_ref().is_none_or(|l| l.grant != f) {
            self.taken.insert(f);
        }
        if let Some(lock) = &mut self.lock {
            let done: Vec<EntityId> = lock
                .pending
                .iter()
                .filter(|(_, pending)| **pending == f)
                .map(|(e, _)| e.clone())
                .collect();
            for e in done {
                lock.pending.remove(&e);
            }
        }
    }

    /// Answers `await f` from the resolved futures.
    fn answer_await(&mut self, runner: &mut Runner, f: u32) -> bool {
        let Some(result) = self.resolved.get(&f).cloned() else {
            return false;
        };
        self.awaited(f);
        match result {
            Ok(v) => runner.give(v),
            Err(e) => runner.raise(e),
        }
        true
    }

    /// Answers `await_all(items)` once every future in it has its result: the list of values,
    /// or the error of the first failed future in list order.
    fn answer_all(&mut self, runner: &mut Runner, items: &[Value], by_arrival: bool) -> bool {
        if !items.iter().all(|v| self.is_resolved(v)) {
            return false;
        }
        let mut values = Vec::with_capacity(items.len());
        // The failure raised: the first in list order, or the first to arrive.
        let mut failure: Option<(u32, Value)> = None;
        for v in items {
            match v {
                Value::Future(n) => {
                    self.awaited(*n);
                    match &self.resolved[n] {
                        Ok(x) => values.push(x.clone()),
                        Err(e) => {
                            let rank = if by_arrival {
                                self.arrival.get(n).copied().unwrap_or(0)
                            } else {
                                0
                            };
                            if failure.as_ref().is_none_or(|(best, _)| rank < *best) {
                                failure = Some((rank, e.clone()));
                            }
                        }
                    }
                }
                other => values.push(other.clone()),
            }
        }
        match failure {
            Some((_, e)) => runner.raise(e),
            None => match Value::list(values.into_iter().collect()) {
                Ok(l) => runner.give(l),
                Err(_) => runner.raise(crate::eval::recursion_error()),
            },
        }
        true
    }

    /// Answers `await_any(items)` once something in it is done: `(index, value)` of the element
    /// delivered first — a value counts as delivered before any future — or its error.
    fn answer_any(&mut self, runner: &mut Runner, items: &[Value]) -> bool {
        let first_value = items.iter().position(|v| !matches!(v, Value::Future(_)));
        let winner = first_value.or_else(|| {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v {
                    Value::Future(n) => self.arrival.get(n).map(|seq| (*seq, i)).or_else(|| {
                        // A lock grant has no arrival; no code can await one.
                        self.resolved.contains_key(n).then_some((0, i))
                    }),
                    _ => None,
                })
                .min()
                .map(|(_, i)| i)
        });
        let Some(i) = winner else {
            return false;
        };
        let result = match &items[i] {
            Value::Future(n) => {
                self.awaited(*n);
                self.resolved[n].clone()
            }
            v => Ok(v.clone()),
        };
        match result {
            Ok(v) => match Value::tuple(vec![Value::Int(i as i64), v]) {
                Ok(t) => runner.give(t),
                Err(_) => runner.raise(crate::eval::recursion_error()),
            },
            Err(e) => runner.raise(e),
        }
        true
    }
}

impl std::fmt::Display for OrchState {
    /// One line for people: what it is running and where it stands.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)?;
        if self.execution > 0 {
            write!(f, " (execution {})", self.execution)?;
        }
        match &self.status {
            Status::Running(Run::Start(input)) => write!(f, ": not started, input {input}")?,
            Status::Running(Run::Await(_, n)) => write!(f, ": running, awaiting future {n}")?,
            Status::Running(Run::AwaitAll(_, items)) => {
                write!(f, ": running, awaiting all of {}", futures_text(items))?
            }
            Status::Running(Run::AwaitAny(_, items)) => {
                write!(f, ": running, awaiting any of {}", futures_text(items))?
            }
            Status::Completed(v) => write!(f, ": completed {v}")?,
            Status::Failed(e) => write!(f, ": failed {e}")?,
        }
        if !self.resolved.is_empty() {
            let results: Vec<String> = self
                .resolved
                .iter()
                .map(|(n, r)| match r {
                    Ok(v) => format!("{n} = {v}"),
                    Err(e) => format!("{n} = error {e}"),
                })
                .collect();
            write!(f, "; results {}", results.join(", "))?;
        }
        if let Some(lock) = &self.lock {
            let set: Vec<String> = lock.set.iter().map(ToString::to_string).collect();
            write!(f, "; critical section on [{}]", set.join(", "))?;
            if !self.resolved.contains_key(&lock.grant) {
                f.write_str(" (acquiring)")?;
            }
        }
        Ok(())
    }
}

fn futures_text(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::Future(n) => format!("future {n}"),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

impl std::fmt::Debug for OrchState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// `v` if it is data; else the `type:` error raised where it leaves the component.
pub fn data(v: Value, what: &str) -> Result<Value, Value> {
    if v.is_data() {
        Ok(v)
    } else {
        Err(error(
            "type",
            format!("{what} must be data, got {}", v.kind_name()),
        ))
    }
}

fn lock_rule(message: impl AsRef<str>) -> Value {
    error("lock-rule", message)
}

/// A lock-rule error: DFL's message, or the Python SDK's `RuntimeError` text.
fn lock_rule_as(opts: OrchOptions, ours: impl AsRef<str>, sdk: &str) -> Value {
    if opts.sdk_lock_messages {
        Value::str(sdk)
    } else {
        lock_rule(ours)
    }
}

/// What the driver does after answering a request.
enum Flow {
    Continue,
    Suspend(Awaiting),
    ContinueAsNew(Value),
}

/// What a suspended orchestration waits for.
enum Awaiting {
    One(u32),
    All(Vec<Value>),
    Any(Vec<Value>),
}

/// Runs orchestration `id` from its current point to its next effect point (rule Orch-Step).
/// `choices` resolves `choose`, which only nondeterministic orchestrations use.
pub fn step(
    spec: &Spec,
    opts: OrchOptions,
    id: &InstanceId,
    st: &OrchState,
    choices: &mut Choices,
) -> OrchStep {
    let mut st = st.clone();
    let mut sent = Vec::new();
    let mut refused = Vec::new();
    let Status::Running(run) = st.status.clone() else {
        return OrchStep {
            state: st,
            sent,
            refused,
        };
    };
    let mut runner = match run {
        Run::Start(input) => {
            let orch = &spec.orchestrations[&st.name];
            Runner::apply_lambda(&orch.lambda, input)
        }
        Run::Await(m, f) => {
            let mut r = Runner::resume(&m);
            if !st.answer_await(&mut r, f) {
                return OrchStep {
                    state: st,
                    sent,
                    refused,
                };
            }
            r
        }
        Run::AwaitAll(m, items) => {
            let mut r = Runner::resume(&m);
            if !st.answer_all(&mut r, &items, opts.first_failure_by_arrival) {
                return OrchStep {
                    state: st,
                    sent,
                    refused,
                };
            }
            r
        }
        Run::AwaitAny(m, items) => {
            let mut r = Runner::resume(&m);
            if !st.answer_any(&mut r, &items) {
                return OrchStep {
                    state: st,
                    sent,
                    refused,
                };
            }
            r
        }
    };
    loop {
        match runner.run(&spec.defs) {
            Yield::Done(v) => {
                st.status = match data(v, "an orchestration's result") {
                    Ok(v) => Status::Completed(v),
                    Err(e) => Status::Failed(e),
                };
                break;
            }
            Yield::Failed(e) => {
                st.status = Status::Failed(data(e, "an error payload").unwrap_or_else(|e| e));
                break;
            }
            Yield::Request(req) => {
                let refusal = matches!(req, Request::CallEntity(..));
                let before = sent.len();
                let flow = request(opts, id, &mut st, req, &mut runner, &mut sent, choices);
                if refusal && sent.len() == before && runner.raising() {
                    refused.push(before);
                }
                match flow {
                    Flow::Continue => {}
                    Flow::Suspend(at) => {
                        let m = runner.suspend();
                        st.status = Status::Running(match at {
                            Awaiting::One(f) => Run::Await(m, f),
                            Awaiting::All(items) => Run::AwaitAll(m, items),
                            Awaiting::Any(items) => Run::AwaitAny(m, items),
                        });
                        break;
                    }
                    Flow::ContinueAsNew(input) => {
                        // A new execution: same id, parent and origin; nothing else carries over
                        // (buffered events are dropped).
                        st = OrchState {
                            execution: st.execution + 1,
                            parent: st.parent.clone(),
                            ..OrchState::new(st.name.clone(), input)
                        };
                        break;
                    }
                }
            }
        }
    }
    if let (Some(parent), Status::Completed(v) | Status::Failed(v)) = (&st.parent, &st.status) {
        let result = if matches!(st.status, Status::Completed(_)) {
            Ok(v.clone())
        } else {
            Err(v.clone())
        };
        sent.push(Message::Response {
            to: parent.clone(),
            result,
            grant: false,
        });
    }
    OrchStep {
        state: st,
        sent,
        refused,
    }
}

/// Answers one request of a running orchestration.
#[allow(clippy::too_many_arguments)]
fn request(
    opts: OrchOptions,
    id: &InstanceId,
    st: &mut OrchState,
    req: Request,
    runner: &mut Runner,
    sent: &mut Vec<Message>,
    choices: &mut Choices,
) -> Flow {
    let raise = |runner: &mut Runner, e: Value| {
        runner.raise(e);
        Flow::Continue
    };
    match req {
        Request::Await(f) => {
            if st.answer_await(runner, f) {
                Flow::Continue
            } else {
                Flow::Suspend(Awaiting::One(f))
            }
        }
        Request::AwaitAll(list) => {
            let Some(items) = list.elements() else {
                return raise(
                    runner,
                    error(
                        "type",
                        format!("`await_all` takes a list, got {}", list.kind_name()),
                    ),
                );
            };
            if st.answer_all(runner, &items, opts.first_failure_by_arrival) {
                Flow::Continue
            } else {
                Flow::Suspend(Awaiting::All(items))
            }
        }
        Request::AwaitAny(list) => {
            let Some(items) = list.elements() else {
                return raise(
                    runner,
                    error(
                        "type",
                        format!("`await_any` takes a list, got {}", list.kind_name()),
                    ),
                );
            };
            if items.is_empty() {
                return raise(runner, error("type", "`await_any` of an empty list"));
            }
            if st.answer_any(runner, &items) {
                Flow::Continue
            } else {
                Flow::Suspend(Awaiting::Any(items))
            }
        }
        Request::CallOrchestration(name, arg) => {
            if st.lock.is_some() && !opts.lock_sub_orchestrations {
                return raise(
                    runner,
                    lock_rule(format!(
                        "sub-orchestration `{name}` called inside a critical section"
                    )),
                );
            }
            let input = match data(arg, "a sub-orchestration's input") {
                Ok(v) => v,
                Err(e) => return raise(runner, e),
            };
            let (n, parent) = st.future(id, opts.id_base);
            st.subs += 1;
            let instance: InstanceId = Arc::from(format!("{id}:{}:{}", st.execution, st.subs));
            sent.push(Message::Start {
                instance,
                name,
                input,
                parent,
            });
            runner.give(Value::Future(n));
            Flow::Continue
        }
        Request::Timer(seconds) => {
            let Value::Int(seconds) = seconds else {
                return raise(
                    runner,
                    error(
                        "type",
                        format!(
                            "`timer` takes a number of seconds, got {}",
                            seconds.kind_name()
                        ),
                    ),
                );
            };
            let (n, to) = st.future(id, opts.id_base);
            sent.push(Message::Timer { to, seconds });
            runner.give(Value::Future(n));
            Flow::Continue
        }
        Request::Event(name) => {
            let Value::Str(mut name) = name else {
                return raise(
                    runner,
                    error(
                        "type",
                        format!("`event` takes an event name, got {}", name.kind_name()),
                    ),
                );
            };
            if opts.fold_event_names {
                name = Arc::from(crate::casefold::casefold(&name));
            }
            let n = st.counter;
            st.counter += 1;
            let buffered = st.events.get_mut(&name).and_then(|q| q.pop_front());
            if st.events.get(&name).is_some_and(|q| q.is_empty()) {
                st.events.remove(&name);
            }
            match buffered {
                Some((payload, seq)) => {
                    st.resolved.insert(n, Ok(payload));
                    st.arrival.insert(n, seq);
                }
                None => st.waiting.entry(name).or_default().push_back(n),
            }
            runner.give(Value::Future(n));
            Flow::Continue
        }
        Request::Now => {
            let now = opts.clock.unwrap_or(st.taken.len() as i64);
            runner.give(Value::Int(now));
            Flow::Continue
        }
        Request::CallActivity(name, arg) => {
            if st.lock.is_some() && !opts.lock_activities {
                return raise(
                    runner,
                    lock_rule(format!(
                        "activity `{name}` called inside a critical section (allowed with --lock-activities)"
                    )),
                );
            }
            let input = match data(arg, "an activity's input") {
                Ok(v) => v,
                Err(e) => return raise(runner, e),
            };
            let (n, task) = st.future(id, opts.id_base);
            sent.push(Message::Activity { task, name, input });
            runner.give(Value::Future(n));
            Flow::Continue
        }
        Request::CallEntity(target, op, arg) => {
            let Some(entity) = target.as_entity().cloned() else {
                return raise(
                    runner,
                    error(
                        "type",
                        format!("`call` needs an entity id, got {}", target.kind_name()),
                    ),
                );
            };
            if let Some(lock) = &st.lock {
                if !lock.set.contains(&entity) {
                    return raise(
                        runner,
                        lock_rule_as(
                            opts,
                            format!("call to {entity}, which is not in the lock set"),
                            "Must not call an entity from a critical section if it is not one of the locked entities.",
                        ),
                    );
                }
                if lock.pending.contains_key(&entity) {
                    return raise(
                        runner,
                        lock_rule_as(
                            opts,
                            format!("second call to {entity} while the first is still pending"),
                            "Must not call an entity from a critical section while a prior call to the same entity is still pending.",
                        ),
                    );
                }
            }
            let arg = match data(arg, "an operation's argument") {
                Ok(v) => v,
                Err(e) => return raise(runner, e),
            };
            let (n, reply) = st.future(id, opts.id_base);
            if let Some(lock) = &mut st.lock {
                lock.pending.insert(entity.clone(), n);
            }
            sent.push(Message::Entity {
                entity,
                request: EntityRequest::Op {
                    origin: Origin::Instance(id.clone()),
                    op,
                    arg,
                    reply: Some(reply),
                },
            });
            runner.give(Value::Future(n));
            Flow::Continue
        }
        Request::Signal(target, op, arg) => {
            let Some(entity) = target.as_entity().cloned() else {
                return raise(
                    runner,
                    error(
                        "type",
                        format!("`signal` needs an entity id, got {}", target.kind_name()),
                    ),
                );
            };
            if let Some(lock) = &st.lock {
                if lock.set.contains(&entity) {
                    return raise(
                        runner,
                        lock_rule_as(
                            opts,
                            format!("signal to {entity}, which is in the lock set"),
                            "Must not signal a locked entity from a critical section.",
                        ),
                    );
                }
            }
            let arg = match data(arg, "an operation's argument") {
                Ok(v) => v,
                Err(e) => return raise(runner, e),
            };
            sent.push(Message::Entity {
                entity,
                request: EntityRequest::Op {
                    origin: Origin::Instance(id.clone()),
                    op,
                    arg,
                    reply: None,
                },
            });
            runner.give(Value::Unit);
            Flow::Continue
        }
        Request::Continue(_, arg) => {
            if st.lock.is_some() {
                return raise(runner, lock_rule("`continue` inside a critical section"));
            }
            match data(arg, "the input of `continue`") {
                Ok(v) => Flow::ContinueAsNew(v),
                Err(e) => raise(runner, e),
            }
        }
        Request::Choose(items) => {
            let i = choices.pick(items.len());
            runner.give(items[i].clone());
            Flow::Continue
        }
        Request::LockAcquire(ids) => {
            if st.lock.is_some() {
                return raise(
                    runner,
                    lock_rule_as(
                        opts,
                        "critical sections cannot nest",
                        "Must not enter another critical section from within a critical section.",
                    ),
                );
            }
            if ids.is_empty() {
                return raise(runner, lock_rule("empty lock set"));
            }
            let mut set: Vec<EntityId> = Vec::with_capacity(ids.len());
            for v in &ids {
                match v.as_entity() {
                    Some(e) => set.push(e.clone()),
                    None => {
                        return raise(
                            runner,
                            lock_rule(format!(
                                "a lock set holds entity ids, not {}",
                                v.kind_name()
                            )),
                        )
                    }
                }
            }
            if opts.unsorted_locks {
                let mut seen = Vec::with_capacity(set.len());
                set.retain(|e| {
                    let fresh = !seen.contains(e);
                    seen.push(e.clone());
                    fresh
                });
            } else {
                set.sort();
                set.dedup();
            }
            let set: Arc<[EntityId]> = set.into();
            let (n, reply) = st.future(id, opts.id_base);
            sent.push(Message::Entity {
                entity: set[0].clone(),
                request: EntityRequest::Lock {
                    owner: id.clone(),
                    lockset: set.clone(),
                    index: 0,
                    reply,
                },
            });
            st.lock = Some(LockCtx {
                set,
                grant: n,
                pending: OrdMap::new(),
            });
            runner.give(Value::Future(n));
            Flow::Continue
        }
        Request::LockRelease => {
            if let Some(lock) = st.lock.take() {
                for entity in lock.set.iter() {
                    sent.push(Message::Entity {
                        entity: entity.clone(),
                        request: EntityRequest::Release { owner: id.clone() },
                    });
                }
            }
            runner.give(Value::Unit);
            Flow::Continue
        }
        other => raise(
            runner,
            error(
                "type",
                format!(
                    "{} is not supported in an orchestration",
                    request_name(&other)
                ),
            ),
        ),
    }
}

/// How a request is named in an error message.
pub fn request_name(r: &Request) -> &'static str {
    match r {
        Request::Await(_) => "`await`",
        Request::CallActivity(..) => "calling an activity",
        Request::CallOrchestration(..) => "calling an orchestration",
        Request::CallExtern(..) => "calling an extern",
        Request::CallEntity(..) => "calling an entity",
        Request::Signal(..) => "`signal`",
        Request::Continue(..) => "`continue`",
        Request::Get | Request::Set(_) => "`get`/`set`",
        Request::Choose(_) => "`choose`",
        Request::LockAcquire(_) | Request::LockRelease => "`lock`",
        Request::Timer(_) => "`timer`",
        Request::Event(_) => "`event`",
        Request::AwaitAll(_) => "`await_all`",
        Request::AwaitAny(_) => "`await_any`",
        Request::Now => "`now`",
        Request::Observe(..) => "an observer",
    }
}
