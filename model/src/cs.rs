//! The compute-storage execution model CS (the paper's §5, Theorem 5.3; DESIGN.md §4):
//! durable keyed storage, volatile workers that fetch, run the shared component drivers and
//! commit once with compare-and-swap, and the faults of real serverless platforms — crashes,
//! duplicate workers, lost commits, activity timeouts. Each rule of docs/semantics.md §6 is
//! one function below (`rule_*`).

use crate::faults::{FaultBudget, Used, Variant};
use crate::protocol::{Protocol, ProtocolInfo};
use crate::storage::{contains_each, remove_each, route, Key, Msg, OrchRecord, Slot, Stored};
use crate::worker::{batches, has_work, work, Commit, Phase, WorkCtx, Worker};
use durable_interpreter::hl::activity::{self, ActivityState, ActivityStep};
use durable_interpreter::hl::choice::{enumerate, Choices};
use durable_interpreter::hl::entity::EntityState;
use durable_interpreter::hl::message::{ExternCall, FutureRef, Message};
use durable_interpreter::hl::orchestration::{OrchOptions, OrchState};
use durable_interpreter::hl::{canonicalize, log_externs, Config, EntityCfg, ExternLog};
use durable_interpreter::load::{Input, ScenarioDef, Spec};
use durable_interpreter::value::Value;
use imbl::{OrdMap, Vector};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

pub const CS_INFO: ProtocolInfo = ProtocolInfo {
    name: "cs",
    model: "cs",
    refines: "hl",
    description: "compute-storage: volatile workers, keyed storage, compare-and-swap commits",
    broken: false,
};

/// A CS state: storage, the workers in flight, the faults used, the extern log.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct CsState {
    pub next_input: u32,
    pub storage: OrdMap<Key, Slot>,
    /// Sorted by key, then by content hash: equal sets of workers are equal vectors.
    pub workers: Vector<Worker>,
    pub used: Used,
    pub externs: ExternLog,
}

/// One CS step.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum CsAction {
    Input(u32),
    Fetch {
        key: Key,
        batch: Vec<Msg>,
        duplicate: bool,
        choices: Vec<u32>,
    },
    Step {
        worker: u32,
        key: Key,
        choices: Vec<u32>,
    },
    Commit {
        worker: u32,
        key: Key,
        accepted: bool,
    },
    Crash {
        worker: u32,
        key: Key,
    },
    LoseCommit {
        worker: u32,
        key: Key,
    },
    Timeout {
        task: FutureRef,
    },
}

fn choices_text(c: &[u32]) -> String {
    if c.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = c.iter().map(u32::to_string).collect();
        format!(" choosing [{}]", list.join(", "))
    }
}

impl fmt::Display for CsAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsAction::Input(i) => write!(f, "input #{i}"),
            CsAction::Fetch {
                key,
                batch,
                duplicate,
                choices,
            } => {
                let msgs: Vec<String> = batch.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "fetch {key} [{}]{}{}",
                    msgs.join("; "),
                    if *duplicate {
                        " as a duplicate worker"
                    } else {
                        ""
                    },
                    choices_text(choices)
                )
            }
            CsAction::Step {
                worker,
                key,
                choices,
            } => write!(f, "step worker {worker} on {key}{}", choices_text(choices)),
            CsAction::Commit {
                worker,
                key,
                accepted,
            } => write!(
                f,
                "commit worker {worker} on {key}{}",
                if *accepted {
                    ""
                } else {
                    ": rejected (lost the race)"
                }
            ),
            CsAction::Crash { worker, key } => write!(f, "crash worker {worker} on {key}"),
            CsAction::LoseCommit { worker, key } => {
                write!(f, "lose the commit of worker {worker} on {key}")
            }
            CsAction::Timeout { task } => write!(f, "timeout activity {task}"),
        }
    }
}

/// What shapes a CS model besides the spec and scenario.
#[derive(Clone, Copy, Debug)]
pub struct CsOptions {
    pub lock_activities: bool,
    pub budget: FaultBudget,
    pub variant: Variant,
}

/// CS for one scenario, possibly a broken variant of it.
pub struct Cs {
    pub spec: Arc<Spec>,
    pub scenario: usize,
    pub opts: CsOptions,
    pub info: ProtocolInfo,
}

impl Cs {
    pub fn new(spec: Arc<Spec>, scenario: usize, opts: CsOptions, info: ProtocolInfo) -> Cs {
        Cs {
            spec,
            scenario,
            opts,
            info,
        }
    }

    fn scenario(&self) -> &ScenarioDef {
        &self.spec.scenarios[self.scenario]
    }

    fn ctx(&self) -> WorkCtx<'_> {
        WorkCtx {
            spec: &self.spec,
            orch: OrchOptions {
                lock_activities: self.opts.lock_activities,
                unsorted_locks: self.opts.variant.lock_unsorted,
            },
            holder_priority: !self.opts.variant.no_holder_priority,
        }
    }

    fn entity_slot(&self, init: Value) -> Slot {
        Slot::new(Stored::Entity(EntityState {
            value: init,
            owner: None,
        }))
    }

    /// Appends a message to its key's queue, creating the key (an entity in its initial
    /// state) if needed.
    fn enqueue(&self, s: &mut CsState, key: Key, msg: Msg) {
        let slot = s.storage.entry(key.clone()).or_insert_with(|| match &key {
            Key::Entity(id) => {
                let init = self
                    .spec
                    .entities
                    .get(&id.name)
                    .map_or(Value::Unit, |e| e.init.clone());
                self.entity_slot(init)
            }
            _ => Slot::new(Stored::Nothing),
        });
        slot.queue.push_back(msg);
    }

    fn send_all(&self, s: &mut CsState, outgoing: Vec<Message>) {
        for m in outgoing {
            let (key, msg) = route(m);
            self.enqueue(s, key, msg);
        }
    }

    fn add_worker(s: &mut CsState, w: Worker) {
        let key = worker_order(&w);
        let at = s
            .workers
            .iter()
            .position(|x| worker_order(x) > key)
            .unwrap_or(s.workers.len());
        s.workers.insert(at, w);
    }

    /// Client-Start, Client-Signal: the client writes into storage. A start for an existing
    /// key is answered `alreadyexists` and changes nothing.
    fn rule_input(&self, s: &CsState) -> CsState {
        let mut next = s.clone();
        let input = &self.scenario().inputs[next.next_input as usize];
        next.next_input += 1;
        match input {
            Input::Start {
                instance,
                orchestration,
                arg,
            } => {
                let key = Key::Instance(instance.clone());
                if !next.storage.contains_key(&key) {
                    let msg = Msg::Start {
                        name: orchestration.clone(),
                        input: arg.clone(),
                    };
                    self.enqueue(&mut next, key, msg);
                }
            }
            Input::Signal { entity, op, arg } => {
                let request = durable_interpreter::hl::message::EntityRequest::Op {
                    origin: durable_interpreter::hl::message::Origin::Client,
                    op: op.clone(),
                    arg: arg.clone(),
                    reply: None,
                };
                self.enqueue(
                    &mut next,
                    Key::Entity(entity.clone()),
                    Msg::Request(request),
                );
            }
            Input::Raise { .. } => {}
        }
        next
    }

    /// CS-Fetch: a worker takes a batch of messages at a key with the stored state, and
    /// (for an orchestration or an entity) computes its work item at once with the shared
    /// drivers. A second worker on a busy key is a duplicate (within the budget).
    fn rule_fetch(
        &self,
        s: &CsState,
        key: &Key,
        batch: &[Msg],
        duplicate: bool,
        ch: &mut Choices,
    ) -> CsState {
        let slot = &s.storage[key];
        let (phase, calls) = work(&self.ctx(), key, &slot.stored, batch, ch);
        let mut next = s.clone();
        log_externs(&mut next.externs, &calls);
        if duplicate {
            next.used.duplicates += 1;
        }
        let v = self.opts.variant;
        if v.ack_on_fetch {
            let q = &mut next.storage.get_mut(key).expect("fetched key").queue;
            remove_each(q, batch);
        }
        let phase = self.send_early(&mut next, phase);
        let worker = Worker {
            key: key.clone(),
            consumed: batch.into(),
            before: slot.stored.clone(),
            seen: v.overwrite_queue.then(|| slot.queue.clone()),
            phase,
        };
        Cs::add_worker(&mut next, worker);
        next
    }

    /// With the send-before-commit variant, outgoing messages leave as soon as they exist.
    fn send_early(&self, s: &mut CsState, phase: Phase) -> Phase {
        match phase {
            Phase::Ready(mut c) if self.opts.variant.send_before_commit => {
                let out = std::mem::take(&mut c.outgoing);
                self.send_all(s, out);
                Phase::Ready(c)
            }
            p => p,
        }
    }

    /// CS-Activity-Step: an activity worker runs to its next extern call (logged at once, so
    /// a re-executed worker repeats it) or to its end, which makes its commit ready.
    fn rule_activity_step(
        &self,
        s: &CsState,
        i: usize,
        a: &ActivityState,
        ch: &mut Choices,
    ) -> CsState {
        let (step, calls): (ActivityStep, Vec<ExternCall>) = activity::step(&self.spec, a, ch);
        let mut next = s.clone();
        log_externs(&mut next.externs, &calls);
        let mut w = next.workers.remove(i);
        w.phase = match step {
            ActivityStep::Paused(a) => Phase::Activity(a),
            ActivityStep::Completed(result) => {
                let Key::Activity(task) = &w.key else {
                    unreachable!("activity workers work on activity keys")
                };
                Phase::Ready(Commit {
                    after: Stored::Nothing,
                    outgoing: vec![Message::Response {
                        to: task.clone(),
                        result,
                        grant: false,
                    }],
                    remove_key: true,
                })
            }
        };
        w.phase = self.send_early(&mut next, w.phase);
        Cs::add_worker(&mut next, w);
        next
    }

    /// Would storage accept this worker's commit now (compare-and-swap)?
    fn accepts(&self, s: &CsState, w: &Worker) -> bool {
        let v = self.opts.variant;
        if v.blind_commit {
            return true;
        }
        match s.storage.get(&w.key) {
            None => false,
            Some(slot) => {
                slot.stored == w.before
                    && (v.ack_on_fetch || contains_each(&slot.queue, &w.consumed))
            }
        }
    }

    /// CS-Commit: storage applies a commit only if the key still holds exactly the messages
    /// it consumed and the state it read; then it removes exactly those messages (keeping
    /// whatever arrived meanwhile), stores the new state and enqueues every outgoing
    /// message, atomically. A rejected commit (a lost race) changes nothing; the worker is
    /// gone either way.
    fn rule_commit(&self, s: &CsState, i: usize) -> CsState {
        let mut next = s.clone();
        let w = next.workers.remove(i);
        let Phase::Ready(c) = &w.phase else {
            unreachable!("only ready workers commit")
        };
        if !self.accepts(s, &w) {
            return self.quiesce(next);
        }
        let v = self.opts.variant;
        let mut slot = next
            .storage
            .get(&w.key)
            .cloned()
            .unwrap_or_else(|| Slot::new(Stored::Nothing));
        if v.overwrite_queue {
            if let Some(seen) = &w.seen {
                slot.queue = seen.clone();
            }
        }
        if !v.ack_on_fetch || v.overwrite_queue {
            remove_each(&mut slot.queue, &w.consumed);
        }
        slot.stored = c.after.clone();
        if c.remove_key && slot.queue.is_empty() {
            next.storage.remove(&w.key);
        } else {
            next.storage.insert(w.key.clone(), slot);
        }
        self.send_all(&mut next, c.outgoing.clone());
        self.quiesce(next)
    }

    /// CS-Timeout (with `--timeouts`): an activity not yet completed completes with
    /// "timeout" — a storage step that removes its call and sends the error to the caller —
    /// and every worker still executing it is discarded.
    fn rule_timeout(&self, s: &CsState, task: &FutureRef) -> CsState {
        let mut next = s.clone();
        let key = Key::Activity(task.clone());
        next.storage.remove(&key);
        next.workers.retain(|w| w.key != key);
        self.send_all(
            &mut next,
            vec![Message::Response {
                to: task.clone(),
                result: Err(Value::str("timeout")),
                grant: false,
            }],
        );
        self.quiesce(next)
    }

    /// CS-Crash and CS-Lost-Commit: a worker disappears with its uncommitted work.
    fn rule_drop_worker(&self, s: &CsState, i: usize, crash: bool) -> CsState {
        let mut next = s.clone();
        next.workers.remove(i);
        if crash {
            next.used.crashes += 1;
        } else {
            next.used.lost_commits += 1;
        }
        self.quiesce(next)
    }

    /// Canon-Execution at quiescent points: with no worker in flight, storage is renumbered
    /// as HL's configuration would be.
    fn quiesce(&self, mut s: CsState) -> CsState {
        if s.workers.is_empty() {
            renumber_executions(&mut s);
        }
        s
    }
}

/// The canonical order of workers: by key, then by content.
fn worker_order(w: &Worker) -> (Key, u64) {
    use std::hash::{Hash, Hasher};
    let mut h = durable_interpreter::value::stable_hasher();
    w.hash(&mut h);
    (w.key.clone(), h.finish())
}

/// Renumbers, in storage, every instance whose current execution has no older one with a
/// message in flight, as `hl::canonicalize` does for a configuration.
fn renumber_executions(s: &mut CsState) {
    let current: Vec<(Arc<str>, u32)> = s
        .storage
        .iter()
        .filter_map(|(k, slot)| match (k, &slot.stored) {
            (Key::Instance(id), Stored::Orchestration(OrchRecord::State(o))) if o.execution > 0 => {
                Some((id.clone(), o.execution))
            }
            _ => None,
        })
        .collect();
    for (id, exec) in current {
        let older = |f: &FutureRef| f.instance == id && f.execution < exec;
        let in_flight = s.storage.iter().any(|(k, slot)| {
            matches!(k, Key::Activity(t) if older(t))
                || slot.queue.iter().any(|m| msg_refs(m, &older))
        });
        if in_flight {
            continue;
        }
        let renumber = |f: &FutureRef| durable_interpreter::hl::message::renumbered(f, &id, exec);
        let old = std::mem::take(&mut s.storage);
        for (k, mut slot) in old {
            let k = match k {
                Key::Activity(t) => Key::Activity(renumber(&t)),
                other => other,
            };
            slot.queue = slot.queue.iter().map(|m| map_msg(m, &renumber)).collect();
            if let (Key::Instance(i), Stored::Orchestration(OrchRecord::State(o))) =
                (&k, &mut slot.stored)
            {
                if *i == id {
                    o.execution = 0;
                }
            }
            s.storage.insert(k, slot);
        }
    }
}

fn msg_refs(m: &Msg, pred: &impl Fn(&FutureRef) -> bool) -> bool {
    use durable_interpreter::hl::message::EntityRequest::*;
    match m {
        Msg::Response { to, .. } => pred(to),
        Msg::Request(Op { reply: Some(r), .. }) | Msg::Request(Lock { reply: r, .. }) => pred(r),
        _ => false,
    }
}

fn map_msg(m: &Msg, f: &impl Fn(&FutureRef) -> FutureRef) -> Msg {
    use durable_interpreter::hl::message::EntityRequest::*;
    let mut m = m.clone();
    match &mut m {
        Msg::Response { to, .. } => *to = f(to),
        Msg::Request(Op { reply: Some(r), .. }) | Msg::Request(Lock { reply: r, .. }) => *r = f(r),
        _ => {}
    }
    m
}

impl Protocol for Cs {
    type State = CsState;
    type Action = CsAction;

    fn info(&self) -> &ProtocolInfo {
        &self.info
    }

    fn init(&self) -> CsState {
        let mut storage = OrdMap::new();
        for (id, v) in &self.scenario().inits {
            storage.insert(Key::Entity(id.clone()), self.entity_slot(v.clone()));
        }
        CsState {
            next_input: 0,
            storage,
            workers: Vector::new(),
            used: Used::default(),
            externs: ExternLog::new(),
        }
    }

    fn successors(&self, s: &CsState, out: &mut Vec<(CsAction, CsState)>) {
        let b = &self.opts.budget;
        let holder = !self.opts.variant.no_holder_priority;
        if (s.next_input as usize) < self.scenario().inputs.len() {
            out.push((CsAction::Input(s.next_input), self.rule_input(s)));
        }
        for (key, slot) in &s.storage {
            if !has_work(key, slot, holder) {
                continue;
            }
            let busy = s.workers.iter().any(|w| &w.key == key);
            if busy && s.used.duplicates >= b.duplicates {
                continue;
            }
            for batch in batches(key, slot, b.batch, holder) {
                for (choices, next) in enumerate(|ch| self.rule_fetch(s, key, &batch, busy, ch)) {
                    let action = CsAction::Fetch {
                        key: key.clone(),
                        batch: batch.clone(),
                        duplicate: busy,
                        choices,
                    };
                    out.push((action, next));
                }
            }
        }
        for (i, w) in s.workers.iter().enumerate() {
            let worker = i as u32;
            let key = w.key.clone();
            match &w.phase {
                Phase::Activity(a) => {
                    for (choices, next) in enumerate(|ch| self.rule_activity_step(s, i, a, ch)) {
                        let action = CsAction::Step {
                            worker,
                            key: key.clone(),
                            choices,
                        };
                        out.push((action, next));
                    }
                }
                Phase::Ready(_) => {
                    let accepted = self.accepts(s, w);
                    let action = CsAction::Commit {
                        worker,
                        key: key.clone(),
                        accepted,
                    };
                    out.push((action, self.rule_commit(s, i)));
                    if s.used.lost_commits < b.lost_commits {
                        let action = CsAction::LoseCommit {
                            worker,
                            key: key.clone(),
                        };
                        out.push((action, self.rule_drop_worker(s, i, false)));
                    }
                }
            }
            if s.used.crashes < b.crashes {
                let action = CsAction::Crash { worker, key };
                out.push((action, self.rule_drop_worker(s, i, true)));
            }
        }
        if b.timeouts {
            for key in s.storage.keys() {
                if let Key::Activity(task) = key {
                    let action = CsAction::Timeout { task: task.clone() };
                    out.push((action, self.rule_timeout(s, task)));
                }
            }
        }
    }

    /// The HL configuration a CS state stands for (the paper's per-key relation): an
    /// orchestration is its stored state with every queued result delivered (without running
    /// the code); an activity with a queued call is a fresh activity; an entity is its stored
    /// state and lock owner with the storage queue as its request queue. Workers and
    /// uncommitted work are forgotten; the result is canonicalized as HL's configurations are.
    fn abstraction<'s>(&self, s: &'s CsState) -> Cow<'s, Config> {
        let mut c = Config {
            next_input: s.next_input,
            ..Config::default()
        };
        for (key, slot) in &s.storage {
            match key {
                Key::Instance(id) => {
                    let mut o: Option<OrchState> = match &slot.stored {
                        Stored::Orchestration(OrchRecord::State(o)) => Some(o.clone()),
                        _ => None,
                    };
                    for m in &slot.queue {
                        match m {
                            Msg::Start { name, input } if o.is_none() => {
                                o = Some(OrchState::new(name.clone(), input.clone()));
                            }
                            Msg::Response { to, result, .. } => {
                                if let Some(o) = &mut o {
                                    o.deliver(to, result.clone());
                                }
                            }
                            _ => {}
                        }
                    }
                    if let Some(o) = o {
                        c.orchestrations.insert(id.clone(), o);
                    }
                }
                Key::Activity(task) => {
                    if let Some(Msg::Call { name, input }) =
                        slot.queue.iter().find(|m| matches!(m, Msg::Call { .. }))
                    {
                        c.activities.insert(
                            task.clone(),
                            ActivityState::new(name.clone(), input.clone()),
                        );
                    }
                }
                Key::Entity(id) => {
                    if let Stored::Entity(st) = &slot.stored {
                        let queue = slot
                            .queue
                            .iter()
                            .filter_map(|m| match m {
                                Msg::Request(r) => Some(r.clone()),
                                _ => None,
                            })
                            .collect();
                        c.entities.insert(
                            id.clone(),
                            EntityCfg {
                                state: st.clone(),
                                queue,
                            },
                        );
                    }
                }
            }
        }
        canonicalize(&mut c);
        Cow::Owned(c)
    }

    fn externs<'s>(&self, s: &'s CsState) -> &'s ExternLog {
        &s.externs
    }
}
