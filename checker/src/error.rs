//! The errors of the command line, each mapped to the exit code of CLI.md.

use durable_interpreter::diagnostic::SpecErrors;
use durable_interpreter::load::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("{0}")]
    Spec(#[from] SpecErrors),
    /// A request the inputs do not support: an unknown scenario, model or protocol, a bad
    /// combination of flags.
    #[error("error: {0}")]
    Usage(String),
    #[error("error: cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl CliError {
    /// Every error of the command line is bad input: exit code 2.
    pub fn exit_code(&self) -> i32 {
        2
    }
}

pub type CliResult<T> = Result<T, CliError>;
