//! `test_dma_bridge_memory_addressing` (designs_after_seed.md §4.5): finds card memory
//! address aliasing quickly. 16-byte elements are written at the ends of power-of-two
//! blocks ([`elements`]); after each write every element written so far is read back, so a
//! write that lands on an earlier element is seen at once.
//!
//! - [`elements`]: where the elements go; [`random`]: their random values.

pub mod elements;
pub mod random;

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use command_line::DeviceArgs;
use vfio_access::DmaAccess;

use self::elements::{plan_elements, ElementPlan, ELEMENT_BYTES};
use self::random::{RandomError, RandomSource};
use super::channel_locks::ChannelLocks;
use super::memory_overrides::MemoryOverrides;
use super::opening::{open_designs, search_scope};
use super::verdict::Verdict;
use super::ToolError;
use crate::designs::{dma_designs, DmaDesign};
use crate::mapping::{descriptors_mapping_bytes, SubAllocator};
use crate::poll_watchdog::PollWatchdog;
use crate::{ChannelConfig, ChannelInterface, DmaChannel, DmaDirection};

/// The options besides the device selection.
#[derive(Debug, Clone)]
pub struct MemoryAddressingOptions {
    pub overrides: MemoryOverrides,
    /// Largest block, for designs whose memory is several blocks or channels.
    pub max_block_size_bytes: Option<u64>,
    /// Per-transfer timeout (5 s in the original).
    pub timeout: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum MemoryAddressingError {
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl From<io::Error> for MemoryAddressingError {
    fn from(e: io::Error) -> Self {
        MemoryAddressingError::Tool(ToolError::Output(e))
    }
}

/// One element: its absolute card address and random value.
type Element = (u64, u64);

/// Runs the tool on every memory-mapped design, writing the report to `out`.
pub fn run(
    device: &DeviceArgs,
    options: &MemoryAddressingOptions,
    out: &mut dyn Write,
) -> Result<Verdict, MemoryAddressingError> {
    let opened = open_designs(device, false).map_err(ToolError::from)?;
    let mut designs: Vec<DmaDesign> = dma_designs(&opened)
        .into_iter()
        .filter(|d| !d.bridge.is_stream())
        .collect();
    let mut locks = ChannelLocks::default();
    for d in &designs {
        locks
            .lock(d.device, [(DmaDirection::H2C, 0), (DmaDirection::C2H, 0)])
            .map_err(ToolError::from)?;
    }
    let mut random = None;
    let mut overall = true;
    let mut tested = 0usize;
    for d in &mut designs {
        options.overrides.apply(&mut d.bridge, out)?;
        let (base, size) = (d.bridge.memory_base_address, d.bridge.memory_size);
        let plan = plan_elements(base, size, options.max_block_size_bytes);
        write_plan_warnings(&plan, out)?;
        let k = plan.addresses.len();
        writeln!(
            out,
            "{} {} with memory base address 0x{base:x} size 0x{size:x} {k} memory elements",
            if k > 0 { "Testing" } else { "Skipping" },
            d.name_and_version()
        )?;
        writeln!(out, "{}", d.pci_text())?;
        let (Some(first), Some(last)) = (plan.addresses.first(), plan.addresses.last()) else {
            continue;
        };
        writeln!(
            out,
            "Lowest memory element at address 0x{first:x}, highest at 0x{last:x}"
        )?;
        if random.is_none() {
            random = Some(RandomSource::open()?);
        }
        let Some(source) = random.as_mut() else {
            continue;
        };
        let mut elements = Vec::with_capacity(k);
        for &a in &plan.addresses {
            elements.push((a, source.next_u64()?));
        }
        overall &= test_design(d, base.saturating_add(size), &elements, options, out)?;
        tested += 1;
    }
    drop(locks);
    if tested == 0 {
        let what = if designs.is_empty() {
            "memory-mapped design with a DMA bridge"
        } else {
            "memory with room for a 32-byte block"
        };
        return Ok(Verdict::nothing_tested(what, search_scope(device, &opened)));
    }
    writeln!(out)?;
    writeln!(out, "Overall {}", if overall { "PASS" } else { "FAIL" })?;
    Ok(Verdict::from_passed(overall))
}

/// The warnings about the element list.
fn write_plan_warnings(plan: &ElementPlan, out: &mut dyn Write) -> io::Result<()> {
    if plan.unaligned > 0 {
        writeln!(out, "Warning: {} unaligned memory elements", plan.unaligned)?;
    }
    if plan.attempted > plan.addresses.len() as u64 {
        writeln!(
            out,
            "Warning: num_attempted_write_elements={} more than num_write_elements={}",
            plan.attempted,
            plan.addresses.len()
        )?;
    }
    if plan.untested_tail > 0 {
        // The original loops forever here (designs_after_seed.md §6.7).
        writeln!(
            out,
            "Warning: last 0x{:x} bytes of memory untested (no room for a 32-byte block)",
            plan.untested_tail
        )?;
    }
    Ok(())
}

/// The channels and mappings of one design's test.
struct AddressingChannels {
    h2c: DmaChannel,
    c2h: DmaChannel,
    write_buffer: Arc<vfio_access::DmaBuffer>,
    read_buffer: Arc<vfio_access::DmaBuffer>,
}

/// Writes the elements one by one, re-reading all written so far after each; true when
/// every read matched and no transfer failed.
fn test_design(
    d: &DmaDesign,
    card_end: u64,
    elements: &[Element],
    options: &MemoryAddressingOptions,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let k = elements.len();
    let mut ch = match open_channels(d, card_end, k, options.timeout) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "{e}")?;
            writeln!(out, "TEST FAIL : allocate_vfio_dma_mapping()")?;
            return Ok(false);
        }
    };
    let mut passed = true;
    // What each element read back last time, to tell new damage from old.
    let mut last_read: Vec<Element> = Vec::with_capacity(k);
    for (i, &(address_i, random_i)) in elements.iter().enumerate() {
        if ch.h2c.failed() || ch.c2h.failed() {
            break;
        }
        ch.write_buffer
            .write_bytes(0, &element_bytes((address_i, random_i)));
        transfer_all(&mut ch.h2c, &[(0, address_i)]);
        if ch.h2c.failed() {
            break;
        }
        let reads: Vec<(u64, u64)> = elements[..=i]
            .iter()
            .enumerate()
            .map(|(j, &(a, _))| (j as u64 * ELEMENT_BYTES, a))
            .collect();
        transfer_all(&mut ch.c2h, &reads);
        if ch.c2h.failed() {
            break;
        }
        let read: Vec<Element> = (0..=i).map(|j| read_element(&ch.read_buffer, j)).collect();
        if read[i] != (address_i, random_i) {
            passed = false;
            writeln!(
                out,
                "Element readback incorrect: Expected {} Actual {}",
                element_text((address_i, random_i)),
                element_text(read[i])
            )?;
        }
        for j in 0..i {
            let (expected, before, now) = (elements[j], last_read[j], read[j]);
            if now == expected {
                continue;
            }
            passed = false;
            if before == expected && now == (address_i, random_i) {
                writeln!(
                    out,
                    "Write to address 0x{address_i:x} overwrote address 0x{:x}",
                    expected.0
                )?;
            } else if before != expected && now == before {
                // Already reported, unchanged.
            } else {
                writeln!(
                    out,
                    "Following write to address 0x{address_i:x}, element at address 0x{:x} changed incorrect contents from {} -> {}",
                    expected.0,
                    element_text(before),
                    element_text(now)
                )?;
            }
        }
        last_read = read;
    }
    ch.h2c.finalise();
    ch.c2h.finalise();
    for (name, c) in [("H2C", &ch.h2c), ("C2H", &ch.c2h)] {
        if let Some(m) = c.failure() {
            passed = false;
            writeln!(out, "  {name} failure : {m}")?;
        }
    }
    Ok(passed)
}

/// H2C channel 0 with a ring of 1 and C2H channel 0 with a ring of `k`, over absolute card
/// addresses (card base 0, size `card_end`), with their heap mappings.
fn open_channels(
    d: &DmaDesign,
    card_end: u64,
    k: usize,
    timeout: Option<Duration>,
) -> Result<AddressingChannels, vfio_access::VfioError> {
    let alloc = |size: usize, access| d.device.alloc_dma(size, access).map(Arc::new);
    let descriptors = alloc(
        descriptors_mapping_bytes(1, false) + descriptors_mapping_bytes(k, false),
        DmaAccess::READ_WRITE,
    )?;
    let write_buffer = alloc(ELEMENT_BYTES as usize, DmaAccess::READ)?;
    let read_buffer = alloc(k * ELEMENT_BYTES as usize, DmaAccess::WRITE)?;
    let interface = ChannelInterface::MemoryMapped {
        card_memory_size: card_end,
        card_memory_base: 0,
    };
    let config = |direction, n: usize| ChannelConfig {
        num_descriptors: n as u32,
        timeout,
        ..ChannelConfig::new(direction, 0, interface, d.bridge.bar)
    };
    let mut sub = SubAllocator::new(descriptors);
    let h2c = DmaChannel::init(
        d.device,
        config(DmaDirection::H2C, 1),
        &mut sub,
        Arc::clone(&write_buffer),
    );
    let c2h = DmaChannel::init(
        d.device,
        config(DmaDirection::C2H, k),
        &mut sub,
        Arc::clone(&read_buffer),
    );
    Ok(AddressingChannels {
        h2c,
        c2h,
        write_buffer,
        read_buffer,
    })
}

/// Starts one element-sized transfer per `(host offset, card address)` and waits for all
/// of them (a failure, including a timeout, is recorded on the channel).
fn transfer_all(ch: &mut DmaChannel, transfers: &[(u64, u64)]) {
    for &(host, card) in transfers {
        if ch.populate_mm_transfer(ELEMENT_BYTES, host, card).is_none() {
            return;
        }
        ch.start_populated();
    }
    let mut watchdog = PollWatchdog::new(ch.timeout());
    let mut done = 0usize;
    while done < transfers.len() && !ch.failed() {
        if ch.poll_completed().is_some() {
            done += 1;
            watchdog.progressed();
        } else if let Some(e) =
            watchdog.expired(|| format!("{done} of {} element transfers", transfers.len()))
        {
            ch.record_failure(e);
        } else {
            std::thread::yield_now();
        }
    }
}

fn element_bytes((address, random): Element) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&address.to_le_bytes());
    b[8..].copy_from_slice(&random.to_le_bytes());
    b
}

fn read_element(buffer: &vfio_access::DmaBuffer, j: usize) -> Element {
    let mut b = [0u8; 16];
    buffer.read_bytes(j * ELEMENT_BYTES as usize, &mut b);
    let half = |r: &[u8]| u64::from_le_bytes(r.try_into().unwrap_or([0; 8]));
    (half(&b[..8]), half(&b[8..]))
}

/// `0x<address> 0x<random>`.
fn element_text((address, random): Element) -> String {
    format!("0x{address:x} 0x{random:x}")
}
