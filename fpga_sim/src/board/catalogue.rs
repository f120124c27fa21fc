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

use vfio_access::sim::SimBarInfo;
use vfio_access::{PciIdentity, PciLocation};

use super::spec::{BoardSpec, FrameSpec, ModelSpec};
use crate::gpio::GpioChannel;
use crate::quad_spi::FlashPart;
use crate::xadc::{SensorProfile, XadcCalibration, XadcConfig};
use crate::xdma::{XdmaConfig, XDMA_BAR_SIZE};

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
    pub const ALL: [Design; 13] = [
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
            | Design::MemmappedBlkram32bitBars => Carrier::Tef1001,
            Design::NitefuryProject0
            | Design::NiteFuryDmaDdr3
            | Design::NiteFuryDmaStreamLoopback => Carrier::NiteFury,
            Design::LitefuryProject0 => Carrier::LiteFury,
            Design::Tosing160tDmaDdr3
            | Design::Tosing160tDmaStreamLoopback
            | Design::Tosing160tQuadSpi => Carrier::Tosing160t,
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
            _ => None,
        }
    }

    fn xadc(self) -> XadcConfig {
        let c = self.carrier();
        match self {
            Design::LitefuryProject0 | Design::NitefuryProject0 => {
                XadcConfig::single_channel_temperature(c.calibration(), c.sensors())
            }
            Design::NiteFuryDmaDdr3 | Design::NiteFuryDmaStreamLoopback => {
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
            Design::Tef1001DmaStreamLoopback => 0x0007,
            Design::NiteFuryDmaStreamLoopback => 0x0008,
            Design::Tosing160tDmaStreamLoopback => 0x0009,
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
            }),
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
            revision: 0,
            bars,
            frames,
            home: self.home(),
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
