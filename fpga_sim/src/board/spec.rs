//! A board described as data: PCI identity, BARs, and which model answers each frame.
//! The catalogue fills these in per design; tests may alter a copy (shrink a BAR, change
//! an id) to build boards the catalogue does not have.

use std::path::PathBuf;

use vfio_access::sim::SimBarInfo;
use vfio_access::{PciIdentity, PciLocation};

use crate::gpio::GpioChannel;
use crate::pcie_link::{LinkChoice, LinkWidthSpeed};
use crate::quad_spi::FlashPart;
use crate::xadc::XadcConfig;
use crate::xdma::XdmaConfig;

/// Which model sits in a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSpec {
    /// XDMA control registers (the whole DMA BAR).
    Xdma(XdmaConfig),
    /// AXI Quad SPI with its flash; the storage file comes from the board's location.
    QuadSpi {
        flash: FlashPart,
        fifo_depth: u32,
        fpga_idcode: u32,
        /// AXSS value of the bitstream in the flash (the design's USR_ACCESS timestamp).
        build_timestamp: Option<u32>,
    },
    Xadc(XadcConfig),
    /// AXI GPIO with fixed-direction channels.
    Gpio {
        channel1: GpioChannel,
        channel2: GpioChannel,
    },
    /// The DDR3 designs' MIG reset/status GPIO.
    MigResetGpio,
    /// The TEF1001 I2C bus through the AXI IIC core.
    Tef1001Iic,
    /// The TEF1001 I2C bus through the bit-banged GPIO.
    Tef1001BitBangGpio,
    /// Block RAM at `axi_address` of the board's persistent block-RAM store.
    BlockRam {
        axi_address: u64,
    },
    /// AXI4-Stream Switch between the XDMA H2C (slave) and C2H (master) streams; the
    /// board wires it to the XDMA model whose user logic is `StreamUserLogic::Switch`.
    AxiStreamSwitch {
        master_ports: u8,
        slave_ports: u8,
    },
    /// AXI DMA (PG021) of the DDR3 throughput design.
    AxiDma,
}

/// One AXI slave frame: `size` bytes at `offset` of BAR `bar`.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSpec {
    pub bar: u8,
    pub offset: u64,
    pub size: u64,
    pub model: ModelSpec,
}

/// A complete board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardSpec {
    /// Design name: used in `--sim=` lists and in the names of state files.
    pub name: String,
    pub identity: PciIdentity,
    pub revision: u8,
    pub bars: [Option<SimBarInfo>; 6],
    pub frames: Vec<FrameSpec>,
    /// Where the board sits in the reference logs (location, IOMMU group), if anywhere.
    pub home: Option<(PciLocation, u32)>,
    /// The link the design is built for (designs_after_seed.md: Gen2 x4 for all).
    pub link_capability: LinkWidthSpeed,
    /// How the board's link trains (`:link=` of a `--sim` entry).
    pub link: LinkChoice,
}

impl BoardSpec {
    /// The frame of the first model matching `pred`, mutable (for tests altering a spec).
    pub fn frame_mut(&mut self, pred: impl Fn(&ModelSpec) -> bool) -> Option<&mut FrameSpec> {
        self.frames.iter_mut().find(|f| pred(&f.model))
    }
}

/// Choices made when building a board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardOptions {
    /// Seed of the XADC generator (None: the board's default seed).
    pub xadc_seed: Option<u64>,
    /// Directory for state files (None: `persist::sim_state_dir()`).
    pub state_dir: Option<PathBuf>,
}

/// Environment variable selecting the XADC seed of simulated boards (decimal or 0x hex).
pub const XADC_SEED_ENV: &str = "FPGA_SIO_SIM_XADC_SEED";

impl BoardOptions {
    /// Options from the environment: [`XADC_SEED_ENV`] (ignored when unparsable).
    pub fn from_env() -> Self {
        let xadc_seed = std::env::var(XADC_SEED_ENV).ok().and_then(|v| {
            let v = v.trim();
            match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => v.parse().ok(),
            }
        });
        Self {
            xadc_seed,
            state_dir: None,
        }
    }

    /// The state file of `kind` for board `design` at `location`.
    pub fn state_file(&self, design: &str, location: PciLocation, kind: &str) -> PathBuf {
        let default = crate::persist::board_state_file(design, location, kind);
        match (&self.state_dir, default.file_name()) {
            (Some(dir), Some(name)) => dir.join(name),
            _ => default,
        }
    }
}
