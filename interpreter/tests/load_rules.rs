//! Every load-time rule of LANGUAGE.md §2–§5 (and the loader's own scenario rules, recorded in
//! docs/language.md): a small spec that breaks it must be rejected with a located message — the
//! rendered error names `rules.dfl:LINE:COL` of the offending construct, shows that line with a
//! caret under the column, and says which rule was broken.

use durable_interpreter::diagnostic::{SourceFile, SpecErrors};
use durable_interpreter::load::{load, Spec};

const FILE: &str = "rules.dfl";

/// Declarations most tests build on. None of the needles the tests look for occur in it.
const BASE: &str = "\
activity Act(x) = x
orchestration Orc(x) = x
entity Ent { init 0; op get(_) = get; op put(v) = set(v) }
extern Ext: [1, 2]
";

fn with_base(rest: &str) -> String {
    format!("{BASE}{rest}\n")
}

#[track_caller]
fn loads(text: &str) -> Spec {
    match load(SourceFile::new(FILE, text)) {
        Ok(spec) => spec,
        Err(e) => panic!("expected this spec to load:\n{text}\nbut:\n{e}"),
    }
}

#[track_caller]
fn errors(text: &str) -> SpecErrors {
    match load(SourceFile::new(FILE, text)) {
        Ok(_) => panic!("expected a load error, but this spec loaded:\n{text}"),
        Err(e) => e,
    }
}

/// 1-based line and column of the only occurrence of `needle` in `text` (after [`BASE`], when
/// `text` starts with it).
#[track_caller]
fn pos(text: &str, needle: &str) -> (usize, usize) {
    let skip = if text.starts_with(BASE) {
        BASE.len()
    } else {
        0
    };
    let found: Vec<usize> = text[skip..]
        .match_indices(needle)
        .map(|(i, _)| skip + i)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "the needle {needle:?} must occur exactly once in:\n{text}"
    );
    let before = &text[..found[0]];
    let line = before.matches('\n').count() + 1;
    let col = found[0] - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// The rendered diagnostics, one block per error (each starts with `error: `).
fn blocks(rendered: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in rendered.lines() {
        if line.starts_with("error") || out.is_empty() {
            out.push(String::new());
        }
        let last = out.last_mut().expect("a block");
        last.push_str(line);
        last.push('\n');
    }
    out
}

/// Asserts that `errs` holds an error at `line:col` whose headline contains `message`, rendered
/// with the offending line, a caret under the column, and `rule` (in its label or notes).
#[track_caller]
fn assert_located(
    text: &str,
    errs: &SpecErrors,
    (line, col): (usize, usize),
    message: &str,
    rule: &str,
) {
    assert_eq!(
        errs.to_string(),
        errs.rendered.trim_end(),
        "Display is the rendering"
    );
    assert!(!errs.rendered.is_empty(), "an error is rendered");
    let loc = format!("{FILE}:{line}:{col}");
    let all = blocks(&errs.rendered);
    let Some(block) = all.iter().find(|b| {
        let mut lines = b.lines();
        let head = lines.next().unwrap_or("");
        let at = lines.next().unwrap_or("");
        head.starts_with("error: ") && head.contains(message) && at.trim() == format!("--> {loc}")
    }) else {
        panic!("no error containing {message:?} at {loc}; the spec:\n{text}\nthe errors:\n{errs}");
    };
    // The offending line, after a gutter with its number, then the caret line.
    let src = text.lines().nth(line - 1).expect("the line exists");
    let lines: Vec<&str> = block.lines().collect();
    let row = lines
        .iter()
        .position(|l| {
            l.split_once(" | ")
                .is_some_and(|(g, rest)| g.trim() == line.to_string() && rest == src)
        })
        .unwrap_or_else(|| panic!("the line {line} is not shown in:\n{block}"));
    let gutter = lines[row].find(" | ").expect("a gutter") + 3;
    let caret = lines.get(row + 1).copied().unwrap_or("");
    let under = caret.get(gutter..).unwrap_or("");
    assert!(
        under.starts_with(&format!("{}^", " ".repeat(col - 1))),
        "the caret is not under column {col}:\n{block}"
    );
    assert!(
        block.contains(rule),
        "the error does not name the rule {rule:?}:\n{block}"
    );
}

/// Loads `text`, which must fail with exactly one error, at the start of `at`.
#[track_caller]
fn only_error(text: &str, at: &str, message: &str, rule: &str) -> SpecErrors {
    let errs = errors(text);
    assert_eq!(
        errs.diagnostics.len(),
        1,
        "expected exactly one error for:\n{text}\ngot:\n{errs}"
    );
    assert_located(text, &errs, pos(text, at), message, rule);
    errs
}

// ---- the helpers themselves --------------------------------------------------------------

#[test]
fn the_helpers_check_the_exact_position() {
    let text = with_base("activity Bad(x) = qq");
    let errs = only_error(&text, "qq", "unknown name `qq`", "not a variable in scope");
    // The same error one column off is not accepted.
    let (line, col) = pos(&text, "qq");
    assert_eq!((line, col), (5, 19));
    let moved = std::panic::catch_unwind(|| {
        assert_located(&text, &errs, (line, col + 1), "unknown name", "")
    });
    assert!(moved.is_err());
    assert!(errs.rendered.contains("rules.dfl:5:19"), "{errs}");
    assert!(errs.rendered.contains("5 | activity Bad(x) = qq"), "{errs}");
    assert!(
        errs.rendered
            .contains("|                   ^^ not a variable"),
        "{errs}"
    );
    // The base loads: every other test breaks exactly one rule.
    loads(BASE);
}

// ---- LANGUAGE.md §4: the restriction table ----------------------------------------------

/// Where a construct is written, as a fragment of a spec and its context's name in messages.
struct Place {
    /// Completes a spec with `{}` standing for the construct.
    template: &'static str,
    context: &'static str,
}

const ACTIVITY: Place = Place {
    template: "activity Bad(y) = {}",
    context: "in an activity",
};
const ORCHESTRATION: Place = Place {
    template: "orchestration Bad(y) = {}",
    context: "in an orchestration",
};
const ENTITY_OP: Place = Place {
    template: "entity Bad { init 0; op f(y) = {} }",
    context: "in an entity operation",
};
const DEF: Place = Place {
    template: "def bad(y) = {}",
    context: "in a def",
};
const START_ARG: Place = Place {
    template: "scenario s { start t = Orc({}) }",
    context: "in a scenario",
};
const INIT_VALUE: Place = Place {
    template: "scenario s { init Ent(1) = {} }",
    context: "in a scenario",
};
const SIGNAL_ARG: Place = Place {
    template: "scenario s { signal Ent(1).put({}) }",
    context: "in a scenario",
};
const RAISE_ARG: Place = Place {
    template: "scenario s { start t = Orc(1); raise t go({}) }",
    context: "in a scenario",
};
const ENTITY_KEY: Place = Place {
    template: "scenario s { init Ent({}) = 0 }",
    context: "in a scenario",
};
const PROPERTY: Place = Place {
    template: "scenario s { start t = Orc(1); always {} == 1 }",
    context: "in a property",
};
const ENTITY_INIT: Place = Place {
    template: "entity Bad { init {}; op f(y) = y }",
    context: "in an entity's init",
};

/// Every scenario expression a construct can be written in.
const SCENARIO_EXPRESSIONS: [&Place; 5] = [
    &START_ARG,
    &INIT_VALUE,
    &SIGNAL_ARG,
    &RAISE_ARG,
    &ENTITY_KEY,
];

/// `construct` written at `place` is exactly one error, located at the construct, naming it,
/// the context, and where it may appear.
#[track_caller]
fn forbidden(place: &Place, construct: &str, text: &str, allowed_in: &str) {
    let spec = with_base(&place.template.replace("{}", construct));
    only_error(
        &spec,
        construct.trim_start_matches('('),
        &format!("{text} is not allowed {}", place.context),
        allowed_in,
    );
}

#[track_caller]
fn allowed(place: &Place, construct: &str) {
    loads(&with_base(&place.template.replace("{}", construct)));
}

#[test]
fn await_is_forbidden_in_scenario_expressions_and_properties() {
    for place in SCENARIO_EXPRESSIONS
        .into_iter()
        .chain([&PROPERTY, &ENTITY_INIT])
    {
        forbidden(
            place,
            "await 1",
            "`await`",
            "`await` may appear only in activities, orchestrations and entity operations",
        );
    }
    for place in [&ACTIVITY, &ORCHESTRATION, &ENTITY_OP] {
        allowed(place, "await y");
    }
}

#[test]
fn call_of_an_activity_is_only_for_orchestrations() {
    for place in [&ACTIVITY, &ENTITY_OP, &START_ARG, &PROPERTY] {
        forbidden(
            place,
            "call Act(1)",
            "`call` of an activity",
            "may appear only in orchestrations",
        );
    }
    allowed(&ORCHESTRATION, "call Act(1)");
}

#[test]
fn call_of_an_orchestration_is_only_for_orchestrations() {
    for place in [&ACTIVITY, &ENTITY_OP, &SIGNAL_ARG] {
        forbidden(
            place,
            "call Orc(1)",
            "`call` of an orchestration",
            "may appear only in orchestrations",
        );
    }
    allowed(&ORCHESTRATION, "call Orc(1)");
}

#[test]
fn call_of_an_entity_operation_is_only_for_orchestrations() {
    for place in [&ACTIVITY, &ENTITY_OP, &INIT_VALUE] {
        forbidden(
            place,
            "call Ent(1).get()",
            "`call` of an entity operation",
            "may appear only in orchestrations (entities may only signal entities)",
        );
    }
    // Through a variable holding the id, too.
    forbidden(
        &ENTITY_OP,
        "call y.get()",
        "`call` of an entity operation",
        "entities may only signal entities",
    );
    allowed(&ORCHESTRATION, "call Ent(1).get()");
}

#[test]
fn signal_is_only_for_orchestrations_and_entity_operations() {
    for place in [&ACTIVITY, &START_ARG, &RAISE_ARG] {
        forbidden(
            place,
            "signal Ent(1).put(2)",
            "`signal`",
            "`signal` may appear only in orchestrations and entity operations",
        );
    }
    allowed(&ORCHESTRATION, "signal Ent(1).put(2)");
    allowed(&ENTITY_OP, "signal Ent(1).put(2)");
}

#[test]
fn call_of_an_extern_is_only_for_activities_and_entity_operations() {
    for place in [&ORCHESTRATION, &START_ARG] {
        forbidden(
            place,
            "call Ext(1)",
            "`call` of an extern",
            "may appear only in activities and entity operations",
        );
    }
    allowed(&ACTIVITY, "call Ext(1)");
    allowed(&ENTITY_OP, "call Ext(1)");
}

#[test]
fn continue_is_only_for_orchestrations() {
    for place in [&ACTIVITY, &ENTITY_OP, &START_ARG] {
        forbidden(
            place,
            "continue Orc(1)",
            "`continue`",
            "`continue` may appear only in orchestrations",
        );
    }
    allowed(&ORCHESTRATION, "continue Bad(1)");
}

#[test]
fn continue_must_name_its_own_orchestration() {
    let text = with_base("orchestration Bad(y) = continue Orc(y)");
    only_error(
        &text,
        "Orc(y)",
        "`continue Orc` in orchestration `Bad`",
        "`continue` must name the orchestration it appears in: `continue Bad(...)`",
    );
    // An unknown name is the same error.
    let text = with_base("orchestration Bad(y) = continue Nope(y)");
    only_error(
        &text,
        "Nope(y)",
        "`continue Nope` in orchestration `Bad`",
        "must name the orchestration it appears in",
    );
}

#[test]
fn get_and_set_are_only_for_entity_operations() {
    for place in [&ORCHESTRATION, &ACTIVITY, &START_ARG] {
        forbidden(
            place,
            "get",
            "`get` or `set`",
            "`get` or `set` may appear only in entity operations",
        );
        forbidden(
            place,
            "set(1)",
            "`get` or `set`",
            "may appear only in entity operations",
        );
    }
    allowed(&ENTITY_OP, "set(get + 1)");
}

#[test]
fn lock_is_only_for_orchestrations() {
    for place in [&ACTIVITY, &ENTITY_OP, &START_ARG] {
        forbidden(
            place,
            "(lock [Ent(1)] { 1 })",
            "`lock`",
            "`lock` may appear only in orchestrations",
        );
    }
    // The error points at the `lock` itself, not at the parenthesis.
    let text = with_base("activity Bad(y) = lock [Ent(1)] { 1 }");
    only_error(
        &text,
        "lock [",
        "`lock` is not allowed in an activity",
        "§4",
    );
    allowed(&ORCHESTRATION, "lock [Ent(1)] { 1 }");
}

#[test]
fn level_2_forms_are_only_for_orchestrations() {
    let forms = [
        ("timer(1)", "timer"),
        ("event(\"go\")", "event"),
        ("await_all([])", "await_all"),
        ("await_any([1])", "await_any"),
        ("now()", "now"),
    ];
    for (form, keyword) in forms {
        for place in [&ACTIVITY, &ENTITY_OP, &START_ARG, &PROPERTY] {
            forbidden(
                place,
                form,
                &format!("`{keyword}`"),
                &format!("`{keyword}` may appear only in orchestrations"),
            );
        }
        allowed(&ORCHESTRATION, form);
    }
}

#[test]
fn choose_is_forbidden_in_scenario_expressions_and_properties() {
    for place in SCENARIO_EXPRESSIONS
        .into_iter()
        .chain([&PROPERTY, &ENTITY_INIT])
    {
        forbidden(
            place,
            "choose([1, 2])",
            "`choose`",
            "`choose` may appear only in",
        );
    }
    for place in [&ACTIVITY, &ENTITY_OP, &DEF] {
        allowed(place, "choose([1, 2])");
    }
}

#[test]
fn observers_exist_only_in_properties() {
    // Elsewhere `status` is an ordinary identifier: unknown unless bound.
    for place in [&ACTIVITY, &ORCHESTRATION, &ENTITY_OP, &DEF, &START_ARG] {
        let text = with_base(&place.template.replace("{}", "status(1)"));
        only_error(
            &text,
            "status(1)",
            "unknown name `status`",
            "not a variable in scope or a def",
        );
    }
    let text = with_base("orchestration Bad(y) = state(Ent(1))");
    only_error(
        &text,
        "state(",
        "unknown name `state`",
        "only in properties",
    );
    // Bound, it is a variable like any other.
    loads(&with_base("orchestration Bad(status) = status(1)"));
    loads(&with_base("activity Bad(y) = let locked = y in locked"));
    // In a property it observes.
    loads(&with_base(
        "scenario s { start t = Orc(1); finally status(t) == \"completed\" && result(t) == 1 \
         && state(Ent(1)) == 0 && locked(Ent(1)) == () }",
    ));
}

// ---- LANGUAGE.md §2: declarations and defs ---------------------------------------------

#[test]
fn a_def_uses_only_pure_code() {
    let constructs = [
        ("await y", "`await`"),
        ("call Act(y)", "`call` of an activity"),
        ("call Orc(y)", "`call` of an orchestration"),
        ("call Ent(y).get()", "`call` of an entity operation"),
        ("call Ext(y)", "`call` of an extern"),
        ("signal Ent(y).put(1)", "`signal`"),
        ("continue Orc(y)", "`continue`"),
        ("get", "`get` or `set`"),
        ("set(y)", "`get` or `set`"),
        ("lock [y] { 1 }", "`lock`"),
        ("timer(y)", "`timer`"),
        ("event(y)", "`event`"),
        ("await_all(y)", "`await_all`"),
        ("await_any(y)", "`await_any`"),
        ("now()", "`now`"),
    ];
    for (construct, text) in constructs {
        forbidden(
            &DEF,
            construct,
            text,
            "a def may use only pure code, builtins, `fail`, `try` and other defs",
        );
    }
    // In a curried def's body too.
    let text = with_base("def bad(a)(b) = a + await b");
    only_error(
        &text,
        "await b",
        "`await` is not allowed in a def",
        "LANGUAGE.md §2",
    );
    // What a def may use.
    loads(&with_base(
        "def ok(n) = try (if n > 0 then len([n]) + ok(n - 1) else fail(\"no\")) catch e -> \
         choose([0, 1])\ndef twice(f)(x) = f(f(x))",
    ));
}

#[test]
fn function_names_are_unique_across_kinds() {
    let text = with_base("entity Act { init 0 }");
    let errs = only_error(
        &text,
        "Act { init 0 }",
        "`Act` is declared twice",
        "first declared at rules.dfl:1:10",
    );
    assert!(errs.rendered.contains("names are unique across activities"));
    let text = with_base("extern Orc: [1]");
    only_error(
        &text,
        "Orc: [1]",
        "`Orc` is declared twice",
        "rules.dfl:2:15",
    );
    let text = with_base("orchestration Ent(y) = y");
    only_error(
        &text,
        "Ent(y) = y",
        "`Ent` is declared twice",
        "rules.dfl:3:8",
    );
    let text = with_base("activity Ext(y) = y");
    only_error(
        &text,
        "Ext(y) = y",
        "`Ext` is declared twice",
        "rules.dfl:4:8",
    );
}

#[test]
fn defs_are_declared_once() {
    let text = with_base("def twice(y) = y\ndef twice(a)(b) = a");
    only_error(
        &text,
        "twice(a)",
        "`twice` is declared twice",
        "first declared at rules.dfl:5:5",
    );
}

#[test]
fn builtin_names_cannot_be_bound_or_redefined() {
    let cases = [
        ("activity Bad(y) = let len = y in y", "len = y"),
        ("activity Bad(y) = fun head -> y", "head -> y"),
        ("activity Bad(len) = 1", "len) = 1"),
        ("activity Bad((a, nth)) = a", "nth)) = a"),
        ("orchestration Bad(y) = let (show, b) = y in b", "show, b"),
        ("orchestration Bad(y) = let rec min(z) = z in y", "min(z)"),
        ("orchestration Bad(y) = let rec f(abs) = 1 in y", "abs) = 1"),
        (
            "orchestration Bad(y) = try y catch choose -> 1",
            "choose -> 1",
        ),
        ("entity Bad { init 0; op f(tail) = 1 }", "tail) = 1"),
    ];
    for (decl, at) in cases {
        let name = at.split(|c: char| !c.is_alphanumeric()).next().unwrap();
        only_error(
            &with_base(decl),
            at,
            &format!("`{name}` is a builtin and cannot be bound"),
            "builtin names are reserved",
        );
    }
    only_error(
        &with_base("def max(y) = y"),
        "max(y)",
        "`max` is a builtin and cannot be redefined",
        "builtin names are reserved",
    );
}

#[test]
fn a_def_cannot_be_named_like_an_observer() {
    for observer in ["status", "result", "state", "locked"] {
        let text = with_base(&format!("def {observer}(y) = y"));
        only_error(
            &text,
            &format!("{observer}(y)"),
            &format!("a def cannot be named `{observer}`"),
            "the observers of properties",
        );
    }
}

#[test]
fn an_observer_cannot_be_shadowed_in_a_property() {
    let cases = [
        ("always let status = 1 in status == 1", "status = 1"),
        ("always (fun result -> result)(1) == 1", "result -> result"),
        ("finally let (a, state) = (1, 2) in a == 1", "state) ="),
        ("sometimes let rec locked(x) = x in true", "locked(x)"),
    ];
    for (property, at) in cases {
        let name = at.split(|c: char| !c.is_alphanumeric()).next().unwrap();
        let text = with_base(&format!("scenario s {{ start t = Orc(1); {property} }}"));
        only_error(
            &text,
            at,
            &format!("`{name}` cannot be shadowed in a property"),
            "it is an observer here",
        );
    }
    // Unapplied, an observer is an error too.
    let text = with_base("scenario s { always status == 1 }");
    only_error(
        &text,
        "status ==",
        "the observer `status` must be applied",
        "write `status(...)`",
    );
}

// ---- LANGUAGE.md §3: names ----------------------------------------------------------------

#[test]
fn unknown_names_are_errors() {
    only_error(
        &with_base("activity Bad(y) = y + zz"),
        "zz",
        "unknown name `zz`",
        "not a variable in scope or a def",
    );
    // Scopes end: a let-bound name is not visible after its body.
    only_error(
        &with_base("activity Bad(y) = (let a = 1 in a) + a"),
        "a\n",
        "unknown name `a`",
        "not a variable in scope",
    );
    only_error(
        &with_base("scenario s { start t = Orc(1); always result(u) == 1 }"),
        "u)",
        "unknown name `u`",
        "not a variable, a def or an instance started by this scenario",
    );
    only_error(
        &with_base("orchestration Bad(y) = call Nope(y)"),
        "Nope(y)",
        "unknown function `Nope`",
        "no activity, orchestration or extern of this name is declared",
    );
    only_error(
        &with_base("orchestration Bad(y) = signal Nope(y).f()"),
        "Nope(y)",
        "unknown entity `Nope`",
        "no entity of this name is declared",
    );
    only_error(
        &with_base("orchestration Bad(y) = Nope(y)"),
        "Nope(y)",
        "unknown entity `Nope`",
        "no entity of this name is declared",
    );
    only_error(
        &with_base("scenario s { init Nope(1) = 0 }"),
        "Nope(1)",
        "unknown entity `Nope`",
        "no entity of this name is declared",
    );
    only_error(
        &with_base("scenario s { start t = Nope(1) }"),
        "Nope(1)",
        "unknown orchestration `Nope`",
        "no orchestration of this name is declared",
    );
}

#[test]
fn a_function_applied_without_call_suggests_call() {
    for (name, kind) in [
        ("Act", "an activity"),
        ("Orc", "an orchestration"),
        ("Ext", "an extern"),
    ] {
        let text = with_base(&format!("orchestration Bad(y) = await {name}(y)"));
        only_error(
            &text,
            &format!("{name}(y)"),
            &format!("`{name}` is {kind}, not an entity"),
            &format!("call it with `call {name}(...)`"),
        );
    }
}

#[test]
fn call_of_an_entity_needs_an_operation() {
    only_error(
        &with_base("orchestration Bad(y) = call Ent(y)"),
        "Ent(y)",
        "`Ent` is an entity: call one of its operations",
        "write `call Ent(key).operation(...)`",
    );
}

#[test]
fn entity_operations_are_unique() {
    let text = with_base("entity Bad { init 0; op f(y) = y; op g(_) = 1; op f(z) = z }");
    only_error(
        &text,
        "f(z)",
        "entity `Bad` declares operation `f` twice",
        "operation names are unique within an entity",
    );
}

#[test]
fn a_tuple_pattern_binds_each_name_once() {
    only_error(
        &with_base("activity Bad((a, b, a)) = b"),
        "a)) = b",
        "`a` is bound twice in one pattern",
        "use different names",
    );
    only_error(
        &with_base("activity Bad(y) = let (a, (b, a)) = y in b"),
        "a)) = y",
        "`a` is bound twice in one pattern",
        "use different names",
    );
    // A grouped pattern `(p)` is p; shadowing across patterns is fine.
    loads(&with_base(
        "activity Good((a)) = let (b) = a in let b = b + 1 in fun (c, _) -> b + c",
    ));
}

// ---- LANGUAGE.md §5: determinism -----------------------------------------------------------

const NONDETERMINISTIC: &str = "\
def inner(l) = choose(l)
def outer(l) = inner(l)
orchestration Direct(x) = choose([x, 2])
scenario plain { start t = Direct(1) }
scenario allowed [allow_nondeterminism] { start t = Direct(1) }
";

#[test]
fn an_orchestration_using_choose_makes_checking_a_load_error() {
    let spec = loads(NONDETERMINISTIC);
    let plain = spec.scenario("plain").expect("scenario plain");
    let errs = spec
        .check_determinism(plain, false)
        .expect_err("choose in an orchestration must be refused");
    assert_eq!(errs.diagnostics.len(), 1, "{errs}");
    assert_located(
        NONDETERMINISTIC,
        &errs,
        pos(NONDETERMINISTIC, "choose([x, 2])"),
        "orchestration `Direct` uses `choose`, so scenario `plain` cannot be checked",
        "orchestrations must be deterministic (LANGUAGE.md §5)",
    );
    assert!(errs.rendered.contains("allow_nondeterminism"), "{errs}");
    assert!(errs.rendered.contains("--allow-nondeterminism"), "{errs}");
    // The flag lifts it; so does the scenario's option.
    assert!(spec.check_determinism(plain, true).is_ok());
    let allowed = spec.scenario("allowed").expect("scenario allowed");
    assert!(allowed.options.allow_nondeterminism);
    assert!(spec.check_determinism(allowed, false).is_ok());
}

#[test]
fn choose_through_defs_is_found() {
    for (body, at) in [
        ("inner([x])", "inner([x])"),
        ("outer([x])", "outer([x])"),
        ("let f = outer in f([x])", "outer in"),
    ] {
        let text = NONDETERMINISTIC.replace("choose([x, 2])", body);
        let spec = loads(&text);
        let plain = spec.scenario("plain").expect("scenario plain");
        let errs = spec
            .check_determinism(plain, false)
            .expect_err("choose through a def must be refused");
        assert_located(
            &text,
            &errs,
            pos(&text, at),
            "orchestration `Direct` uses `choose`",
            "LANGUAGE.md §5",
        );
        assert!(spec.check_determinism(plain, true).is_ok());
        let allowed = spec.scenario("allowed").expect("scenario allowed");
        assert!(spec.check_determinism(allowed, false).is_ok());
    }
    // Recursion through defs reaches a fixpoint.
    let text = "\
def even(n) = if n == 0 then choose([true]) else odd(n - 1)
def odd(n) = if n == 0 then false else even(n - 1)
orchestration Direct(x) = odd(x)
scenario plain { start t = Direct(1) }
";
    let spec = loads(text);
    let errs = spec
        .check_determinism(spec.scenario("plain").expect("plain"), false)
        .expect_err("choose through mutual recursion");
    assert_located(text, &errs, pos(text, "odd(x)"), "uses `choose`", "§5");
}

#[test]
fn choose_outside_orchestrations_is_not_a_determinism_error() {
    // An activity or entity operation using choose models the environment; a def using it that
    // no orchestration names is harmless.
    let text = with_base(
        "def pick(l) = choose(l)\n\
         activity Flip(x) = pick([x, 2])\n\
         entity Coin { init 0; op toss(_) = set(choose([0, 1])) }\n\
         orchestration Main(x) = await call Flip(x)\n\
         scenario plain { start t = Main(1) }",
    );
    let spec = loads(&text);
    assert!(spec
        .check_determinism(spec.scenario("plain").expect("plain"), false)
        .is_ok());
}

// ---- LANGUAGE.md §1, §3: lexical and syntactic rules ---------------------------------------

#[test]
fn an_integer_literal_out_of_range_is_an_error() {
    only_error(
        &with_base("activity Bad(y) = y + 9223372036854775808"),
        "9223372036854775808",
        "integer literal out of range",
        "write the minimum as `-9223372036854775807 - 1`",
    );
    only_error(
        &with_base("scenario s { start t = Orc(-9223372036854775808) }"),
        "9223372036854775808",
        "integer literal out of range",
        "integers are 64-bit signed",
    );
    loads(&with_base(
        "scenario s { start t = Orc((9223372036854775807, -9223372036854775807 - 1)) }",
    ));
}

#[test]
fn a_malformed_literal_is_one_error() {
    only_error(
        &with_base("activity Bad(y) = \"a\\qb\" ++ y"),
        "\\q",
        "unknown escape in string",
        "the escapes are \\\" \\\\ \\n \\t",
    );
    only_error(
        &with_base("activity Bad(y) = \"ab\nactivity Next(z) = z"),
        "\"ab",
        "unterminated string",
        "strings end on their line",
    );
    only_error(
        &with_base("activity Bad(y) = 12ab + y"),
        "12ab",
        "malformed number",
        "a number is digits only",
    );
    only_error(
        &with_base("activity Bad(y) = y #"),
        "#",
        "unexpected character '#'",
        "not part of DFL",
    );
    // Identifiers are ASCII.
    only_error(
        &with_base("activity Bad(y) = caf\u{e9}"),
        "\u{e9}",
        "unexpected character '\u{e9}'",
        "not part of DFL",
    );
    // Other characters in strings are kept as they are.
    let spec = loads(&with_base(
        "scenario s { start t = Orc(\"caf\u{e9} \\\"\\t\\\\\") }",
    ));
    match &spec.scenarios[0].inputs[0] {
        durable_interpreter::load::Input::Start {
            arg: durable_interpreter::value::Value::Str(s),
            ..
        } => assert_eq!(&**s, "caf\u{e9} \"\t\\"),
        other => panic!("unexpected input {other:?}"),
    }
}

#[test]
fn comparisons_do_not_chain() {
    only_error(
        &with_base("activity Bad(a) = a < 1 < 2"),
        "< 2",
        "comparison operators do not chain: `<` after `<`",
        "write `a < b && b < c`, or parenthesize",
    );
    only_error(
        &with_base("activity Bad(a) = a == 1 != true"),
        "!=",
        "comparison operators do not chain: `!=` after `==`",
        "parenthesize",
    );
    loads(&with_base("activity Good(a) = (a < 1) == true"));
}

#[test]
fn a_semicolon_in_a_list_suggests_a_comma() {
    only_error(
        &with_base("activity Bad(a) = [a; a]"),
        "; a]",
        "expected `,` or `]`, found `;`",
        "write `[a, b]`",
    );
    only_error(
        &with_base("activity Bad(a) = len([1, a; a])"),
        "; a]",
        "found `;`",
        "write `[a, b]`",
    );
    only_error(
        &with_base("orchestration Bad(a) = call Act(a; a)"),
        "; a)",
        "expected `,` or `)`, found `;`",
        "arguments are separated by `,`",
    );
    loads(&with_base("activity Good(a) = [(a; a), a]"));
}

#[test]
fn a_binding_form_used_as_an_operand_must_be_parenthesized() {
    for (body, kw) in [
        ("1 + if a then 2 else 3", "if"),
        ("1 + let b = a in b", "let"),
        ("! fun b -> b", "fun"),
        ("a * try 1 catch _ -> 2", "try"),
    ] {
        let text = with_base(&format!("activity Bad(a) = {body}"));
        let at = format!("{kw} ");
        only_error(
            &text,
            &at,
            &format!("`{kw}` used as an operand must be parenthesized"),
            &format!("write `({kw} ...)`"),
        );
    }
    let errs = errors(&with_base("activity Bad(a) = 1 + if a then 2 else 3"));
    assert!(errs.rendered.contains("an `if` used"), "{errs}");
    loads(&with_base("activity Good(a) = 1 + (if a then 2 else 3)"));
}

// ---- LANGUAGE.md §2, §7: externs and scenarios ---------------------------------------------

#[test]
fn extern_replies_are_constant_data() {
    for (replies, at) in [
        ("[1 + 1]", "1 + 1"),
        ("[1, y]", "y]"),
        ("[(1, [len([])])]", "(1, [len"),
        ("[- - 1]", "- - 1"),
    ] {
        let text = with_base(&format!("extern Bad: {replies}"));
        only_error(
            &text,
            at,
            "a reply of extern `Bad` is not constant data",
            "replies are literals, negative ints, entity ids, and tuples and lists of them",
        );
    }
    let spec = loads(&with_base(
        "extern Good: [(), true, -3, \"s\", Ent(\"k\"), (1, [2, 3]), []]",
    ));
    assert_eq!(spec.externs["Good"].len(), 7);
}

#[test]
fn start_needs_an_orchestration() {
    for (name, kind) in [
        ("Act", "an activity"),
        ("Ent", "an entity"),
        ("Ext", "an extern"),
    ] {
        let text = with_base(&format!("scenario s {{ start t = {name}(1) }}"));
        only_error(
            &text,
            &format!("{name}(1)"),
            &format!("`{name}` is {kind}, not an orchestration"),
            "`start` starts an orchestration",
        );
    }
}

#[test]
fn init_and_signal_need_an_entity() {
    only_error(
        &with_base("scenario s { init Orc(1) = 0 }"),
        "Orc(1)",
        "`Orc` is an orchestration, not an entity",
        "expected an entity id `Name(key)`",
    );
    only_error(
        &with_base("scenario s { signal Act(1).f(2) }"),
        "Act(1)",
        "`Act` is an activity, not an entity",
        "expected an entity id `Name(key)`",
    );
}

#[test]
fn an_entity_is_initialized_once_per_scenario() {
    let text =
        with_base("scenario s { init Ent(\"a\") = 1; init Ent(\"b\") = 2; init Ent(\"a\") = 3 }");
    only_error(
        &text,
        "init Ent(\"a\") = 3",
        "Ent(\"a\") is initialized twice",
        "give each entity at most one `init`",
    );
    // Ids are compared as values.
    let text = with_base("scenario s { init Ent(1 + 1) = 1; init Ent(2) = 2 }");
    only_error(
        &text,
        "init Ent(2)",
        "Ent(2) is initialized twice",
        "at most one `init`",
    );
}

#[test]
fn expect_pass_and_expect_fail_do_not_mix() {
    let text = with_base("scenario s { start t = Orc(1); expect pass; expect fail \"deadlock\" }");
    only_error(
        &text,
        "expect fail",
        "`expect pass` and `expect fail` in one scenario",
        "a scenario expects either a pass or some failures",
    );
}

#[test]
fn expect_fail_names_a_known_check_kind() {
    let text = with_base("scenario s { start t = Orc(1); expect fail \"dedlock\" }");
    only_error(
        &text,
        "\"dedlock\"",
        "unknown check \"dedlock\"",
        "a check is one of always, finally, sometimes, deadlock, refinement, replay-divergence, \
         equivalence",
    );
    // `always` without a space after it is not a check kind.
    let text = with_base("scenario s { expect fail \"alwaysx\" }");
    only_error(
        &text,
        "\"alwaysx\"",
        "unknown check",
        "optionally followed by",
    );
    let spec = loads(&with_base(
        "scenario s { start t = Orc(1); expect fail \"always result(t) == 1\"; \
         expect fail \"equivalence\" in cs; expect fail \"replay-divergence\" in rr }",
    ));
    assert_eq!(spec.scenarios[0].expectations.len(), 3);
}

#[test]
fn expect_fail_in_names_a_known_model() {
    let text = with_base("scenario s { expect fail \"deadlock\" in xs }");
    only_error(
        &text,
        "xs",
        "unknown model `xs`",
        "the models are `hl`, `cs` and `rr`",
    );
}

#[test]
fn scenario_options_are_given_once() {
    let text = with_base("scenario s [crashes = 2, timeouts, crashes = 3] { start t = Orc(1) }");
    only_error(
        &text,
        "crashes = 3",
        "scenario option `crashes` given twice",
        "give each option once",
    );
    let text = with_base("scenario s [timeouts, timeouts] { start t = Orc(1) }");
    only_error(
        &text,
        "timeouts]",
        "scenario option `timeouts` given twice",
        "give each option once",
    );
}

#[test]
fn scenario_names_are_unique() {
    let text = with_base("scenario s { start t = Orc(1) }\nscenario s { start u = Orc(2) }");
    only_error(
        &text,
        "s { start u",
        "scenario `s` is declared twice",
        "first declared at rules.dfl:5:10",
    );
}

#[test]
fn scenario_expressions_that_fail_are_load_errors() {
    let cases = [
        (
            "start t = Orc(1 / 0)",
            "1 / 0",
            "the input of `start t` cannot be evaluated: it fails with \"arithmetic: ",
        ),
        (
            "init Ent(1) = head([])",
            "head([])",
            "the initial state of Ent(1) cannot be evaluated: it fails with \"type: ",
        ),
        (
            "init Ent(fail(\"no\")) = 1",
            "fail(\"no\")",
            "the key of `Ent` cannot be evaluated: it fails with \"no\"",
        ),
        (
            "signal Ent(1).put(nth([1], 1))",
            "nth([1], 1)",
            "the argument of `signal Ent(1).put` cannot be evaluated",
        ),
        (
            "start t = Orc(1); raise t go(fun x -> x)",
            "fun x -> x",
            "the payload of event `go` cannot be evaluated: it is a function, not data",
        ),
        (
            "start t = Orc((1, fun x -> x))",
            "(1, fun",
            "the input of `start t` cannot be evaluated: it is a tuple",
        ),
    ];
    for (item, at, message) in cases {
        let text = with_base(&format!("scenario s {{ {item} }}"));
        only_error(
            &text,
            at,
            message,
            "scenario expressions must evaluate to data",
        );
    }
    // An entity's init is evaluated when loading, too.
    only_error(
        &with_base("entity Bad { init 1 % 0; op f(y) = y }"),
        "1 % 0",
        "the init of entity `Bad` cannot be evaluated: it fails with \"arithmetic: ",
        "an entity's init must evaluate to data",
    );
    // Defs are usable there.
    let spec = loads(&with_base(
        "def sum(l) = if l == [] then 0 else head(l) + sum(tail(l))\n\
         scenario s { init Ent(sum([1, 2])) = sum([3, 4]); start t = Orc(sum([5])) }",
    ));
    assert_eq!(spec.scenarios[0].inits[0].1.to_string(), "7");
}

#[test]
fn a_scenario_expression_with_a_restriction_error_reports_only_that() {
    // The restriction error is the one reported, not also "cannot be evaluated".
    only_error(
        &with_base("scenario s { start t = Orc(1 + get) }"),
        "get",
        "`get` or `set` is not allowed in a scenario",
        "entity operations",
    );
    only_error(
        &with_base("scenario s { init Ent(1) = [call Orc(2)] }"),
        "call Orc(2)",
        "`call` of an orchestration is not allowed in a scenario",
        "orchestrations",
    );
}

#[test]
fn instance_names_are_not_builtin_or_observer_names() {
    for name in ["len", "choose", "status", "result"] {
        let text = with_base(&format!("scenario s {{ start {name} = Orc(1) }}"));
        only_error(
            &text,
            &format!("{name} ="),
            &format!("an instance cannot be named `{name}`"),
            "builtin and observer names are reserved in properties",
        );
    }
}

#[test]
fn raise_needs_an_instance_the_scenario_starts() {
    let text = with_base("scenario s { start t = Orc(1); raise u go(1) }");
    only_error(
        &text,
        "u go",
        "unknown instance `u`",
        "raise events to an instance this scenario starts",
    );
    // Started later in the list is fine: instance names are the scenario's.
    loads(&with_base(
        "scenario s { raise t \"go\"(1); start t = Orc(1) }",
    ));
}

#[test]
fn entity_keys_are_data_however_deep() {
    // A key nested as deep as a value may be leaves no room for the entity id around it.
    let text = with_base(
        "def wrap(v) = [[[[[[[[[[v]]]]]]]]]]\n\
         def hundred(v) = wrap(wrap(wrap(wrap(wrap(wrap(wrap(wrap(wrap(wrap(v))))))))))\n\
         def deep(n) = if n == 0 then 0 else hundred(deep(n - 1))\n\
         scenario s { init Ent(deep(100)) = 0; start t = Orc(1) }",
    );
    let errs = errors(&text);
    assert_eq!(errs.diagnostics.len(), 1, "{errs}");
    assert_located(
        &text,
        &errs,
        pos(&text, "deep(100)"),
        "the key of `Ent` is nested too deeply for an entity id",
        "data nests at most 10000 levels deep",
    );
}

#[test]
fn properties_resolve_locals_then_instances_then_defs() {
    // `t` is both a def and an instance: in a property the instance wins (its id, the string
    // "t"), and a local `t` wins over both. Elsewhere `t` is the def.
    let text = with_base(
        "def t(x) = x + 1\n\
         def u(x) = x * 2\n\
         scenario s { start t = Orc(t(1)); \
         always t == \"t\"; always (let t = 5 in t) == 5; always u(3) == 6 }",
    );
    let spec = loads(&text);
    let s = &spec.scenarios[0];
    assert_eq!(s.properties.len(), 3);
    for p in &s.properties {
        assert_eq!(
            spec.eval_pure(&p.code).map(|v| v.to_string()),
            Ok("true".to_string()),
            "{}",
            p.name
        );
    }
    // The input, a scenario expression, is not a property: there `t` is the def.
    match &s.inputs[0] {
        durable_interpreter::load::Input::Start { arg, .. } => assert_eq!(arg.to_string(), "2"),
        other => panic!("unexpected input {other:?}"),
    }
}

// ---- several errors in one file ------------------------------------------------------------

#[test]
fn syntax_errors_in_several_declarations_and_items_are_all_reported() {
    let text = "\
activity A(x) = [x; x]
orchestration O(x) = x +* 2
entity E { init 0; op f(x) = (x, }
scenario s { start t = O(1 2); always 1 < 2 < 3; start u = O(3; 4); sometimes ); }
activity B(x) = x < 1 < 2
";
    let errs = errors(text);
    for (at, message) in [
        ("; x]", "expected `,` or `]`, found `;`"),
        ("* 2", "expected an expression, found `*`"),
        ("}\nscenario", "expected an expression, found `}`"),
        ("2);", "expected `,` or `)`, found `2`"),
        ("< 3", "comparison operators do not chain"),
        ("; 4)", "expected `,` or `)`, found `;`"),
        ("); }", "expected an expression, found `)`"),
        ("< 2\n", "comparison operators do not chain"),
    ] {
        assert_located(text, &errs, pos(text, at), message, "");
    }
    // Recovery resumes at the next item: `4)` is not reported as a stray item.
    assert_eq!(errs.diagnostics.len(), 8, "{errs}");
}

#[test]
fn load_errors_in_several_declarations_and_items_are_all_reported() {
    let text = with_base(
        "activity A(y) = call Act(y)\n\
         orchestration O(y) = get\n\
         entity E { init 0; op f(y) = zz }\n\
         scenario s { start t = Act(1); init Ent(1) = await 1; always choose([1]) == 1 }",
    );
    let errs = errors(&text);
    for (at, message) in [
        (
            "call Act(y)",
            "`call` of an activity is not allowed in an activity",
        ),
        ("get\n", "`get` or `set` is not allowed in an orchestration"),
        ("zz", "unknown name `zz`"),
        ("Act(1)", "`Act` is an activity, not an orchestration"),
        ("await 1", "`await` is not allowed in a scenario"),
        ("choose(", "`choose` is not allowed in a property"),
    ] {
        assert_located(&text, &errs, pos(&text, at), message, "");
    }
    assert_eq!(errs.diagnostics.len(), 6, "{errs}");
    // In source order.
    let starts: Vec<u32> = errs.diagnostics.iter().map(|d| d.span.start).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn recovery_in_a_scenario_skips_to_the_end_of_the_item() {
    // A `;` inside the item's brackets does not end it...
    let text = "orchestration O(x) = x\nscenario s { start t = O(1; [2; 3]); always 1 < 2 < 3 }\n";
    let errs = errors(text);
    assert_located(text, &errs, pos(text, "; ["), "found `;`", "");
    assert_located(text, &errs, pos(text, "< 3"), "do not chain", "");
    assert_eq!(errs.diagnostics.len(), 2, "{errs}");
    // ... unless the brackets never close: then the next `;` ends it.
    let text = "orchestration O(x) = x\nscenario s { init E(1 = 2; always 1 < 2 < 3 }\n";
    let errs = errors(text);
    assert_located(
        text,
        &errs,
        pos(text, "= 2"),
        "expected `,` or `)`, found `=`",
        "",
    );
    assert_located(text, &errs, pos(text, "< 3"), "do not chain", "");
    assert_eq!(errs.diagnostics.len(), 2, "{errs}");
}

#[test]
fn nesting_is_bounded_at_a_thousand_levels() {
    let parens = |n: usize| format!("activity A(x) = {}x{}\n", "(".repeat(n), ")".repeat(n));
    loads(&parens(1000));
    let text = parens(1001);
    let errs = errors(&text);
    assert_eq!(errs.diagnostics.len(), 1, "{errs}");
    assert!(errs.rendered.contains("error: nesting too deep"), "{errs}");
    assert!(errs.rendered.contains("rules.dfl:1:1017"), "{errs}");
    assert!(errs
        .rendered
        .contains("DFL accepts at most 1000 nested levels"));
    // Each operator of a chain and each statement after the first count one level.
    let chain = |n: usize| format!("activity A(x) = {}\n", vec!["x"; n].join(" + "));
    loads(&chain(1001));
    let errs = errors(&chain(1002));
    assert!(
        errs.rendered.contains("error: expression too long"),
        "{errs}"
    );
    let seq = |n: usize| format!("activity A(x) = {}\n", vec!["x"; n].join("; "));
    loads(&seq(1001));
    let errs = errors(&seq(1002));
    assert!(errs.rendered.contains("error: sequence too long"), "{errs}");
    // The count starts again at each declaration.
    loads(&format!(
        "{}{}",
        parens(1000),
        parens(1000).replace("A(", "B(")
    ));
}

#[test]
fn the_parser_stops_after_twenty_errors() {
    let text: String = (0..30)
        .map(|i| format!("activity A{i}(x) = x +\n"))
        .collect();
    let errs = errors(&text);
    assert_eq!(errs.diagnostics.len(), 20, "{errs}");
    assert_located(
        &text,
        &errs,
        (2, 1),
        "expected an expression, found `activity`",
        "",
    );
}
