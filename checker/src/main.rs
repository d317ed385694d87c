//! The `durable` binary: parses the command line, runs the command on a thread with a large
//! stack, prints its report and exits with the code of CLI.md.

use clap::Parser;
use durable_checker::check::{check, CheckRequest};
use durable_checker::cli::{BoundArgs, Cli, Command};
use durable_checker::error::CliError;
use durable_checker::explore_cmd::{explore, ExploreRequest};
use durable_checker::fmt_cmd::{fmt, FmtOutcome};
use durable_checker::mutants_cmd::{mutants, MutantsRequest};
use durable_checker::registry::protocols;
use durable_checker::replay_cmd::replay;
use durable_checker::run_cmd::{run, RunRequest};
use durable_checker::simulate_cmd::{simulate, SimulateRequest};
use durable_checker::test_cmd::{test, TestRequest};
use durable_checker::{
    conform, mutants_cmd, replay_cmd, report, run_cmd, say, simulate_cmd, test_cmd, STACK_BYTES,
};
use std::io::Write;
use std::path::PathBuf;

fn main() {
    // Logs go to stderr, off unless asked: DURABLE_LOG=debug (or any tracing filter).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DURABLE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .init();
    let cli = Cli::parse();
    let worker = std::thread::Builder::new()
        .name("durable".into())
        .stack_size(STACK_BYTES)
        .spawn(move || execute(cli));
    let code = match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            say("error: internal failure (this is a bug in durable)");
            70
        }
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

/// Writes a report to stdout; a reader that went away (a closed pipe) is not an error.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("reports serialize") + "\n"
}

fn execute(cli: Cli) -> i32 {
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            say(&e.to_string());
            e.exit_code()
        }
    }
}

fn dispatch(cli: Cli) -> Result<i32, CliError> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Check(a) => {
            let req = CheckRequest {
                spec: a.spec,
                scenarios: a.scenarios,
                model: a.model.model,
                protocol: a.model.protocol,
                flags: a.faults.flags(),
                bounds: a.bounds.bounds(),
                threads: a.threads as usize,
                continue_all: a.continue_all,
                stop_unless: None,
                trace_dir: Some(a.trace_dir),
                progress: !quiet,
            };
            let r = check(&req)?;
            emit(&if a.json { json(&r) } else { report::render(&r) });
            Ok(r.verdict.exit_code())
        }
        Command::Test(a) => {
            let paths = if a.paths.is_empty() {
                vec![PathBuf::from("specs")]
            } else {
                a.paths
            };
            let req = TestRequest {
                paths,
                bounds: a.bounds.bounds(),
                threads: a.threads as usize,
                trace_dir: Some(a.trace_dir),
                progress: !quiet,
            };
            let r = test(&req)?;
            emit(&if a.json {
                json(&r)
            } else {
                test_cmd::render(&r)
            });
            Ok(if r.met == r.total { 0 } else { 1 })
        }
        Command::Run(a) => {
            let req = RunRequest {
                spec: a.spec,
                scenario: a.scenario,
                model: a.model.model,
                protocol: a.model.protocol,
                flags: a.faults.flags(),
                seed: a.seed,
                max_steps: a.max_steps,
                schedule: a.schedule,
                trace_out: a.trace_out,
                itf: a.itf,
                mermaid: a.mermaid,
            };
            let r = run(&req)?;
            emit(&if a.json {
                json(&r)
            } else {
                run_cmd::render(&r)
            });
            Ok(if r.violations.is_empty() { 0 } else { 1 })
        }
        Command::Mutants(a) => {
            let paths = if a.paths.is_empty() {
                vec![PathBuf::from("specs")]
            } else {
                a.paths
            };
            let bounds = BoundArgs {
                max_states: a.max_states,
                max_depth: a.max_depth,
                time_limit: a.time_limit,
                max_memory: a.max_memory,
            };
            let req = MutantsRequest {
                paths,
                flags: a.faults.flags(),
                bounds: bounds.bounds(),
                threads: a.threads as usize,
                trace_dir: Some(a.trace_dir),
                progress: !quiet,
            };
            let r = mutants(&req)?;
            emit(&if a.json {
                json(&r)
            } else {
                mutants_cmd::render(&r)
            });
            Ok(if r.rejected == r.total { 0 } else { 1 })
        }
        Command::Simulate(a) => {
            let req = SimulateRequest {
                spec: a.spec,
                scenario: a.scenario,
                model: a.model.model,
                protocol: a.model.protocol,
                flags: a.faults.flags(),
                runs: a.runs,
                seed: a.seed,
                max_steps: a.max_steps,
                trace_dir: Some(a.trace_dir),
                itf: a.itf,
                progress: !quiet,
            };
            let r = simulate(&req)?;
            emit(&if a.json {
                json(&r)
            } else {
                simulate_cmd::render(&r)
            });
            Ok(if r.violation.is_some() { 1 } else { 0 })
        }
        Command::Replay(a) => {
            let r = replay(&a.trace, a.itf.as_deref(), a.mermaid.as_deref())?;
            emit(&if a.json {
                json(&r)
            } else {
                replay_cmd::render(&r)
            });
            Ok(r.exit_code())
        }
        Command::Explore(a) => {
            let req = ExploreRequest {
                spec: a.spec,
                scenario: a.scenario,
                model: a.model.model,
                protocol: a.model.protocol,
                flags: a.faults.flags(),
                addr: a.addr,
                threads: a.threads as usize,
            };
            explore(&req)?;
            Ok(0)
        }
        Command::Conform(a) => {
            let profile = conform::profile(&a.profile)?;
            let answer = conform::conform(&a.spec, &a.history, profile)?;
            if a.json {
                emit(&json(&conform::to_json(&answer, profile)));
            } else {
                emit(&conform::render(&a.history, &answer, profile));
            }
            Ok(conform::exit_code(&answer))
        }
        Command::Fmt(a) => match fmt(&a.spec, a.check, a.write)? {
            FmtOutcome::Printed(text) => {
                emit(&text);
                Ok(0)
            }
            FmtOutcome::Checked(true) => Ok(0),
            FmtOutcome::Checked(false) => {
                say(&format!(
                    "{} is not in canonical form (durable fmt --write fixes it)",
                    a.spec.display()
                ));
                Ok(1)
            }
            FmtOutcome::Written(_) => Ok(0),
        },
        Command::Protocols(a) => {
            let list = protocols();
            if a.json {
                let items: Vec<serde_json::Value> = list
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "name": p.name, "model": p.model,
                            "description": p.description, "broken": p.broken,
                        })
                    })
                    .collect();
                emit(&json(&items));
            } else {
                let text: String = list
                    .iter()
                    .map(|p| {
                        format!(
                            "{:<26} {:<3} {}{}\n",
                            p.name,
                            p.model,
                            if p.broken { "[broken] " } else { "" },
                            p.description
                        )
                    })
                    .collect();
                emit(&text);
            }
            Ok(0)
        }
    }
}
