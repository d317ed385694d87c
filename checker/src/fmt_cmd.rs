//! `durable fmt`: canonical layout, comments kept.

use crate::error::{CliError, CliResult};
use durable_interpreter::load::{parse_file, read_source};
use durable_interpreter::syntax::print_program;
use std::path::Path;

pub enum FmtOutcome {
    /// The canonical text, to print.
    Printed(String),
    /// `--check`: whether the file is canonical.
    Checked(bool),
    /// `--write`: whether the file changed.
    Written(bool),
}

pub fn fmt(path: &Path, check: bool, write: bool) -> CliResult<FmtOutcome> {
    let file = read_source(path)?;
    let program = parse_file(&file)?;
    let canonical = print_program(&program);
    if check {
        return Ok(FmtOutcome::Checked(canonical == file.text));
    }
    if write {
        let changed = canonical != file.text;
        if changed {
            std::fs::write(path, &canonical).map_err(|source| CliError::Write {
                path: path.display().to_string(),
                source,
            })?;
        }
        return Ok(FmtOutcome::Written(changed));
    }
    Ok(FmtOutcome::Printed(canonical))
}
