//! What is observed of an HL configuration: the observers of properties (LANGUAGE.md §7),
//! property evaluation, stuck instances and terminal outcomes (CLI.md). Execution models are
//! observed through their abstraction to HL.

use super::orchestration::Status;
use super::{Config, ExternLog};
use crate::code::{CodeRef, Observer};
use crate::eval::{error, Request, Runner, Yield};
use crate::load::{Input, ScenarioDef, Spec};
use crate::value::Value;
use std::collections::BTreeMap;

/// Reads one observer.
pub fn observe(spec: &Spec, c: &Config, obs: Observer, arg: &Value) -> Result<Value, Value> {
    match obs {
        Observer::Status | Observer::Result => {
            let Value::Str(id) = arg else {
                return Err(error(
                    "type",
                    format!(
                        "`{}` needs an instance id (a string), got {}",
                        obs.name(),
                        arg.kind_name()
                    ),
                ));
            };
            let o = c.orchestrations.get(id.as_ref());
            Ok(match (obs, o.map(|o| &o.status)) {
                (Observer::Status, None) => Value::str("absent"),
                (Observer::Status, Some(Status::Running(_))) => Value::str("running"),
                (Observer::Status, Some(Status::Completed(_))) => Value::str("completed"),
                (Observer::Status, Some(Status::Failed(_))) => Value::str("failed"),
                (_, Some(Status::Completed(v) | Status::Failed(v))) => v.clone(),
                _ => Value::Unit,
            })
        }
        Observer::State | Observer::Locked => {
            let Some(id) = arg.as_entity() else {
                return Err(error(
                    "type",
                    format!(
                        "`{}` needs an entity id, got {}",
                        obs.name(),
                        arg.kind_name()
                    ),
                ));
            };
            let e = c.entities.get(id);
            Ok(match obs {
                Observer::State => match e {
                    Some(e) => e.state.value.clone(),
                    None => spec
                        .entities
                        .get(&id.name)
                        .map_or(Value::Unit, |d| d.init.clone()),
                },
                _ => match e.and_then(|e| e.state.owner.clone()) {
                    Some(owner) => Value::Str(owner),
                    None => Value::Unit,
                },
            })
        }
    }
}

/// Evaluates a property on a configuration: `Ok(holds)`, or the error its evaluation raised.
pub fn holds(spec: &Spec, c: &Config, code: &CodeRef) -> Result<bool, Value> {
    let mut runner = Runner::eval_closed(code);
    loop {
        match runner.run(&spec.defs) {
            Yield::Done(Value::Bool(b)) => return Ok(b),
            Yield::Done(v) => {
                return Err(error(
                    "type",
                    format!("a property must be a bool, got {}", v.kind_name()),
                ))
            }
            Yield::Failed(e) => return Err(e),
            Yield::Request(Request::Observe(obs, arg)) => match observe(spec, c, obs, &arg) {
                Ok(v) => runner.give(v),
                Err(e) => runner.raise(e),
            },
            Yield::Request(_) => return Err(error("type", "a property must be pure")),
        }
    }
}

/// Instances still running: in a terminal state, each is stuck (a deadlock).
pub fn stuck(c: &Config) -> Vec<String> {
    c.orchestrations
        .iter()
        .filter(|(_, o)| o.is_running())
        .map(|(id, _)| id.to_string())
        .collect()
}

/// A terminal state seen from outside (CLI.md): each started instance's status and result,
/// each touched entity's state, and the arguments of every extern call, by service.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Outcome(pub BTreeMap<String, String>);

pub fn outcome(scenario: &ScenarioDef, c: &Config, externs: &ExternLog) -> Outcome {
    let mut out = BTreeMap::new();
    for input in &scenario.inputs {
        if let Input::Start { instance, .. } = input {
            let text = match c.orchestrations.get(instance).map(|o| &o.status) {
                Some(Status::Completed(v)) => format!("completed {v}"),
                Some(Status::Failed(v)) => format!("failed {v}"),
                _ => "running".to_string(),
            };
            out.insert(instance.to_string(), text);
        }
    }
    for (id, e) in &c.entities {
        out.insert(id.to_string(), e.state.value.to_string());
    }
    let mut calls: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for ((service, arg), n) in externs {
        let args = calls.entry(format!("extern {service}")).or_default();
        for _ in 0..*n {
            args.push(arg.clone());
        }
    }
    for (key, mut args) in calls {
        args.sort();
        let list = Value::list(args.into_iter().collect()).unwrap_or(Value::Unit);
        out.insert(key, list.to_string());
    }
    Outcome(out)
}
