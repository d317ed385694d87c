//! The core calculus the evaluator runs: the checked AST with every name resolved (variables
//! to de Bruijn indices, functions to their kind), every construct whose meaning depends on a
//! component's context turned into an [`Effect`] the component's driver answers.
//!
//! Each node has an id unique within its spec; code identity (in closures and continuations,
//! which model states hold) is that id, so hashing and comparing code is O(1) and the same on
//! every run.

use crate::syntax::ast::{BinOp, Builtin, Span, UnOp};
use crate::value::Value;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

pub type CodeRef = Arc<Code>;

pub struct Code {
    pub id: u32,
    pub span: Span,
    pub kind: CodeKind,
}

impl PartialEq for Code {
    fn eq(&self, other: &Code) -> bool {
        self.id == other.id
    }
}

impl Eq for Code {}

impl Hash for Code {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u32(self.id);
    }
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.id)
    }
}

/// A pattern; variables bind left to right, so the last one is innermost (index 0).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pat {
    Bind,
    Wild,
    Unit,
    Tuple(Vec<Pat>),
}

impl Pat {
    pub fn binds(&self) -> usize {
        match self {
            Pat::Bind => 1,
            Pat::Wild | Pat::Unit => 0,
            Pat::Tuple(ps) => ps.iter().map(Pat::binds).sum(),
        }
    }
}

/// A function: `fun p -> body`, a `def`'s parameter, a component's body over its input, or
/// (with `recursive`) `let rec`, whose body sees the closure itself bound outside the
/// parameter.
pub struct Lambda {
    pub id: u32,
    pub pat: Pat,
    pub body: CodeRef,
    pub recursive: bool,
    /// The source pattern, for messages.
    pub pat_text: String,
}

impl std::fmt::Debug for Lambda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "λ#{}", self.id)
    }
}

/// What the observers of a property read (LANGUAGE.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Observer {
    Status,
    Result,
    State,
    Locked,
}

impl Observer {
    pub fn from_name(name: &str) -> Option<Observer> {
        Some(match name {
            "status" => Observer::Status,
            "result" => Observer::Result,
            "state" => Observer::State,
            "locked" => Observer::Locked,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Observer::Status => "status",
            Observer::Result => "result",
            Observer::State => "state",
            Observer::Locked => "locked",
        }
    }
}

/// A construct whose meaning depends on the running component: the evaluator computes its
/// argument and hands it to the component's driver as a [`crate::eval::Request`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    CallActivity(Arc<str>),
    CallOrchestration(Arc<str>),
    CallExtern(Arc<str>),
    Continue(Arc<str>),
    Set,
    Timer,
    Event,
    AwaitAll,
    AwaitAny,
    Now,
    Observe(Observer),
}

pub enum CodeKind {
    Const(Value),
    /// A variable, by de Bruijn index.
    Local(u32),
    /// A `def`, by index into [`crate::load::Spec::defs`].
    Global(u32),
    Lambda(Arc<Lambda>),
    App(CodeRef, CodeRef),
    Seq(Vec<CodeRef>),
    Let(Pat, CodeRef, CodeRef),
    LetRec(Arc<Lambda>, CodeRef),
    If(CodeRef, CodeRef, CodeRef),
    Try(CodeRef, Pat, CodeRef),
    Lock(Vec<CodeRef>, CodeRef),
    Binary(BinOp, CodeRef, CodeRef),
    Unary(UnOp, CodeRef),
    Tuple(Vec<CodeRef>),
    List(Vec<CodeRef>),
    EntityId(Arc<str>, CodeRef),
    Builtin(Builtin, CodeRef),
    Await(CodeRef),
    Fail(CodeRef),
    Get,
    Effect(Effect, CodeRef),
    /// `call target.op(arg)`
    CallEntity(CodeRef, Arc<str>, CodeRef),
    /// `signal target.op(arg)`
    Signal(CodeRef, Arc<str>, CodeRef),
}
