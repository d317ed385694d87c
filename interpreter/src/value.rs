//! Runtime values (LANGUAGE.md §3a): data, closures and futures.
//!
//! Values live inside model states, which are cloned and hashed at every step, so compound
//! values are shared behind `Arc` and cache their hash; equal values always hash alike, with a
//! hasher that has no per-process seed. Data has the one total order of §3a, used wherever
//! something must be canonical.

use crate::code::Lambda;
use crate::env::Env;
use crate::syntax::printer::quote;
use imbl::Vector;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

/// The deepest nesting of tuples, lists, entity ids and closures a value may have; building a
/// deeper one raises `"recursion: limit exceeded"` (it would overflow the native stack of
/// every recursive operation on values).
pub const MAX_VALUE_DEPTH: u32 = 10_000;

#[derive(Clone)]
pub enum Value {
    Unit,
    Bool(bool),
    Int(i64),
    Str(Arc<str>),
    Tuple(Arc<Compound<Box<[Value]>>>),
    List(Arc<Compound<Vector<Value>>>),
    Entity(Arc<EntityId>),
    Closure(Arc<Closure>),
    /// A future of the running component, numbered by its call counter (DESIGN.md §2). It
    /// never leaves the component, so the owner is implicit.
    Future(u32),
}

/// A compound value with its nesting depth and lazily cached hash.
pub struct Compound<T> {
    pub items: T,
    depth: u32,
    hash: OnceLock<u64>,
}

/// `Name(key)`: the id of one entity.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId {
    pub name: Arc<str>,
    pub key: Value,
}

/// A function value: code and the environment it closes over.
pub struct Closure {
    pub lambda: Arc<Lambda>,
    pub env: Env,
    hash: OnceLock<u64>,
}

impl Closure {
    pub fn new(lambda: Arc<Lambda>, env: Env) -> Closure {
        Closure {
            lambda,
            env,
            hash: OnceLock::new(),
        }
    }
}

/// A fresh stable hasher: equal inputs give equal hashes in every process and on every machine.
pub fn stable_hasher() -> twox_hash::XxHash3_64 {
    twox_hash::XxHash3_64::with_seed(0)
}

fn stable_hash<T: Hash + ?Sized>(x: &T) -> u64 {
    let mut h = stable_hasher();
    x.hash(&mut h);
    h.finish()
}

/// Why a value could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooDeep;

impl<T> Compound<T> {
    fn new(items: T, depth: u32) -> Result<Arc<Compound<T>>, TooDeep> {
        if depth > MAX_VALUE_DEPTH {
            return Err(TooDeep);
        }
        Ok(Arc::new(Compound {
            items,
            depth,
            hash: OnceLock::new(),
        }))
    }
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    pub fn tuple(items: Vec<Value>) -> Result<Value, TooDeep> {
        let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
        Ok(Value::Tuple(Compound::new(
            items.into_boxed_slice(),
            depth,
        )?))
    }

    pub fn list(items: Vector<Value>) -> Result<Value, TooDeep> {
        let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
        Ok(Value::List(Compound::new(items, depth)?))
    }

    /// A list known to be no deeper than `depth_bound` (the result of `tail`, `++`, ...),
    /// without walking its elements.
    pub fn list_bounded(items: Vector<Value>, depth_bound: u32) -> Result<Value, TooDeep> {
        Ok(Value::List(Compound::new(items, depth_bound)?))
    }

    pub fn entity(name: Arc<str>, key: Value) -> Result<Value, TooDeep> {
        if key.depth() + 1 > MAX_VALUE_DEPTH {
            return Err(TooDeep);
        }
        Ok(Value::Entity(Arc::new(EntityId { name, key })))
    }

    pub fn closure(lambda: Arc<Lambda>, env: Env) -> Result<Value, TooDeep> {
        if env.depth() + 1 > MAX_VALUE_DEPTH {
            return Err(TooDeep);
        }
        Ok(Value::Closure(Arc::new(Closure::new(lambda, env))))
    }

    /// Nesting depth: 0 for scalars.
    pub fn depth(&self) -> u32 {
        match self {
            Value::Tuple(c) => c.depth,
            Value::List(c) => c.depth,
            Value::Entity(e) => e.key.depth() + 1,
            Value::Closure(c) => c.env.depth() + 1,
            _ => 0,
        }
    }

    /// Data: unit, bools, ints, strings, and tuples, lists and entity ids of data. Only data
    /// crosses a component boundary (LANGUAGE.md §3a).
    pub fn is_data(&self) -> bool {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match self {
            Value::Unit | Value::Bool(_) | Value::Int(_) | Value::Str(_) => true,
            Value::Tuple(c) => c.items.iter().all(Value::is_data),
            Value::List(c) => c.items.iter().all(Value::is_data),
            Value::Entity(e) => e.key.is_data(),
            Value::Closure(_) | Value::Future(_) => false,
        })
    }

    pub fn as_entity(&self) -> Option<&EntityId> {
        match self {
            Value::Entity(e) => Some(e),
            _ => None,
        }
    }

    /// The elements of a tuple or list.
    pub fn elements(&self) -> Option<Vec<Value>> {
        match self {
            Value::Tuple(c) => Some(c.items.to_vec()),
            Value::List(c) => Some(c.items.iter().cloned().collect()),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Unit => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Str(_) => 3,
            Value::Tuple(_) => 4,
            Value::List(_) => 5,
            Value::Entity(_) => 6,
            Value::Closure(_) => 7,
            Value::Future(_) => 8,
        }
    }

    /// What kind of value this is, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Unit => "unit",
            Value::Bool(_) => "a bool",
            Value::Int(_) => "an int",
            Value::Str(_) => "a string",
            Value::Tuple(_) => "a tuple",
            Value::List(_) => "a list",
            Value::Entity(_) => "an entity id",
            Value::Closure(_) => "a function",
            Value::Future(_) => "a future",
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The total order of LANGUAGE.md §3a on data; functions and futures (never data) come after,
/// ordered by code and environment so that states stay canonical.
impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match (self, other) {
            (Value::Unit, Value::Unit) => Ordering::Equal,
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Str(a), Value::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Value::Tuple(a), Value::Tuple(b)) => {
                if Arc::ptr_eq(a, b) {
                    return Ordering::Equal;
                }
                a.items.iter().cmp(b.items.iter())
            }
            (Value::List(a), Value::List(b)) => {
                if Arc::ptr_eq(a, b) {
                    return Ordering::Equal;
                }
                a.items.iter().cmp(b.items.iter())
            }
            (Value::Entity(a), Value::Entity(b)) => a.cmp(b),
            (Value::Closure(a), Value::Closure(b)) => {
                if Arc::ptr_eq(a, b) {
                    return Ordering::Equal;
                }
                a.lambda
                    .id
                    .cmp(&b.lambda.id)
                    .then_with(|| a.env.cmp(&b.env))
            }
            (Value::Future(a), Value::Future(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        })
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.rank());
        match self {
            Value::Unit => {}
            Value::Bool(b) => b.hash(state),
            Value::Int(n) => n.hash(state),
            Value::Str(s) => s.hash(state),
            Value::Tuple(c) => state.write_u64(*c.hash.get_or_init(|| {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || stable_hash(&*c.items))
            })),
            Value::List(c) => state.write_u64(*c.hash.get_or_init(|| {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || stable_hash(&c.items))
            })),
            Value::Entity(e) => e.hash(state),
            Value::Closure(c) => state.write_u64(*c.hash.get_or_init(|| {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    stable_hash(&(c.lambda.id, &c.env))
                })
            })),
            Value::Future(n) => n.hash(state),
        }
    }
}

/// `show`: data in DFL literal syntax (LANGUAGE.md §3a). Functions and futures print as
/// `<fun>` and `<future N>` (only in diagnostics: `show` itself rejects them).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match self {
            Value::Unit => f.write_str("()"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Str(s) => f.write_str(&quote(s)),
            Value::Tuple(c) => write_seq(f, "(", c.items.iter(), ")"),
            Value::List(c) => write_seq(f, "[", c.items.iter(), "]"),
            Value::Entity(e) => write!(f, "{e}"),
            Value::Closure(_) => f.write_str("<fun>"),
            Value::Future(n) => write!(f, "<future {n}>"),
        })
    }
}

fn write_seq<'a>(
    f: &mut fmt::Formatter<'_>,
    open: &str,
    items: impl Iterator<Item = &'a Value>,
    close: &str,
) -> fmt::Result {
    f.write_str(open)?;
    for (i, v) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{v}")?;
    }
    f.write_str(close)
}

/// A value as an argument list, in the short form of an application: `()` for unit,
/// `(a, b)` for a tuple, `(v)` otherwise.
pub fn args_text(v: &Value) -> String {
    match v {
        Value::Unit => "()".into(),
        Value::Tuple(_) => v.to_string(),
        other => format!("({other})"),
    }
}

/// An entity id prints in the short form of an application: `E()`, `E(1)`, `E("a", 1)`.
impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Value::Unit => write!(f, "{}()", self.name),
            Value::Tuple(c) => {
                f.write_str(&self.name)?;
                write_seq(f, "(", c.items.iter(), ")")
            }
            k => write!(f, "{}({k})", self.name),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
