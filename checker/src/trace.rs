//! Trace files: a counterexample (or any run) as JSON that names the spec, scenario, model,
//! protocol and fault budget, and every step by its action's text.

use crate::error::{CliError, CliResult};
use crate::settings::{Faults, Settings};
use crate::timeline::StepView;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "durable-trace/1";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TraceFile {
    pub format: String,
    pub spec: String,
    /// xxh3-128 of the spec's text: a replay against an edited spec is detected.
    pub spec_hash: String,
    pub scenario: String,
    pub model: String,
    pub protocol: String,
    pub faults: FaultsData,
    pub lock_activities: bool,
    pub allow_nondeterminism: bool,
    /// The violated check, or `null` for a passing run.
    pub check: Option<String>,
    pub message: Option<String>,
    /// Every step: its action's text (what replay follows), its lane and its effects.
    pub steps: Vec<StepView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FaultsData {
    pub crashes: u32,
    pub duplicates: u32,
    pub lost_commits: u32,
    pub timeouts: bool,
    pub batch: String,
}

impl From<Faults> for FaultsData {
    fn from(f: Faults) -> FaultsData {
        FaultsData {
            crashes: f.crashes,
            duplicates: f.duplicates,
            lost_commits: f.lost_commits,
            timeouts: f.timeouts,
            batch: f.batch.name().to_string(),
        }
    }
}

pub fn spec_hash(text: &str) -> String {
    format!("{:032x}", crate::fingerprint::fingerprint(text))
}

/// What identifies a trace: the file name of CLI.md without its directory.
pub struct TraceName<'a> {
    pub spec_path: &'a str,
    pub scenario: &'a str,
    pub protocol: &'a str,
    pub settings: &'a Settings,
    pub kind: &'a str,
    pub index: Option<usize>,
}

impl TraceName<'_> {
    /// `<spec>.<scenario>.<protocol>.<fault-digest>.<check-kind>[.<k>].json`
    pub fn file_name(&self) -> String {
        let stem = Path::new(self.spec_path)
            .file_stem()
            .map_or_else(|| "spec".into(), |s| s.to_string_lossy().into_owned());
        let mut name = format!(
            "{stem}.{}.{}.{}.{}",
            self.scenario,
            self.protocol,
            self.settings.digest(),
            self.kind
        );
        if let Some(k) = self.index {
            name.push_str(&format!(".{k}"));
        }
        name.push_str(".json");
        name
    }
}

/// Writes a file the user asked for (an ITF or Mermaid rendering).
pub fn write_file(path: &Path, text: &str) -> CliResult<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
            path: dir.display().to_string(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| CliError::Write {
        path: path.display().to_string(),
        source,
    })
}

pub fn write_trace(dir: &Path, name: &str, trace: &TraceFile) -> CliResult<PathBuf> {
    let path = dir.join(name);
    let write_err = |source| CliError::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write_err)?;
    let text = serde_json::to_string_pretty(trace).expect("traces serialize");
    std::fs::write(&path, text + "\n").map_err(write_err)?;
    Ok(path)
}

/// Reads a trace file; a file that is not a trace is bad input.
pub fn read_trace(path: &Path) -> CliResult<TraceFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read trace {}: {e}", path.display())))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "{}:{}:{}: not JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if json.get("#meta").is_some() {
        return crate::itf::to_trace(&json)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())));
    }
    let trace: TraceFile = serde_json::from_value(json)
        .map_err(|e| CliError::Usage(format!("{}: not a durable trace: {e}", path.display())))?;
    if trace.format != FORMAT {
        return Err(CliError::Usage(format!(
            "{}: trace format `{}` is not `{FORMAT}`",
            path.display(),
            trace.format
        )));
    }
    Ok(trace)
}
