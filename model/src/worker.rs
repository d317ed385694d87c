//! Volatile workers (DESIGN.md §4): which messages a worker may fetch for a key, and the work
//! item it computes with the shared component drivers.

use crate::history::{feed, record, replay, Divergence, History, ReplayCheck};
use crate::storage::{Key, Msg, OrchRecord, Slot, Stored};
use durable_interpreter::hl::activity::ActivityState;
use durable_interpreter::hl::choice::Choices;
use durable_interpreter::hl::entity::{self, servable, EntityState};
use durable_interpreter::hl::message::{
    EntityRequest, ExternCall, FutureRef, InstanceId, Message, Renumbering,
};
use durable_interpreter::hl::orchestration::{self, OrchOptions};
use durable_interpreter::load::Spec;
use durable_interpreter::syntax::ast::BatchMode;
use imbl::Vector;
use std::sync::Arc;

/// A worker: the messages it fetched, the stored state it read, and how far it got.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Worker {
    pub key: Key,
    pub consumed: Arc<[Msg]>,
    pub before: Stored,
    /// The queue as the worker saw it (kept only by the overwrite-queue variant).
    pub seen: Option<Vector<Msg>>,
    pub phase: Phase,
}

impl Worker {
    /// The worker under a renumbering of executions (Canon-Execution applies to everything a
    /// state holds, workers included, so that a worker that lingers cannot keep a
    /// continue-as-new loop's numbers growing).
    pub fn renumbered(&self, r: &Renumbering) -> Worker {
        let own = matches!(&self.key, Key::Instance(i) if *i == r.instance);
        Worker {
            key: self.key.renumbered(r),
            consumed: self.consumed.iter().map(|m| m.renumbered(r)).collect(),
            before: self.before.renumbered(r, own),
            seen: self
                .seen
                .as_ref()
                .map(|q| q.iter().map(|m| m.renumbered(r)).collect()),
            phase: match &self.phase {
                Phase::Activity(a) => Phase::Activity(a.clone()),
                Phase::Ready(c) => Phase::Ready(Commit {
                    after: c.after.renumbered(r, own),
                    outgoing: c.outgoing.iter().map(|m| r.message(m)).collect(),
                    remove_key: c.remove_key,
                }),
                Phase::Diverged(d) => Phase::Diverged(d.renumbered(r)),
            },
        }
    }

    /// Every future the worker refers to.
    pub fn futures(&self) -> Vec<&FutureRef> {
        let mut out: Vec<&FutureRef> = Vec::new();
        if let Key::Activity(t) = &self.key {
            out.push(t);
        }
        out.extend(self.consumed.iter().flat_map(|m| m.futures()));
        out.extend(self.before.futures());
        if let Some(q) = &self.seen {
            out.extend(q.iter().flat_map(|m| m.futures()));
        }
        match &self.phase {
            Phase::Activity(_) => {}
            Phase::Ready(c) => {
                out.extend(c.after.futures());
                out.extend(c.outgoing.iter().flat_map(|m| m.futures()));
            }
            Phase::Diverged(d) => {
                out.extend(d.recorded.iter().flat_map(|m| m.futures()));
                out.extend(d.produced.iter().flat_map(|m| m.futures()));
            }
        }
        out
    }
}

impl std::fmt::Display for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fetched: Vec<String> = self.consumed.iter().map(ToString::to_string).collect();
        write!(f, "fetched [{}]", fetched.join("; "))?;
        match &self.phase {
            Phase::Activity(a) => write!(f, ", running {a}"),
            Phase::Ready(c) => {
                write!(f, ", ready to commit {}", c.after)?;
                if !c.outgoing.is_empty() {
                    let sent: Vec<String> = c.outgoing.iter().map(ToString::to_string).collect();
                    write!(f, " and send {}", sent.join("; "))?;
                }
                Ok(())
            }
            Phase::Diverged(d) => write!(f, ", diverged: {d}"),
        }
    }
}

// Large variants on purpose: see `Stored`.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Phase {
    /// An activity worker, one effect point at a time.
    Activity(ActivityState),
    /// The work item is computed; its commit is ready to be sent.
    Ready(Commit),
    /// Replaying the history diverged: the worker commits nothing and is discarded.
    Diverged(Divergence),
}

/// What a worker asks storage to do, atomically, if the key still holds what it read.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Commit {
    pub after: Stored,
    pub outgoing: Vec<Message>,
    /// The work is finished for good (a completed activity): the key goes once empty.
    pub remove_key: bool,
}

/// How an orchestration key persists its orchestration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persistence {
    /// Compute-storage: the state itself.
    State,
    /// Record-replay: the history, replayed with this comparison; `resend` is the
    /// `rr-replay-sends` variant, which sends the recorded messages again after replaying.
    History { check: ReplayCheck, resend: bool },
}

/// What the drivers need to know.
pub struct WorkCtx<'a> {
    pub spec: &'a Spec,
    pub orch: OrchOptions,
    pub holder_priority: bool,
    pub persistence: Persistence,
    /// The `rr-fresh-ids` variant.
    pub fresh_ids: bool,
    /// The `rr-snapshot-without-lock` variant.
    pub snapshot_without_lock: bool,
}

/// How far apart the id bases of two runs are under the `rr-fresh-ids` variant.
const FRESH_ID_STRIDE: u32 = 1000;

/// Is there work for a worker at this key?
pub fn has_work(key: &Key, slot: &Slot, holder_priority: bool) -> bool {
    match key {
        Key::Instance(_) => !slot.queue.is_empty() || orchestration_ready(&slot.stored),
        Key::Activity(_) => slot.queue.iter().any(|m| matches!(m, Msg::Call { .. })),
        Key::Entity(_) => match &slot.stored {
            Stored::Entity(st) => {
                let queue = slot.queue.iter().filter_map(|m| match m {
                    Msg::Request(r) => Some(r),
                    _ => None,
                });
                !servable(st, queue, holder_priority).is_empty()
            }
            _ => false,
        },
    }
}

/// A stored orchestration that can run without a message: continued as new, its new
/// execution not started yet.
fn orchestration_ready(stored: &Stored) -> bool {
    match stored {
        Stored::Orchestration(OrchRecord::State(o)) => o.ready(),
        Stored::Orchestration(OrchRecord::History(h)) => h.items.is_empty(),
        _ => false,
    }
}

fn requests(queue: &Vector<Msg>) -> Vector<EntityRequest> {
    queue
        .iter()
        .filter_map(|m| match m {
            Msg::Request(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// The batches a worker may fetch at `key` (DESIGN.md §4): for an orchestration the oldest
/// messages; for an entity, each the oldest remaining message of its origin, only the lock
/// holder's while it is locked; for an activity its call.
pub fn batches(key: &Key, slot: &Slot, mode: BatchMode, holder_priority: bool) -> Vec<Vec<Msg>> {
    let q: Vec<Msg> = slot.queue.iter().cloned().collect();
    match key {
        Key::Instance(_) => {
            if q.is_empty() {
                return if orchestration_ready(&slot.stored) {
                    vec![Vec::new()]
                } else {
                    Vec::new()
                };
            }
            match mode {
                BatchMode::One => vec![q[..1].to_vec()],
                BatchMode::All => vec![q],
                BatchMode::Any => (1..=q.len()).map(|n| q[..n].to_vec()).collect(),
            }
        }
        Key::Activity(_) => q
            .iter()
            .find(|m| matches!(m, Msg::Call { .. }))
            .map(|m| vec![vec![m.clone()]])
            .unwrap_or_default(),
        Key::Entity(_) => {
            let Stored::Entity(st) = &slot.stored else {
                return Vec::new();
            };
            let queue = requests(&slot.queue);
            let batches: Vec<Vec<EntityRequest>> = match mode {
                BatchMode::One => servable(st, &queue, holder_priority)
                    .into_iter()
                    .map(|i| vec![queue[i].clone()])
                    .collect(),
                BatchMode::All => servable_sequences(st, &queue, holder_priority)
                    .into_iter()
                    .filter(|(_, maximal)| *maximal)
                    .map(|(b, _)| b)
                    .collect(),
                BatchMode::Any => servable_sequences(st, &queue, holder_priority)
                    .into_iter()
                    .map(|(b, _)| b)
                    .collect(),
            };
            batches
                .into_iter()
                .map(|b| b.into_iter().map(Msg::Request).collect())
                .collect()
        }
    }
}

/// Every non-empty sequence of requests an entity worker may take as one batch, depth first,
/// each marked maximal when nothing more is servable after it. Each request is, when taken,
/// the oldest remaining of its origin and servable given the lock requests and releases
/// taken before it — so between origins every order the high-level model allows is here.
fn servable_sequences(
    st: &EntityState,
    queue: &Vector<EntityRequest>,
    holder_priority: bool,
) -> Vec<(Vec<EntityRequest>, bool)> {
    let mut out = Vec::new();
    extend_sequences(
        st.owner.clone(),
        queue,
        holder_priority,
        &mut Vec::new(),
        &mut out,
    );
    out
}

fn extend_sequences(
    owner: Option<InstanceId>,
    remaining: &Vector<EntityRequest>,
    holder_priority: bool,
    prefix: &mut Vec<EntityRequest>,
    out: &mut Vec<(Vec<EntityRequest>, bool)>,
) {
    let state = EntityState {
        value: durable_interpreter::value::Value::Unit,
        owner: owner.clone(),
    };
    let next = servable(&state, remaining, holder_priority);
    if !prefix.is_empty() {
        out.push((prefix.clone(), next.is_empty()));
    }
    for i in next {
        let mut rest = remaining.clone();
        let r = rest.remove(i);
        let owner_after = match &r {
            EntityRequest::Lock { owner: o, .. } => Some(o.clone()),
            EntityRequest::Release { owner: o } if owner.as_ref() == Some(o) => None,
            _ => owner.clone(),
        };
        prefix.push(r);
        extend_sequences(owner_after, &rest, holder_priority, prefix, out);
        prefix.pop();
    }
}

/// Computes the work item for a fetched batch: the worker's first phase and the extern calls
/// made on the way (entity operations call externs within the item).
pub fn work(
    ctx: &WorkCtx<'_>,
    key: &Key,
    before: &Stored,
    batch: &[Msg],
    choices: &mut Choices,
) -> (Phase, Vec<ExternCall>) {
    match key {
        Key::Instance(id) => (
            orchestration_item(ctx, id, before, batch, choices),
            Vec::new(),
        ),
        Key::Activity(_) => {
            let Some(Msg::Call { name, input }) = batch.first() else {
                unreachable!("an activity batch is its call")
            };
            let a = ActivityState::new(name.clone(), input.clone());
            (Phase::Activity(a), Vec::new())
        }
        Key::Entity(id) => {
            let Stored::Entity(mut st) = before.clone() else {
                unreachable!("entity keys store entity states")
            };
            let mut outgoing = Vec::new();
            let mut externs = Vec::new();
            for m in batch {
                if let Msg::Request(r) = m {
                    let served = entity::serve(ctx.spec, id, &st, r, choices);
                    st = served.state;
                    outgoing.extend(served.sent);
                    externs.extend(served.externs);
                }
            }
            if ctx.snapshot_without_lock {
                st.owner = None;
            }
            let commit = Commit {
                after: Stored::Entity(st),
                outgoing,
                remove_key: false,
            };
            (Phase::Ready(commit), externs)
        }
    }
}

/// An orchestration's work item: rebuild its state (read it, or replay its history), feed it
/// the batch, run it to its next effect point, and record the result.
fn orchestration_item(
    ctx: &WorkCtx<'_>,
    id: &InstanceId,
    before: &Stored,
    batch: &[Msg],
    choices: &mut Choices,
) -> Phase {
    // With fresh ids every run of the code numbers its calls from a new base.
    let orch = match before {
        Stored::Orchestration(OrchRecord::History(h)) if ctx.fresh_ids => OrchOptions {
            id_base: FRESH_ID_STRIDE * h.items.len() as u32,
            ..ctx.orch
        },
        _ => ctx.orch,
    };
    let (mut st, history) = match (before, ctx.persistence) {
        (Stored::Orchestration(OrchRecord::State(o)), _) => (Some(o.clone()), None),
        (Stored::Orchestration(OrchRecord::History(h)), Persistence::History { check, .. }) => {
            match replay(ctx.spec, orch, id, h, check, choices) {
                Ok(o) => (Some(o), Some(h.clone())),
                Err(d) => return Phase::Diverged(d),
            }
        }
        _ => (None, None),
    };
    feed(&mut st, batch);
    let Some(o) = st else {
        let commit = Commit {
            after: Stored::Nothing,
            outgoing: Vec::new(),
            remove_key: false,
        };
        return Phase::Ready(commit);
    };
    let (o, produced) = if o.ready() {
        let step = orchestration::step(ctx.spec, orch, id, &o, choices);
        (step.state, step.sent)
    } else {
        (o, Vec::new())
    };
    // A finished sub-orchestration has sent its result: its key goes once its queue is empty.
    let finished_sub = o.is_finished_sub();
    let (after, outgoing) = match ctx.persistence {
        Persistence::State => (OrchRecord::State(o), produced),
        Persistence::History { resend, .. } => {
            let h = history.unwrap_or_else(|| {
                let name = o.name.clone();
                let input = batch
                    .iter()
                    .find_map(|m| match m {
                        Msg::Start { input, .. } => Some(input.clone()),
                        _ => None,
                    })
                    .expect("a new instance's first batch starts it");
                History::start(name, input, 0, o.parent.clone())
            });
            let mut outgoing = if resend {
                h.recorded_outs()
            } else {
                Vec::new()
            };
            outgoing.extend(produced.iter().cloned());
            (
                OrchRecord::History(record(&h, batch, &produced, &o)),
                outgoing,
            )
        }
    };
    Phase::Ready(Commit {
        after: Stored::Orchestration(after),
        outgoing,
        remove_key: finished_sub,
    })
}
