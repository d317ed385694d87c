//! The conformance suite (traces/conformance/): every turn of every vector, replayed by the
//! oracle and compared with what the Durable Task Python SDK produced for it.

use durable_checker::conform::{conform, to_json, Answer, Profile};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/conformance")
}

fn read(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One turn of one vector.
struct Turn {
    vector: String,
    turn: String,
    program: PathBuf,
    file: PathBuf,
    sdk: Json,
}

fn turns() -> Vec<Turn> {
    let index = read(&suite().join("index.json"));
    let mut out = Vec::new();
    for v in index["vectors"].as_array().expect("vectors") {
        let name = v["name"].as_str().expect("name").to_string();
        let n = v["turns"].as_u64().expect("turns");
        for k in 1..=n {
            let file = suite().join(&name).join(format!("turn-{k}.json"));
            let sdk = read(&file)["sdk"].clone();
            out.push(Turn {
                vector: name.clone(),
                turn: format!("turn-{k}"),
                program: suite().join(&name).join("program.dfl"),
                file,
                sdk,
            });
        }
    }
    out
}

fn run(t: &Turn, profile: Profile) -> Result<Answer, String> {
    conform(&t.program, &t.file, profile).map_err(|e| e.to_string())
}

/// The fields the Done-when compares: ids, kinds, names, payloads as parsed JSON, status,
/// failure details — not stack traces or timestamps of carried-over events. `innermost`
/// reduces failure details to the innermost message (what a DFL program sees).
fn normalize(x: &Json, innermost: bool) -> Json {
    match x {
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                match k.as_str() {
                    "stackTrace" | "timestamp" => {}
                    "failureDetails" if innermost => {
                        let mut inner = v;
                        while let Some(next) = inner.get("innerFailure") {
                            inner = next;
                        }
                        out.insert(k.clone(), inner["errorMessage"].clone());
                    }
                    "input" | "result" | "output" => {
                        let parsed = v
                            .as_str()
                            .and_then(|s| serde_json::from_str::<Json>(s).ok())
                            .unwrap_or_else(|| v.clone());
                        // An absent payload and JSON null are both unit.
                        if !parsed.is_null() {
                            out.insert(k.clone(), serde_json::json!({ "json": parsed }));
                        }
                    }
                    _ => {
                        out.insert(k.clone(), normalize(v, innermost));
                    }
                }
            }
            Json::Object(out)
        }
        Json::Array(items) => Json::Array(items.iter().map(|v| normalize(v, innermost)).collect()),
        other => other.clone(),
    }
}

/// Where durable's Python profile deliberately differs from the SDK (it misbehaves there):
/// `(vector, turn) -> durable's answer`.
fn deviations() -> BTreeMap<(String, String), Json> {
    let doc = read(&suite().join("deviations.json"));
    let mut out = BTreeMap::new();
    for d in doc["deviations"].as_array().expect("deviations") {
        let vector = d["vector"].as_str().expect("vector").to_string();
        for (turn, answer) in d["answers"].as_object().expect("answers") {
            out.insert((vector.clone(), turn.clone()), answer.clone());
        }
    }
    out
}

#[test]
fn the_suite_is_large_enough() {
    let all = turns();
    let vectors: std::collections::BTreeSet<&str> = all.iter().map(|t| t.vector.as_str()).collect();
    assert!(vectors.len() >= 30, "{} vectors", vectors.len());
    for needed in [
        "chain",
        "fan_out_fan_in",
        "activity_error_caught",
        "activity_error_uncaught",
        "continue_as_new",
        "sub_orchestration",
        "event_before_wait",
        "event_after_wait",
        "entity_signal_then_call",
        "entity_lock",
        "nondet_activity_name",
        "nondet_activity_argument",
        "nondet_missing_action",
        "nondet_extra_action",
    ] {
        assert!(vectors.contains(needed), "no vector {needed}");
    }
}

#[test]
fn python_profile_reproduces_the_sdk_on_every_turn() {
    let deviations = deviations();
    let mut failures = Vec::new();
    let mut compared = 0;
    for t in turns() {
        let key = (t.vector.clone(), t.turn.clone());
        let label = format!("{}/{}", t.vector, t.turn);
        if let Some(error) = t.sdk.get("error") {
            // The SDK's executor raised: the oracle refuses the request with its message.
            let message = error["message"].as_str().expect("message");
            match run(&t, Profile::Python) {
                Err(e) if e.contains(message) => compared += 1,
                other => failures.push(format!("{label}: expected an error, got {other:?}")),
            }
            continue;
        }
        let answer = match run(&t, Profile::Python) {
            Ok(a) => to_json(&a, Profile::Python),
            Err(e) => {
                failures.push(format!("{label}: {e}"));
                continue;
            }
        };
        let ours = normalize(&answer["actions"], false);
        let sdk = normalize(&t.sdk["actions"], false);
        match deviations.get(&key) {
            Some(durable) => {
                if answer != *durable {
                    failures.push(format!("{label}: deviation answer changed: {answer}"));
                }
                if ours == sdk {
                    failures.push(format!(
                        "{label}: listed as a deviation but agrees with the SDK"
                    ));
                }
            }
            None if ours != sdk => {
                failures.push(format!("{label}:\n  durable {ours}\n  sdk     {sdk}"))
            }
            None => {}
        }
        compared += 1;
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(compared >= 150, "only {compared} turns compared");
}

/// The events at which the SDK raises NonDeterminismError (traces/conformance/FINDINGS.md §4).
const SDK_NONDETERMINISM: [(&str, usize); 5] = [
    ("nondet_activity_name", 2),
    ("nondet_extra_action", 3),
    ("nondet_action_kind", 2),
    ("nondet_child_name", 2),
    ("nondet_event_sent", 2),
];

/// Divergences the SDK lets pass, at the event the strict semantics objects to.
const SDK_LETS_PASS: [(&str, usize); 4] = [
    ("nondet_activity_argument", 2),
    ("nondet_child_fields", 2),
    ("nondet_entity_target", 3),
    ("nondet_missing_action", 3),
];

fn sdk_nondeterminism(sdk: &Json) -> bool {
    sdk["actions"].as_array().is_some_and(|a| {
        a.iter().any(|x| {
            x["completeOrchestration"]["failureDetails"]["errorType"]
                == "durabletask.task.NonDeterminismError"
        })
    })
}

#[test]
fn python_profile_reports_nondeterminism_exactly_where_the_sdk_does() {
    let mut seen = 0;
    for t in turns().iter().filter(|t| t.sdk.get("error").is_none()) {
        let label = format!("{}/{}", t.vector, t.turn);
        let answer = run(t, Profile::Python).expect(&label);
        assert_eq!(
            answer.divergence.is_some(),
            sdk_nondeterminism(&t.sdk),
            "{label}: {:?}",
            answer.divergence
        );
        if let Some(d) = &answer.divergence {
            let expected = SDK_NONDETERMINISM
                .iter()
                .find(|(v, _)| *v == t.vector)
                .unwrap_or_else(|| panic!("{label}: unexpected divergence {d:?}"));
            assert_eq!(d.event_index, expected.1, "{label}");
            seen += 1;
        }
    }
    assert_eq!(seen, SDK_NONDETERMINISM.len());
}

#[test]
fn strict_profile_rejects_what_the_sdk_lets_pass_and_python_warns() {
    for (vector, index) in SDK_LETS_PASS.iter().chain(SDK_NONDETERMINISM.iter()) {
        let t = turns()
            .into_iter()
            .find(|t| t.vector == *vector && t.turn == "turn-2")
            .expect(vector);
        let strict = run(&t, Profile::Strict).expect(vector);
        let d = strict
            .divergence
            .as_ref()
            .unwrap_or_else(|| panic!("{vector}: strict accepts"));
        assert_eq!(d.event_index, *index, "{vector}: {}", d.message);
        let strict_json = to_json(&strict, Profile::Strict);
        assert_eq!(strict_json["eventIndex"], *index);
        assert!(strict_json.get("actions").is_none(), "{vector}");
        if SDK_LETS_PASS.iter().any(|(v, _)| v == vector) {
            let python = run(&t, Profile::Python).expect(vector);
            assert!(python.divergence.is_none(), "{vector}");
            assert!(
                python.warnings.iter().any(|w| w.event_index == *index),
                "{vector}: warnings {:?}",
                python.warnings
            );
        }
    }
}

/// Vectors on which the strict profile (the semantics) answers differently from the SDK
/// although the history is accepted: docs/conformance.md explains each.
const STRICT_DIFFERS: [&str; 20] = [
    "await_all_empty",                     // await_all([]) is []
    "await_all_error_order",               // first failure in list order
    "entity_lock",                         // releases in sorted order
    "entity_lock_pending_call",            // releases every locked entity
    "event_name_case",                     // event names are exact
    "event_name_casefold",                 // event names are exact
    "two_events_one_batch",                // event names are exact
    "lock_activity_and_sub_orchestration", // no activities inside a critical section
    "lock_rule_violation",                 // DFL's lock-rule message; no id for a refused call
    "long_timer",                          // one timer, not 3-day chunks
    "now_before_orchestrator_started",     // the clock starts at executionStarted
    "resume_without_suspend",              // a stray resume is harmless
    "shared_id_counter",                   // child ids <parent>:<execution>:<n>
    "sub_orchestration",
    "sub_orchestration_after_continue_as_new",
    "sub_orchestration_failed_caught",
    "sub_orchestration_failed_uncaught",
    "sub_orchestration_many",
    "nondet_child_fields",
    "nondet_child_name",
];

#[test]
fn strict_profile_agrees_with_the_sdk_except_where_documented() {
    let mut differing = std::collections::BTreeSet::new();
    for t in turns().iter().filter(|t| t.sdk.get("error").is_none()) {
        let label = format!("{}/{}", t.vector, t.turn);
        let Ok(answer) = run(t, Profile::Strict) else {
            assert_eq!(t.vector, "unhandled_event_type", "{label}");
            continue;
        };
        if answer.divergence.is_some() {
            continue;
        }
        let ours = normalize(&to_json(&answer, Profile::Strict)["actions"], true);
        let sdk = normalize(&t.sdk["actions"], true);
        if ours != sdk {
            assert!(
                STRICT_DIFFERS.contains(&t.vector.as_str()),
                "{label}:\n  strict {ours}\n  sdk    {sdk}"
            );
            differing.insert(t.vector.clone());
        }
    }
    let listed: std::collections::BTreeSet<String> =
        STRICT_DIFFERS.iter().map(|s| s.to_string()).collect();
    assert_eq!(differing, listed, "the list of differences is stale");
}

#[test]
fn strict_histories_of_durable_itself_replay_without_divergence() {
    // Feed the oracle's own strict answers back as history, turn after turn, for a chain:
    // every turn it confirms what it asked for in the previous one.
    let dir = std::env::temp_dir().join(format!("durable-conform-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let program = suite().join("chain/program.dfl");
    let start = serde_json::json!([
        {"eventId": -1, "timestamp": "2024-01-01T00:00:00Z", "orchestratorStarted": {}},
        {"eventId": -1, "timestamp": "2024-01-01T00:00:00Z",
         "executionStarted": {"name": "Chain", "input": "4"}}
    ]);
    let mut past: Vec<Json> = Vec::new();
    let mut new: Vec<Json> = start.as_array().expect("events").clone();
    let mut results = vec!["5", "10", "\"v=10\""].into_iter();
    for turn in 0..4 {
        let file = dir.join(format!("turn-{turn}.json"));
        let request =
            serde_json::json!({"instanceId": "c-1", "pastEvents": past, "newEvents": new});
        std::fs::write(&file, request.to_string()).expect("write");
        let answer = conform(&program, &file, Profile::Strict).expect("conform");
        assert!(
            answer.divergence.is_none(),
            "turn {turn}: {:?}",
            answer.divergence
        );
        assert_eq!(answer.actions.len(), 1, "turn {turn}");
        let action = &answer.actions[0];
        if let Some(done) = action.get("completeOrchestration") {
            assert_eq!(turn, 3);
            assert_eq!(done["result"], "\"v=10\"");
            break;
        }
        let id = action["id"].as_i64().expect("id");
        assert_eq!(id, turn + 1);
        past.append(&mut new);
        past.push(serde_json::json!({"eventId": id, "taskScheduled": action["scheduleTask"]}));
        past.push(serde_json::json!({"eventId": -1, "orchestratorCompleted": {}}));
        new = vec![
            serde_json::json!({"eventId": -1, "orchestratorStarted": {}}),
            serde_json::json!({"eventId": -1, "taskCompleted":
                {"taskScheduledId": id, "result": results.next().expect("result")}}),
        ];
    }
    let _ = std::fs::remove_dir_all(&dir);
}

mod arbitrary_histories {
    use super::suite;
    use durable_checker::conform::oracle::{replay, Profile};
    use durable_checker::conform::wire::read_request;
    use durable_interpreter::load::{load_path, Spec};
    use proptest::prelude::*;
    use serde_json::{json, Value as Json};

    /// One history event of any kind an orchestration can see, with small ids and names so
    /// that matches and mismatches are both likely.
    fn event() -> impl Strategy<Value = Json> {
        let id = -1i64..6;
        let name = prop::sample::select(vec!["Inc", "Double", "Show", "Child", "go", "GO", "x"]);
        let payload = prop::sample::select(vec![
            None,
            Some("1"),
            Some("\"a\""),
            Some("[1, 2]"),
            Some("null"),
            Some("\"@account@A\""),
        ]);
        let req = prop::sample::select(vec!["r1", "r2"]);
        (0usize..21, id.clone(), id, name, payload, req).prop_map(|(k, eid, task, name, input, req)| {
            let body = match k {
                0 => json!({"orchestratorStarted": {}}),
                1 => json!({"orchestratorCompleted": {}}),
                2 => json!({"executionStarted": {"name": "Chain", "input": input}}),
                3 => json!({"taskScheduled": {"name": name, "input": input}}),
                4 => json!({"taskCompleted": {"taskScheduledId": task, "result": input}}),
                5 => json!({"taskFailed": {"taskScheduledId": task,
                    "failureDetails": {"errorType": "E", "errorMessage": "boom"}}}),
                6 => json!({"timerCreated": {"fireAt": "2024-01-01T00:00:05Z"}}),
                7 => json!({"timerFired": {"timerId": task, "fireAt": "2024-01-01T00:00:05Z"}}),
                8 => json!({"eventRaised": {"name": name, "input": input}}),
                9 => json!({"executionSuspended": {}}),
                10 => json!({"executionResumed": {}}),
                11 => json!({"executionTerminated": {"input": input}}),
                12 => json!({"subOrchestrationInstanceCreated": {"name": name, "instanceId": "p:0001"}}),
                13 => json!({"subOrchestrationInstanceCompleted": {"taskScheduledId": task, "result": input}}),
                14 => json!({"entityOperationCalled": {"requestId": req, "operation": "get",
                    "targetInstanceId": "@account@A"}}),
                15 => json!({"entityOperationCompleted": {"requestId": req, "output": input}}),
                16 => json!({"entityLockRequested": {"criticalSectionId": req, "lockSet": ["@account@A"]}}),
                17 => json!({"entityLockGranted": {"criticalSectionId": req}}),
                18 => json!({"entityUnlockSent": {"criticalSectionId": req, "targetInstanceId": "@account@A"}}),
                19 => json!({"eventSent": {"instanceId": "other", "name": name}}),
                _ => json!({"genericEvent": {}}),
            };
            let mut e = body.as_object().cloned().unwrap_or_default();
            e.insert("eventId".into(), eid.into());
            e.insert("timestamp".into(), "2024-01-01T00:00:00Z".into());
            Json::Object(e)
        })
    }

    fn specs() -> Vec<Spec> {
        [
            "chain",
            "entity_lock",
            "approval_event",
            "fan_out_fan_in",
            "continue_as_new",
        ]
        .iter()
        .map(|v| load_path(&suite().join(v).join("program.dfl")).expect("vector program"))
        .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any sequence of events: an answer or a bad-input error, never a panic; the actions
        /// come in increasing id order and at most one completes the orchestration, last.
        #[test]
        fn any_history_gets_an_answer(
            past in prop::collection::vec(event(), 0..12),
            new in prop::collection::vec(event(), 1..6),
            which in 0usize..5,
            python in any::<bool>(),
        ) {
            let spec = &specs()[which];
            let name = spec.orchestrations.keys().next().expect("an orchestration").to_string();
            let rename = |mut e: Json| {
                if let Some(s) = e.get_mut("executionStarted") {
                    s["name"] = name.clone().into();
                }
                e
            };
            let doc = json!({
                "instanceId": "i-1",
                "pastEvents": past.into_iter().map(rename).collect::<Vec<_>>(),
                "newEvents": new.into_iter().map(rename).collect::<Vec<_>>(),
            });
            let request = read_request(&doc).expect("generated requests are well-formed");
            let profile = if python { Profile::Python } else { Profile::Strict };
            if let Ok(answer) = replay(spec, profile, &request) {
                let ids: Vec<i64> = answer.actions.iter().map(|a| a["id"].as_i64().expect("id")).collect();
                prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
                let completions = answer.actions.iter().filter(|a| a.get("completeOrchestration").is_some()).count();
                prop_assert!(completions <= 1);
                if completions == 1 {
                    prop_assert!(answer.actions.last().expect("one").get("completeOrchestration").is_some());
                }
            }
        }
    }
}
