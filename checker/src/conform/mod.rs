//! `durable conform` (CLI.md, "Conformance oracle"): which actions must an orchestration emit
//! next after this Durable Task history, or which recorded event could it never have
//! produced? [`wire`] reads the request, [`payload`] converts values, [`oracle`] replays.

pub mod oracle;
pub mod payload;
pub mod wire;

use crate::error::{CliError, CliResult};
use durable_interpreter::load::load_path;
pub use oracle::{Answer, Finding, Profile};
use serde_json::{json, Value as Json};
use std::path::Path;

/// Parses `--profile`; `dotnet` is reserved by CLI.md but not built yet.
pub fn profile(name: &str) -> CliResult<Profile> {
    match name {
        "strict" => Ok(Profile::Strict),
        "python" => Ok(Profile::Python),
        "dotnet" => Err(CliError::Usage(
            "profile `dotnet` is not built yet (profiles: strict, python)".into(),
        )),
        other => Err(CliError::Usage(format!(
            "unknown profile `{other}` (profiles: strict, python)"
        ))),
    }
}

/// Reads a history file: an `OrchestratorRequest`, or a conformance vector's turn file
/// (`{"request": ..., "sdk": ...}`), whose request is taken.
pub fn read_history(path: &Path) -> CliResult<wire::Request> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {shown}: {e}")))?;
    let doc: Json = serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "{shown}:{}:{}: not JSON: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let request = match doc.get("request") {
        Some(r) if doc.get("instanceId").is_none() => r,
        _ => &doc,
    };
    wire::read_request(request)
        .map_err(|e| CliError::Usage(format!("{shown}: {}: {}", e.path, e.message)))
}

/// Runs the oracle on a spec file and a history file.
pub fn conform(spec: &Path, history: &Path, profile: Profile) -> CliResult<Answer> {
    let spec_value = load_path(spec)?;
    let request = read_history(history)?;
    oracle::replay(&spec_value, profile, &request)
        .map_err(|e| CliError::Usage(format!("{}: {}: {}", history.display(), e.path, e.message)))
}

/// The answer as CLI.md prints it: `{"actions": [...]}`, with `eventIndex` and `message` for a
/// divergence, and `warnings` under a lenient profile.
pub fn to_json(answer: &Answer, profile: Profile) -> Json {
    let mut doc = serde_json::Map::new();
    if answer.divergence.is_none() || profile != Profile::Strict {
        doc.insert("actions".into(), Json::Array(answer.actions.clone()));
    }
    if let Some(d) = &answer.divergence {
        doc.insert("eventIndex".into(), d.event_index.into());
        doc.insert("message".into(), d.message.clone().into());
    }
    if profile != Profile::Strict {
        let warnings: Vec<Json> = answer
            .warnings
            .iter()
            .map(|w| json!({"eventIndex": w.event_index, "message": w.message}))
            .collect();
        doc.insert("warnings".into(), Json::Array(warnings));
    }
    Json::Object(doc)
}

/// The answer for people: one line per action (id, kind, what it carries), then the
/// divergence and the warnings, each with the event it is about.
pub fn render(history: &Path, answer: &Answer, profile: Profile) -> String {
    let mut out = format!(
        "{}: profile {}\n",
        history.display(),
        match profile {
            Profile::Strict => "strict",
            Profile::Python => "python",
        }
    );
    if answer.divergence.is_some() && profile == Profile::Strict {
        out.push_str("no actions: the history diverges from the program\n");
    } else if answer.actions.is_empty() {
        out.push_str("no actions: the orchestration waits\n");
    } else {
        out.push_str("actions:\n");
        for a in &answer.actions {
            out.push_str(&format!("  {}\n", action_line(a)));
        }
    }
    if let Some(d) = &answer.divergence {
        out.push_str(&format!(
            "divergence at event {}: {}\n",
            d.event_index, d.message
        ));
    }
    for w in &answer.warnings {
        out.push_str(&format!(
            "warning at event {}: {}\n",
            w.event_index, w.message
        ));
    }
    out
}

/// `4  completeOrchestration  orchestrationStatus=COMPLETED result="v=10"`: the id, the
/// action's kind (an entity message's inner kind) and its fields, payloads as their JSON text.
fn action_line(action: &Json) -> String {
    let id = action.get("id").map_or_else(String::new, Json::to_string);
    let Some((kind, body)) = action
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.as_str() != "id"))
    else {
        return id;
    };
    let (kind, body) = match (kind.as_str(), body.as_object()) {
        ("sendEntityMessage", Some(inner)) if inner.len() == 1 => {
            let (k, v) = inner.iter().next().expect("one entry");
            (k.as_str(), v)
        }
        _ => (kind.as_str(), body),
    };
    let mut line = format!("{id:>3}  {kind}");
    if let Some(fields) = body.as_object() {
        for (k, v) in fields {
            let shown = match v {
                Json::String(s) => s
                    .strip_prefix("ORCHESTRATION_STATUS_")
                    .unwrap_or(s)
                    .to_string(),
                other => other.to_string(),
            };
            line.push_str(&format!(" {k}={shown}"));
        }
    }
    line
}

/// Exit code: 1 when the history diverges from the program.
pub fn exit_code(answer: &Answer) -> i32 {
    i32::from(answer.divergence.is_some())
}
