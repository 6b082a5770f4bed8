//! `cargo perf k8s-job (--segments N | --shards N) --image IMAGE ..`: the options → the
//! checked manifest → stdout or `-o FILE`. Nothing is printed when an option is wrong.

use crate::cli::args::K8sJobArgs;
use crate::cli::engines::k8s;
use crate::cli::errors::{exit, CliError};
use crate::cli::report;

pub fn run(args: &K8sJobArgs) -> Result<i32, CliError> {
    let text = k8s::manifest(&args.spec())?;
    match &args.output {
        Some(path) => {
            report::write_file(path, &text, "-o")?;
            eprintln!("wrote the Kubernetes manifest to {}", path.display());
        }
        None => report::print_stdout(&text)?,
    }
    Ok(exit::OK)
}
