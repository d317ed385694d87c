//! `durable-interpreter`: the specification side of `durable`.
//!
//! DFL's syntax ([`syntax`]), the loader that checks a spec and lowers it to the core calculus
//! ([`load`]), the evaluator of one component ([`eval`]) and the high-level semantics of
//! Durable Functions ([`hl`]). No faults and no I/O live here.

pub mod casefold;
pub mod code;
pub mod diagnostic;
pub mod env;
pub mod eval;
pub mod hl;
pub mod load;
pub mod syntax;
pub mod value;
