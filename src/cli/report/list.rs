//! `--list`'s text: every suite's tests (name, kind, tags, ignored), then a count.

use crate::protocol::TestInfo;

/// `suites` are (label, tests shown) pairs, in suite order.
pub fn render(suites: &[(String, Vec<&TestInfo>)]) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    for (label, tests) in suites {
        out.push_str(&format!("{label}:\n"));
        for t in tests {
            let mut line = format!("    {}: {}", t.name, t.kind.as_str());
            if !t.tags.is_empty() {
                line.push_str(&format!(" [{}]", t.tags.join(", ")));
            }
            if t.ignored {
                line.push_str(" (ignored)");
            }
            out.push_str(&line);
            out.push('\n');
        }
        count += tests.len();
    }
    out.push_str(&format!("\n{count} perf test(s)\n"));
    out
}
