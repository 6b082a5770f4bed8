//! The Kubernetes Indexed Job that `cargo perf k8s-job` prints: N pods, each running one
//! suite shard (`--partition hash:ci`) or one load segment (`--segment ci` with a rendezvous
//! at pod 0), each writing its `--format json` report for `cargo perf merge`.
//!
//! Kubernetes hands every pod of an Indexed Job its index (`JOB_COMPLETION_INDEX`), which
//! `ci` reads with `CARGO_PERF_JOB_TOTAL`; pod 0 of a load test gets a stable DNS name
//! (`NAME-0.NAME`) from a headless Service and the Job's `subdomain`. Nothing is retried: a
//! retried segment would start late (and refuse) and a retried shard would be merged twice.

use serde_json::{json, Map, Value};

use super::yaml;
use crate::cli::errors::CliError;
use crate::cli::jobs::{ENV_JOB_TOTAL, ENV_K8S_INDEX};

/// The most pods one manifest runs. Kubernetes allows more, but a thousand load generators
/// or shards is past what one merge is meant for; a larger N is far more likely a typo.
pub const MAX_PODS: u32 = 1000;

/// The container's name (also what `kubectl logs -c` takes).
const CONTAINER: &str = "cargo-perf";

/// The label every object carries, and the Service selects the pods by.
const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// The annotation through which Kubernetes gives each pod its index.
const INDEX_ANNOTATION: &str = "metadata.annotations['batch.kubernetes.io/job-completion-index']";

/// The rendezvous port on pod 0 when `--port` is not given.
pub const DEFAULT_PORT: u16 = 7878;

/// What the pods run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One load test from N pods: `cargo perf --segment ci --rendezvous ..`.
    Segments,
    /// The suite in N shards: `cargo perf --partition hash:ci`.
    Shards,
}

impl Mode {
    /// The result files' prefix: `segment-3.json`, `shard-3.json`.
    fn file_prefix(self) -> &'static str {
        match self {
            Mode::Segments => "segment",
            Mode::Shards => "shard",
        }
    }
}

/// Where a pod's result file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Results {
    /// A PersistentVolumeClaim mounted by every pod (ReadWriteMany).
    Claim(String),
    /// An emptyDir, copied out by this shell command after `cargo perf` (an object store).
    Upload(String),
}

/// Where the rendezvous token of a load test comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A Secret emitted with a random token.
    Random,
    /// A Secret emitted with this token (tests; scripts that need to know it).
    Value(String),
    /// An existing Secret of this name, with the key `token`.
    Secret(String),
}

/// Everything the manifest is built from (the command line, as plain values).
#[derive(Debug, Clone)]
pub struct Spec {
    pub mode: Mode,
    pub count: u32,
    pub image: String,
    pub name: String,
    pub namespace: Option<String>,
    pub workdir: Option<String>,
    pub filters: Vec<String>,
    pub extra: Vec<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub results: Option<Results>,
    pub results_dir: String,
    /// `--port`: only for segments (default [`DEFAULT_PORT`]).
    pub port: Option<u16>,
    /// `--token`/`--token-secret`: only for segments (default: a random token).
    pub token: Option<Token>,
}

/// The manifest as YAML, or the first problem with `spec` (exit 2, before anything is
/// printed). A random token is drawn only after the spec is known to be good.
pub fn manifest(spec: &Spec) -> Result<String, CliError> {
    let results = check(spec)?;
    let token = match (&spec.mode, spec.token.as_ref().unwrap_or(&Token::Random)) {
        (Mode::Shards, _) => None,
        (Mode::Segments, Token::Secret(name)) => Some((name.clone(), None)),
        (Mode::Segments, Token::Value(v)) => Some((secret_name(spec), Some(v.clone()))),
        (Mode::Segments, Token::Random) => Some((secret_name(spec), Some(random_token()?))),
    };
    let mut docs = Vec::new();
    if let Some((secret, Some(value))) = &token {
        docs.push(secret_doc(spec, secret, value));
    }
    if spec.mode == Mode::Segments {
        docs.push(service_doc(spec));
    }
    docs.push(job_doc(
        spec,
        results,
        token.as_ref().map(|(name, _)| name.as_str()),
    ));
    Ok(yaml::stream(&header(spec, results), &docs))
}

/// The checks of every value that Kubernetes (or the pods) would otherwise reject later, far
/// from the command that caused it; returns where the results go.
fn check(spec: &Spec) -> Result<&Results, CliError> {
    if spec.count == 0 || spec.count > MAX_PODS {
        let flag = flag_of(spec.mode);
        return Err(CliError::usage(
            format!("{flag} {} is out of range", spec.count),
            format!("give {flag} a number of pods from 1 to {MAX_PODS}"),
        ));
    }
    if spec.mode == Mode::Shards && (spec.port.is_some() || spec.token.is_some()) {
        return Err(CliError::usage(
            "--port, --token and --token-secret are for a load test's rendezvous",
            "shards need no rendezvous: leave them out, or use --segments N for a load test",
        ));
    }
    if spec.image.trim().is_empty() || spec.image.chars().any(char::is_whitespace) {
        return Err(CliError::usage(
            format!("--image `{}` is not an image reference", spec.image),
            "pass the image that holds the project and cargo-perf, e.g. --image registry.example/app-perf:1.2",
        ));
    }
    // The pods' host names are NAME-INDEX, DNS labels of at most 63 characters.
    let longest_pod = format!("{}-{}", spec.name, spec.count - 1);
    if !is_dns_label(&spec.name) || longest_pod.len() > 63 {
        return Err(CliError::usage(
            format!("--name `{}` is not a valid Job name", spec.name),
            format!(
                "use a DNS-1123 label: lower-case letters, digits and `-`, starting and ending \
                 with a letter or digit, at most {} characters (the pods are NAME-0 to NAME-{})",
                62 - digits(spec.count - 1),
                spec.count - 1
            ),
        ));
    }
    if let Some(ns) = spec.namespace.as_deref().filter(|n| !is_dns_label(n)) {
        return Err(CliError::usage(
            format!("--namespace `{ns}` is not a valid namespace name"),
            "use a DNS-1123 label (lower-case letters, digits and `-`, at most 63 characters)",
        ));
    }
    let named = [
        ("--token-secret", token_secret(spec.token.as_ref())),
        ("--results-claim", results_claim(spec.results.as_ref())),
    ];
    for (flag, name) in named {
        if let Some(name) = name.filter(|n| !is_dns_subdomain(n)) {
            return Err(CliError::usage(
                format!("{flag} `{name}` is not a valid object name"),
                "use a DNS-1123 subdomain: lower-case letters, digits, `-` and `.`, at most 253 characters",
            ));
        }
    }
    if let Some(Token::Value(v)) = &spec.token {
        if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CliError::usage(
                "--token is empty or holds white space",
                "pass a token of printable characters, or leave --token out for a random one",
            ));
        }
    }
    for (flag, value) in [("--cpu", &spec.cpu), ("--memory", &spec.memory)] {
        if let Some(q) = value.as_deref().filter(|q| !is_quantity(q)) {
            return Err(CliError::usage(
                format!("{flag} `{q}` is not a Kubernetes quantity"),
                "write a number with an optional unit, e.g. --cpu 2, --cpu 1500m, --memory 4Gi",
            ));
        }
    }
    let dirs = [
        ("--results-dir", Some(&spec.results_dir)),
        ("--workdir", spec.workdir.as_ref()),
    ];
    for (flag, dir) in dirs {
        if let Some(dir) = dir.filter(|d| !d.starts_with('/') || d.contains(['\n', '\0'])) {
            return Err(CliError::usage(
                format!("{flag} `{dir}` is not an absolute path"),
                format!("give {flag} a path inside the container, e.g. /results"),
            ));
        }
    }
    if spec.results_dir.trim_end_matches('/').is_empty() {
        return Err(CliError::usage(
            "--results-dir / would mount the results over the container's root",
            "give --results-dir a directory of its own, e.g. /results",
        ));
    }
    if let Some(Results::Upload(cmd)) = &spec.results {
        if cmd.trim().is_empty() {
            return Err(CliError::usage(
                "--upload is empty",
                "give --upload the shell command that copies \"$CARGO_PERF_RESULT\" out, or use --results-claim PVC",
            ));
        }
    }
    spec.results.as_ref().ok_or_else(|| {
        CliError::usage(
            "the pods' result files have nowhere to go",
            "pass --results-claim PVC (a ReadWriteMany claim every pod mounts) or --upload CMD \
             (a command that copies $CARGO_PERF_RESULT to an object store)",
        )
    })
}

fn flag_of(mode: Mode) -> &'static str {
    match mode {
        Mode::Segments => "--segments",
        Mode::Shards => "--shards",
    }
}

fn token_secret(token: Option<&Token>) -> Option<&str> {
    match token {
        Some(Token::Secret(name)) => Some(name),
        _ => None,
    }
}

fn results_claim(results: Option<&Results>) -> Option<&str> {
    match results {
        Some(Results::Claim(name)) => Some(name),
        _ => None,
    }
}

fn digits(n: u32) -> usize {
    n.to_string().len()
}

/// RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// A Kubernetes quantity as resources take it: a positive decimal number and an optional
/// suffix (`m`, `k`, `M`.. `E`, `Ki`.. `Ei`, or a decimal exponent).
fn is_quantity(s: &str) -> bool {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let number_ok = !number.is_empty()
        && number.matches('.').count() <= 1
        && number.chars().any(|c| c.is_ascii_digit());
    const SUFFIXES: &[&str] = &[
        "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];
    let exponent = suffix
        .strip_prefix(['e', 'E'])
        .is_some_and(|e| !e.is_empty() && e.trim_start_matches(['+', '-']).parse::<u32>().is_ok());
    number_ok && (SUFFIXES.contains(&suffix) || exponent)
}

/// 128 random bits from the operating system, as 32 hex digits.
fn random_token() -> Result<String, CliError> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| {
            CliError::io(
                format!("cannot draw a random token from /dev/urandom: {e}"),
                "pass --token-secret NAME (an existing Secret with the key `token`) or --token TOKEN",
            )
        })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The name of the emitted Secret.
fn secret_name(spec: &Spec) -> String {
    format!("{}-rendezvous", spec.name)
}

/// Where pod INDEX's report goes, with Kubernetes' `$(VAR)` reference to the index.
fn result_path(spec: &Spec) -> String {
    format!(
        "{}/{}-$(JOB_COMPLETION_INDEX).json",
        spec.results_dir.trim_end_matches('/'),
        spec.mode.file_prefix()
    )
}

/// The shell pattern that names every pod's report: what `cargo perf merge` takes.
fn result_glob(spec: &Spec) -> String {
    format!(
        "{}/{}-*.json",
        spec.results_dir.trim_end_matches('/'),
        spec.mode.file_prefix()
    )
}

/// The command that merges the pods' reports, for the header and the Job's annotation.
fn merge_command(spec: &Spec) -> String {
    format!("cargo perf merge {}", result_glob(spec))
}

/// The rendezvous address: pod 0's name under the headless Service (same namespace).
fn rendezvous(spec: &Spec) -> String {
    let port = spec.port.unwrap_or(DEFAULT_PORT);
    format!("{}-0.{}:{port}", spec.name, spec.name)
}

/// `cargo perf`'s arguments in every pod; the report goes to `$CARGO_PERF_RESULT` (`output`
/// is how the caller writes that reference: `$(..)` for Kubernetes, `"$.."` for a shell).
fn perf_args(spec: &Spec, output: &str) -> Vec<String> {
    let mut args: Vec<String> = match spec.mode {
        Mode::Segments => vec![
            "--segment".into(),
            "ci".into(),
            "--rendezvous".into(),
            rendezvous(spec),
        ],
        Mode::Shards => vec!["--partition".into(), "hash:ci".into()],
    };
    args.extend(spec.filters.iter().cloned());
    // The verdict is the merge's: a pod exits non-zero only when its part could not be
    // measured (exit 2), which fails the Job; a pod's store dies with it, so none is written.
    args.extend(
        [
            "--format",
            "json",
            "-o",
            output,
            "--fail-on",
            "never",
            "--no-save",
        ]
        .map(String::from),
    );
    // Every pod has its own host name; `merge` refuses shards measured on different machines
    // (their baselines would be another machine's), so the shards name one.
    if spec.mode == Mode::Shards {
        args.extend(["--machine".to_string(), spec.name.clone()]);
    }
    args.extend(spec.extra.iter().cloned());
    args
}

/// `s` as one word for `sh`.
fn sh_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,/:=@+%".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The container's command: `cargo perf ..` itself, or a shell that runs it and then the
/// upload (the upload runs only when the report exists; its failure fails the pod, exit 2).
fn command(spec: &Spec, results: &Results) -> Vec<String> {
    match results {
        Results::Claim(_) => ["cargo", "perf"]
            .into_iter()
            .map(String::from)
            .chain(perf_args(spec, "$(CARGO_PERF_RESULT)"))
            .collect(),
        Results::Upload(upload) => {
            let perf: Vec<String> = perf_args(spec, "\"$CARGO_PERF_RESULT\"")
                .iter()
                .map(|a| match a.as_str() {
                    "\"$CARGO_PERF_RESULT\"" => a.clone(),
                    other => sh_quote(other),
                })
                .collect();
            let script = format!(
                "cargo perf {}; status=$?; if [ -f \"$CARGO_PERF_RESULT\" ]; then {{ {upload}; }} || status=2; fi; exit $status",
                perf.join(" ")
            );
            vec!["sh".into(), "-c".into(), script]
        }
    }
}

fn labels(spec: &Spec) -> Value {
    json!({
        "app.kubernetes.io/name": "cargo-perf",
        INSTANCE_LABEL: spec.name,
    })
}

fn metadata(spec: &Spec, name: &str) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(ns) = &spec.namespace {
        m.insert("namespace".into(), json!(ns));
    }
    m.insert("labels".into(), labels(spec));
    Value::Object(m)
}

fn secret_doc(spec: &Spec, name: &str, token: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(spec, name),
        "type": "Opaque",
        "stringData": {"token": token},
    })
}

/// The headless Service that gives pod 0 its DNS name. Addresses are published before the
/// pods are ready: they have no readiness probe, and the others look pod 0 up at once.
fn service_doc(spec: &Spec) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(spec, &spec.name),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": true,
            "selector": labels(spec),
            "ports": [{"name": "rendezvous", "port": spec.port.unwrap_or(DEFAULT_PORT), "protocol": "TCP"}],
        },
    })
}

fn env(spec: &Spec, token_secret: Option<&str>) -> Value {
    // Kubernetes sets JOB_COMPLETION_INDEX itself; declaring it first makes the `$(..)`
    // references below (and in the command) expand on every version.
    let mut env = vec![
        json!({"name": ENV_K8S_INDEX, "valueFrom": {"fieldRef": {"fieldPath": INDEX_ANNOTATION}}}),
        json!({"name": ENV_JOB_TOTAL, "value": spec.count.to_string()}),
        json!({"name": "CARGO_PERF_RESULT", "value": result_path(spec)}),
    ];
    if let Some(secret) = token_secret {
        env.push(json!({
            "name": "CARGO_PERF_RENDEZVOUS_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": secret, "key": "token"}},
        }));
    }
    Value::Array(env)
}

fn container(spec: &Spec, results: &Results, token_secret: Option<&str>) -> Value {
    let mut c = Map::new();
    c.insert("name".into(), json!(CONTAINER));
    c.insert("image".into(), json!(spec.image));
    c.insert("command".into(), json!(command(spec, results)));
    if let Some(dir) = &spec.workdir {
        c.insert("workingDir".into(), json!(dir));
    }
    c.insert("env".into(), env(spec, token_secret));
    // Requests equal to limits: the Guaranteed class, so a pod's CPU is not taken away by
    // its neighbours in the middle of a measurement.
    let mut quantities = Map::new();
    for (key, value) in [("cpu", &spec.cpu), ("memory", &spec.memory)] {
        if let Some(v) = value {
            quantities.insert(key.into(), json!(v));
        }
    }
    if !quantities.is_empty() {
        let q = Value::Object(quantities);
        c.insert("resources".into(), json!({"requests": q, "limits": q}));
    }
    c.insert(
        "volumeMounts".into(),
        json!([{"name": "results", "mountPath": spec.results_dir}]),
    );
    Value::Object(c)
}

fn job_doc(spec: &Spec, results: &Results, token_secret: Option<&str>) -> Value {
    let volume = match results {
        Results::Claim(claim) => {
            json!({"name": "results", "persistentVolumeClaim": {"claimName": claim}})
        }
        Results::Upload(_) => json!({"name": "results", "emptyDir": {}}),
    };
    let mut pod = Map::new();
    pod.insert("restartPolicy".into(), json!("Never"));
    if spec.mode == Mode::Segments {
        // NAME-0.NAME resolves through the headless Service of the same name.
        pod.insert("subdomain".into(), json!(spec.name));
        // Load generators sharing a node share its CPU and network: spread them.
        pod.insert(
            "affinity".into(),
            json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 100,
                "podAffinityTerm": {
                    "topologyKey": "kubernetes.io/hostname",
                    "labelSelector": {"matchLabels": labels(spec)},
                },
            }]}}),
        );
    }
    pod.insert(
        "containers".into(),
        json!([container(spec, results, token_secret)]),
    );
    pod.insert("volumes".into(), json!([volume]));
    let mut meta = metadata(spec, &spec.name);
    meta["annotations"] = json!({"cargo-perf/merge": merge_command(spec)});
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {
            "completionMode": "Indexed",
            "completions": spec.count,
            // Every pod at once: segments start together, shards finish together.
            "parallelism": spec.count,
            // No retry: a retried segment would miss the common start, and a shard's or a
            // segment's second attempt would be a second file for the same index.
            "backoffLimit": 0,
            "backoffLimitPerIndex": 0,
            "template": {
                "metadata": {"labels": labels(spec)},
                "spec": Value::Object(pod),
            },
        },
    })
}

/// The comment at the top: what the manifest does, how to run it and merge its reports.
fn header(spec: &Spec, results: &Results) -> Vec<String> {
    let what = match spec.mode {
        Mode::Segments => format!(
            "one load test from {} pods (cargo perf --segment ci; pod 0 at {} starts them together)",
            spec.count,
            rendezvous(spec)
        ),
        Mode::Shards => format!(
            "the perf suite in {} shards, one per pod (cargo perf --partition hash:ci)",
            spec.count
        ),
    };
    let mut lines = vec![
        format!(
            "Made by cargo-perf {} (`cargo perf k8s-job`): {what}.",
            env!("CARGO_PKG_VERSION")
        ),
        format!("Run:   kubectl apply -f THIS_FILE && kubectl wait --for=condition=complete --timeout=2h job/{}", spec.name),
    ];
    match results {
        Results::Claim(claim) => lines.push(format!(
            "Merge: {} (where the claim `{claim}` is mounted)",
            merge_command(spec)
        )),
        Results::Upload(_) => lines.push(format!(
            "Merge: cargo perf merge DIR/{}-*.json, after copying the uploaded reports to DIR",
            spec.mode.file_prefix()
        )),
    }
    lines.push(format!(
        "A failed pod fails the Job (no retries): its {} is missing and the merge says so.",
        spec.mode.file_prefix()
    ));
    if spec.mode == Mode::Segments && token_secret(spec.token.as_ref()).is_none() {
        lines.push(format!(
            "The Secret {} holds the rendezvous token: keep this file private.",
            secret_name(spec)
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: Mode, count: u32) -> Spec {
        Spec {
            mode,
            count,
            image: "registry.example/app-perf:1".into(),
            name: "load".into(),
            namespace: None,
            workdir: Some("/src".into()),
            filters: vec!["checkout".into()],
            extra: vec![],
            cpu: Some("2".into()),
            memory: Some("4Gi".into()),
            results: Some(Results::Claim("perf-results".into())),
            results_dir: "/results".into(),
            port: None,
            token: Some(Token::Value("t0ken".into())),
        }
    }

    #[test]
    fn quantities_and_names_are_checked_as_kubernetes_does() {
        for good in ["2", "1500m", "0.5", "4Gi", "512Mi", "1e3", "1E-2"] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in ["", "two", "4GB", "1.2.3", "m", "-1", "4 Gi", "1e"] {
            assert!(!is_quantity(bad), "{bad}");
        }
        for good in ["a", "load-1", "0", &"a".repeat(63)] {
            assert!(is_dns_label(good), "{good}");
        }
        for bad in ["", "Load", "-a", "a-", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad}");
        }
        assert!(is_dns_subdomain("perf.results-1"));
        assert!(!is_dns_subdomain("perf..results"));
    }

    /// One wrong option, applied to a good spec.
    type Change = fn(&mut Spec);

    #[test]
    fn bad_specs_are_usage_errors_naming_the_flag() {
        let cases: Vec<(Change, &str)> = vec![
            (|s| s.count = 0, "--segments 0"),
            (|s| s.count = MAX_PODS + 1, "--segments 1001"),
            (|s| s.name = "Load_Test".into(), "--name"),
            (|s| s.name = "a".repeat(62), "--name"),
            (|s| s.image = " ".into(), "--image"),
            (|s| s.cpu = Some("2 cores".into()), "--cpu"),
            (|s| s.memory = Some("4GB".into()), "--memory"),
            (|s| s.results = None, "nowhere"),
            (|s| s.results_dir = "results".into(), "--results-dir"),
            (|s| s.results_dir = "/".into(), "--results-dir"),
            (
                |s| s.results = Some(Results::Upload(" ".into())),
                "--upload",
            ),
            (|s| s.token = Some(Token::Value("a b".into())), "--token"),
            (
                |s| s.token = Some(Token::Secret("Bad!".into())),
                "--token-secret",
            ),
            (|s| s.namespace = Some("a.b".into()), "--namespace"),
        ];
        for (change, needle) in cases {
            let mut s = spec(Mode::Segments, 3);
            change(&mut s);
            let e = manifest(&s).expect_err(needle);
            assert_eq!(e.exit_code(), 2);
            assert!(e.message.contains(needle), "{needle}: {e}");
            assert!(!e.help.is_empty());
        }
        // 63 characters is the limit for the longest pod name, NAME-999 here.
        let mut s = spec(Mode::Shards, 1000);
        s.token = None;
        s.name = "a".repeat(59);
        assert!(manifest(&s).is_ok());
        s.name = "a".repeat(60);
        assert!(manifest(&s).is_err());
    }

    #[test]
    fn segments_run_a_rendezvous_at_pod_zero_with_the_secret_s_token() {
        let text = manifest(&spec(Mode::Segments, 3)).unwrap();
        assert!(text.contains("\"--rendezvous\"\n"), "{text}");
        assert!(text.contains("\"load-0.load:7878\""), "{text}");
        assert!(text.contains("stringData:\n  token: \"t0ken\""), "{text}");
        assert!(text.contains("\"$(CARGO_PERF_RESULT)\""), "{text}");
        assert!(text.contains("\"/results/segment-$(JOB_COMPLETION_INDEX).json\""));
        assert_eq!(text.matches("\n---\n").count(), 3, "secret, service, job");
        // Deterministic when the token is given.
        assert_eq!(text, manifest(&spec(Mode::Segments, 3)).unwrap());
    }

    #[test]
    fn random_tokens_differ_and_an_existing_secret_is_only_referenced() {
        let mut s = spec(Mode::Segments, 2);
        s.token = None;
        let (a, b) = (manifest(&s).unwrap(), manifest(&s).unwrap());
        assert_ne!(a, b, "two emissions draw two tokens");
        s.token = Some(Token::Secret("shared-token".into()));
        let text = manifest(&s).unwrap();
        assert!(!text.contains("kind: \"Secret\""), "{text}");
        assert!(text.contains("name: \"shared-token\""), "{text}");
    }

    #[test]
    fn shards_have_no_service_and_no_token() {
        let mut s = spec(Mode::Shards, 4);
        assert!(manifest(&s).unwrap_err().message.contains("--token"));
        s.token = None;
        let text = manifest(&s).unwrap();
        assert!(
            !text.contains("Service") && !text.contains("TOKEN"),
            "{text}"
        );
        assert!(text.contains("\"hash:ci\""), "{text}");
        assert!(
            text.contains("cargo perf merge /results/shard-*.json"),
            "{text}"
        );
    }

    #[test]
    fn an_upload_runs_in_a_shell_after_cargo_perf_with_quoted_arguments() {
        let mut s = spec(Mode::Shards, 2);
        s.token = None;
        s.filters = vec!["it's".into()];
        s.results = Some(Results::Upload(
            "aws s3 cp \"$CARGO_PERF_RESULT\" s3://b/".into(),
        ));
        let text = manifest(&s).unwrap();
        let script = command(&s, s.results.as_ref().unwrap()).pop().unwrap();
        assert!(
            script.starts_with("cargo perf --partition hash:ci 'it'\\''s' --format json -o \"$CARGO_PERF_RESULT\" "),
            "{script}"
        );
        assert!(script.contains("{ aws s3 cp"), "{script}");
        assert!(text.contains("emptyDir: {}"), "{text}");
    }
}
