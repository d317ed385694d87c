//! The front end's round trip: for every well-formed AST, `parse(print(ast)) == ast` and
//! printing is idempotent; the examples of LANGUAGE.md are fixed points of `fmt`; `fmt` keeps
//! comments.

use durable_interpreter::syntax::ast::*;
use durable_interpreter::syntax::{
    parse, parse_expr, print_expr, print_expr_one_line, print_program,
};
use proptest::prelude::*;
use proptest::sample::select;

// ---- generators ---------------------------------------------------------------------------

/// Variables, parameters, scenario and instance names: no keyword, no builtin, not `_`.
const VARS: &[&str] = &[
    "a", "b", "x", "y", "acc", "n1", "_x", "result", "status", "k_2",
];
/// Function names: activities, orchestrations, entities, externs.
const NAMES: &[&str] = &["A", "Acc", "B2", "Log", "Foo_bar", "X"];
/// Operation names may also be keywords or builtin names.
const OPNAMES: &[&str] = &[
    "add",
    "note",
    "x",
    "_y",
    "get",
    "set",
    "init",
    "op",
    "in",
    "let",
    "await_all",
    "now",
    "len",
    "choose",
    "activity",
    "scenario",
    "fail",
    "expect",
    "pass",
];
/// Characters of string literals: escapes, quotes, non-ASCII, control characters.
const CHARS: &[char] = &[
    'a', 'Z', '0', ' ', '"', '\\', '\n', '\t', '\r', '\0', '/', '*', ';', '(', 'é', '→', '😀',
];

fn sp() -> Span {
    Span::default()
}

fn ex(kind: ExprKind) -> Expr {
    Expr::new(kind, sp())
}

fn bx(kind: ExprKind) -> Box<Expr> {
    Box::new(ex(kind))
}

fn ident() -> impl Strategy<Value = Ident> + Clone {
    select(VARS).prop_map(|s| Ident::new(s, sp()))
}

fn name() -> impl Strategy<Value = Ident> + Clone {
    select(NAMES).prop_map(|s| Ident::new(s, sp()))
}

fn opname() -> impl Strategy<Value = Ident> + Clone {
    select(OPNAMES).prop_map(|s| Ident::new(s, sp()))
}

fn string() -> impl Strategy<Value = String> + Clone {
    prop::collection::vec(select(CHARS), 0..6).prop_map(|cs| cs.into_iter().collect())
}

fn int() -> impl Strategy<Value = i64> + Clone {
    prop_oneof![0..100i64, 0..=i64::MAX, Just(i64::MAX)]
}

fn pattern() -> BoxedStrategy<Pattern> {
    let leaf = prop_oneof![
        ident().prop_map(Pattern::Var),
        Just(Pattern::Wild(sp())),
        Just(Pattern::Unit(sp())),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop::collection::vec(inner, 2..4).prop_map(|ps| Pattern::Tuple(ps, sp()))
    })
    .boxed()
}

fn builtin() -> impl Strategy<Value = Builtin> + Clone {
    select(Builtin::ALL.to_vec())
}

fn level2() -> impl Strategy<Value = Level2> + Clone {
    select(vec![
        Level2::Timer,
        Level2::Event,
        Level2::AwaitAll,
        Level2::AwaitAny,
        Level2::Now,
    ])
}

fn binop() -> impl Strategy<Value = BinOp> + Clone {
    use BinOp::*;
    select(vec![
        Or, And, Eq, Ne, Lt, Le, Gt, Ge, Concat, Add, Sub, Mul, Div, Rem,
    ])
}

fn unop() -> impl Strategy<Value = UnOp> + Clone {
    select(vec![UnOp::Neg, UnOp::Not])
}

fn leaf_expr() -> BoxedStrategy<Expr> {
    prop_oneof![
        Just(ExprKind::Unit),
        any::<bool>().prop_map(ExprKind::Bool),
        int().prop_map(ExprKind::Int),
        string().prop_map(ExprKind::Str),
        select(VARS).prop_map(|v| ExprKind::Var(v.to_string())),
        Just(ExprKind::Get),
    ]
    .prop_map(ex)
    .boxed()
}

fn entity_ref(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = EntityRef> + Clone {
    (name(), inner).prop_map(|(name, key)| EntityRef {
        name,
        key: Box::new(key),
    })
}

fn target(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = Target> + Clone {
    prop_oneof![
        entity_ref(inner).prop_map(Target::Literal),
        ident().prop_map(Target::Var),
    ]
}

fn stmt(e: Expr) -> Stmt {
    Stmt {
        expr: e,
        comments: Comments::default(),
    }
}

/// Every expression form, nested at most four levels deep.
fn expr() -> BoxedStrategy<Expr> {
    leaf_expr()
        .prop_recursive(4, 160, 4, |inner| {
            let i = || inner.clone();
            let b = || inner.clone().prop_map(Box::new);
            let kinds: Vec<BoxedStrategy<ExprKind>> = vec![
                prop::collection::vec(i(), 2..4)
                    .prop_map(ExprKind::Tuple)
                    .boxed(),
                prop::collection::vec(i(), 0..4)
                    .prop_map(ExprKind::List)
                    .boxed(),
                entity_ref(i()).prop_map(ExprKind::EntityId).boxed(),
                (b(), b()).prop_map(|(f, a)| ExprKind::App(f, a)).boxed(),
                (builtin(), b())
                    .prop_map(|(f, a)| ExprKind::Builtin(f, a))
                    .boxed(),
                b().prop_map(ExprKind::Await).boxed(),
                (name(), b())
                    .prop_map(|(n, a)| ExprKind::Call(n, a))
                    .boxed(),
                (target(i()), opname(), b())
                    .prop_map(|(t, o, a)| ExprKind::CallEntity(t, o, a))
                    .boxed(),
                (target(i()), opname(), b())
                    .prop_map(|(t, o, a)| ExprKind::Signal(t, o, a))
                    .boxed(),
                (name(), b())
                    .prop_map(|(n, a)| ExprKind::Continue(n, a))
                    .boxed(),
                b().prop_map(ExprKind::Set).boxed(),
                b().prop_map(ExprKind::Fail).boxed(),
                (level2(), b())
                    .prop_map(|(l, a)| ExprKind::Level2(l, a))
                    .boxed(),
                (unop(), b())
                    .prop_map(|(o, x)| ExprKind::Unary(o, x))
                    .boxed(),
                (binop(), b(), b())
                    .prop_map(|(o, x, y)| ExprKind::Binary(o, x, y))
                    .boxed(),
                prop::collection::vec(i().prop_map(stmt), 2..4)
                    .prop_map(ExprKind::Seq)
                    .boxed(),
                (pattern(), b(), b())
                    .prop_map(|(p, v, body)| ExprKind::Let(p, v, body))
                    .boxed(),
                (ident(), pattern(), b(), b())
                    .prop_map(|(f, p, v, body)| ExprKind::LetRec(f, p, v, body))
                    .boxed(),
                (pattern(), b())
                    .prop_map(|(p, body)| ExprKind::Fun(p, body))
                    .boxed(),
                (b(), b(), b())
                    .prop_map(|(c, t, f)| ExprKind::If(c, t, f))
                    .boxed(),
                (b(), pattern(), b())
                    .prop_map(|(body, p, h)| ExprKind::Try(body, p, h))
                    .boxed(),
                (prop::collection::vec(i(), 0..3), b())
                    .prop_map(|(ids, body)| ExprKind::Lock(ids, body))
                    .boxed(),
            ];
            proptest::strategy::Union::new(kinds).prop_map(ex)
        })
        .boxed()
}

/// Constant data, as extern replies are written: negative ints are `-` applied to a literal.
fn data() -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![
        Just(ExprKind::Unit),
        any::<bool>().prop_map(ExprKind::Bool),
        int().prop_map(ExprKind::Int),
        int().prop_map(|n| ExprKind::Unary(UnOp::Neg, bx(ExprKind::Int(n)))),
        string().prop_map(ExprKind::Str),
    ]
    .prop_map(ex);
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(ExprKind::Tuple),
            prop::collection::vec(inner.clone(), 0..4).prop_map(ExprKind::List),
            (name(), inner).prop_map(|(name, key)| ExprKind::EntityId(EntityRef {
                name,
                key: Box::new(key)
            })),
        ]
        .prop_map(ex)
    })
    .boxed()
}

fn option() -> impl Strategy<Value = ScenarioOption> {
    prop_oneof![
        Just(OptionKind::AllowNondeterminism),
        Just(OptionKind::LockActivities),
        Just(OptionKind::Timeouts),
        any::<u32>().prop_map(OptionKind::Crashes),
        (0..4u32).prop_map(OptionKind::Duplicates),
        any::<u32>().prop_map(OptionKind::LostCommits),
        select(vec![BatchMode::One, BatchMode::All, BatchMode::Any]).prop_map(OptionKind::Batch),
    ]
    .prop_map(|kind| ScenarioOption { kind, span: sp() })
}

fn item() -> impl Strategy<Value = Item> {
    let e = expr;
    prop_oneof![
        (entity_ref(e()), e()).prop_map(|(entity, value)| ItemKind::Init { entity, value }),
        (ident(), name(), e()).prop_map(|(instance, orchestration, arg)| ItemKind::Start {
            instance,
            orchestration,
            arg
        }),
        (entity_ref(e()), opname(), e()).prop_map(|(entity, op, arg)| ItemKind::Signal {
            entity,
            op,
            arg
        }),
        (ident(), ident(), e()).prop_map(|(instance, event, arg)| ItemKind::Raise {
            instance,
            event,
            quoted: false,
            arg
        }),
        (ident(), string(), e()).prop_map(|(instance, event, arg)| ItemKind::Raise {
            instance,
            event: Ident::new(event, sp()),
            quoted: true,
            arg
        }),
        (
            select(vec![
                PropertyKind::Always,
                PropertyKind::Finally,
                PropertyKind::Sometimes
            ]),
            e()
        )
            .prop_map(|(k, x)| ItemKind::Property(k, x)),
        Just(ItemKind::ExpectPass),
        (string(), prop::option::of(ident())).prop_map(|(check, model)| {
            ItemKind::ExpectFail {
                check,
                check_span: sp(),
                model,
            }
        }),
    ]
    .prop_map(|kind| Item {
        kind,
        span: sp(),
        comments: Comments::default(),
    })
}

fn op_decl() -> impl Strategy<Value = OpDecl> {
    (opname(), pattern(), expr()).prop_map(|(name, param, body)| OpDecl {
        name,
        param,
        body,
        span: sp(),
        comments: Comments::default(),
    })
}

fn decl() -> impl Strategy<Value = Decl> {
    let function = || {
        (name(), pattern(), expr()).prop_map(|(name, param, body)| FunctionDecl {
            name,
            param,
            body,
        })
    };
    prop_oneof![
        function().prop_map(DeclKind::Activity),
        function().prop_map(DeclKind::Orchestration),
        (name(), expr(), prop::collection::vec(op_decl(), 0..3)).prop_map(|(name, init, ops)| {
            DeclKind::Entity(EntityDecl {
                name,
                init,
                init_comments: Comments::default(),
                ops,
                trailing: Vec::new(),
            })
        }),
        (name(), prop::collection::vec(data(), 1..4))
            .prop_map(|(name, replies)| DeclKind::Extern(ExternDecl { name, replies })),
        (ident(), prop::collection::vec(pattern(), 1..4), expr())
            .prop_map(|(name, params, body)| DeclKind::Def(DefDecl { name, params, body })),
        (
            ident(),
            prop::collection::vec(option(), 0..3),
            prop::collection::vec(item(), 0..5)
        )
            .prop_map(|(name, options, items)| DeclKind::Scenario(Scenario {
                name,
                options,
                items,
                trailing: Vec::new(),
            })),
    ]
    .prop_map(|kind| Decl {
        kind,
        span: sp(),
        detached: Vec::new(),
        comments: Comments::default(),
    })
}

fn program() -> impl Strategy<Value = Program> {
    prop::collection::vec(decl(), 0..5).prop_map(|decls| Program {
        decls,
        trailing: Vec::new(),
    })
}

// ---- helpers ------------------------------------------------------------------------------

/// Parses a program that must be free of errors.
fn parse_ok(src: &str) -> Program {
    let (program, errors) = parse(src);
    assert!(errors.is_empty(), "unexpected errors {errors:#?} in\n{src}");
    program
}

/// `fmt` of a source: parse, then print.
fn fmt(src: &str) -> String {
    print_program(&parse_ok(src))
}

/// Asserts that `src` parses, that its canonical form is a fixed point of `fmt`, and that the
/// canonical form parses to the same AST; returns the canonical form.
fn assert_canonical(src: &str) -> String {
    let ast = parse_ok(src);
    let printed = print_program(&ast);
    let reparsed = parse_ok(&printed);
    assert_eq!(
        reparsed, ast,
        "printing changed the AST of\n{src}\nprinted:\n{printed}"
    );
    assert_eq!(
        print_program(&reparsed),
        printed,
        "fmt is not idempotent on\n{src}"
    );
    printed
}

// ---- round-trip properties ------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn program_round_trips(prog in program()) {
        let printed = print_program(&prog);
        let (parsed, errors) = parse(&printed);
        prop_assert!(errors.is_empty(), "errors {:#?} in\n{}", errors, printed);
        prop_assert_eq!(&parsed, &prog, "printed:\n{}", printed);
        prop_assert_eq!(print_program(&parsed), printed);
    }

    #[test]
    fn expr_round_trips(e in expr()) {
        let printed = print_expr(&e);
        let parsed = parse_expr(&printed);
        prop_assert!(parsed.is_ok(), "errors {:#?} in\n{}", parsed, printed);
        let parsed = parsed.unwrap();
        prop_assert_eq!(&parsed, &e, "printed:\n{}", printed);
        prop_assert_eq!(print_expr(&parsed), printed);
    }

    #[test]
    fn one_line_expr_round_trips(e in expr()) {
        let printed = print_expr_one_line(&e);
        prop_assert!(!printed.contains('\n'), "not one line: {}", printed);
        let parsed = parse_expr(&printed);
        prop_assert!(parsed.is_ok(), "errors {:#?} in\n{}", parsed, printed);
        prop_assert_eq!(&parsed.unwrap(), &e, "printed: {}", printed);
    }
}

// ---- the examples of LANGUAGE.md ------------------------------------------------------------

/// LANGUAGE.md §8, verbatim.
const SECTION_8: &str = r#"entity Account { init 0; op get(_) = get; op add(n) = set(get + n) }

orchestration Transfer((src, dst, amt)) =
  lock [Account(src), Account(dst)] {
    let b = await call Account(src).get() in
    if b >= amt then
      await call Account(src).add(-amt);
      await call Account(dst).add(amt);
      true
    else false
  }

scenario two_transfers {
  init Account("A") = 100;
  start t1 = Transfer("A", "B", 70);
  start t2 = Transfer("A", "B", 50);
  always state(Account("A")) >= 0;
  finally state(Account("A")) + state(Account("B")) == 100;
  finally result(t1) != result(t2);
}
"#;

/// §8 as `fmt` prints it: the parameter in its short form.
const SECTION_8_CANONICAL: &str = r#"entity Account { init 0; op get(_) = get; op add(n) = set(get + n) }

orchestration Transfer(src, dst, amt) =
  lock [Account(src), Account(dst)] {
    let b = await call Account(src).get() in
    if b >= amt then
      await call Account(src).add(-amt);
      await call Account(dst).add(amt);
      true
    else false
  }

scenario two_transfers {
  init Account("A") = 100;
  start t1 = Transfer("A", "B", 70);
  start t2 = Transfer("A", "B", 50);
  always state(Account("A")) >= 0;
  finally state(Account("A")) + state(Account("B")) == 100;
  finally result(t1) != result(t2);
}
"#;

#[test]
fn section_8_example_prints_canonically() {
    let printed = assert_canonical(SECTION_8);
    assert_eq!(printed, SECTION_8_CANONICAL);
    let program = parse_ok(SECTION_8);
    assert_eq!(program.decls.len(), 3);
    // `Transfer((src, dst, amt))` and `Transfer(src, dst, amt)` are the same parameter.
    assert_eq!(parse_ok(SECTION_8_CANONICAL), program);
    let DeclKind::Orchestration(f) = &program.decls[1].kind else {
        panic!("expected an orchestration, got {:?}", program.decls[1].kind)
    };
    assert!(matches!(&f.param, Pattern::Tuple(ps, _) if ps.len() == 3));
    let ExprKind::Lock(ids, body) = &f.body.kind else {
        panic!("expected a lock, got {:?}", f.body.kind)
    };
    assert_eq!(ids.len(), 2);
    // `then a; b; true else false`: the then-branch is a three-statement sequence.
    let ExprKind::Let(_, _, body) = &body.kind else {
        panic!("expected a let, got {:?}", body.kind)
    };
    let ExprKind::If(_, then, els) = &body.kind else {
        panic!("expected an if, got {:?}", body.kind)
    };
    assert!(matches!(&then.kind, ExprKind::Seq(s) if s.len() == 3));
    assert_eq!(els.kind, ExprKind::Bool(false));
}

/// Snippets of LANGUAGE.md that are programs on their own (or are wrapped into the smallest
/// program that makes them one), with their canonical form.
const SNIPPETS: &[(&str, &str)] = &[
    // §2
    (
        "def add(a)(b) = a + b",
        "def add(a)(b) = a + b\n",
    ),
    (
        "entity Account { init 0; op get(_) = get; op add(n) = set(get + n) }",
        "entity Account { init 0; op get(_) = get; op add(n) = set(get + n) }\n",
    ),
    (
        "activity F(a, b) = a\nactivity G((a, b)) = b\nactivity H(()) = 1\nactivity I() = 2",
        "activity F(a, b) = a\n\nactivity G(a, b) = b\n\nactivity H() = 1\n\nactivity I() = 2\n",
    ),
    (
        "extern Coin: [true, false]\nextern Service: [(), -3, \"x\", (1, [2]), Account(\"A\")]",
        "extern Coin: [true, false]\n\nextern Service: [(), -3, \"x\", (1, [2]), Account(\"A\")]\n",
    ),
    // §3: the parsing rules
    (
        "entity Counter { init 0; op add(n) = signal Log(\"l\").note(n); set(get + n); }",
        "entity Counter {\n  init 0;\n  op add(n) =\n    signal Log(\"l\").note(n);\n    set(get + n)\n}\n",
    ),
    (
        "def f(a) = 1 + (if a then 2 else 3)",
        "def f(a) = 1 + (if a then 2 else 3)\n",
    ),
    (
        "def f(a) = let x = a in b; c",
        "def f(a) =\n  let x = a in\n  b;\n  c\n",
    ),
    (
        "def f(a) = if a then b else c; d",
        "def f(a) =\n  if a then\n    b\n  else\n    c;\n    d\n",
    ),
    (
        "def f(a) = (if a then b else c); d",
        "def f(a) =\n  (if a then b else c);\n  d\n",
    ),
    (
        "def f(a) = f(); f(a, b); f((a, b)); await f(x)",
        "def f(a) =\n  f();\n  f(a, b);\n  f(a, b);\n  await f(x)\n",
    ),
    (
        "def m(u) = -9223372036854775807 - 1",
        "def m(u) = -9223372036854775807 - 1\n",
    ),
    (
        "def b(l) = len(l) + head(l) + nth(l, 0) + min(1, 2) + max(1, 2) + abs(-1); show(tail(l)) ++ \"s\"",
        "def b(l) =\n  len(l) + head(l) + nth(l, 0) + min(1, 2) + max(1, 2) + abs(-1);\n  show(tail(l)) ++ \"s\"\n",
    ),
    (
        "activity Flip() = choose([true, false])",
        "activity Flip() = choose([true, false])\n",
    ),
    // §3a: data as reports print it
    (
        "def d(u) = [(), -3, true, \"a\\\"b\", (1, \"x\"), [1, 2], [], Account(\"A\"), E(), E(\"a\", 1)]",
        "def d(u) = [(), -3, true, \"a\\\"b\", (1, \"x\"), [1, 2], [], Account(\"A\"), E(), E(\"a\", 1)]\n",
    ),
    // §3: the primaries of an orchestration
    (
        "orchestration O(k) = let f = call A(k) in await f; call Account(k).get(); signal Account(k).add(1); signal e.add(2); call e.get(); continue O(k + 1)",
        "orchestration O(k) =\n  let f = call A(k) in\n  await f;\n  call Account(k).get();\n  signal Account(k).add(1);\n  signal e.add(2);\n  call e.get();\n  continue O(k + 1)\n",
    ),
    (
        "def t(x) = try fail(\"e\") catch (a, _) -> a",
        "def t(x) = try fail(\"e\") catch (a, _) -> a\n",
    ),
    (
        "def r(x) = let rec loop(n) = if n == 0 then 0 else loop(n - 1) in loop(x)",
        "def r(x) = let rec loop(n) = if n == 0 then 0 else loop(n - 1) in loop(x)\n",
    ),
    (
        "def g(x) = fun (a, b) -> a && !b || x",
        "def g(x) = fun (a, b) -> a && !b || x\n",
    ),
    // §6a
    (
        "orchestration W() = let t = timer(5) in let e = event(\"approve\") in await_any([t, e]); await_all([]); now()",
        "orchestration W() =\n  let t = timer(5) in\n  let e = event(\"approve\") in\n  await_any([t, e]);\n  await_all([]);\n  now()\n",
    ),
    // §7
    (
        "scenario s [allow_nondeterminism, lock_activities, timeouts, crashes = 1, duplicates = 2, lost_commits = 3, batch = one] { init Account(\"A\") = 100; start t1 = Transfer(\"A\", \"B\", 70); signal Account(\"A\").add(1); raise t1 approve(true); raise t1 \"approve\"(()); always status(t1) != \"failed\"; finally result(t1) == true; sometimes state(Account(\"A\")) == 30; expect fail \"always\" in hl; expect fail \"deadlock\" }",
        "scenario s [allow_nondeterminism, lock_activities, timeouts, crashes = 1, duplicates = 2, lost_commits = 3, batch = one] {\n  init Account(\"A\") = 100;\n  start t1 = Transfer(\"A\", \"B\", 70);\n  signal Account(\"A\").add(1);\n  raise t1 approve(true);\n  raise t1 \"approve\"();\n  always status(t1) != \"failed\";\n  finally result(t1) == true;\n  sometimes state(Account(\"A\")) == 30;\n  expect fail \"always\" in hl;\n  expect fail \"deadlock\";\n}\n",
    ),
    (
        "scenario p { expect pass }",
        "scenario p {\n  expect pass;\n}\n",
    ),
    ("scenario empty {}", "scenario empty {}\n"),
];

#[test]
fn language_md_snippets_print_canonically() {
    for (src, canonical) in SNIPPETS {
        let printed = assert_canonical(src);
        assert_eq!(&printed, canonical, "fmt of\n{src}");
        assert_eq!(
            parse_ok(canonical),
            parse_ok(src),
            "canonical form of\n{src}"
        );
    }
}

#[test]
fn language_md_parsing_rules_give_the_documented_trees() {
    // `op add(n) = signal Log("l").note(n); set(get + n);` is one operation of two steps.
    let p = parse_ok(SNIPPETS[4].0);
    let DeclKind::Entity(e) = &p.decls[0].kind else {
        panic!("expected an entity")
    };
    assert_eq!(e.ops.len(), 1);
    assert!(matches!(&e.ops[0].body.kind, ExprKind::Seq(s) if s.len() == 2));

    // `let x = a in b; c` is `let x = a in (b; c)`.
    let e = parse_expr("let x = a in b; c").unwrap();
    assert!(
        matches!(&e.kind, ExprKind::Let(_, _, body) if matches!(&body.kind, ExprKind::Seq(s) if s.len() == 2))
    );
    // `if a then b else c; d` is `if a then b else (c; d)`.
    let e = parse_expr("if a then b else c; d").unwrap();
    assert!(matches!(&e.kind, ExprKind::If(_, _, f) if matches!(&f.kind, ExprKind::Seq(_))));
    // `(if a then b else c); d` is a sequence.
    let e = parse_expr("(if a then b else c); d").unwrap();
    assert!(matches!(&e.kind, ExprKind::Seq(s) if matches!(s[0].expr.kind, ExprKind::If(..))));
    // `f()` is `f(())`, `f(a, b)` is `f((a, b))`.
    assert_eq!(parse_expr("f()").unwrap(), parse_expr("f(())").unwrap());
    assert_eq!(
        parse_expr("f(a, b)").unwrap(),
        parse_expr("f((a, b))").unwrap()
    );
    assert_eq!(print_expr(&parse_expr("f((a, b))").unwrap()), "f(a, b)");
    assert_eq!(print_expr(&parse_expr("f(())").unwrap()), "f()");
    // `await f(x)` awaits the result of `f(x)`.
    let e = parse_expr("await f(x)").unwrap();
    assert!(matches!(&e.kind, ExprKind::Await(x) if matches!(x.kind, ExprKind::App(..))));
    // `a < b < c` is a parse error; so is `[a; b]`, whose message suggests `[a, b]`.
    let errs = parse_expr("a < b < c").unwrap_err();
    assert!(errs[0].message.contains("do not chain"), "{errs:?}");
    let (_, errs) = parse("def f(u) = [a; b]");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].label.contains("[a, b]"), "{errs:?}");
    // Operands that are binding forms must be parenthesized.
    let errs = parse_expr("1 + if c then 2 else 3").unwrap_err();
    assert!(errs[0].message.contains("parenthesized"), "{errs:?}");
    // `if` always has an `else`.
    let errs = parse_expr("if c then 2").unwrap_err();
    assert!(errs[0].message.contains("else"), "{errs:?}");
}

/// Every spec in the repository's `specs/` is a fixed point of `fmt` after one pass.
#[test]
fn repository_specs_are_stable_under_fmt() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("specs/ exists") {
        let path = entry.expect("readable directory").path();
        if path.extension().is_some_and(|e| e == "dfl") {
            let src = std::fs::read_to_string(&path).expect("readable spec");
            let (_, errors) = parse(&src);
            if errors.is_empty() {
                assert_canonical(&src);
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no spec parsed in {}", dir.display());
}

// ---- comments ---------------------------------------------------------------------------------

const COMMENTED: &str = r#"// Header of the file.
// Second line of the header.

// Leading comment of the entity.
entity Account { // after the brace
  /* before init */
  init 0; // after init
  // before get
  op get(_) = get; // after get
  /* before /* nested */ add */
  op add(n) =
    // first step
    signal Log("l").note(n); // trailing step comment
    set(get + n)
  // before the closing brace
}

/* a block comment
   over two lines */
def add(a)(b) = a + b // trailing comment after a declaration

scenario s {
  // before the first item
  init Account("A") = 1; // after the first item
  always state(Account("A")) >= 0; /* block after an item */
  /* before expect */ expect pass;
  // at the end of the scenario
}

// the last comment of the file
"#;

/// Windows line ends and trailing blanks inside a block comment are printed away, and the
/// comment reads back as printed (found by `token_soup_loads_or_fails_located`).
#[test]
fn block_comments_with_windows_line_ends_round_trip() {
    for src in [
        "/*\r\n*/ ",
        "/* a \r\n  b\t\r\n*/\r\nactivity A(x) = x /* c\r\n */\r\n",
    ] {
        let printed = assert_canonical(src);
        assert!(!printed.contains('\r'), "{printed:?}");
        assert!(printed.lines().all(|l| l == l.trim_end()), "{printed:?}");
    }
    assert_eq!(assert_canonical("/*\r\n*/ "), "/*\n*/\n");
}

#[test]
fn fmt_keeps_comments() {
    let printed = fmt(COMMENTED);
    for comment in [
        "// Header of the file.",
        "// Second line of the header.",
        "// Leading comment of the entity.",
        "// after the brace",
        "/* before init */",
        "// after init",
        "// before get",
        "// after get",
        "/* before /* nested */ add */",
        "// first step",
        "// trailing step comment",
        "// before the closing brace",
        "/* a block comment\n   over two lines */",
        "// trailing comment after a declaration",
        "// before the first item",
        "// after the first item",
        "/* block after an item */",
        "/* before expect */",
        "// at the end of the scenario",
        "// the last comment of the file",
    ] {
        assert_eq!(
            printed.matches(comment).count(),
            1,
            "{comment:?} is not kept exactly once by fmt:\n{printed}"
        );
    }
    // The header stays separated from the first declaration by a blank line.
    assert!(
        printed.starts_with("// Header of the file.\n// Second line of the header.\n\n// Leading comment of the entity.\nentity Account {"),
        "{printed}"
    );
    // Printing is idempotent and comments survive a second round.
    assert_canonical(COMMENTED);
    // Comments appear in the order written.
    let order: Vec<usize> = [
        "Header",
        "after the brace",
        "before init",
        "after init",
        "before get",
        "nested",
        "first step",
        "trailing step",
        "closing brace",
        "block comment",
        "trailing comment after",
        "before the first item",
        "after the first item",
        "block after",
        "before expect",
        "end of the scenario",
        "last comment",
    ]
    .iter()
    .map(|c| {
        printed
            .find(c)
            .unwrap_or_else(|| panic!("{c} lost:\n{printed}"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "comments reordered:\n{printed}"
    );
}

#[test]
fn comments_are_attached_where_written() {
    let p = parse_ok(COMMENTED);
    let header: Vec<&str> = p.decls[0]
        .detached
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(
        header,
        ["// Header of the file.", "// Second line of the header."]
    );
    assert_eq!(
        p.decls[0].comments.leading[0].text,
        "// Leading comment of the entity."
    );
    let DeclKind::Entity(e) = &p.decls[0].kind else {
        panic!("expected an entity")
    };
    assert_eq!(e.trailing[0].text, "// before the closing brace");
    assert_eq!(
        e.ops[1].comments.leading[0].text,
        "/* before /* nested */ add */"
    );
    assert_eq!(
        p.decls[1].comments.trailing[0].text,
        "// trailing comment after a declaration"
    );
    let DeclKind::Scenario(s) = &p.decls[2].kind else {
        panic!("expected a scenario")
    };
    assert_eq!(
        s.items[0].comments.trailing[0].text,
        "// after the first item"
    );
    assert_eq!(s.trailing[0].text, "// at the end of the scenario");
    assert_eq!(p.trailing[0].text, "// the last comment of the file");
}

/// Small inputs whose comments sit in awkward places; each must survive `fmt` and be stable.
const COMMENT_CASES: &[&str] = &[
    "// only a comment\n",
    "/* only /* a nested */ block */\n",
    "// header\n\nactivity A(x) = x\n",
    "activity A(x) = x // trailing\nactivity B(x) = x\n",
    "activity A(x) = x; // after the terminator\n",
    "activity A(x) =\n  a; // one\n  b; /* two */\n  c // three\n",
    "activity A(x) =\n  // before a\n  a;\n  // before b\n  b\n",
    "entity E { init 0 // after init\n}\n",
    "entity E { init 0; op a(x) = x /* after a */ }\n",
    "entity E {\n  init 0\n  // trailing only\n}\n",
    "scenario s { // after the brace\n  expect pass\n}\n",
    "scenario s {\n  // nothing but a comment\n}\n",
    "def f(x) = /* inline */ x\n",
    "def f(x) =\n  lock [E(1)] {\n    a; // in the lock\n    b\n  }\n",
    "def f(x) =\n  (\n    a; // in parentheses\n    b\n  )\n",
];

#[test]
fn awkward_comments_survive_fmt() {
    for src in COMMENT_CASES {
        let printed = assert_canonical(src);
        let (_, _) = parse(src);
        for c in durable_interpreter::syntax::lexer::lex(src).comments {
            assert!(
                printed.contains(&c.text),
                "{:?} lost by fmt of\n{src}\nprinted:\n{printed}",
                c.text
            );
        }
    }
}

// ---- comments anywhere ----------------------------------------------------------------------

fn strip_exprs(es: &mut [Expr]) {
    es.iter_mut().for_each(strip_expr);
}

/// Removes every comment from an expression; a one-statement sequence (which exists only to
/// carry comments) becomes its statement.
fn strip_expr(e: &mut Expr) {
    use ExprKind::*;
    match &mut e.kind {
        Unit | Bool(_) | Int(_) | Str(_) | Var(_) | Get => {}
        Tuple(es) | List(es) => strip_exprs(es),
        EntityId(r) => strip_expr(&mut r.key),
        App(a, b) | Binary(_, a, b) | Let(_, a, b) | LetRec(_, _, a, b) | Try(a, _, b) => {
            strip_expr(a);
            strip_expr(b);
        }
        Builtin(_, a)
        | Await(a)
        | Call(_, a)
        | Continue(_, a)
        | Set(a)
        | Fail(a)
        | Level2(_, a)
        | Unary(_, a)
        | Fun(_, a) => strip_expr(a),
        CallEntity(t, _, a) | Signal(t, _, a) => {
            if let Target::Literal(r) = t {
                strip_expr(&mut r.key);
            }
            strip_expr(a);
        }
        If(a, b, c) => {
            strip_expr(a);
            strip_expr(b);
            strip_expr(c);
        }
        Lock(ids, body) => {
            strip_exprs(ids);
            strip_expr(body);
        }
        Seq(stmts) => {
            for s in stmts.iter_mut() {
                s.comments = Comments::default();
                strip_expr(&mut s.expr);
            }
            if stmts.len() == 1 {
                *e = stmts.pop().expect("one statement").expr;
            }
        }
    }
}

/// Removes every comment from a program.
fn strip_program(p: &mut Program) {
    p.trailing.clear();
    for d in &mut p.decls {
        d.detached.clear();
        d.comments = Comments::default();
        match &mut d.kind {
            DeclKind::Activity(f) | DeclKind::Orchestration(f) => strip_expr(&mut f.body),
            DeclKind::Entity(e) => {
                e.init_comments = Comments::default();
                e.trailing.clear();
                strip_expr(&mut e.init);
                for op in &mut e.ops {
                    op.comments = Comments::default();
                    strip_expr(&mut op.body);
                }
            }
            DeclKind::Extern(x) => strip_exprs(&mut x.replies),
            DeclKind::Def(def) => strip_expr(&mut def.body),
            DeclKind::Scenario(s) => {
                s.trailing.clear();
                for item in &mut s.items {
                    item.comments = Comments::default();
                    match &mut item.kind {
                        ItemKind::Init { entity, value } => {
                            strip_expr(&mut entity.key);
                            strip_expr(value);
                        }
                        ItemKind::Signal { entity, arg, .. } => {
                            strip_expr(&mut entity.key);
                            strip_expr(arg);
                        }
                        ItemKind::Start { arg, .. } | ItemKind::Raise { arg, .. } => {
                            strip_expr(arg)
                        }
                        ItemKind::Property(_, x) => strip_expr(x),
                        ItemKind::ExpectPass | ItemKind::ExpectFail { .. } => {}
                    }
                }
            }
        }
    }
}

/// The comment kinds inserted: `{}` stands for a unique number.
const COMMENT_FORMS: &[&str] = &[
    " // c{}\n",
    " /* c{} */ ",
    "\n/* c{} /* nested */ */\n",
    "\n\n// c{}\n\n",
    "/*c{}*/",
];

/// A random program printed, with comments inserted before random tokens.
fn commented_program() -> impl Strategy<Value = (Program, String, usize)> {
    (
        program(),
        prop::collection::vec((any::<usize>(), select(COMMENT_FORMS)), 1..8),
    )
        .prop_map(|(prog, inserts)| {
            let printed = print_program(&prog);
            let starts: Vec<usize> = durable_interpreter::syntax::lexer::lex(&printed)
                .tokens
                .iter()
                .map(|t| t.span.start as usize)
                .collect();
            let mut cuts: Vec<(usize, String)> = inserts
                .iter()
                .enumerate()
                .map(|(n, (at, form))| {
                    (
                        starts[at % starts.len()],
                        form.replace("{}", &n.to_string()),
                    )
                })
                .collect();
            cuts.sort_by_key(|(at, _)| *at);
            let mut out = String::new();
            let mut last = 0;
            for (at, comment) in &cuts {
                out.push_str(&printed[last..*at]);
                out.push_str(comment);
                last = *at;
            }
            out.push_str(&printed[last..]);
            (prog, out, inserts.len())
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Comments anywhere between tokens: the program still parses to the same AST (comments
    /// aside), `fmt` keeps every comment exactly once and is idempotent.
    #[test]
    fn comments_anywhere_are_kept((prog, src, count) in commented_program()) {
        let (parsed, errors) = parse(&src);
        prop_assert!(errors.is_empty(), "errors {:#?} in\n{}", errors, src);
        let mut stripped = parsed.clone();
        strip_program(&mut stripped);
        prop_assert_eq!(&stripped, &prog, "comments changed the AST of\n{}", src);
        let printed = print_program(&parsed);
        for n in 0..count {
            let text = format!("c{n}");
            let found = durable_interpreter::syntax::lexer::lex(&printed)
                .comments
                .iter()
                .filter(|c| c.text.contains(&format!("{text} ")) || c.text.contains(&format!("{text}*")) || c.text.ends_with(&text))
                .count();
            prop_assert_eq!(found, 1, "comment {} not kept once in\n{}\nfrom\n{}", text, printed, src);
        }
        let (again, errors) = parse(&printed);
        prop_assert!(errors.is_empty(), "errors {:#?} in fmt output\n{}\nfrom\n{}", errors, printed, src);
        let mut again_stripped = again.clone();
        strip_program(&mut again_stripped);
        prop_assert_eq!(&again_stripped, &prog, "fmt changed the AST of\n{}\nprinted\n{}", src, printed);
        prop_assert_eq!(print_program(&again), printed, "fmt is not idempotent on\n{}", src);
    }
}
