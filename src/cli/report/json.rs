//! The JSON report (contract section 5): the serde form of [`Report`].

use crate::cli::model::Report;

/// Pretty-printed, newline-terminated.
pub fn render(report: &Report) -> String {
    // Serialising plain data (strings, numbers, enums) cannot fail.
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot encode the report: {e}\"}}"));
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use crate::cli::testing::{bench, report};

    #[test]
    fn the_json_report_keeps_absent_metrics_absent() {
        let text = super::render(&report(vec![bench("p/t/n").build()]));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["tests"][0]["metrics"], serde_json::json!({}));
        assert!(v["tests"][0]["comparison"].is_null());
        assert_eq!(v["summary"]["total"], 1);
    }
}
