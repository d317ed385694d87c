//! The `durable` binary as scripts use it: exit codes, JSON on stdout, the Explorer over HTTP,
//! reproducible simulation, and the Mermaid and ITF renderings of traces.

use serde_json::Value as Json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("checker/ is in the repository")
        .to_path_buf()
}

fn durable(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_durable"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("durable-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn exit_codes_follow_the_contract() {
    let out = temp("codes");
    let traces = out.to_string_lossy().into_owned();
    let ok = durable(&["check", "specs/bank.dfl", "-q", "--trace-dir", &traces]);
    assert_eq!(ok.status.code(), Some(0));
    let fail = durable(&[
        "check",
        "specs/bank_unsafe.dfl",
        "-q",
        "--trace-dir",
        &traces,
    ]);
    assert_eq!(fail.status.code(), Some(1));
    let cut = durable(&["check", "specs/bank.dfl", "-q", "--max-states", "10"]);
    assert_eq!(
        cut.status.code(),
        Some(3),
        "a bound that cuts the search is inconclusive"
    );

    let bad = out.join("bad.dfl");
    std::fs::write(&bad, "orchestration O() = let x = 1 in\n").expect("write");
    let parse = durable(&["check", bad.to_str().expect("utf-8 path")]);
    assert_eq!(parse.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&parse.stderr);
    assert!(stderr.contains("bad.dfl:2:1"), "located: {stderr}");
    assert!(
        parse.stdout.is_empty(),
        "nothing is written on a load error"
    );

    for args in [
        vec!["check", "specs/missing.dfl"],
        vec!["check", "specs/bank.dfl", "--scenario", "nope"],
        vec!["check", "specs/bank.dfl", "--model", "xy"],
        vec!["check", "specs/bank.dfl", "--protocol", "nope"],
        vec![
            "check",
            "specs/bank.dfl",
            "--model",
            "rr",
            "--protocol",
            "cs-blind-commit",
        ],
        vec!["check", "specs/bank.dfl", "--batch", "some"],
        vec![
            "check",
            "specs/nondeterminism.dfl",
            "--allow-nondeterminism",
            "--bogus",
        ],
        vec!["run", "specs/counter.dfl"],
        vec!["replay", "specs/bank.dfl"],
    ] {
        let o = durable(&args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn check_json_is_the_documented_document() {
    let o = durable(&["check", "specs/bank.dfl", "--json", "-q", "--model", "cs"]);
    assert_eq!(o.status.code(), Some(0));
    let r: Json = serde_json::from_slice(&o.stdout).expect("one JSON document on stdout");
    assert_eq!(r["spec"], "specs/bank.dfl");
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["limits"]["max_states"], 5_000_000);
    assert!(r["limits"]["max_depth"].is_null() && r["limits"]["time_limit"].is_null());
    let s = &r["scenarios"][0];
    assert_eq!(s["name"], "two_transfers");
    assert_eq!(s["equivalent"], true);
    let f = &s["faults"];
    assert_eq!(
        (f["crashes"].as_u64(), f["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (f["lost_commits"].as_u64(), f["batch"].as_str()),
        (Some(0), Some("one"))
    );
    let models: Vec<&str> = s["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["model"].as_str().expect("model"))
        .collect();
    assert_eq!(models, ["hl", "cs"]);
    for m in s["models"].as_array().expect("models") {
        for field in [
            "protocol",
            "complete",
            "states",
            "unique_states",
            "max_depth",
            "seconds",
        ] {
            assert!(!m[field].is_null(), "{field}");
        }
        assert_eq!(m["refines_hl"], true);
        assert_eq!(m["stuck"], 0);
        assert_eq!(m["violations"].as_array().map(Vec::len), Some(0));
        // LANGUAGE.md §8: the two outcomes, in every model.
        let outcomes: Vec<String> = m["outcomes"]
            .as_array()
            .expect("outcomes")
            .iter()
            .map(|o| serde_json::to_string(o).expect("json"))
            .collect();
        assert_eq!(
            outcomes,
            [
                r#"{"Account(\"A\")":"30","Account(\"B\")":"70","t1":"completed true","t2":"completed false"}"#,
                r#"{"Account(\"A\")":"50","Account(\"B\")":"50","t1":"completed false","t2":"completed true"}"#
            ]
        );
    }
}

#[test]
fn simulate_gives_the_committed_bytes_for_a_seed() {
    let o = durable(&[
        "simulate",
        "specs/bank.dfl",
        "--model",
        "cs",
        "--seed",
        "7",
        "--runs",
        "25",
        "--json",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let expected = std::fs::read(root().join("checker/tests/expected/simulate_bank_cs_seed7.json"))
        .expect("the committed output");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&expected)
    );
    let again = durable(&[
        "simulate",
        "specs/bank.dfl",
        "--model",
        "cs",
        "--seed",
        "8",
        "--runs",
        "25",
        "--json",
        "-q",
    ]);
    assert_ne!(again.stdout, o.stdout, "another seed, other runs");
}

#[test]
fn simulate_breaks_the_large_spec_and_its_trace_replays() {
    let dir = temp("large");
    let d = dir.to_string_lossy().into_owned();
    let itf = dir.join("run.itf.json");
    let o = durable(&[
        "simulate",
        "specs/large/lost_updates.dfl",
        "--model",
        "cs",
        "--seed",
        "1",
        "--json",
        "-q",
        "--trace-dir",
        &d,
        "--itf",
        itf.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let r: Json = serde_json::from_slice(&o.stdout).expect("json");
    let v = &r["violation"];
    assert!(v["check"].as_str().expect("check").starts_with("finally "));
    let trace = v["trace"].as_str().expect("a trace is written");
    let replayed = durable(&["replay", trace]);
    assert_eq!(
        replayed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&replayed.stdout)
    );
    let from_itf = durable(&["replay", itf.to_str().expect("utf-8")]);
    assert_eq!(from_itf.status.code(), Some(1), "the ITF file replays too");
}

/// Reads the first line of a child's stdout (the Explorer prints its URL first).
fn first_line(child: &mut std::process::Child) -> String {
    let stdout = child.stdout.take().expect("piped");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    line.trim().to_string()
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("the server accepts");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut body = String::new();
    s.read_to_string(&mut body).expect("read");
    body
}

#[test]
fn explore_serves_the_explorer_on_a_free_port() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_durable"))
        .args([
            "explore",
            "specs/bank.dfl",
            "--model",
            "cs",
            "--addr",
            "127.0.0.1:0",
        ])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let url = first_line(&mut child);
    let addr = url
        .strip_prefix("http://")
        .and_then(|u| u.strip_suffix('/'))
        .expect("an http URL")
        .to_string();
    assert!(!addr.ends_with(":0"), "port 0 became a real port: {addr}");
    let mut page = String::new();
    for _ in 0..50 {
        if let Ok(mut s) = TcpStream::connect(&addr) {
            write!(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").expect("send");
            s.read_to_string(&mut page).expect("read");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(page.contains("200 OK") && page.contains("<html"), "{page}");
    let status = http_get(&addr, "/.status");
    assert!(status.contains("\"unique_state_count\""), "{status}");
    let states = http_get(&addr, "/.states");
    assert!(
        states.contains("client inputs arrived: 0") && states.contains("Account(\\\"A\\\"): 100"),
        "the initial state, readable: {states}"
    );
    // A second server on the same port is an error, not a panic.
    let busy = durable(&["explore", "specs/bank.dfl", "--addr", &addr]);
    assert_eq!(busy.status.code(), Some(2));
    child.kill().expect("stops");
    let _ = child.wait();
}

#[test]
fn mermaid_shows_participants_messages_and_crashes() {
    let dir = temp("mermaid");
    let d = dir.to_string_lossy().into_owned();
    let o = durable(&[
        "check",
        "specs/extern_call.dfl",
        "--scenario",
        "repeated_under_faults",
        "--model",
        "cs",
        "--duplicates",
        "0",
        "--json",
        "-q",
        "--trace-dir",
        &d,
    ]);
    let r: Json = serde_json::from_slice(&o.stdout).expect("json");
    let trace = r["scenarios"][0]["models"][1]["violations"][0]["trace"]
        .as_str()
        .expect("a counterexample")
        .to_string();
    let mmd = dir.join("ce.mmd");
    let replayed = durable(&["replay", &trace, "--mermaid", mmd.to_str().expect("utf-8")]);
    assert_eq!(replayed.status.code(), Some(1));
    let text = std::fs::read_to_string(&mmd).expect("written");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "sequenceDiagram");
    let participants: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.trim().strip_prefix("participant "))
        .collect();
    assert_eq!(participants, ["P0 as t1", "P1 as activity t1#35;0.0"]);
    let messages = lines.iter().filter(|l| l.contains("->>")).count();
    assert!(messages >= 2, "the call and its result: {text}");
    assert!(lines
        .iter()
        .any(|l| l.trim().starts_with("P0->>P1: run Charge(5)")));
    let crash = lines
        .iter()
        .find(|l| l.contains("crash worker"))
        .expect("the crash is shown");
    assert!(crash.trim().starts_with("Note over P1:"), "{crash}");
    // Every line is a known statement.
    for l in &lines[1..] {
        let t = l.trim();
        assert!(
            t.starts_with("participant ") || t.starts_with("Note over ") || t.contains("->>"),
            "{t}"
        );
    }
}

#[test]
fn itf_has_the_required_fields_and_round_trips() {
    let dir = temp("itf");
    let itf = dir.join("run.itf.json");
    let path = itf.to_str().expect("utf-8");
    let o = durable(&[
        "run",
        "specs/bank.dfl",
        "--model",
        "rr",
        "--seed",
        "3",
        "--itf",
        path,
    ]);
    assert_eq!(o.status.code(), Some(0));
    let doc: Json =
        serde_json::from_str(&std::fs::read_to_string(&itf).expect("written")).expect("json");
    assert_eq!(doc["#meta"]["format"], "ITF");
    let vars: Vec<&str> = doc["vars"]
        .as_array()
        .expect("vars")
        .iter()
        .map(|v| v.as_str().expect("a var is a string"))
        .collect();
    assert!(vars.contains(&"action") && vars.contains(&"entities"));
    let states = doc["states"].as_array().expect("states");
    assert!(states.len() > 10);
    for (i, s) in states.iter().enumerate() {
        assert_eq!(s["#meta"]["index"].as_u64(), Some(i as u64));
        for v in &vars {
            assert!(s.get(*v).is_some(), "state {i} lacks {v}");
        }
        assert!(s["inputs"]["#bigint"].is_string(), "ints are #bigint");
        assert!(s["orchestrations"]["#map"].is_array());
        assert!(s["action"].is_string());
    }
    assert_eq!(states[0]["action"], "init");
    let last = states.last().expect("a state");
    let entities = last["entities"]["#map"].as_array().expect("entities");
    assert!(entities.iter().any(|e| e[0]["entity"] == "Account"));
    let replayed = durable(&["replay", path, "--json"]);
    assert_eq!(replayed.status.code(), Some(0), "a passing run reproduces");
    let r: Json = serde_json::from_slice(&replayed.stdout).expect("json");
    assert_eq!(r["reproduced"], true);
    assert_eq!(r["steps"].as_array().map(Vec::len), Some(states.len() - 1));
}

#[test]
fn run_is_the_same_for_the_same_seed() {
    let a = durable(&[
        "run",
        "specs/bank.dfl",
        "--model",
        "cs",
        "--seed",
        "11",
        "--json",
    ]);
    let b = durable(&[
        "run",
        "specs/bank.dfl",
        "--model",
        "cs",
        "--seed",
        "11",
        "--json",
    ]);
    let c = durable(&[
        "run",
        "specs/bank.dfl",
        "--model",
        "cs",
        "--seed",
        "12",
        "--json",
    ]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
}

#[test]
fn one_model_commands_take_a_protocol_without_its_model() {
    let bank = root().join("specs/bank.dfl");
    let bank = bank.to_str().expect("utf-8");
    // `--protocol` names its model: the default `hl` does not apply then.
    let run = durable(&[
        "run",
        bank,
        "--protocol",
        "cs-blind-commit",
        "--max-steps",
        "5",
        "--json",
    ]);
    assert_ne!(
        run.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let doc: Json = serde_json::from_slice(&run.stdout).expect("JSON");
    assert_eq!(doc["protocol"], "cs-blind-commit", "{doc}");
    let dir = temp("simulate-protocol");
    let sim = durable(&[
        "simulate",
        bank,
        "--protocol",
        "rr-replay-sends",
        "--runs",
        "3",
        "--max-steps",
        "50",
        "--json",
        "--trace-dir",
        dir.to_str().expect("utf-8"),
    ]);
    assert_ne!(
        sim.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    // An explicit model that is not the protocol's is still bad input.
    let wrong = durable(&[
        "run",
        bank,
        "--model",
        "hl",
        "--protocol",
        "cs-blind-commit",
    ]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("belongs to model `cs`"));
}

#[test]
fn conform_prints_actions_and_exits_by_the_contract() {
    let dir = root().join("traces/conformance");
    let chain = dir.join("chain/program.dfl");
    let chain = chain.to_str().expect("path");
    let turn4 = dir.join("chain/turn-4.json");
    let turn4 = turn4.to_str().expect("path");
    let readable = durable(&["conform", chain, "--history", turn4]);
    assert_eq!(readable.status.code(), Some(0), "{readable:?}");
    let text = String::from_utf8_lossy(&readable.stdout);
    assert!(
        text.contains("4  completeOrchestration orchestrationStatus=COMPLETED result=\"v=10\""),
        "{text}"
    );
    let out = durable(&["conform", chain, "--history", turn4, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: Json = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["actions"][0]["id"], 4);
    assert_eq!(
        doc["actions"][0]["completeOrchestration"]["result"],
        "\"v=10\""
    );
    assert!(doc.get("warnings").is_none(), "strict has no warnings");

    // A history with a changed argument: strict divergence (exit 1), Python warning (exit 0).
    let arg = dir.join("nondet_activity_argument");
    let (program, history) = (arg.join("program.dfl"), arg.join("turn-2.json"));
    let (program, history) = (program.to_str().expect("p"), history.to_str().expect("h"));
    let strict = durable(&["conform", program, "--history", history, "--json"]);
    assert_eq!(strict.status.code(), Some(1));
    let doc: Json = serde_json::from_slice(&strict.stdout).expect("JSON");
    assert_eq!(doc["eventIndex"], 2);
    let python = durable(&[
        "conform",
        program,
        "--history",
        history,
        "--profile",
        "python",
        "--json",
    ]);
    assert_eq!(python.status.code(), Some(0));
    let doc: Json = serde_json::from_slice(&python.stdout).expect("JSON");
    assert_eq!(doc["warnings"][0]["eventIndex"], 2);

    // Not built, unknown, malformed: exit 2, nothing on stdout, a message that says where.
    let dotnet = durable(&[
        "conform",
        program,
        "--history",
        history,
        "--profile",
        "dotnet",
    ]);
    assert_eq!(dotnet.status.code(), Some(2));
    assert!(dotnet.stdout.is_empty());
    let bad = temp("conform").join("bad.json");
    std::fs::write(
        &bad,
        r#"{"instanceId": "x", "newEvents": [{"eventId": -1, "taskCompleted": {"taskScheduledId": []}}]}"#,
    )
    .expect("write");
    let out = durable(&["conform", program, "--history", bad.to_str().expect("p")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("$.newEvents[0].taskCompleted.taskScheduledId"),
        "{err}"
    );
    std::fs::write(
        &bad,
        r#"{"instanceId": "x", "newEvents": [{"executionStarted": {"name": "Nope"}}]}"#,
    )
    .expect("write");
    let out = durable(&["conform", program, "--history", bad.to_str().expect("p")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no orchestration `Nope`"), "{err}");
    std::fs::write(&bad, "{\"instanceId\": ").expect("write");
    let out = durable(&["conform", program, "--history", bad.to_str().expect("p")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(":1:"));
    std::fs::write(
        &bad,
        r#"{"instanceId": "x", "newEvents": [{"executionStarted": {"name": "Argument", "input": "{\"a\": 1}"}}]}"#,
    )
    .expect("write");
    let out = durable(&["conform", program, "--history", bad.to_str().expect("p")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("JSON object"), "{err}");
}
