//! The execution models (DESIGN.md §4): durable keyed storage, volatile workers that fetch,
//! run the shared component drivers and commit once with compare-and-swap, and the faults of
//! real serverless platforms — crashes, duplicate workers, lost commits, activity timeouts.
//!
//! Compute-storage (CS, the paper's §5) stores an orchestration's state; record-replay (RR,
//! §6) stores its history and rebuilds the state by replaying the code ([`crate::history`]).
//! Everything else is shared. Each rule of docs/semantics.md §6 and §7 is one function below
//! (`rule_*`).

use crate::faults::{FaultBudget, Used, Variant};
use crate::history::{replay, ReplayCheck};
use crate::protocol::{Protocol, ProtocolInfo};
use crate::storage::{
    contains_each, remove_each, route, Destination, Key, Msg, OrchRecord, Slot, Stored,
};
use crate::worker::{batches, has_work, work, Commit, Persistence, Phase, WorkCtx, Worker};
use durable_interpreter::hl::activity::{self, ActivityState, ActivityStep};
use durable_interpreter::hl::choice::{enumerate, Choices};
use durable_interpreter::hl::entity::EntityState;
use durable_interpreter::hl::message::{ExternCall, FutureRef, InstanceId, Message, Renumbering};
use durable_interpreter::hl::orchestration::{OrchOptions, OrchState};
use durable_interpreter::hl::{canonicalize, log_externs, Config, EntityCfg, ExternLog};
use durable_interpreter::load::{Input, ScenarioDef, Spec};
use durable_interpreter::value::Value;
use imbl::{OrdMap, OrdSet};
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

pub const RR_INFO: ProtocolInfo = ProtocolInfo {
    name: "rr",
    model: "rr",
    refines: "hl",
    description: "record-replay: orchestrations persisted as histories and rebuilt by replay",
    broken: false,
};

/// A CS state: storage, the workers in flight, the faults used, the extern log.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RuntimeState {
    pub next_input: u32,
    pub storage: OrdMap<Key, Slot>,
    /// Sorted by key, then by content hash: equal sets of workers are equal vectors. A plain
    /// `Vec`: there are few workers, and a persistent vector would copy a whole 64-slot chunk
    /// of them at every change.
    pub workers: Vec<Worker>,
    /// The timer service: durable timers set and not fired yet.
    pub timers: OrdSet<FutureRef>,
    pub used: Used,
    pub externs: ExternLog,
}

/// Storage key by key, then the workers, for people (the Explorer UI, test failures).
impl fmt::Debug for RuntimeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = &self.used;
        writeln!(
            f,
            "client inputs arrived: {}; faults used: {} crashes, {} duplicates, {} lost commits",
            self.next_input, u.crashes, u.duplicates, u.lost_commits
        )?;
        for (key, slot) in &self.storage {
            write!(f, "{key}: {}", slot.stored)?;
            if !slot.queue.is_empty() {
                let q: Vec<String> = slot.queue.iter().map(ToString::to_string).collect();
                write!(f, "; queue: {}", q.join("; "))?;
            }
            writeln!(f)?;
        }
        for (i, w) in self.workers.iter().enumerate() {
            writeln!(f, "worker {i} on {}: {w}", w.key)?;
        }
        if !self.externs.is_empty() {
            writeln!(
                f,
                "extern calls: {}",
                durable_interpreter::hl::externs_text(&self.externs)
            )?;
        }
        Ok(())
    }
}

/// One CS step.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum RuntimeAction {
    Input(u32),
    Fetch {
        key: Key,
        batch: Vec<Msg>,
        duplicate: bool,
        /// Record-replay: how many work items of the history the worker replays.
        replays: Option<usize>,
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
    Discard {
        worker: u32,
        key: Key,
    },
    Timeout {
        task: FutureRef,
    },
    FireTimer {
        to: FutureRef,
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

impl fmt::Display for RuntimeAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeAction::Input(i) => write!(f, "input #{i}"),
            RuntimeAction::Fetch {
                key,
                batch,
                duplicate,
                replays,
                choices,
            } => {
                let msgs: Vec<String> = batch.iter().map(ToString::to_string).collect();
                let duplicate = if *duplicate {
                    " (duplicate worker)"
                } else {
                    ""
                };
                write!(f, "fetch {key} [{}]{duplicate}", msgs.join("; "))?;
                match replays {
                    Some(1) => f.write_str(", replaying 1 work item")?,
                    Some(n) if *n > 1 => write!(f, ", replaying {n} work items")?,
                    _ => {}
                }
                f.write_str(&choices_text(choices))
            }
            RuntimeAction::Step {
                worker,
                key,
                choices,
            } => write!(f, "step worker {worker} on {key}{}", choices_text(choices)),
            RuntimeAction::Commit {
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
            RuntimeAction::Crash { worker, key } => write!(f, "crash worker {worker} on {key}"),
            RuntimeAction::LoseCommit { worker, key } => {
                write!(f, "lose the commit of worker {worker} on {key}")
            }
            RuntimeAction::Discard { worker, key } => {
                write!(f, "discard diverged worker {worker} on {key}")
            }
            RuntimeAction::Timeout { task } => write!(f, "timeout activity {task}"),
            RuntimeAction::FireTimer { to } => write!(f, "fire timer {to}"),
        }
    }
}

/// What shapes a CS model besides the spec and scenario.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeOptions {
    pub lock_activities: bool,
    pub budget: FaultBudget,
    pub variant: Variant,
    pub persistence: Persistence,
}

/// CS for one scenario, possibly a broken variant of it.
pub struct Runtime {
    pub spec: Arc<Spec>,
    pub scenario: usize,
    pub opts: RuntimeOptions,
    pub info: ProtocolInfo,
}

impl Runtime {
    pub fn new(
        spec: Arc<Spec>,
        scenario: usize,
        opts: RuntimeOptions,
        info: ProtocolInfo,
    ) -> Runtime {
        Runtime {
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
                ..OrchOptions::default()
            },
            holder_priority: !self.opts.variant.no_holder_priority,
            persistence: self.opts.persistence,
            fresh_ids: self.opts.variant.fresh_ids,
            snapshot_without_lock: self.opts.variant.snapshot_without_lock,
        }
    }

    fn entity_slot(&self, init: Value) -> Slot {
        Slot::new(Stored::Entity(EntityState {
            value: init,
            owner: None,
        }))
    }

    /// Appends a message to its key's queue, creating the key (an entity in its initial
    /// state, a new activity or instance) if needed. A result or an event for an instance
    /// that is gone (a finished sub-orchestration) is dropped.
    fn enqueue(&self, s: &mut RuntimeState, key: Key, msg: Msg) {
        let for_gone_instance = matches!(key, Key::Instance(_))
            && !s.storage.contains_key(&key)
            && !matches!(msg, Msg::Start { .. });
        if for_gone_instance {
            return;
        }
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

    fn send_all(&self, s: &mut RuntimeState, outgoing: Vec<Message>) {
        for m in outgoing {
            match route(m) {
                Destination::Queue(key, msg) => self.enqueue(s, key, msg),
                Destination::Timer(to) => {
                    s.timers.insert(to);
                }
            }
        }
    }

    fn add_worker(s: &mut RuntimeState, w: Worker) {
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
    fn rule_input(&self, s: &RuntimeState) -> RuntimeState {
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
                        parent: None,
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
            Input::Raise {
                instance,
                event,
                arg,
            } => {
                // An event for an absent instance is dropped.
                let key = Key::Instance(instance.clone());
                if next.storage.contains_key(&key) {
                    let msg = Msg::Event {
                        name: event.clone(),
                        payload: arg.clone(),
                    };
                    self.enqueue(&mut next, key, msg);
                }
            }
        }
        next
    }

    /// CS-Timer-Fire: the timer service fires a durable timer at any later step: its firing is
    /// enqueued at the instance, like a result.
    fn rule_timer_fire(&self, s: &RuntimeState, to: &FutureRef) -> RuntimeState {
        let mut next = s.clone();
        next.timers.remove(to);
        self.send_all(
            &mut next,
            vec![Message::Response {
                to: to.clone(),
                result: Ok(Value::Unit),
                grant: false,
            }],
        );
        self.quiesce(next)
    }

    /// CS-Fetch: a worker takes a batch of messages at a key with the stored state, and
    /// (for an orchestration or an entity) computes its work item at once with the shared
    /// drivers. A second worker on a busy key is a duplicate (within the budget).
    fn rule_fetch(
        &self,
        s: &RuntimeState,
        key: &Key,
        batch: &[Msg],
        duplicate: bool,
        ch: &mut Choices,
    ) -> RuntimeState {
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
        Runtime::add_worker(&mut next, worker);
        next
    }

    /// With the send-before-commit variant, outgoing messages leave as soon as they exist.
    fn send_early(&self, s: &mut RuntimeState, phase: Phase) -> Phase {
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
        s: &RuntimeState,
        i: usize,
        a: &ActivityState,
        ch: &mut Choices,
    ) -> RuntimeState {
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
        Runtime::add_worker(&mut next, w);
        next
    }

    /// Would storage accept this worker's commit now (compare-and-swap)?
    fn accepts(&self, s: &RuntimeState, w: &Worker) -> bool {
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
    fn rule_commit(&self, s: &RuntimeState, i: usize) -> RuntimeState {
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
    fn rule_timeout(&self, s: &RuntimeState, task: &FutureRef) -> RuntimeState {
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
    fn rule_drop_worker(&self, s: &RuntimeState, i: usize, crash: bool) -> RuntimeState {
        let mut next = s.clone();
        next.workers.remove(i);
        if crash {
            next.used.crashes += 1;
        } else {
            next.used.lost_commits += 1;
        }
        self.quiesce(next)
    }

    /// RR-Discard: a worker whose replay diverged commits nothing and is discarded, outside
    /// the crash budget; storage is unchanged and the work item may be tried again.
    fn rule_discard(&self, s: &RuntimeState, i: usize) -> RuntimeState {
        let mut next = s.clone();
        next.workers.remove(i);
        self.quiesce(next)
    }

    /// The orchestration a stored record stands for: the state, or the history replayed
    /// (with the first choices that reproduce it, for code that uses `choose`).
    fn stored_orchestration(&self, id: &InstanceId, r: &OrchRecord) -> Option<OrchState> {
        match r {
            OrchRecord::State(o) => Some(o.clone()),
            OrchRecord::History(h) => {
                let check = match self.opts.persistence {
                    Persistence::History { check, .. } => check,
                    Persistence::State => ReplayCheck::Whole,
                };
                let orch = self.ctx().orch;
                enumerate(|ch| replay(&self.spec, orch, id, h, check, ch))
                    .into_iter()
                    .find_map(|(_, r)| r.ok())
            }
        }
    }

    /// Canon-Execution after every step, over storage, the timers and the workers.
    fn quiesce(&self, mut s: RuntimeState) -> RuntimeState {
        renumber_executions(&mut s);
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

/// Canon-Execution, as `hl::canonicalize` does for a configuration: each instance's live
/// executions are renumbered densely, with the sub-orchestrations they named, everywhere in
/// the state — storage, timers and workers.
fn renumber_executions(s: &mut RuntimeState) {
    while let Some(r) = next_renumbering(s) {
        let old = std::mem::take(&mut s.storage);
        for (key, slot) in old {
            let own = matches!(&key, Key::Instance(i) if *i == r.instance);
            let slot = Slot {
                queue: slot.queue.iter().map(|m| m.renumbered(&r)).collect(),
                stored: slot.stored.renumbered(&r, own),
            };
            s.storage.insert(key.renumbered(&r), slot);
        }
        s.timers = s.timers.iter().map(|t| r.future(t)).collect();
        let workers: Vec<Worker> = s.workers.iter().map(|w| w.renumbered(&r)).collect();
        s.workers = Vec::new();
        for w in workers {
            Runtime::add_worker(s, w);
        }
    }
}

/// The first instance whose live executions are not numbered densely.
fn next_renumbering(s: &RuntimeState) -> Option<Renumbering> {
    s.storage.iter().find_map(|(k, slot)| {
        let Key::Instance(id) = k else { return None };
        let execution = slot.stored.execution()?;
        let mine = |f: &&FutureRef| f.instance == *id;
        let mut live: Vec<&FutureRef> = s.timers.iter().collect();
        for (key, other) in &s.storage {
            if let Key::Activity(t) = key {
                live.push(t);
            }
            live.extend(other.queue.iter().flat_map(|m| m.futures()));
            live.extend(other.stored.futures());
        }
        for w in &s.workers {
            live.extend(w.futures());
        }
        let live = live.into_iter().filter(mine).map(|f| f.execution);
        Renumbering::plan(id, execution, live)
    })
}

impl Protocol for Runtime {
    type State = RuntimeState;
    type Action = RuntimeAction;

    fn info(&self) -> &ProtocolInfo {
        &self.info
    }

    fn init(&self) -> RuntimeState {
        let mut storage = OrdMap::new();
        for (id, v) in &self.scenario().inits {
            storage.insert(Key::Entity(id.clone()), self.entity_slot(v.clone()));
        }
        RuntimeState {
            next_input: 0,
            storage,
            workers: Vec::new(),
            timers: OrdSet::new(),
            used: Used::default(),
            externs: ExternLog::new(),
        }
    }

    fn successors(&self, s: &RuntimeState, out: &mut Vec<(RuntimeAction, RuntimeState)>) {
        let b = &self.opts.budget;
        let holder = !self.opts.variant.no_holder_priority;
        if (s.next_input as usize) < self.scenario().inputs.len() {
            out.push((RuntimeAction::Input(s.next_input), self.rule_input(s)));
        }
        for (key, slot) in &s.storage {
            if !has_work(key, slot, holder) {
                continue;
            }
            let busy = s.workers.iter().any(|w| &w.key == key);
            if busy && s.used.duplicates >= b.duplicates {
                continue;
            }
            let replays = match &slot.stored {
                Stored::Orchestration(OrchRecord::History(h)) => Some(h.items.len()),
                _ => None,
            };
            for batch in batches(key, slot, b.batch, holder) {
                for (choices, next) in enumerate(|ch| self.rule_fetch(s, key, &batch, busy, ch)) {
                    let action = RuntimeAction::Fetch {
                        key: key.clone(),
                        batch: batch.clone(),
                        duplicate: busy,
                        replays,
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
                        let action = RuntimeAction::Step {
                            worker,
                            key: key.clone(),
                            choices,
                        };
                        out.push((action, next));
                    }
                }
                Phase::Diverged(_) => {
                    let action = RuntimeAction::Discard { worker, key };
                    out.push((action, self.rule_discard(s, i)));
                    continue;
                }
                Phase::Ready(_) => {
                    let accepted = self.accepts(s, w);
                    let action = RuntimeAction::Commit {
                        worker,
                        key: key.clone(),
                        accepted,
                    };
                    out.push((action, self.rule_commit(s, i)));
                    if s.used.lost_commits < b.lost_commits {
                        let action = RuntimeAction::LoseCommit {
                            worker,
                            key: key.clone(),
                        };
                        out.push((action, self.rule_drop_worker(s, i, false)));
                    }
                }
            }
            if s.used.crashes < b.crashes {
                let action = RuntimeAction::Crash { worker, key };
                out.push((action, self.rule_drop_worker(s, i, true)));
            }
        }
        for to in &s.timers {
            let action = RuntimeAction::FireTimer { to: to.clone() };
            out.push((action, self.rule_timer_fire(s, to)));
        }
        if b.timeouts {
            for key in s.storage.keys() {
                if let Key::Activity(task) = key {
                    let action = RuntimeAction::Timeout { task: task.clone() };
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
    fn abstraction<'s>(&self, s: &'s RuntimeState) -> Cow<'s, Config> {
        let mut c = Config {
            next_input: s.next_input,
            ..Config::default()
        };
        for (key, slot) in &s.storage {
            match key {
                Key::Instance(id) => {
                    let mut o: Option<OrchState> = match &slot.stored {
                        Stored::Orchestration(r) => self.stored_orchestration(id, r),
                        _ => None,
                    };
                    let queued: Vec<Msg> = slot.queue.iter().cloned().collect();
                    crate::history::feed(&mut o, &queued);
                    // A finished sub-orchestration has sent its result and is gone.
                    if let Some(o) = o.filter(|o| !o.is_finished_sub()) {
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
        c.timers = s.timers.clone();
        canonicalize(&mut c);
        Cow::Owned(c)
    }

    fn externs<'s>(&self, s: &'s RuntimeState) -> &'s ExternLog {
        &s.externs
    }

    fn lane(&self, _: &RuntimeState, action: &RuntimeAction) -> String {
        use RuntimeAction::*;
        match action {
            Input(i) => crate::high_level::input_lane(self.scenario(), *i),
            Fetch { key, .. }
            | Step { key, .. }
            | Commit { key, .. }
            | Crash { key, .. }
            | LoseCommit { key, .. }
            | Discard { key, .. } => key.to_string(),
            Timeout { task } => Key::Activity(task.clone()).to_string(),
            FireTimer { to } => to.instance.to_string(),
        }
    }

    /// A worker whose replay diverged: record-replay's non-determinism detector.
    fn violation(&self, s: &RuntimeState) -> Option<(String, String)> {
        s.workers.iter().find_map(|w| match &w.phase {
            Phase::Diverged(d) => Some(("replay-divergence".to_string(), d.to_string())),
            _ => None,
        })
    }
}
