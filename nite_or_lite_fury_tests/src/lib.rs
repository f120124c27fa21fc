//! nite_or_lite_fury_tests

pub mod fury_boards;
pub mod general;
pub mod junit_report;
pub mod launcher;
pub mod m2_led;
pub mod memmapped_persistence;
