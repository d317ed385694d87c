//! The settings of one check: fault budget, semantic flags and bounds, merged from the command
//! line and a scenario's options (LANGUAGE.md §7: numeric flags override the scenario's
//! options, boolean flags can only turn them on).

use crate::explore::Bounds;
use durable_interpreter::load::ScenarioOptions;
use durable_interpreter::syntax::ast::BatchMode;
use serde::Serialize;

/// What the command line says about faults and semantics; `None` means "not given".
#[derive(Clone, Debug, Default)]
pub struct FlagSettings {
    pub crashes: Option<u32>,
    pub duplicates: Option<u32>,
    pub lost_commits: Option<u32>,
    pub batch: Option<BatchMode>,
    pub timeouts: bool,
    pub lock_activities: bool,
    pub allow_nondeterminism: bool,
}

/// The fault budget of CLI.md, as every JSON report echoes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Faults {
    pub crashes: u32,
    pub duplicates: u32,
    pub lost_commits: u32,
    pub timeouts: bool,
    #[serde(serialize_with = "batch_name")]
    pub batch: BatchMode,
}

fn batch_name<S: serde::Serializer>(b: &BatchMode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(b.name())
}

/// Everything that decides a scenario's state space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub faults: Faults,
    pub lock_activities: bool,
    pub allow_nondeterminism: bool,
}

impl Settings {
    pub fn merge(flags: &FlagSettings, scenario: &ScenarioOptions) -> Settings {
        Settings {
            faults: Faults {
                crashes: flags.crashes.or(scenario.crashes).unwrap_or(1),
                duplicates: flags.duplicates.or(scenario.duplicates).unwrap_or(1),
                lost_commits: flags.lost_commits.or(scenario.lost_commits).unwrap_or(0),
                timeouts: flags.timeouts || scenario.timeouts,
                batch: flags.batch.or(scenario.batch).unwrap_or(BatchMode::One),
            },
            lock_activities: flags.lock_activities || scenario.lock_activities,
            allow_nondeterminism: flags.allow_nondeterminism || scenario.allow_nondeterminism,
        }
    }

    /// A short stable digest of everything that shapes the state space, for trace file names.
    pub fn digest(&self) -> String {
        let f = &self.faults;
        let text = format!(
            "c{}d{}l{}t{}b{}a{}n{}",
            f.crashes,
            f.duplicates,
            f.lost_commits,
            u8::from(f.timeouts),
            f.batch.name(),
            u8::from(self.lock_activities),
            u8::from(self.allow_nondeterminism)
        );
        format!("{:08x}", crate::fingerprint::fingerprint(&text) as u32)
    }
}

/// The bounds as every JSON report echoes them under `"limits"`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Limits {
    pub max_states: u64,
    pub max_depth: Option<u32>,
    pub time_limit: Option<f64>,
    pub max_memory_mb: u64,
}

impl From<Bounds> for Limits {
    fn from(b: Bounds) -> Limits {
        Limits {
            max_states: b.max_states,
            max_depth: b.max_depth,
            time_limit: b.time_limit,
            max_memory_mb: b.max_memory_mb,
        }
    }
}
