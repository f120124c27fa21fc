//! The ring bookkeeping of one channel (xilinx_dma_bridge.md §4.6-§4.8), apart from any
//! register or DMA memory so that it is tested directly: which descriptors are reserved,
//! started, completed (from the 24-bit wrapping writeback count) and reported.

use xdma_registers::descriptor::completed_count;

use crate::channel_error::ChannelError;

/// A transfer ready to be reported: its first ring index and descriptor count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyTransfer {
    pub first_index: u32,
    pub descriptors: u32,
}

/// Counters and indices of one ring of `num_descriptors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingBookkeeping {
    num_descriptors: u32,
    continuous: bool,
    /// Descriptors started, modulo 2^24 as the writeback count.
    started: u32,
    in_use: u32,
    completed_unreported: u32,
    /// The last writeback count seen.
    last_count: u32,
    next_start: u32,
    next_report: u32,
    /// For each ring index, the descriptors of the transfer that begins there (0: none).
    per_transfer: Vec<u32>,
}

impl RingBookkeeping {
    /// An empty ring. In C2H continuous mode every index already holds a one-descriptor
    /// transfer, so completions are reported without software starting them (§4.5 step 8).
    pub fn new(num_descriptors: u32, continuous: bool) -> Self {
        Self {
            num_descriptors,
            continuous,
            started: 0,
            in_use: 0,
            completed_unreported: 0,
            last_count: 0,
            next_start: 0,
            next_report: 0,
            per_transfer: vec![u32::from(continuous); num_descriptors as usize],
        }
    }

    pub fn num_descriptors(&self) -> u32 {
        self.num_descriptors
    }

    /// Descriptors not reserved by a transfer (returned only when the completion is
    /// reported, §4.6).
    pub fn free(&self) -> u32 {
        self.num_descriptors - self.in_use
    }

    /// Descriptors started, modulo 2^24.
    pub fn started(&self) -> u32 {
        self.started
    }

    pub fn last_count(&self) -> u32 {
        self.last_count
    }

    pub fn next_start(&self) -> u32 {
        self.next_start
    }

    pub fn next_report(&self) -> u32 {
        self.next_report
    }

    /// Ring index `k` descriptors after `index`.
    pub fn index_after(&self, index: u32, k: u32) -> u32 {
        ((u64::from(index) + u64::from(k)) % u64::from(self.num_descriptors)) as u32
    }

    /// Reserves `descriptors` consecutive descriptors from the next-to-start index for one
    /// transfer; its first index, or `None` when not enough are free. Only one transfer
    /// may be reserved and not yet started (it is started from the next-to-start index).
    pub fn reserve(&mut self, descriptors: u32) -> Result<Option<u32>, ChannelError> {
        if descriptors == 0 || descriptors > self.free() {
            return Ok(None);
        }
        let first = self.next_start;
        if self.per_transfer[first as usize] != 0 {
            return Err(ChannelError::Assertion(
                "the previously populated transfer was started",
            ));
        }
        self.per_transfer[first as usize] = descriptors;
        self.in_use += descriptors;
        Ok(Some(first))
    }

    /// Starts the transfer reserved at the next-to-start index: the credits to write.
    pub fn start(&mut self) -> Result<u32, ChannelError> {
        let c = self.per_transfer[self.next_start as usize];
        if c == 0 {
            return Err(ChannelError::Assertion("num_descriptors_in_transfer > 0"));
        }
        self.next_start = self.index_after(self.next_start, c);
        self.started = self.started.wrapping_add(c) & completed_count::COUNT_MASK;
        Ok(c)
    }

    /// Takes in a completed-count writeback value (the STS_ERR bit is ignored here).
    pub fn observe_writeback(&mut self, writeback: u32) {
        let count = writeback & completed_count::COUNT_MASK;
        self.completed_unreported += completed_count::newly_completed(count, self.last_count);
        self.last_count = count;
    }

    /// Whether descriptors started have not all completed (a timeout may apply).
    pub fn awaiting_completion(&self) -> bool {
        self.last_count != self.started
    }

    /// Whether a transfer is populated at the next-to-report index.
    pub fn has_transfer_to_report(&self) -> bool {
        self.per_transfer[self.next_report as usize] != 0
    }

    /// The oldest unreported transfer, if all its descriptors have completed.
    pub fn ready(&self) -> Option<ReadyTransfer> {
        let c = self.per_transfer[self.next_report as usize];
        (c != 0 && self.completed_unreported >= c).then_some(ReadyTransfer {
            first_index: self.next_report,
            descriptors: c,
        })
    }

    /// Marks the [`ready`](Self::ready) transfer reported: its descriptors return to the
    /// pool (not in continuous mode, where they stay populated for the next lap).
    pub fn report(&mut self, t: ReadyTransfer) -> Result<(), ChannelError> {
        self.completed_unreported -= t.descriptors;
        if !self.continuous {
            self.in_use -= t.descriptors;
            self.per_transfer[t.first_index as usize] = 0;
        }
        self.next_report = self.index_after(t.first_index, t.descriptors);
        if self.completed_unreported >= self.num_descriptors {
            return Err(ChannelError::Assertion(
                "num_completed_descriptors_unreported < num_descriptors",
            ));
        }
        if !self.continuous && self.in_use >= self.num_descriptors {
            return Err(ChannelError::Assertion(
                "num_descriptors_in_use < num_descriptors",
            ));
        }
        Ok(())
    }

    /// Puts the counters just below the 24-bit wrap (tests of the wrap).
    #[cfg(test)]
    fn near_wrap(mut self, count: u32) -> Self {
        self.started = count;
        self.last_count = count;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reserves and starts one transfer of `n` descriptors.
    fn start(r: &mut RingBookkeeping, n: u32) -> u32 {
        let first = r.reserve(n).unwrap().expect("free descriptors");
        assert_eq!(r.start(), Ok(n));
        first
    }

    #[test]
    fn completed_count_wraps_at_24_bits() {
        let mut r = RingBookkeeping::new(8, false).near_wrap(0xFF_FFFE);
        start(&mut r, 3);
        start(&mut r, 2);
        assert_eq!(r.started(), 3, "0xFFFFFE + 5 wraps to 3");
        assert!(r.awaiting_completion());
        // The engine's 24-bit count has wrapped too: 0xFFFFFE -> 0x000001 is 3 completions.
        r.observe_writeback(0x00_0001);
        let first = r.ready().expect("first transfer complete");
        assert_eq!(
            first,
            ReadyTransfer {
                first_index: 0,
                descriptors: 3
            }
        );
        r.report(first).unwrap();
        assert_eq!(r.ready(), None, "second transfer not complete yet");
        r.observe_writeback(0x00_0003);
        let second = r.ready().expect("second transfer complete");
        assert_eq!(second.first_index, 3);
        r.report(second).unwrap();
        assert!(!r.awaiting_completion());
        assert_eq!(r.free(), 8);
    }

    #[test]
    fn sts_err_bit_is_not_counted() {
        let mut r = RingBookkeeping::new(4, false);
        start(&mut r, 1);
        r.observe_writeback(completed_count::STS_ERR | 1);
        assert_eq!(r.last_count(), 1);
        assert!(r.ready().is_some());
    }

    #[test]
    fn a_full_ring_refuses_until_a_completion_is_reported() {
        let mut r = RingBookkeeping::new(4, false);
        start(&mut r, 3);
        assert_eq!(r.reserve(2), Ok(None), "only one descriptor free");
        let last = start(&mut r, 1);
        assert_eq!(last, 3);
        assert_eq!(r.free(), 0);
        assert_eq!(r.reserve(1), Ok(None), "ring full");
        // Completion alone does not free descriptors; reporting it does.
        r.observe_writeback(3);
        assert_eq!(r.free(), 0);
        let t = r.ready().expect("complete");
        r.report(t).unwrap();
        assert_eq!(r.free(), 3);
        // The next transfer straddles the ring end: indices 0.. after next_start wrapped.
        assert_eq!(r.next_start(), 0);
        assert_eq!(start(&mut r, 3), 0);
        assert_eq!(r.reserve(1), Ok(None));
    }

    #[test]
    fn a_transfer_straddling_the_ring_end() {
        let mut r = RingBookkeeping::new(5, false);
        start(&mut r, 4);
        r.observe_writeback(4);
        r.report(r.ready().unwrap()).unwrap();
        let first = start(&mut r, 3);
        assert_eq!(first, 4);
        assert_eq!(r.next_start(), 2, "4 + 3 wraps to 2");
        r.observe_writeback(6);
        assert_eq!(r.ready(), None, "two of three descriptors done");
        r.observe_writeback(7);
        let t = r.ready().unwrap();
        assert_eq!((t.first_index, t.descriptors), (4, 3));
        r.report(t).unwrap();
        assert_eq!(r.next_report(), 2);
    }

    #[test]
    fn starting_nothing_is_an_assertion() {
        let mut r = RingBookkeeping::new(2, false);
        assert_eq!(
            r.start(),
            Err(ChannelError::Assertion("num_descriptors_in_transfer > 0"))
        );
        assert_eq!(r.reserve(0), Ok(None));
    }

    #[test]
    fn a_second_reservation_before_the_start_is_an_assertion() {
        let mut r = RingBookkeeping::new(4, false);
        assert_eq!(r.reserve(1), Ok(Some(0)));
        assert_eq!(
            r.reserve(1),
            Err(ChannelError::Assertion(
                "the previously populated transfer was started"
            ))
        );
    }

    #[test]
    fn continuous_c2h_reports_every_lap_without_starts() {
        let mut r = RingBookkeeping::new(3, true);
        assert!(r.has_transfer_to_report());
        let mut reported = Vec::new();
        for count in 1..=7u32 {
            r.observe_writeback(count);
            let t = r.ready().expect("each completion is reportable");
            reported.push(t.first_index);
            r.report(t).unwrap();
            assert_eq!(r.ready(), None);
        }
        assert_eq!(
            reported,
            [0, 1, 2, 0, 1, 2, 0],
            "round the ring, lap after lap"
        );
        assert_eq!(r.started(), 0, "software started nothing");
    }

    #[test]
    fn falling_a_whole_ring_behind_is_an_assertion() {
        let mut r = RingBookkeeping::new(2, true);
        // The engine completed 3 descriptors (more than the ring) before software looked.
        r.observe_writeback(3);
        let t = r.ready().unwrap();
        assert_eq!(
            r.report(t),
            Err(ChannelError::Assertion(
                "num_completed_descriptors_unreported < num_descriptors"
            ))
        );
    }
}
