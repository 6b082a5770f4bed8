//! Reports: the data model of a run (the JSON report's schema) and its renderers.

pub mod model;
