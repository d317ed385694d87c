//! The surface syntax of DFL (LANGUAGE.md §1–§7), as the parser produces it and the printer
//! prints it. Spans never take part in equality (see [`Span`]); comments do.
//!
//! Arguments and parameters are one expression or pattern: `f()` is `f(())` and `f(a, b)` is
//! `f((a, b))` (LANGUAGE.md §2), so the AST has no argument lists.

pub use super::span::Span;

/// A source comment, text included (`// ...` or `/* ... */`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// Comments attached to a declaration, entity member, scenario item or statement: those on the
/// lines before it, and those after it on its last line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Comments {
    pub leading: Vec<Comment>,
    pub trailing: Vec<Comment>,
}

impl Comments {
    pub fn is_empty(&self) -> bool {
        self.leading.is_empty() && self.trailing.is_empty()
    }
}

/// An identifier with its position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

impl Ident {
    pub fn new(name: impl Into<String>, span: Span) -> Ident {
        Ident {
            name: name.into(),
            span,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Program {
    pub decls: Vec<Decl>,
    /// Comments after the last declaration.
    pub trailing: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decl {
    pub kind: DeclKind,
    pub span: Span,
    /// Comments before the declaration but separated from it by a blank line (a file's
    /// header, a section title): printed with the blank line kept.
    pub detached: Vec<Comment>,
    pub comments: Comments,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeclKind {
    Activity(FunctionDecl),
    Orchestration(FunctionDecl),
    Entity(EntityDecl),
    Extern(ExternDecl),
    Def(DefDecl),
    Scenario(Scenario),
}

/// `activity Name param = body` or `orchestration Name param = body`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionDecl {
    pub name: Ident,
    pub param: Pattern,
    pub body: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EntityDecl {
    pub name: Ident,
    pub init: Expr,
    pub init_comments: Comments,
    pub ops: Vec<OpDecl>,
    /// Comments before the closing brace.
    pub trailing: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OpDecl {
    pub name: Ident,
    pub param: Pattern,
    pub body: Expr,
    pub span: Span,
    pub comments: Comments,
}

/// `extern Name: [reply, ...]`: an external service and the replies it may give.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExternDecl {
    pub name: Ident,
    pub replies: Vec<Expr>,
}

/// `def name(p1)(p2)... = body`: a pure, curried helper.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DefDecl {
    pub name: Ident,
    pub params: Vec<Pattern>,
    pub body: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scenario {
    pub name: Ident,
    pub options: Vec<ScenarioOption>,
    pub items: Vec<Item>,
    /// Comments before the closing brace.
    pub trailing: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScenarioOption {
    pub kind: OptionKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptionKind {
    AllowNondeterminism,
    LockActivities,
    Timeouts,
    Crashes(u32),
    Duplicates(u32),
    LostCommits(u32),
    Batch(BatchMode),
}

/// How many messages a compute-storage worker takes at once (DESIGN.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatchMode {
    One,
    All,
    Any,
}

impl BatchMode {
    pub fn name(self) -> &'static str {
        match self {
            BatchMode::One => "one",
            BatchMode::All => "all",
            BatchMode::Any => "any",
        }
    }

    pub fn parse(s: &str) -> Option<BatchMode> {
        match s {
            "one" => Some(BatchMode::One),
            "all" => Some(BatchMode::All),
            "any" => Some(BatchMode::Any),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
    pub comments: Comments,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// `init E(k) = value`
    Init {
        entity: EntityRef,
        value: Expr,
    },
    /// `start t = Name(arg)`
    Start {
        instance: Ident,
        orchestration: Ident,
        arg: Expr,
    },
    /// `signal E(k).op(arg)`
    Signal {
        entity: EntityRef,
        op: Ident,
        arg: Expr,
    },
    /// `raise t name(arg)`; the event name was written as an identifier or a string.
    Raise {
        instance: Ident,
        event: Ident,
        quoted: bool,
        arg: Expr,
    },
    Property(PropertyKind, Expr),
    ExpectPass,
    ExpectFail {
        check: String,
        check_span: Span,
        model: Option<Ident>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PropertyKind {
    Always,
    Finally,
    Sometimes,
}

impl PropertyKind {
    pub fn keyword(self) -> &'static str {
        match self {
            PropertyKind::Always => "always",
            PropertyKind::Finally => "finally",
            PropertyKind::Sometimes => "sometimes",
        }
    }
}

/// An entity id written literally: `Name(key)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EntityRef {
    pub name: Ident,
    pub key: Box<Expr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pattern {
    Var(Ident),
    Wild(Span),
    Unit(Span),
    Tuple(Vec<Pattern>, Span),
}

impl Pattern {
    pub fn span(&self) -> Span {
        match self {
            Pattern::Var(id) => id.span,
            Pattern::Wild(s) | Pattern::Unit(s) | Pattern::Tuple(_, s) => *s,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

/// One element of a `;` sequence with the comments around it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Stmt {
    pub expr: Expr,
    pub comments: Comments,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Concat => "++",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }

    /// Binding strength, loosest first (LANGUAGE.md §3).
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
            BinOp::Concat => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 6,
        }
    }

    /// Comparisons do not associate: `a < b < c` is a parse error.
    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
}

impl UnOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnOp::Neg => "-",
            UnOp::Not => "!",
        }
    }
}

/// The builtin functions of LANGUAGE.md §3 (reserved names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    Len,
    Head,
    Tail,
    Nth,
    Show,
    Min,
    Max,
    Abs,
    Choose,
}

impl Builtin {
    pub const ALL: [Builtin; 9] = [
        Builtin::Len,
        Builtin::Head,
        Builtin::Tail,
        Builtin::Nth,
        Builtin::Show,
        Builtin::Min,
        Builtin::Max,
        Builtin::Abs,
        Builtin::Choose,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Len => "len",
            Builtin::Head => "head",
            Builtin::Tail => "tail",
            Builtin::Nth => "nth",
            Builtin::Show => "show",
            Builtin::Min => "min",
            Builtin::Max => "max",
            Builtin::Abs => "abs",
            Builtin::Choose => "choose",
        }
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// The level-2 orchestration forms of LANGUAGE.md §6a that take arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level2 {
    Timer,
    Event,
    AwaitAll,
    AwaitAny,
    Now,
}

impl Level2 {
    pub fn keyword(self) -> &'static str {
        match self {
            Level2::Timer => "timer",
            Level2::Event => "event",
            Level2::AwaitAll => "await_all",
            Level2::AwaitAny => "await_any",
            Level2::Now => "now",
        }
    }
}

/// The target of `call e.op(..)` or `signal e.op(..)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Literal(EntityRef),
    Var(Ident),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExprKind {
    Unit,
    Bool(bool),
    Int(i64),
    Str(String),
    /// A lowercase identifier: a variable, a `def`, or (in properties) an instance name.
    Var(String),
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    /// `Name(key)`: an entity id, or (a load error) a function used without `call`.
    EntityId(EntityRef),
    App(Box<Expr>, Box<Expr>),
    Builtin(Builtin, Box<Expr>),
    Await(Box<Expr>),
    /// `call Name(arg)`: an activity, a sub-orchestration or an extern.
    Call(Ident, Box<Expr>),
    /// `call target.op(arg)`
    CallEntity(Target, Ident, Box<Expr>),
    /// `signal target.op(arg)`
    Signal(Target, Ident, Box<Expr>),
    Continue(Ident, Box<Expr>),
    Get,
    Set(Box<Expr>),
    Fail(Box<Expr>),
    Level2(Level2, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `s1; s2; ...`: two or more statements written without parentheses between them, or a
    /// single statement that carries comments.
    Seq(Vec<Stmt>),
    Let(Pattern, Box<Expr>, Box<Expr>),
    LetRec(Ident, Pattern, Box<Expr>, Box<Expr>),
    Fun(Pattern, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Try(Box<Expr>, Pattern, Box<Expr>),
    Lock(Vec<Expr>, Box<Expr>),
}
