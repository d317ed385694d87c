//! What components send each other. Every model moves the same messages: HL delivers them at
//! once, the execution models queue them in storage.

use crate::value::{args_text, EntityId, Value};
use std::fmt;
use std::sync::Arc;

/// An orchestration instance id (`t1`, or `t1:0:2` for a sub-orchestration).
pub type InstanceId = Arc<str>;

/// The id of a future: its owner instance, the owner's execution number (0 for the first, +1
/// at each continue-as-new) and the owner's call counter (DESIGN.md §2). A function of the
/// owner's history, so replay reproduces it. An activity is identified by its caller's future.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FutureRef {
    pub instance: InstanceId,
    pub execution: u32,
    pub counter: u32,
}

impl fmt::Display for FutureRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}.{}", self.instance, self.execution, self.counter)
    }
}

impl fmt::Debug for FutureRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Who sent a request to an entity: FIFO order holds per origin (LANGUAGE.md §6).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    Client,
    Instance(InstanceId),
    Entity(EntityId),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Client => f.write_str("client"),
            Origin::Instance(i) => f.write_str(i),
            Origin::Entity(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A request in an entity's queue.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum EntityRequest {
    /// An operation; `reply` is the caller's future for a call, `None` for a signal.
    Op {
        origin: Origin,
        op: Arc<str>,
        arg: Value,
        reply: Option<FutureRef>,
    },
    /// A lock request travelling through the sorted lock set (DESIGN.md §5): this entity is
    /// `lockset[index]`; the last one grants `reply`.
    Lock {
        owner: InstanceId,
        lockset: Arc<[EntityId]>,
        index: u32,
        reply: FutureRef,
    },
    /// The owner leaves its critical section.
    Release { owner: InstanceId },
}

impl EntityRequest {
    pub fn origin(&self) -> Origin {
        match self {
            EntityRequest::Op { origin, .. } => origin.clone(),
            EntityRequest::Lock { owner, .. } | EntityRequest::Release { owner } => {
                Origin::Instance(owner.clone())
            }
        }
    }

    /// Does this request carry a future of an earlier execution of `instance` than `current`?
    pub fn refers_to_older(&self, instance: &str, current: u32) -> bool {
        match self {
            EntityRequest::Op { reply: Some(r), .. } | EntityRequest::Lock { reply: r, .. } => {
                &*r.instance == instance && r.execution < current
            }
            _ => false,
        }
    }
}

impl EntityRequest {
    /// Does this request carry a future of `instance`?
    pub fn mentions(&self, instance: &str) -> bool {
        match self {
            EntityRequest::Op { reply: Some(r), .. } | EntityRequest::Lock { reply: r, .. } => {
                &*r.instance == instance
            }
            _ => false,
        }
    }

    /// The request with `instance`'s futures of execution `current` renumbered 0.
    pub fn renumbered(&self, instance: &str, current: u32) -> EntityRequest {
        let mut r = self.clone();
        match &mut r {
            EntityRequest::Op { reply: Some(f), .. } | EntityRequest::Lock { reply: f, .. } => {
                *f = renumbered(f, instance, current)
            }
            _ => {}
        }
        r
    }
}

impl EntityRequest {
    /// The future this request answers, if any (a call's reply, a lock's grant).
    pub fn future(&self) -> Option<&FutureRef> {
        match self {
            EntityRequest::Op { reply: Some(r), .. } | EntityRequest::Lock { reply: r, .. } => {
                Some(r)
            }
            _ => None,
        }
    }

    /// The request with the future it carries (if any) mapped by `f`.
    pub fn map_future(&self, f: impl Fn(&FutureRef) -> FutureRef) -> EntityRequest {
        let mut r = self.clone();
        match &mut r {
            EntityRequest::Op { reply: Some(x), .. } | EntityRequest::Lock { reply: x, .. } => {
                *x = f(x)
            }
            _ => {}
        }
        r
    }
}

/// Canon-Execution's renumbering of one instance: its current execution and the older
/// executions that still have a message in flight, numbered densely in order (0, 1, ...), so
/// the current one becomes the count of the older ones. `None` if nothing changes.
pub fn execution_ranks(
    current: u32,
    older_in_flight: impl IntoIterator<Item = u32>,
) -> Option<std::collections::BTreeMap<u32, u32>> {
    let mut live: std::collections::BTreeSet<u32> = older_in_flight
        .into_iter()
        .filter(|&e| e < current)
        .collect();
    live.insert(current);
    let ranks: std::collections::BTreeMap<u32, u32> = live
        .into_iter()
        .enumerate()
        .map(|(rank, e)| (e, rank as u32))
        .collect();
    ranks.iter().any(|(e, r)| e != r).then_some(ranks)
}

/// `f` with its execution renumbered by `ranks` if it is a future of `instance`.
pub fn reranked(
    f: &FutureRef,
    instance: &str,
    ranks: &std::collections::BTreeMap<u32, u32>,
) -> FutureRef {
    match ranks.get(&f.execution) {
        Some(&execution) if &*f.instance == instance => FutureRef {
            execution,
            ..f.clone()
        },
        _ => f.clone(),
    }
}

/// `f` renumbered to execution 0 if it is `instance`'s future of execution `current`.
pub fn renumbered(f: &FutureRef, instance: &str, current: u32) -> FutureRef {
    if &*f.instance == instance && f.execution == current {
        FutureRef {
            execution: 0,
            ..f.clone()
        }
    } else {
        f.clone()
    }
}

impl fmt::Display for EntityRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityRequest::Op {
                origin,
                op,
                arg,
                reply,
            } => {
                let verb = if reply.is_some() { "call" } else { "signal" };
                write!(f, "{verb} {op}{} from {origin}", args_text(arg))
            }
            EntityRequest::Lock { owner, index, .. } => write!(f, "lock #{index} for {owner}"),
            EntityRequest::Release { owner } => write!(f, "release by {owner}"),
        }
    }
}

/// What a component's step sends.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Message {
    /// Creates activity `task` (the caller's future).
    Activity {
        task: FutureRef,
        name: Arc<str>,
        input: Value,
    },
    /// A request for an entity.
    Entity {
        entity: EntityId,
        request: EntityRequest,
    },
    /// The result for a future: of an activity or an entity call, or a lock grant.
    Response {
        to: FutureRef,
        result: Result<Value, Value>,
        grant: bool,
    },
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Activity { name, input, .. } => write!(f, "run {name}{}", args_text(input)),
            Message::Entity { entity, request } => write!(f, "{entity}: {request}"),
            Message::Response {
                to, result, grant, ..
            } => match (grant, result) {
                (true, _) => write!(f, "grant to {to}"),
                (false, Ok(v)) => write!(f, "{v} to {to}"),
                (false, Err(e)) => write!(f, "error {e} to {to}"),
            },
        }
    }
}

/// An external call made by an activity or an entity operation, with the reply it got.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ExternCall {
    pub service: Arc<str>,
    pub arg: Value,
    pub reply: Value,
}
