//! The scatter-gather engine of one channel, on its own thread: waits for Run, halt and
//! credits, fetches descriptors through the DMA port, moves the data, writes back.

use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::Duration;

use vfio_access::sim::DmaPort;

use super::regs::*;
use super::stream::StreamLink;
use super::{
    common_bit, dir_index, Core, Direction, FaultKind, StreamUserLogic, MAX_CHANNELS,
    STREAM_WIDTH_BYTES,
};

/// How long an idle engine sleeps between checks of its registers.
const IDLE_WAIT: Duration = Duration::from_millis(50);
/// How long a stream engine waits on its link before re-checking Run.
const LINK_WAIT: Duration = Duration::from_millis(20);
/// Bytes an H2C stream engine moves per link segment.
const SEGMENT: usize = 64 << 10;
/// An IOVA no simulated mapping covers (IOMMU fault injection).
const UNMAPPED_IOVA_BIT: u64 = 1 << 62;

pub(super) fn spawn(core: Weak<Core>, d: Direction, c: usize, generation: u64) {
    let name = format!("xdma-{d}{c}");
    let spawned = std::thread::Builder::new()
        .name(name)
        .spawn(move || run(core, d, c, generation));
    // Without its thread the engine never completes a descriptor: the driver sees the
    // channel stall and reports its timeout, as it would for hardware that hangs.
    drop(spawned);
}

/// One descriptor to process.
struct Job {
    epoch: u64,
    generation: u64,
    addr: u64,
    fault: Option<FaultKind>,
    /// Byte offset, relative to this descriptor's first byte, of a word to corrupt.
    corrupt_at: Option<u64>,
    port: Option<DmaPort>,
}

enum H2cDestination<'a> {
    Link(&'a StreamLink),
    Blocked,
    Nowhere,
}

enum Step {
    Exit,
    Wait,
    Run(Job),
}

/// Outcome of executing a descriptor.
enum Outcome {
    /// Completed, having moved this many bytes; `corrupted` if the armed word was hit.
    Done {
        control: u32,
        next: u64,
        moved: u64,
        corrupted: bool,
    },
    /// Stopped with these status error bits; `writeback` when the completion is still
    /// reported (with STS_ERR).
    Error { bits: u32, writeback: bool },
    /// Run was cleared while waiting for stream data: the descriptor is abandoned.
    Abandoned,
    /// Stall fault: never completes.
    Hang,
}

fn run(weak: Weak<Core>, d: Direction, c: usize, generation: u64) {
    loop {
        let Some(core) = weak.upgrade() else {
            return;
        };
        match core.next_step(d, c, generation) {
            Step::Exit => return,
            Step::Wait => {}
            Step::Run(job) => {
                let outcome = core.execute(d, c, &job);
                core.complete(d, c, &job, outcome);
            }
        }
    }
}

impl Core {
    fn next_step(&self, d: Direction, c: usize, generation: u64) -> Step {
        let mut st = self.lock();
        if st.generation != generation {
            return Step::Exit;
        }
        let halted = st.halt & common_bit(d, c) != 0;
        let credit_mode = st.credit_mode & common_bit(d, c) != 0;
        let ch = &mut st.channels[dir_index(d)][c];
        if ch.hung {
            let _ = self.changed.wait_timeout(st, IDLE_WAIT);
            return Step::Wait;
        }
        if !ch.run() || ch.stopped {
            ch.busy = false;
            ch.thread = false;
            self.changed.notify_all();
            return Step::Exit;
        }
        if halted || (credit_mode && ch.credits == 0) {
            let _ = self.changed.wait_timeout(st, IDLE_WAIT);
            return Step::Wait;
        }
        if credit_mode {
            ch.credits -= 1;
        }
        let mut fault = None;
        let mut corrupt_at = None;
        let base = ch.bytes_moved;
        ch.faults.retain_mut(|f| match f.kind {
            FaultKind::CorruptWord(_) => {
                if f.countdown_or_byte >= base {
                    corrupt_at = Some(f.countdown_or_byte - base);
                }
                true
            }
            kind => {
                if fault.is_some() {
                    return true;
                }
                if f.countdown_or_byte == 0 {
                    fault = Some(kind);
                    false
                } else {
                    f.countdown_or_byte -= 1;
                    true
                }
            }
        });
        let job = Job {
            epoch: ch.epoch,
            generation,
            addr: ch.next_desc,
            fault,
            corrupt_at,
            port: self.port.read().unwrap_or_else(|p| p.into_inner()).clone(),
        };
        Step::Run(job)
    }

    /// Run was cleared, Run rose again, or the model was reset since `job` began.
    fn abandoned(&self, d: Direction, c: usize, job: &Job) -> bool {
        let st = self.lock();
        let ch = &st.channels[dir_index(d)][c];
        st.generation != job.generation || ch.epoch != job.epoch || !ch.run()
    }

    fn execute(&self, d: Direction, c: usize, job: &Job) -> Outcome {
        if job.fault == Some(FaultKind::Stall) {
            return Outcome::Hang;
        }
        let Some(port) = &job.port else {
            return Outcome::Error {
                bits: ST_DESC_UNSUPPORTED | ST_MAGIC_STOPPED,
                writeback: false,
            };
        };
        let mut raw = [0u8; 32];
        let fetch_at = if job.fault == Some(FaultKind::IommuFault) {
            job.addr | UNMAPPED_IOVA_BIT
        } else {
            job.addr
        };
        if port.read(fetch_at, &mut raw).is_err() {
            return Outcome::Error {
                bits: ST_DESC_UNSUPPORTED | ST_MAGIC_STOPPED,
                writeback: false,
            };
        }
        let word = |o: usize| u32::from_le_bytes([raw[o], raw[o + 1], raw[o + 2], raw[o + 3]]);
        let dword = |o: usize| u64::from(word(o)) | (u64::from(word(o + 4)) << 32);
        let control = word(0);
        if control >> 16 != DESC_MAGIC {
            return Outcome::Error {
                bits: ST_MAGIC_STOPPED,
                writeback: false,
            };
        }
        if job.fault == Some(FaultKind::DescriptorError) {
            return Outcome::Error {
                bits: ST_DESC_UNSUPPORTED,
                writeback: true,
            };
        }
        let len = u64::from(word(4) & DESC_LEN_MASK);
        let src = dword(8);
        let dst = dword(16);
        let next = dword(24);
        let corrupt = job.corrupt_at.filter(|&at| at < len);
        let result = match (&self.card, d) {
            (Some(card), Direction::H2C) => {
                if !card.contains(dst, len) {
                    Err(ST_WRITE_DECODE)
                } else {
                    card.write_with(dst, len, |chunk, done| {
                        self.pacer.carry(d, c, chunk.len());
                        port.read(src + done, chunk)
                            .map_err(|_| ST_READ_UNSUPPORTED)?;
                        corrupt_in_place(chunk, done, corrupt);
                        Ok(())
                    })
                    .map(|_| len)
                }
            }
            (Some(card), Direction::C2H) => {
                if !card.contains(src, len) {
                    Err(ST_READ_DECODE_C2H)
                } else {
                    card.read_with(src, len, |chunk, done| {
                        self.pacer.carry(d, c, chunk.len());
                        port.write(dst + done, chunk).map_err(|_| ST_WRITE_DECODE)?;
                        corrupt_written(port, dst + done, chunk, done, corrupt)
                    })
                    .map(|_| len)
                }
            }
            (None, Direction::H2C) => {
                match self.stream_h2c(d, c, job, port, src, len, control & DESC_EOP != 0, corrupt) {
                    Ok(Some(n)) => Ok(n),
                    Ok(None) => return Outcome::Abandoned,
                    Err(bits) => Err(bits),
                }
            }
            (None, Direction::C2H) => {
                match self.stream_c2h(d, c, job, port, src, dst, len, corrupt) {
                    Ok(Some(n)) => Ok(n),
                    Ok(None) => return Outcome::Abandoned,
                    Err(bits) => Err(bits),
                }
            }
        };
        match result {
            Ok(moved) => Outcome::Done {
                control,
                next,
                moved,
                corrupted: corrupt.is_some_and(|at| at < moved),
            },
            Err(bits) => Outcome::Error {
                bits,
                writeback: false,
            },
        }
    }

    /// Where H2C channel `c`'s data goes now: the link of the C2H channel it reaches, or
    /// `Blocked` (a switch port routed nowhere back-pressures the channel), or `Nowhere`
    /// (nothing connected: the data is dropped).
    fn h2c_destination(&self, c: usize) -> H2cDestination<'_> {
        let c2h = self.channel_count(Direction::C2H);
        let to = |m: usize| {
            if m < c2h {
                H2cDestination::Link(&self.links[m])
            } else {
                H2cDestination::Nowhere
            }
        };
        match self.config.user_logic {
            StreamUserLogic::CrossLoopback => to(c ^ 1),
            StreamUserLogic::Switch => match self.switch.get() {
                Some(switch) => match switch.master_for_slave(c) {
                    Some(m) => to(m),
                    None => H2cDestination::Blocked,
                },
                None => H2cDestination::Blocked,
            },
            StreamUserLogic::Crc64 | StreamUserLogic::FixedData => H2cDestination::Nowhere,
        }
    }

    /// Offers `data` to `link` until it is accepted. Ok(false) when abandoned because Run
    /// was cleared while the link was full.
    fn push_to_link(
        &self,
        d: Direction,
        c: usize,
        job: &Job,
        link: &StreamLink,
        data: Vec<u8>,
        eop: bool,
    ) -> bool {
        let mut pending = data;
        loop {
            match link.push(pending, eop, LINK_WAIT) {
                Ok(()) => return true,
                Err(back) => {
                    if self.abandoned(d, c, job) {
                        return false;
                    }
                    pending = back;
                }
            }
        }
    }

    /// Moves the descriptor's bytes to what the channel is wired to (its
    /// [`StreamUserLogic`]). Ok(None) when abandoned because Run was cleared while the
    /// channel was back-pressured.
    #[allow(clippy::too_many_arguments)]
    fn stream_h2c(
        &self,
        d: Direction,
        c: usize,
        job: &Job,
        port: &DmaPort,
        src: u64,
        len: u64,
        eop: bool,
        corrupt: Option<u64>,
    ) -> Result<Option<u64>, u32> {
        let mut done = 0u64;
        while done < len || len == 0 {
            let n = (len - done).min(SEGMENT as u64) as usize;
            let last = done + n as u64 == len;
            let mut buf = self.links[c % MAX_CHANNELS].buffer();
            buf.resize(n, 0);
            self.pacer.carry(d, c, n);
            port.read(src + done, &mut buf)
                .map_err(|_| ST_READ_UNSUPPORTED)?;
            corrupt_in_place(&mut buf, done, corrupt);
            match self.config.user_logic {
                StreamUserLogic::FixedData => {}
                StreamUserLogic::Crc64 => {
                    let result = {
                        let mut engine = self.crc64[c].lock().unwrap_or_else(|p| p.into_inner());
                        engine.push(&buf);
                        (eop && last).then(|| engine.end_packet())
                    };
                    if let Some(crc) = result {
                        // One 8-byte result packet with TLAST, to the same-numbered C2H.
                        if c < self.channel_count(Direction::C2H)
                            && !self.push_to_link(
                                d,
                                c,
                                job,
                                &self.links[c],
                                crc.to_le_bytes().to_vec(),
                                true,
                            )
                        {
                            return Ok(None);
                        }
                    }
                }
                StreamUserLogic::CrossLoopback | StreamUserLogic::Switch => {
                    let link = loop {
                        match self.h2c_destination(c) {
                            H2cDestination::Nowhere => break None,
                            H2cDestination::Link(link) => break Some(link),
                            H2cDestination::Blocked => {
                                // TREADY low until a route is committed (or Run cleared).
                                self.back_pressured[c].store(true, Ordering::Release);
                                if self.abandoned(d, c, job) {
                                    self.back_pressured[c].store(false, Ordering::Release);
                                    return Ok(None);
                                }
                                let st = self.lock();
                                let _ = self.changed.wait_timeout(st, LINK_WAIT);
                            }
                        }
                    };
                    self.back_pressured[c].store(false, Ordering::Release);
                    if let Some(link) = link {
                        if !self.push_to_link(d, c, job, link, buf, eop && last) {
                            return Ok(None);
                        }
                    }
                }
            }
            done += n as u64;
            if last {
                break;
            }
        }
        Ok(Some(len))
    }

    /// Fills the descriptor's buffer from the channel's input link until its length (rounded
    /// up to the stream width) or an end of packet, then writes the stream writeback.
    #[allow(clippy::too_many_arguments)]
    fn stream_c2h(
        &self,
        d: Direction,
        c: usize,
        job: &Job,
        port: &DmaPort,
        wb: u64,
        dst: u64,
        len: u64,
        corrupt: Option<u64>,
    ) -> Result<Option<u64>, u32> {
        let link = &self.links[c];
        let capacity = len.div_ceil(STREAM_WIDTH_BYTES) * STREAM_WIDTH_BYTES;
        let mut got = 0u64;
        let mut eop = false;
        if self.config.user_logic == StreamUserLogic::FixedData {
            // Always valid, all-zero beats, never TLAST: the buffer fills completely.
            let zeros = vec![0u8; (capacity as usize).min(SEGMENT)];
            while got < capacity {
                let n = (capacity - got).min(zeros.len() as u64) as usize;
                self.pacer.carry(d, c, n);
                port.write(dst + got, &zeros[..n])
                    .map_err(|_| ST_WRITE_DECODE)?;
                corrupt_written(port, dst + got, &zeros[..n], got, corrupt)?;
                got += n as u64;
            }
        }
        while got < capacity {
            let mut at = got;
            let taken = link.take((capacity - got) as usize, LINK_WAIT, |bytes| {
                port.write(dst + at, bytes).map_err(|_| ST_WRITE_DECODE)?;
                corrupt_written(port, dst + at, bytes, at, corrupt)?;
                at += bytes.len() as u64;
                Ok::<(), u32>(())
            })?;
            got += taken.bytes as u64;
            // Paced after the take: the link's queue lock is not held while waiting.
            self.pacer.carry(d, c, taken.bytes);
            if taken.eop {
                eop = true;
                break;
            }
            if taken.bytes == 0 && self.abandoned(d, c, job) {
                return Ok(None);
            }
        }
        let mut record = [0u8; 8];
        record[..4].copy_from_slice(&(STREAM_WB_MAGIC | u32::from(eop)).to_le_bytes());
        record[4..].copy_from_slice(&(got as u32).to_le_bytes());
        port.write(wb, &record).map_err(|_| ST_WRITE_DECODE)?;
        Ok(Some(got))
    }

    /// Records the outcome of a descriptor: counts, status, writeback, next pointer.
    fn complete(&self, d: Direction, c: usize, job: &Job, outcome: Outcome) {
        let mut st = self.lock();
        if st.generation != job.generation {
            return;
        }
        let ch = &mut st.channels[dir_index(d)][c];
        if ch.epoch != job.epoch {
            return;
        }
        let mut writeback = false;
        match outcome {
            Outcome::Hang => {
                ch.hung = true;
                ch.busy = true;
            }
            Outcome::Abandoned => {}
            Outcome::Error {
                bits,
                writeback: wb,
            } => {
                ch.status |= bits;
                // An error stops the engine at once: Busy is already clear when the
                // driver sees the error (status and writeback change together).
                ch.stopped = true;
                ch.busy = false;
                if wb {
                    ch.completed = ch.completed.wrapping_add(1);
                    writeback = ch.control & CTRL_POLL_WB != 0;
                }
            }
            Outcome::Done {
                control,
                next,
                moved,
                corrupted,
            } => {
                ch.completed = ch.completed.wrapping_add(1);
                ch.bytes_moved += moved;
                if corrupted {
                    ch.faults
                        .retain(|f| !matches!(f.kind, FaultKind::CorruptWord(_)));
                }
                if control & DESC_COMPLETED != 0 {
                    writeback = ch.control & CTRL_POLL_WB != 0;
                    if ch.control & CTRL_IE_DESC_COMPLETED != 0 {
                        ch.status |= ST_DESC_COMPLETED;
                    }
                }
                if control & DESC_STOP != 0 {
                    ch.stopped = true;
                    ch.busy = false;
                    if ch.control & CTRL_IE_DESC_STOPPED != 0 {
                        ch.status |= ST_DESC_STOPPED;
                    }
                } else {
                    ch.next_desc = next;
                }
            }
        }
        if writeback {
            let sts_err = u32::from(ch.status & ST_ERRORS != 0) << 31;
            let value = sts_err | (ch.completed & 0x00FF_FFFF);
            if let Some(port) = &job.port {
                // A refused writeback leaves the driver to time out, as on hardware.
                let _ = port.write_u32(ch.wb_addr, value);
            }
        }
        self.changed.notify_all();
    }
}

/// Inverts the word at descriptor offset `at` if it lies in `chunk` (which starts at
/// descriptor offset `done`).
fn corrupt_in_place(chunk: &mut [u8], done: u64, at: Option<u64>) {
    if let Some(at) = at {
        if at >= done && at < done + chunk.len() as u64 {
            let i = (at - done) as usize;
            let end = (i + 4).min(chunk.len());
            chunk[i..end].iter_mut().for_each(|b| *b = !*b);
        }
    }
}

/// As [`corrupt_in_place`] for data already written to host memory at `iova`.
fn corrupt_written(
    port: &DmaPort,
    iova: u64,
    chunk: &[u8],
    done: u64,
    at: Option<u64>,
) -> Result<(), u32> {
    if let Some(at) = at {
        if at >= done && at < done + chunk.len() as u64 {
            let i = (at - done) as usize;
            let end = (i + 4).min(chunk.len());
            let inverted: Vec<u8> = chunk[i..end].iter().map(|b| !b).collect();
            port.write(iova + i as u64, &inverted)
                .map_err(|_| ST_WRITE_DECODE)?;
        }
    }
    Ok(())
}
