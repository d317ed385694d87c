//! Exhaustive breadth-first exploration of any [`Protocol`], with the scenario's checks.
//!
//! Level by level: the successors of a block of the frontier are computed (in parallel with
//! `--threads`), then merged in frontier order, so every count, verdict and trace is the same
//! whatever the number of threads. The first violation of each check is found at the least
//! depth, which makes its counterexample a shortest one; it is rebuilt from parent links.
//!
//! Why not stateright's own BFS checker: it keeps a whole action path per queued state, lets a
//! later (longer) discovery replace the first one, takes properties as `fn` pointers with
//! static names, and does not say whether a bound cut the search. The stateright `Model` over
//! every protocol lives in [`crate::stateright_model`], and a test checks that both engines
//! agree on state counts.

use crate::fingerprint::{fingerprint, Fingerprint, FingerprintMap, FingerprintSet};
use durable_interpreter::hl::observe::{holds, outcome, stuck, Outcome};
use durable_interpreter::load::{ScenarioDef, Spec};
use durable_interpreter::syntax::ast::PropertyKind;
use durable_model::protocol::Protocol;
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::time::Instant;

/// The bounds of CLI.md.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub max_states: u64,
    pub max_depth: Option<u32>,
    pub time_limit: Option<f64>,
    /// Resident memory, in MiB, beyond which a search stops (inconclusive).
    pub max_memory_mb: u64,
}

/// The default memory bound: half the machine's memory, at least 1 GiB.
pub fn default_max_memory_mb() -> u64 {
    let total_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .unwrap_or(8 * 1024 * 1024);
    (total_kb / 1024 / 2).max(1024)
}

/// This process's resident memory in MiB, where the system says (Linux); 0 elsewhere.
fn resident_mb() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096 / (1024 * 1024))
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            max_states: 5_000_000,
            max_depth: None,
            time_limit: None,
            max_memory_mb: default_max_memory_mb(),
        }
    }
}

/// What to check while exploring.
pub struct Checks<'a> {
    pub spec: &'a Spec,
    pub scenario: &'a ScenarioDef,
    /// Refinement: the fingerprints of the reachable HL configurations, when the model is an
    /// execution model.
    pub refines: Option<&'a FingerprintSet>,
    /// Explore everything, reporting each violated check once, instead of stopping at the first.
    pub continue_all: bool,
    /// With `continue_all`: stop anyway at the first violation of a check not in this set
    /// (what `durable mutants` looks for).
    pub stop_unless: Option<&'a BTreeSet<String>>,
    /// Record the fingerprint of every reachable configuration (for HL).
    pub collect_configs: bool,
    pub threads: usize,
    pub bounds: Bounds,
    /// The high-level model's outcomes: a terminal outcome outside them is an `equivalence`
    /// violation, found at once.
    pub hl_outcomes: Option<&'a BTreeSet<Outcome>>,
    /// Prints progress on stderr for runs longer than a second.
    pub progress: bool,
    /// The model's name in progress lines.
    pub label: String,
}

/// A violated check.
#[derive(Clone, Debug)]
pub struct Found<A> {
    /// The check's name in reports: `always EXPR`, `deadlock`, ...
    pub check: String,
    /// Its kind (the first word of `check`), for trace file names.
    pub kind: &'static str,
    /// For properties, the index within its kind.
    pub index: Option<usize>,
    /// What went wrong, when there is more to say (an error, the stuck instances).
    pub message: Option<String>,
    /// The steps from the initial state to the violation; `None` for `sometimes`.
    pub path: Option<Vec<A>>,
    /// The path as a timeline (filled in by [`Exploration::with_views`]).
    pub views: Vec<crate::timeline::StepView>,
}

/// Why an exploration stopped before exhausting the state space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    MaxStates,
    MaxDepth,
    TimeLimit,
    MaxMemory,
    Violation,
}

#[derive(Debug)]
pub struct Exploration<A> {
    pub complete: bool,
    pub cut: Option<Cut>,
    pub states: u64,
    pub unique_states: u64,
    pub max_depth: u32,
    pub seconds: f64,
    pub outcomes: BTreeSet<Outcome>,
    /// Outcomes outside the high-level model's, in the order found.
    pub extra: Vec<Outcome>,
    /// Terminal states with an instance still running.
    pub stuck: u64,
    pub violations: Vec<Found<A>>,
    /// Every reachable configuration (when collected).
    pub configs: FingerprintSet,
    /// Every state abstracts to a reachable HL configuration; `None` when not checked or
    /// not known (an incomplete search).
    pub refines_hl: Option<bool>,
}

/// How a state was first reached.
#[derive(Clone, Copy)]
enum Parent {
    Root,
    Step(Fingerprint, u32),
}

const BLOCK: usize = 2048;

struct Explorer<'a, 'p, P: Protocol> {
    p: &'p P,
    checks: &'a Checks<'a>,
    visited: FingerprintMap<Parent>,
    root: P::State,
    ex: Exploration<P::Action>,
    found: BTreeSet<String>,
    sometimes_seen: Vec<bool>,
    refinement_failed: bool,
}

/// Explores `p` exhaustively within the bounds.
pub fn explore<P: Protocol>(p: &P, checks: &Checks<'_>) -> Exploration<P::Action> {
    let start = Instant::now();
    let root = p.init();
    let sometimes = checks
        .scenario
        .properties
        .iter()
        .filter(|q| q.kind == PropertyKind::Sometimes)
        .count();
    let mut e = Explorer {
        p,
        checks,
        visited: FingerprintMap::default(),
        root: root.clone(),
        ex: Exploration {
            complete: true,
            cut: None,
            states: 1,
            unique_states: 1,
            max_depth: 0,
            seconds: 0.0,
            outcomes: BTreeSet::new(),
            extra: Vec::new(),
            stuck: 0,
            violations: Vec::new(),
            configs: FingerprintSet::default(),
            refines_hl: None,
        },
        found: BTreeSet::new(),
        sometimes_seen: vec![false; sometimes],
        refinement_failed: false,
    };
    let fp = fingerprint(&root);
    e.visited.insert(fp, Parent::Root);
    let stop = e.check_state(&root, fp);
    if !stop {
        e.run(
            vec![(root, fp)],
            start,
            threads_pool(checks.threads).as_ref(),
        );
    }
    e.finish(start)
}

fn threads_pool(threads: usize) -> Option<rayon::ThreadPool> {
    if threads <= 1 {
        return None;
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(crate::STACK_BYTES)
        .build()
        .ok()
}

impl<P: Protocol> Explorer<'_, '_, P> {
    fn stop(&mut self, cut: Cut) {
        self.ex.complete = false;
        self.ex.cut.get_or_insert(cut);
    }

    fn run(
        &mut self,
        mut frontier: Vec<(P::State, Fingerprint)>,
        start: Instant,
        pool: Option<&rayon::ThreadPool>,
    ) {
        let mut depth = 0u32;
        let mut last_progress = Instant::now();
        while !frontier.is_empty() {
            self.ex.max_depth = depth;
            let expand = self.checks.bounds.max_depth.is_none_or(|m| depth < m);
            let mut next = Vec::new();
            for block in frontier.chunks(BLOCK) {
                let succs = successors_of(self.p, block, pool);
                for ((s, fp), succ) in block.iter().zip(succs) {
                    if succ.is_empty() {
                        if self.check_terminal(s, *fp) {
                            return;
                        }
                        continue;
                    }
                    if !expand {
                        self.stop(Cut::MaxDepth);
                        continue;
                    }
                    for (i, (_, s2)) in succ.into_iter().enumerate() {
                        self.ex.states += 1;
                        let fp2 = fingerprint(&s2);
                        if self.visited.contains_key(&fp2) {
                            continue;
                        }
                        self.visited.insert(fp2, Parent::Step(*fp, i as u32));
                        self.ex.unique_states += 1;
                        if self.check_state(&s2, fp2) {
                            return;
                        }
                        next.push((s2, fp2));
                        if self.ex.unique_states >= self.checks.bounds.max_states {
                            self.stop(Cut::MaxStates);
                            return;
                        }
                    }
                }
                let elapsed = start.elapsed().as_secs_f64();
                if self.checks.bounds.time_limit.is_some_and(|t| elapsed >= t) {
                    self.stop(Cut::TimeLimit);
                    return;
                }
                if resident_mb() > self.checks.bounds.max_memory_mb {
                    self.stop(Cut::MaxMemory);
                    return;
                }
                if self.checks.progress && last_progress.elapsed().as_secs_f64() >= 1.0 {
                    last_progress = Instant::now();
                    crate::say(&format!(
                        "{}: {} states, {} unique, depth {}, {:.0} states/s",
                        self.checks.label,
                        self.ex.states,
                        self.ex.unique_states,
                        depth,
                        self.ex.states as f64 / elapsed.max(1e-9)
                    ));
                }
            }
            tracing::debug!(
                model = %self.checks.label,
                depth,
                next_level = next.len(),
                states = self.ex.states,
                unique = self.ex.unique_states,
                "level explored"
            );
            frontier = next;
            depth += 1;
        }
    }

    /// Records a violation (once per check); true when the search must stop.
    fn violate(
        &mut self,
        check: String,
        kind: &'static str,
        index: Option<usize>,
        message: Option<String>,
        at: Option<Fingerprint>,
    ) -> bool {
        if !self.found.insert(check.clone()) {
            return false;
        }
        tracing::debug!(model = %self.checks.label, %check, "violation found");
        let path = at.map(|fp| self.path_to(fp));
        self.ex.violations.push(Found {
            check,
            kind,
            index,
            message,
            path,
            views: Vec::new(),
        });
        let expected = self.checks.stop_unless.is_none_or(|known| {
            known.contains(&self.ex.violations.last().expect("just pushed").check)
        });
        if self.checks.continue_all && expected {
            false
        } else {
            self.stop(Cut::Violation);
            true
        }
    }

    /// Checks a newly reached state: `always` and `sometimes` properties, the protocol's own
    /// violations, refinement. True when the search must stop.
    fn check_state(&mut self, s: &P::State, fp: Fingerprint) -> bool {
        let config = self.p.abstraction(s);
        if self.checks.collect_configs {
            self.ex.configs.insert(fingerprint(&*config));
        }
        if let Some(hl) = self.checks.refines {
            if !hl.contains(&fingerprint(&*config)) {
                self.refinement_failed = true;
                let msg = "this state stands for a configuration the high-level model cannot reach";
                if self.violate(
                    "refinement".into(),
                    "refinement",
                    None,
                    Some(msg.into()),
                    Some(fp),
                ) {
                    return true;
                }
            }
        }
        if let Some((kind, message)) = self.p.violation(s) {
            let kind: &'static str = if kind == "replay-divergence" {
                "replay-divergence"
            } else {
                "protocol"
            };
            if self.violate(kind.to_string(), kind, None, Some(message), Some(fp)) {
                return true;
            }
        }
        let spec = self.checks.spec;
        let mut always_index = 0;
        let mut sometimes_index = 0;
        for prop in &self.checks.scenario.properties {
            let (kind, index) = match prop.kind {
                PropertyKind::Always => {
                    always_index += 1;
                    ("always", always_index - 1)
                }
                PropertyKind::Sometimes => {
                    sometimes_index += 1;
                    ("sometimes", sometimes_index - 1)
                }
                PropertyKind::Finally => continue,
            };
            if self.found.contains(&prop.name)
                || (kind == "sometimes" && self.sometimes_seen[index])
            {
                continue;
            }
            let verdict = holds(spec, &config, &prop.code);
            let failed = match (&verdict, kind) {
                (Ok(true), "sometimes") => {
                    self.sometimes_seen[index] = true;
                    None
                }
                (Ok(_), "sometimes") | (Ok(true), _) => None,
                (Ok(false), _) => Some(None),
                (Err(e), _) => Some(Some(format!("evaluating the property raised {e}"))),
            };
            if let Some(message) = failed {
                if self.violate(prop.name.clone(), kind, Some(index), message, Some(fp)) {
                    return true;
                }
            }
        }
        false
    }

    /// Checks a terminal state: outcome, `finally` properties, deadlock.
    fn check_terminal(&mut self, s: &P::State, fp: Fingerprint) -> bool {
        let config = self.p.abstraction(s);
        let scenario = self.checks.scenario;
        let seen = outcome(scenario, &config, self.p.externs(s));
        let extra = self
            .checks
            .hl_outcomes
            .is_some_and(|hl| !hl.contains(&seen));
        if extra && !self.ex.outcomes.contains(&seen) {
            self.ex.extra.push(seen.clone());
        }
        self.ex.outcomes.insert(seen);
        if extra {
            let msg = "a terminal outcome the high-level model cannot produce";
            if self.violate(
                "equivalence".into(),
                "equivalence",
                None,
                Some(msg.into()),
                Some(fp),
            ) {
                return true;
            }
        }
        let spec = self.checks.spec;
        let mut index = 0;
        for prop in &scenario.properties {
            if prop.kind != PropertyKind::Finally {
                continue;
            }
            index += 1;
            if self.found.contains(&prop.name) {
                continue;
            }
            let message = match holds(spec, &config, &prop.code) {
                Ok(true) => continue,
                Ok(false) => None,
                Err(e) => Some(format!("evaluating the property raised {e}")),
            };
            if self.violate(
                prop.name.clone(),
                "finally",
                Some(index - 1),
                message,
                Some(fp),
            ) {
                return true;
            }
        }
        let running = stuck(&config);
        if !running.is_empty() {
            self.ex.stuck += 1;
            let message = format!(
                "nothing can move, yet {} still running: {}",
                if running.len() == 1 {
                    "this instance is"
                } else {
                    "these instances are"
                },
                running.join(", ")
            );
            if self.violate("deadlock".into(), "deadlock", None, Some(message), Some(fp)) {
                return true;
            }
        }
        false
    }

    /// The steps from the initial state to the state with fingerprint `fp`.
    fn path_to(&self, fp: Fingerprint) -> Vec<P::Action> {
        let mut indices = Vec::new();
        let mut cur = fp;
        while let Some(Parent::Step(parent, i)) = self.visited.get(&cur) {
            indices.push(*i);
            cur = *parent;
        }
        indices.reverse();
        let mut state = self.root.clone();
        let mut path = Vec::with_capacity(indices.len());
        let mut out = Vec::new();
        for i in indices {
            out.clear();
            self.p.successors(&state, &mut out);
            let (a, s) = out.swap_remove(i as usize);
            path.push(a);
            state = s;
        }
        path
    }

    fn finish(mut self, start: Instant) -> Exploration<P::Action> {
        self.ex.seconds = start.elapsed().as_secs_f64();
        if self.ex.complete {
            let names: Vec<String> = self
                .checks
                .scenario
                .properties
                .iter()
                .filter(|q| q.kind == PropertyKind::Sometimes)
                .map(|q| q.name.clone())
                .collect();
            for (i, name) in names.into_iter().enumerate() {
                if !self.sometimes_seen[i] && !self.found.contains(&name) {
                    let msg = "no reachable state satisfies it".to_string();
                    self.found.insert(name.clone());
                    self.ex.violations.push(Found {
                        check: name,
                        kind: "sometimes",
                        index: Some(i),
                        message: Some(msg),
                        path: None,
                        views: Vec::new(),
                    });
                }
            }
        }
        if self.checks.refines.is_some() {
            self.ex.refines_hl = if self.refinement_failed {
                Some(false)
            } else if self.ex.complete {
                Some(true)
            } else {
                None
            };
        }
        self.ex
    }
}

fn successors_of<P: Protocol>(
    p: &P,
    block: &[(P::State, Fingerprint)],
    pool: Option<&rayon::ThreadPool>,
) -> Vec<Vec<(P::Action, P::State)>> {
    let one = |(s, _): &(P::State, Fingerprint)| {
        let mut out = Vec::new();
        p.successors(s, &mut out);
        out
    };
    match pool {
        Some(pool) => pool.install(|| block.par_iter().map(one).collect()),
        None => block.iter().map(one).collect(),
    }
}

impl<A: std::fmt::Display> Exploration<A> {
    /// The same exploration with every step named by its text.
    pub fn named(self) -> Exploration<String> {
        Exploration {
            complete: self.complete,
            cut: self.cut,
            states: self.states,
            unique_states: self.unique_states,
            max_depth: self.max_depth,
            seconds: self.seconds,
            outcomes: self.outcomes,
            extra: self.extra,
            stuck: self.stuck,
            violations: self
                .violations
                .into_iter()
                .map(|f| Found {
                    check: f.check,
                    kind: f.kind,
                    index: f.index,
                    message: f.message,
                    path: f.path.map(|p| p.iter().map(ToString::to_string).collect()),
                    views: f.views,
                })
                .collect(),
            configs: self.configs,
            refines_hl: self.refines_hl,
        }
    }
}

impl Exploration<String> {
    /// Every counterexample re-executed as a timeline.
    pub fn with_views<P: Protocol>(mut self, p: &P) -> Exploration<String> {
        for f in &mut self.violations {
            if let Some(path) = &f.path {
                if let Ok((views, _)) = crate::timeline::follow(p, path) {
                    f.views = views;
                }
            }
        }
        self
    }
}

impl Cut {
    pub fn name(self) -> &'static str {
        match self {
            Cut::MaxStates => "max-states",
            Cut::MaxDepth => "max-depth",
            Cut::TimeLimit => "time-limit",
            Cut::MaxMemory => "max-memory",
            Cut::Violation => "violation",
        }
    }
}
