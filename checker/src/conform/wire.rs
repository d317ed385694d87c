//! The Durable Task wire format the oracle reads: an `OrchestratorRequest` in protobuf JSON
//! (microsoft/durabletask-protobuf, `orchestrator_service.proto`, camelCase names), turned into
//! typed history events. Anything malformed names its JSON path.

use serde_json::Value as Json;

/// Why a request cannot be read: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub path: String,
    pub message: String,
}

pub type WireResult<T> = Result<T, WireError>;

fn bad<T>(path: &str, message: impl Into<String>) -> WireResult<T> {
    Err(WireError {
        path: path.to_string(),
        message: message.into(),
    })
}

/// A `google.rpc`-style failure: its type, its innermost message (what a DFL program sees), and
/// the details as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub error_type: String,
    pub message: String,
    pub details: Json,
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Its 0-based index in `pastEvents` followed by `newEvents`.
    pub index: usize,
    pub event_id: i64,
    /// Seconds and microseconds since the Unix epoch, if it has a timestamp.
    pub timestamp: Option<(i64, u32)>,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    OrchestratorStarted,
    OrchestratorCompleted,
    ExecutionStarted {
        name: String,
        input: Option<String>,
    },
    ExecutionCompleted,
    ExecutionTerminated {
        input: Option<String>,
    },
    ExecutionSuspended,
    ExecutionResumed,
    TaskScheduled {
        name: String,
        input: Option<String>,
    },
    TaskCompleted {
        task: i64,
        result: Option<String>,
    },
    TaskFailed {
        task: i64,
        failure: Failure,
    },
    SubOrchestrationCreated {
        instance_id: String,
        name: String,
        input: Option<String>,
    },
    SubOrchestrationCompleted {
        task: i64,
        result: Option<String>,
    },
    SubOrchestrationFailed {
        task: i64,
        failure: Failure,
    },
    TimerCreated,
    TimerFired {
        timer: i64,
        fire_at: Option<(i64, u32)>,
    },
    EventRaised {
        name: String,
        input: Option<String>,
    },
    EventSent {
        instance_id: String,
        name: String,
    },
    EntityCalled {
        request_id: String,
        operation: String,
        input: Option<String>,
        target: String,
    },
    EntitySignaled {
        request_id: String,
        operation: String,
        input: Option<String>,
        target: String,
    },
    EntityLockRequested {
        critical_section: String,
        lock_set: Vec<String>,
    },
    EntityUnlockSent {
        critical_section: String,
        target: String,
    },
    EntityCompleted {
        request_id: String,
        output: Option<String>,
    },
    EntityFailed {
        request_id: String,
        failure: Failure,
    },
    EntityLockGranted {
        critical_section: String,
    },
    /// Ignored by every runtime: `genericEvent`, `executionRewound`.
    Ignored(String),
    /// A kind no orchestration handles (`historyState`, `continueAsNew`, ...).
    Unhandled(String),
}

/// A parsed `OrchestratorRequest`.
#[derive(Debug, Clone)]
pub struct Request {
    pub instance_id: String,
    pub events: Vec<Event>,
    /// How many of `events` came from `pastEvents`.
    pub past: usize,
}

fn field<'a>(obj: &'a Json, key: &str) -> Option<&'a Json> {
    obj.get(key).filter(|v| !v.is_null())
}

fn string(obj: &Json, key: &str, path: &str) -> WireResult<String> {
    match field(obj, key) {
        None => Ok(String::new()),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(_) => bad(&format!("{path}.{key}"), "expected a string"),
    }
}

fn opt_string(obj: &Json, key: &str, path: &str) -> WireResult<Option<String>> {
    match field(obj, key) {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(_) => bad(&format!("{path}.{key}"), "expected a string"),
    }
}

fn int(obj: &Json, key: &str, path: &str) -> WireResult<i64> {
    match field(obj, key) {
        None => Ok(0),
        Some(v) => match v.as_i64() {
            Some(n) => Ok(n),
            None => match v.as_str().and_then(|s| s.parse::<i64>().ok()) {
                Some(n) => Ok(n),
                None => bad(&format!("{path}.{key}"), "expected an integer"),
            },
        },
    }
}

fn failure(obj: &Json, path: &str) -> WireResult<Failure> {
    let Some(details) = field(obj, "failureDetails") else {
        return Ok(Failure {
            error_type: String::new(),
            message: String::new(),
            details: Json::Null,
        });
    };
    if !details.is_object() {
        return bad(&format!("{path}.failureDetails"), "expected an object");
    }
    // A DFL program sees the innermost message: the original error.
    let mut inner = details;
    let mut inner_path = format!("{path}.failureDetails");
    while let Some(next) = field(inner, "innerFailure") {
        inner_path.push_str(".innerFailure");
        if !next.is_object() {
            return bad(&inner_path, "expected an object");
        }
        inner = next;
    }
    Ok(Failure {
        error_type: string(details, "errorType", &format!("{path}.failureDetails"))?,
        message: string(inner, "errorMessage", &inner_path)?,
        details: details.clone(),
    })
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses an RFC 3339 UTC timestamp (`2024-01-01T00:00:05Z`, fractions allowed).
pub fn parse_timestamp(s: &str) -> Option<(i64, u32)> {
    let s = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, mo, da) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':');
    let (h, mi, se): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    let micros = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().take(6).collect();
        format!("{digits:0<6}").parse().ok()?
    };
    Some((
        days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se,
        micros,
    ))
}

/// `2024-01-01T00:00:05Z`
pub fn format_timestamp(secs: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2024-01-01T00:00:05.000000Z` (Python's `%Y-%m-%dT%H:%M:%S.%fZ`).
pub fn format_timestamp_micros((secs, micros): (i64, u32)) -> String {
    let plain = format_timestamp(secs);
    format!("{}.{micros:06}Z", plain.trim_end_matches('Z'))
}

/// The time Durable Task's Python SDK shows before any `orchestratorStarted`: 1000-01-01.
pub const YEAR_1000: i64 = -30_610_224_000;

fn event(raw: &Json, index: usize, path: &str) -> WireResult<Event> {
    let Json::Object(obj) = raw else {
        return bad(path, "expected an event object");
    };
    let event_id = int(raw, "eventId", path)?;
    let timestamp = match field(raw, "timestamp") {
        None => None,
        Some(Json::String(s)) => match parse_timestamp(s) {
            Some(t) => Some(t),
            None => {
                return bad(
                    &format!("{path}.timestamp"),
                    "not an RFC 3339 UTC timestamp",
                )
            }
        },
        Some(_) => return bad(&format!("{path}.timestamp"), "expected a string"),
    };
    let Some((key, body)) = obj
        .iter()
        .find(|(k, _)| !matches!(k.as_str(), "eventId" | "timestamp" | "router"))
    else {
        return bad(path, "an event without a kind");
    };
    let p = format!("{path}.{key}");
    let p = p.as_str();
    if !body.is_object() {
        return bad(p, "expected an object");
    }
    let b = body;
    use EventKind::*;
    let kind = match key.as_str() {
        "orchestratorStarted" => OrchestratorStarted,
        "orchestratorCompleted" => OrchestratorCompleted,
        "executionStarted" => ExecutionStarted {
            name: string(b, "name", p)?,
            input: opt_string(b, "input", p)?,
        },
        "executionCompleted" => ExecutionCompleted,
        "executionTerminated" => ExecutionTerminated {
            input: opt_string(b, "input", p)?,
        },
        "executionSuspended" => ExecutionSuspended,
        "executionResumed" => ExecutionResumed,
        "taskScheduled" => TaskScheduled {
            name: string(b, "name", p)?,
            input: opt_string(b, "input", p)?,
        },
        "taskCompleted" => TaskCompleted {
            task: int(b, "taskScheduledId", p)?,
            result: opt_string(b, "result", p)?,
        },
        "taskFailed" => TaskFailed {
            task: int(b, "taskScheduledId", p)?,
            failure: failure(b, p)?,
        },
        "subOrchestrationInstanceCreated" => SubOrchestrationCreated {
            instance_id: string(b, "instanceId", p)?,
            name: string(b, "name", p)?,
            input: opt_string(b, "input", p)?,
        },
        "subOrchestrationInstanceCompleted" => SubOrchestrationCompleted {
            task: int(b, "taskScheduledId", p)?,
            result: opt_string(b, "result", p)?,
        },
        "subOrchestrationInstanceFailed" => SubOrchestrationFailed {
            task: int(b, "taskScheduledId", p)?,
            failure: failure(b, p)?,
        },
        "timerCreated" => TimerCreated,
        "timerFired" => TimerFired {
            timer: int(b, "timerId", p)?,
            fire_at: opt_string(b, "fireAt", p)?.and_then(|s| parse_timestamp(&s)),
        },
        "eventRaised" => EventRaised {
            name: string(b, "name", p)?,
            input: opt_string(b, "input", p)?,
        },
        "eventSent" => EventSent {
            instance_id: string(b, "instanceId", p)?,
            name: string(b, "name", p)?,
        },
        "entityOperationCalled" => EntityCalled {
            request_id: string(b, "requestId", p)?,
            operation: string(b, "operation", p)?,
            input: opt_string(b, "input", p)?,
            target: string(b, "targetInstanceId", p)?,
        },
        "entityOperationSignaled" => EntitySignaled {
            request_id: string(b, "requestId", p)?,
            operation: string(b, "operation", p)?,
            input: opt_string(b, "input", p)?,
            target: string(b, "targetInstanceId", p)?,
        },
        "entityLockRequested" => EntityLockRequested {
            critical_section: string(b, "criticalSectionId", p)?,
            lock_set: match field(b, "lockSet") {
                None => Vec::new(),
                Some(Json::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Json::String(s) => Ok(s.clone()),
                        _ => bad(&format!("{p}.lockSet[{i}]"), "expected a string"),
                    })
                    .collect::<WireResult<Vec<_>>>()?,
                Some(_) => return bad(&format!("{p}.lockSet"), "expected an array"),
            },
        },
        "entityUnlockSent" => EntityUnlockSent {
            critical_section: string(b, "criticalSectionId", p)?,
            target: string(b, "targetInstanceId", p)?,
        },
        "entityOperationCompleted" => EntityCompleted {
            request_id: string(b, "requestId", p)?,
            output: opt_string(b, "output", p)?,
        },
        "entityOperationFailed" => EntityFailed {
            request_id: string(b, "requestId", p)?,
            failure: failure(b, p)?,
        },
        "entityLockGranted" => EntityLockGranted {
            critical_section: string(b, "criticalSectionId", p)?,
        },
        "genericEvent" | "executionRewound" => Ignored(key.clone()),
        other => Unhandled(other.to_string()),
    };
    Ok(Event {
        index,
        event_id,
        timestamp,
        kind,
    })
}

/// Reads an `OrchestratorRequest`.
pub fn read_request(doc: &Json) -> WireResult<Request> {
    if !doc.is_object() {
        return bad("$", "expected an OrchestratorRequest object");
    }
    let instance_id = string(doc, "instanceId", "$")?;
    let mut events = Vec::new();
    let mut past = 0;
    for list in ["pastEvents", "newEvents"] {
        match field(doc, list) {
            None => {}
            Some(Json::Array(items)) => {
                for (i, raw) in items.iter().enumerate() {
                    let index = events.len();
                    events.push(event(raw, index, &format!("$.{list}[{i}]"))?);
                }
            }
            Some(_) => return bad(&format!("$.{list}"), "expected an array of events"),
        }
        if list == "pastEvents" {
            past = events.len();
        }
    }
    Ok(Request {
        instance_id,
        events,
        past,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_across_eras() {
        for (text, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2024-01-01T00:00:05Z", 1_704_067_205),
            ("1000-01-01T00:00:00Z", YEAR_1000),
            ("2024-02-29T23:59:59Z", 1_709_251_199),
        ] {
            assert_eq!(parse_timestamp(text), Some((secs, 0)), "{text}");
            assert_eq!(format_timestamp(secs), text);
        }
        assert_eq!(
            parse_timestamp("2024-01-01T00:00:00.25Z"),
            Some((1_704_067_200, 250_000))
        );
        assert_eq!(
            format_timestamp_micros((1_704_067_200, 0)),
            "2024-01-01T00:00:00.000000Z"
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn a_malformed_request_names_its_json_path() {
        let doc: Json = serde_json::json!({
            "instanceId": "x",
            "pastEvents": [],
            "newEvents": [{"eventId": -1, "taskCompleted": {"taskScheduledId": "one"}}]
        });
        let e = read_request(&doc).expect_err("malformed");
        assert_eq!(e.path, "$.newEvents[0].taskCompleted.taskScheduledId");
    }
}
