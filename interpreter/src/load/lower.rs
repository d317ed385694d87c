//! Name resolution, the restriction table of LANGUAGE.md §4, `def` purity, and lowering of
//! expressions to core code.

use super::{scenario, EntityDef, FunctionKind, Orchestration, Spec};
use crate::code::{Code, CodeKind, CodeRef, Effect, Lambda, Observer, Pat};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::eval::{Runner, Yield};
use crate::syntax::ast::*;
use crate::syntax::printer::print_expr_one_line;
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Where code appears: decides which constructs it may use (LANGUAGE.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ctx {
    Activity,
    Orchestration,
    EntityOp,
    Def,
    Scenario,
    Property,
    EntityInit,
    ExternReply,
}

impl Ctx {
    fn describe(self) -> &'static str {
        match self {
            Ctx::Activity => "an activity",
            Ctx::Orchestration => "an orchestration",
            Ctx::EntityOp => "an entity operation",
            Ctx::Def => "a def",
            Ctx::Scenario => "a scenario",
            Ctx::Property => "a property",
            Ctx::EntityInit => "an entity's init",
            Ctx::ExternReply => "an extern's replies",
        }
    }
}

/// The constructs of the §4 table that only some kinds of code may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Construct {
    Await,
    CallActivity,
    CallOrchestration,
    CallEntity,
    Signal,
    CallExtern,
    Continue,
    GetSet,
    Lock,
    Level2(Level2),
    Choose,
}

impl Construct {
    fn text(self) -> String {
        match self {
            Construct::Await => "`await`".into(),
            Construct::CallActivity => "`call` of an activity".into(),
            Construct::CallOrchestration => "`call` of an orchestration".into(),
            Construct::CallEntity => "`call` of an entity operation".into(),
            Construct::Signal => "`signal`".into(),
            Construct::CallExtern => "`call` of an extern".into(),
            Construct::Continue => "`continue`".into(),
            Construct::GetSet => "`get` or `set`".into(),
            Construct::Lock => "`lock`".into(),
            Construct::Level2(l) => format!("`{}`", l.keyword()),
            Construct::Choose => "`choose`".into(),
        }
    }

    /// The §4 table, one row per construct.
    fn allowed(self, ctx: Ctx) -> bool {
        use Ctx::*;
        match self {
            Construct::Await => matches!(ctx, Activity | Orchestration | EntityOp),
            Construct::CallActivity
            | Construct::CallOrchestration
            | Construct::CallEntity
            | Construct::Continue
            | Construct::Lock
            | Construct::Level2(_) => ctx == Orchestration,
            Construct::Signal => matches!(ctx, Orchestration | EntityOp),
            Construct::CallExtern => matches!(ctx, Activity | EntityOp),
            Construct::GetSet => ctx == EntityOp,
            Construct::Choose => matches!(ctx, Activity | Orchestration | EntityOp | Def),
        }
    }

    fn where_allowed(self) -> &'static str {
        match self {
            Construct::Await => "activities, orchestrations and entity operations",
            Construct::CallActivity
            | Construct::CallOrchestration
            | Construct::Continue
            | Construct::Lock
            | Construct::Level2(_) => "orchestrations",
            Construct::CallEntity => "orchestrations (entities may only signal entities)",
            Construct::Signal => "orchestrations and entity operations",
            Construct::CallExtern => "activities and entity operations",
            Construct::GetSet => "entity operations",
            Construct::Choose => "activities, entity operations and defs",
        }
    }
}

/// State shared by the lowering of a whole spec.
struct Shared<'a> {
    file: SourceFile,
    functions: BTreeMap<String, FunctionKind>,
    defs: BTreeMap<String, u32>,
    next_id: u32,
    errors: &'a mut Vec<Diagnostic>,
}

impl Shared<'_> {
    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }
}

/// Lowers the code of one declaration (or one scenario item).
pub(super) struct Lowerer<'s, 'a> {
    shared: &'s mut Shared<'a>,
    ctx: Ctx,
    /// The orchestration whose body this is (for `continue`).
    current: Option<String>,
    scope: Vec<String>,
    /// Instance names, visible in properties.
    instances: BTreeSet<String>,
    /// The first direct use of `choose`.
    choose: Option<Span>,
    /// `def`s named, with where.
    def_refs: Vec<(u32, Span)>,
}

pub(super) fn lower_program(
    file: SourceFile,
    program: Program,
    errors: &mut Vec<Diagnostic>,
) -> Spec {
    let mut shared = Shared {
        file: file.clone(),
        functions: BTreeMap::new(),
        defs: BTreeMap::new(),
        next_id: 0,
        errors,
    };
    declare_names(&program, &mut shared);

    // Defs first: everything else may name them.
    let mut defs = Vec::new();
    let mut def_names = Vec::new();
    let mut def_choose: Vec<Option<Span>> = Vec::new();
    let mut def_refs: Vec<Vec<(u32, Span)>> = Vec::new();
    for decl in &program.decls {
        if let DeclKind::Def(d) = &decl.kind {
            let mut l = Lowerer::new(&mut shared, Ctx::Def, None);
            let lambda = l.curried(&d.params, &d.body);
            def_choose.push(l.choose);
            def_refs.push(l.def_refs);
            defs.push(lambda);
            def_names.push(d.name.name.clone());
        }
    }
    // A def uses choose if it does directly or names a def that does: propagate backwards
    // along the references, each def visited once.
    let mut named_by: Vec<Vec<(usize, Span)>> = vec![Vec::new(); defs.len()];
    for (i, refs) in def_refs.iter().enumerate() {
        for &(d, span) in refs {
            named_by[d as usize].push((i, span));
        }
    }
    let mut work: Vec<usize> = (0..defs.len())
        .filter(|&i| def_choose[i].is_some())
        .collect();
    while let Some(d) = work.pop() {
        for &(i, span) in &named_by[d] {
            if def_choose[i].is_none() {
                def_choose[i] = Some(span);
                work.push(i);
            }
        }
    }

    let mut spec = Spec {
        file,
        program: Program::default(),
        defs,
        def_names,
        activities: BTreeMap::new(),
        orchestrations: BTreeMap::new(),
        entities: BTreeMap::new(),
        externs: BTreeMap::new(),
        scenarios: Vec::new(),
    };

    for decl in &program.decls {
        match &decl.kind {
            DeclKind::Activity(f) => {
                let mut l = Lowerer::new(&mut shared, Ctx::Activity, None);
                let lambda = l.lambda(&f.param, &f.body, None);
                spec.activities
                    .insert(Arc::from(f.name.name.as_str()), lambda);
            }
            DeclKind::Orchestration(f) => {
                let mut l = Lowerer::new(&mut shared, Ctx::Orchestration, Some(&f.name.name));
                let lambda = l.lambda(&f.param, &f.body, None);
                let uses_choose = l.choose.or_else(|| {
                    l.def_refs
                        .iter()
                        .find(|(d, _)| def_choose[*d as usize].is_some())
                        .map(|&(_, span)| span)
                });
                spec.orchestrations.insert(
                    Arc::from(f.name.name.as_str()),
                    Orchestration {
                        lambda,
                        uses_choose,
                    },
                );
            }
            DeclKind::Entity(e) => {
                let entity = lower_entity(&mut shared, &spec, e);
                spec.entities
                    .insert(Arc::from(e.name.name.as_str()), entity);
            }
            DeclKind::Extern(x) => {
                let replies = lower_replies(&mut shared, &spec, x);
                spec.externs
                    .insert(Arc::from(x.name.name.as_str()), replies);
            }
            DeclKind::Def(_) | DeclKind::Scenario(_) => {}
        }
    }

    let mut seen_scenarios: BTreeMap<String, Span> = BTreeMap::new();
    for decl in &program.decls {
        if let DeclKind::Scenario(s) = &decl.kind {
            if let Some(first) = seen_scenarios.get(&s.name.name) {
                let at = shared.file.location(first.start);
                shared.error(Diagnostic::new(
                    format!("scenario `{}` is declared twice", s.name.name),
                    s.name.span,
                    format!("first declared at {at}"),
                ));
                continue;
            }
            seen_scenarios.insert(s.name.name.clone(), s.name.span);
            if let Some(def) = scenario::lower_scenario(
                &mut ScenarioLowering {
                    shared: &mut shared,
                    spec: &spec,
                },
                s,
            ) {
                spec.scenarios.push(def);
            }
        }
    }
    spec.program = program;
    spec
}

/// What scenario lowering needs: lowering of expressions and the spec so far.
pub(super) struct ScenarioLowering<'s, 'a, 'p> {
    shared: &'s mut Shared<'a>,
    pub(super) spec: &'p Spec,
}

impl ScenarioLowering<'_, '_, '_> {
    pub(super) fn error(&mut self, d: Diagnostic) {
        self.shared.error(d);
    }

    pub(super) fn function_kind(&self, name: &str) -> Option<FunctionKind> {
        self.shared.functions.get(name).copied()
    }

    /// Lowers a scenario expression (pure, no `choose`) and evaluates it to data.
    pub(super) fn eval(&mut self, e: &Expr, what: &str) -> Option<Value> {
        let code = Lowerer::new(self.shared, Ctx::Scenario, None).expr(e);
        self.eval_code(&code, e.span, what)
    }

    pub(super) fn eval_code(&mut self, code: &CodeRef, span: Span, what: &str) -> Option<Value> {
        // An error already reported inside the expression is the one to show.
        if self
            .shared
            .errors
            .iter()
            .any(|d| span.start <= d.span.start && d.span.end <= span.end)
        {
            return None;
        }
        match eval_pure(code, &self.spec.defs) {
            Ok(v) => Some(v),
            Err(why) => {
                self.shared.error(Diagnostic::new(
                    format!("{what} cannot be evaluated: {why}"),
                    span,
                    "scenario expressions must evaluate to data",
                ));
                None
            }
        }
    }

    /// Lowers a property over the given instance names.
    pub(super) fn property(&mut self, e: &Expr, instances: &BTreeSet<String>) -> CodeRef {
        let mut l = Lowerer::new(self.shared, Ctx::Property, None);
        l.instances = instances.clone();
        l.expr(e)
    }
}

/// Evaluates closed, pure code to data.
pub(super) fn eval_pure(code: &CodeRef, defs: &[Arc<Lambda>]) -> Result<Value, String> {
    let mut runner = Runner::eval_closed(code);
    match runner.run(defs) {
        Yield::Done(v) if v.is_data() => Ok(v),
        Yield::Done(v) => Err(format!("it is {}, not data", v.kind_name())),
        Yield::Failed(e) => Err(format!("it fails with {e}")),
        Yield::Request(_) => Err("it is not pure".into()),
    }
}

/// Records every function and def name, reporting duplicates and reserved names (§1, §2).
fn declare_names(program: &Program, shared: &mut Shared<'_>) {
    let mut first: BTreeMap<String, Span> = BTreeMap::new();
    for decl in &program.decls {
        let (name, kind) = match &decl.kind {
            DeclKind::Activity(f) => (&f.name, Some(FunctionKind::Activity)),
            DeclKind::Orchestration(f) => (&f.name, Some(FunctionKind::Orchestration)),
            DeclKind::Entity(e) => (&e.name, Some(FunctionKind::Entity)),
            DeclKind::Extern(x) => (&x.name, Some(FunctionKind::Extern)),
            DeclKind::Def(d) => (&d.name, None),
            DeclKind::Scenario(_) => continue,
        };
        if kind.is_none() {
            if Builtin::from_name(&name.name).is_some() {
                shared.error(Diagnostic::new(
                    format!("`{}` is a builtin and cannot be redefined", name.name),
                    name.span,
                    "builtin names are reserved",
                ));
                continue;
            }
            if Observer::from_name(&name.name).is_some() {
                shared.error(Diagnostic::new(
                    format!("a def cannot be named `{}`", name.name),
                    name.span,
                    "`status`, `result`, `state` and `locked` are the observers of properties",
                ));
                continue;
            }
        }
        if let Some(prev) = first.get(&name.name) {
            let at = shared.file.location(prev.start);
            shared.error(
                Diagnostic::new(
                    format!("`{}` is declared twice", name.name),
                    name.span,
                    format!("first declared at {at}"),
                )
                .with_note(
                    "names are unique across activities, orchestrations, entities, externs and defs",
                ),
            );
            continue;
        }
        first.insert(name.name.clone(), name.span);
        match kind {
            Some(k) => {
                shared.functions.insert(name.name.clone(), k);
            }
            None => {
                let i = shared.defs.len() as u32;
                shared.defs.insert(name.name.clone(), i);
            }
        }
    }
}

fn lower_entity(shared: &mut Shared<'_>, spec: &Spec, e: &EntityDecl) -> EntityDef {
    let init_code = Lowerer::new(shared, Ctx::EntityInit, None).expr(&e.init);
    let init = if shared
        .errors
        .iter()
        .any(|d| e.init.span.start <= d.span.start && d.span.end <= e.init.span.end)
    {
        Value::Unit
    } else {
        match eval_pure(&init_code, &spec.defs) {
            Ok(v) => v,
            Err(why) => {
                shared.error(Diagnostic::new(
                    format!(
                        "the init of entity `{}` cannot be evaluated: {why}",
                        e.name.name
                    ),
                    e.init.span,
                    "an entity's init must evaluate to data",
                ));
                Value::Unit
            }
        }
    };
    let mut ops = BTreeMap::new();
    for op in &e.ops {
        if ops.contains_key(op.name.name.as_str()) {
            shared.error(Diagnostic::new(
                format!(
                    "entity `{}` declares operation `{}` twice",
                    e.name.name, op.name.name
                ),
                op.name.span,
                "operation names are unique within an entity",
            ));
            continue;
        }
        let lambda = Lowerer::new(shared, Ctx::EntityOp, None).lambda(&op.param, &op.body, None);
        ops.insert(Arc::from(op.name.name.as_str()), lambda);
    }
    EntityDef { init, ops }
}

/// Is `e` constant data as an extern reply must be: literals, negative ints, entity ids, and
/// tuples and lists of those?
fn is_constant_data(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Unit | ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Str(_) => true,
        ExprKind::Unary(UnOp::Neg, x) => matches!(x.kind, ExprKind::Int(_)),
        ExprKind::Tuple(es) | ExprKind::List(es) => es.iter().all(is_constant_data),
        ExprKind::EntityId(r) => is_constant_data(&r.key),
        _ => false,
    }
}

fn lower_replies(shared: &mut Shared<'_>, spec: &Spec, x: &ExternDecl) -> Vec<Value> {
    let mut replies = Vec::new();
    for r in &x.replies {
        if !is_constant_data(r) {
            shared.error(Diagnostic::new(
                format!("a reply of extern `{}` is not constant data", x.name.name),
                r.span,
                "replies are literals, negative ints, entity ids, and tuples and lists of them",
            ));
            continue;
        }
        let code = Lowerer::new(shared, Ctx::ExternReply, None).expr(r);
        match eval_pure(&code, &spec.defs) {
            Ok(v) => replies.push(v),
            Err(why) => shared.error(Diagnostic::new(
                format!(
                    "a reply of extern `{}` cannot be evaluated: {why}",
                    x.name.name
                ),
                r.span,
                "replies must be data",
            )),
        }
    }
    replies
}

impl<'s, 'a> Lowerer<'s, 'a> {
    fn new(shared: &'s mut Shared<'a>, ctx: Ctx, current: Option<&str>) -> Self {
        Lowerer {
            shared,
            ctx,
            current: current.map(str::to_string),
            scope: Vec::new(),
            instances: BTreeSet::new(),
            choose: None,
            def_refs: Vec::new(),
        }
    }

    fn code(&mut self, span: Span, kind: CodeKind) -> CodeRef {
        Arc::new(Code {
            id: self.shared.id(),
            span,
            kind,
        })
    }

    fn error(&mut self, message: impl Into<String>, span: Span, label: impl Into<String>) {
        self.shared.error(Diagnostic::new(message, span, label));
    }

    /// A placeholder for code that had an error (already reported).
    fn broken(&mut self, span: Span) -> CodeRef {
        self.code(span, CodeKind::Const(Value::Unit))
    }

    /// Checks a row of the §4 table.
    fn check(&mut self, c: Construct, span: Span) -> bool {
        if c == Construct::Choose && matches!(self.ctx, Ctx::Orchestration | Ctx::Def) {
            self.choose.get_or_insert(span);
        }
        if c.allowed(self.ctx) {
            return true;
        }
        let (label, note) = if self.ctx == Ctx::Def {
            (
                "a def may use only pure code, builtins, `fail`, `try` and other defs".to_string(),
                "see LANGUAGE.md §2",
            )
        } else {
            (
                format!("{} may appear only in {}", c.text(), c.where_allowed()),
                "see the restriction table, LANGUAGE.md §4",
            )
        };
        self.shared.error(
            Diagnostic::new(
                format!("{} is not allowed in {}", c.text(), self.ctx.describe()),
                span,
                label,
            )
            .with_note(note),
        );
        false
    }

    /// A component body or a `fun`: `pat -> body`, closed over the current scope.
    fn lambda(&mut self, pat: &Pattern, body: &Expr, rec_name: Option<&str>) -> Arc<Lambda> {
        let depth = self.scope.len();
        if let Some(name) = rec_name {
            self.scope.push(name.to_string());
        }
        let pat_code = self.pattern(pat);
        let body_code = self.expr(body);
        self.scope.truncate(depth);
        Arc::new(Lambda {
            id: self.shared.id(),
            pat: pat_code,
            body: body_code,
            recursive: rec_name.is_some(),
            pat_text: pattern_text(pat),
        })
    }

    /// `def f(p1)(p2)... = body` as nested lambdas.
    fn curried(&mut self, params: &[Pattern], body: &Expr) -> Arc<Lambda> {
        let depth = self.scope.len();
        let pats: Vec<Pat> = params.iter().map(|p| self.pattern(p)).collect();
        let mut code = self.expr(body);
        self.scope.truncate(depth);
        let mut lambda = None;
        for (i, (pat, src)) in pats.into_iter().zip(params).enumerate().rev() {
            let l = Arc::new(Lambda {
                id: self.shared.id(),
                pat,
                body: code.clone(),
                recursive: false,
                pat_text: pattern_text(src),
            });
            if i > 0 {
                code = self.code(body.span, CodeKind::Lambda(l));
            } else {
                lambda = Some(l);
            }
        }
        lambda.expect("a def has at least one parameter")
    }

    /// Lowers a pattern and pushes the names it binds.
    fn pattern(&mut self, p: &Pattern) -> Pat {
        let mut names = Vec::new();
        let pat = self.pattern_names(p, &mut names);
        self.scope.extend(names);
        pat
    }

    fn pattern_names(&mut self, p: &Pattern, names: &mut Vec<String>) -> Pat {
        match p {
            Pattern::Var(id) => {
                self.check_binding(id);
                if names.contains(&id.name) {
                    self.error(
                        format!("`{}` is bound twice in one pattern", id.name),
                        id.span,
                        "use different names",
                    );
                }
                names.push(id.name.clone());
                Pat::Bind
            }
            Pattern::Wild(_) => Pat::Wild,
            Pattern::Unit(_) => Pat::Unit,
            Pattern::Tuple(ps, _) => {
                Pat::Tuple(ps.iter().map(|q| self.pattern_names(q, names)).collect())
            }
        }
    }

    fn check_binding(&mut self, id: &Ident) {
        if Builtin::from_name(&id.name).is_some() {
            self.error(
                format!("`{}` is a builtin and cannot be bound", id.name),
                id.span,
                "builtin names are reserved",
            );
        } else if self.ctx == Ctx::Property && Observer::from_name(&id.name).is_some() {
            self.error(
                format!("`{}` cannot be shadowed in a property", id.name),
                id.span,
                "it is an observer here",
            );
        }
    }

    fn lookup(&self, name: &str) -> Option<u32> {
        self.scope
            .iter()
            .rev()
            .position(|n| n == name)
            .map(|i| i as u32)
    }

    fn var(&mut self, name: &str, span: Span) -> CodeRef {
        if let Some(i) = self.lookup(name) {
            return self.code(span, CodeKind::Local(i));
        }
        if self.ctx == Ctx::Property {
            if self.instances.contains(name) {
                return self.code(span, CodeKind::Const(Value::str(name)));
            }
            if Observer::from_name(name).is_some() {
                self.error(
                    format!("the observer `{name}` must be applied"),
                    span,
                    format!("write `{name}(...)`"),
                );
                return self.broken(span);
            }
        }
        if let Some(&d) = self.shared.defs.get(name) {
            self.def_refs.push((d, span));
            return self.code(span, CodeKind::Global(d));
        }
        let hint = if self.ctx == Ctx::Property {
            "not a variable, a def or an instance started by this scenario"
        } else {
            "not a variable in scope or a def"
        };
        let mut d = Diagnostic::new(format!("unknown name `{name}`"), span, hint);
        if Observer::from_name(name).is_some() {
            d = d.with_note(format!(
                "`{name}` is an observer only in properties (`always`, `finally`, `sometimes`)"
            ));
        }
        self.shared.error(d);
        self.broken(span)
    }

    /// `Name(key)` as an entity id.
    fn entity_ref(&mut self, r: &EntityRef, span: Span) -> CodeRef {
        let name = &r.name.name;
        match self.shared.functions.get(name).copied() {
            Some(FunctionKind::Entity) => {
                let key = self.expr(&r.key);
                self.code(span, CodeKind::EntityId(Arc::from(name.as_str()), key))
            }
            Some(kind) => {
                self.error(
                    format!("`{name}` is {}, not an entity", kind.article()),
                    r.name.span,
                    format!("call it with `call {name}(...)`"),
                );
                self.broken(span)
            }
            None => {
                self.error(
                    format!("unknown entity `{name}`"),
                    r.name.span,
                    "no entity of this name is declared",
                );
                self.broken(span)
            }
        }
    }

    fn target(&mut self, t: &Target, span: Span) -> CodeRef {
        match t {
            Target::Literal(r) => self.entity_ref(r, span),
            Target::Var(id) => self.var(&id.name, id.span),
        }
    }

    pub(super) fn expr(&mut self, e: &Expr) -> CodeRef {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &Expr) -> CodeRef {
        let span = e.span;
        let kind = match &e.kind {
            ExprKind::Unit => CodeKind::Const(Value::Unit),
            ExprKind::Bool(b) => CodeKind::Const(Value::Bool(*b)),
            ExprKind::Int(n) => CodeKind::Const(Value::Int(*n)),
            ExprKind::Str(s) => CodeKind::Const(Value::str(s)),
            ExprKind::Var(name) => return self.var(name, span),
            ExprKind::Tuple(es) => CodeKind::Tuple(es.iter().map(|x| self.expr(x)).collect()),
            ExprKind::List(es) => CodeKind::List(es.iter().map(|x| self.expr(x)).collect()),
            ExprKind::EntityId(r) => return self.entity_ref(r, span),
            ExprKind::App(f, arg) => {
                if self.ctx == Ctx::Property {
                    if let ExprKind::Var(name) = &f.kind {
                        if let Some(obs) = Observer::from_name(name) {
                            if self.lookup(name).is_none() {
                                let arg = self.expr(arg);
                                return self
                                    .code(span, CodeKind::Effect(Effect::Observe(obs), arg));
                            }
                        }
                    }
                }
                CodeKind::App(self.expr(f), self.expr(arg))
            }
            ExprKind::Builtin(b, arg) => {
                if *b == Builtin::Choose && !self.check(Construct::Choose, span) {
                    return self.broken(span);
                }
                CodeKind::Builtin(*b, self.expr(arg))
            }
            ExprKind::Await(x) => {
                self.check(Construct::Await, span);
                CodeKind::Await(self.expr(x))
            }
            ExprKind::Call(name, arg) => return self.call(name, arg, span),
            ExprKind::CallEntity(t, op, arg) => {
                self.check(Construct::CallEntity, span);
                let target = self.target(t, span);
                let arg = self.expr(arg);
                CodeKind::CallEntity(target, Arc::from(op.name.as_str()), arg)
            }
            ExprKind::Signal(t, op, arg) => {
                self.check(Construct::Signal, span);
                let target = self.target(t, span);
                let arg = self.expr(arg);
                CodeKind::Signal(target, Arc::from(op.name.as_str()), arg)
            }
            ExprKind::Continue(name, arg) => {
                if self.check(Construct::Continue, span)
                    && self.current.as_deref() != Some(name.name.as_str())
                {
                    let own = self.current.clone().unwrap_or_default();
                    self.error(
                        format!("`continue {}` in orchestration `{own}`", name.name),
                        name.span,
                        format!("`continue` must name the orchestration it appears in: `continue {own}(...)`"),
                    );
                }
                CodeKind::Effect(
                    Effect::Continue(Arc::from(name.name.as_str())),
                    self.expr(arg),
                )
            }
            ExprKind::Get => {
                self.check(Construct::GetSet, span);
                CodeKind::Get
            }
            ExprKind::Set(arg) => {
                self.check(Construct::GetSet, span);
                CodeKind::Effect(Effect::Set, self.expr(arg))
            }
            ExprKind::Fail(arg) => CodeKind::Fail(self.expr(arg)),
            ExprKind::Level2(form, arg) => {
                self.check(Construct::Level2(*form), span);
                let effect = match form {
                    Level2::Timer => Effect::Timer,
                    Level2::Event => Effect::Event,
                    Level2::AwaitAll => Effect::AwaitAll,
                    Level2::AwaitAny => Effect::AwaitAny,
                    Level2::Now => Effect::Now,
                };
                CodeKind::Effect(effect, self.expr(arg))
            }
            ExprKind::Unary(op, x) => CodeKind::Unary(*op, self.expr(x)),
            ExprKind::Binary(op, a, b) => CodeKind::Binary(*op, self.expr(a), self.expr(b)),
            ExprKind::Seq(stmts) => {
                if stmts.len() == 1 {
                    return self.expr(&stmts[0].expr);
                }
                CodeKind::Seq(stmts.iter().map(|s| self.expr(&s.expr)).collect())
            }
            ExprKind::Let(p, value, body) => {
                let value = self.expr(value);
                let depth = self.scope.len();
                let pat = self.pattern(p);
                let body = self.expr(body);
                self.scope.truncate(depth);
                CodeKind::Let(pat, value, body)
            }
            ExprKind::LetRec(name, p, value, body) => {
                self.check_binding(name);
                let lambda = self.lambda(p, value, Some(&name.name));
                self.scope.push(name.name.clone());
                let body = self.expr(body);
                self.scope.pop();
                CodeKind::LetRec(lambda, body)
            }
            ExprKind::Fun(p, body) => CodeKind::Lambda(self.lambda(p, body, None)),
            ExprKind::If(c, t, f) => CodeKind::If(self.expr(c), self.expr(t), self.expr(f)),
            ExprKind::Try(body, p, handler) => {
                let body = self.expr(body);
                let depth = self.scope.len();
                let pat = self.pattern(p);
                let handler = self.expr(handler);
                self.scope.truncate(depth);
                CodeKind::Try(body, pat, handler)
            }
            ExprKind::Lock(ids, body) => {
                self.check(Construct::Lock, span);
                let ids = ids.iter().map(|x| self.expr(x)).collect();
                CodeKind::Lock(ids, self.expr(body))
            }
        };
        self.code(span, kind)
    }

    /// `call Name(arg)`: an activity, a sub-orchestration or an extern.
    fn call(&mut self, name: &Ident, arg: &Expr, span: Span) -> CodeRef {
        let n: Arc<str> = Arc::from(name.name.as_str());
        let (construct, effect) = match self.shared.functions.get(&name.name).copied() {
            Some(FunctionKind::Activity) => (Construct::CallActivity, Effect::CallActivity(n)),
            Some(FunctionKind::Orchestration) => {
                (Construct::CallOrchestration, Effect::CallOrchestration(n))
            }
            Some(FunctionKind::Extern) => (Construct::CallExtern, Effect::CallExtern(n)),
            Some(FunctionKind::Entity) => {
                self.error(
                    format!("`{}` is an entity: call one of its operations", name.name),
                    name.span,
                    format!("write `call {}(key).operation(...)`", name.name),
                );
                return self.broken(span);
            }
            None => {
                self.error(
                    format!("unknown function `{}`", name.name),
                    name.span,
                    "no activity, orchestration or extern of this name is declared",
                );
                return self.broken(span);
            }
        };
        self.check(construct, span);
        let arg = self.expr(arg);
        self.code(span, CodeKind::Effect(effect, arg))
    }
}

fn pattern_text(p: &Pattern) -> String {
    match p {
        Pattern::Var(id) => id.name.clone(),
        Pattern::Wild(_) => "_".into(),
        Pattern::Unit(_) => "()".into(),
        Pattern::Tuple(ps, _) => format!(
            "({})",
            ps.iter().map(pattern_text).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A property's name in reports: its keyword and its expression on one line.
pub(super) fn property_name(kind: PropertyKind, e: &Expr) -> String {
    format!("{} {}", kind.keyword(), print_expr_one_line(e))
}
