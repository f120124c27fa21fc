//! PMBus helpers independent of the device: data formats, command codes, the
//! capability / revision report and the failure report.

pub mod commands;
pub mod failure;
pub mod identity;
pub mod linear;
