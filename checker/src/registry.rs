//! The models and protocols this build has, and how `--model` and `--protocol` select them.

use crate::error::{CliError, CliResult};
use crate::explore::{explore, Checks, Exploration};
use crate::settings::Settings;
use durable_interpreter::hl::{Hl, HlOptions};
use durable_interpreter::load::Spec;
use durable_model::faults::{FaultBudget, Variant};
use durable_model::high_level::{HighLevel, HL_INFO};
use durable_model::history::ReplayCheck;
use durable_model::mutants::{mutant, MUTANTS};
use durable_model::protocol::{Protocol, ProtocolInfo};
use durable_model::runtime::{Runtime, RuntimeOptions, CS_INFO, RR_INFO};
use durable_model::worker::Persistence;
use std::sync::Arc;

/// Every protocol in this build, the high-level model first.
pub fn protocols() -> Vec<&'static ProtocolInfo> {
    let mut all = vec![&HL_INFO, &CS_INFO, &RR_INFO];
    all.extend(MUTANTS.iter().map(|m| &m.info));
    all
}

/// The execution-model protocols a check explores besides `hl`, and what to tell the user
/// about models not built.
pub struct Selection {
    pub protocols: Vec<&'static ProtocolInfo>,
    pub notes: Vec<String>,
}

pub fn select(model: Option<&str>, protocol: Option<&str>) -> CliResult<Selection> {
    let all = protocols();
    if let Some(name) = protocol {
        let Some(info) = all.iter().find(|p| p.name == name) else {
            return Err(CliError::Usage(format!(
                "protocol `{name}` does not exist in this build; `durable protocols` lists those that do"
            )));
        };
        if let Some(m) = model.filter(|m| *m != info.model && *m != "all") {
            return Err(CliError::Usage(format!(
                "protocol `{name}` belongs to model `{}`, not `{m}`",
                info.model
            )));
        }
        let protocols = if info.model == "hl" {
            vec![]
        } else {
            vec![*info]
        };
        return Ok(Selection {
            protocols,
            notes: Vec::new(),
        });
    }
    match model.unwrap_or("all") {
        "hl" => Ok(Selection {
            protocols: Vec::new(),
            notes: Vec::new(),
        }),
        "all" => {
            let protocols: Vec<_> = all
                .into_iter()
                .filter(|p| p.model != "hl" && !p.broken && p.name == p.model)
                .collect();
            Ok(Selection {
                protocols,
                notes: Vec::new(),
            })
        }
        m if all.iter().any(|p| p.model == m) => Ok(Selection {
            protocols: all.into_iter().filter(|p| p.name == m).collect(),
            notes: Vec::new(),
        }),
        m => Err(CliError::Usage(format!(
            "unknown model `{m}`: the models are hl, cs, rr and all"
        ))),
    }
}

/// What a check of one scenario needs to build and explore a model.
pub struct Target<'a> {
    pub spec: &'a Arc<Spec>,
    pub scenario: usize,
    pub settings: Settings,
}

impl Target<'_> {
    /// An execution model: compute-storage or record-replay, possibly a broken variant.
    pub fn runtime(
        &self,
        info: ProtocolInfo,
        variant: Variant,
        persistence: Persistence,
    ) -> Runtime {
        let f = self.settings.faults;
        let opts = RuntimeOptions {
            lock_activities: self.settings.lock_activities,
            budget: FaultBudget {
                crashes: f.crashes,
                duplicates: f.duplicates,
                lost_commits: f.lost_commits,
                batch: f.batch,
                timeouts: f.timeouts,
            },
            variant,
            persistence,
        };
        Runtime::new(self.spec.clone(), self.scenario, opts, info)
    }

    pub fn hl(&self) -> Hl {
        Hl::new(
            self.spec.clone(),
            self.scenario,
            HlOptions {
                lock_activities: self.settings.lock_activities,
                timeouts: self.settings.faults.timeouts,
            },
        )
    }
}

/// Something to do with a protocol whatever its state and action types: the one place that
/// turns a protocol's name into its model.
pub trait ProtocolTask {
    type Output;
    /// Runs with the protocol, which it may keep (the Explorer serves it for as long as the
    /// process lives).
    fn run<P: Protocol + 'static>(self, p: P) -> Self::Output;
}

/// Builds the named protocol for `target` and runs `task` on it.
pub fn with_protocol<T: ProtocolTask>(
    name: &str,
    target: &Target<'_>,
    task: T,
) -> CliResult<T::Output> {
    match name {
        "hl" => Ok(task.run(HighLevel(target.hl()))),
        "cs" => Ok(task.run(target.runtime(CS_INFO, Variant::default(), Persistence::State))),
        "rr" => {
            let persistence = Persistence::History {
                check: ReplayCheck::Whole,
                resend: false,
            };
            Ok(task.run(target.runtime(RR_INFO, Variant::default(), persistence)))
        }
        other => match mutant(other) {
            Some(m) => Ok(task.run(target.runtime(m.info.clone(), m.variant, m.persistence))),
            None => Err(CliError::Usage(format!(
                "protocol `{other}` does not exist in this build"
            ))),
        },
    }
}

struct Explore<'c, 'a>(&'c Checks<'a>);

impl ProtocolTask for Explore<'_, '_> {
    type Output = Exploration<String>;
    fn run<P: Protocol + 'static>(self, p: P) -> Exploration<String> {
        explore(&p, self.0).named().with_views(&p)
    }
}

/// Explores the named protocol.
pub fn explore_protocol(
    name: &str,
    target: &Target<'_>,
    checks: &Checks<'_>,
) -> CliResult<Exploration<String>> {
    with_protocol(name, target, Explore(checks))
}
