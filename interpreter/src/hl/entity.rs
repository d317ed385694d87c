//! Entities: their state, which queued request may be served next (FIFO per origin, holder
//! priority), and the driver that serves one request (rules Entity-Op, Lock-Grant,
//! Lock-Forward and Lock-Release of docs/semantics.md). Every model serves through [`serve`].

use super::choice::Choices;
use super::message::{EntityRequest, ExternCall, InstanceId, Message, Origin};
use super::orchestration::{data, request_name};
use crate::eval::{error, Request, Runner, Yield};
use crate::load::Spec;
use crate::value::{EntityId, Value};
use imbl::OrdMap;
use std::collections::BTreeSet;

/// What an entity stores: its state and the orchestration holding its lock.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct EntityState {
    pub value: Value,
    pub owner: Option<InstanceId>,
}

impl std::fmt::Display for EntityState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.value)?;
        if let Some(o) = &self.owner {
            write!(f, ", locked by {o}")?;
        }
        Ok(())
    }
}

/// The result of serving one request.
#[derive(Clone, Debug)]
pub struct Served {
    pub state: EntityState,
    pub sent: Vec<Message>,
    pub externs: Vec<ExternCall>,
}

/// The positions in `queue` of the requests the entity may serve next: the oldest request of
/// each origin, or, while it is locked, only its owner's oldest (holder priority). With
/// `holder_priority` off (the `lock-no-holder-priority` mutant) a locked entity serves the
/// oldest request of each origin except lock requests.
pub fn servable<'q>(
    st: &EntityState,
    queue: impl IntoIterator<Item = &'q EntityRequest>,
    holder_priority: bool,
) -> Vec<usize> {
    let mut seen: BTreeSet<Origin> = BTreeSet::new();
    let mut out = Vec::new();
    for (i, r) in queue.into_iter().enumerate() {
        let origin = r.origin();
        if !seen.insert(origin.clone()) {
            continue;
        }
        let ok = match &st.owner {
            None => true,
            Some(owner) if holder_priority => origin == Origin::Instance(owner.clone()),
            Some(_) => !matches!(r, EntityRequest::Lock { .. }),
        };
        if ok {
            out.push(i);
        }
    }
    out
}

/// Serves one request addressed to entity `id`.
pub fn serve(
    spec: &Spec,
    id: &EntityId,
    st: &EntityState,
    req: &EntityRequest,
    choices: &mut Choices,
) -> Served {
    match req {
        EntityRequest::Op { op, arg, reply, .. } => {
            let (state, result, sent, externs) = run_op(spec, id, st, op, arg, choices);
            let mut sent = sent;
            if let Some(to) = reply {
                sent.push(Message::Response {
                    to: to.clone(),
                    result,
                    grant: false,
                });
            }
            Served {
                state,
                sent,
                externs,
            }
        }
        EntityRequest::Lock {
            owner,
            lockset,
            index,
            reply,
        } => {
            let state = EntityState {
                value: st.value.clone(),
                owner: Some(owner.clone()),
            };
            let next = *index as usize + 1;
            let sent = if next < lockset.len() {
                vec![Message::Entity {
                    entity: lockset[next].clone(),
                    request: EntityRequest::Lock {
                        owner: owner.clone(),
                        lockset: lockset.clone(),
                        index: next as u32,
                        reply: reply.clone(),
                    },
                }]
            } else {
                vec![Message::Response {
                    to: reply.clone(),
                    result: Ok(Value::Unit),
                    grant: true,
                }]
            };
            Served {
                state,
                sent,
                externs: Vec::new(),
            }
        }
        EntityRequest::Release { owner } => {
            let mut state = st.clone();
            if state.owner.as_ref() == Some(owner) {
                state.owner = None;
            }
            Served {
                state,
                sent: Vec::new(),
                externs: Vec::new(),
            }
        }
    }
}

type OpResult = (
    EntityState,
    Result<Value, Value>,
    Vec<Message>,
    Vec<ExternCall>,
);

/// Runs one operation to its end (rule Entity-Op). A failed operation is rolled back: the
/// state stays, its signals are not sent; the extern calls it made stay made.
fn run_op(
    spec: &Spec,
    id: &EntityId,
    st: &EntityState,
    op: &str,
    arg: &Value,
    choices: &mut Choices,
) -> OpResult {
    let mut externs = Vec::new();
    let Some(lambda) = spec.entities.get(&id.name).and_then(|e| e.ops.get(op)) else {
        let e = error(
            "operation",
            format!("entity `{}` has no operation `{op}`", id.name),
        );
        return (st.clone(), Err(e), Vec::new(), externs);
    };
    let mut runner = Runner::apply_lambda(lambda, arg.clone());
    let mut value = st.value.clone();
    let mut signals = Vec::new();
    let mut futures: OrdMap<u32, Value> = OrdMap::new();
    let failed = |e: Value, externs| (st.clone(), Err(e), Vec::new(), externs);
    loop {
        match runner.run(&spec.defs) {
            Yield::Done(v) => {
                let v = match data(v, "an operation's result") {
                    Ok(v) => v,
                    Err(e) => return failed(e, externs),
                };
                if let Err(e) = data(value.clone(), "an entity's state") {
                    return failed(e, externs);
                }
                let state = EntityState {
                    value,
                    owner: st.owner.clone(),
                };
                return (state, Ok(v), signals, externs);
            }
            Yield::Failed(e) => {
                let e = data(e, "an error payload").unwrap_or_else(|e| e);
                return failed(e, externs);
            }
            Yield::Request(req) => match req {
                Request::Get => runner.give(value.clone()),
                Request::Set(v) => {
                    value = v;
                    runner.give(Value::Unit);
                }
                Request::Signal(target, op, arg) => {
                    match (target.as_entity(), data(arg, "an operation's argument")) {
                        (Some(entity), Ok(arg)) => {
                            signals.push(Message::Entity {
                                entity: entity.clone(),
                                request: EntityRequest::Op {
                                    origin: Origin::Entity(id.clone()),
                                    op,
                                    arg,
                                    reply: None,
                                },
                            });
                            runner.give(Value::Unit);
                        }
                        (None, _) => runner.raise(error(
                            "type",
                            format!("`signal` needs an entity id, got {}", target.kind_name()),
                        )),
                        (_, Err(e)) => runner.raise(e),
                    }
                }
                Request::CallExtern(service, arg) => match data(arg, "an extern's argument") {
                    Ok(arg) => {
                        let reply = choose_reply(spec, &service, choices);
                        externs.push(ExternCall {
                            service,
                            arg,
                            reply: reply.clone(),
                        });
                        let n = futures.len() as u32;
                        futures.insert(n, reply);
                        runner.give(Value::Future(n));
                    }
                    Err(e) => runner.raise(e),
                },
                Request::Await(n) => match futures.get(&n) {
                    Some(v) => runner.give(v.clone()),
                    None => runner.raise(error("type", "awaiting a future of another component")),
                },
                Request::Choose(items) => {
                    let i = choices.pick(items.len());
                    runner.give(items[i].clone());
                }
                other => runner.raise(error(
                    "type",
                    format!(
                        "{} is not allowed in an entity operation",
                        request_name(&other)
                    ),
                )),
            },
        }
    }
}

/// The reply an extern gives this time: one of its declared replies.
pub fn choose_reply(spec: &Spec, service: &str, choices: &mut Choices) -> Value {
    let replies = &spec.externs[service];
    replies[choices.pick(replies.len())].clone()
}
