//! Activities: their state and the driver that runs one to its next effect point — an extern
//! call or its completion (rule Activity-Step of docs/semantics.md).

use super::choice::Choices;
use super::entity::choose_reply;
use super::message::ExternCall;
use super::orchestration::{data, request_name};
use crate::eval::{error, Machine, Request, Runner, Yield};
use crate::load::Spec;
use crate::value::Value;
use imbl::OrdMap;
use std::sync::Arc;

/// A running activity.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ActivityState {
    pub name: Arc<str>,
    pub run: ActivityRun,
    /// The replies of the extern calls it made, by future number.
    pub replies: OrdMap<u32, Value>,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum ActivityRun {
    /// Created with this input; its code has not run yet.
    Start(Value),
    /// Stopped right after an extern call.
    Paused(Machine),
}

impl std::fmt::Display for ActivityState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.run {
            ActivityRun::Start(input) => {
                write!(
                    f,
                    "{}{}, not started",
                    self.name,
                    crate::value::args_text(input)
                )
            }
            ActivityRun::Paused(_) => write!(
                f,
                "{}, paused after {} extern call{}",
                self.name,
                self.replies.len(),
                if self.replies.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Where an activity's step left it.
#[derive(Clone, Debug)]
pub enum ActivityStep {
    Paused(ActivityState),
    Completed(Result<Value, Value>),
}

impl ActivityState {
    pub fn new(name: Arc<str>, input: Value) -> ActivityState {
        ActivityState {
            name,
            run: ActivityRun::Start(input),
            replies: OrdMap::new(),
        }
    }

    /// Has its code not run at all yet?
    pub fn is_fresh(&self) -> bool {
        matches!(self.run, ActivityRun::Start(_))
    }
}

/// Runs an activity to its next effect point: the step ends right after an extern call (which
/// is logged with its reply) or when the activity completes.
pub fn step(
    spec: &Spec,
    st: &ActivityState,
    choices: &mut Choices,
) -> (ActivityStep, Vec<ExternCall>) {
    let mut st = st.clone();
    let mut runner = match &st.run {
        ActivityRun::Start(input) => {
            Runner::apply_lambda(&spec.activities[&st.name], input.clone())
        }
        ActivityRun::Paused(m) => Runner::resume(m),
    };
    loop {
        match runner.run(&spec.defs) {
            Yield::Done(v) => {
                return (
                    ActivityStep::Completed(data(v, "an activity's result")),
                    Vec::new(),
                )
            }
            Yield::Failed(e) => {
                let e = data(e, "an error payload").unwrap_or_else(|e| e);
                return (ActivityStep::Completed(Err(e)), Vec::new());
            }
            Yield::Request(req) => match req {
                Request::CallExtern(service, arg) => match data(arg, "an extern's argument") {
                    Ok(arg) => {
                        let reply = choose_reply(spec, &service, choices);
                        let n = st.replies.len() as u32;
                        st.replies.insert(n, reply.clone());
                        runner.give(Value::Future(n));
                        st.run = ActivityRun::Paused(runner.suspend());
                        let call = ExternCall {
                            service,
                            arg,
                            reply,
                        };
                        return (ActivityStep::Paused(st), vec![call]);
                    }
                    Err(e) => runner.raise(e),
                },
                Request::Await(n) => match st.replies.get(&n) {
                    Some(v) => runner.give(v.clone()),
                    None => runner.raise(error("type", "awaiting a future of another component")),
                },
                Request::Choose(items) => {
                    let i = choices.pick(items.len());
                    runner.give(items[i].clone());
                }
                other => runner.raise(error(
                    "type",
                    format!("{} is not allowed in an activity", request_name(&other)),
                )),
            },
        }
    }
}
