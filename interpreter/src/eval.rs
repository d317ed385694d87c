//! The evaluator of one component (DESIGN.md §2): a CEK machine over [`crate::code`] with
//! environments and an explicit continuation, so a component can stop at any effect point,
//! be stored in a model state as a [`Machine`], and be resumed later, possibly in another
//! model.
//!
//! The evaluator knows the lambda calculus, the builtins, `try` and `fail`. Everything that
//! depends on which component runs (calls, signals, `get`/`set`, `await` of a future, locks,
//! `choose`, observers) is a [`Request`] to the component's driver, which answers with
//! [`Runner::give`] or [`Runner::raise`], or stops there.
//!
//! Limits (LANGUAGE.md §3a): at most [`MAX_STEPS`] steps between two effect points (an
//! application, an operator, a builtin or a pattern match is one step) and [`MAX_DEPTH`]
//! nested calls; beyond either the component raises `"recursion: limit exceeded"`.

use crate::code::{CodeKind, CodeRef, Effect, Lambda, Observer, Pat};
use crate::env::Env;
use crate::syntax::ast::{BinOp, Builtin, UnOp};
use crate::value::{stable_hasher, TooDeep, Value};
use imbl::Vector;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

pub const MAX_STEPS: u64 = 1_000_000;
pub const MAX_DEPTH: u32 = 10_000;

/// What a component asks of its driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// `await` of a future: answer with its result, or suspend.
    Await(u32),
    CallActivity(Arc<str>, Value),
    CallOrchestration(Arc<str>, Value),
    CallExtern(Arc<str>, Value),
    CallEntity(Value, Arc<str>, Value),
    Signal(Value, Arc<str>, Value),
    /// `continue Name(arg)`: never answered; the execution ends.
    Continue(Arc<str>, Value),
    Get,
    Set(Value),
    /// `choose(l)`: answer with one of the (non-empty) elements.
    Choose(Vec<Value>),
    /// `lock [ids] {...}`: the evaluated ids as written; answer with the grant's future.
    LockAcquire(Vec<Value>),
    /// Leaving a critical section; answer with `()`.
    LockRelease,
    Timer(Value),
    Event(Value),
    AwaitAll(Value),
    AwaitAny(Value),
    Now,
    Observe(Observer, Value),
}

/// Why [`Runner::run`] returned.
#[derive(Clone, Debug, PartialEq)]
pub enum Yield {
    Done(Value),
    Failed(Value),
    Request(Request),
}

/// A language error payload: its category, then a message for people.
pub fn error(category: &str, message: impl AsRef<str>) -> Value {
    Value::str(&format!("{category}: {}", message.as_ref()))
}

pub fn recursion_error() -> Value {
    error("recursion", "limit exceeded")
}

fn too_deep(_: TooDeep) -> Value {
    recursion_error()
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum Frame {
    /// The function is being evaluated; the argument comes next.
    AppArg(CodeRef, Env),
    /// The argument is being evaluated; then the function is applied.
    Apply(Value),
    /// A call boundary: counts towards the depth limit until the call returns.
    Return,
    /// Statement `next` of the sequence comes next.
    Seq(CodeRef, u32, Env),
    Let(CodeRef, Env),
    If(CodeRef, Env),
    Try(CodeRef, Env),
    /// The left operand is being evaluated.
    BinLeft(CodeRef, Env),
    BinApply(BinOp, Value),
    /// The right operand of `&&`/`||` must be a bool.
    BoolCheck,
    Unary(UnOp),
    /// Elements of a tuple, list or lock set; the values computed so far.
    Elems(CodeRef, Env, Vec<Value>),
    EntityKey(Arc<str>),
    Builtin(Builtin),
    Await,
    Fail,
    Effect(Effect),
    /// The target of a call or signal is being evaluated; the argument comes next.
    Target(CodeRef, Env),
    /// The argument of a call or signal is being evaluated.
    Send(CodeRef, Value),
    /// Waiting for the grant of a lock; then the body runs.
    LockGranted(CodeRef, Env),
    /// Inside a critical section: leaving it releases the locks.
    LockBody,
    /// Restores the outcome of a critical section once its release is answered.
    Restore(Result<Value, Value>),
}

enum Ctrl {
    Eval(CodeRef, Env),
    Return(Value),
    Raise(Value),
    /// A request is outstanding.
    Waiting,
}

/// A running component.
pub struct Runner {
    ctrl: Ctrl,
    stack: Vec<Frame>,
    depth: u32,
    steps: u64,
}

/// A suspended component: its continuation, and what it resumes with (`None`: the answer to
/// its last request). Cheap to clone, canonical to hash and compare.
#[derive(Clone)]
pub struct Machine(Arc<MachineInner>);

struct MachineInner {
    stack: Vec<Frame>,
    depth: u32,
    pending: Option<Result<Value, Value>>,
    hash: OnceLock<u64>,
}

impl Machine {
    fn hash_value(&self) -> u64 {
        *self.0.hash.get_or_init(|| {
            let mut h = stable_hasher();
            self.0.stack.hash(&mut h);
            self.0.depth.hash(&mut h);
            self.0.pending.hash(&mut h);
            h.finish()
        })
    }
}

impl PartialEq for Machine {
    fn eq(&self, other: &Machine) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.hash_value() == other.hash_value()
                && self.0.depth == other.0.depth
                && self.0.pending == other.0.pending
                && self.0.stack == other.0.stack)
    }
}

impl Eq for Machine {}

impl Hash for Machine {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash_value());
    }
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<machine {:016x}>", self.hash_value())
    }
}

/// The result of one evaluation step: continue, or hand a request to the driver.
type Step = Option<Request>;

impl Runner {
    /// A component that applies `lambda` (closed, like every component body) to `arg`.
    pub fn apply_lambda(lambda: &Arc<Lambda>, arg: Value) -> Runner {
        let mut r = Runner::empty();
        match Value::closure(lambda.clone(), Env::empty()) {
            Ok(f) => {
                r.stack.push(Frame::Apply(f));
                r.ctrl = Ctrl::Return(arg);
            }
            Err(e) => r.ctrl = Ctrl::Raise(too_deep(e)),
        }
        r
    }

    /// Evaluates closed code (a property, a scenario expression).
    pub fn eval_closed(code: &CodeRef) -> Runner {
        let mut r = Runner::empty();
        r.ctrl = Ctrl::Eval(code.clone(), Env::empty());
        r
    }

    fn empty() -> Runner {
        Runner {
            ctrl: Ctrl::Waiting,
            stack: Vec::new(),
            depth: 0,
            steps: 0,
        }
    }

    /// Continues a suspended component; the step counter starts afresh (a new effect step).
    pub fn resume(m: &Machine) -> Runner {
        Runner {
            ctrl: match &m.0.pending {
                None => Ctrl::Waiting,
                Some(Ok(v)) => Ctrl::Return(v.clone()),
                Some(Err(e)) => Ctrl::Raise(e.clone()),
            },
            stack: m.0.stack.clone(),
            depth: m.0.depth,
            steps: 0,
        }
    }

    /// Stops here; [`Runner::resume`] continues from this point.
    pub fn suspend(self) -> Machine {
        let pending = match self.ctrl {
            Ctrl::Waiting => None,
            Ctrl::Return(v) => Some(Ok(v)),
            Ctrl::Raise(e) => Some(Err(e)),
            Ctrl::Eval(..) => unreachable!("a runner stops only between steps"),
        };
        Machine(Arc::new(MachineInner {
            stack: self.stack,
            depth: self.depth,
            pending,
            hash: OnceLock::new(),
        }))
    }

    /// Answers the outstanding request with a value.
    pub fn give(&mut self, v: Value) {
        self.ctrl = Ctrl::Return(v);
    }

    /// Answers the outstanding request by raising an error in the component.
    pub fn raise(&mut self, e: Value) {
        self.ctrl = Ctrl::Raise(e);
    }

    /// Was the last request answered by raising an error?
    pub fn raising(&self) -> bool {
        matches!(self.ctrl, Ctrl::Raise(_))
    }

    /// Runs until the component finishes, fails or makes a request.
    pub fn run(&mut self, defs: &[Arc<Lambda>]) -> Yield {
        loop {
            let request = match std::mem::replace(&mut self.ctrl, Ctrl::Waiting) {
                Ctrl::Eval(code, env) => self.eval(code, env, defs),
                Ctrl::Return(v) => match self.stack.pop() {
                    None => return Yield::Done(v),
                    Some(frame) => self.ret(frame, v),
                },
                Ctrl::Raise(e) => match self.unwind(e) {
                    Ok(step) => step,
                    Err(e) => return Yield::Failed(e),
                },
                Ctrl::Waiting => unreachable!("run() while a request is outstanding"),
            };
            if let Some(r) = request {
                return Yield::Request(r);
            }
        }
    }

    fn throw(&mut self, e: Value) -> Step {
        self.ctrl = Ctrl::Raise(e);
        None
    }

    fn value(&mut self, v: Value) -> Step {
        self.ctrl = Ctrl::Return(v);
        None
    }

    fn result(&mut self, r: Result<Value, Value>) -> Step {
        match r {
            Ok(v) => self.value(v),
            Err(e) => self.throw(e),
        }
    }

    /// Counts one step; false (and the error raised) past the limit.
    fn tick(&mut self) -> bool {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.ctrl = Ctrl::Raise(recursion_error());
            return false;
        }
        true
    }

    fn eval(&mut self, code: CodeRef, env: Env, defs: &[Arc<Lambda>]) -> Step {
        match &code.kind {
            CodeKind::Const(v) => self.value(v.clone()),
            CodeKind::Local(i) => self.value(env.get(*i).clone()),
            CodeKind::Global(i) => {
                let lambda = defs[*i as usize].clone();
                let r = Value::closure(lambda, Env::empty()).map_err(too_deep);
                self.result(r)
            }
            CodeKind::Lambda(l) => {
                let r = Value::closure(l.clone(), env).map_err(too_deep);
                self.result(r)
            }
            CodeKind::App(f, _) => {
                let f = f.clone();
                self.stack.push(Frame::AppArg(code, env.clone()));
                self.ctrl = Ctrl::Eval(f, env);
                None
            }
            CodeKind::Seq(stmts) => {
                let first = stmts[0].clone();
                self.stack.push(Frame::Seq(code.clone(), 1, env.clone()));
                self.ctrl = Ctrl::Eval(first, env);
                None
            }
            CodeKind::Let(_, value, _) | CodeKind::If(value, _, _) => {
                let value = value.clone();
                let frame = if matches!(code.kind, CodeKind::Let(..)) {
                    Frame::Let(code.clone(), env.clone())
                } else {
                    Frame::If(code.clone(), env.clone())
                };
                self.stack.push(frame);
                self.ctrl = Ctrl::Eval(value, env);
                None
            }
            CodeKind::LetRec(lambda, body) => {
                match Value::closure(lambda.clone(), env.clone()) {
                    Ok(f) => self.ctrl = Ctrl::Eval(body.clone(), env.push(f)),
                    Err(e) => self.ctrl = Ctrl::Raise(too_deep(e)),
                }
                None
            }
            CodeKind::Try(body, _, _) => {
                let body = body.clone();
                self.stack.push(Frame::Try(code.clone(), env.clone()));
                self.ctrl = Ctrl::Eval(body, env);
                None
            }
            CodeKind::Binary(_, lhs, _) => {
                let lhs = lhs.clone();
                self.stack.push(Frame::BinLeft(code.clone(), env.clone()));
                self.ctrl = Ctrl::Eval(lhs, env);
                None
            }
            CodeKind::Unary(op, x) => self.then_eval(Frame::Unary(*op), x, env),
            CodeKind::Tuple(items) | CodeKind::List(items) | CodeKind::Lock(items, _) => {
                match items.first().cloned() {
                    Some(first) => {
                        self.stack
                            .push(Frame::Elems(code.clone(), env.clone(), Vec::new()));
                        self.ctrl = Ctrl::Eval(first, env);
                        None
                    }
                    None => self.elems_done(&code, env, Vec::new()),
                }
            }
            CodeKind::EntityId(name, key) => {
                self.then_eval(Frame::EntityKey(name.clone()), key, env)
            }
            CodeKind::Builtin(b, arg) => self.then_eval(Frame::Builtin(*b), arg, env),
            CodeKind::Await(x) => self.then_eval(Frame::Await, x, env),
            CodeKind::Fail(x) => self.then_eval(Frame::Fail, x, env),
            CodeKind::Get => Some(Request::Get),
            CodeKind::Effect(effect, arg) => {
                self.then_eval(Frame::Effect(effect.clone()), arg, env)
            }
            CodeKind::CallEntity(target, _, _) | CodeKind::Signal(target, _, _) => {
                let target = target.clone();
                self.stack.push(Frame::Target(code.clone(), env.clone()));
                self.ctrl = Ctrl::Eval(target, env);
                None
            }
        }
    }

    fn then_eval(&mut self, frame: Frame, code: &CodeRef, env: Env) -> Step {
        self.stack.push(frame);
        self.ctrl = Ctrl::Eval(code.clone(), env);
        None
    }

    /// A value returns to the frame on top of the continuation.
    fn ret(&mut self, frame: Frame, v: Value) -> Step {
        match frame {
            Frame::AppArg(code, env) => {
                let CodeKind::App(_, arg) = &code.kind else {
                    unreachable!("AppArg holds an application")
                };
                self.then_eval(Frame::Apply(v), arg, env)
            }
            Frame::Apply(f) => self.apply(f, v),
            Frame::Return => {
                self.depth -= 1;
                self.value(v)
            }
            Frame::Seq(code, next, env) => {
                let CodeKind::Seq(stmts) = &code.kind else {
                    unreachable!("Seq holds a sequence")
                };
                let stmt = stmts[next as usize].clone();
                if (next as usize) + 1 < stmts.len() {
                    self.stack
                        .push(Frame::Seq(code.clone(), next + 1, env.clone()));
                }
                self.ctrl = Ctrl::Eval(stmt, env);
                None
            }
            Frame::Let(code, env) => {
                let CodeKind::Let(pat, _, body) = &code.kind else {
                    unreachable!("Let holds a let")
                };
                if !self.tick() {
                    return None;
                }
                match bind(pat, &v, env) {
                    Ok(env) => {
                        self.ctrl = Ctrl::Eval(body.clone(), env);
                        None
                    }
                    Err(e) => self.throw(e),
                }
            }
            Frame::If(code, env) => {
                let CodeKind::If(_, then, els) = &code.kind else {
                    unreachable!("If holds an if")
                };
                match v {
                    Value::Bool(b) => {
                        self.ctrl = Ctrl::Eval(if b { then.clone() } else { els.clone() }, env);
                        None
                    }
                    other => self.throw(error(
                        "type",
                        format!("`if` needs a bool, got {}", other.kind_name()),
                    )),
                }
            }
            Frame::Try(..) => self.value(v),
            Frame::BinLeft(code, env) => {
                let CodeKind::Binary(op, _, rhs) = &code.kind else {
                    unreachable!("BinLeft holds a binary operation")
                };
                match op {
                    BinOp::And | BinOp::Or => {
                        let Value::Bool(b) = v else {
                            return self.throw(error(
                                "type",
                                format!("`{}` needs bools, got {}", op.symbol(), v.kind_name()),
                            ));
                        };
                        if !self.tick() {
                            return None;
                        }
                        if b == (*op == BinOp::Or) {
                            self.value(Value::Bool(b))
                        } else {
                            self.then_eval(Frame::BoolCheck, rhs, env)
                        }
                    }
                    _ => self.then_eval(Frame::BinApply(*op, v), rhs, env),
                }
            }
            Frame::BoolCheck => match v {
                Value::Bool(_) => self.value(v),
                other => self.throw(error(
                    "type",
                    format!("`&&` and `||` need bools, got {}", other.kind_name()),
                )),
            },
            Frame::BinApply(op, lhs) => {
                if !self.tick() {
                    return None;
                }
                let r = binary(op, &lhs, &v);
                self.result(r)
            }
            Frame::Unary(op) => {
                if !self.tick() {
                    return None;
                }
                let r = unary(op, &v);
                self.result(r)
            }
            Frame::Elems(code, env, mut done) => {
                done.push(v);
                let items = match &code.kind {
                    CodeKind::Tuple(items) | CodeKind::List(items) | CodeKind::Lock(items, _) => {
                        items
                    }
                    _ => unreachable!("Elems holds a tuple, list or lock"),
                };
                match items.get(done.len()).cloned() {
                    Some(next) => {
                        self.stack
                            .push(Frame::Elems(code.clone(), env.clone(), done));
                        self.ctrl = Ctrl::Eval(next, env);
                        None
                    }
                    None => self.elems_done(&code, env, done),
                }
            }
            Frame::EntityKey(name) => {
                if !v.is_data() {
                    return self.throw(error(
                        "type",
                        format!("an entity key must be data, got {}", v.kind_name()),
                    ));
                }
                let r = Value::entity(name, v).map_err(too_deep);
                self.result(r)
            }
            Frame::Builtin(b) => {
                if !self.tick() {
                    return None;
                }
                match builtin(b, &v) {
                    Ok(BuiltinResult::Value(x)) => self.value(x),
                    Ok(BuiltinResult::Choose(items)) => Some(Request::Choose(items)),
                    Err(e) => self.throw(e),
                }
            }
            Frame::Await => match v {
                Value::Future(n) => Some(Request::Await(n)),
                other => self.value(other),
            },
            Frame::Fail => self.throw(v),
            Frame::Effect(effect) => Some(match effect {
                Effect::CallActivity(n) => Request::CallActivity(n, v),
                Effect::CallOrchestration(n) => Request::CallOrchestration(n, v),
                Effect::CallExtern(n) => Request::CallExtern(n, v),
                Effect::Continue(n) => Request::Continue(n, v),
                Effect::Set => Request::Set(v),
                Effect::Timer => Request::Timer(v),
                Effect::Event => Request::Event(v),
                Effect::AwaitAll => Request::AwaitAll(v),
                Effect::AwaitAny => Request::AwaitAny(v),
                Effect::Now => Request::Now,
                Effect::Observe(o) => Request::Observe(o, v),
            }),
            Frame::Target(code, env) => {
                let (CodeKind::CallEntity(_, _, arg) | CodeKind::Signal(_, _, arg)) = &code.kind
                else {
                    unreachable!("Target holds a call or signal")
                };
                let arg = arg.clone();
                self.then_eval(Frame::Send(code.clone(), v), &arg, env)
            }
            Frame::Send(code, target) => match &code.kind {
                CodeKind::CallEntity(_, op, _) => Some(Request::CallEntity(target, op.clone(), v)),
                CodeKind::Signal(_, op, _) => Some(Request::Signal(target, op.clone(), v)),
                _ => unreachable!("Send holds a call or signal"),
            },
            Frame::LockGranted(code, env) => {
                let CodeKind::Lock(_, body) = &code.kind else {
                    unreachable!("LockGranted holds a lock")
                };
                self.then_eval(Frame::LockBody, body, env)
            }
            Frame::LockBody => {
                self.stack.push(Frame::Restore(Ok(v)));
                Some(Request::LockRelease)
            }
            Frame::Restore(r) => self.result(r),
        }
    }

    fn elems_done(&mut self, code: &CodeRef, env: Env, done: Vec<Value>) -> Step {
        match &code.kind {
            CodeKind::Tuple(_) => {
                let r = Value::tuple(done).map_err(too_deep);
                self.result(r)
            }
            CodeKind::List(_) => {
                let r = Value::list(done.into_iter().collect()).map_err(too_deep);
                self.result(r)
            }
            CodeKind::Lock(..) => {
                self.stack.push(Frame::LockGranted(code.clone(), env));
                self.stack.push(Frame::Await);
                Some(Request::LockAcquire(done))
            }
            _ => unreachable!("elements of a tuple, list or lock"),
        }
    }

    fn apply(&mut self, f: Value, arg: Value) -> Step {
        if !self.tick() {
            return None;
        }
        let Value::Closure(c) = &f else {
            return self.throw(error("type", format!("cannot apply {}", f.kind_name())));
        };
        if self.depth >= MAX_DEPTH {
            return self.throw(recursion_error());
        }
        let mut env = c.env.clone();
        if c.lambda.recursive {
            env = env.push(f.clone());
        }
        match bind(&c.lambda.pat, &arg, env) {
            Ok(env) => {
                self.depth += 1;
                self.stack.push(Frame::Return);
                self.ctrl = Ctrl::Eval(c.lambda.body.clone(), env);
                None
            }
            Err(e) => self.throw(e),
        }
    }

    /// An error travels outward to the nearest `try`; a critical section it leaves releases
    /// its locks first. `Err` when it leaves the component.
    fn unwind(&mut self, e: Value) -> Result<Step, Value> {
        while let Some(frame) = self.stack.pop() {
            match frame {
                Frame::Return => self.depth -= 1,
                Frame::LockBody => {
                    self.stack.push(Frame::Restore(Err(e)));
                    return Ok(Some(Request::LockRelease));
                }
                Frame::Try(code, env) => {
                    let CodeKind::Try(_, pat, handler) = &code.kind else {
                        unreachable!("Try holds a try")
                    };
                    if !self.tick() {
                        return Ok(None);
                    }
                    if let Ok(env) = bind(pat, &e, env) {
                        self.ctrl = Ctrl::Eval(handler.clone(), env);
                        return Ok(None);
                    }
                }
                _ => {}
            }
        }
        Err(e)
    }
}

/// Binds a pattern (LANGUAGE.md §3a: a tuple pattern matches a tuple or a list of its length).
pub fn bind(pat: &Pat, v: &Value, env: Env) -> Result<Env, Value> {
    match pat {
        Pat::Bind => Ok(env.push(v.clone())),
        Pat::Wild => Ok(env),
        Pat::Unit => match v {
            Value::Unit => Ok(env),
            other => Err(error(
                "pattern",
                format!("`()` does not match {}", other.kind_name()),
            )),
        },
        Pat::Tuple(ps) => {
            let items = match v.elements() {
                Some(items) if items.len() == ps.len() => items,
                Some(items) => {
                    return Err(error(
                        "pattern",
                        format!(
                            "a {}-tuple pattern does not match {} of length {}",
                            ps.len(),
                            v.kind_name(),
                            items.len()
                        ),
                    ))
                }
                None => {
                    return Err(error(
                        "pattern",
                        format!(
                            "a {}-tuple pattern does not match {}",
                            ps.len(),
                            v.kind_name()
                        ),
                    ))
                }
            };
            let mut env = env;
            for (p, x) in ps.iter().zip(items.iter()) {
                env = bind(p, x, env)?;
            }
            Ok(env)
        }
    }
}

fn arith(r: Option<i64>) -> Result<Value, Value> {
    r.map(Value::Int)
        .ok_or_else(|| error("arithmetic", "overflow"))
}

/// A binary operator on two values (LANGUAGE.md §3a).
pub fn binary(op: BinOp, a: &Value, b: &Value) -> Result<Value, Value> {
    use Value::*;
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
            let (Int(x), Int(y)) = (a, b) else {
                return Err(error(
                    "type",
                    format!(
                        "`{}` needs two ints, got {} and {}",
                        op.symbol(),
                        a.kind_name(),
                        b.kind_name()
                    ),
                ));
            };
            match op {
                BinOp::Add => arith(x.checked_add(*y)),
                BinOp::Sub => arith(x.checked_sub(*y)),
                BinOp::Mul => arith(x.checked_mul(*y)),
                _ if *y == 0 => Err(error("arithmetic", "division by zero")),
                BinOp::Div => arith(x.checked_div(*y)),
                _ => arith(x.checked_rem(*y)),
            }
        }
        BinOp::Concat => match (a, b) {
            (Str(x), Str(y)) => Ok(Value::str(&format!("{x}{y}"))),
            (List(x), List(y)) => {
                let mut items = x.items.clone();
                items.append(y.items.clone());
                let bound = a.depth().max(b.depth());
                Value::list_bounded(items, bound).map_err(too_deep)
            }
            _ => Err(error(
                "type",
                format!(
                    "`++` joins two strings or two lists, got {} and {}",
                    a.kind_name(),
                    b.kind_name()
                ),
            )),
        },
        BinOp::Eq | BinOp::Ne => {
            if !a.is_data() || !b.is_data() {
                let culprit = if a.is_data() { b } else { a };
                return Err(error(
                    "type",
                    format!(
                        "`{}` compares data, not {}",
                        op.symbol(),
                        culprit.kind_name()
                    ),
                ));
            }
            Ok(Bool((a == b) == (op == BinOp::Eq)))
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = match (a, b) {
                (Int(x), Int(y)) => x.cmp(y),
                (Str(x), Str(y)) => x.as_bytes().cmp(y.as_bytes()),
                _ => {
                    return Err(error(
                        "type",
                        format!(
                            "`{}` compares two ints or two strings, got {} and {}",
                            op.symbol(),
                            a.kind_name(),
                            b.kind_name()
                        ),
                    ))
                }
            };
            Ok(Bool(match op {
                BinOp::Lt => ord.is_lt(),
                BinOp::Le => ord.is_le(),
                BinOp::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            }))
        }
        BinOp::And | BinOp::Or => unreachable!("short-circuit operators are evaluated lazily"),
    }
}

pub fn unary(op: UnOp, v: &Value) -> Result<Value, Value> {
    match (op, v) {
        (UnOp::Neg, Value::Int(n)) => arith(n.checked_neg()),
        (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnOp::Neg, other) => Err(error(
            "type",
            format!("`-` needs an int, got {}", other.kind_name()),
        )),
        (UnOp::Not, other) => Err(error(
            "type",
            format!("`!` needs a bool, got {}", other.kind_name()),
        )),
    }
}

enum BuiltinResult {
    Value(Value),
    Choose(Vec<Value>),
}

fn list_of<'a>(name: &str, v: &'a Value) -> Result<&'a Vector<Value>, Value> {
    match v {
        Value::List(c) => Ok(&c.items),
        other => Err(error(
            "type",
            format!("`{name}` needs a list, got {}", other.kind_name()),
        )),
    }
}

fn two_args(name: &str, v: &Value) -> Result<(Value, Value), Value> {
    match v.elements() {
        Some(items) if items.len() == 2 => Ok((items[0].clone(), items[1].clone())),
        _ => Err(error(
            "type",
            format!("`{name}` takes two arguments, got {}", v.kind_name()),
        )),
    }
}

fn builtin(b: Builtin, v: &Value) -> Result<BuiltinResult, Value> {
    let value = |x| Ok(BuiltinResult::Value(x));
    match b {
        Builtin::Len => value(Value::Int(list_of("len", v)?.len() as i64)),
        Builtin::Head => match list_of("head", v)?.front() {
            Some(x) => value(x.clone()),
            None => Err(error("type", "head of an empty list")),
        },
        Builtin::Tail => {
            let items = list_of("tail", v)?;
            if items.is_empty() {
                return Err(error("type", "tail of an empty list"));
            }
            value(Value::list_bounded(items.skip(1), v.depth()).map_err(too_deep)?)
        }
        Builtin::Nth => {
            let (l, i) = two_args("nth", v)?;
            let items = list_of("nth", &l)?;
            let Value::Int(i) = i else {
                return Err(error(
                    "type",
                    format!("`nth` needs an int index, got {}", i.kind_name()),
                ));
            };
            match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                Some(x) => value(x.clone()),
                None => Err(error(
                    "type",
                    format!(
                        "nth: index {i} out of range for a list of length {}",
                        items.len()
                    ),
                )),
            }
        }
        Builtin::Show => {
            if !v.is_data() {
                return Err(error(
                    "type",
                    format!("`show` prints data, not {}", v.kind_name()),
                ));
            }
            value(Value::str(&v.to_string()))
        }
        Builtin::Min | Builtin::Max => {
            let (x, y) = two_args(b.name(), v)?;
            let comparable = matches!(
                (&x, &y),
                (Value::Int(_), Value::Int(_)) | (Value::Str(_), Value::Str(_))
            );
            if !comparable {
                return Err(error(
                    "type",
                    format!(
                        "`{}` takes two ints or two strings, got {} and {}",
                        b.name(),
                        x.kind_name(),
                        y.kind_name()
                    ),
                ));
            }
            let pick_x = if b == Builtin::Min { x <= y } else { x >= y };
            value(if pick_x { x } else { y })
        }
        Builtin::Abs => match v {
            Value::Int(n) => value(arith(n.checked_abs())?),
            other => Err(error(
                "type",
                format!("`abs` needs an int, got {}", other.kind_name()),
            )),
        },
        Builtin::Choose => {
            let items = list_of("choose", v)?;
            if items.is_empty() {
                return Err(error("type", "choose from an empty list"));
            }
            Ok(BuiltinResult::Choose(items.iter().cloned().collect()))
        }
    }
}
