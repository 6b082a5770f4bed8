//! A block-style YAML writer for JSON values: the manifests `cargo perf k8s-job` prints.
//!
//! Every scalar is written as JSON (strings always double-quoted), which YAML reads as the
//! same value: no YAML dependency, and no string that YAML would reinterpret (`no`, `1e3`,
//! `08:00`, a leading `*`) can change type. Maps and lists are written in block style so that
//! a person can read and edit the manifest; key order is the map's (deterministic).

use serde_json::Value;

/// `docs` as one YAML stream: `comment` lines (each prefixed with `# `) first, then each
/// document after a `---` line.
pub fn stream(comment: &[String], docs: &[Value]) -> String {
    let mut out = String::new();
    for line in comment {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    for doc in docs {
        out.push_str("---\n");
        if is_inline(doc) {
            out.push_str(&inline(doc));
            out.push('\n');
        } else {
            block(doc, 0, &mut out);
        }
    }
    out
}

/// Scalars and empty collections are written on the line of their key.
fn is_inline(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => true,
    }
}

/// A scalar (or `{}`/`[]`) as JSON text, which is also its YAML flow form.
fn inline(v: &Value) -> String {
    // Serialising a Value to a string cannot fail: every key is a string.
    serde_json::to_string(v).unwrap_or_default()
}

/// A map key: plain when it is made of characters YAML never reads specially, quoted otherwise
/// (YAML 1.1 readers take `yes`, `on` or `null` as booleans and null, even as keys).
fn key(k: &str) -> String {
    const SPECIAL: &[&str] = &["y", "yes", "n", "no", "on", "off", "true", "false", "null"];
    let plain = !SPECIAL.contains(&k.to_ascii_lowercase().as_str())
        && k.starts_with(|c: char| c.is_ascii_alphabetic())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'));
    if plain {
        k.to_string()
    } else {
        inline(&Value::String(k.to_string()))
    }
}

/// A non-inline value as a block node whose lines start at `indent` spaces.
fn block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                out.push_str(&pad);
                out.push_str(&key(k));
                out.push(':');
                child(val, indent + 2, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                if is_inline(item) {
                    out.push(' ');
                    out.push_str(&inline(item));
                    out.push('\n');
                } else {
                    // The item's first line goes after the dash (`- name: x`), the others
                    // under it, two columns in.
                    let mut nested = String::new();
                    block(item, indent + 2, &mut nested);
                    out.push(' ');
                    out.push_str(&nested[indent + 2..]);
                }
            }
        }
        scalar => {
            out.push_str(&pad);
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

/// The value of a key: on the same line when inline, else on the lines below.
fn child(v: &Value, indent: usize, out: &mut String) {
    if is_inline(v) {
        out.push(' ');
        out.push_str(&inline(v));
        out.push('\n');
    } else {
        out.push('\n');
        block(v, indent, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_and_lists_are_blocks_and_scalars_json() {
        let doc = json!({
            "kind": "Job",
            "spec": {"completions": 3, "empty": {}, "list": [], "yes": "no"},
            "items": [{"name": "a", "args": ["--x", "1e3"]}, "plain", ["nested"]],
            "odd key": true,
        });
        let text = stream(&["made by a test".into(), String::new()], &[doc]);
        let expected = "\
# made by a test
#
---
items:
  - args:
      - \"--x\"
      - \"1e3\"
    name: \"a\"
  - \"plain\"
  - - \"nested\"
kind: \"Job\"
\"odd key\": true
spec:
  completions: 3
  empty: {}
  list: []
  \"yes\": \"no\"
";
        assert_eq!(text, expected);
    }

    #[test]
    fn strings_keep_newlines_and_quotes_escaped() {
        let text = stream(&[], &[json!({"s": "a \"b\"\nc: d"})]);
        assert_eq!(text, "---\ns: \"a \\\"b\\\"\\nc: d\"\n");
    }
}
