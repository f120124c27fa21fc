//! Simulated boards: a PCI function whose BARs route each access to the model of the AXI
//! slave at that address.
//!
//! - [`catalogue`]: every design of the project as data ([`Design`], [`BoardSpec`]).
//! - [`Board`]: a built board, implementing [`SimDevice`]; typed access to its models
//!   ([`Board::peripheral`]) for tests and fault injection.
//! - [`placement`]: the default set of simulated boards and the `--sim=` list parser.
//! - [`block_ram`]: the memmapped_blkram memory kept in a file.
//! - [`config_space`]: the board's PCI configuration space, for front ends that serve the
//!   board as a PCI function (the vfio-user board server).
//!
//! Unmodelled addresses behave like an AXI interconnect with no slave there: the
//! interconnect answers DECERR, which the PCIe bridge turns into a completion the host
//! sees as all-ones on reads; writes are dropped. Every such access is counted
//! ([`Board::unimplemented_accesses`]) so tests can assert that nothing strays there.

pub mod block_ram;
pub mod catalogue;
pub mod config_space;
pub mod placement;
pub mod spec;

use std::any::Any;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use vfio_access::mmio::AccessWidth;
use vfio_access::peripheral_lock;
use vfio_access::sim::{DmaPort, SimBarInfo, SimBoard, SimDevice, SimLink};
use vfio_access::{PciIdentity, PciLocation};

use crate::axi_dma::AxiDmaModel;
use crate::axi_stream_switch::AxiStreamSwitchModel;
use crate::gpio::{AxiGpio, MigResetGpio};
use crate::i2c_bus::tef1001_bus_models;
use crate::pcie_link::{LinkPacer, LinkWidthSpeed};
use crate::peripheral::Peripheral;
use crate::quad_spi::{QuadSpiConfig, QuadSpiModel};
use crate::xadc::{XadcConfig, XadcModel};
use crate::xdma::XdmaModel;
use block_ram::{BlockRamStore, BlockRamWindow};

pub use catalogue::Design;
pub use placement::{
    build_boards, default_boards, parse_board_list, BoardListError, PlacedBoard, Placement,
};
pub use spec::{BoardOptions, BoardSpec, FrameSpec, ModelSpec, XADC_SEED_ENV};

/// One access that hit no model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrayAccess {
    pub bar: u8,
    pub offset: u64,
    pub write: bool,
}

struct Frame {
    bar: u8,
    offset: u64,
    size: u64,
    model: Arc<dyn Peripheral>,
    /// The same model, for typed look-ups (None for models only known as `dyn Peripheral`).
    typed: Option<Arc<dyn Any + Send + Sync>>,
}

/// A simulated board.
pub struct Board {
    name: String,
    location: PciLocation,
    identity: PciIdentity,
    revision: u8,
    bars: [Option<SimBarInfo>; 6],
    frames: Vec<Frame>,
    block_ram: Option<Arc<BlockRamStore>>,
    link_capability: LinkWidthSpeed,
    link_status: LinkWidthSpeed,
    /// Paces the board's DMA engines at the trained link's rate (pcie_link.rs).
    pacer: Arc<LinkPacer>,
    unimplemented: AtomicU64,
    last_stray: Mutex<Option<StrayAccess>>,
    /// Where the state files (and peripheral lock files) live.
    state_dir: PathBuf,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Board({} at {})", self.name, self.location)
    }
}

impl Board {
    /// A catalogue design at `location` (the location names its state files).
    pub fn new(design: Design, location: PciLocation, options: &BoardOptions) -> Arc<Board> {
        Self::from_spec(design.spec(), location, options)
    }

    /// A board from a (possibly altered) spec.
    pub fn from_spec(spec: BoardSpec, location: PciLocation, options: &BoardOptions) -> Arc<Board> {
        // The placement parser refuses links beyond the design; a spec altered past
        // that trains at the design's link.
        let capable = spec.link_capability;
        let (link_status, paced) = spec.link.train(capable).unwrap_or((capable, true));
        let pacer = Arc::new(if paced {
            LinkPacer::paced(link_status)
        } else {
            LinkPacer::unlimited()
        });
        let mut i2c: Option<(Arc<dyn Peripheral>, Arc<dyn Peripheral>)> = None;
        let block_ram_size = spec
            .frames
            .iter()
            .filter_map(|f| match f.model {
                ModelSpec::BlockRam { axi_address } => Some(axi_address + f.size),
                _ => None,
            })
            .max();
        let block_ram = block_ram_size.map(|size| {
            BlockRamStore::open(
                Some(options.state_file(&spec.name, location, "blkram")),
                size as usize,
            )
        });
        let mut frames = Vec::with_capacity(spec.frames.len());
        for f in &spec.frames {
            fn typed<T: Peripheral + Any>(
                m: Arc<T>,
            ) -> (Arc<dyn Peripheral>, Option<Arc<dyn Any + Send + Sync>>) {
                (m.clone(), Some(m))
            }
            let (model, typed) = match &f.model {
                ModelSpec::Xdma(c) => typed(XdmaModel::with_pacer(*c, Arc::clone(&pacer))),
                ModelSpec::QuadSpi {
                    flash,
                    fifo_depth,
                    fpga_idcode,
                    build_timestamp,
                } => typed(QuadSpiModel::new(QuadSpiConfig {
                    flash: *flash,
                    fifo_depth: *fifo_depth,
                    fpga_idcode: *fpga_idcode,
                    design_name: spec.name.clone(),
                    storage: Some(options.state_file(&spec.name, location, "flash")),
                    build_timestamp: *build_timestamp,
                    ..QuadSpiConfig::default()
                })),
                ModelSpec::Xadc(c) => typed(XadcModel::new(XadcConfig {
                    seed: options.xadc_seed.unwrap_or(c.seed),
                    ..*c
                })),
                ModelSpec::Gpio { channel1, channel2 } => typed(AxiGpio::new(*channel1, *channel2)),
                ModelSpec::MigResetGpio => typed(MigResetGpio::new()),
                ModelSpec::Tef1001Iic => {
                    (i2c.get_or_insert_with(tef1001_bus_models).0.clone(), None)
                }
                ModelSpec::Tef1001BitBangGpio => {
                    (i2c.get_or_insert_with(tef1001_bus_models).1.clone(), None)
                }
                ModelSpec::AxiStreamSwitch {
                    master_ports,
                    slave_ports,
                } => typed(Arc::new(AxiStreamSwitchModel::new(
                    *master_ports,
                    *slave_ports,
                ))),
                ModelSpec::AxiDma => typed(Arc::new(AxiDmaModel::new())),
                ModelSpec::BlockRam { axi_address } => match &block_ram {
                    Some(store) => typed(Arc::new(BlockRamWindow {
                        store: Arc::clone(store),
                        axi_address: *axi_address,
                    })),
                    None => continue,
                },
            };
            frames.push(Frame {
                bar: f.bar,
                offset: f.offset,
                size: f.size,
                model,
                typed,
            });
        }
        let board = Board {
            name: spec.name,
            location,
            identity: spec.identity,
            revision: spec.revision,
            bars: spec.bars,
            frames,
            block_ram,
            link_capability: capable,
            link_status,
            pacer,
            unimplemented: AtomicU64::new(0),
            last_stray: Mutex::new(None),
            state_dir: options
                .state_dir
                .clone()
                .unwrap_or_else(crate::persist::sim_state_dir),
        };
        // The switch sits between the XDMA's H2C and C2H streams (one of each per board).
        if let (Some(switch), Some(xdma)) = (
            board.peripheral::<AxiStreamSwitchModel>(),
            board.peripheral::<XdmaModel>(),
        ) {
            xdma.connect_switch(switch);
        }
        Arc::new(board)
    }

    /// This board placed in IOMMU group `iommu_group`, ready for `Session::open_sim`.
    pub fn sim_board(self: &Arc<Self>, iommu_group: u32) -> SimBoard {
        SimBoard {
            location: self.location,
            iommu_group,
            device: Arc::clone(self) as Arc<dyn SimDevice>,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn location(&self) -> PciLocation {
        self.location
    }

    /// The first model of type `T` on the board (e.g. `XadcModel`, `XdmaModel`,
    /// `QuadSpiModel`, `AxiGpio`), for tests and fault injection.
    pub fn peripheral<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.peripherals::<T>().into_iter().next()
    }

    /// Every model of type `T`, in frame order.
    pub fn peripherals<T: Any + Send + Sync>(&self) -> Vec<Arc<T>> {
        self.frames
            .iter()
            .filter_map(|f| f.typed.clone()?.downcast::<T>().ok())
            .collect()
    }

    /// The model of type `T` whose frame starts at `offset` of BAR `bar`.
    pub fn peripheral_at<T: Any + Send + Sync>(&self, bar: u8, offset: u64) -> Option<Arc<T>> {
        self.frames
            .iter()
            .find(|f| f.bar == bar && f.offset == offset)
            .and_then(|f| f.typed.clone()?.downcast::<T>().ok())
    }

    /// The model answering frame `offset` of BAR `bar`, whatever its type (the I2C bus
    /// models are only known this way).
    pub fn frame_model(&self, bar: u8, offset: u64) -> Option<Arc<dyn Peripheral>> {
        self.frames
            .iter()
            .find(|f| f.bar == bar && f.offset == offset)
            .map(|f| Arc::clone(&f.model))
    }

    /// How the board's link trained.
    pub fn link_status(&self) -> LinkWidthSpeed {
        self.link_status
    }

    /// The pacer of the board's DMA (None from `bytes_per_second`: an unlimited link).
    pub fn link_pacer(&self) -> &Arc<LinkPacer> {
        &self.pacer
    }

    /// The persistent block RAM (memmapped_blkram designs).
    pub fn block_ram(&self) -> Option<&Arc<BlockRamStore>> {
        self.block_ram.as_ref()
    }

    /// Power cycle: volatile memory (block RAM) loses its contents; the flash keeps its own.
    pub fn power_cycle(&self) {
        if let Some(b) = &self.block_ram {
            b.power_cycle();
        }
        for f in &self.frames {
            f.model.reset();
        }
    }

    /// Accesses that hit no model since the board was built.
    pub fn unimplemented_accesses(&self) -> u64 {
        self.unimplemented.load(Ordering::Relaxed)
    }

    /// The most recent access that hit no model.
    pub fn last_unimplemented_access(&self) -> Option<StrayAccess> {
        *self.last_stray.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn route(&self, bar: u8, offset: u64, width: AccessWidth) -> Option<(&Frame, u64)> {
        self.frames.iter().find_map(|f| {
            let rel = offset.checked_sub(f.offset)?;
            (f.bar == bar && rel + width.bytes() <= f.size).then_some((f, rel))
        })
    }

    fn stray(&self, bar: u8, offset: u64, write: bool) {
        self.unimplemented.fetch_add(1, Ordering::Relaxed);
        *self.last_stray.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(StrayAccess { bar, offset, write });
    }

    fn unique_models(&self) -> Vec<&Arc<dyn Peripheral>> {
        let mut out: Vec<&Arc<dyn Peripheral>> = Vec::new();
        for f in &self.frames {
            if !out.iter().any(|m| Arc::ptr_eq(m, &f.model)) {
                out.push(&f.model);
            }
        }
        out
    }
}

impl SimDevice for Board {
    fn identity(&self) -> PciIdentity {
        self.identity
    }

    fn revision(&self) -> u8 {
        self.revision
    }

    fn bar(&self, index: u8) -> Option<SimBarInfo> {
        self.bars.get(index as usize).copied().flatten()
    }

    fn link(&self) -> SimLink {
        SimLink {
            max_generation: self.link_capability.generation,
            max_width: self.link_capability.width,
            generation: self.link_status.generation,
            width: self.link_status.width,
        }
    }

    /// The space the vfio-user server serves too (config_space.rs).
    fn config_space(&self) -> Option<Box<[u8; 4096]>> {
        Some(Box::new(
            *config_space::ConfigSpace::of_device(self).bytes(),
        ))
    }

    fn read(&self, bar: u8, offset: u64, width: AccessWidth) -> u64 {
        match self.route(bar, offset, width) {
            Some((f, rel)) => f.model.read(rel, width),
            None => {
                self.stray(bar, offset, false);
                width.mask()
            }
        }
    }

    fn write(&self, bar: u8, offset: u64, width: AccessWidth, value: u64) {
        match self.route(bar, offset, width) {
            Some((f, rel)) => f.model.write(rel, width, value),
            None => self.stray(bar, offset, true),
        }
    }

    fn attach_dma(&self, port: DmaPort) {
        for m in self.unique_models() {
            m.attach_dma(port.clone());
        }
    }

    fn reset(&self) {
        for m in self.unique_models() {
            m.reset();
        }
    }

    fn set_bus_master(&self, enabled: bool) {
        for m in self.unique_models() {
            m.set_bus_master(enabled);
        }
    }

    fn state_dir(&self) -> Option<PathBuf> {
        Some(self.state_dir.clone())
    }

    /// The flash is a file shared by every process simulating this board: reload it
    /// under the lock, so this process sees what the previous holder programmed.
    fn peripheral_locked(&self, peripheral: &str) {
        if peripheral == peripheral_lock::FLASH {
            for flash in self.peripherals::<QuadSpiModel>() {
                flash.reload_storage();
            }
        }
    }

    /// Flash writes go through to the file as they happen; report one that did not.
    fn peripheral_unlocking(&self, peripheral: &str) -> Result<(), String> {
        if peripheral == peripheral_lock::FLASH {
            for flash in self.peripherals::<QuadSpiModel>() {
                flash.storage_status()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(dir: &tempfile::TempDir) -> BoardOptions {
        BoardOptions {
            xadc_seed: None,
            state_dir: Some(dir.path().to_path_buf()),
        }
    }

    #[test]
    fn accesses_route_to_models_and_strays_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let b = Board::new(
            Design::NiteFuryDmaStreamLoopback,
            PciLocation::new(0, 0x30, 0, 0),
            &opts(&dir),
        );
        assert_eq!(b.read(0, 0x2000, AccessWidth::U32), 0xC131_0A5B);
        assert_eq!(b.read(2, 0x0000, AccessWidth::U32) >> 20, 0x1FC);
        assert_eq!(b.unimplemented_accesses(), 0);
        // Lock files go where the state files are (vfio_access::peripheral_lock).
        assert_eq!(b.state_dir(), Some(dir.path().to_path_buf()));
        assert_eq!(b.read(0, 0x3000, AccessWidth::U32), 0xffff_ffff);
        b.write(0, 0x3004, AccessWidth::U32, 1);
        assert_eq!(b.unimplemented_accesses(), 2);
        assert_eq!(
            b.last_unimplemented_access(),
            Some(StrayAccess {
                bar: 0,
                offset: 0x3004,
                write: true
            })
        );
        assert!(b.peripheral::<XadcModel>().is_some());
        assert!(b.peripheral::<XdmaModel>().is_some());
        assert_eq!(
            b.peripheral_at::<AxiGpio>(0, 0x2000).map(|g| g.output(1)),
            Some(0)
        );
        assert!(SimDevice::bar(b.as_ref(), 2).is_some_and(|i| i.size == 0x10000));
        assert!(SimDevice::bar(b.as_ref(), 1).is_none());
    }

    #[test]
    fn xadc_seed_option_reaches_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let o = BoardOptions {
            xadc_seed: Some(42),
            ..opts(&dir)
        };
        let b = Board::new(Design::I2cProbe, PciLocation::new(0, 3, 0, 0), &o);
        assert_eq!(
            b.peripheral::<XadcModel>().map(|x| x.config().seed),
            Some(42)
        );
    }
}
