//! Protocol mode: `cargo perf` sets `CARGO_PERF_PROTOCOL` and names a request file; the
//! harness answers through the file named in the request and exits. It also exits, at once,
//! when the `cargo perf` that started it is gone (its stdin lifeline closes), so a killed
//! `cargo perf` never leaves a test running on as an orphan.

use std::io::{Read, Write};
use std::path::Path;

use super::exec::run_case;
use crate::protocol::{
    Action, Envelope, Request, Response, ENV_LIFELINE, ENV_REQUEST, LIBRARY_VERSION,
    LIFELINE_EXIT_CODE, PROTOCOL_VERSION,
};
use crate::registry;

pub(crate) fn run(version: &str) {
    if std::env::var_os(ENV_LIFELINE).is_some_and(|v| v == "stdin") {
        watch_lifeline();
    }
    let code = match answer(version) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: cargo-perf harness: {message}");
            2
        }
    };
    let _ = std::io::stdout().flush();
    // Exit at once: a timed-out test's thread may still be running and must not keep us.
    std::process::exit(code);
}

/// `cargo perf` holds our stdin's write end and never writes: end-of-file (or an error) on it
/// means it is gone, however it went (SIGKILL included). Portable, and needs no `libc`.
/// Only when `cargo perf` says stdin is a lifeline: a suite run by hand with stdin from
/// /dev/null must not exit at once.
fn watch_lifeline() {
    let spawned = std::thread::Builder::new()
        .name("cargo-perf-lifeline".into())
        .stack_size(128 * 1024)
        .spawn(|| {
            let mut stdin = std::io::stdin().lock();
            let mut sink = [0u8; 256];
            // Anything written is ignored; only the end matters.
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            // No message: stderr went to the dead parent too, and `eprintln!` would panic on
            // the broken pipe before the exit.
            std::process::exit(LIFELINE_EXIT_CODE);
        });
    if let Err(e) = spawned {
        eprintln!("cargo-perf harness: cannot watch stdin ({e}); an orphaned run will not stop");
    }
}

fn answer(version: &str) -> Result<(), String> {
    let path = std::env::var(ENV_REQUEST).map_err(|_| format!("{ENV_REQUEST} is not set"))?;
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read request {path}: {e}"))?;
    let request: Request =
        serde_json::from_str(&text).map_err(|e| format!("malformed request {path}: {e}"))?;
    let body = if version.trim() != PROTOCOL_VERSION.to_string()
        || request.protocol != PROTOCOL_VERSION
    {
        Response::Error {
            message: format!(
                "this suite was built with cargo_perf {LIBRARY_VERSION} (protocol {PROTOCOL_VERSION}) \
                 but cargo-perf {} speaks protocol {}",
                request.tool_version, request.protocol
            ),
        }
    } else {
        respond(request.action)
    };
    let envelope = Envelope {
        protocol: PROTOCOL_VERSION,
        library_version: LIBRARY_VERSION.to_string(),
        body,
    };
    write_atomically(&request.out, &envelope)
}

fn respond(action: Action) -> Response {
    let cases = registry::cases();
    match action {
        Action::List => Response::List {
            tests: cases.iter().map(|c| c.info()).collect(),
        },
        Action::Run { test, settings } => match cases.into_iter().find(|c| c.name() == test) {
            Some(case) => Response::Run(Box::new(run_case(case, settings))),
            None => Response::Error {
                message: format!("no perf test named {test:?} in this suite"),
            },
        },
    }
}

fn write_atomically(out: &Path, envelope: &Envelope) -> Result<(), String> {
    let json =
        serde_json::to_vec(envelope).map_err(|e| format!("cannot encode the response: {e}"))?;
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, json)
        .map_err(|e| format!("cannot write {}: {e}", Path::new(&tmp).display()))?;
    std::fs::rename(&tmp, out)
        .map_err(|e| format!("cannot move the response to {}: {e}", out.display()))
}
