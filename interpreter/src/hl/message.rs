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
}

/// Canon-Execution for one instance (docs/semantics.md): its current execution and the older
/// executions with something still in flight, numbered densely in order — with nothing older
/// in flight the current one becomes 0. The sub-orchestrations an execution started are named
/// after its number (`t:2:1`), so they are renamed with it (`t:0:1`), descendants included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renumbering {
    pub instance: InstanceId,
    pub ranks: std::collections::BTreeMap<u32, u32>,
}

impl Renumbering {
    /// The renumbering of `instance` whose current execution is `current` and whose other
    /// executions with something in flight are `live`; `None` if nothing changes.
    pub fn plan(
        instance: &InstanceId,
        current: u32,
        live: impl IntoIterator<Item = u32>,
    ) -> Option<Renumbering> {
        let mut executions: std::collections::BTreeSet<u32> =
            live.into_iter().filter(|&e| e < current).collect();
        executions.insert(current);
        let ranks: std::collections::BTreeMap<u32, u32> = executions
            .into_iter()
            .enumerate()
            .map(|(rank, e)| (e, rank as u32))
            .collect();
        ranks.iter().any(|(e, r)| e != r).then(|| Renumbering {
            instance: instance.clone(),
            ranks,
        })
    }

    /// The new number of one of the instance's executions.
    pub fn execution(&self, e: u32) -> u32 {
        self.ranks.get(&e).copied().unwrap_or(e)
    }

    /// An instance id: a sub-orchestration of a renumbered execution, or one of its
    /// descendants, is renamed; anything else stays.
    pub fn id(&self, id: &InstanceId) -> InstanceId {
        let prefix = format!("{}:", self.instance);
        let Some(rest) = id.strip_prefix(&prefix) else {
            return id.clone();
        };
        let (exec, tail) = rest.split_once(':').unwrap_or((rest, ""));
        match exec.parse::<u32>().ok().and_then(|e| self.ranks.get(&e)) {
            Some(rank) => Arc::from(format!("{prefix}{rank}:{tail}")),
            None => id.clone(),
        }
    }

    pub fn future(&self, f: &FutureRef) -> FutureRef {
        FutureRef {
            instance: self.id(&f.instance),
            execution: if f.instance == self.instance {
                self.execution(f.execution)
            } else {
                f.execution
            },
            counter: f.counter,
        }
    }

    pub fn origin(&self, o: &Origin) -> Origin {
        match o {
            Origin::Instance(i) => Origin::Instance(self.id(i)),
            other => other.clone(),
        }
    }

    pub fn request(&self, r: &EntityRequest) -> EntityRequest {
        match r {
            EntityRequest::Op {
                origin,
                op,
                arg,
                reply,
            } => EntityRequest::Op {
                origin: self.origin(origin),
                op: op.clone(),
                arg: arg.clone(),
                reply: reply.as_ref().map(|f| self.future(f)),
            },
            EntityRequest::Lock {
                owner,
                lockset,
                index,
                reply,
            } => EntityRequest::Lock {
                owner: self.id(owner),
                lockset: lockset.clone(),
                index: *index,
                reply: self.future(reply),
            },
            EntityRequest::Release { owner } => EntityRequest::Release {
                owner: self.id(owner),
            },
        }
    }

    pub fn message(&self, m: &Message) -> Message {
        match m {
            Message::Activity { task, name, input } => Message::Activity {
                task: self.future(task),
                name: name.clone(),
                input: input.clone(),
            },
            Message::Entity { entity, request } => Message::Entity {
                entity: entity.clone(),
                request: self.request(request),
            },
            Message::Response { to, result, grant } => Message::Response {
                to: self.future(to),
                result: result.clone(),
                grant: *grant,
            },
            Message::Start {
                instance,
                name,
                input,
                parent,
            } => Message::Start {
                instance: self.id(instance),
                name: name.clone(),
                input: input.clone(),
                parent: self.future(parent),
            },
            Message::Timer { to, seconds } => Message::Timer {
                to: self.future(to),
                seconds: *seconds,
            },
        }
    }
}

impl Message {
    /// Every future the message carries.
    pub fn futures(&self) -> Vec<&FutureRef> {
        match self {
            Message::Activity { task, .. } => vec![task],
            Message::Entity { request, .. } => request.future().into_iter().collect(),
            Message::Response { to, .. } | Message::Timer { to, .. } => vec![to],
            Message::Start { parent, .. } => vec![parent],
        }
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
    /// The result for a future: of an activity, an entity call or a sub-orchestration, a
    /// timer's firing, or a lock grant.
    Response {
        to: FutureRef,
        result: Result<Value, Value>,
        grant: bool,
    },
    /// Starts sub-orchestration `instance`, whose result answers `parent`.
    Start {
        instance: InstanceId,
        name: Arc<str>,
        input: Value,
        parent: FutureRef,
    },
    /// Schedules a durable timer of `seconds` (not counted by the models), whose firing
    /// answers `to`.
    Timer { to: FutureRef, seconds: i64 },
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
            Message::Start {
                instance,
                name,
                input,
                ..
            } => write!(f, "start {instance} = {name}{}", args_text(input)),
            Message::Timer { to, seconds } => write!(f, "timer of {seconds} s for {to}"),
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
