//! The designs of the project as the hardware presents them: PCI identity, BARs, and the
//! AXI slaves behind each BAR (from the design projects, not from any driver's tables).
//!
//! Choices where the projects say nothing:
//! - Peripheral BAR 0 is a 64-bit prefetchable BAR (as the Xilinx IP sets 64-bit BARs);
//!   the XDMA DMA BAR is a 32-bit non-prefetchable BAR of 64 KiB.
//! - Build timestamps (USR_ACCESSE2) other than the two captured ones are invented, see
//!   [`Design::user_access_timestamp`].
//! - The LiteFury is given an XC7A100T and the NiteFury's Spansion flash.
//! - The Fury Project-0 image has 1 H2C + 1 C2H channel (the vendor's DMA IP); the
//!   in-house designs have 2 + 2.
//! - The designs added after the seed (designs_after_seed.md §1) sit where their boards
//!   sat in the logs: TEF1001 designs at 0000:15:00.0 (group 41), NiteFury designs at
//!   0000:30:00.0 (group 89); TOSING_160T designs have no home.
//! - The rebuilt stream-loopback designs (PCI revision 1, with the AXI4-Stream Switch) are
//!   separate entries named `<seed name>_rev1`; the seed names stay revision 0.

use vfio_access::sim::SimBarInfo;
use vfio_access::{PciIdentity, PciLocation};

use super::spec::{BoardSpec, FrameSpec, ModelSpec};
use crate::gpio::GpioChannel;
use crate::pcie_link::{LinkChoice, LinkWidthSpeed};
use crate::quad_spi::FlashPart;
use crate::xadc::{SensorProfile, XadcCalibration, XadcConfig};
use crate::xdma::{StreamUserLogic, XdmaConfig, XDMA_BAR_SIZE};

pub const XILINX_VENDOR_ID: u16 = 0x10EE;
/// Device id of the in-house designs (Vivado default for Gen2 x4).
pub const IN_HOUSE_DEVICE_ID: u16 = 0x7024;
/// Device id of the Fury Project-0 image.
pub const FURY_DEVICE_ID: u16 = 0x7011;
/// Subsystem vendor id of the in-house designs.
pub const IN_HOUSE_SUBSYSTEM_VENDOR_ID: u16 = 0x0002;

/// Fury Project-0 GPIO 0 channel 1 tags, most significant byte first.
pub const NITE_TAG: u32 = 0x4E49_5445;
pub const LITE_TAG: u32 = 0x4C49_5445;
/// Board version of the factory Project-0 image.
pub const FURY_BOARD_VERSION: u32 = 0x2;

/// IDCODEs (revision nibble zero).
pub const IDCODE_7K160T: u32 = 0x0364_C093;
pub const IDCODE_7A200T: u32 = 0x0363_6093;
pub const IDCODE_7A100T: u32 = 0x0363_1093;

const FRAME: u64 = 0x1000;

/// A USR_ACCESSE2 build timestamp: day 31:27, month 26:23, year-2000 22:17, hour 16:12,
/// minute 11:6, second 5:0.
pub const fn usr_access(
    day: u32,
    month: u32,
    year: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> u32 {
    (day << 27) | (month << 23) | ((year - 2000) << 17) | (hour << 12) | (minute << 6) | second
}

/// Every design the simulator can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Design {
    DmaBlkram,
    I2cProbe,
    Tosing160tDmaDdr3,
    LitefuryProject0,
    NitefuryProject0,
    Tef1001DmaDdr3,
    NiteFuryDmaDdr3,
    Tef1001DmaStreamLoopback,
    NiteFuryDmaStreamLoopback,
    Tosing160tDmaStreamLoopback,
    MemmappedBlkram,
    MemmappedBlkram32bitBars,
    /// Shares sub-device 0x0002 with i2c_probe but has no IIC/GPIO frames.
    Tosing160tQuadSpi,
    Tef1001DmaStreamFixedData,
    NiteFuryDmaStreamFixedData,
    Tosing160tDmaStreamFixedData,
    Tef1001Ddr3Throughput,
    Tef1001DmaStreamCrc64,
    Tosing160tDmaStreamCrc64,
    NiteFuryDmaStreamCrc64,
    /// The loopback designs rebuilt with the AXI4-Stream Switch (PCI revision 1).
    Tef1001DmaStreamLoopbackRev1,
    NiteFuryDmaStreamLoopbackRev1,
    Tosing160tDmaStreamLoopbackRev1,
}

/// The board a design runs on: its FPGA, flash, XADC calibration and sensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Tef1001,
    NiteFury,
    LiteFury,
    Tosing160t,
}

impl Carrier {
    fn idcode(self) -> u32 {
        match self {
            Carrier::Tef1001 | Carrier::Tosing160t => IDCODE_7K160T,
            Carrier::NiteFury => IDCODE_7A200T,
            Carrier::LiteFury => IDCODE_7A100T,
        }
    }

    fn flash(self) -> FlashPart {
        match self {
            Carrier::Tef1001 => FlashPart::MicronN25q256a,
            Carrier::NiteFury | Carrier::LiteFury => FlashPart::SpansionS25fl256s,
            Carrier::Tosing160t => FlashPart::MacronixMx25l12835f,
        }
    }

    fn calibration(self) -> XadcCalibration {
        match self {
            Carrier::Tef1001 => XadcCalibration::TEF1001,
            Carrier::NiteFury => XadcCalibration::NITEFURY,
            Carrier::LiteFury => XadcCalibration::LITEFURY,
            Carrier::Tosing160t => XadcCalibration::TOSING,
        }
    }

    fn sensors(self) -> SensorProfile {
        match self {
            Carrier::Tef1001 => SensorProfile::TEF1001,
            Carrier::NiteFury | Carrier::LiteFury => SensorProfile::NITEFURY,
            Carrier::Tosing160t => SensorProfile::TOSING,
        }
    }
}

impl Design {
    pub const ALL: [Design; 23] = [
        Design::DmaBlkram,
        Design::I2cProbe,
        Design::Tosing160tDmaDdr3,
        Design::LitefuryProject0,
        Design::NitefuryProject0,
        Design::Tef1001DmaDdr3,
        Design::NiteFuryDmaDdr3,
        Design::Tef1001DmaStreamLoopback,
        Design::NiteFuryDmaStreamLoopback,
        Design::Tosing160tDmaStreamLoopback,
        Design::MemmappedBlkram,
        Design::MemmappedBlkram32bitBars,
        Design::Tosing160tQuadSpi,
        Design::Tef1001DmaStreamFixedData,
        Design::NiteFuryDmaStreamFixedData,
        Design::Tosing160tDmaStreamFixedData,
        Design::Tef1001Ddr3Throughput,
        Design::Tef1001DmaStreamCrc64,
        Design::Tosing160tDmaStreamCrc64,
        Design::NiteFuryDmaStreamCrc64,
        Design::Tef1001DmaStreamLoopbackRev1,
        Design::NiteFuryDmaStreamLoopbackRev1,
        Design::Tosing160tDmaStreamLoopbackRev1,
    ];

    /// The name used in `--sim=` lists and state files.
    pub fn name(self) -> &'static str {
        match self {
            Design::DmaBlkram => "dma_blkram",
            Design::I2cProbe => "i2c_probe",
            Design::Tosing160tDmaDdr3 => "TOSING_160T_dma_ddr3",
            Design::LitefuryProject0 => "Litefury_Project-0",
            Design::NitefuryProject0 => "Nitefury_Project-0",
            Design::Tef1001DmaDdr3 => "TEF1001_dma_ddr3",
            Design::NiteFuryDmaDdr3 => "NiteFury_dma_ddr3",
            Design::Tef1001DmaStreamLoopback => "TEF1001_dma_stream_loopback",
            Design::NiteFuryDmaStreamLoopback => "NiteFury_dma_stream_loopback",
            Design::Tosing160tDmaStreamLoopback => "TOSING_160T_dma_stream_loopback",
            Design::MemmappedBlkram => "memmapped_blkram",
            Design::MemmappedBlkram32bitBars => "memmapped_blkram_32bit_bars",
            Design::Tosing160tQuadSpi => "TOSING_160T_quad_spi",
            Design::Tef1001DmaStreamFixedData => "TEF1001_dma_stream_fixed_data",
            Design::NiteFuryDmaStreamFixedData => "NiteFury_dma_stream_fixed_data",
            Design::Tosing160tDmaStreamFixedData => "TOSING_160T_dma_stream_fixed_data",
            Design::Tef1001Ddr3Throughput => "TEF1001_ddr3_throughput",
            Design::Tef1001DmaStreamCrc64 => "TEF1001_dma_stream_crc64",
            Design::Tosing160tDmaStreamCrc64 => "TOSING_160T_dma_stream_crc64",
            Design::NiteFuryDmaStreamCrc64 => "NiteFury_dma_stream_crc64",
            Design::Tef1001DmaStreamLoopbackRev1 => "TEF1001_dma_stream_loopback_rev1",
            Design::NiteFuryDmaStreamLoopbackRev1 => "NiteFury_dma_stream_loopback_rev1",
            Design::Tosing160tDmaStreamLoopbackRev1 => "TOSING_160T_dma_stream_loopback_rev1",
        }
    }

    /// Other spellings accepted in `--sim=` lists (compared case-insensitively, spaces and
    /// underscores alike).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Design::DmaBlkram => &["dma_blkram (TEF1001)"],
            Design::I2cProbe => &["i2c_probe (TEF1001)"],
            Design::Tosing160tQuadSpi => &["TOSING_160T_quadspi"],
            _ => &[],
        }
    }

    /// Finds a design by name or alias, ignoring case and treating ' ' like '_'.
    pub fn from_name(text: &str) -> Option<Design> {
        let norm = |s: &str| s.trim().to_ascii_lowercase().replace(' ', "_");
        let wanted = norm(text);
        Design::ALL
            .into_iter()
            .find(|d| norm(d.name()) == wanted || d.aliases().iter().any(|a| norm(a) == wanted))
    }

    fn carrier(self) -> Carrier {
        match self {
            Design::DmaBlkram
            | Design::I2cProbe
            | Design::Tef1001DmaDdr3
            | Design::Tef1001DmaStreamLoopback
            | Design::MemmappedBlkram
            | Design::MemmappedBlkram32bitBars
            | Design::Tef1001DmaStreamFixedData
            | Design::Tef1001Ddr3Throughput
            | Design::Tef1001DmaStreamCrc64
            | Design::Tef1001DmaStreamLoopbackRev1 => Carrier::Tef1001,
            Design::NitefuryProject0
            | Design::NiteFuryDmaDdr3
            | Design::NiteFuryDmaStreamLoopback
            | Design::NiteFuryDmaStreamFixedData
            | Design::NiteFuryDmaStreamCrc64
            | Design::NiteFuryDmaStreamLoopbackRev1 => Carrier::NiteFury,
            Design::LitefuryProject0 => Carrier::LiteFury,
            Design::Tosing160tDmaDdr3
            | Design::Tosing160tDmaStreamLoopback
            | Design::Tosing160tQuadSpi
            | Design::Tosing160tDmaStreamFixedData
            | Design::Tosing160tDmaStreamCrc64
            | Design::Tosing160tDmaStreamLoopbackRev1 => Carrier::Tosing160t,
        }
    }

    /// The user-access GPIO's USR_ACCESSE2 value. The two loopback designs' values are the
    /// ones captured on hardware; the others are chosen (valid dates near them).
    pub fn user_access_timestamp(self) -> Option<u32> {
        match self {
            // 24/02/2024 16:16:19
            Design::Tef1001DmaStreamLoopback => Some(0xC131_0413),
            // 24/02/2024 16:41:27
            Design::NiteFuryDmaStreamLoopback => Some(0xC131_0A5B),
            Design::Tosing160tDmaStreamLoopback => Some(usr_access(24, 2, 2024, 17, 2, 33)),
            Design::Tef1001DmaDdr3 => Some(usr_access(9, 12, 2023, 14, 21, 5)),
            Design::NiteFuryDmaDdr3 => Some(usr_access(9, 12, 2023, 15, 47, 50)),
            Design::Tosing160tDmaDdr3 => Some(usr_access(10, 12, 2023, 10, 12, 44)),
            Design::Tef1001DmaStreamFixedData => Some(usr_access(13, 12, 2024, 11, 5, 42)),
            Design::NiteFuryDmaStreamFixedData => Some(usr_access(13, 12, 2024, 12, 31, 7)),
            Design::Tosing160tDmaStreamFixedData => Some(usr_access(13, 12, 2024, 14, 2, 19)),
            Design::Tef1001Ddr3Throughput => Some(usr_access(18, 1, 2025, 10, 44, 3)),
            Design::Tef1001DmaStreamCrc64 => Some(usr_access(21, 6, 2025, 16, 20, 11)),
            Design::Tosing160tDmaStreamCrc64 => Some(usr_access(22, 6, 2025, 9, 12, 58)),
            Design::NiteFuryDmaStreamCrc64 => Some(usr_access(5, 7, 2025, 15, 33, 40)),
            Design::Tef1001DmaStreamLoopbackRev1 => Some(usr_access(24, 12, 2024, 10, 1, 2)),
            Design::NiteFuryDmaStreamLoopbackRev1 => Some(usr_access(24, 12, 2024, 10, 40, 30)),
            Design::Tosing160tDmaStreamLoopbackRev1 => Some(usr_access(24, 12, 2024, 11, 15, 9)),
            _ => None,
        }
    }

    /// Where the reference logs saw the board: location and IOMMU group.
    pub fn home(self) -> Option<(PciLocation, u32)> {
        match self {
            Design::Tef1001DmaStreamLoopback => Some((PciLocation::new(0, 0x15, 0, 0), 41)),
            Design::NiteFuryDmaStreamLoopback => Some((PciLocation::new(0, 0x30, 0, 0), 89)),
            Design::NitefuryProject0 => Some((PciLocation::new(0, 0x2e, 0, 0), 86)),
            Design::MemmappedBlkram => Some((PciLocation::new(0, 0x15, 0, 0), 41)),
            _ => match self.carrier() {
                Carrier::Tef1001 if self.is_after_seed() => {
                    Some((PciLocation::new(0, 0x15, 0, 0), 41))
                }
                Carrier::NiteFury if self.is_after_seed() => {
                    Some((PciLocation::new(0, 0x30, 0, 0), 89))
                }
                _ => None,
            },
        }
    }

    /// Designs added after the seed (designs_after_seed.md §1.1): declared after them.
    fn is_after_seed(self) -> bool {
        self as usize >= Design::Tef1001DmaStreamFixedData as usize
    }

    /// The PCI Revision ID: 1 for the rebuilt loopback designs and, by accident of its
    /// build, NiteFury_dma_stream_crc64 (designs_after_seed.md §1.1); 0 otherwise.
    pub fn revision(self) -> u8 {
        match self {
            Design::Tef1001DmaStreamLoopbackRev1
            | Design::NiteFuryDmaStreamLoopbackRev1
            | Design::Tosing160tDmaStreamLoopbackRev1
            | Design::NiteFuryDmaStreamCrc64 => 1,
            _ => 0,
        }
    }

    /// What the XDMA stream channels are wired to.
    fn stream_user_logic(self) -> StreamUserLogic {
        match self {
            Design::Tef1001DmaStreamFixedData
            | Design::NiteFuryDmaStreamFixedData
            | Design::Tosing160tDmaStreamFixedData => StreamUserLogic::FixedData,
            Design::Tef1001DmaStreamCrc64
            | Design::Tosing160tDmaStreamCrc64
            | Design::NiteFuryDmaStreamCrc64 => StreamUserLogic::Crc64,
            Design::Tef1001DmaStreamLoopbackRev1
            | Design::NiteFuryDmaStreamLoopbackRev1
            | Design::Tosing160tDmaStreamLoopbackRev1 => StreamUserLogic::Switch,
            _ => StreamUserLogic::CrossLoopback,
        }
    }

    fn xadc(self) -> XadcConfig {
        let c = self.carrier();
        match self {
            Design::LitefuryProject0 | Design::NitefuryProject0 => {
                XadcConfig::single_channel_temperature(c.calibration(), c.sensors())
            }
            Design::NiteFuryDmaDdr3
            | Design::NiteFuryDmaStreamLoopback
            | Design::NiteFuryDmaStreamFixedData
            | Design::NiteFuryDmaStreamCrc64
            | Design::NiteFuryDmaStreamLoopbackRev1 => {
                XadcConfig::continuous_with_vaux14(c.calibration(), c.sensors())
            }
            _ => XadcConfig::continuous(c.calibration(), c.sensors()),
        }
    }

    fn quad_spi(self, fifo_depth: u32) -> ModelSpec {
        let c = self.carrier();
        ModelSpec::QuadSpi {
            flash: c.flash(),
            fifo_depth,
            fpga_idcode: c.idcode(),
            build_timestamp: self.user_access_timestamp(),
        }
    }

    fn identity(self) -> PciIdentity {
        let sub = match self {
            Design::MemmappedBlkram | Design::MemmappedBlkram32bitBars => 0x0001,
            Design::I2cProbe | Design::Tosing160tQuadSpi => 0x0002,
            Design::DmaBlkram => 0x0003,
            Design::Tosing160tDmaDdr3 => 0x0004,
            Design::Tef1001DmaDdr3 => 0x0005,
            Design::NiteFuryDmaDdr3 => 0x0006,
            Design::Tef1001DmaStreamLoopback | Design::Tef1001DmaStreamLoopbackRev1 => 0x0007,
            Design::NiteFuryDmaStreamLoopback | Design::NiteFuryDmaStreamLoopbackRev1 => 0x0008,
            Design::Tosing160tDmaStreamLoopback | Design::Tosing160tDmaStreamLoopbackRev1 => 0x0009,
            Design::Tef1001DmaStreamFixedData => 0x0011,
            Design::NiteFuryDmaStreamFixedData => 0x0012,
            Design::Tosing160tDmaStreamFixedData => 0x0013,
            Design::Tef1001Ddr3Throughput => 0x0015,
            Design::Tef1001DmaStreamCrc64 => 0x0017,
            Design::Tosing160tDmaStreamCrc64 => 0x0018,
            Design::NiteFuryDmaStreamCrc64 => 0x0019,
            Design::LitefuryProject0 | Design::NitefuryProject0 => {
                return PciIdentity {
                    vendor_id: XILINX_VENDOR_ID,
                    device_id: FURY_DEVICE_ID,
                    subsystem_vendor_id: 0,
                    subsystem_device_id: 0,
                }
            }
        };
        PciIdentity {
            vendor_id: XILINX_VENDOR_ID,
            device_id: IN_HOUSE_DEVICE_ID,
            subsystem_vendor_id: IN_HOUSE_SUBSYSTEM_VENDOR_ID,
            subsystem_device_id: sub,
        }
    }

    /// The board as data.
    pub fn spec(self) -> BoardSpec {
        let bar64 = |size| {
            Some(SimBarInfo {
                size,
                prefetchable: true,
                is_64bit: true,
            })
        };
        let bar32 = |size, prefetchable| {
            Some(SimBarInfo {
                size,
                prefetchable,
                is_64bit: false,
            })
        };
        let frame = |bar, offset, model| FrameSpec {
            bar,
            offset,
            size: FRAME,
            model,
        };
        let xdma = |bar, channels: u8, memory: u64| FrameSpec {
            bar,
            offset: 0,
            size: XDMA_BAR_SIZE,
            model: ModelSpec::Xdma(XdmaConfig {
                h2c_channels: channels,
                c2h_channels: channels,
                stream: memory == 0,
                card_memory_bytes: memory,
                user_logic: StreamUserLogic::CrossLoopback,
            }),
        };
        // The post-seed stream designs: 2 + 2 channels wired to their user logic.
        let stream_xdma = FrameSpec {
            bar: 2,
            offset: 0,
            size: XDMA_BAR_SIZE,
            model: ModelSpec::Xdma(XdmaConfig {
                h2c_channels: 2,
                c2h_channels: 2,
                stream: true,
                card_memory_bytes: 0,
                user_logic: self.stream_user_logic(),
            }),
        };
        let switch = |offset, size| FrameSpec {
            bar: 0,
            offset,
            size,
            model: ModelSpec::AxiStreamSwitch {
                master_ports: 2,
                slave_ports: 2,
            },
        };
        let user_access = |offset, size| FrameSpec {
            bar: 0,
            offset,
            size,
            model: ModelSpec::Gpio {
                channel1: GpioChannel::Inputs {
                    width: 32,
                    value: self.user_access_timestamp().unwrap_or(0),
                },
                channel2: GpioChannel::Absent,
            },
        };
        let xadc = ModelSpec::Xadc(self.xadc());
        let dma_bar = bar32(XDMA_BAR_SIZE, false);
        let mut bars: [Option<SimBarInfo>; 6] = [None; 6];
        let frames = match self {
            Design::DmaBlkram => {
                bars[0] = dma_bar;
                vec![xdma(0, 2, 0x12_0000)]
            }
            Design::I2cProbe | Design::Tosing160tQuadSpi => {
                bars[0] = bar64(0x4000);
                let mut f = vec![frame(0, 0x2000, self.quad_spi(256)), frame(0, 0x3000, xadc)];
                if self == Design::I2cProbe {
                    f.insert(0, frame(0, 0x1000, ModelSpec::Tef1001BitBangGpio));
                    f.insert(0, frame(0, 0x0000, ModelSpec::Tef1001Iic));
                }
                f
            }
            Design::Tosing160tDmaDdr3 | Design::NiteFuryDmaDdr3 => {
                bars[0] = bar64(0x4000);
                bars[2] = dma_bar;
                let fifo = if self == Design::Tosing160tDmaDdr3 {
                    16
                } else {
                    256
                };
                vec![
                    frame(0, 0x0000, self.quad_spi(fifo)),
                    frame(0, 0x1000, xadc),
                    user_access(0x2000, FRAME),
                    frame(0, 0x3000, ModelSpec::MigResetGpio),
                    xdma(2, 2, 0x4000_0000),
                ]
            }
            Design::LitefuryProject0 | Design::NitefuryProject0 => {
                bars[0] = bar64(0x2_0000);
                bars[2] = dma_bar;
                let tag = if self == Design::NitefuryProject0 {
                    NITE_TAG
                } else {
                    LITE_TAG
                };
                let memory = if self == Design::NitefuryProject0 {
                    0x4000_0000
                } else {
                    0x2000_0000
                };
                vec![
                    frame(
                        0,
                        0x0000,
                        ModelSpec::Gpio {
                            channel1: GpioChannel::Inputs {
                                width: 32,
                                value: tag,
                            },
                            channel2: GpioChannel::Inputs {
                                width: 32,
                                value: FURY_BOARD_VERSION,
                            },
                        },
                    ),
                    frame(
                        0,
                        0x1000,
                        ModelSpec::Gpio {
                            channel1: GpioChannel::Inputs {
                                width: 32,
                                value: 0,
                            },
                            channel2: GpioChannel::Absent,
                        },
                    ),
                    frame(
                        0,
                        0x2000,
                        ModelSpec::Gpio {
                            channel1: GpioChannel::Inputs {
                                width: 32,
                                value: 0,
                            },
                            channel2: GpioChannel::Outputs { width: 2 },
                        },
                    ),
                    frame(0, 0x3000, xadc),
                    frame(0, 0x1_0000, self.quad_spi(256)),
                    xdma(2, 1, memory),
                ]
            }
            Design::Tef1001DmaDdr3 | Design::Tef1001DmaStreamLoopback => {
                bars[0] = bar64(0x8000);
                bars[2] = dma_bar;
                let ddr3 = self == Design::Tef1001DmaDdr3;
                let mut f = vec![
                    frame(0, 0x0000, ModelSpec::Tef1001Iic),
                    frame(0, 0x1000, ModelSpec::Tef1001BitBangGpio),
                    frame(0, 0x2000, self.quad_spi(256)),
                    frame(0, 0x3000, xadc),
                    // The DDR3 design gives the user-access GPIO a 0x2000 range.
                    user_access(0x4000, if ddr3 { 0x2000 } else { FRAME }),
                ];
                if ddr3 {
                    f.push(frame(0, 0x6000, ModelSpec::MigResetGpio));
                    f.push(xdma(2, 2, 0x2_0000_0000));
                } else {
                    f.push(xdma(2, 2, 0));
                }
                f
            }
            Design::NiteFuryDmaStreamLoopback | Design::Tosing160tDmaStreamLoopback => {
                bars[0] = bar64(0x4000);
                bars[2] = dma_bar;
                let fifo = if self == Design::Tosing160tDmaStreamLoopback {
                    16
                } else {
                    256
                };
                vec![
                    frame(0, 0x0000, self.quad_spi(fifo)),
                    frame(0, 0x1000, xadc),
                    user_access(0x2000, FRAME),
                    xdma(2, 2, 0),
                ]
            }
            // designs_after_seed.md §1.2: BAR 0 32 KiB; the user-access GPIO decodes
            // 0x4000-0x7FFF (fixed-data, CRC64) or 0x4000-0x5FFF with the switch at 0x6000.
            Design::Tef1001DmaStreamFixedData
            | Design::Tef1001DmaStreamCrc64
            | Design::Tef1001DmaStreamLoopbackRev1 => {
                bars[0] = bar64(0x8000);
                bars[2] = dma_bar;
                let with_switch = self == Design::Tef1001DmaStreamLoopbackRev1;
                let mut f = vec![
                    frame(0, 0x0000, ModelSpec::Tef1001Iic),
                    frame(0, 0x1000, ModelSpec::Tef1001BitBangGpio),
                    frame(0, 0x2000, self.quad_spi(256)),
                    frame(0, 0x3000, xadc),
                    user_access(0x4000, if with_switch { 0x2000 } else { 0x4000 }),
                ];
                if with_switch {
                    f.push(switch(0x6000, 0x2000));
                }
                f.push(stream_xdma);
                f
            }
            // BAR 0 16 KiB; the user-access GPIO decodes 0x2000-0x3FFF unless the switch
            // sits at 0x3000.
            Design::NiteFuryDmaStreamFixedData
            | Design::Tosing160tDmaStreamFixedData
            | Design::Tosing160tDmaStreamCrc64
            | Design::NiteFuryDmaStreamCrc64
            | Design::NiteFuryDmaStreamLoopbackRev1
            | Design::Tosing160tDmaStreamLoopbackRev1 => {
                bars[0] = bar64(0x4000);
                bars[2] = dma_bar;
                let fifo = if self.carrier() == Carrier::Tosing160t {
                    16
                } else {
                    256
                };
                let with_switch = self.stream_user_logic() == StreamUserLogic::Switch;
                let mut f = vec![
                    frame(0, 0x0000, self.quad_spi(fifo)),
                    frame(0, 0x1000, xadc),
                    user_access(0x2000, if with_switch { FRAME } else { 0x2000 }),
                ];
                if with_switch {
                    f.push(switch(0x3000, FRAME));
                }
                f.push(stream_xdma);
                f
            }
            // designs_after_seed.md §1.2 / §4.7: axi_pcie, one 16 KiB 64-bit BAR, no DMA
            // engine of its own; the AXI DMA reaches the DDR3, not the host.
            Design::Tef1001Ddr3Throughput => {
                bars[0] = bar64(0x4000);
                vec![
                    frame(0, 0x0000, xadc),
                    user_access(0x1000, FRAME),
                    FrameSpec {
                        bar: 0,
                        offset: 0x2000,
                        size: 0x2000,
                        model: ModelSpec::AxiDma,
                    },
                ]
            }
            Design::MemmappedBlkram | Design::MemmappedBlkram32bitBars => {
                // BRAM at AXI 0x0 (1 MiB), 0x100000 (128 KiB), 0x120000 (64 KiB).
                let regions = [
                    (0x10_0000, 0x0),
                    (0x2_0000, 0x10_0000),
                    (0x1_0000, 0x12_0000),
                ];
                let wide = self == Design::MemmappedBlkram;
                regions
                    .iter()
                    .enumerate()
                    .map(|(i, &(size, axi_address))| {
                        let bar = if wide { 2 * i as u8 } else { i as u8 };
                        bars[bar as usize] = if wide {
                            bar64(size)
                        } else {
                            bar32(size, false)
                        };
                        FrameSpec {
                            bar,
                            offset: 0,
                            size,
                            model: ModelSpec::BlockRam { axi_address },
                        }
                    })
                    .collect()
            }
        };
        BoardSpec {
            name: self.name().to_string(),
            identity: self.identity(),
            revision: self.revision(),
            bars,
            frames,
            home: self.home(),
            link_capability: LinkWidthSpeed::GEN2_X4,
            link: LinkChoice::Design,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_encoding_matches_the_captured_values() {
        assert_eq!(usr_access(24, 2, 2024, 16, 16, 19), 0xC131_0413);
        assert_eq!(usr_access(24, 2, 2024, 16, 41, 27), 0xC131_0A5B);
    }

    #[test]
    fn names_resolve_case_insensitively() {
        assert_eq!(
            Design::from_name("tef1001_DMA_ddr3"),
            Some(Design::Tef1001DmaDdr3)
        );
        assert_eq!(
            Design::from_name("Nitefury Project-0"),
            Some(Design::NitefuryProject0)
        );
        assert_eq!(
            Design::from_name("dma_blkram (TEF1001)"),
            Some(Design::DmaBlkram)
        );
        assert_eq!(Design::from_name("nope"), None);
        for d in Design::ALL {
            assert_eq!(Design::from_name(d.name()), Some(d));
        }
    }

    #[test]
    fn frames_fit_their_bars_and_do_not_overlap() {
        for d in Design::ALL {
            let s = d.spec();
            for (i, f) in s.frames.iter().enumerate() {
                let bar =
                    s.bars[f.bar as usize].unwrap_or_else(|| panic!("{d:?} frame in absent BAR"));
                assert!(
                    f.offset + f.size <= bar.size,
                    "{d:?} frame at 0x{:x}",
                    f.offset
                );
                for g in &s.frames[i + 1..] {
                    assert!(
                        g.bar != f.bar
                            || g.offset >= f.offset + f.size
                            || f.offset >= g.offset + g.size,
                        "{d:?} overlap"
                    );
                }
            }
        }
    }
}
