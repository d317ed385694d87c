//! `durable explore`: stateright's Explorer web UI over one model and protocol, with states
//! and steps rendered as people read them. The address is checked by binding it first, so a
//! busy port is an error (exit 2) and port 0 picks a free port; the URL is printed first.

use crate::error::{CliError, CliResult};
use crate::registry::{with_protocol, ProtocolTask, Target};
use crate::run_cmd::{one_protocol, one_scenario};
use crate::settings::{FlagSettings, Settings};
use crate::stateright_model::StaterightModel;
use durable_interpreter::load::{load_path, Spec};
use durable_model::protocol::Protocol;
use stateright::Model;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;

pub struct ExploreRequest {
    pub spec: PathBuf,
    pub scenario: Option<String>,
    pub model: Option<String>,
    pub protocol: Option<String>,
    pub flags: FlagSettings,
    pub addr: String,
    pub threads: usize,
}

/// Serves until the process is stopped; returns only on an error.
pub fn explore(req: &ExploreRequest) -> CliResult<()> {
    let spec = Arc::new(load_path(&req.spec)?);
    let scenario = one_scenario(&spec, req.scenario.as_deref())?;
    let protocol = one_protocol(req.model.as_deref(), req.protocol.as_deref())?;
    let def = &spec.scenarios[scenario];
    let settings = Settings::merge(&req.flags, &def.options);
    spec.check_determinism(def, settings.allow_nondeterminism)?;
    let addr = free_address(&req.addr)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "http://{addr}/").and_then(|()| out.flush());
    drop(out);
    let target = Target {
        spec: &spec,
        scenario,
        settings,
    };
    let serve = Serve {
        spec: spec.clone(),
        scenario,
        addr,
        threads: req.threads,
    };
    with_protocol(&protocol, &target, serve)?
}

/// Binds the address to learn that it is free (and which port 0 means), then lets it go for
/// the server to take.
fn free_address(addr: &str) -> CliResult<SocketAddr> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| CliError::Usage(format!("cannot listen on {addr}: {e}")))?;
    listener
        .local_addr()
        .map_err(|e| CliError::Usage(format!("cannot listen on {addr}: {e}")))
}

struct Serve {
    spec: Arc<Spec>,
    scenario: usize,
    addr: SocketAddr,
    threads: usize,
}

impl ProtocolTask for Serve {
    type Output = CliResult<()>;

    fn run<P: Protocol + 'static>(self, p: P) -> CliResult<()> {
        let model = StaterightModel {
            protocol: p,
            spec: self.spec,
            scenario: self.scenario,
        };
        let addr = self.addr;
        let threads = self.threads;
        // The server's own bind unwraps: if the port was taken in the instant between our
        // probe and its bind, report that instead of a panic.
        let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            model.checker().threads(threads).serve(addr);
        }));
        match served {
            Ok(()) => Ok(()),
            Err(_) => Err(CliError::Usage(format!("cannot serve on {addr}"))),
        }
    }
}
