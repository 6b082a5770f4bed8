//! Reports: the data model of a run (the JSON report's schema) and its renderers.

pub mod human;
pub mod json;
pub mod model;
