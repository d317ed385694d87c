//! Traces in the Informal Trace Format of Apalache and Quint (ADR-015): `#meta`, `vars`, and
//! `states`, each with `#meta.index`. A state holds the step that reached it (`action`), the
//! high-level configuration it stands for, the extern calls made, and the model's own state
//! as text. `#meta.durable` carries the trace's metadata, so `replay` accepts the file back.

use crate::error::{CliError, CliResult};
use crate::trace::{TraceFile, FORMAT};
use durable_interpreter::hl::orchestration::Status;
use durable_interpreter::hl::{Config, ExternLog};
use durable_interpreter::value::Value;
use durable_model::protocol::Protocol;
use serde_json::{json, Map, Value as Json};

pub const VARS: [&str; 7] = [
    "action",
    "inputs",
    "orchestrations",
    "activities",
    "entities",
    "externs",
    "model_state",
];

fn bigint(n: i64) -> Json {
    json!({ "#bigint": n.to_string() })
}

/// A DFL value as an ITF value: ints are big integers, tuples `#tup`, lists arrays, entity ids
/// records.
pub fn value(v: &Value) -> Json {
    match v {
        Value::Unit => json!({ "#tup": [] }),
        Value::Bool(b) => json!(b),
        Value::Int(n) => bigint(*n),
        Value::Str(s) => json!(s.as_ref()),
        Value::Tuple(c) => json!({ "#tup": c.items.iter().map(value).collect::<Vec<_>>() }),
        Value::List(c) => Json::Array(c.items.iter().map(value).collect()),
        Value::Entity(e) => json!({ "entity": e.name.as_ref(), "key": value(&e.key) }),
        other => json!(other.to_string()),
    }
}

fn result(r: &Result<Value, Value>) -> Json {
    match r {
        Ok(v) => json!({ "tag": "ok", "value": value(v) }),
        Err(e) => json!({ "tag": "error", "value": value(e) }),
    }
}

/// One ITF state.
pub fn state(
    index: usize,
    action: &str,
    c: &Config,
    externs: &ExternLog,
    model_state: &str,
) -> Json {
    let orchestrations: Vec<Json> = c
        .orchestrations
        .iter()
        .map(|(id, o)| {
            let (status, outcome) = match &o.status {
                Status::Running(_) => ("running", Json::Null),
                Status::Completed(v) => ("completed", value(v)),
                Status::Failed(e) => ("failed", value(e)),
            };
            let resolved: Vec<Json> = o
                .resolved
                .iter()
                .map(|(n, r)| json!([bigint(i64::from(*n)), result(r)]))
                .collect();
            let record = json!({
                "name": o.name.as_ref(),
                "execution": bigint(i64::from(o.execution)),
                "status": status,
                "result": outcome,
                "resolved": { "#map": resolved },
                "text": o.to_string(),
            });
            json!([id.as_ref(), record])
        })
        .collect();
    let activities: Vec<Json> = c
        .activities
        .iter()
        .map(|(t, a)| json!([t.to_string(), a.to_string()]))
        .collect();
    let entities: Vec<Json> = c
        .entities
        .iter()
        .map(|(id, e)| {
            let record = json!({
                "state": value(&e.state.value),
                "owner": e.state.owner.as_deref().map_or(Json::Null, |o| json!(o)),
                "queue": e.queue.iter().map(|r| json!(r.to_string())).collect::<Vec<_>>(),
            });
            json!([
                value(&Value::Entity(std::sync::Arc::new(id.clone()))),
                record
            ])
        })
        .collect();
    let calls: Vec<Json> = externs
        .iter()
        .map(|((service, arg), n)| {
            json!([
                json!({ "#tup": [service.as_ref(), value(arg)] }),
                bigint(i64::from(*n))
            ])
        })
        .collect();
    json!({
        "#meta": { "index": index },
        "action": action,
        "inputs": bigint(i64::from(c.next_input)),
        "orchestrations": { "#map": orchestrations },
        "activities": { "#map": activities },
        "entities": { "#map": entities },
        "externs": { "#map": calls },
        "model_state": model_state,
    })
}

/// The ITF states of a path: the initial state (action `init`) and each step's successor.
pub fn states_of<P: Protocol>(p: &P, steps: &[String]) -> Vec<Json> {
    let mut s = p.init();
    let text = |s: &P::State| format!("{s:?}");
    let mut out = vec![state(
        0,
        "init",
        &p.abstraction(&s),
        p.externs(&s),
        &text(&s),
    )];
    for (i, name) in steps.iter().enumerate() {
        let Some((_, next)) = p.step_named(&s, name) else {
            break;
        };
        s = next;
        out.push(state(
            i + 1,
            name,
            &p.abstraction(&s),
            p.externs(&s),
            &text(&s),
        ));
    }
    out
}

/// The whole document.
pub fn document(trace: &TraceFile, states: Vec<Json>) -> Json {
    let mut meta = Map::new();
    meta.insert("format".into(), json!("ITF"));
    meta.insert(
        "format-description".into(),
        json!("https://apalache-mc.org/docs/adr/015adr-trace.html"),
    );
    meta.insert("source".into(), json!(trace.spec));
    meta.insert(
        "description".into(),
        json!(format!(
            "durable: {} scenario {}, protocol {}",
            trace.spec, trace.scenario, trace.protocol
        )),
    );
    let mut durable = serde_json::to_value(trace).expect("traces serialize");
    if let Json::Object(m) = &mut durable {
        m.remove("steps");
    }
    meta.insert("durable".into(), durable);
    json!({ "#meta": meta, "vars": VARS, "states": states })
}

/// Reads an ITF document `durable` wrote back into a trace: its metadata, and the action of
/// every state after the first.
pub fn to_trace(doc: &Json) -> CliResult<TraceFile> {
    let bad = |what: &str| CliError::Usage(format!("not an ITF trace written by durable: {what}"));
    let meta = doc
        .get("#meta")
        .and_then(|m| m.get("durable"))
        .ok_or_else(|| bad("no #meta.durable"))?;
    let mut trace: Json = meta.clone();
    let states = doc
        .get("states")
        .and_then(Json::as_array)
        .ok_or_else(|| bad("no states"))?;
    let mut steps = Vec::new();
    for (i, s) in states.iter().enumerate().skip(1) {
        let action = s
            .get("action")
            .and_then(Json::as_str)
            .ok_or_else(|| bad(&format!("state {i} has no action")))?;
        steps.push(json!({ "action": action }));
    }
    if let Json::Object(m) = &mut trace {
        m.insert("steps".into(), Json::Array(steps));
    }
    let trace: TraceFile = serde_json::from_value(trace).map_err(|e| bad(&e.to_string()))?;
    if trace.format != FORMAT {
        return Err(bad(&format!("trace format `{}`", trace.format)));
    }
    Ok(trace)
}
