//! The command line of CLI.md (clap). Parsing errors exit with code 2.

use crate::explore::Bounds;
use crate::settings::FlagSettings;
use clap::{Args, Parser, Subcommand};
use durable_interpreter::syntax::ast::BatchMode;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "durable",
    version,
    about = "Reference interpreter and model checker for the semantics of Durable Functions",
    long_about = "Reference interpreter and model checker for the semantics of Durable Functions \
                  (Burckhardt et al., OOPSLA 2021). Exit codes: 0 everything checked holds, \
                  1 a violation was found, 2 bad input, 3 inconclusive (a bound stopped the search)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress lines on stderr (accepted by every subcommand)
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Explore each scenario exhaustively and check it
    Check(CheckArgs),
    /// Check every scenario of the specs against its `expect` items
    Test(TestArgs),
    /// One execution, chosen by a seeded random scheduler, printed step by step
    Run(RunArgs),
    /// Many random executions, for state spaces too large to exhaust
    Simulate(SimulateArgs),
    /// Re-execute a trace exactly: exit 1 if its violation reproduces, 0 for a passing run,
    /// 2 if it does not reproduce
    Replay(ReplayArgs),
    /// Serve stateright's Explorer web UI over one model (prints its URL first)
    Explore(ExploreArgs),
    /// Conformance oracle: the actions an orchestration must emit after a Durable Task history
    Conform(ConformArgs),
    /// Print a spec in canonical layout
    Fmt(FmtArgs),
    /// List the protocols of this build
    Protocols(ProtocolsArgs),
    /// Run every broken protocol on the specs: each must be rejected
    Mutants(MutantsArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// hl, cs, rr or all (default all; run takes one model, default hl)
    #[arg(long)]
    pub model: Option<String>,
    /// Check hl and this protocol only (`durable protocols` lists them)
    #[arg(long)]
    pub protocol: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct FaultArgs {
    /// Worker crashes per execution path [default: 1]
    #[arg(long, value_name = "N")]
    pub crashes: Option<u32>,
    /// Extra concurrent workers on one work item per execution path [default: 1]
    #[arg(long, value_name = "N")]
    pub duplicates: Option<u32>,
    /// Lost commit messages per execution path [default: 0]
    #[arg(long, value_name = "N")]
    pub lost_commits: Option<u32>,
    /// How many messages a worker takes: one, all or any [default: one]
    #[arg(long, value_parser = parse_batch)]
    pub batch: Option<BatchMode>,
    /// Any activity not yet completed may complete with the error "timeout"
    #[arg(long)]
    pub timeouts: bool,
    /// Allow activity calls inside critical sections
    #[arg(long)]
    pub lock_activities: bool,
    /// Allow orchestrations that use `choose`
    #[arg(long)]
    pub allow_nondeterminism: bool,
}

fn parse_batch(s: &str) -> Result<BatchMode, String> {
    BatchMode::parse(s).ok_or_else(|| format!("`{s}` is not one of one, all, any"))
}

impl FaultArgs {
    pub fn flags(&self) -> FlagSettings {
        FlagSettings {
            crashes: self.crashes,
            duplicates: self.duplicates,
            lost_commits: self.lost_commits,
            batch: self.batch,
            timeouts: self.timeouts,
            lock_activities: self.lock_activities,
            allow_nondeterminism: self.allow_nondeterminism,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct BoundArgs {
    /// Unique states explored per model before the search stops (exit 3)
    #[arg(long, value_name = "N", default_value_t = 5_000_000)]
    pub max_states: u64,
    /// Depth beyond which states are not expanded (exit 3 if that cuts the search)
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,
    /// Seconds per model before the search stops (exit 3; such a run is not reproducible)
    #[arg(long, value_name = "SECS")]
    pub time_limit: Option<f64>,
    /// Resident memory in MiB before the search stops (exit 3) [default: half the machine's]
    #[arg(long, value_name = "MIB")]
    pub max_memory: Option<u64>,
}

impl BoundArgs {
    pub fn bounds(&self) -> Bounds {
        Bounds {
            max_states: self.max_states,
            max_depth: self.max_depth,
            time_limit: self.time_limit,
            max_memory_mb: self
                .max_memory
                .unwrap_or_else(crate::explore::default_max_memory_mb),
        }
    }
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    pub spec: PathBuf,
    /// Check only this scenario (repeatable; default: all)
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub faults: FaultArgs,
    #[command(flatten)]
    pub bounds: BoundArgs,
    /// Worker threads (results do not depend on it; with 1 they are reproducible to the byte)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: u32,
    /// Explore everything, reporting every violated check once
    #[arg(long = "continue")]
    pub continue_all: bool,
    /// Print one JSON document on stdout
    #[arg(long)]
    pub json: bool,
    /// Where counterexample traces are written
    #[arg(long, value_name = "DIR", default_value = "traces/out")]
    pub trace_dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Spec files, or directories meaning the *.dfl files directly in them [default: specs/]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub bounds: BoundArgs,
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: u32,
    #[arg(long)]
    pub json: bool,
    /// Where counterexample traces are written
    #[arg(long, value_name = "DIR", default_value = "traces/out")]
    pub trace_dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    pub spec: PathBuf,
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenario: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub faults: FaultArgs,
    /// Seed of the random scheduler
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Steps before the run stops
    #[arg(long, default_value_t = 10_000)]
    pub max_steps: u64,
    /// Follow this trace's steps, then the seeded scheduler
    #[arg(long, value_name = "TRACE", conflicts_with = "seed")]
    pub schedule: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
    /// Write the run as a trace file
    #[arg(long, value_name = "FILE")]
    pub trace_out: Option<PathBuf>,
    /// Write the run in the Informal Trace Format (Apalache, Quint)
    #[arg(long, value_name = "FILE")]
    pub itf: Option<PathBuf>,
    /// Write the run's timeline as a Mermaid sequence diagram
    #[arg(long, value_name = "FILE")]
    pub mermaid: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ConformArgs {
    /// The spec declaring the orchestration
    pub spec: PathBuf,
    /// An OrchestratorRequest in protobuf JSON (or a conformance vector's turn file)
    #[arg(long, value_name = "FILE")]
    pub history: PathBuf,
    /// strict (the semantics), python (Durable Task Python SDK 1.12.0); dotnet is not built
    #[arg(long, default_value = "strict")]
    pub profile: String,
    /// Print the OrchestratorResponse-shaped JSON document instead of the readable answer
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    pub spec: PathBuf,
    /// Exit 1 if the file is not in canonical form
    #[arg(long, conflicts_with = "write")]
    pub check: bool,
    /// Rewrite the file in canonical form
    #[arg(long)]
    pub write: bool,
}

#[derive(Args, Debug)]
pub struct ProtocolsArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// A trace file, or an ITF file durable wrote
    pub trace: PathBuf,
    #[arg(long)]
    pub json: bool,
    /// Write the trace in the Informal Trace Format (Apalache, Quint)
    #[arg(long, value_name = "FILE")]
    pub itf: Option<PathBuf>,
    /// Write the trace's timeline as a Mermaid sequence diagram
    #[arg(long, value_name = "FILE")]
    pub mermaid: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MutantsArgs {
    /// Spec files, or directories meaning the *.dfl files directly in them [default: specs/]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub faults: FaultArgs,
    /// Unique states per model and scenario (a broken protocol's state space may be infinite)
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    pub max_states: u64,
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,
    #[arg(long, value_name = "SECS")]
    pub time_limit: Option<f64>,
    #[arg(long, value_name = "MIB")]
    pub max_memory: Option<u64>,
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: u32,
    #[arg(long)]
    pub json: bool,
    /// Where counterexample traces are written
    #[arg(long, value_name = "DIR", default_value = "traces/out")]
    pub trace_dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct ExploreArgs {
    pub spec: PathBuf,
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenario: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub faults: FaultArgs,
    /// Where to listen (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: u32,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    pub spec: PathBuf,
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenario: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub faults: FaultArgs,
    /// How many runs
    #[arg(long, default_value_t = 100)]
    pub runs: u64,
    /// Seed of the random scheduler (run k uses stream k)
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Steps per run before it stops
    #[arg(long, default_value_t = 1000)]
    pub max_steps: u64,
    #[arg(long)]
    pub json: bool,
    /// Where the trace of a violation is written
    #[arg(long, value_name = "DIR", default_value = "traces/out")]
    pub trace_dir: PathBuf,
    /// Write the violating run in the Informal Trace Format
    #[arg(long, value_name = "FILE")]
    pub itf: Option<PathBuf>,
}
