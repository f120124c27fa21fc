//! What every `test_dma_bridge` test does around its own transfers: the descriptors and
//! data mappings, the H2C/C2H channel pair, the timed populate / DMA / verify iterations
//! and the outcome.

use std::sync::Arc;

use vfio_access::timing::TransferTiming;
use vfio_access::{DmaAccess, DmaBuffer, VfioError};

use super::outcome::Outcome;
use crate::channel_error::ChannelError;
use crate::designs::DmaDesign;
use crate::mapping::SubAllocator;
use crate::poll_watchdog::PollWatchdog;
use crate::progress::{iteration_phase, Progress};
use crate::{ChannelConfig, DmaChannel};

/// The channels of one test and the host data mappings they transfer.
pub struct ChannelPair {
    pub h2c: DmaChannel,
    pub c2h: DmaChannel,
    pub h2c_data: Arc<DmaBuffer>,
    pub c2h_data: Arc<DmaBuffer>,
}

impl ChannelPair {
    /// Maps `descriptors_bytes` for both rings and `h2c_bytes` / `c2h_bytes` of data, then
    /// initialises H2C and C2H.
    pub fn open(
        d: &DmaDesign,
        descriptors_bytes: usize,
        (h2c_bytes, c2h_bytes): (u64, u64),
        h2c_config: ChannelConfig,
        c2h_config: ChannelConfig,
    ) -> Result<Self, VfioError> {
        let alloc = |size: u64, access| d.device.alloc_dma(size as usize, access).map(Arc::new);
        let descriptors = alloc(descriptors_bytes as u64, DmaAccess::READ_WRITE)?;
        let h2c_data = alloc(h2c_bytes, DmaAccess::READ)?;
        let c2h_data = alloc(c2h_bytes, DmaAccess::WRITE)?;
        let mut descriptors = SubAllocator::new(descriptors);
        let h2c = DmaChannel::init(
            d.device,
            h2c_config,
            &mut descriptors,
            Arc::clone(&h2c_data),
        );
        let c2h = DmaChannel::init(
            d.device,
            c2h_config,
            &mut descriptors,
            Arc::clone(&c2h_data),
        );
        Ok(Self {
            h2c,
            c2h,
            h2c_data,
            c2h_data,
        })
    }

    pub fn any_failed(&self) -> bool {
        self.h2c.failed() || self.c2h.failed()
    }

    /// A watchdog over a polling loop of this pair, with the channels' timeout.
    pub fn watchdog(&self) -> PollWatchdog {
        PollWatchdog::new(self.h2c.timeout().max(self.c2h.timeout()))
    }

    /// Ends a polling loop that made no progress: records `waiting_for` on the C2H channel
    /// once the watchdog has expired; true when the loop must stop.
    pub fn no_progress(
        &mut self,
        watchdog: &PollWatchdog,
        waiting_for: impl FnOnce() -> String,
    ) -> bool {
        match watchdog.expired(waiting_for) {
            Some(e) => {
                self.c2h.record_failure(e);
                true
            }
            None => {
                std::thread::yield_now();
                false
            }
        }
    }

    /// Up to `iterations` rounds of `steps`, each step timed over `bytes` and reported to
    /// `progress` as `bytes` done; stops once either channel has failed.
    pub fn run_iterations(
        &mut self,
        iterations: u64,
        bytes: u64,
        steps: &mut impl IterationSteps,
        progress: &mut dyn Progress,
    ) -> Vec<TransferTiming> {
        let mut populate = TransferTiming::new("populate test pattern", bytes);
        let mut dma = TransferTiming::new("host-to-card and card-to-host DMA", bytes);
        let mut verify = TransferTiming::new("verify test pattern", bytes);
        if iterations == 0 {
            self.h2c
                .record_failure(ChannelError::Assertion("iterations > 0"));
        }
        progress.start(iterations.saturating_mul(3 * bytes));
        for i in 0..iterations {
            if self.any_failed() {
                break;
            }
            steps.plan();
            iteration_phase(progress, i, iterations, "populate");
            populate.start();
            steps.populate(self);
            populate.stop();
            progress.advance(bytes);
            iteration_phase(progress, i, iterations, "DMA");
            dma.start();
            steps.transfer(self);
            dma.stop();
            progress.advance(bytes);
            if self.any_failed() {
                break;
            }
            iteration_phase(progress, i, iterations, "verify");
            verify.start();
            steps.verify(self);
            verify.stop();
            progress.advance(bytes);
        }
        progress.finish();
        vec![populate, dma, verify]
    }

    /// Finalises both channels: the outcome of the test.
    pub fn finish(mut self, timings: Vec<TransferTiming>) -> Outcome {
        self.h2c.finalise();
        self.c2h.finalise();
        Outcome::Ran {
            h2c: self.h2c.failure(),
            c2h: self.c2h.failure(),
            timings,
        }
    }
}

/// The steps of one iteration of a test; failures are recorded on the pair's channels.
pub trait IterationSteps {
    /// Untimed preparation of the iteration.
    fn plan(&mut self) {}
    /// Writes the next pattern words to the H2C data mapping.
    fn populate(&mut self, pair: &mut ChannelPair);
    /// The host-to-card and card-to-host DMA.
    fn transfer(&mut self, pair: &mut ChannelPair);
    /// Checks what came back in the C2H data mapping.
    fn verify(&mut self, pair: &mut ChannelPair);
}
