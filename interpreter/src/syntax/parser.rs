//! Recursive-descent parser for DFL (LANGUAGE.md §2, §3, §6a, §7).
//!
//! Errors are collected; after one, the parser skips to the next declaration (or, inside a
//! scenario, the next item) and goes on, so a file reports several problems. Nesting deeper
//! than [`MAX_NESTING`] is an error, never a stack overflow: every later pass over the AST is
//! recursive and relies on this bound.

use super::ast::*;
use super::lexer::{lex, Kw, Tok, Token};
use crate::diagnostic::Diagnostic;

/// The deepest syntactic nesting accepted (brackets, binding forms, operators, applications).
pub const MAX_NESTING: usize = 1000;
/// Parsing stops after this many errors in one file.
const MAX_ERRORS: usize = 20;

/// Parses a whole spec. The program holds every declaration that parsed; the diagnostics
/// every lexical and syntax error.
pub fn parse(src: &str) -> (Program, Vec<Diagnostic>) {
    let lexed = lex(src);
    let mut p = Parser {
        toks: lexed.tokens,
        pos: 0,
        comments: lexed.comments,
        next_comment: 0,
        src,
        errors: lexed.errors,
        depth: 0,
        semi: SemiCtx::Top,
    };
    let program = p.program();
    (program, p.errors)
}

/// Parses one expression (used by tests and the property printer).
pub fn parse_expr(src: &str) -> Result<Expr, Vec<Diagnostic>> {
    let lexed = lex(src);
    let mut p = Parser {
        toks: lexed.tokens,
        pos: 0,
        comments: lexed.comments,
        next_comment: 0,
        src,
        errors: lexed.errors,
        depth: 0,
        semi: SemiCtx::Nested,
    };
    let e = p.expr();
    if let Ok(e) = e {
        if p.errors.is_empty() && p.at(&Tok::Eof) {
            return Ok(e);
        }
        if p.errors.is_empty() {
            let _ = p.unexpected("the end of the expression");
        }
    }
    Err(p.errors)
}

/// Why parsing of the current declaration or item stopped; the diagnostic is already recorded.
struct Abort;

type P<T> = Result<T, Abort>;

/// What a `;` means where the parser stands (LANGUAGE.md §3, "Where `;` ends something").
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SemiCtx {
    /// Top level: `;` before a declaration keyword or the end of the file ends the declaration.
    Top,
    /// Entity body: `;` before `op` or `}` ends the `init` or the operation.
    Entity,
    /// Scenario: every `;` ends an item.
    Scenario,
    /// Inside `( )`: `;` always sequences.
    Nested,
    /// Inside a lock's `{ }`: `;` sequences, except a last one before `}`.
    Block,
    /// A list or tuple element, an argument, a lock id: no top-level `;`.
    Element,
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    comments: Vec<Comment>,
    next_comment: usize,
    src: &'a str,
    errors: Vec<Diagnostic>,
    depth: usize,
    semi: SemiCtx,
}

impl Parser<'_> {
    // ---- token access -------------------------------------------------------------------

    fn tok(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn peek(&self, k: usize) -> &Tok {
        let i = (self.pos + k).min(self.toks.len() - 1);
        &self.toks[i].tok
    }

    fn span(&self) -> Span {
        self.toks[self.pos].span
    }

    fn prev_span(&self) -> Span {
        if self.pos == 0 {
            Span::new(0, 0)
        } else {
            self.toks[self.pos - 1].span
        }
    }

    fn at(&self, t: &Tok) -> bool {
        self.tok() == t
    }

    fn at_kw(&self, k: Kw) -> bool {
        self.tok() == &Tok::Kw(k)
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.at(t) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn error(&mut self, message: impl Into<String>, span: Span, label: impl Into<String>) -> Abort {
        self.errors.push(Diagnostic::new(message, span, label));
        Abort
    }

    fn unexpected(&mut self, expected: &str) -> Abort {
        let found = self.tok().describe();
        let span = self.span();
        self.error(
            format!("expected {expected}, found {found}"),
            span,
            format!("expected {expected}"),
        )
    }

    fn expect(&mut self, t: &Tok, what: &str) -> P<Span> {
        if self.at(t) {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(what))
        }
    }

    fn expect_kw(&mut self, k: Kw) -> P<Span> {
        self.expect(&Tok::Kw(k), &format!("`{}`", k.text()))
    }

    fn too_many_errors(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    /// Runs `f` one nesting level deeper, failing beyond [`MAX_NESTING`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> P<T>) -> P<T> {
        if self.depth >= MAX_NESTING {
            let span = self.span();
            return Err(self.error(
                "nesting too deep",
                span,
                format!("DFL accepts at most {MAX_NESTING} nested levels"),
            ));
        }
        self.depth += 1;
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || f(self));
        self.depth -= 1;
        r
    }

    /// Runs `f` with `;` meaning what it means in `ctx`.
    fn with_semi<T>(&mut self, ctx: SemiCtx, f: impl FnOnce(&mut Self) -> P<T>) -> P<T> {
        let saved = self.semi;
        self.semi = ctx;
        let r = f(self);
        self.semi = saved;
        r
    }

    // ---- comments -----------------------------------------------------------------------

    /// Comments that start before the current token and were not attached yet.
    fn leading_comments(&mut self) -> Vec<Comment> {
        let limit = self.span().start;
        let mut out = Vec::new();
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start >= limit {
                break;
            }
            out.push(c.clone());
            self.next_comment += 1;
        }
        out
    }

    /// Comments that start on the line where the previous token ends, before the current token.
    fn trailing_comments(&mut self) -> Vec<Comment> {
        let prev_end = self.prev_span().end as usize;
        let limit = self.span().start;
        let mut out = Vec::new();
        while let Some(c) = self.comments.get(self.next_comment) {
            let start = c.span.start as usize;
            if c.span.start >= limit || start < prev_end || self.src[prev_end..start].contains('\n')
            {
                break;
            }
            out.push(c.clone());
            self.next_comment += 1;
        }
        out
    }

    /// Splits off the comments that a blank line separates from what follows them.
    fn split_detached(&self, leading: &mut Vec<Comment>, next_start: usize) -> Vec<Comment> {
        let blank_after = |i: usize| {
            let end = leading[i].span.end as usize;
            let next = leading
                .get(i + 1)
                .map_or(next_start, |c| c.span.start as usize);
            self.src[end..next].matches('\n').count() >= 2
        };
        match (0..leading.len()).rev().find(|&i| blank_after(i)) {
            Some(i) => leading.drain(..=i).collect(),
            None => Vec::new(),
        }
    }

    // ---- recovery -----------------------------------------------------------------------

    fn skip_to_decl(&mut self) {
        loop {
            match self.tok() {
                Tok::Eof => return,
                Tok::Kw(k) if k.starts_decl() => return,
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Skips to the `;` ending the current scenario item, which began at token `from`, or to the
    /// scenario's closing brace. A `;` inside brackets the item opened before the error does not
    /// end it (`start t = O(1; 2);`), unless those brackets are never closed.
    fn skip_item(&mut self, from: usize) {
        let open = self.toks[from.min(self.pos)..self.pos]
            .iter()
            .fold(0usize, |depth, t| match t.tok {
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth + 1,
                Tok::RParen | Tok::RBracket | Tok::RBrace => depth.saturating_sub(1),
                _ => depth,
            });
        let (end, at_semi) = self.item_end(open);
        self.pos = if open > 0 && at_semi {
            end
        } else {
            self.item_end(0).0
        };
    }

    /// Where skipping from the cursor with `depth` open brackets stops: just past a `;` at
    /// depth 0 (true), or at a closing brace at depth 0, a declaration keyword or the end.
    fn item_end(&self, mut depth: usize) -> (usize, bool) {
        let mut i = self.pos;
        loop {
            match &self.toks[i].tok {
                Tok::Eof => return (i, false),
                Tok::Kw(k) if k.starts_decl() => return (i, false),
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBracket => depth = depth.saturating_sub(1),
                Tok::RBrace if depth == 0 => return (i, false),
                Tok::RBrace => depth -= 1,
                Tok::Semi if depth == 0 => return (i + 1, true),
                _ => {}
            }
            i += 1;
        }
    }

    // ---- declarations -------------------------------------------------------------------

    fn program(&mut self) -> Program {
        let mut decls = Vec::new();
        while !self.at(&Tok::Eof) && !self.too_many_errors() {
            let mut leading = self.leading_comments();
            let start = self.span();
            let detached = self.split_detached(&mut leading, start.start as usize);
            let start_pos = self.pos;
            match self.decl() {
                Ok(kind) => {
                    self.eat(&Tok::Semi);
                    let trailing = self.trailing_comments();
                    decls.push(Decl {
                        kind,
                        span: start.to(self.prev_span()),
                        detached,
                        comments: Comments { leading, trailing },
                    });
                    if !self.at(&Tok::Eof) && !matches!(self.tok(), Tok::Kw(k) if k.starts_decl()) {
                        let _ = self.unexpected("a declaration");
                        self.bump();
                        self.skip_to_decl();
                    }
                }
                Err(Abort) => {
                    if self.pos == start_pos {
                        self.bump();
                    }
                    self.skip_to_decl();
                }
            }
        }
        let trailing = self.comments[self.next_comment..].to_vec();
        self.next_comment = self.comments.len();
        Program { decls, trailing }
    }

    fn decl(&mut self) -> P<DeclKind> {
        let kw = match self.tok() {
            Tok::Kw(k) if k.starts_decl() => *k,
            _ => {
                return Err(self.unexpected(
                    "a declaration (`activity`, `orchestration`, `entity`, `extern`, `def` or `scenario`)",
                ))
            }
        };
        self.bump();
        self.depth = 0;
        self.semi = SemiCtx::Top;
        match kw {
            Kw::Activity | Kw::Orchestration => {
                let name = self.name("a function name")?;
                let param = self.param()?;
                self.expect(&Tok::Assign, "`=`")?;
                let body = self.expr()?;
                let f = FunctionDecl { name, param, body };
                Ok(if kw == Kw::Activity {
                    DeclKind::Activity(f)
                } else {
                    DeclKind::Orchestration(f)
                })
            }
            Kw::Entity => self.entity(),
            Kw::Extern => {
                let name = self.name("an extern name")?;
                self.expect(&Tok::Colon, "`:` and the list of replies")?;
                let open = self.expect(&Tok::LBracket, "`[`")?;
                let replies = self.with_semi(SemiCtx::Element, |p| {
                    p.elements(&Tok::RBracket, "`,` or `]`", "a reply")
                })?;
                if replies.is_empty() {
                    return Err(self.error(
                        "an extern needs at least one reply",
                        open.to(self.prev_span()),
                        "list the replies it may give: `[true, false]`",
                    ));
                }
                Ok(DeclKind::Extern(ExternDecl { name, replies }))
            }
            Kw::Def => {
                let name = self.ident("the name of the helper")?;
                let mut params = vec![self.param()?];
                while self.at(&Tok::LParen) {
                    params.push(self.param()?);
                }
                self.expect(&Tok::Assign, "`=` or another parameter")?;
                let body = self.expr()?;
                Ok(DeclKind::Def(DefDecl { name, params, body }))
            }
            Kw::Scenario => self.scenario().map(DeclKind::Scenario),
            _ => unreachable!("checked by starts_decl"),
        }
    }

    fn name(&mut self, what: &str) -> P<Ident> {
        match self.tok().clone() {
            Tok::Name(n) => Ok(Ident::new(n, self.bump().span)),
            Tok::Ident(n) => {
                let span = self.span();
                Err(self.error(
                    format!("expected {what}, found `{n}`"),
                    span,
                    "function names start with an uppercase letter",
                ))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn ident(&mut self, what: &str) -> P<Ident> {
        match self.tok().clone() {
            Tok::Ident(n) => Ok(Ident::new(n, self.bump().span)),
            Tok::Name(n) => {
                let span = self.span();
                Err(self.error(
                    format!("expected {what}, found `{n}`"),
                    span,
                    "this name must start with a lowercase letter or `_`",
                ))
            }
            Tok::Kw(k) => {
                let span = self.span();
                Err(self.error(
                    format!("expected {what}, found the keyword `{}`", k.text()),
                    span,
                    "keywords are reserved",
                ))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// An operation name: a lowercase identifier or a keyword.
    fn opname(&mut self) -> P<Ident> {
        match self.tok().clone() {
            Tok::Ident(n) => Ok(Ident::new(n, self.bump().span)),
            Tok::Kw(k) => Ok(Ident::new(k.text(), self.bump().span)),
            _ => Err(self.unexpected("an operation name")),
        }
    }

    fn entity(&mut self) -> P<DeclKind> {
        let name = self.name("an entity name")?;
        self.expect(&Tok::LBrace, "`{`")?;
        let init_leading = self.leading_comments();
        self.expect_kw(Kw::Init)?;
        let init = self.with_semi(SemiCtx::Entity, |p| p.expr())?;
        let mut init_comments = Comments {
            leading: init_leading,
            trailing: Vec::new(),
        };
        let mut ops: Vec<OpDecl> = Vec::new();
        loop {
            let after_semi = self.eat(&Tok::Semi);
            let trailing = self.trailing_comments();
            match ops.last_mut() {
                Some(op) => op.comments.trailing.extend(trailing),
                None => init_comments.trailing.extend(trailing),
            }
            if self.at(&Tok::RBrace) {
                break;
            }
            if !after_semi {
                return Err(self.unexpected("`;` or `}`"));
            }
            let leading = self.leading_comments();
            let start = self.expect_kw(Kw::Op)?;
            let op_name = self.opname()?;
            let param = self.param()?;
            self.expect(&Tok::Assign, "`=`")?;
            let body = self.with_semi(SemiCtx::Entity, |p| p.expr())?;
            ops.push(OpDecl {
                name: op_name,
                param,
                body,
                span: start.to(self.prev_span()),
                comments: Comments {
                    leading,
                    trailing: Vec::new(),
                },
            });
        }
        let trailing = self.leading_comments();
        self.expect(&Tok::RBrace, "`}`")?;
        Ok(DeclKind::Entity(EntityDecl {
            name,
            init,
            init_comments,
            ops,
            trailing,
        }))
    }

    fn scenario(&mut self) -> P<Scenario> {
        let name = self.ident("a scenario name")?;
        let mut options = Vec::new();
        if self.eat(&Tok::LBracket) {
            loop {
                options.push(self.scenario_option()?);
                if self.eat(&Tok::Comma) {
                    continue;
                }
                self.expect(&Tok::RBracket, "`,` or `]`")?;
                break;
            }
        }
        self.expect(&Tok::LBrace, "`{`")?;
        let mut items = Vec::new();
        self.semi = SemiCtx::Scenario;
        loop {
            let leading = self.leading_comments();
            if self.at(&Tok::RBrace) || self.at(&Tok::Eof) || self.too_many_errors() {
                let trailing = leading;
                self.expect(&Tok::RBrace, "`}`")?;
                return Ok(Scenario {
                    name,
                    options,
                    items,
                    trailing,
                });
            }
            if matches!(self.tok(), Tok::Kw(k) if k.starts_decl()) {
                return Err(self.unexpected("`}` closing the scenario"));
            }
            let start = self.span();
            let start_pos = self.pos;
            self.depth = 0;
            match self.item() {
                Ok(kind) => {
                    let span = start.to(self.prev_span());
                    if !self.eat(&Tok::Semi) && !self.at(&Tok::RBrace) {
                        let _ = self.unexpected("`;` or `}` after the item");
                        self.skip_item(self.pos);
                    }
                    let trailing = self.trailing_comments();
                    items.push(Item {
                        kind,
                        span,
                        comments: Comments { leading, trailing },
                    });
                }
                Err(Abort) => self.skip_item(start_pos),
            }
        }
    }

    fn scenario_option(&mut self) -> P<ScenarioOption> {
        let id = self.ident("a scenario option")?;
        let count = |p: &mut Self| -> P<u32> {
            p.expect(&Tok::Assign, "`=`")?;
            match p.tok().clone() {
                Tok::Int(n) if (0..=u32::MAX as i64).contains(&n) => {
                    p.bump();
                    Ok(n as u32)
                }
                _ => Err(p.unexpected("a non-negative count")),
            }
        };
        let kind =
            match id.name.as_str() {
                "allow_nondeterminism" => OptionKind::AllowNondeterminism,
                "lock_activities" => OptionKind::LockActivities,
                "timeouts" => OptionKind::Timeouts,
                "crashes" => OptionKind::Crashes(count(self)?),
                "duplicates" => OptionKind::Duplicates(count(self)?),
                "lost_commits" => OptionKind::LostCommits(count(self)?),
                "batch" => {
                    self.expect(&Tok::Assign, "`=`")?;
                    let mode = self.ident("`one`, `all` or `any`")?;
                    match BatchMode::parse(&mode.name) {
                        Some(m) => OptionKind::Batch(m),
                        None => {
                            return Err(self.error(
                                format!("unknown batch mode `{}`", mode.name),
                                mode.span,
                                "expected `one`, `all` or `any`",
                            ))
                        }
                    }
                }
                other => return Err(self.error(
                    format!("unknown scenario option `{other}`"),
                    id.span,
                    "options are allow_nondeterminism, lock_activities, timeouts, crashes = N, \
                     duplicates = N, lost_commits = N, batch = one|all|any",
                )),
            };
        Ok(ScenarioOption {
            kind,
            span: id.span.to(self.prev_span()),
        })
    }

    fn item(&mut self) -> P<ItemKind> {
        let kw =
            match self.tok() {
                Tok::Kw(k) => *k,
                _ => return Err(self.unexpected(
                    "a scenario item (`init`, `start`, `signal`, `raise`, `always`, `finally`, \
                     `sometimes` or `expect`)",
                )),
            };
        match kw {
            Kw::Init => {
                self.bump();
                let entity = self.entity_ref()?;
                self.expect(&Tok::Assign, "`=`")?;
                let value = self.expr()?;
                Ok(ItemKind::Init { entity, value })
            }
            Kw::Start => {
                self.bump();
                let instance = self.ident("an instance name")?;
                self.expect(&Tok::Assign, "`=`")?;
                let orchestration = self.name("an orchestration name")?;
                let arg = self.args()?;
                Ok(ItemKind::Start {
                    instance,
                    orchestration,
                    arg,
                })
            }
            Kw::Signal => {
                self.bump();
                let entity = self.entity_ref()?;
                self.expect(&Tok::Dot, "`.` and an operation")?;
                let op = self.opname()?;
                let arg = self.args()?;
                Ok(ItemKind::Signal { entity, op, arg })
            }
            Kw::Raise => {
                self.bump();
                let instance = self.ident("an instance name")?;
                let (event, quoted) = match self.tok().clone() {
                    Tok::Ident(n) => (Ident::new(n, self.bump().span), false),
                    Tok::Str(s) => (Ident::new(s, self.bump().span), true),
                    _ => return Err(self.unexpected("an event name")),
                };
                let arg = self.args()?;
                Ok(ItemKind::Raise {
                    instance,
                    event,
                    quoted,
                    arg,
                })
            }
            Kw::Always | Kw::Finally | Kw::Sometimes => {
                self.bump();
                let kind = match kw {
                    Kw::Always => PropertyKind::Always,
                    Kw::Finally => PropertyKind::Finally,
                    _ => PropertyKind::Sometimes,
                };
                Ok(ItemKind::Property(kind, self.expr()?))
            }
            Kw::Expect => {
                self.bump();
                if self.eat(&Tok::Kw(Kw::Pass)) {
                    return Ok(ItemKind::ExpectPass);
                }
                if !self.eat(&Tok::Kw(Kw::Fail)) {
                    return Err(self.unexpected("`pass` or `fail`"));
                }
                let (check, check_span) = match self.tok().clone() {
                    Tok::Str(s) => (s, self.bump().span),
                    _ => return Err(self.unexpected("the check kind as a string")),
                };
                let model = if self.eat(&Tok::Kw(Kw::In)) {
                    Some(self.ident("a model name (`hl`, `cs` or `rr`)")?)
                } else {
                    None
                };
                Ok(ItemKind::ExpectFail {
                    check,
                    check_span,
                    model,
                })
            }
            _ => Err(self.unexpected(
                "a scenario item (`init`, `start`, `signal`, `raise`, `always`, `finally`, \
                 `sometimes` or `expect`)",
            )),
        }
    }

    fn entity_ref(&mut self) -> P<EntityRef> {
        let name = self.name("an entity name")?;
        let key = self.args()?;
        Ok(EntityRef {
            name,
            key: Box::new(key),
        })
    }

    // ---- patterns -----------------------------------------------------------------------

    /// `()` or `(p, ...)`: one pattern (a tuple pattern for several).
    fn param(&mut self) -> P<Pattern> {
        if !self.at(&Tok::LParen) {
            return Err(self.unexpected("a parameter in parentheses"));
        }
        self.nested(|p| p.paren_pattern())
    }

    fn paren_pattern(&mut self) -> P<Pattern> {
        let open = self.expect(&Tok::LParen, "`(`")?;
        if self.at(&Tok::RParen) {
            let close = self.bump().span;
            return Ok(Pattern::Unit(open.to(close)));
        }
        let first = self.pattern()?;
        if self.eat(&Tok::RParen) {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat(&Tok::Comma) {
            parts.push(self.pattern()?);
        }
        let close = self.expect(&Tok::RParen, "`,` or `)`")?;
        Ok(Pattern::Tuple(parts, open.to(close)))
    }

    fn pattern(&mut self) -> P<Pattern> {
        match self.tok().clone() {
            Tok::Ident(n) => Ok(Pattern::Var(Ident::new(n, self.bump().span))),
            Tok::Wild => Ok(Pattern::Wild(self.bump().span)),
            Tok::LParen => self.nested(|p| p.paren_pattern()),
            _ => Err(self.unexpected("a pattern (a variable, `_`, `()` or a tuple)")),
        }
    }

    // ---- expressions --------------------------------------------------------------------

    fn expr(&mut self) -> P<Expr> {
        self.seq().map(|(e, _)| e)
    }

    /// Does the `;` under the cursor sequence (rather than end something)?
    fn semi_sequences(&self) -> bool {
        let next = self.peek(1);
        match self.semi {
            SemiCtx::Nested => true,
            SemiCtx::Element | SemiCtx::Scenario => false,
            SemiCtx::Top => {
                !matches!(next, Tok::Eof) && !matches!(next, Tok::Kw(k) if k.starts_decl())
            }
            SemiCtx::Entity => !matches!(next, Tok::RBrace | Tok::Kw(Kw::Op)),
            SemiCtx::Block => !matches!(next, Tok::RBrace),
        }
    }

    /// A `;` sequence; the flag says whether it had a top-level `;`. Each statement after the
    /// first counts as a nesting level, which bounds every later pass over the sequence.
    fn seq(&mut self) -> P<(Expr, bool)> {
        let saved_depth = self.depth;
        let result = self.seq_statements();
        self.depth = saved_depth;
        let (mut stmts, start) = result?;
        let had_semi = stmts.len() > 1;
        if stmts.len() == 1 && stmts[0].comments.is_empty() {
            return Ok((stmts.pop().expect("one statement").expr, false));
        }
        Ok((
            Expr::new(ExprKind::Seq(stmts), start.to(self.prev_span())),
            had_semi,
        ))
    }

    fn seq_statements(&mut self) -> P<(Vec<Stmt>, Span)> {
        let mut stmts = Vec::new();
        let start = self.span();
        loop {
            let leading = self.leading_comments();
            let expr = self.binding()?;
            let mut stmt = Stmt {
                expr,
                comments: Comments {
                    leading,
                    trailing: Vec::new(),
                },
            };
            if !(self.at(&Tok::Semi) && self.semi_sequences()) {
                stmts.push(stmt);
                return Ok((stmts, start));
            }
            self.bump();
            stmt.comments.trailing = self.trailing_comments();
            stmts.push(stmt);
            self.deeper("sequence too long")?;
        }
    }

    /// A binding form (`let`, `fun`, `if`, `try`, `lock`) or a binary expression.
    fn binding(&mut self) -> P<Expr> {
        let start = self.span();
        let kind = match self.tok() {
            Tok::Kw(Kw::Let) => self.nested(|p| p.let_expr())?,
            Tok::Kw(Kw::Fun) => self.nested(|p| {
                p.bump();
                let pat = p.pattern()?;
                p.expect(&Tok::Arrow, "`->`")?;
                let body = p.expr()?;
                Ok(ExprKind::Fun(pat, Box::new(body)))
            })?,
            Tok::Kw(Kw::If) => self.nested(|p| {
                p.bump();
                let c = p.expr()?;
                p.expect_kw(Kw::Then)?;
                let t = p.expr()?;
                if !p.at_kw(Kw::Else) {
                    return Err(p.unexpected("`else` (every `if` has an `else`)"));
                }
                p.bump();
                let e = p.expr()?;
                Ok(ExprKind::If(Box::new(c), Box::new(t), Box::new(e)))
            })?,
            Tok::Kw(Kw::Try) => self.nested(|p| {
                p.bump();
                let body = p.expr()?;
                p.expect_kw(Kw::Catch)?;
                let pat = p.pattern()?;
                p.expect(&Tok::Arrow, "`->`")?;
                let handler = p.expr()?;
                Ok(ExprKind::Try(Box::new(body), pat, Box::new(handler)))
            })?,
            Tok::Kw(Kw::Lock) => self.nested(|p| {
                p.bump();
                p.expect(&Tok::LBracket, "`[` and the entities to lock")?;
                let ids = p.with_semi(SemiCtx::Element, |p| {
                    p.elements(&Tok::RBracket, "`,` or `]`", "an entity id")
                })?;
                p.expect(&Tok::LBrace, "`{`")?;
                let body = p.with_semi(SemiCtx::Block, |p| {
                    let b = p.expr()?;
                    p.eat(&Tok::Semi);
                    Ok(b)
                })?;
                p.expect(&Tok::RBrace, "`}`")?;
                Ok(ExprKind::Lock(ids, Box::new(body)))
            })?,
            _ => return self.or_expr(),
        };
        Ok(Expr::new(kind, start.to(self.prev_span())))
    }

    fn let_expr(&mut self) -> P<ExprKind> {
        self.bump();
        if self.eat(&Tok::Kw(Kw::Rec)) {
            let name = self.ident("the name of the recursive function")?;
            let param = self.param()?;
            self.expect(&Tok::Assign, "`=`")?;
            let value = self.expr()?;
            self.expect_kw(Kw::In)?;
            let body = self.expr()?;
            return Ok(ExprKind::LetRec(
                name,
                param,
                Box::new(value),
                Box::new(body),
            ));
        }
        let pat = self.pattern()?;
        if self.at(&Tok::LParen) {
            let span = self.span();
            return Err(self.error(
                "a `let` binds a pattern, not a function",
                span,
                "write `let f = fun x -> ...` or `let rec f(x) = ...`",
            ));
        }
        self.expect(&Tok::Assign, "`=`")?;
        let value = self.expr()?;
        self.expect_kw(Kw::In)?;
        let body = self.expr()?;
        Ok(ExprKind::Let(pat, Box::new(value), Box::new(body)))
    }

    fn binary_op(&self) -> Option<BinOp> {
        Some(match self.tok() {
            Tok::OrOr => BinOp::Or,
            Tok::AndAnd => BinOp::And,
            Tok::EqEq => BinOp::Eq,
            Tok::NotEq => BinOp::Ne,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            Tok::PlusPlus => BinOp::Concat,
            Tok::Plus => BinOp::Add,
            Tok::Minus => BinOp::Sub,
            Tok::Star => BinOp::Mul,
            Tok::Slash => BinOp::Div,
            Tok::Percent => BinOp::Rem,
            _ => return None,
        })
    }

    fn or_expr(&mut self) -> P<Expr> {
        self.binary_level(1)
    }

    /// Left-associative binary operators of precedence `level` and tighter; comparisons do not
    /// chain. Each link of a chain counts as a nesting level.
    fn binary_level(&mut self, level: u8) -> P<Expr> {
        if level > 6 {
            return self.unary();
        }
        let lhs = self.binary_level(level + 1)?;
        let saved_depth = self.depth;
        let result = self.binary_chain(level, lhs);
        self.depth = saved_depth;
        result
    }

    fn binary_chain(&mut self, level: u8, mut lhs: Expr) -> P<Expr> {
        while let Some(op) = self.binary_op().filter(|op| op.precedence() == level) {
            self.bump();
            self.deeper("expression too long")?;
            let rhs = self.binary_level(level + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span);
            if op.is_comparison() {
                if let Some(next) = self.binary_op().filter(|o| o.is_comparison()) {
                    let span = self.span();
                    return Err(self.error(
                        format!(
                            "comparison operators do not chain: `{}` after `{}`",
                            next.symbol(),
                            op.symbol()
                        ),
                        span,
                        "write `a < b && b < c`, or parenthesize",
                    ));
                }
                break;
            }
        }
        Ok(lhs)
    }

    /// Counts one more level of a chain (the caller restores the depth).
    fn deeper(&mut self, what: &str) -> P<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let span = self.span();
            return Err(self.error(
                what.to_string(),
                span,
                format!("DFL accepts at most {MAX_NESTING} nested levels"),
            ));
        }
        Ok(())
    }

    fn unary(&mut self) -> P<Expr> {
        let start = self.span();
        let op = match self.tok() {
            Tok::Minus => UnOp::Neg,
            Tok::Bang => UnOp::Not,
            _ => return self.app(),
        };
        self.bump();
        let operand = self.nested(|p| p.unary())?;
        let span = start.to(operand.span);
        Ok(Expr::new(ExprKind::Unary(op, Box::new(operand)), span))
    }

    fn app(&mut self) -> P<Expr> {
        let callee = self.primary()?;
        let saved_depth = self.depth;
        let result = self.app_chain(callee);
        self.depth = saved_depth;
        result
    }

    fn app_chain(&mut self, mut e: Expr) -> P<Expr> {
        while self.at(&Tok::LParen) {
            self.deeper("application chain too long")?;
            let arg = self.args()?;
            let span = e.span.to(self.prev_span());
            e = Expr::new(ExprKind::App(Box::new(e), Box::new(arg)), span);
        }
        Ok(e)
    }

    /// `()` or `(e, ...)`: one expression (a tuple for several).
    fn args(&mut self) -> P<Expr> {
        if !self.at(&Tok::LParen) {
            return Err(self.unexpected("`(` and the arguments"));
        }
        self.nested(|p| {
            let open = p.bump().span;
            let mut elems = p.with_semi(SemiCtx::Element, |p| {
                p.elements(&Tok::RParen, "`,` or `)`", "an argument")
            })?;
            let span = open.to(p.prev_span());
            Ok(match elems.len() {
                0 => Expr::new(ExprKind::Unit, span),
                1 => elems.pop().expect("one element"),
                _ => Expr::new(ExprKind::Tuple(elems), span),
            })
        })
    }

    /// Comma-separated elements up to and including `close` (already past the opener).
    fn elements(&mut self, close: &Tok, expected: &str, what: &str) -> P<Vec<Expr>> {
        let mut out = Vec::new();
        if self.eat(close) {
            return Ok(out);
        }
        loop {
            if self.at(close) {
                let span = self.span();
                return Err(self.error(
                    format!("expected {what}, found {}", close.describe()),
                    span,
                    "remove the trailing `,`",
                ));
            }
            out.push(self.expr()?);
            if self.eat(&Tok::Comma) {
                continue;
            }
            if self.eat(close) {
                return Ok(out);
            }
            if self.at(&Tok::Semi) {
                let span = self.span();
                let fix = if close == &Tok::RBracket {
                    "elements are separated by `,`: write `[a, b]`"
                } else {
                    "arguments are separated by `,`: write `(a, b)`, or `((a; b))` for a sequence"
                };
                return Err(self.error(format!("expected {expected}, found `;`"), span, fix));
            }
            return Err(self.unexpected(expected));
        }
    }

    fn primary(&mut self) -> P<Expr> {
        let start = self.span();
        let kind = match self.tok().clone() {
            Tok::Int(n) => {
                self.bump();
                ExprKind::Int(n)
            }
            Tok::Str(s) => {
                self.bump();
                ExprKind::Str(s)
            }
            Tok::True => {
                self.bump();
                ExprKind::Bool(true)
            }
            Tok::False => {
                self.bump();
                ExprKind::Bool(false)
            }
            Tok::LParen => return self.nested(|p| p.paren()),
            Tok::LBracket => self.nested(|p| {
                p.bump();
                let elems = p.with_semi(SemiCtx::Element, |p| {
                    p.elements(&Tok::RBracket, "`,` or `]`", "a list element")
                })?;
                Ok(ExprKind::List(elems))
            })?,
            Tok::Ident(n) => {
                self.bump();
                match Builtin::from_name(&n) {
                    Some(b) => {
                        if !self.at(&Tok::LParen) {
                            return Err(self.error(
                                format!("the builtin `{n}` must be applied"),
                                start,
                                format!("write `{n}(...)`"),
                            ));
                        }
                        ExprKind::Builtin(b, Box::new(self.args()?))
                    }
                    None => ExprKind::Var(n),
                }
            }
            Tok::Name(n) => {
                let name = Ident::new(n.clone(), self.bump().span);
                if !self.at(&Tok::LParen) {
                    return Err(self.error(
                        format!("`{n}` needs an argument"),
                        start,
                        format!("an entity id is written `{n}(key)`; a function is called with `call {n}(...)`"),
                    ));
                }
                ExprKind::EntityId(EntityRef {
                    name,
                    key: Box::new(self.args()?),
                })
            }
            Tok::Wild => {
                return Err(self.error(
                    "`_` is not an expression",
                    start,
                    "`_` is a pattern that matches anything",
                ))
            }
            Tok::Kw(kw) => return self.keyword_primary(kw, start),
            _ => return Err(self.unexpected("an expression")),
        };
        Ok(Expr::new(kind, start.to(self.prev_span())))
    }

    fn paren(&mut self) -> P<Expr> {
        let open = self.bump().span;
        if self.at(&Tok::RParen) {
            let close = self.bump().span;
            return Ok(Expr::new(ExprKind::Unit, open.to(close)));
        }
        let (first, had_semi) = self.with_semi(SemiCtx::Nested, |p| p.seq())?;
        if self.eat(&Tok::RParen) {
            return Ok(first);
        }
        if self.at(&Tok::Comma) && had_semi {
            let span = self.span();
            return Err(self.error(
                "a tuple element cannot be a sequence",
                span,
                "parenthesize the sequence: `((a; b), c)`",
            ));
        }
        if !self.eat(&Tok::Comma) {
            return Err(self.unexpected("`,` or `)`"));
        }
        let mut elems = vec![first];
        elems.extend(self.with_semi(SemiCtx::Element, |p| {
            p.elements(&Tok::RParen, "`,` or `)`", "a tuple element")
        })?);
        if elems.len() < 2 {
            let span = self.prev_span();
            return Err(self.error(
                "expected a tuple element",
                span,
                "a tuple has two or more elements",
            ));
        }
        Ok(Expr::new(ExprKind::Tuple(elems), open.to(self.prev_span())))
    }

    fn keyword_primary(&mut self, kw: Kw, start: Span) -> P<Expr> {
        let kind = match kw {
            Kw::Await => {
                self.bump();
                let e = self.nested(|p| p.app())?;
                ExprKind::Await(Box::new(e))
            }
            Kw::Call => {
                self.bump();
                match self.tok().clone() {
                    Tok::Name(n) => {
                        let name = Ident::new(n, self.bump().span);
                        let arg = self.args()?;
                        if self.eat(&Tok::Dot) {
                            let op = self.opname()?;
                            let op_arg = self.args()?;
                            ExprKind::CallEntity(
                                Target::Literal(EntityRef {
                                    name,
                                    key: Box::new(arg),
                                }),
                                op,
                                Box::new(op_arg),
                            )
                        } else {
                            ExprKind::Call(name, Box::new(arg))
                        }
                    }
                    Tok::Ident(_) => {
                        let var = self.ident("a variable")?;
                        self.expect(
                            &Tok::Dot,
                            "`.` and an operation (a variable can only hold an entity id)",
                        )?;
                        let op = self.opname()?;
                        let arg = self.args()?;
                        ExprKind::CallEntity(Target::Var(var), op, Box::new(arg))
                    }
                    _ => return Err(self.unexpected("a function name or an entity")),
                }
            }
            Kw::Signal => {
                self.bump();
                let target = self.target()?;
                self.expect(&Tok::Dot, "`.` and an operation")?;
                let op = self.opname()?;
                let arg = self.args()?;
                ExprKind::Signal(target, op, Box::new(arg))
            }
            Kw::Continue => {
                self.bump();
                let name = self.name("the orchestration's own name")?;
                ExprKind::Continue(name, Box::new(self.args()?))
            }
            Kw::Get => {
                self.bump();
                ExprKind::Get
            }
            Kw::Set => {
                self.bump();
                ExprKind::Set(Box::new(self.args()?))
            }
            Kw::Fail => {
                self.bump();
                ExprKind::Fail(Box::new(self.args()?))
            }
            Kw::Timer | Kw::Event | Kw::AwaitAll | Kw::AwaitAny | Kw::Now => {
                self.bump();
                let form = match kw {
                    Kw::Timer => Level2::Timer,
                    Kw::Event => Level2::Event,
                    Kw::AwaitAll => Level2::AwaitAll,
                    Kw::AwaitAny => Level2::AwaitAny,
                    _ => Level2::Now,
                };
                ExprKind::Level2(form, Box::new(self.args()?))
            }
            Kw::Let | Kw::Fun | Kw::If | Kw::Try | Kw::Lock => {
                return Err(self.error(
                    format!(
                        "{} `{}` used as an operand must be parenthesized",
                        if kw == Kw::If { "an" } else { "a" },
                        kw.text()
                    ),
                    start,
                    format!("write `({} ...)`", kw.text()),
                ))
            }
            _ => return Err(self.unexpected("an expression")),
        };
        Ok(Expr::new(kind, start.to(self.prev_span())))
    }

    fn target(&mut self) -> P<Target> {
        match self.tok() {
            Tok::Name(_) => Ok(Target::Literal(self.entity_ref()?)),
            Tok::Ident(_) => Ok(Target::Var(self.ident("a variable")?)),
            _ => Err(self.unexpected("an entity id or a variable holding one")),
        }
    }
}
