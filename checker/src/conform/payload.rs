//! Payloads: DFL values as Durable Task carries them — JSON text inside strings (CLI.md,
//! "Conformance oracle"). unit ↔ null, int ↔ number, bool, string, list/tuple → array,
//! array → list, entity id `Name(k)` ↔ `"@name@k"`.

use super::wire::{WireError, WireResult};
use durable_interpreter::load::Spec;
use durable_interpreter::value::{EntityId, Value};
use serde_json::Value as Json;

/// How emitted JSON text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonStyle {
    /// Compact (the strict profile).
    Compact,
    /// Python's `json.dumps` defaults: `", "` and `": "` separators, non-ASCII escaped.
    Python,
}

/// A payload's JSON text as a DFL value; absent or empty text is unit.
pub fn parse(text: Option<&str>, path: &str, spec: &Spec) -> WireResult<Value> {
    let text = match text {
        None => return Ok(Value::Unit),
        Some(t) if t.trim().is_empty() => return Ok(Value::Unit),
        Some(t) => t,
    };
    let json: Json = serde_json::from_str(text).map_err(|e| WireError {
        path: path.to_string(),
        message: format!("not JSON text: {e}"),
    })?;
    to_value(&json, path, spec)
}

/// An entity id in Durable Task's form, `@name@key`, when the name is one of the spec's
/// entities (compared in lowercase).
fn entity_of(s: &str, spec: &Spec) -> Option<Value> {
    let rest = s.strip_prefix('@')?;
    let (name, key) = rest.split_once('@')?;
    let declared = spec.entities.keys().find(|n| n.to_lowercase() == name)?;
    Value::entity(declared.clone(), Value::str(key)).ok()
}

/// A JSON value as a DFL value. Objects, non-integers and integers beyond 64 bits have no DFL
/// counterpart: an error naming the JSON path.
pub fn to_value(json: &Json, path: &str, spec: &Spec) -> WireResult<Value> {
    let err = |message: &str| WireError {
        path: path.to_string(),
        message: message.to_string(),
    };
    // serde_json stops parsing at 128 levels of nesting, so this recursion is shallow.
    Ok(match json {
        Json::Null => Value::Unit,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None if n.is_u64() => return Err(err("an integer beyond 64 bits")),
            // Without arbitrary precision, serde_json reads a longer integer as a float.
            None if n
                .as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.2e18) =>
            {
                return Err(err("an integer beyond 64 bits"))
            }
            None => return Err(err("a number that is not an integer")),
        },
        Json::String(s) => entity_of(s, spec).unwrap_or_else(|| Value::str(s)),
        Json::Array(items) => {
            let values = items
                .iter()
                .enumerate()
                .map(|(i, v)| to_value(v, &format!("{path}[{i}]"), spec))
                .collect::<WireResult<Vec<_>>>()?;
            Value::list(values.into_iter().collect()).map_err(|_| err("nested too deep"))?
        }
        Json::Object(_) => return Err(err("a JSON object has no DFL value")),
    })
}

/// `@name@key` for an entity id.
pub fn entity_text(e: &EntityId) -> String {
    let key = match &e.key {
        Value::Str(s) => s.to_string(),
        other => other.to_string(),
    };
    format!("@{}@{key}", e.name.to_lowercase())
}

/// A DFL value as JSON.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Unit => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => Json::from(*n),
        Value::Str(s) => Json::String(s.to_string()),
        Value::Tuple(c) => Json::Array(c.items.iter().map(to_json).collect()),
        Value::List(c) => Json::Array(c.items.iter().map(to_json).collect()),
        Value::Entity(e) => Json::String(entity_text(e)),
        other => Json::String(other.to_string()),
    }
}

/// A value's payload text, or `None` where the style leaves unit out.
pub fn text(v: &Value, style: JsonStyle) -> Option<String> {
    match (style, v) {
        (JsonStyle::Python, Value::Unit) => None,
        (JsonStyle::Compact, _) => Some(to_json(v).to_string()),
        (JsonStyle::Python, _) => Some(python_text(&to_json(v))),
    }
}

/// `json.dumps(value)` with Python's defaults.
pub fn python_text(j: &Json) -> String {
    let mut out = String::new();
    write_python(j, &mut out);
    out
}

fn write_python(j: &Json, out: &mut String) {
    match j {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&n.to_string()),
        Json::String(s) => write_python_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python(v, out);
            }
            out.push(']');
        }
        Json::Object(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_string(k, out);
                out.push_str(": ");
                write_python(v, out);
            }
            out.push('}');
        }
    }
}

fn write_python_string(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A DFL error payload as Durable Task's `errorMessage`: a string as is, anything else as
/// `show` prints it.
pub fn error_message(e: &Value) -> String {
    match e {
        Value::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_text_is_json_dumps() {
        let j = serde_json::json!([1, "caf\u{e9}", {"a": null}, [true, "\"q\""]]);
        assert_eq!(
            python_text(&j),
            r#"[1, "caf\u00e9", {"a": null}, [true, "\"q\""]]"#
        );
    }

    #[test]
    fn numbers_without_a_dfl_value_are_named() {
        let spec = durable_interpreter::load::load(
            durable_interpreter::diagnostic::SourceFile::new("t.dfl", "activity A(x) = x"),
        )
        .expect("loads");
        let read = |text: &str| parse(Some(text), "$.x", &spec).map_err(|e| e.message);
        assert_eq!(
            read("[-9223372036854775808]").map(|v| v.to_string()),
            Ok("[-9223372036854775808]".into())
        );
        assert_eq!(
            read("9223372036854775808"),
            Err("an integer beyond 64 bits".into())
        );
        assert_eq!(
            read("-99999999999999999999"),
            Err("an integer beyond 64 bits".into())
        );
        assert_eq!(read("1.5"), Err("a number that is not an integer".into()));
        assert_eq!(read("2.0"), Err("a number that is not an integer".into()));
        assert_eq!(read("{}"), Err("a JSON object has no DFL value".into()));
    }
}
