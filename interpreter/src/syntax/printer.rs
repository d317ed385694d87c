//! The canonical printer behind `durable fmt` (built on the `pretty` crate).
//!
//! Layout: declarations separated by a blank line; a body that fits goes on its declaration's
//! line, else on the next, indented by two; sequences put one statement per line; scenarios one
//! item per line, each ending in `;`; arguments in their short forms (`f()`, `f(a, b)`). The
//! printer adds exactly the parentheses the grammar needs (LANGUAGE.md §3), so
//! `parse(print(ast)) == ast`, and printing is idempotent.

use super::ast::*;
use pretty::RcDoc;

type Doc = RcDoc<'static, ()>;

/// Line width of the canonical layout.
pub const WIDTH: usize = 100;

/// Prints a whole spec in canonical layout, comments kept.
pub fn print_program(program: &Program) -> String {
    let p = Printer { one_line: false };
    let mut parts: Vec<Doc> = program.decls.iter().map(|d| p.decl(d)).collect();
    if !program.trailing.is_empty() {
        parts.push(p.comment_lines(&program.trailing));
    }
    let doc = Doc::intersperse(parts, Doc::hardline().append(Doc::hardline()));
    let mut out = render(&doc, WIDTH);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Prints an expression on one line, comments dropped: how reports name a property.
pub fn print_expr_one_line(e: &Expr) -> String {
    let p = Printer { one_line: true };
    // One group around everything: with no hard line inside and an unbounded width, every
    // break (a sequence's included) is a space.
    render(&p.expr(e, Level::Seq, Ctx::Free).group(), usize::MAX / 4)
}

/// Prints an expression in canonical layout.
pub fn print_expr(e: &Expr) -> String {
    let p = Printer { one_line: false };
    render(&p.expr(e, Level::Seq, Ctx::Free), WIDTH)
}

fn render(doc: &Doc, width: usize) -> String {
    let mut out = Vec::new();
    doc.render(width, &mut out)
        .expect("rendering into memory cannot fail");
    let text = String::from_utf8(out).expect("the printer writes UTF-8");
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// How tightly an expression binds, loosest first; an expression printed where a tighter one
/// is required gets parentheses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Seq,
    Binding,
    Or,
    And,
    Compare,
    Concat,
    Add,
    Mul,
    Unary,
    App,
    Primary,
}

fn binop_level(op: BinOp) -> Level {
    match op.precedence() {
        1 => Level::Or,
        2 => Level::And,
        3 => Level::Compare,
        4 => Level::Concat,
        5 => Level::Add,
        _ => Level::Mul,
    }
}

/// Whether a bare `;` would end the enclosing construct here (a scenario item, a list
/// element, an argument): then a sequence needs parentheses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Free,
    SemiEnds,
}

struct Printer {
    one_line: bool,
}

fn text(s: impl Into<String>) -> Doc {
    Doc::text(s.into())
}

impl Printer {
    /// A break that is a space when the group fits; in one-line mode, always a space.
    fn line(&self) -> Doc {
        Doc::line()
    }

    /// A break that is always taken, except in one-line mode.
    fn hard(&self) -> Doc {
        if self.one_line {
            Doc::line()
        } else {
            Doc::hardline()
        }
    }

    fn comment_lines(&self, comments: &[Comment]) -> Doc {
        Doc::intersperse(
            comments.iter().map(|c| text(c.text.clone())),
            Doc::hardline(),
        )
    }

    /// `doc` with its leading comments above it and its trailing ones after `suffix`. A
    /// trailing `//` comment ends its line: `break_after` adds the line break when the caller
    /// does not put one there anyway.
    fn with_comments(&self, comments: &Comments, doc: Doc, suffix: &str, break_after: bool) -> Doc {
        let mut out = Doc::nil();
        if !self.one_line && !comments.leading.is_empty() {
            out = self
                .comment_lines(&comments.leading)
                .append(Doc::hardline());
        }
        out = out.append(doc).append(text(suffix));
        if !self.one_line {
            for c in &comments.trailing {
                out = out.append(text(" ")).append(text(c.text.clone()));
            }
            let line_comment = comments.trailing.iter().any(|c| c.text.starts_with("//"));
            if line_comment && break_after {
                out = out.append(Doc::hardline());
            }
        }
        out
    }

    // ---- declarations -------------------------------------------------------------------

    fn decl(&self, d: &Decl) -> Doc {
        let body = match &d.kind {
            DeclKind::Activity(f) => self.function("activity", f),
            DeclKind::Orchestration(f) => self.function("orchestration", f),
            DeclKind::Entity(e) => self.entity(e),
            DeclKind::Extern(x) => text(format!("extern {}: ", x.name.name))
                .append(self.bracketed("[", &x.replies, "]")),
            DeclKind::Def(def) => {
                let mut head = text(format!("def {}", def.name.name));
                for p in &def.params {
                    head = head.append(self.param(p));
                }
                self.equation(head, &def.body)
            }
            DeclKind::Scenario(s) => self.scenario(s),
        };
        let doc = self.decl_comments(&d.comments, body);
        if d.detached.is_empty() {
            return doc;
        }
        self.comment_lines(&d.detached)
            .append(Doc::hardline())
            .append(Doc::hardline())
            .append(doc)
    }

    fn decl_comments(&self, comments: &Comments, doc: Doc) -> Doc {
        let mut out = Doc::nil();
        if !comments.leading.is_empty() {
            out = self
                .comment_lines(&comments.leading)
                .append(Doc::hardline());
        }
        out = out.append(doc);
        for c in &comments.trailing {
            out = out.append(text(" ")).append(text(c.text.clone()));
        }
        out
    }

    fn function(&self, keyword: &str, f: &FunctionDecl) -> Doc {
        let head = text(format!("{keyword} {}", f.name.name)).append(self.param(&f.param));
        self.equation(head, &f.body)
    }

    /// `head = body`, the body on the same line if it fits, else indented below.
    fn equation(&self, head: Doc, body: &Expr) -> Doc {
        head.append(text(" ="))
            .append(
                self.line()
                    .append(self.expr(body, Level::Seq, Ctx::Free))
                    .nest(2),
            )
            .group()
    }

    fn entity(&self, e: &EntityDecl) -> Doc {
        let mut members = vec![(
            &e.init_comments,
            text("init ").append(self.expr(&e.init, Level::Seq, Ctx::Free)),
        )];
        for op in &e.ops {
            let head = text(format!("op {}", op.name.name)).append(self.param(&op.param));
            members.push((&op.comments, self.equation(head, &op.body)));
        }
        let last = members.len() - 1;
        let has_comments = !e.trailing.is_empty() || members.iter().any(|(c, _)| !c.is_empty());
        // Comments put every member on its own line.
        let sep = || {
            if has_comments {
                Doc::hardline()
            } else {
                self.line()
            }
        };
        let mut inner = Doc::nil();
        for (i, (comments, doc)) in members.into_iter().enumerate() {
            let suffix = if i == last { "" } else { ";" };
            inner = inner
                .append(sep())
                .append(self.with_comments(comments, doc, suffix, false));
        }
        if !e.trailing.is_empty() {
            inner = inner
                .append(Doc::hardline())
                .append(self.comment_lines(&e.trailing));
        }
        text(format!("entity {} {{", e.name.name))
            .append(inner.nest(2))
            .append(sep())
            .append(text("}"))
            .group()
    }

    fn scenario(&self, s: &Scenario) -> Doc {
        let mut head = format!("scenario {}", s.name.name);
        if !s.options.is_empty() {
            let opts: Vec<String> = s.options.iter().map(|o| option_text(o.kind)).collect();
            head.push_str(&format!(" [{}]", opts.join(", ")));
        }
        if s.items.is_empty() && s.trailing.is_empty() {
            return text(format!("{head} {{}}"));
        }
        let mut inner = Doc::nil();
        for item in &s.items {
            inner = inner.append(Doc::hardline()).append(self.with_comments(
                &item.comments,
                self.item(&item.kind),
                ";",
                false,
            ));
        }
        if !s.trailing.is_empty() {
            inner = inner
                .append(Doc::hardline())
                .append(self.comment_lines(&s.trailing));
        }
        text(format!("{head} {{"))
            .append(inner.nest(2))
            .append(Doc::hardline())
            .append(text("}"))
    }

    fn item(&self, item: &ItemKind) -> Doc {
        let e = |x: &Expr| self.expr(x, Level::Seq, Ctx::SemiEnds);
        match item {
            ItemKind::Init { entity, value } => text("init ")
                .append(self.entity_ref(entity))
                .append(text(" = "))
                .append(e(value)),
            ItemKind::Start {
                instance,
                orchestration,
                arg,
            } => text(format!("start {} = {}", instance.name, orchestration.name))
                .append(self.args(arg)),
            ItemKind::Signal { entity, op, arg } => text("signal ")
                .append(self.entity_ref(entity))
                .append(text(format!(".{}", op.name)))
                .append(self.args(arg)),
            ItemKind::Raise {
                instance,
                event,
                quoted,
                arg,
            } => {
                let name = if *quoted {
                    quote(&event.name)
                } else {
                    event.name.clone()
                };
                text(format!("raise {} {name}", instance.name)).append(self.args(arg))
            }
            ItemKind::Property(kind, expr) => text(format!("{} ", kind.keyword())).append(e(expr)),
            ItemKind::ExpectPass => text("expect pass"),
            ItemKind::ExpectFail { check, model, .. } => {
                let mut s = format!("expect fail {}", quote(check));
                if let Some(m) = model {
                    s.push_str(&format!(" in {}", m.name));
                }
                text(s)
            }
        }
    }

    // ---- patterns -----------------------------------------------------------------------

    /// A parameter: always in parentheses, a tuple pattern in its short form.
    fn param(&self, p: &Pattern) -> Doc {
        match p {
            Pattern::Unit(_) | Pattern::Tuple(..) => self.pattern(p),
            _ => text("(").append(self.pattern(p)).append(text(")")),
        }
    }

    fn pattern(&self, p: &Pattern) -> Doc {
        match p {
            Pattern::Var(id) => text(id.name.clone()),
            Pattern::Wild(_) => text("_"),
            Pattern::Unit(_) => text("()"),
            Pattern::Tuple(parts, _) => text("(")
                .append(Doc::intersperse(
                    parts.iter().map(|q| self.pattern(q)),
                    text(", "),
                ))
                .append(text(")")),
        }
    }

    // ---- expressions --------------------------------------------------------------------

    fn entity_ref(&self, r: &EntityRef) -> Doc {
        text(r.name.name.clone()).append(self.args(&r.key))
    }

    fn target(&self, t: &Target) -> Doc {
        match t {
            Target::Literal(r) => self.entity_ref(r),
            Target::Var(id) => text(id.name.clone()),
        }
    }

    /// An argument in its short form: `()`, `(a, b)` for a tuple, `(a)` otherwise.
    fn args(&self, arg: &Expr) -> Doc {
        match &arg.kind {
            ExprKind::Unit => text("()"),
            ExprKind::Tuple(elems) => self.bracketed("(", elems, ")"),
            _ => self.bracketed("(", std::slice::from_ref(arg), ")"),
        }
    }

    fn bracketed(&self, open: &str, elems: &[Expr], close: &str) -> Doc {
        if elems.is_empty() {
            return text(format!("{open}{close}"));
        }
        let items = Doc::intersperse(
            elems
                .iter()
                .map(|e| self.expr(e, Level::Binding, Ctx::SemiEnds)),
            text(",").append(self.line()),
        );
        text(open.to_string())
            .append(Doc::line_().append(items).nest(2))
            .append(Doc::line_())
            .append(text(close.to_string()))
            .group()
    }

    fn level_of(e: &Expr) -> Level {
        match &e.kind {
            ExprKind::Seq(_) => Level::Seq,
            ExprKind::Let(..)
            | ExprKind::LetRec(..)
            | ExprKind::Fun(..)
            | ExprKind::If(..)
            | ExprKind::Try(..)
            | ExprKind::Lock(..) => Level::Binding,
            ExprKind::Binary(op, ..) => binop_level(*op),
            ExprKind::Unary(..) => Level::Unary,
            ExprKind::App(..) => Level::App,
            _ => Level::Primary,
        }
    }

    /// Prints `e` where at least `min` is required, parenthesizing otherwise.
    fn expr(&self, e: &Expr, min: Level, ctx: Ctx) -> Doc {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            let level = Self::level_of(e);
            let needs_parens = level < min || (level == Level::Seq && ctx == Ctx::SemiEnds);
            if needs_parens {
                text("(").append(self.bare(e, Ctx::Free)).append(text(")"))
            } else {
                self.bare(e, ctx)
            }
        })
    }

    /// Is `e` a binding form whose last part extends to the right (`let`, `fun`, `if`, `try`)?
    fn extends_right(e: &Expr) -> bool {
        matches!(
            e.kind,
            ExprKind::Let(..)
                | ExprKind::LetRec(..)
                | ExprKind::Fun(..)
                | ExprKind::If(..)
                | ExprKind::Try(..)
        )
    }

    fn bare(&self, e: &Expr, ctx: Ctx) -> Doc {
        let sub = |x: &Expr, min: Level| self.expr(x, min, ctx);
        match &e.kind {
            ExprKind::Unit => text("()"),
            ExprKind::Bool(b) => text(b.to_string()),
            ExprKind::Int(n) if *n < 0 => text(format!("({n})")),
            ExprKind::Int(n) => text(n.to_string()),
            ExprKind::Str(s) => text(quote(s)),
            ExprKind::Var(v) => text(v.clone()),
            ExprKind::Tuple(elems) => self.bracketed("(", elems, ")"),
            ExprKind::List(elems) => self.bracketed("[", elems, "]"),
            ExprKind::EntityId(r) => self.entity_ref(r),
            ExprKind::App(f, arg) => {
                let callee = if matches!(f.kind, ExprKind::Await(_)) {
                    text("(").append(self.bare(f, Ctx::Free)).append(text(")"))
                } else {
                    sub(f, Level::App)
                };
                callee.append(self.args(arg))
            }
            ExprKind::Builtin(b, arg) => text(b.name()).append(self.args(arg)),
            ExprKind::Await(x) => text("await ").append(sub(x, Level::App)),
            ExprKind::Call(name, arg) => text(format!("call {}", name.name)).append(self.args(arg)),
            ExprKind::CallEntity(t, op, arg) => text("call ")
                .append(self.target(t))
                .append(text(format!(".{}", op.name)))
                .append(self.args(arg)),
            ExprKind::Signal(t, op, arg) => text("signal ")
                .append(self.target(t))
                .append(text(format!(".{}", op.name)))
                .append(self.args(arg)),
            ExprKind::Continue(name, arg) => {
                text(format!("continue {}", name.name)).append(self.args(arg))
            }
            ExprKind::Get => text("get"),
            ExprKind::Set(arg) => text("set").append(self.args(arg)),
            ExprKind::Fail(arg) => text("fail").append(self.args(arg)),
            ExprKind::Level2(form, arg) => text(form.keyword()).append(self.args(arg)),
            ExprKind::Unary(op, x) => {
                let operand = sub(x, Level::Unary);
                // `- -x` and `-(-3)`: keep two minus signs apart.
                let sep = if *op == UnOp::Neg && matches!(x.kind, ExprKind::Unary(UnOp::Neg, _)) {
                    " "
                } else {
                    ""
                };
                text(format!("{}{sep}", op.symbol())).append(operand)
            }
            ExprKind::Binary(op, a, b) => {
                let level = binop_level(*op);
                let (lmin, rmin) = if op.is_comparison() {
                    (Level::Concat, Level::Concat)
                } else {
                    (level, next_level(level))
                };
                sub(a, lmin)
                    .append(text(format!(" {}", op.symbol())))
                    .append(self.line().append(sub(b, rmin)).nest(2))
                    .group()
            }
            ExprKind::Seq(stmts) => self.seq(stmts, ctx),
            ExprKind::Let(p, value, body) => text("let ")
                .append(self.pattern(p))
                .append(text(" = "))
                .append(sub(value, Level::Seq))
                .append(text(" in"))
                .append(self.line())
                .append(sub(body, Level::Seq))
                .group(),
            ExprKind::LetRec(name, p, value, body) => {
                let head = text(format!("let rec {}", name.name)).append(self.param(p));
                head.append(text(" ="))
                    .append(self.line().append(sub(value, Level::Seq)).nest(2))
                    .append(self.line())
                    .append(text("in"))
                    .group()
                    .append(self.line())
                    .append(sub(body, Level::Seq))
                    .group()
            }
            ExprKind::Fun(p, body) => text("fun ")
                .append(self.pattern(p))
                .append(text(" ->"))
                .append(self.line().append(sub(body, Level::Seq)).nest(2))
                .group(),
            ExprKind::If(c, t, f) => {
                let else_part = if matches!(f.kind, ExprKind::If(..)) {
                    text(" ").append(sub(f, Level::Seq))
                } else {
                    self.line().append(sub(f, Level::Seq)).nest(2).group()
                };
                text("if ")
                    .append(sub(c, Level::Seq))
                    .append(text(" then"))
                    .append(self.line().append(sub(t, Level::Seq)).nest(2))
                    .append(self.line())
                    .append(text("else"))
                    .append(else_part)
                    .group()
            }
            ExprKind::Try(body, p, handler) => text("try")
                .append(self.line().append(sub(body, Level::Seq)).nest(2))
                .append(self.line())
                .append(text("catch "))
                .append(self.pattern(p))
                .append(text(" ->"))
                .append(self.line().append(sub(handler, Level::Seq)).nest(2))
                .group(),
            ExprKind::Lock(ids, body) => text("lock ")
                .append(self.bracketed("[", ids, "]"))
                .append(text(" {"))
                .append(
                    self.line()
                        .append(self.expr(body, Level::Seq, Ctx::Free))
                        .nest(2),
                )
                .append(self.line())
                .append(text("}"))
                .group(),
        }
    }

    fn seq(&self, stmts: &[Stmt], ctx: Ctx) -> Doc {
        let last = stmts.len() - 1;
        let mut out = Doc::nil();
        for (i, s) in stmts.iter().enumerate() {
            // A binding form that extends to the right would swallow the statements after it.
            let min = if i < last && Self::extends_right(&s.expr) {
                Level::App
            } else {
                Level::Binding
            };
            let doc = self.expr(&s.expr, min, ctx);
            let sep = if i < last { ";" } else { "" };
            out = out.append(self.with_comments(&s.comments, doc, sep, i == last));
            if i < last {
                out = out.append(self.hard());
            }
        }
        out
    }
}

fn next_level(l: Level) -> Level {
    match l {
        Level::Seq => Level::Binding,
        Level::Binding => Level::Or,
        Level::Or => Level::And,
        Level::And => Level::Compare,
        Level::Compare => Level::Concat,
        Level::Concat => Level::Add,
        Level::Add => Level::Mul,
        Level::Mul => Level::Unary,
        Level::Unary => Level::App,
        Level::App | Level::Primary => Level::Primary,
    }
}

fn option_text(kind: OptionKind) -> String {
    match kind {
        OptionKind::AllowNondeterminism => "allow_nondeterminism".into(),
        OptionKind::LockActivities => "lock_activities".into(),
        OptionKind::Timeouts => "timeouts".into(),
        OptionKind::Crashes(n) => format!("crashes = {n}"),
        OptionKind::Duplicates(n) => format!("duplicates = {n}"),
        OptionKind::LostCommits(n) => format!("lost_commits = {n}"),
        OptionKind::Batch(m) => format!("batch = {}", m.name()),
    }
}

/// A string in DFL literal syntax.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
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
