//! Driver for the 7-series XADC behind the AXI XADC Wizard (PG091), read-only.
//!
//! - [`registers`], [`channels`]: where things are and what each channel is.
//! - [`conversion`], [`calibration`]: codes to values.
//! - [`samples`]: [`read_samples`] reads configuration, calibration and every channel.
//! - [`display`]: the text block the tools print; [`json`]: `display_xadc_values --json`.
//!
//! The calibration channel: every design enables it in the sequencer, but it has no
//! result register. The original read offset 0x000 for it (the write-only software reset
//! register, which reads 0) and printed `Cal 0.0000V`. This driver keeps that row, so
//! output matches every captured log, but does not read offset 0x000: the row carries a
//! fixed 0 V and means only "calibration is in the sequence".

pub mod calibration;
pub mod channels;
pub mod conversion;
pub mod display;
pub mod json;
pub mod registers;
pub mod samples;

pub use calibration::AdcCalibration;
pub use display::{format_samples, format_temperature};
pub use samples::{read_samples, ChannelSample, SequencerMode, XadcSamples};
