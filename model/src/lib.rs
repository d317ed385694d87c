//! `durable-model`: the execution models of Durable Functions and the seam every model is
//! checked through.
//!
//! [`protocol::Protocol`] is what the checker explores; [`high_level::HighLevel`] puts the
//! high-level semantics behind it.

pub mod faults;
pub mod high_level;
pub mod history;
pub mod mutants;
pub mod protocol;
pub mod runtime;
pub mod storage;
pub mod worker;
