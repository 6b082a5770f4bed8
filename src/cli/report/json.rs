//! The JSON report (contract section 5): the serde form of [`Report`].

use super::model::Report;

/// Pretty-printed, newline-terminated.
pub fn render(report: &Report) -> String {
    // Serialising plain data (strings, numbers, enums) cannot fail.
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot encode the report: {e}\"}}"));
    text.push('\n');
    text
}
