//! `durable-model`: the execution models of Durable Functions and the seam every model is
//! checked through.
//!
//! [`protocol::Protocol`] is what the checker explores; [`high_level::HighLevel`] puts the
//! high-level semantics behind it.

pub mod cs;
pub mod faults;
pub mod high_level;
pub mod protocol;
pub mod storage;
pub mod worker;
