//! Every rule of docs/semantics.md §1 (evaluation of one component) and §3 (the high-level
//! model HL), each observed on a small DFL program: the exact outcome set HL produces, or the
//! exact verdict of a check. The rule each test exercises is named in its doc comment.

use durable_tests::{check_text, outcome as o, outcomes};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A DFL string literal, as `show` and the outcomes print it.
fn dq(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The outcome text of an instance that failed with a string payload.
fn failed(msg: &str) -> String {
    format!("failed {}", dq(msg))
}

/// The outcome text of an instance that completed with a value (as DFL prints it).
fn completed(v: &str) -> String {
    format!("completed {v}")
}

/// The exact, sorted outcome list a correct HL must produce, from the outcomes in any order.
fn expected(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// HL's outcome set of one scenario.
fn hl(text: &str, scenario: &str) -> Vec<String> {
    let got = outcomes(text, scenario, "hl");
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(got, sorted, "outcomes are listed sorted");
    got
}

/// The outcomes of `decls` plus `orchestration O() = body` started once as `t`.
fn run_body(decls: &str, body: &str) -> Vec<String> {
    let text = format!("{decls}\norchestration O() = {body}\nscenario s {{ start t = O() }}\n");
    hl(&text, "s")
}

/// Asserts that `body`, run as the only orchestration, has exactly one outcome: `t` ends with
/// `status` (and nothing else is touched or called).
fn assert_t(decls: &str, body: &str, status: &str) {
    assert_eq!(
        run_body(decls, body),
        vec![o(&[("t", status)])],
        "orchestration body: {body}"
    );
}

/// The HL check of every scenario of `text`: per scenario, (name, violated checks, stuck
/// terminal states, complete).
fn hl_verdicts(text: &str) -> Vec<(String, Vec<String>, u64, bool)> {
    let report = check_text(text, "hl");
    report
        .scenarios
        .iter()
        .map(|s| {
            let m = &s.models[0];
            assert_eq!(m.model, "hl");
            let mut checks: Vec<String> = m.violations.iter().map(|v| v.check.clone()).collect();
            checks.sort();
            (s.name.clone(), checks, m.stuck, m.complete)
        })
        .collect()
}

/// Every interleaving of two sequences that keeps each one's order.
fn merges(a: &[&str], b: &[&str]) -> Vec<Vec<String>> {
    if a.is_empty() {
        return vec![b.iter().map(|s| s.to_string()).collect()];
    }
    if b.is_empty() {
        return vec![a.iter().map(|s| s.to_string()).collect()];
    }
    let mut out = Vec::new();
    for mut rest in merges(&a[1..], b) {
        rest.insert(0, a[0].to_string());
        out.push(rest);
    }
    for mut rest in merges(a, &b[1..]) {
        rest.insert(0, b[0].to_string());
        out.push(rest);
    }
    out
}

/// A list of strings as DFL prints it.
fn str_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| dq(s)).collect();
    format!("[{}]", inner.join(", "))
}

const COUNTER: &str = "entity C {
  init 0;
  op add(n) = set(get + n);
  op mul(n) = set(get * n);
  op put(v) = set(v);
  op get(_) = get
}";

const LOG: &str = "entity L { init []; op app(x) = set(get ++ [x]); op get(_) = get }";

// ---------------------------------------------------------------------------------------------
// §1 Evaluation of one component

/// Eval-Order: left to right — tuple and list elements, operands, the function before its
/// argument, entity keys and the target of a call or signal before its argument, lock ids:
/// the first error raised is the leftmost one.
#[test]
fn eval_order_is_left_to_right() {
    let cases = [
        (r#"(fail("a"), fail("b"))"#, "a"),
        (r#"[fail("a"), fail("b")]"#, "a"),
        (r#"fail("l") + fail("r")"#, "l"),
        (r#"fail("l") == fail("r")"#, "l"),
        (r#"fail("l") ++ fail("r")"#, "l"),
        (r#"(fail("f"))(fail("x"))"#, "f"),
        (r#"(fun x -> fail("body"))(fail("arg"))"#, "arg"),
        (r#"min(fail("a"), fail("b"))"#, "a"),
        (r#"await call C(fail("key")).add(fail("arg"))"#, "key"),
        (r#"signal C(fail("key")).add(fail("arg"))"#, "key"),
        (
            r#"let e = C(1) in signal e.add(fail("arg")); fail("after")"#,
            "arg",
        ),
        (r#"lock [C(fail("1")), C(fail("2"))] { 0 }"#, "1"),
        (r#"lock [C(1), fail("2"), fail("3")] { 0 }"#, "2"),
        (r#"(1, fail("b"), fail("c"))"#, "b"),
    ];
    for (body, first) in cases {
        assert_t(COUNTER, body, &failed(first));
    }
    // The effects of one step happen in program order too: two signals from one tuple.
    assert_eq!(
        run_body(
            LOG,
            r#"(signal L().app(1), signal L().app(2), signal L().app(3))"#
        ),
        vec![o(&[("L()", "[1, 2, 3]"), ("t", "completed ((), (), ())")])]
    );
}

/// Eval-Apply: a closure binds its parameter pattern in its own environment (lexical scope);
/// `let rec` binds the function itself; curried `def`s; applying a non-function is `type:`.
#[test]
fn eval_apply() {
    assert_t(
        "",
        "let k = 10 in let f = fun x -> x + k in let k = 20 in f(1) + k",
        &completed("31"),
    );
    assert_t(
        "",
        "let rec fact(n) = if n == 0 then 1 else n * fact(n - 1) in fact(10)",
        &completed("3628800"),
    );
    assert_t(
        "def add(a)(b) = a + b",
        "let inc = add(1) in (inc(2), add(10)(20))",
        &completed("(3, 30)"),
    );
    assert_t(
        "def even(n) = if n == 0 then true else odd(n - 1)\ndef odd(n) = if n == 0 then false else even(n - 1)",
        "(even(10), odd(7), even(3))",
        &completed("(true, true, false)"),
    );
    assert_t(
        "",
        "let x = 1 in x(2)",
        &failed("type: cannot apply an int"),
    );
    assert_t("", r#""f"(2)"#, &failed("type: cannot apply a string"));
    assert_t("", "(1, 2)(3)", &failed("type: cannot apply a tuple"));
}

/// Eval-Match: a tuple pattern matches a tuple or a list of its length, `()` matches unit,
/// `_` anything; anything else raises `pattern:`, in `let`, in parameters and in handlers.
#[test]
fn eval_match() {
    assert_t(
        "",
        "let (a, (b, c)) = (1, [2, 3]) in let _ = 99 in let () = () in a + b + c",
        &completed("6"),
    );
    assert_t(
        "",
        "let (a, b) = (1, 2, 3) in a",
        &failed("pattern: a 2-tuple pattern does not match a tuple of length 3"),
    );
    assert_t(
        "",
        "let (a, b) = [1] in a",
        &failed("pattern: a 2-tuple pattern does not match a list of length 1"),
    );
    assert_t(
        "",
        "let (a, b) = 5 in a",
        &failed("pattern: a 2-tuple pattern does not match an int"),
    );
    assert_t(
        "",
        "let () = 5 in 0",
        &failed("pattern: `()` does not match an int"),
    );
    assert_t(
        "",
        r#"(fun (a, b) -> a)("x")"#,
        &failed("pattern: a 2-tuple pattern does not match a string"),
    );
    // The orchestration's own parameter pattern.
    let text = "orchestration P((a, b)) = a + b\nscenario s { start t = P(1) }";
    assert_eq!(
        hl(text, "s"),
        vec![o(&[(
            "t",
            &failed("pattern: a 2-tuple pattern does not match an int")
        )])]
    );
}

/// Eval-Operators, arithmetic: checked 64-bit arithmetic; `/` and `%` truncate toward zero;
/// division by zero, overflow and `abs` of the minimum int are `arithmetic:` errors.
#[test]
fn eval_arithmetic() {
    assert_t(
        "",
        "(7 / 2, -7 / 2, 7 / -2, -7 / -2, 7 % 2, -7 % 2, 7 % -2, -7 % -2)",
        &completed("(3, -3, -3, 3, 1, -1, 1, -1)"),
    );
    assert_t(
        "",
        "(1 + 2 * 3 - 4 / 2, (1 - 2) - 3, 1 - (2 - 3), -(3), abs(-5), min(3, 2), max(\"a\", \"b\"))",
        &completed("(5, -4, 2, -3, 5, 2, \"b\")"),
    );
    assert_t(
        "",
        "(9223372036854775807, -9223372036854775807 - 1)",
        &completed("(9223372036854775807, -9223372036854775808)"),
    );
    let zero = failed("arithmetic: division by zero");
    let overflow = failed("arithmetic: overflow");
    for (body, expect) in [
        ("1 / 0", &zero),
        ("1 % 0", &zero),
        ("let z = 0 in 0 / z", &zero),
        ("9223372036854775807 + 1", &overflow),
        ("-9223372036854775807 - 2", &overflow),
        ("4611686018427387904 * 2", &overflow),
        ("(-9223372036854775807 - 1) / -1", &overflow),
        ("-(-9223372036854775807 - 1)", &overflow),
        ("abs(-9223372036854775807 - 1)", &overflow),
    ] {
        assert_t("", body, expect);
    }
}

/// Eval-Operators, kinds: every operator and builtin given an operand of the wrong kind, and
/// the empty-list builtins, raise `type:` with their exact message; `==` is structural on data
/// and a `type:` error on functions; `&&`/`||` short-circuit.
#[test]
fn eval_type_errors() {
    for (body, msg) in [
        (
            r#"1 + "a""#,
            "type: `+` needs two ints, got an int and a string",
        ),
        (
            r#""a" * 2"#,
            "type: `*` needs two ints, got a string and an int",
        ),
        ("-true", "type: `-` needs an int, got a bool"),
        ("!1", "type: `!` needs a bool, got an int"),
        ("1 && true", "type: `&&` needs bools, got an int"),
        ("true && 1", "type: `&&` and `||` need bools, got an int"),
        ("false || ()", "type: `&&` and `||` need bools, got unit"),
        ("if 1 then 2 else 3", "type: `if` needs a bool, got an int"),
        (
            r#"1 < "a""#,
            "type: `<` compares two ints or two strings, got an int and a string",
        ),
        (
            "(1, 2) >= (1, 2)",
            "type: `>=` compares two ints or two strings, got a tuple and a tuple",
        ),
        (
            "1 ++ 2",
            "type: `++` joins two strings or two lists, got an int and an int",
        ),
        (
            r#""a" ++ ["b"]"#,
            "type: `++` joins two strings or two lists, got a string and a list",
        ),
        ("head([])", "type: head of an empty list"),
        ("tail([])", "type: tail of an empty list"),
        ("head(1)", "type: `head` needs a list, got an int"),
        ("len(\"abc\")", "type: `len` needs a list, got a string"),
        (
            "nth([1, 2], 2)",
            "type: nth: index 2 out of range for a list of length 2",
        ),
        (
            "nth([1, 2], -1)",
            "type: nth: index -1 out of range for a list of length 2",
        ),
        ("abs(\"x\")", "type: `abs` needs an int, got a string"),
        (
            r#"min(1, "a")"#,
            "type: `min` takes two ints or two strings, got an int and a string",
        ),
        (
            "(fun x -> x) == (fun x -> x)",
            "type: `==` compares data, not a function",
        ),
        (
            "1 != (fun x -> x)",
            "type: `!=` compares data, not a function",
        ),
        (
            "[fun x -> x] == [1]",
            "type: `==` compares data, not a list",
        ),
        (
            "show(fun x -> x)",
            "type: `show` prints data, not a function",
        ),
    ] {
        assert_t("", body, &failed(msg));
    }
    assert_t(
        COUNTER,
        r#"(false && fail("no"), true || fail("no"), [1, 2] == (1, 2), 1 == "1", () == false, (1, [2, "x"]) == (1, [2, "x"]), C(1) == C(1), C(1) != C(2))"#,
        &completed("(false, true, false, false, false, true, true, true)"),
    );
    assert_t(
        "entity C { init 0 }",
        r#"("Z" < "a", "b" < "ab", "ab" < "b", 2 <= 2, 3 > 2, "x" ++ "y", [1] ++ [2, 3], len([1, 2]), head([7, 8]), tail([7, 8]), nth([7, 8], 1), show((1, "a\"b", [C(1)], C(), ())))"#,
        &completed(
            r#"(true, false, true, true, true, "xy", [1, 2, 3], 2, 7, [8], 8, "(1, \"a\\\"b\", [C(1)], C(), ())")"#,
        ),
    );
}

/// Eval-Try: an error travels to the nearest `try` whose pattern matches its payload; a
/// handler whose pattern does not match lets the original error go on; an error raised by a
/// handler replaces it.
#[test]
fn eval_try() {
    assert_t(
        "",
        r#"try fail("x") catch e -> e ++ "!""#,
        &completed(r#""x!""#),
    );
    assert_t("", r#"try 5 catch e -> 0"#, &completed("5"));
    assert_t(
        "",
        r#"try fail((404, "nf")) catch (code, msg) -> msg"#,
        &completed(r#""nf""#),
    );
    assert_t(
        "",
        r#"try (try fail((404, "nf")) catch (a, b, c) -> "inner") catch e -> e"#,
        &completed(r#"(404, "nf")"#),
    );
    assert_t(
        "",
        r#"try fail((404, "nf")) catch (a, b, c) -> "inner""#,
        "failed (404, \"nf\")",
    );
    assert_t("", r#"try fail(1) catch () -> 0"#, "failed 1");
    assert_t(
        "",
        r#"try fail("a") catch e -> fail(e ++ "b")"#,
        &failed("ab"),
    );
    // Errors raised by the language are caught like any other.
    assert_t(
        "",
        r#"try 1 / 0 catch e -> e"#,
        &completed(&dq("arithmetic: division by zero")),
    );
    assert_t(
        "",
        r#"try (try head([]) catch (x, y) -> "pair") catch e -> ("outer", e)"#,
        &completed(r#"("outer", "type: head of an empty list")"#),
    );
}

/// Eval-Limits, steps: an infinite loop whose call depth stays small stops at the step limit
/// with `recursion: limit exceeded`; the limit counts steps between two effect points, so the
/// same work split by an `await` completes.
#[test]
fn eval_step_limit() {
    // `inner(5000)` is about 15,000 steps at depth 5,000; `phase(45)` about 675,000 steps.
    let defs = "def inner(n) = if n == 0 then 0 else inner(n - 1)
def phase(m) = if m == 0 then 0 else (inner(5000); phase(m - 1))
def spin(m) = inner(5000); spin(m + 1)
activity A() = 0";
    assert_t(defs, "spin(0)", &failed("recursion: limit exceeded"));
    assert_t(
        defs,
        "phase(45); phase(45); \"done\"",
        &failed("recursion: limit exceeded"),
    );
    assert_t(
        defs,
        "phase(45); await call A(); phase(45); \"done\"",
        &completed(r#""done""#),
    );
    // An `await` is an effect point only if its future has no result yet: when the second
    // result has arrived before the orchestration resumes, the two phases run in one go and
    // exceed the limit. Both outcomes are reachable (LANGUAGE.md §3a, literally).
    let text = format!(
        "{defs}
orchestration Two() = let f = call A() in let g = call A() in await f; phase(45); await g; phase(45); \"done\"
scenario s {{ start t = Two() }}"
    );
    assert_eq!(
        hl(&text, "s"),
        expected(vec![
            o(&[("t", &completed(r#""done""#))]),
            o(&[("t", &failed("recursion: limit exceeded"))]),
        ])
    );
    // Once the budget is spent, a `try` in the same component cannot catch the error (its
    // pattern match would be one more step); a caller can, around its `await` (below).
    assert_t(
        defs,
        "try spin(0) catch e -> (\"caught\", e)",
        &failed("recursion: limit exceeded"),
    );
    // The limit applies to activities and entity operations too, and can be caught.
    let text = format!(
        "{defs}
activity Spin() = spin(0)
entity E {{ init 0; op spin(_) = spin(0) }}
orchestration P() =
  let a = try await call Spin() catch e -> e in
  let b = try await call E().spin() catch e -> e in
  (a, b)
scenario s {{ start t = P() }}"
    );
    let err = dq("recursion: limit exceeded");
    assert_eq!(
        hl(&text, "s"),
        vec![o(&[
            ("E()", "0"),
            ("t", &completed(&format!("({err}, {err})")))
        ])]
    );
}

/// Eval-Limits, depth: deep non-tail recursion is fine up to the depth limit and raises
/// `recursion: limit exceeded` beyond it (never a stack overflow); tail calls count too;
/// data nested beyond the limit is refused as well.
#[test]
fn eval_depth_limit() {
    let defs = "def down(n) = if n == 0 then 0 else 1 + down(n - 1)
def loop(n) = if n == 0 then \"end\" else loop(n - 1)
def wrap(k, acc) = if k == 0 then acc else wrap(k - 1, [acc])
def build(m, acc) = if m == 0 then acc else build(m - 1, wrap(100, acc))";
    // The component's own invocation is the first call: its code may nest 9,999 more.
    assert_t(defs, "down(9998)", &completed("9998"));
    assert_t(defs, "down(9999)", &failed("recursion: limit exceeded"));
    let text = format!(
        "{defs}
activity Down(n) = down(n)
orchestration P(n) = try await call Down(n) catch e -> e
scenario ok {{ start t = P(9998) }}
scenario deep {{ start t = P(9999) }}"
    );
    assert_eq!(hl(&text, "ok"), vec![o(&[("t", "completed 9998")])]);
    assert_eq!(
        hl(&text, "deep"),
        vec![o(&[("t", &completed(&dq("recursion: limit exceeded")))])]
    );
    assert_t(defs, "down(9000)", &completed("9000"));
    assert_t(defs, "down(11000)", &failed("recursion: limit exceeded"));
    assert_t(defs, "loop(9000)", &completed(r#""end""#));
    assert_t(defs, "loop(11000)", &failed("recursion: limit exceeded"));
    assert_t(defs, "len(build(99, []))", &completed("1"));
    assert_t(
        defs,
        "len(build(101, []))",
        &failed("recursion: limit exceeded"),
    );
    assert_t(
        defs,
        "try down(20000) catch e -> (e, down(10))",
        &completed(r#"("recursion: limit exceeded", 10)"#),
    );
}

/// Eval-Request: `await` of a non-future yields it.
#[test]
fn eval_await_non_future() {
    assert_t(
        "",
        r#"(await 5, await (1, "x"), await [])"#,
        &completed(r#"(5, (1, "x"), [])"#),
    );
}

/// Eval-Data: only data crosses a component boundary: arguments of calls and signals, the
/// input of `continue`, results, entity states and error payloads; anything else is a `type:`
/// error at the sender (catchable; the message is not sent) or, for a result or an error
/// leaving the component, a `type:` error in its place.
#[test]
fn eval_data_crosses_boundaries() {
    let decls = format!(
        "{COUNTER}
extern X: [()]
activity A(x) = await call X(x)
activity F() = fun x -> x
activity G() = fail(fun x -> x)
entity E {{ init 0; op f(_) = fun x -> x; op g(_) = set(fun x -> x); op h(_) = set(1); fail(fun x -> x) }}"
    );
    // (body, payload, whether the inner `call A(1)` was sent): the offending message itself
    // is never sent.
    let cases = [
        (
            "call A(fun x -> x)",
            "type: an activity's input must be data, got a function",
            false,
        ),
        (
            "call A(call A(1))",
            "type: an activity's input must be data, got a future",
            true,
        ),
        (
            "signal C().add(fun x -> x)",
            "type: an operation's argument must be data, got a function",
            false,
        ),
        (
            "await call C().add((1, fun x -> x))",
            "type: an operation's argument must be data, got a tuple",
            false,
        ),
        (
            "fun x -> x",
            "type: an orchestration's result must be data, got a function",
            false,
        ),
        (
            "call A(1)",
            "type: an orchestration's result must be data, got a future",
            true,
        ),
        (
            "fail(fun x -> x)",
            "type: an error payload must be data, got a function",
            false,
        ),
        (
            "await call F()",
            "type: an activity's result must be data, got a function",
            false,
        ),
        (
            "await call G()",
            "type: an error payload must be data, got a function",
            false,
        ),
    ];
    for (body, msg, inner_sent) in cases {
        let status = failed(msg);
        let want = if inner_sent {
            o(&[("extern X", "[1]"), ("t", &status)])
        } else {
            o(&[("t", &status)])
        };
        assert_eq!(run_body(&decls, body), vec![want], "{body}");
    }
    // Caught at the sender: nothing sent, the orchestration goes on.
    assert_eq!(
        run_body(
            &decls,
            "let r = try call A(fun x -> x) catch e -> e in (r, await call A(1))"
        ),
        vec![o(&[
            ("extern X", "[1]"),
            (
                "t",
                &completed(&format!(
                    "({}, ())",
                    dq("type: an activity's input must be data, got a function")
                ))
            )
        ])]
    );
    // An entity operation's result, state and error payload: the caller's await gets `type:`,
    // the state is rolled back.
    assert_eq!(
        run_body(
            &decls,
            "let a = try await call E().f() catch e -> e in
             let b = try await call E().g() catch e -> e in
             let c = try await call E().h() catch e -> e in (a, b, c)"
        ),
        vec![o(&[
            ("E()", "0"),
            (
                "t",
                &completed(&format!(
                    "({}, {}, {})",
                    dq("type: an operation's result must be data, got a function"),
                    dq("type: an entity's state must be data, got a function"),
                    dq("type: an error payload must be data, got a function")
                ))
            )
        ])]
    );
    // `continue` with a function.
    let text = "orchestration P(x) = if x == 0 then continue P(fun y -> y) else x
scenario s { start t = P(0) }";
    assert_eq!(
        hl(text, "s"),
        vec![o(&[(
            "t",
            &failed("type: the input of `continue` must be data, got a function")
        )])]
    );
}

// ---------------------------------------------------------------------------------------------
// §3 High-level rules

/// Client-Start: starting an existing instance id is answered `alreadyexists` and changes
/// nothing — one execution, with the first input — whether the first is still running or
/// already finished.
#[test]
fn client_start_duplicate_is_alreadyexists() {
    let text = format!(
        "{COUNTER}
orchestration O(n) = signal C().add(n); n
orchestration P(n) = fail(\"never\")
scenario dup {{ start t = O(1); start t = O(2) }}
scenario other_name {{ start t = O(1); start t = P(5) }}
scenario two {{ start t = O(1); start u = O(2) }}"
    );
    assert_eq!(
        hl(&text, "dup"),
        vec![o(&[("C()", "1"), ("t", "completed 1")])]
    );
    assert_eq!(
        hl(&text, "other_name"),
        vec![o(&[("C()", "1"), ("t", "completed 1")])]
    );
    assert_eq!(
        hl(&text, "two"),
        vec![o(&[
            ("C()", "3"),
            ("t", "completed 1"),
            ("u", "completed 2")
        ])]
    );
}

/// Client-Signal: a client signal joins the entity's queue; all client inputs share one
/// origin, so they are served in scenario order; the scenario's `init` sets the state.
#[test]
fn client_signals_are_fifo() {
    let text = format!(
        "{COUNTER}
scenario s {{ init C() = 5; signal C().add(1); signal C().mul(3); signal C().add(-2) }}
scenario untouched {{ signal C(1).add(1) }}"
    );
    assert_eq!(hl(&text, "s"), vec![o(&[("C()", "16")])]);
    // Only touched entities are in the outcome.
    assert_eq!(hl(&text, "untouched"), vec![o(&[("C(1)", "1")])]);
}

/// Client inputs arrive in scenario order, each at any point after the previous one,
/// interleaved with the system's steps: a started orchestration may or may not see a later
/// client signal.
#[test]
fn client_inputs_interleave_with_steps() {
    let text = format!(
        "{COUNTER}
orchestration O() = await call C().get()
scenario s {{ start t = O(); signal C().add(1) }}
scenario signal_first {{ signal C().add(1); start t = O() }}"
    );
    assert_eq!(
        hl(&text, "s"),
        expected(vec![
            o(&[("C()", "1"), ("t", "completed 0")]),
            o(&[("C()", "1"), ("t", "completed 1")]),
        ])
    );
    // The signal is queued before the call is sent, but the two have different origins, so
    // the entity may serve either first.
    assert_eq!(
        hl(&text, "signal_first"),
        expected(vec![
            o(&[("C()", "1"), ("t", "completed 0")]),
            o(&[("C()", "1"), ("t", "completed 1")]),
        ])
    );
}

/// Orch-Step and Orch-Call: `call` returns a future at once, `await` blocks until it has its
/// result; a resolved future stays resolved (awaiting again yields the same result); `signal`
/// returns `()`.
#[test]
fn orch_call_returns_futures() {
    let decls = format!(
        "{COUNTER}
activity Ten(x) = x * 10
activity Pick() = choose([1, 2])"
    );
    assert_t(
        &decls,
        "let f = call Ten(1) in let g = call Ten(2) in (await g, await f, await g)",
        &completed("(20, 10, 20)"),
    );
    assert_eq!(
        run_body(&decls, "let f = call Pick() in (await f, await f)"),
        expected(vec![
            o(&[("t", "completed (1, 1)")]),
            o(&[("t", "completed (2, 2)")])
        ])
    );
    assert_eq!(
        run_body(&decls, "signal C().add(3)"),
        vec![o(&[("C()", "3"), ("t", "completed ()")])]
    );
    // Two independent activities: both results reach the instance, in either order.
    assert_eq!(
        run_body(
            &decls,
            "let f = call Pick() in let g = call Pick() in (await f) * 10 + await g"
        ),
        expected(vec![
            o(&[("t", "completed 11")]),
            o(&[("t", "completed 12")]),
            o(&[("t", "completed 21")]),
            o(&[("t", "completed 22")]),
        ])
    );
}

/// Orch-Step: an orchestration that fails has the payload as its result; a function payload
/// is a `type:` error (tested in `eval_data_crosses_boundaries`); an uncaught activity or
/// entity error fails the caller.
#[test]
fn orch_failure_propagates() {
    let decls = format!(
        "{COUNTER}
activity Bad() = fail((1, \"bad\"))"
    );
    assert_t(&decls, "await call Bad()", "failed (1, \"bad\")");
    assert_eq!(
        run_body(&decls, "await call C().nope(1)"),
        vec![o(&[
            ("C()", "0"),
            (
                "t",
                &failed("operation: entity `C` has no operation `nope`")
            )
        ])]
    );
}

/// Entity-Serve: FIFO per origin. Two orchestrations each send two signals (in one step, in
/// program order); the entity serves the oldest request of either origin, so the final list
/// is exactly the interleavings that keep each origin's order.
#[test]
fn entity_fifo_per_origin_list() {
    let text = format!(
        "{LOG}
orchestration P(id) = signal L().app(id ++ \"1\"); signal L().app(id ++ \"2\"); id
scenario s {{ start a = P(\"a\"); start b = P(\"b\") }}"
    );
    let want: Vec<String> = merges(&["a1", "a2"], &["b1", "b2"])
        .iter()
        .map(|l| {
            o(&[
                ("L()", &str_list(l)),
                ("a", "completed \"a\""),
                ("b", "completed \"b\""),
            ])
        })
        .collect();
    assert_eq!(want.len(), 6);
    assert_eq!(hl(&text, "s"), expected(want));
}

/// Entity-Serve: FIFO per origin with a counter: `add(1)` then `mul(2)` from each of two
/// orchestrations, starting from 0, can only end in 6 or 8 (a reordered origin would give 3,
/// 4 or 5... as well).
#[test]
fn entity_fifo_per_origin_counter() {
    let text = format!(
        "{COUNTER}
orchestration P() = signal C().add(1); signal C().mul(2)
scenario s {{ start a = P(); start b = P() }}"
    );
    assert_eq!(
        hl(&text, "s"),
        expected(vec![
            o(&[("C()", "6"), ("a", "completed ()"), ("b", "completed ()")]),
            o(&[("C()", "8"), ("a", "completed ()"), ("b", "completed ()")]),
        ])
    );
}

/// Entity-Serve: three origins (two orchestrations and the client): every merge of the three
/// sequences, and nothing else.
#[test]
fn entity_fifo_three_origins() {
    let text = format!(
        "{LOG}
orchestration P(id) = signal L().app(id ++ \"1\"); signal L().app(id ++ \"2\"); ()
scenario s {{ start a = P(\"a\"); signal L().app(\"c1\"); start b = P(\"b\"); signal L().app(\"c2\") }}"
    );
    let mut want = Vec::new();
    for ab in merges(&["a1", "a2"], &["b1", "b2"]) {
        let ab: Vec<&str> = ab.iter().map(String::as_str).collect();
        for l in merges(&ab, &["c1", "c2"]) {
            want.push(o(&[
                ("L()", &str_list(&l)),
                ("a", "completed ()"),
                ("b", "completed ()"),
            ]));
        }
    }
    let want = expected(want);
    // Any service order that keeps each origin's order is reachable: 6 * 15 = 90 lists.
    assert_eq!(want.len(), 90);
    assert_eq!(hl(&text, "s"), want);
}

/// Signal-then-call from one orchestration to one entity: the call sees the signal (DESIGN.md
/// §8.6), even with a client signal competing.
#[test]
fn signal_then_call_sees_the_signal() {
    let text = format!(
        "{COUNTER}
orchestration O() = signal C().add(5); await call C().get()
scenario s {{ start t = O() }}
scenario with_client {{ start t = O(); signal C().mul(10) }}"
    );
    assert_eq!(
        hl(&text, "s"),
        vec![o(&[("C()", "5"), ("t", "completed 5")])]
    );
    assert_eq!(
        hl(&text, "with_client"),
        expected(vec![
            // mul before add: 0 * 10 + 5, seen 5.
            o(&[("C()", "5"), ("t", "completed 5")]),
            // add, get, mul.
            o(&[("C()", "50"), ("t", "completed 5")]),
            // add, mul, get.
            o(&[("C()", "50"), ("t", "completed 50")]),
        ])
    );
}

/// Entity-Op: `set` returns `()`; a call is answered with the operation's result.
#[test]
fn entity_op_results() {
    let decls = "entity K { init (0, \"s\"); op swap(v) = let old = get in set(v); old; op both(v) = (set(v), get) }";
    assert_eq!(
        run_body(
            decls,
            "let a = await call K().swap(1) in let b = await call K().both(2) in (a, b)"
        ),
        vec![o(&[("K()", "2"), ("t", "completed ((0, \"s\"), ((), 2))")])]
    );
}

/// Entity-Op: an operation that ends in an error is rolled back — state and signals — while
/// its extern calls stay made; the caller's future gets the error.
#[test]
fn entity_op_rollback() {
    let decls = format!(
        "{COUNTER}
extern X: [\"ok\"]
entity E {{
  init 0;
  op bad(x) = set(get + 1); signal C().add(1); let r = await call X(x) in fail((\"no\", r));
  op good(x) = set(get + x); signal C().add(x); await call X(x);
  op get(_) = get
}}"
    );
    assert_eq!(
        run_body(
            &decls,
            "let r = try await call E().bad(7) catch e -> e in (r, await call E().get())"
        ),
        vec![o(&[
            ("E()", "0"),
            ("extern X", "[7]"),
            ("t", "completed ((\"no\", \"ok\"), 0)")
        ])]
    );
    // The same operation without the error: state, signal and extern call all happen.
    assert_eq!(
        run_body(&decls, "await call E().good(7)"),
        vec![o(&[
            ("C()", "7"),
            ("E()", "7"),
            ("extern X", "[7]"),
            ("t", "completed \"ok\"")
        ])]
    );
    // A signalled operation that fails: no one to tell; rolled back all the same.
    let text = format!("{decls}\nscenario s {{ signal E().bad(1); signal E().good(2) }}");
    assert_eq!(
        hl(&text, "s"),
        vec![o(&[("C()", "2"), ("E()", "2"), ("extern X", "[1, 2]")])]
    );
}

/// Entity-Op: a request for an unknown operation fails with `operation:` at the caller's
/// await; a signal of one changes nothing.
#[test]
fn entity_unknown_operation() {
    let text = format!(
        "{COUNTER}
orchestration O() = let r = try await call C().frob(1) catch e -> e in (r, await call C().get())
scenario s {{ signal C().add(2); signal C().frob(1); signal C().add(3); start t = O() }}"
    );
    assert_eq!(
        hl(&text, "s"),
        expected(vec![
            o(&[
                ("C()", "5"),
                (
                    "t",
                    &completed(&format!(
                        "({}, 5)",
                        dq("operation: entity `C` has no operation `frob`")
                    ))
                ),
            ]),
            o(&[
                ("C()", "5"),
                (
                    "t",
                    &completed(&format!(
                        "({}, 2)",
                        dq("operation: entity `C` has no operation `frob`")
                    ))
                ),
            ]),
            o(&[
                ("C()", "5"),
                (
                    "t",
                    &completed(&format!(
                        "({}, 0)",
                        dq("operation: entity `C` has no operation `frob`")
                    ))
                ),
            ])
        ])
    );
}

/// Entity-Op: an entity may signal entities, itself included; its signals have the entity as
/// origin (FIFO per origin).
#[test]
fn entity_signals_entity() {
    let text = format!(
        "{LOG}
entity F {{ init 0; op fwd(n) = set(get + n); signal L().app(n); signal L().app(n * 10); op twice(n) = signal F().fwd(n); signal F().fwd(n) }}
scenario s {{ signal F().fwd(1) }}
scenario self_signal {{ signal F().twice(2) }}
scenario two_origins {{ signal F().fwd(1); signal L().app(0) }}"
    );
    assert_eq!(hl(&text, "s"), vec![o(&[("F()", "1"), ("L()", "[1, 10]")])]);
    assert_eq!(
        hl(&text, "self_signal"),
        vec![o(&[("F()", "4"), ("L()", "[2, 20, 2, 20]")])]
    );
    assert_eq!(
        hl(&text, "two_origins"),
        expected(vec![
            o(&[("F()", "1"), ("L()", "[0, 1, 10]")]),
            o(&[("F()", "1"), ("L()", "[1, 0, 10]")]),
            o(&[("F()", "1"), ("L()", "[1, 10, 0]")]),
        ])
    );
}

/// Activity-Step, Activity-Complete: `choose` in an activity models the environment (both
/// results reachable); each declared reply of an extern is reachable; extern calls show in the
/// outcome, per service, as the sorted list of their arguments (repeats included).
#[test]
fn activity_nondeterminism_and_externs() {
    let decls = "extern X: [1, 2, 3]
extern Y: [()]
activity Coin() = choose([\"heads\", \"tails\"])
activity Ask(q) = await call X(q)
activity Many() = await call Y(3); await call Y(1); await call Y(2); await call Y(1); await call X(\"b\")";
    assert_eq!(
        run_body(decls, "await call Coin()"),
        expected(vec![
            o(&[("t", "completed \"heads\"")]),
            o(&[("t", "completed \"tails\"")]),
        ])
    );
    assert_eq!(
        run_body(decls, "await call Ask(\"q\")"),
        expected(
            (1..=3)
                .map(|r| o(&[("extern X", "[\"q\"]"), ("t", &completed(&r.to_string()))]))
                .collect()
        )
    );
    let many = run_body(decls, "await call Many(); await call Ask(\"a\"); 0");
    assert_eq!(
        many,
        vec![o(&[
            ("extern X", "[\"a\", \"b\"]"),
            ("extern Y", "[1, 1, 2, 3]"),
            ("t", "completed 0")
        ])]
    );
}

/// Entity-Op: `choose` in an entity operation models the environment too: every choice is
/// reachable.
#[test]
fn entity_choose() {
    let decls = "entity D { init 0; op roll(_) = set(choose([1, 2, 3])); get }";
    assert_eq!(
        run_body(decls, "await call D().roll()"),
        expected(
            (1..=3)
                .map(|k| o(&[("D()", &k.to_string()), ("t", &completed(&k.to_string()))]))
                .collect()
        )
    );
}

/// Activity-Complete: an activity's error is raised at the caller's await and is not retried
/// (its extern call is made once); a `try` with a matching pattern catches it, a handler whose
/// pattern does not match re-raises the original error.
#[test]
fn activity_error_not_retried() {
    let decls = "extern X: [()]
activity A() = await call X(\"once\"); fail((404, \"not found\"))";
    assert_eq!(
        run_body(decls, "try await call A() catch (code, msg) -> msg"),
        vec![o(&[
            ("extern X", "[\"once\"]"),
            ("t", "completed \"not found\"")
        ])]
    );
    assert_eq!(
        run_body(
            decls,
            "try (try await call A() catch (a, b, c) -> \"three\") catch e -> (\"outer\", e)"
        ),
        vec![o(&[
            ("extern X", "[\"once\"]"),
            ("t", "completed (\"outer\", (404, \"not found\"))")
        ])]
    );
    assert_eq!(
        run_body(decls, "try await call A() catch () -> 0"),
        vec![o(&[
            ("extern X", "[\"once\"]"),
            ("t", "failed (404, \"not found\")")
        ])]
    );
    assert_eq!(
        run_body(decls, "await call A()"),
        vec![o(&[
            ("extern X", "[\"once\"]"),
            ("t", "failed (404, \"not found\")")
        ])]
    );
}

/// Activity-Timeout (option `timeouts`): an activity not yet completed may complete with
/// `"timeout"` instead — before or after its extern call, which then stays in the outcome.
/// Without the option there is no timeout.
#[test]
fn activity_timeout() {
    let text = "extern X: [10]
activity A() = let r = await call X(1) in r + 1
orchestration O() = await call A()
orchestration Q() = try await call A() catch e -> (\"caught\", e)
scenario plain { start t = O() }
scenario timed [timeouts] { start t = O() }
scenario caught [timeouts] { start t = Q() }";
    assert_eq!(
        hl(text, "plain"),
        vec![o(&[("extern X", "[1]"), ("t", "completed 11")])]
    );
    assert_eq!(
        hl(text, "timed"),
        expected(vec![
            o(&[("extern X", "[1]"), ("t", "completed 11")]),
            o(&[("extern X", "[1]"), ("t", "failed \"timeout\"")]),
            o(&[("t", "failed \"timeout\"")]),
        ])
    );
    assert_eq!(
        hl(text, "caught"),
        expected(vec![
            o(&[("extern X", "[1]"), ("t", "completed 11")]),
            o(&[
                ("extern X", "[1]"),
                ("t", "completed (\"caught\", \"timeout\")")
            ]),
            o(&[("t", "completed (\"caught\", \"timeout\")")]),
        ])
    );
}

/// Deliver: a result for a finished instance is dropped — no crash, the outcome unchanged;
/// the unawaited activity still runs (its extern call shows) and the unawaited entity call is
/// still served.
#[test]
fn deliver_to_finished_instance_is_dropped() {
    let text = format!(
        "{COUNTER}
extern X: [\"r\"]
activity A() = await call X(1)
orchestration O() = call A(); call C().add(1); \"done\"
orchestration F() = call A(); call C().add(1); fail(\"early\")
scenario s {{ start t = O() }}
scenario failing {{ start t = F() }}"
    );
    assert_eq!(
        hl(&text, "s"),
        vec![o(&[
            ("C()", "1"),
            ("extern X", "[1]"),
            ("t", "completed \"done\"")
        ])]
    );
    assert_eq!(
        hl(&text, "failing"),
        vec![o(&[
            ("C()", "1"),
            ("extern X", "[1]"),
            ("t", &failed("early"))
        ])]
    );
}

/// Continue-As-New: a loop's final outcome; what an execution sent before `continue` is sent;
/// `continue` cannot be caught; the instance stays the same origin (FIFO across executions).
#[test]
fn continue_as_new_loop() {
    let text = format!(
        "{LOG}
orchestration Loop(n) = if n < 3 then (signal L().app(n); continue Loop(n + 1)) else n
orchestration Catch(n) = if n == 0 then (try continue Catch(1) catch e -> \"caught\") else \"next\"
scenario loop {{ start t = Loop(0) }}
scenario caught {{ start t = Catch(0) }}"
    );
    assert_eq!(
        hl(&text, "loop"),
        vec![o(&[("L()", "[0, 1, 2]"), ("t", "completed 3")])]
    );
    assert_eq!(hl(&text, "caught"), vec![o(&[("t", "completed \"next\"")])]);
}

/// Continue-As-New and Deliver: a response to a future of an older execution is dropped. Each
/// execution's first future has number 0, so an implementation that ignored the execution
/// number would let execution 0's unawaited activity (or entity call) resolve execution 1's
/// future 0, and the outcome would show "stale".
#[test]
fn continue_as_new_drops_stale_responses() {
    let text = "extern X: [()]
activity Slow(x) = await call X(x); x
activity Fast(x) = x
entity Echo { init (); op echo(x) = x }
orchestration A(n) = if n == 0 then (call Slow(\"stale\"); continue A(1)) else await call Fast(\"fresh\")
orchestration E(n) = if n == 0 then (call Echo().echo(\"stale\"); continue E(1)) else await call Echo().echo(\"fresh\")
orchestration M(n) = if n == 0 then (call Slow(\"stale\"); continue M(1)) else await call Echo().echo(\"fresh\")
scenario via_activity { start t = A(0) }
scenario via_entity { start t = E(0) }
scenario mixed { start t = M(0) }";
    assert_eq!(
        hl(text, "via_activity"),
        vec![o(&[
            ("extern X", "[\"stale\"]"),
            ("t", "completed \"fresh\"")
        ])]
    );
    assert_eq!(
        hl(text, "via_entity"),
        vec![o(&[("Echo()", "()"), ("t", "completed \"fresh\"")])]
    );
    assert_eq!(
        hl(text, "mixed"),
        vec![o(&[
            ("Echo()", "()"),
            ("extern X", "[\"stale\"]"),
            ("t", "completed \"fresh\"")
        ])]
    );
}

/// Canon-Execution: a continue-as-new loop whose iterations are unbounded keeps a finite state
/// space — the check completes, with the exact outcomes — because the execution number is
/// renumbered 0 whenever no older message is in flight. A stale message in flight keeps the
/// number until it is gone.
#[test]
fn canon_execution_keeps_loops_finite() {
    let text = format!(
        "{COUNTER}
extern X: [()]
activity Coin() = choose([true, false])
activity Slow() = await call X(()); ()
orchestration Loop(k) = let again = await call Coin() in if again then continue Loop(k) else \"done\"
orchestration Flip(k) = let v = await call C().get() in if v < 2 then (signal C().add(1); continue Flip(k)) else v
orchestration Stale(n) = if n == 0 then (call Slow(); continue Stale(1)) else (let again = await call Coin() in if again then continue Stale(1) else \"done\")
scenario loop {{ start t = Loop(0) }}
scenario counter {{ start t = Flip(0) }}
scenario stale {{ start t = Stale(0) }}
scenario forever {{ start t = Loop(0); start u = Loop(1) }}"
    );
    assert_eq!(hl(&text, "loop"), vec![o(&[("t", "completed \"done\"")])]);
    assert_eq!(
        hl(&text, "counter"),
        vec![o(&[("C()", "2"), ("t", "completed 2")])]
    );
    assert_eq!(
        hl(&text, "stale"),
        vec![o(&[("extern X", "[()]"), ("t", "completed \"done\"")])]
    );
    for (name, checks, stuck, complete) in hl_verdicts(&text) {
        assert!(complete, "{name}: the exploration must complete");
        assert!(checks.is_empty(), "{name}: {checks:?}");
        assert_eq!(stuck, 0, "{name}");
    }
    // The state spaces are small: they do not grow with the iterations.
    let report = check_text(&text, "hl");
    for s in &report.scenarios {
        let m = &s.models[0];
        assert!(
            m.unique_states < 100 && m.max_depth < 30,
            "{}: {} states, depth {}",
            s.name,
            m.unique_states,
            m.max_depth
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Critical sections

/// A body, the entities its outcome shows (with their states) and its `lock-rule:` payload.
type LockCase = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// Lock-Rules: every level-1 rule, with the exact `lock-rule:` payload. The error is raised
/// at the orchestration; uncaught, the instance fails with it. Locks are released on the way
/// out (the entity's final state shows it was touched by the lock request only).
#[test]
fn lock_rule_violations() {
    let decls = format!(
        "{COUNTER}
activity A() = 5
orchestration N(n) = lock [C(1)] {{ continue N(n + 1) }}"
    );
    let cases: [LockCase; 9] = [
        (
            "lock [C(1)] { await call C(2).add(1) }",
            &[("C(1)", "0")],
            "lock-rule: call to C(2), which is not in the lock set",
        ),
        (
            "lock [C(1), C(2)] { signal C(2).add(1) }",
            &[("C(1)", "0"), ("C(2)", "0")],
            "lock-rule: signal to C(2), which is in the lock set",
        ),
        (
            "lock [C(1)] { let f = call C(1).add(1) in let g = call C(1).add(2) in await f }",
            &[("C(1)", "1")],
            "lock-rule: second call to C(1) while the first is still pending",
        ),
        (
            "lock [C(1)] { lock [C(2)] { 0 } }",
            &[("C(1)", "0")],
            "lock-rule: critical sections cannot nest",
        ),
        (
            "lock [C(1)] { lock [C(1)] { 0 } }",
            &[("C(1)", "0")],
            "lock-rule: critical sections cannot nest",
        ),
        (
            "lock [C(1)] { await call A() }",
            &[("C(1)", "0")],
            "lock-rule: activity `A` called inside a critical section (allowed with --lock-activities)",
        ),
        ("lock [] { 0 }", &[], "lock-rule: empty lock set"),
        (
            "lock [C(1), 7] { 0 }",
            &[],
            "lock-rule: a lock set holds entity ids, not an int",
        ),
        (
            "lock [\"C(1)\"] { 0 }",
            &[],
            "lock-rule: a lock set holds entity ids, not a string",
        ),
    ];
    for (body, entities, msg) in cases {
        let status = failed(msg);
        let mut pairs: Vec<(&str, &str)> = entities.to_vec();
        pairs.push(("t", &status));
        assert_eq!(run_body(&decls, body), vec![o(&pairs)], "{body}");
    }
    // `continue` inside a critical section.
    let text = format!("{decls}\nscenario s {{ start t = N(0) }}");
    assert_eq!(
        hl(&text, "s"),
        vec![o(&[
            ("C(1)", "0"),
            (
                "t",
                &failed("lock-rule: `continue` inside a critical section")
            )
        ])]
    );
    // Every one of these releases its locks: no violation, nothing stuck, nothing left locked.
    let text = format!(
        "{decls}
orchestration P() = lock [C(1), C(2)] {{ signal C(2).add(1) }}
scenario s {{ start t = P(); finally locked(C(1)) == () && locked(C(2)) == () }}"
    );
    assert_eq!(
        hl_verdicts(&text),
        vec![("s".to_string(), Vec::<String>::new(), 0, true)]
    );
}

/// Lock-Rules: the request that broke a rule is never sent, and `try` catches the error
/// inside or outside the critical section.
#[test]
fn lock_rule_requests_are_never_sent() {
    let decls = format!(
        "{COUNTER}
extern X: [()]
activity A() = await call X(\"sent\"); 1"
    );
    // Call outside the lock set, caught inside: C(2) is never touched.
    assert_eq!(
        run_body(
            &decls,
            "lock [C(1)] { let r = try call C(2).add(1) catch e -> e in (await call C(1).add(1); r) }"
        ),
        vec![o(&[
            ("C(1)", "1"),
            (
                "t",
                &completed(&dq("lock-rule: call to C(2), which is not in the lock set"))
            )
        ])]
    );
    // Signal inside the lock set, caught inside: the state stays 0.
    assert_eq!(
        run_body(
            &decls,
            "lock [C(1)] { let r = try signal C(1).add(5) catch e -> e in (r, await call C(1).get()) }"
        ),
        vec![o(&[
            ("C(1)", "0"),
            (
                "t",
                &completed(&format!(
                    "({}, 0)",
                    dq("lock-rule: signal to C(1), which is in the lock set")
                ))
            )
        ])]
    );
    // A second pending call: the first is served, the second never.
    assert_eq!(
        run_body(
            &decls,
            "lock [C(1)] { let f = call C(1).add(1) in let r = try call C(1).add(100) catch e -> \"no\" in (await f; (r, await call C(1).get())) }"
        ),
        vec![o(&[("C(1)", "1"), ("t", "completed (\"no\", 1)")])]
    );
    // An activity inside a lock is never started: no extern call.
    assert_eq!(
        run_body(
            &decls,
            "(try lock [C(1)] { await call A() } catch e -> \"caught\", await call C(1).get())"
        ),
        vec![o(&[("C(1)", "0"), ("t", "completed (\"caught\", 0)")])]
    );
}

/// Lock-Rules concern calls made inside the critical section: awaiting there an activity
/// called before it is fine.
#[test]
fn lock_may_await_earlier_activity() {
    let decls = format!("{COUNTER}\nactivity A() = 7");
    assert_eq!(
        run_body(
            &decls,
            "let f = call A() in lock [C()] { let v = await f in await call C().put(v); v }"
        ),
        vec![o(&[("C()", "7"), ("t", "completed 7")])]
    );
}

/// Lock-Rules: activities inside a critical section are allowed with `lock_activities`.
#[test]
fn lock_activities_option() {
    let text = format!(
        "{COUNTER}
extern X: [()]
activity A(n) = await call X(n); n * 2
orchestration O() = lock [C()] {{ let v = await call A(21) in await call C().put(v); v }}
scenario plain {{ start t = O() }}
scenario allowed [lock_activities] {{ start t = O() }}"
    );
    assert_eq!(
        hl(&text, "plain"),
        vec![o(&[
            ("C()", "0"),
            (
                "t",
                &failed("lock-rule: activity `A` called inside a critical section (allowed with --lock-activities)")
            )
        ])]
    );
    assert_eq!(
        hl(&text, "allowed"),
        vec![o(&[
            ("C()", "42"),
            ("extern X", "[21]"),
            ("t", "completed 42")
        ])]
    );
}

/// Lock-Acquire: the lock set is evaluated, de-duplicated and sorted; two orchestrations
/// locking the same entities in opposite written orders never deadlock.
#[test]
fn lock_sets_sorted_and_deduplicated() {
    let text = format!(
        "{COUNTER}
orchestration Up() = lock [C(1), C(2), C(1)] {{ let a = await call C(1).get() in await call C(2).put(a + 1); a }}
orchestration Down() = lock [C(2), C(1)] {{ let b = await call C(2).get() in await call C(1).put(b + 10); b }}
scenario s {{
  start u = Up(); start d = Down();
  always locked(C(2)) != \"u\" || locked(C(1)) == \"u\" || status(u) == \"completed\";
  always locked(C(2)) != \"d\" || locked(C(1)) == \"d\" || status(d) == \"completed\";
  sometimes locked(C(1)) == \"d\" && locked(C(2)) == ();
  finally locked(C(1)) == () && locked(C(2)) == ()
}}"
    );
    assert_eq!(
        hl(&text, "s"),
        expected(vec![
            // Up first: C(2) = 0 + 1, then Down reads 1 and writes C(1) = 11.
            o(&[
                ("C(1)", "11"),
                ("C(2)", "1"),
                ("d", "completed 1"),
                ("u", "completed 0")
            ]),
            // Down first: C(1) = 0 + 10, then Up reads 10 and writes C(2) = 11.
            o(&[
                ("C(1)", "10"),
                ("C(2)", "11"),
                ("d", "completed 0"),
                ("u", "completed 10")
            ]),
        ])
    );
    assert_eq!(
        hl_verdicts(&text),
        vec![("s".to_string(), Vec::<String>::new(), 0, true)]
    );
}

/// Lock interference: a client signal to an entity an orchestration has locked waits until
/// the release. Inside the lock the orchestration sets 100, reads it back and restores 0; the
/// client's `add(1)` is served before the lock or after the release, never in between.
#[test]
fn lock_holds_off_other_origins() {
    let text = format!(
        "{COUNTER}
orchestration O() = lock [C()] {{ await call C().put(100); let v = await call C().get() in await call C().put(0); v }}
orchestration Bare() = await call C().put(100); let v = await call C().get() in await call C().put(0); v
scenario locked_ {{
  start t = O(); signal C().add(1);
  always locked(C()) == \"t\" || state(C()) != 100;
  always state(C()) != 101;
  sometimes locked(C()) == \"t\"
}}
scenario unlocked {{
  start t = Bare(); signal C().add(1);
  always state(C()) != 101
}}"
    );
    assert_eq!(
        hl(&text, "locked_"),
        expected(vec![
            o(&[("C()", "0"), ("t", "completed 100")]),
            o(&[("C()", "1"), ("t", "completed 100")]),
        ])
    );
    // Without the lock the client's signal can land in the middle.
    assert_eq!(
        hl(&text, "unlocked"),
        expected(vec![
            o(&[("C()", "0"), ("t", "completed 100")]),
            o(&[("C()", "0"), ("t", "completed 101")]),
            o(&[("C()", "1"), ("t", "completed 100")]),
        ])
    );
    assert_eq!(
        hl_verdicts(&text),
        vec![
            ("locked_".to_string(), Vec::<String>::new(), 0, true),
            (
                "unlocked".to_string(),
                vec!["always state(C()) != 101".to_string()],
                0,
                true
            ),
        ]
    );
}

/// Entity-Serve, holder priority: while locked, only the owner's requests are served, ahead
/// of older requests of other origins queued before them. Client signals queued before the
/// lock request may or may not be served first; inside the lock both reads agree.
#[test]
fn lock_holder_priority() {
    let text = format!(
        "{COUNTER}
orchestration O() = lock [C()] {{ let a = await call C().get() in let b = await call C().get() in (a, b) }}
scenario s {{ signal C().add(1); signal C().add(1); start t = O(); signal C().add(1) }}"
    );
    assert_eq!(
        hl(&text, "s"),
        expected(
            (0..=3)
                .map(|k| o(&[("C()", "3"), ("t", &completed(&format!("({k}, {k})")))]))
                .collect()
        )
    );
}

/// Lock-Exit / Lock-Release on normal exit: a second orchestration and the client get the
/// entity afterwards; nothing stays locked. The release travels FIFO after the owner's
/// earlier requests, so an unawaited call made in the body is served before anyone else gets
/// the entity.
#[test]
fn lock_release_on_exit() {
    let text = format!(
        "{LOG}
orchestration O(x) = lock [L()] {{ await call L().app(x ++ \"1\"); call L().app(x ++ \"2\"); x }}
scenario two {{ start a = O(\"a\"); start b = O(\"b\"); finally locked(L()) == () }}
scenario client {{ start a = O(\"a\"); signal L().app(\"c\") }}"
    );
    assert_eq!(
        hl(&text, "two"),
        expected(vec![
            o(&[
                ("L()", "[\"a1\", \"a2\", \"b1\", \"b2\"]"),
                ("a", "completed \"a\""),
                ("b", "completed \"b\"")
            ]),
            o(&[
                ("L()", "[\"b1\", \"b2\", \"a1\", \"a2\"]"),
                ("a", "completed \"a\""),
                ("b", "completed \"b\"")
            ]),
        ])
    );
    assert_eq!(
        hl(&text, "client"),
        expected(vec![
            o(&[("L()", "[\"a1\", \"a2\", \"c\"]"), ("a", "completed \"a\"")]),
            o(&[("L()", "[\"c\", \"a1\", \"a2\"]"), ("a", "completed \"a\"")]),
        ])
    );
    assert_eq!(
        hl_verdicts(&text),
        vec![
            ("two".to_string(), Vec::<String>::new(), 0, true),
            ("client".to_string(), Vec::<String>::new(), 0, true),
        ]
    );
}

/// Lock-Exit / Lock-Release on an error leaving the body, caught by a `try` outside it: the
/// locks are released before the handler runs, so the orchestration (and the client) can use
/// the entity afterwards.
#[test]
fn lock_release_on_error() {
    let text = format!(
        "{COUNTER}
orchestration O() =
  let r = (try lock [C()] {{ await call C().add(1); fail(\"boom\") }} catch e -> e) in
  (r, await call C().get())
orchestration P() = lock [C()] {{ await call C().add(1); 1 / 0 }}
orchestration Q() = lock [C()] {{ await call C().add(2) }}
scenario s {{ start t = O(); signal C().add(10); finally locked(C()) == () }}
scenario uncaught {{ start p = P(); start q = Q() }}"
    );
    assert_eq!(
        hl(&text, "s"),
        expected(vec![
            o(&[("C()", "11"), ("t", "completed (\"boom\", 1)")]),
            o(&[("C()", "11"), ("t", "completed (\"boom\", 11)")]),
        ])
    );
    // An uncaught error fails the instance, and the lock is released for the next one.
    assert_eq!(
        hl(&text, "uncaught"),
        vec![o(&[
            ("C()", "3"),
            ("p", &failed("arithmetic: division by zero")),
            ("q", "completed ()")
        ])]
    );
    for (name, checks, stuck, complete) in hl_verdicts(&text) {
        assert!(
            complete && checks.is_empty() && stuck == 0,
            "{name}: {checks:?}, {stuck} stuck"
        );
    }
}

/// Lock-Grant / Lock-Forward: the request travels through the sorted set; the last entity
/// answers. Partial acquisition is observable, and the orchestration's own signal sent
/// before the lock is served before the lock is granted (the forwarded request keeps the
/// orchestration as its origin, FIFO).
#[test]
fn lock_grant_and_forward() {
    let text = format!(
        "{COUNTER}
orchestration O() = signal C(2).add(5); lock [C(2), C(1)] {{ await call C(2).get() }}
scenario s {{
  start t = O();
  sometimes locked(C(1)) == \"t\" && locked(C(2)) == ();
  sometimes locked(C(1)) == \"t\" && locked(C(2)) == \"t\";
  always locked(C(2)) != \"t\" || state(C(2)) == 5
}}"
    );
    assert_eq!(
        hl(&text, "s"),
        vec![o(&[("C(1)", "0"), ("C(2)", "5"), ("t", "completed 5")])]
    );
    assert_eq!(
        hl_verdicts(&text),
        vec![("s".to_string(), Vec::<String>::new(), 0, true)]
    );
}

// ---------------------------------------------------------------------------------------------
// §4 What is observed (used by the properties above)

/// Observers: `status` goes absent → running → completed/failed, `result` is `()` until the
/// instance finishes, `state` of an untouched entity is its `init`, `locked` is `()` when no
/// one holds the lock. Each property below would be violated by a wrong observer.
#[test]
fn observers() {
    let text = format!(
        "{COUNTER}
activity A() = 1
orchestration Ok() = await call A()
orchestration Bad() = await call A(); fail(\"x\")
scenario s {{
  start t = Ok(); start u = Bad();
  always status(t) == \"absent\" || status(t) == \"running\" || (status(t) == \"completed\" && result(t) == 1);
  always status(t) != \"running\" || result(t) == ();
  always status(u) != \"completed\";
  sometimes status(u) == \"absent\";
  sometimes status(t) == \"running\";
  finally status(u) == \"failed\" && result(u) == \"x\";
  finally state(C(9)) == 0 && locked(C(9)) == ();
  always status(\"nobody\") == \"absent\" && result(\"nobody\") == ();
  finally result(t) == 2
}}"
    );
    assert_eq!(
        hl_verdicts(&text),
        vec![(
            "s".to_string(),
            vec!["finally result(t) == 2".to_string()],
            0,
            true
        )]
    );
}
