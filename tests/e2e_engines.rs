//! End to end: the real binary's `cargo perf k8s-job` prints Kubernetes Indexed Jobs (load
//! segments, suite shards) whose structure is what the engines need, parsed back with a real
//! YAML reader; bad options exit 2 with nothing printed; and the manifests and the CI
//! templates in docs/ validate offline against the published schemas (kubernetes-validate's
//! Kubernetes OpenAPI schemas, check-jsonschema's GitHub Actions and GitLab CI schemas).
//! Without the validators on PATH that part is skipped with a message, unless
//! `CARGO_PERF_REQUIRE_VALIDATORS=1` (CI sets it), where a missing validator fails the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{repo_root, Run};
use serde::Deserialize;
use serde_json::Value;

/// `cargo perf k8s-job <args>` from an empty directory (it needs no project).
fn k8s_job(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-perf"))
        .args(["perf", "k8s-job"])
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("run cargo-perf");
    let run = Run::from(out);
    assert!(!run.stderr.contains("panicked"), "{}", run.dump());
    run
}

/// Every document of a YAML stream, as JSON values.
fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("bad YAML ({e}):\n{text}")))
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {docs:#?}"))
}

/// The container's `env` entry `name`.
fn env<'a>(container: &'a Value, name: &str) -> &'a Value {
    container["env"]
        .as_array()
        .expect("env is a list")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no env {name} in {container:#}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|s| s.as_str().expect("a string"))
        .collect()
}

/// `needle` appears in `haystack` as consecutive items.
fn has_run(haystack: &[&str], needle: &[&str]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

const SEGMENTS: &[&str] = &[
    "--segments",
    "3",
    "--image",
    "registry.example/app-perf:1",
    "--name",
    "checkout-load",
    "--results-claim",
    "perf-results",
    "--token",
    "e2e-token",
    "--cpu",
    "2",
    "--memory",
    "4Gi",
    "--workdir",
    "/src",
    "checkout",
    "--",
    "--quick",
];

const SHARDS: &[&str] = &[
    "--shards",
    "4",
    "--image",
    "registry.example/app-perf:1",
    "--results-claim",
    "perf-results",
];

/// The rules every manifest keeps, whatever it runs.
fn check_indexed_job(job: &Value, count: u64) -> &Value {
    let spec = &job["spec"];
    assert_eq!(job["apiVersion"], "batch/v1");
    assert_eq!(spec["completionMode"], "Indexed", "{job:#}");
    assert_eq!(spec["completions"], count);
    assert_eq!(spec["parallelism"], count, "every pod at once");
    assert_eq!(spec["backoffLimit"], 0, "no retry");
    assert_eq!(spec["backoffLimitPerIndex"], 0, "no retry of an index");
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "registry.example/app-perf:1");
    assert_eq!(
        env(container, "CARGO_PERF_JOB_TOTAL")["value"],
        count.to_string()
    );
    // `$(JOB_COMPLETION_INDEX)` expands only in entries after its own definition.
    let names: Vec<&str> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let index = names.iter().position(|n| *n == "JOB_COMPLETION_INDEX");
    let result = names.iter().position(|n| *n == "CARGO_PERF_RESULT");
    assert!(index.is_some() && index < result, "{names:?}");
    assert_eq!(
        env(container, "JOB_COMPLETION_INDEX")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    // The result volume is mounted where the results go.
    let mount = &container["volumeMounts"][0];
    let volume = &pod["volumes"][0];
    assert_eq!(mount["name"], volume["name"]);
    assert_eq!(mount["mountPath"], "/results");
    assert_eq!(volume["persistentVolumeClaim"]["claimName"], "perf-results");
    let merge = job["metadata"]["annotations"]["cargo-perf/merge"]
        .as_str()
        .expect("the merge annotation");
    assert!(merge.starts_with("cargo perf merge /results/"), "{merge}");
    container
}

#[test]
fn a_segments_manifest_has_a_rendezvous_at_pod_zero_a_headless_service_and_the_token() {
    let run = k8s_job(SEGMENTS);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(run
        .stdout
        .contains("# Merge: cargo perf merge /results/segment-*.json"));
    let docs = documents(&run.stdout);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["Secret", "Service", "Job"],
        "created before the Job"
    );

    let job = of_kind(&docs, "Job");
    let container = check_indexed_job(job, 3);
    let command = strings(&container["command"]);
    assert_eq!(command[..2], ["cargo", "perf"]);
    for run in [
        &["--segment", "ci"][..],
        &["--rendezvous", "checkout-load-0.checkout-load:7878"],
        &["--format", "json", "-o", "$(CARGO_PERF_RESULT)"],
        &["--fail-on", "never"],
        &["checkout"],
        &["--quick"],
    ] {
        assert!(has_run(&command, run), "{run:?} in {command:?}");
    }
    assert_eq!(
        env(container, "CARGO_PERF_RESULT")["value"],
        "/results/segment-$(JOB_COMPLETION_INDEX).json"
    );
    assert_eq!(container["workingDir"], "/src");
    for side in ["requests", "limits"] {
        assert_eq!(container["resources"][side]["cpu"], "2");
        assert_eq!(container["resources"][side]["memory"], "4Gi");
    }

    // Pod 0's name NAME-0.SERVICE: the pods' subdomain is the headless Service, which
    // selects them.
    let service = of_kind(&docs, "Service");
    let pod = &job["spec"]["template"];
    assert_eq!(service["spec"]["clusterIP"], "None");
    assert_eq!(pod["spec"]["subdomain"], service["metadata"]["name"]);
    assert_eq!(service["metadata"]["name"], "checkout-load");
    assert_eq!(service["spec"]["ports"][0]["port"], 7878);
    for (key, value) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(&pod["metadata"]["labels"][key], value, "selector {key}");
    }

    // The token comes from the Secret, never from the command line.
    let secret = of_kind(&docs, "Secret");
    let token = &env(container, "CARGO_PERF_RENDEZVOUS_TOKEN")["valueFrom"]["secretKeyRef"];
    assert_eq!(token["name"], secret["metadata"]["name"]);
    assert_eq!(
        secret["stringData"][token["key"].as_str().unwrap()],
        "e2e-token"
    );
    assert!(!command.iter().any(|a| a.contains("e2e-token")));
}

#[test]
fn a_shards_manifest_runs_hash_partitions_and_goes_to_a_file_with_o() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out/shards.yaml");
    let file_arg = file.to_str().unwrap();
    let run = k8s_job(&[SHARDS, &["-o", file_arg]].concat());
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(run.stdout.is_empty(), "{}", run.dump());
    assert!(run.stderr.contains("wrote the Kubernetes manifest to"));
    let docs = documents(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(docs.len(), 1, "a Job alone: no Service, no Secret");
    let container = check_indexed_job(&docs[0], 4);
    let command = strings(&container["command"]);
    assert!(
        has_run(&command, &["--partition", "hash:ci"]),
        "{command:?}"
    );
    assert!(
        !command.iter().any(|a| a.contains("segment")),
        "{command:?}"
    );
    assert_eq!(
        env(container, "CARGO_PERF_RESULT")["value"],
        "/results/shard-$(JOB_COMPLETION_INDEX).json"
    );
    assert!(container["env"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["name"] != "CARGO_PERF_RENDEZVOUS_TOKEN"));
}

#[test]
fn each_emission_draws_its_own_random_token_and_is_otherwise_identical() {
    let args = ["--segments", "2", "--image", "app:1", "--upload", "true"];
    let (a, b) = (k8s_job(&args), k8s_job(&args));
    assert_eq!((a.code, b.code), (0, 0), "{}", a.dump());
    let token = |r: &Run| {
        let docs = documents(&r.stdout);
        of_kind(&docs, "Secret")["stringData"]["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (ta, tb) = (token(&a), token(&b));
    assert_ne!(ta, tb);
    assert!(
        ta.len() == 32 && ta.chars().all(|c| c.is_ascii_hexdigit()),
        "{ta}"
    );
    assert_eq!(a.stdout.replace(&ta, "T"), b.stdout.replace(&tb, "T"));
    // An upload runs after cargo perf in a shell, on an emptyDir.
    let docs = documents(&a.stdout);
    let pod = &of_kind(&docs, "Job")["spec"]["template"]["spec"];
    assert_eq!(strings(&pod["containers"][0]["command"])[..2], ["sh", "-c"]);
    assert!(pod["volumes"][0]["emptyDir"].is_object(), "{pod:#}");
}

#[test]
fn bad_options_exit_2_with_error_and_help_and_print_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("never.yaml");
    let o = file.to_str().unwrap();
    let claim = ["--image", "app:1", "--results-claim", "c", "-o", o];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        ([&["--segments", "0"][..], &claim].concat(), "--segments 0"),
        (
            [&["--shards", "1001"][..], &claim].concat(),
            "--shards 1001",
        ),
        (
            [&["--segments", "2", "--name", "Bad_Name"], &claim[..]].concat(),
            "--name",
        ),
        (
            vec!["--segments", "2", "--results-claim", "c", "-o", o],
            "--image",
        ),
        (
            [&["--segments", "2", "--shards", "2"][..], &claim].concat(),
            "cannot be used",
        ),
        (
            [&["--shards", "2", "--token", "t"][..], &claim].concat(),
            "--segments",
        ),
        (
            [&["--shards", "2", "--cpu", "lots"][..], &claim].concat(),
            "--cpu",
        ),
        (
            vec!["--shards", "2", "--image", "app:1", "-o", o],
            "nowhere to go",
        ),
        (
            vec!["--image", "app:1", "--results-claim", "c", "-o", o],
            "--segments",
        ),
    ];
    for (args, needle) in cases {
        let run = k8s_job(&args);
        assert_eq!(run.code, 2, "{args:?}\n{}", run.dump());
        assert!(run.stdout.is_empty(), "{args:?}\n{}", run.dump());
        assert!(run.stderr.contains("error:"), "{args:?}\n{}", run.dump());
        assert!(run.stderr.contains("help:"), "{args:?}\n{}", run.dump());
        assert!(
            run.stderr.contains(needle),
            "{needle} in {args:?}\n{}",
            run.dump()
        );
        assert!(!file.exists(), "{args:?} wrote {o}");
    }
}

/// The CI templates, each with the check-jsonschema schema it must satisfy.
const TEMPLATES: &[(&str, &str)] = &[
    ("docs/github-actions-sharded.yml", "vendor.github-workflows"),
    (
        "docs/github-actions-segments.yml",
        "vendor.github-workflows",
    ),
    ("docs/gitlab-ci-sharded.yml", "vendor.gitlab-ci"),
];

#[test]
fn the_ci_templates_have_a_matrix_of_shards_or_segments_and_a_merge_job() {
    let read = |p: &str| documents(&std::fs::read_to_string(repo_root().join(p)).unwrap());
    for path in [
        "docs/github-actions-sharded.yml",
        "docs/github-actions-segments.yml",
    ] {
        let wf = &read(path)[0];
        let jobs = &wf["jobs"];
        let (part, flag) = if jobs["shard"].is_object() {
            ("shard", "--partition hash:ci")
        } else {
            ("segment", "--segment ci")
        };
        let job = &jobs[part];
        assert_eq!(
            job["env"]["CARGO_PERF_JOB_INDEX"],
            "${{ strategy.job-index }}"
        );
        assert_eq!(
            job["env"]["CARGO_PERF_JOB_TOTAL"],
            "${{ strategy.job-total }}"
        );
        assert_eq!(job["strategy"]["fail-fast"], false, "{path}");
        let steps = job["steps"].to_string();
        assert!(steps.contains(flag), "{path}: {steps}");
        let merge = &jobs["merge"];
        assert_eq!(merge["needs"], part, "{path}");
        assert!(
            merge["steps"].to_string().contains("cargo perf merge"),
            "{path}"
        );
    }
    let gitlab = &read("docs/gitlab-ci-sharded.yml")[0];
    assert!(gitlab["perf-shard"]["parallel"].as_u64().unwrap() > 1);
    assert!(gitlab["perf-merge"]["script"]
        .to_string()
        .contains("cargo perf merge"));
}

/// The Kubernetes versions whose published schemas the manifests must satisfy: the oldest
/// with `backoffLimitPerIndex` enabled by default, and the newest that kubernetes-validate
/// 1.37 (pinned in .ci/run) bundles.
const OLDEST_KUBERNETES: &str = "1.29.0";
const NEWEST_KUBERNETES: &str = "1.37.0";

/// `name` on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `(program, args..)` run on `file`: did it accept it, and what did it say.
fn validate(program: &Path, args: &[&str], file: &Path) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn manifests_and_templates_validate_against_the_published_schemas() {
    let (Some(kube), Some(jsonschema)) =
        (on_path("kubernetes-validate"), on_path("check-jsonschema"))
    else {
        let required = std::env::var("CARGO_PERF_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "CARGO_PERF_REQUIRE_VALIDATORS=1 but kubernetes-validate or check-jsonschema is not \
             on PATH (.ci/run installs them: pip install check-jsonschema kubernetes-validate)"
        );
        eprintln!(
            "skipped the schema validation: kubernetes-validate and check-jsonschema are not \
             on PATH (pip install check-jsonschema kubernetes-validate)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    // `--strict`: a field the schema does not know is an error, as `kubectl --validate=strict`.
    let kube_args = ["--strict", "--quiet", "-k", NEWEST_KUBERNETES];
    for (name, args) in [("segments", SEGMENTS), ("shards", SHARDS)] {
        let run = k8s_job(args);
        assert_eq!(run.code, 0, "{}", run.dump());
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, &run.stdout).unwrap();
        for version in [OLDEST_KUBERNETES, NEWEST_KUBERNETES] {
            let args = ["--strict", "--quiet", "-k", version];
            let (ok, said) = validate(&kube, &args, &file);
            assert!(
                ok,
                "{name} fails Kubernetes {version}:\n{said}\n{}",
                run.stdout
            );
        }

        // The validation can fail: the same manifest broken in a type and in a field name.
        for (from, to) in [
            ("completions: ", "completions: \"three\" #"),
            ("backoffLimitPerIndex:", "backoffLimitPerIndexes:"),
        ] {
            assert!(run.stdout.contains(from));
            let broken = dir.path().join(format!("{name}-broken.yaml"));
            std::fs::write(&broken, run.stdout.replacen(from, to, 1)).unwrap();
            let (ok, said) = validate(&kube, &kube_args, &broken);
            assert!(!ok, "a broken {name} manifest ({to}) passed:\n{said}");
        }
    }
    for (path, schema) in TEMPLATES {
        let file = repo_root().join(path);
        let args = ["--builtin-schema", schema];
        let (ok, said) = validate(&jsonschema, &args, &file);
        assert!(ok, "{path} does not validate against {schema}:\n{said}");
        // A template with a job of the wrong shape is rejected by the same schema.
        let text = std::fs::read_to_string(&file).unwrap();
        let broken = dir.path().join("broken.yml");
        std::fs::write(
            &broken,
            text.replacen("runs-on:", "runs-on-typo:", 1).replacen(
                "stage: perf",
                "stage: [perf",
                1,
            ),
        )
        .unwrap();
        let (ok, said) = validate(&jsonschema, &args, &broken);
        assert!(!ok, "a broken {path} passed {schema}:\n{said}");
    }
    eprintln!(
        "validated 2 manifests (Kubernetes {OLDEST_KUBERNETES} and {NEWEST_KUBERNETES}), 4 broken ones and {} templates (+ broken) in {:.1} s",
        TEMPLATES.len(),
        started.elapsed().as_secs_f64()
    );
}
