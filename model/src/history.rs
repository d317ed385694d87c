//! Record-replay histories (the paper's §6; DESIGN.md §4): an orchestration's stored state is
//! the start of its current execution and the work items since — each the messages it
//! consumed (`in`) and those it produced (`out`). A worker rebuilds the state by replaying the
//! code over the history: `in` entries are fed to it, and each `out` entry must be produced
//! again identically — and is not sent again. Anything else is a replay divergence.

use crate::storage::Msg;
use durable_interpreter::hl::choice::Choices;
use durable_interpreter::hl::message::{FutureRef, InstanceId, Message, Renumbering};
use durable_interpreter::hl::orchestration::{self, OrchOptions, OrchState, Run, Status};
use durable_interpreter::load::Spec;
use durable_interpreter::value::Value;
use imbl::Vector;
use std::fmt;
use std::sync::Arc;

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct History {
    pub name: Arc<str>,
    pub input: Value,
    pub execution: u32,
    /// For a sub-orchestration: the parent's future its result answers.
    pub parent: Option<FutureRef>,
    pub items: Vector<WorkItem>,
}

/// One committed work item: the messages consumed (`in`) and produced (`out`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct WorkItem {
    pub ins: Arc<[Msg]>,
    pub outs: Arc<[Message]>,
}

/// How replay compares a recorded message with the one the code produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplayCheck {
    /// Whole messages: kind, target, name, arguments and ids (the semantics).
    #[default]
    Whole,
    /// Only kind and name, as production runtimes do (the `rr-name-only-check` variant).
    NameOnly,
    /// Everything but ids, as a runtime that draws fresh ids must (the `rr-fresh-ids`
    /// variant).
    IgnoringIds,
}

/// Where replay went wrong: the work item, what it recorded and what the code produced.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Divergence {
    pub instance: InstanceId,
    pub item: usize,
    pub recorded: Vec<Message>,
    pub produced: Vec<Message>,
    pub continued: bool,
}

impl Divergence {
    pub fn renumbered(&self, r: &Renumbering) -> Divergence {
        Divergence {
            instance: r.id(&self.instance),
            recorded: self.recorded.iter().map(|m| r.message(m)).collect(),
            produced: self.produced.iter().map(|m| r.message(m)).collect(),
            ..self.clone()
        }
    }
}

fn list(ms: &[Message]) -> String {
    if ms.is_empty() {
        "nothing".into()
    } else {
        ms.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replaying {}'s history, work item {} recorded [{}] but the code produced [{}]",
            self.instance,
            self.item + 1,
            list(&self.recorded),
            list(&self.produced)
        )?;
        if self.continued {
            f.write_str(" and continued as new")?;
        }
        Ok(())
    }
}

impl fmt::Display for History {
    /// `history of O(input), execution e: [in ... | out ...] ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "history of {}{}",
            self.name,
            durable_interpreter::value::args_text(&self.input)
        )?;
        if self.execution > 0 {
            write!(f, " (execution {})", self.execution)?;
        }
        for w in &self.items {
            let ins: Vec<String> = w.ins.iter().map(ToString::to_string).collect();
            let outs: Vec<String> = w.outs.iter().map(ToString::to_string).collect();
            write!(f, " [in: {} | out: {}]", ins.join("; "), outs.join("; "))?;
        }
        Ok(())
    }
}

impl History {
    /// The history of a new execution: its start and nothing else.
    pub fn start(
        name: Arc<str>,
        input: Value,
        execution: u32,
        parent: Option<FutureRef>,
    ) -> History {
        History {
            name,
            input,
            execution,
            parent,
            items: Vector::new(),
        }
    }

    /// The history under a renumbering of executions (Canon-Execution).
    pub fn renumbered(&self, r: &Renumbering, own: bool) -> History {
        History {
            execution: if own {
                r.execution(self.execution)
            } else {
                self.execution
            },
            parent: self.parent.as_ref().map(|p| r.future(p)),
            items: self
                .items
                .iter()
                .map(|w| WorkItem {
                    ins: w.ins.iter().map(|m| m.renumbered(r)).collect(),
                    outs: w.outs.iter().map(|m| r.message(m)).collect(),
                })
                .collect(),
            ..self.clone()
        }
    }

    /// Every message the history recorded as produced, in order.
    pub fn recorded_outs(&self) -> Vec<Message> {
        self.items
            .iter()
            .flat_map(|w| w.outs.iter().cloned())
            .collect()
    }
}

/// The key a message is identified by under [`ReplayCheck::NameOnly`]: its kind and name.
fn kind_and_name(m: &Message) -> String {
    match m {
        Message::Activity { name, .. } => format!("activity {name}"),
        Message::Entity { entity, request } => {
            use durable_interpreter::hl::message::EntityRequest::*;
            match request {
                Op { op, reply, .. } => {
                    format!(
                        "{} {}.{op}",
                        if reply.is_some() { "call" } else { "signal" },
                        entity.name
                    )
                }
                Lock { .. } => format!("lock {}", entity.name),
                Release { .. } => format!("release {}", entity.name),
            }
        }
        Message::Response { .. } => "response".into(),
        Message::Start { name, .. } => format!("start {name}"),
        Message::Timer { .. } => "timer".into(),
    }
}

/// A message with the numbers of its futures blanked.
fn without_ids(m: &Message) -> Message {
    use durable_interpreter::hl::message::{EntityRequest::*, FutureRef};
    let blank = |f: &FutureRef| FutureRef {
        counter: 0,
        ..f.clone()
    };
    match m.clone() {
        Message::Activity { task, name, input } => Message::Activity {
            task: blank(&task),
            name,
            input,
        },
        Message::Entity { entity, request } => Message::Entity {
            entity,
            request: match request {
                Op {
                    origin,
                    op,
                    arg,
                    reply,
                } => Op {
                    origin,
                    op,
                    arg,
                    reply: reply.as_ref().map(blank),
                },
                Lock {
                    owner,
                    lockset,
                    index,
                    reply,
                } => Lock {
                    owner,
                    lockset,
                    index,
                    reply: blank(&reply),
                },
                other => other,
            },
        },
        Message::Response { to, result, grant } => Message::Response {
            to: blank(&to),
            result,
            grant,
        },
        Message::Start {
            instance,
            name,
            input,
            parent,
        } => Message::Start {
            instance,
            name,
            input,
            parent: blank(&parent),
        },
        Message::Timer { to, seconds } => Message::Timer {
            to: blank(&to),
            seconds,
        },
    }
}

fn same(check: ReplayCheck, produced: &[Message], recorded: &[Message]) -> bool {
    match check {
        ReplayCheck::Whole => produced == recorded,
        ReplayCheck::IgnoringIds => {
            produced.len() == recorded.len()
                && produced
                    .iter()
                    .zip(recorded)
                    .all(|(a, b)| without_ids(a) == without_ids(b))
        }
        ReplayCheck::NameOnly => {
            produced.len() == recorded.len()
                && produced
                    .iter()
                    .zip(recorded)
                    .all(|(a, b)| kind_and_name(a) == kind_and_name(b))
        }
    }
}

/// Feeds the consumed messages of a work item to an orchestration (rule YIn).
pub fn feed(st: &mut Option<OrchState>, ins: &[Msg]) {
    for m in ins {
        match m {
            Msg::Start {
                name,
                input,
                parent,
            } if st.is_none() => {
                *st = Some(match parent {
                    Some(p) => OrchState::sub(name.clone(), input.clone(), p.clone()),
                    None => OrchState::new(name.clone(), input.clone()),
                });
            }
            Msg::Response { to, result, grant } => {
                if let Some(o) = st {
                    o.deliver(to, result.clone(), *grant);
                }
            }
            Msg::Event { name, payload } => {
                if let Some(o) = st {
                    o.deliver_event(name, payload.clone());
                }
            }
            _ => {}
        }
    }
}

/// Replays a history to the state it stands for (rules YIn and YOut): each work item's
/// messages are fed to the code, which must then produce exactly what the item recorded.
pub fn replay(
    spec: &Spec,
    opts: OrchOptions,
    id: &InstanceId,
    h: &History,
    check: ReplayCheck,
    choices: &mut Choices,
) -> Result<OrchState, Divergence> {
    let mut st = OrchState::new(h.name.clone(), h.input.clone());
    st.execution = h.execution;
    st.parent = h.parent.clone();
    for (k, item) in h.items.iter().enumerate() {
        let mut o = Some(st);
        feed(&mut o, &item.ins);
        st = o.expect("a replayed history has its state");
        let mut produced = Vec::new();
        let mut continued = false;
        if st.ready() {
            let step = orchestration::step(spec, opts, id, &st, choices);
            continued = step.state.execution != st.execution;
            st = step.state;
            produced = step.sent;
        }
        if continued || !same(check, &produced, &item.outs) {
            return Err(Divergence {
                instance: id.clone(),
                item: k,
                recorded: item.outs.to_vec(),
                produced,
                continued,
            });
        }
    }
    Ok(st)
}

/// Records a new work item (or, after a continue-as-new, the new execution's start): the
/// history that the worker commits. Results for older executions, which the orchestration
/// dropped, are not recorded.
pub fn record(h: &History, ins: &[Msg], outs: &[Message], after: &OrchState) -> History {
    if after.execution != h.execution {
        let Status::Running(Run::Start(input)) = &after.status else {
            unreachable!("a new execution starts from its input")
        };
        return History::start(
            after.name.clone(),
            input.clone(),
            after.execution,
            after.parent.clone(),
        );
    }
    // A result for an older execution was dropped: it is no part of this execution's history
    // (which would otherwise keep a reference to a finished execution).
    let ins: Vec<Msg> = ins
        .iter()
        .filter(|m| !matches!(m, Msg::Response { to, .. } if to.execution != h.execution))
        .cloned()
        .collect();
    let mut next = h.clone();
    next.items.push_back(WorkItem {
        ins: ins.into(),
        outs: outs.into(),
    });
    next
}
