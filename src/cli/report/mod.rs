//! Reports: the data model of a run (the JSON report's schema) and its renderers.

pub mod figures;
pub mod human;
pub mod human_compare;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod operations;
#[cfg(test)]
mod sample;
