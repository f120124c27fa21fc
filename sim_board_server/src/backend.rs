//! The vfio-user device behind the socket: one `fpga_sim` board. Region accesses go to the
//! same board models as `--sim` (one model, two front ends); the config space is the
//! board's [`ConfigSpace`]; the client's DMA mappings are the models' host memory.

use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use fpga_sim::board::config_space::{ConfigSpace, COMMAND_BUS_MASTER, CONFIG_SPACE_SIZE};
use fpga_sim::board::Board;
use vfio_access::mmio::AccessWidth;
use vfio_access::sim::{DmaPort, SimDevice};
use vfio_bindings::bindings::vfio::{
    vfio_region_info, VFIO_IRQ_INFO_EVENTFD, VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_INTX_IRQ_INDEX,
    VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_NUM_IRQS, VFIO_PCI_NUM_REGIONS, VFIO_REGION_INFO_FLAG_READ,
    VFIO_REGION_INFO_FLAG_WRITE,
};
use vfio_user::{DmaMapFlags, DmaUnmapFlags, IrqInfo, ServerBackend, ServerRegion};

use crate::client_memory::{ClientMemory, DmaPermissions};

/// Where the backend reports what it does (DMA maps, resets, refused accesses); the binary
/// gives stderr with `--log`, tests a buffer.
pub type EventLog = Box<dyn Write + Send>;

/// Counters of the accesses served.
#[derive(Debug, Default)]
pub struct AccessCounts {
    pub bar_reads: AtomicU64,
    pub bar_writes: AtomicU64,
    pub config_accesses: AtomicU64,
    pub resets: AtomicU64,
}

/// The board as a vfio-user device.
pub struct BoardBackend {
    board: Arc<Board>,
    config: ConfigSpace,
    memory: Arc<ClientMemory>,
    counts: Arc<AccessCounts>,
    log: Option<EventLog>,
    started: std::time::Instant,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

impl BoardBackend {
    /// Serves `board`; its DMA engines reach host memory only through the client's mappings.
    pub fn new(board: Arc<Board>, log: Option<EventLog>) -> Self {
        let memory = ClientMemory::new();
        board.attach_dma(DmaPort::from_memory(memory.clone()));
        Self {
            config: ConfigSpace::of_device(board.as_ref()),
            board,
            memory,
            counts: Arc::default(),
            log,
            started: std::time::Instant::now(),
        }
    }

    pub fn board(&self) -> &Arc<Board> {
        &self.board
    }

    pub fn client_memory(&self) -> &Arc<ClientMemory> {
        &self.memory
    }

    pub fn counts(&self) -> &Arc<AccessCounts> {
        &self.counts
    }

    pub fn config_space(&self) -> &ConfigSpace {
        &self.config
    }

    /// The regions to give `vfio_user::Server::new`: BARs 0..=5 as the design has them
    /// (read/write through messages), no ROM, the 4 KiB config space, no VGA.
    pub fn regions(&self) -> Vec<ServerRegion> {
        (0..VFIO_PCI_NUM_REGIONS)
            .map(|index| {
                let size = match index {
                    0..=5 => self.bar_size(index).unwrap_or(0),
                    VFIO_PCI_CONFIG_REGION_INDEX => CONFIG_SPACE_SIZE as u64,
                    _ => 0,
                };
                let flags = if size > 0 {
                    VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE
                } else {
                    0
                };
                ServerRegion {
                    region_info: vfio_region_info {
                        argsz: std::mem::size_of::<vfio_region_info>() as u32,
                        index,
                        flags,
                        size,
                        ..Default::default()
                    },
                    sparse_areas: Vec::new(),
                    mmap_fd: None,
                }
            })
            .collect()
    }

    /// The interrupts to give `vfio_user::Server::new`: INTx and one MSI vector announced
    /// (the config space has both); the models raise none, the tools poll.
    pub fn irqs(&self) -> Vec<IrqInfo> {
        (0..VFIO_PCI_NUM_IRQS)
            .map(|index| {
                let (count, flags) = match index {
                    VFIO_PCI_INTX_IRQ_INDEX | VFIO_PCI_MSI_IRQ_INDEX => (1, VFIO_IRQ_INFO_EVENTFD),
                    _ => (0, 0),
                };
                IrqInfo {
                    index,
                    count,
                    flags,
                }
            })
            .collect()
    }

    fn bar_size(&self, index: u32) -> Option<u64> {
        SimDevice::bar(self.board.as_ref(), u8::try_from(index).ok()?).map(|b| b.size)
    }

    fn event(&mut self, line: std::fmt::Arguments<'_>) {
        if let Some(log) = &mut self.log {
            // One write per line, so a line is never split; a broken log must not stop
            // the device.
            let _ = log.write_all(format!("{line}\n").as_bytes());
        }
    }

    /// A refused request: logged, then returned to the client as an error reply.
    fn refuse(&mut self, e: io::Error) -> io::Error {
        self.event(format_args!("refused: {e}"));
        e
    }

    fn bar_access(
        &self,
        region: u32,
        offset: u64,
        len: usize,
    ) -> Result<(u8, AccessWidth), io::Error> {
        let size = self
            .bar_size(region)
            .ok_or_else(|| invalid(format!("region {region}: no such BAR on this board")))?;
        let width = match len {
            1 => AccessWidth::U8,
            2 => AccessWidth::U16,
            4 => AccessWidth::U32,
            8 => AccessWidth::U64,
            _ => {
                return Err(invalid(format!(
                    "BAR {region}: {len}-byte access at 0x{offset:x} (1, 2, 4 or 8 bytes only)"
                )))
            }
        };
        let fits = offset
            .checked_add(len as u64)
            .is_some_and(|end| end <= size);
        if !fits || offset % len as u64 != 0 {
            return Err(invalid(format!(
                "BAR {region}: {len}-byte access at 0x{offset:x} outside the 0x{size:x}-byte BAR or unaligned"
            )));
        }
        Ok((region as u8, width))
    }
}

impl ServerBackend for BoardBackend {
    fn region_read(&mut self, region: u32, offset: u64, data: &mut [u8]) -> io::Result<()> {
        if region == VFIO_PCI_CONFIG_REGION_INDEX {
            self.counts.config_accesses.fetch_add(1, Ordering::Relaxed);
            return self
                .config
                .read(offset, data)
                .map_err(|e| invalid(e.to_string()))
                .map_err(|e| self.refuse(e));
        }
        let (bar, width) = self
            .bar_access(region, offset, data.len())
            .map_err(|e| self.refuse(e))?;
        self.counts.bar_reads.fetch_add(1, Ordering::Relaxed);
        let value = SimDevice::read(self.board.as_ref(), bar, offset, width);
        let n = data.len();
        data.copy_from_slice(&value.to_le_bytes()[..n]);
        Ok(())
    }

    fn region_write(&mut self, region: u32, offset: u64, data: &[u8]) -> io::Result<()> {
        if region == VFIO_PCI_CONFIG_REGION_INDEX {
            self.counts.config_accesses.fetch_add(1, Ordering::Relaxed);
            let before = self.config.command();
            let after = self
                .config
                .write(offset, data)
                .map_err(|e| invalid(e.to_string()))
                .map_err(|e| self.refuse(e))?;
            if (before ^ after) & COMMAND_BUS_MASTER != 0 {
                let on = after & COMMAND_BUS_MASTER != 0;
                self.board.set_bus_master(on);
                // Elapsed time and access counts: a tool's run on this board lies between
                // its enable and disable, so these lines give its MMIO rate.
                let c = &self.counts;
                let accesses =
                    c.bar_reads.load(Ordering::Relaxed) + c.bar_writes.load(Ordering::Relaxed);
                self.event(format_args!(
                    "bus master {} at {:.3}s, {accesses} BAR accesses so far",
                    if on { "enabled" } else { "disabled" },
                    self.started.elapsed().as_secs_f64()
                ));
            }
            return Ok(());
        }
        let (bar, width) = self
            .bar_access(region, offset, data.len())
            .map_err(|e| self.refuse(e))?;
        self.counts.bar_writes.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 8];
        bytes[..data.len()].copy_from_slice(data);
        SimDevice::write(
            self.board.as_ref(),
            bar,
            offset,
            width,
            u64::from_le_bytes(bytes),
        );
        Ok(())
    }

    fn dma_map(
        &mut self,
        flags: DmaMapFlags,
        offset: u64,
        address: u64,
        size: u64,
        fd: Option<File>,
    ) -> io::Result<()> {
        let permissions = DmaPermissions {
            read: flags.contains(DmaMapFlags::READ),
            write: flags.contains(DmaMapFlags::WRITE),
        };
        let has_fd = fd.is_some();
        self.event(format_args!(
            "DMA map IOVA 0x{address:x}+0x{size:x} {}{} {}",
            if permissions.read { "r" } else { "-" },
            if permissions.write { "w" } else { "-" },
            if has_fd {
                format!("file offset 0x{offset:x}")
            } else {
                "without a memory file: device accesses to it will fault".to_string()
            }
        ));
        self.memory
            .map(address, size, permissions, fd.map(|f| (f, offset)))
            .map_err(|e| invalid(e.to_string()))
            .map_err(|e| self.refuse(e))
    }

    fn dma_unmap(&mut self, _flags: DmaUnmapFlags, address: u64, size: u64) -> io::Result<()> {
        let removed = self.memory.unmap(address, size);
        self.event(format_args!(
            "DMA unmap IOVA 0x{address:x}+0x{size:x}: 0x{removed:x} bytes were mapped"
        ));
        Ok(())
    }

    fn reset(&mut self) -> io::Result<()> {
        self.counts.resets.fetch_add(1, Ordering::Relaxed);
        let bus_master = self.config.command() & COMMAND_BUS_MASTER != 0;
        self.config.reset();
        if bus_master {
            self.board.set_bus_master(false);
        }
        SimDevice::reset(self.board.as_ref());
        let faults = self.memory.fault_count();
        self.event(format_args!("device reset ({faults} IOMMU faults so far)"));
        Ok(())
    }

    fn set_irqs(
        &mut self,
        index: u32,
        flags: u32,
        start: u32,
        count: u32,
        fds: Vec<File>,
    ) -> io::Result<()> {
        self.event(format_args!(
            "interrupts: index {index} flags 0x{flags:x} start {start} count {count} ({} eventfds; never raised)",
            fds.len()
        ));
        Ok(())
    }
}
