//! What can go wrong on one channel of the ring driver (xilinx_dma_bridge.md §4.5-§4.10),
//! as typed errors whose texts are the original's messages, and the first-failure record
//! each channel keeps (§4.10).

use std::fmt;
use std::time::Duration;

use xdma_registers::register_map::status_names;
use xdma_registers::{DmaDirection, DmaWindowError, IdentityError};

use crate::mapping::SubAllocationError;

/// Longest failure message printed (the original's buffer held 511 characters).
pub const MAX_FAILURE_CHARS: usize = 511;

/// Suffix printed after a failure when finalisation also timed out waiting for idle.
pub const IDLE_TIMEOUT_SUFFIX: &str = " (+timeout waiting for idle at finalisation)";

/// The channel state printed with a timeout or a writeback error (§4.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelState {
    pub status: u32,
    pub started: u32,
    pub completed: u32,
    pub next_started_index: u32,
    pub next_completed_index: u32,
    pub channel_id: u8,
    pub direction: DmaDirection,
    pub device: String,
}

impl fmt::Display for ChannelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "channel_status=0x{:x} ({}) num_descriptors_started={} num_completed_descriptors={} next_started_descriptor_index={} next_completed_descriptor_index={} channel_id={} direction={} device={}",
            self.status,
            status_names(self.status, self.direction.is_c2h()),
            self.started,
            self.completed,
            self.next_started_index,
            self.next_completed_index,
            self.channel_id,
            self.direction,
            self.device
        )
    }
}

/// A failure of one channel.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChannelError {
    #[error(transparent)]
    DmaWindow(#[from] DmaWindowError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("No descriptors specified")]
    NoDescriptors,
    #[error("bytes_per_buffer exceeds the maximum for one descriptor")]
    BufferTooLarge,
    #[error("bytes_per_buffer of a fixed-buffer channel is 0")]
    EmptyBuffers,
    #[error("c2h_stream_continuous can only be used on an AXI stream C2H channel")]
    ContinuousNotC2hStream,
    /// The original's text says h2c where C2H is meant (§9 pitfall 22); kept.
    #[error("bytes_per_buffer must be specified to use h2c_stream_continuous mode")]
    ContinuousWithoutBuffers,
    #[error("num_descriptors exceeds the maximum number of credits")]
    TooManyDescriptors,
    #[error("The configuration bytes_per_buffer doesn't meet the addr_alignment")]
    BufferMisaligned,
    #[error("The configuration card_buffer_start_offset doesn't meet the addr_alignment")]
    CardStartMisaligned,
    /// Without an IOMMU a buffer is physically fragmented; one fixed buffer is one
    /// descriptor, so it must lie in one physically contiguous piece (issue #14).
    #[error("Fixed buffer {index} (host offset 0x{offset:x}, 0x{len:x} bytes) crosses a physically discontiguous boundary of the DMA buffer: without an IOMMU use --buffer-allocation huge-pages and a bytes_per_buffer that divides the huge page size")]
    BufferNotContiguous { index: u32, offset: u64, len: u64 },
    #[error("Host buffer too small")]
    HostBufferTooSmall,
    #[error("Card memory too small")]
    CardMemoryTooSmall,
    #[error("Error: Attempting to initialise when DMA channel busy")]
    BusyAtInit,
    #[error("Error: Attempting to initialise DMA channel when {0} available credits")]
    CreditsAtInit(u32),
    #[error(transparent)]
    SubAllocation(#[from] SubAllocationError),
    #[error("Timeout: {0}")]
    Timeout(ChannelState),
    #[error("Error reported in descriptor write back: {0}")]
    WritebackError(ChannelState),
    #[error("Incorrect stream wb_magic_status 0x{0:x}")]
    StreamWritebackMagic(u32),
    /// A programming-error check of the driver or of the test using it (§4.10).
    #[error("Assertion failed: {0}")]
    Assertion(&'static str),
    #[error("Timeout waiting to become idle after clearing Run bit")]
    IdleTimeout,
    /// A completion the test did not expect.
    #[error("Assertion failed: completion length 0x{len:x} eop {eop:?} for buffers of 0x{expected_len:x}")]
    UnexpectedCompletion {
        len: u64,
        eop: Option<bool>,
        expected_len: u64,
    },
    /// Received data differ from the test pattern (text formatted by the test).
    #[error("{0}")]
    DataMismatch(String),
    /// A test loop saw nothing complete for its whole timeout.
    #[error("Timeout: no progress for {seconds} s waiting for {waiting_for}", seconds = .timeout.as_secs_f64())]
    NoProgress {
        timeout: Duration,
        waiting_for: String,
    },
}

/// The first failure of a channel, and whether finalisation then timed out too.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelFailure {
    error: Option<ChannelError>,
    idle_timeout_at_finalisation: bool,
}

impl ChannelFailure {
    /// Records `error` unless a failure is already recorded.
    pub fn record(&mut self, error: ChannelError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    pub fn error(&self) -> Option<&ChannelError> {
        self.error.as_ref()
    }

    /// After a failure, finalisation also timed out waiting for idle.
    pub fn set_idle_timeout(&mut self) {
        self.idle_timeout_at_finalisation = true;
    }

    /// `<message><suffix>` as the tools print it (the message cut at 511 characters).
    pub fn text(&self) -> Option<String> {
        self.error.as_ref().map(|e| {
            let mut m: String = e.to_string().chars().take(MAX_FAILURE_CHARS).collect();
            if self.idle_timeout_at_finalisation {
                m.push_str(IDLE_TIMEOUT_SUFFIX);
            }
            m
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_failure_is_kept_and_long_texts_are_cut() {
        let mut f = ChannelFailure::default();
        assert_eq!(f.text(), None);
        f.record(ChannelError::DataMismatch("x".repeat(600)));
        f.record(ChannelError::NoDescriptors);
        assert_eq!(f.text().map(|t| t.len()), Some(MAX_FAILURE_CHARS));
        f.set_idle_timeout();
        assert!(f.text().is_some_and(|t| t.ends_with(IDLE_TIMEOUT_SUFFIX)));
    }

    #[test]
    fn timeout_text_is_the_original_one_with_decoded_status() {
        let e = ChannelError::Timeout(ChannelState {
            status: 0x80010,
            started: 4,
            completed: 0,
            next_started_index: 0,
            next_completed_index: 0,
            channel_id: 0,
            direction: DmaDirection::C2H,
            device: "0000:15:00.0".into(),
        });
        assert_eq!(
            e.to_string(),
            "Timeout: channel_status=0x80010 (descriptor error: unsupported request, magic stopped) num_descriptors_started=4 num_completed_descriptors=0 next_started_descriptor_index=0 next_completed_descriptor_index=0 channel_id=0 direction=C2H device=0000:15:00.0"
        );
    }
}
