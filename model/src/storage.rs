//! Durable storage (DESIGN.md §4, the paper's §5): each key holds a queue of messages and a
//! stored state. A message leaves a queue only by the commit that consumed it and is created
//! only by a successful commit (or a client input, or a timeout).

use durable_interpreter::hl::entity::EntityState;
use durable_interpreter::hl::message::{
    EntityRequest, FutureRef, InstanceId, Message, Renumbering,
};
use durable_interpreter::hl::orchestration::OrchState;
use durable_interpreter::value::{args_text, EntityId, Value};
use imbl::Vector;
use std::fmt;
use std::sync::Arc;

/// A storage key: one per orchestration instance, activity execution and entity.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Instance(InstanceId),
    Activity(FutureRef),
    Entity(EntityId),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Instance(i) => f.write_str(i),
            Key::Activity(t) => write!(f, "activity {t}"),
            Key::Entity(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A queued message.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Msg {
    /// Starts an orchestration instance: from the client, or a sub-orchestration whose result
    /// answers `parent`.
    Start {
        name: Arc<str>,
        input: Value,
        parent: Option<FutureRef>,
    },
    /// An external event raised to the instance.
    Event { name: Arc<str>, payload: Value },
    /// A result for one of the instance's futures.
    Response {
        to: FutureRef,
        result: Result<Value, Value>,
        grant: bool,
    },
    /// Runs an activity.
    Call { name: Arc<str>, input: Value },
    /// A request for an entity.
    Request(EntityRequest),
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Start { name, input, .. } => write!(f, "start {name}{}", args_text(input)),
            Msg::Event { name, payload } => write!(f, "event {name}({payload})"),
            Msg::Response {
                to, result, grant, ..
            } => match (grant, result) {
                (true, _) => write!(f, "grant {to}"),
                (false, Ok(v)) => write!(f, "{v} for {to}"),
                (false, Err(e)) => write!(f, "error {e} for {to}"),
            },
            Msg::Call { name, input } => write!(f, "call {name}{}", args_text(input)),
            Msg::Request(r) => write!(f, "{r}"),
        }
    }
}

/// Where a component's outgoing message goes: a key's queue, or the timer service.
pub enum Destination {
    Queue(Key, Msg),
    Timer(FutureRef),
}

pub fn route(m: Message) -> Destination {
    match m {
        Message::Activity { task, name, input } => {
            Destination::Queue(Key::Activity(task), Msg::Call { name, input })
        }
        Message::Entity { entity, request } => {
            Destination::Queue(Key::Entity(entity), Msg::Request(request))
        }
        Message::Response { to, result, grant } => Destination::Queue(
            Key::Instance(to.instance.clone()),
            Msg::Response { to, result, grant },
        ),
        Message::Start {
            instance,
            name,
            input,
            parent,
        } => Destination::Queue(
            Key::Instance(instance),
            Msg::Start {
                name,
                input,
                parent: Some(parent),
            },
        ),
        Message::Timer { to, .. } => Destination::Timer(to),
    }
}

impl Msg {
    /// Every future the message carries.
    pub fn futures(&self) -> Vec<&FutureRef> {
        match self {
            Msg::Start {
                parent: Some(p), ..
            } => vec![p],
            Msg::Response { to, .. } => vec![to],
            Msg::Request(r) => r.future().into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The message under a renumbering of executions (Canon-Execution).
    pub fn renumbered(&self, r: &Renumbering) -> Msg {
        match self {
            Msg::Start {
                name,
                input,
                parent,
            } => Msg::Start {
                name: name.clone(),
                input: input.clone(),
                parent: parent.as_ref().map(|p| r.future(p)),
            },
            Msg::Response { to, result, grant } => Msg::Response {
                to: r.future(to),
                result: result.clone(),
                grant: *grant,
            },
            Msg::Request(q) => Msg::Request(r.request(q)),
            other => other.clone(),
        }
    }
}

impl Key {
    pub fn renumbered(&self, r: &Renumbering) -> Key {
        match self {
            Key::Instance(i) => Key::Instance(r.id(i)),
            Key::Activity(t) => Key::Activity(r.future(t)),
            Key::Entity(e) => Key::Entity(e.clone()),
        }
    }
}

/// What an orchestration key stores: its state (compute-storage) or its history
/// (record-replay).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum OrchRecord {
    State(OrchState),
    History(crate::history::History),
}

/// A key's stored state.
// The orchestration variant is large; it is cloned with every successor state, and boxing it
// would turn that copy into an allocation and a deep clone.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Stored {
    /// Nothing committed yet (an activity, an orchestration before its first work item).
    Nothing,
    Orchestration(OrchRecord),
    Entity(EntityState),
}

impl fmt::Display for Stored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stored::Nothing => f.write_str("nothing stored"),
            Stored::Orchestration(OrchRecord::State(o)) => write!(f, "{o}"),
            Stored::Orchestration(OrchRecord::History(h)) => write!(f, "{h}"),
            Stored::Entity(e) => write!(f, "{e}"),
        }
    }
}

impl Stored {
    /// The stored state under a renumbering of executions; `own` when it is the renumbered
    /// instance's own state.
    pub fn renumbered(&self, r: &Renumbering, own: bool) -> Stored {
        match self {
            Stored::Orchestration(OrchRecord::State(o)) => {
                let mut o = o.clone();
                if own {
                    o.execution = r.execution(o.execution);
                }
                o.parent = o.parent.as_ref().map(|p| r.future(p));
                Stored::Orchestration(OrchRecord::State(o))
            }
            Stored::Orchestration(OrchRecord::History(h)) => {
                Stored::Orchestration(OrchRecord::History(h.renumbered(r, own)))
            }
            Stored::Entity(e) => Stored::Entity(EntityState {
                value: e.value.clone(),
                owner: e.owner.as_ref().map(|o| r.id(o)),
            }),
            Stored::Nothing => Stored::Nothing,
        }
    }

    /// Every future the stored state refers to: a sub-orchestration's parent, and what a
    /// history recorded.
    pub fn futures(&self) -> Vec<&FutureRef> {
        match self {
            Stored::Orchestration(OrchRecord::State(o)) => o.parent.iter().collect(),
            Stored::Orchestration(OrchRecord::History(h)) => {
                let mut out: Vec<&FutureRef> = h.parent.iter().collect();
                for w in &h.items {
                    out.extend(w.ins.iter().flat_map(|m| m.futures()));
                    out.extend(w.outs.iter().flat_map(|m| m.futures()));
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// The execution number of a stored orchestration.
    pub fn execution(&self) -> Option<u32> {
        match self {
            Stored::Orchestration(OrchRecord::State(o)) => Some(o.execution),
            Stored::Orchestration(OrchRecord::History(h)) => Some(h.execution),
            _ => None,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Slot {
    pub queue: Vector<Msg>,
    pub stored: Stored,
}

impl Slot {
    pub fn new(stored: Stored) -> Slot {
        Slot {
            queue: Vector::new(),
            stored,
        }
    }
}

/// Removes the first occurrence of each of `msgs` from `queue`; false if one is missing (then
/// `queue` holds whatever could be removed).
pub fn remove_each(queue: &mut Vector<Msg>, msgs: &[Msg]) -> bool {
    let mut all = true;
    for m in msgs {
        match queue.iter().position(|q| q == m) {
            Some(i) => {
                queue.remove(i);
            }
            None => all = false,
        }
    }
    all
}

/// Are all of `msgs` (as a multiset) in `queue`?
pub fn contains_each(queue: &Vector<Msg>, msgs: &[Msg]) -> bool {
    let mut q = queue.clone();
    remove_each(&mut q, msgs)
}
