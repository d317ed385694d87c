//! The loader: turns a parsed spec into a checked [`Spec`] of core code, enforcing every
//! load-time rule of LANGUAGE.md §2–§5 (the §4 table but its "inside `lock`" column, which is
//! checked at run time). Every problem is a located [`Diagnostic`]; loading reports them all.

mod lower;
mod scenario;

use crate::code::{CodeRef, Lambda};
use crate::diagnostic::{Diagnostic, SourceFile, SpecErrors};
use crate::syntax::ast::{BatchMode, Program, PropertyKind, Span};
use crate::syntax::parse;
use crate::value::{EntityId, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub use scenario::CHECK_KINDS;

/// A loaded spec: its source, its AST, and its declarations lowered to core code.
pub struct Spec {
    pub file: SourceFile,
    pub program: Program,
    /// `def`s, indexed by [`crate::code::CodeKind::Global`].
    pub defs: Vec<Arc<Lambda>>,
    pub def_names: Vec<String>,
    pub activities: BTreeMap<Arc<str>, Arc<Lambda>>,
    pub orchestrations: BTreeMap<Arc<str>, Orchestration>,
    pub entities: BTreeMap<Arc<str>, EntityDef>,
    pub externs: BTreeMap<Arc<str>, Vec<Value>>,
    pub scenarios: Vec<ScenarioDef>,
}

pub struct Orchestration {
    pub lambda: Arc<Lambda>,
    /// Where it uses `choose`, directly or through a `def` (LANGUAGE.md §5).
    pub uses_choose: Option<Span>,
}

pub struct EntityDef {
    pub init: Value,
    pub ops: BTreeMap<Arc<str>, Arc<Lambda>>,
}

/// The kind of a declared function name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    Activity,
    Orchestration,
    Entity,
    Extern,
}

impl FunctionKind {
    pub fn article(self) -> &'static str {
        match self {
            FunctionKind::Activity => "an activity",
            FunctionKind::Orchestration => "an orchestration",
            FunctionKind::Entity => "an entity",
            FunctionKind::Extern => "an extern",
        }
    }
}

/// A scenario (LANGUAGE.md §7) with its expressions evaluated.
pub struct ScenarioDef {
    pub name: String,
    pub span: Span,
    pub options: ScenarioOptions,
    /// Initial entity states, in the order written.
    pub inits: Vec<(EntityId, Value)>,
    /// The environment's inputs, in the order they arrive.
    pub inputs: Vec<Input>,
    pub properties: Vec<PropertyDef>,
    pub expectations: Vec<Expectation>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioOptions {
    pub allow_nondeterminism: bool,
    pub lock_activities: bool,
    pub timeouts: bool,
    pub crashes: Option<u32>,
    pub duplicates: Option<u32>,
    pub lost_commits: Option<u32>,
    pub batch: Option<BatchMode>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Start {
        instance: Arc<str>,
        orchestration: Arc<str>,
        arg: Value,
    },
    Signal {
        entity: EntityId,
        op: Arc<str>,
        arg: Value,
    },
    Raise {
        instance: Arc<str>,
        event: Arc<str>,
        arg: Value,
    },
}

pub struct PropertyDef {
    pub kind: PropertyKind,
    pub code: CodeRef,
    /// `always EXPR`, EXPR as `fmt` prints it on one line: the check's name in reports.
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    Pass,
    Fail {
        check: String,
        model: Option<String>,
    },
}

impl Expectation {
    /// The item as written in the spec.
    pub fn text(&self) -> String {
        match self {
            Expectation::Pass => "expect pass".into(),
            Expectation::Fail { check, model } => {
                let mut s = format!("expect fail {}", crate::syntax::printer::quote(check));
                if let Some(m) = model {
                    s.push_str(&format!(" in {m}"));
                }
                s
            }
        }
    }
}

/// Why a spec file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("error: cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: error: the file is not valid UTF-8 (byte {offset})")]
    Utf8 {
        path: String,
        line: usize,
        col: usize,
        offset: usize,
    },
    #[error("{0}")]
    Spec(#[from] SpecErrors),
}

/// The largest spec file `durable` reads.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and loads a spec file.
pub fn load_path(path: &Path) -> Result<Spec, LoadError> {
    let file = read_source(path)?;
    Ok(load(file)?)
}

/// Reads a spec file as text, with located errors for invalid UTF-8.
pub fn read_source(path: &Path) -> Result<SourceFile, LoadError> {
    let shown = path.display().to_string();
    let io = |source| LoadError::Io {
        path: shown.clone(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(io(std::io::Error::other(format!(
            "the file has {} bytes; specs are limited to {MAX_FILE_BYTES}",
            meta.len()
        ))));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(shown, text)),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            let (line, col) = crate::syntax::span::line_col(&valid, offset);
            Err(LoadError::Utf8 {
                path: shown,
                line,
                col,
                offset,
            })
        }
    }
}

/// Parses a spec and checks it, without loading it (what `fmt` needs).
pub fn parse_file(file: &SourceFile) -> Result<Program, SpecErrors> {
    let (program, errors) = parse(&file.text);
    if errors.is_empty() {
        Ok(program)
    } else {
        Err(SpecErrors::new(file, errors))
    }
}

/// Parses and loads a spec.
pub fn load(file: SourceFile) -> Result<Spec, SpecErrors> {
    let (program, mut errors) = parse(&file.text);
    if !errors.is_empty() {
        return Err(SpecErrors::new(&file, errors));
    }
    let spec = lower::lower_program(file, program, &mut errors);
    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(SpecErrors::new(&spec.file, errors))
    }
}

impl Spec {
    pub fn function_kind(&self, name: &str) -> Option<FunctionKind> {
        if self.activities.contains_key(name) {
            Some(FunctionKind::Activity)
        } else if self.orchestrations.contains_key(name) {
            Some(FunctionKind::Orchestration)
        } else if self.entities.contains_key(name) {
            Some(FunctionKind::Entity)
        } else if self.externs.contains_key(name) {
            Some(FunctionKind::Extern)
        } else {
            None
        }
    }

    pub fn scenario(&self, name: &str) -> Option<&ScenarioDef> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    /// The §5 rule: checking a scenario of a spec with a nondeterministic orchestration is a
    /// load error unless nondeterminism is allowed (by the scenario or the command line).
    pub fn check_determinism(
        &self,
        scenario: &ScenarioDef,
        allowed_by_flag: bool,
    ) -> Result<(), SpecErrors> {
        if allowed_by_flag || scenario.options.allow_nondeterminism {
            return Ok(());
        }
        let diagnostics: Vec<Diagnostic> = self
            .orchestrations
            .iter()
            .filter_map(|(name, o)| o.uses_choose.map(|span| (name, span)))
            .map(|(name, span)| {
                Diagnostic::new(
                    format!(
                        "orchestration `{name}` uses `choose`, so scenario `{}` cannot be checked",
                        scenario.name
                    ),
                    span,
                    "orchestrations must be deterministic (LANGUAGE.md §5)",
                )
                .with_note(format!(
                    "give scenario `{}` the option `allow_nondeterminism`, or pass \
                     --allow-nondeterminism, to see what replay does with it",
                    scenario.name
                ))
            })
            .collect();
        if diagnostics.is_empty() {
            Ok(())
        } else {
            Err(SpecErrors::new(&self.file, diagnostics))
        }
    }

    /// Evaluates closed, pure code (a scenario expression or an entity's init) to data.
    pub fn eval_pure(&self, code: &CodeRef) -> Result<Value, String> {
        lower::eval_pure(code, &self.defs)
    }
}
