//! `durable-checker`: the model checker over every protocol, the reports, and the `durable`
//! command line.

pub mod check;
pub mod cli;
pub mod conform;
pub mod error;
pub mod explore;
pub mod explore_cmd;
pub mod fingerprint;
pub mod fmt_cmd;
pub mod itf;
pub mod mermaid;
pub mod mutants_cmd;
pub mod registry;
pub mod replay_cmd;
pub mod report;
pub mod run_cmd;
pub mod settings;
pub mod simulate_cmd;
pub mod stateright_model;
pub mod test_cmd;
pub mod timeline;
pub mod trace;
pub mod verdict;

/// The stack of the threads that run models: deep continuations and values are handled by
/// recursive code bounded by the language's limits, which needs more than the default.
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Writes a line to stderr (progress, errors); a closed stderr is not an error.
pub fn say(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// docs/protocols.md, whose worked example is compiled and run as a doctest.
#[doc = include_str!("../../docs/protocols.md")]
pub mod protocols_guide {}
