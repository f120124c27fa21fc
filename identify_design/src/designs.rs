//! The FPGA designs the library identifies (xadc_and_identify.md §2.2/2.3 and, for the
//! designs added later, designs_after_seed.md §1), as data in one place: identity filter,
//! DMA bridge, where each peripheral frame sits, the AXI4-Stream Switch of revision >= 1
//! loopback designs, the CRC64 stream width and the default stream routing.

use vfio_access::{DmaCapability, IdMatch, IdentityFilter};

use crate::record::{DmaBridge, Frame, StreamSwitch};

/// The identified designs, in matching order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DesignId {
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
    Tef1001DmaStreamFixedData,
    NiteFuryDmaStreamFixedData,
    Tosing160tDmaStreamFixedData,
    Tef1001Ddr3Throughput,
    Tef1001DmaStreamCrc64,
    Tosing160tDmaStreamCrc64,
    NiteFuryDmaStreamCrc64,
}

/// Where a design's blocks sit; `None` means the design has no such block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub dma: Option<DmaBridge>,
    pub quad_spi: Option<Frame>,
    pub xadc: Option<Frame>,
    pub iic: Option<Frame>,
    pub bit_banged_i2c_gpio: Option<Frame>,
    pub user_access: Option<Frame>,
    /// The AXI4-Stream Switch, present only from `min_revision` of the design.
    pub axi_stream_switch: Option<StreamSwitch>,
}

/// One entry of the design table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DesignInfo {
    pub id: DesignId,
    /// The display name printed by the tools.
    pub name: &'static str,
    /// The FPGA part the design is built for (the first entry when a sub-device id is
    /// shared, e.g. i2c_probe on TEF1001); bitstreams for it must carry its IDCODE.
    pub fpga_part: &'static str,
    pub filter: IdentityFilter,
    pub layout: Layout,
    /// Fury Project-0: the GPIO 0 tag (BAR 0 offset 0) that must be read to accept it.
    pub fury_tag: Option<u32>,
    /// CRC64 designs: bytes per stream beat (the packet-length granularity); 0 otherwise.
    pub crc64_stream_width_bytes: u32,
    /// Default stream routing as `(master_port, slave_port)` = (C2H, H2C), in table order;
    /// empty when the design has none (designs_after_seed.md §2.5).
    pub default_routes: &'static [(u8, u8)],
}

pub const XILINX_VENDOR_ID: u16 = 0x10EE;
pub const IN_HOUSE_SUBSYSTEM_VENDOR_ID: u16 = 0x0002;
pub const FURY_DEVICE_ID: u16 = 0x7011;
/// `NITE` and `LITE`, most significant byte first.
pub const NITE_TAG: u32 = 0x4E49_5445;
pub const LITE_TAG: u32 = 0x4C49_5445;
/// Subsystem device id of memmapped_blkram (not an identified design; its tool finds it).
pub const MEMMAPPED_BLKRAM_SUBSYSTEM_ID: u16 = 0x0001;

const fn in_house(sub_device: u16, dma: DmaCapability) -> IdentityFilter {
    IdentityFilter {
        vendor_id: IdMatch::Value(XILINX_VENDOR_ID),
        device_id: IdMatch::Any,
        subsystem_vendor_id: IdMatch::Value(IN_HOUSE_SUBSYSTEM_VENDOR_ID),
        subsystem_device_id: IdMatch::Value(sub_device),
        dma_capability: dma,
    }
}

const FURY_FILTER: IdentityFilter = IdentityFilter {
    vendor_id: IdMatch::Value(XILINX_VENDOR_ID),
    device_id: IdMatch::Value(FURY_DEVICE_ID),
    subsystem_vendor_id: IdMatch::Value(0),
    subsystem_device_id: IdMatch::Value(0),
    dma_capability: DmaCapability::A64,
};

const fn at(offset: u64) -> Option<Frame> {
    Some(Frame { bar: 0, offset })
}

const fn dma(bar: u8, memory_size: u64) -> Option<DmaBridge> {
    Some(DmaBridge {
        bar,
        memory_size,
        memory_base_address: 0,
    })
}

const NONE: Layout = Layout {
    dma: None,
    quad_spi: None,
    xadc: None,
    iic: None,
    bit_banged_i2c_gpio: None,
    user_access: None,
    axi_stream_switch: None,
};

/// The stream-loopback designs' switch (revision >= 1): 2 master x 2 slave ports.
const fn switch_at(offset: u64) -> Option<StreamSwitch> {
    Some(StreamSwitch {
        frame: Frame { bar: 0, offset },
        master_ports: 2,
        slave_ports: 2,
        min_revision: 1,
    })
}

/// Loopback defaults: master 0 <- slave 1, master 1 <- slave 0 (the seed's fixed wiring).
const LOOPBACK_ROUTES: &[(u8, u8)] = &[(0, 1), (1, 0)];
/// CRC64 defaults: master n <- slave n (no switch exists; names the channel pairs).
const CRC64_ROUTES: &[(u8, u8)] = &[(0, 0), (1, 1)];
/// Width of the CRC64 designs' stream (designs_after_seed.md §1.2).
const CRC64_WIDTH_7_SERIES: u32 = 16;

/// TEF1001 in-house designs: IIC 0x0, bit-banged GPIO 0x1000, Quad SPI 0x2000, XADC
/// 0x3000, user access 0x4000, DMA BAR 2.
const fn tef1001(memory_size: u64) -> Layout {
    Layout {
        dma: dma(2, memory_size),
        quad_spi: at(0x2000),
        xadc: at(0x3000),
        iic: at(0x0000),
        bit_banged_i2c_gpio: at(0x1000),
        user_access: at(0x4000),
        axi_stream_switch: None,
    }
}

/// NiteFury and TOSING in-house designs: Quad SPI 0x0, XADC 0x1000, user access 0x2000.
const fn small_bar(memory_size: u64) -> Layout {
    Layout {
        dma: dma(2, memory_size),
        quad_spi: at(0x0000),
        xadc: at(0x1000),
        user_access: at(0x2000),
        ..NONE
    }
}

const fn fury(memory_size: u64) -> Layout {
    Layout {
        dma: dma(2, memory_size),
        quad_spi: at(0x1_0000),
        xadc: at(0x3000),
        ..NONE
    }
}

/// The design table, in matching order.
pub const DESIGNS: [DesignInfo; 17] = [
    DesignInfo {
        id: DesignId::DmaBlkram,
        name: "dma_blkram (TEF1001)",
        fpga_part: "xc7k160tfbg676-2",
        filter: in_house(0x0003, DmaCapability::A64),
        layout: Layout {
            dma: dma(0, 0x12_0000),
            ..NONE
        },
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::I2cProbe,
        name: "i2c_probe (TEF1001) or TOSING_160T_quad_spi",
        fpga_part: "xc7k160tfbg676-2",
        filter: in_house(0x0002, DmaCapability::None),
        layout: Layout {
            quad_spi: at(0x2000),
            xadc: at(0x3000),
            iic: at(0x0000),
            bit_banged_i2c_gpio: at(0x1000),
            ..NONE
        },
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::Tosing160tDmaDdr3,
        name: "TOSING_160T_dma_ddr3",
        fpga_part: "xc7k160tffg676-2",
        filter: in_house(0x0004, DmaCapability::A64),
        layout: small_bar(0x4000_0000),
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::LitefuryProject0,
        name: "Litefury Project-0",
        fpga_part: "xc7a100tfgg484-2",
        filter: FURY_FILTER,
        layout: fury(0x2000_0000),
        fury_tag: Some(LITE_TAG),
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::NitefuryProject0,
        name: "Nitefury Project-0",
        fpga_part: "xc7a200tfbg484-2",
        filter: FURY_FILTER,
        layout: fury(0x4000_0000),
        fury_tag: Some(NITE_TAG),
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::Tef1001DmaDdr3,
        name: "TEF1001_dma_ddr3",
        fpga_part: "xc7k160tfbg676-2",
        filter: in_house(0x0005, DmaCapability::A64),
        layout: tef1001(0x2_0000_0000),
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::NiteFuryDmaDdr3,
        name: "NiteFury_dma_ddr3",
        fpga_part: "xc7a200tfbg484-2",
        filter: in_house(0x0006, DmaCapability::A64),
        layout: small_bar(0x4000_0000),
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::Tef1001DmaStreamLoopback,
        name: "TEF1001_dma_stream_loopback",
        fpga_part: "xc7k160tfbg676-2",
        filter: in_house(0x0007, DmaCapability::A64),
        layout: Layout {
            axi_stream_switch: switch_at(0x6000),
            ..tef1001(0)
        },
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: LOOPBACK_ROUTES,
    },
    DesignInfo {
        id: DesignId::NiteFuryDmaStreamLoopback,
        name: "NiteFury_dma_stream_loopback",
        fpga_part: "xc7a200tfbg484-2",
        filter: in_house(0x0008, DmaCapability::A64),
        layout: Layout {
            axi_stream_switch: switch_at(0x3000),
            ..small_bar(0)
        },
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: LOOPBACK_ROUTES,
    },
    DesignInfo {
        id: DesignId::Tosing160tDmaStreamLoopback,
        name: "TOSING_160T_dma_stream_loopback",
        fpga_part: "xc7k160tffg676-2",
        filter: in_house(0x0009, DmaCapability::A64),
        layout: Layout {
            axi_stream_switch: switch_at(0x3000),
            ..small_bar(0)
        },
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: LOOPBACK_ROUTES,
    },
    DesignInfo {
        id: DesignId::Tef1001DmaStreamFixedData,
        name: "TEF1001_dma_stream_fixed_data",
        fpga_part: "xc7k160tfbg676-2",
        filter: in_house(0x0011, DmaCapability::A64),
        layout: tef1001(0),
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::NiteFuryDmaStreamFixedData,
        name: "NiteFury_dma_stream_fixed_data",
        fpga_part: "xc7a200tfbg484-2",
        filter: in_house(0x0012, DmaCapability::A64),
        layout: small_bar(0),
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::Tosing160tDmaStreamFixedData,
        name: "TOSING_160T_dma_stream_fixed_data",
        fpga_part: "xc7k160tffg676-2",
        filter: in_house(0x0013, DmaCapability::A64),
        layout: small_bar(0),
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    // axi_pcie without a DMA engine: opened without bus mastering; its AXI DMA
    // (BAR 0 0x2000) is not recorded (designs_after_seed.md §1.2).
    DesignInfo {
        id: DesignId::Tef1001Ddr3Throughput,
        name: "TEF1001_ddr3_throughput",
        fpga_part: "xc7k160tfbg676-2",
        filter: in_house(0x0015, DmaCapability::None),
        layout: Layout {
            xadc: at(0x0000),
            user_access: at(0x1000),
            ..NONE
        },
        fury_tag: None,
        crc64_stream_width_bytes: 0,
        default_routes: &[],
    },
    DesignInfo {
        id: DesignId::Tef1001DmaStreamCrc64,
        name: "TEF1001_dma_stream_crc64",
        fpga_part: "xc7k160tfbg676-2",
        filter: in_house(0x0017, DmaCapability::A64),
        layout: tef1001(0),
        fury_tag: None,
        crc64_stream_width_bytes: CRC64_WIDTH_7_SERIES,
        default_routes: CRC64_ROUTES,
    },
    DesignInfo {
        id: DesignId::Tosing160tDmaStreamCrc64,
        name: "TOSING_160T_dma_stream_crc64",
        fpga_part: "xc7k160tffg676-2",
        filter: in_house(0x0018, DmaCapability::A64),
        layout: small_bar(0),
        fury_tag: None,
        crc64_stream_width_bytes: CRC64_WIDTH_7_SERIES,
        default_routes: CRC64_ROUTES,
    },
    DesignInfo {
        id: DesignId::NiteFuryDmaStreamCrc64,
        name: "NiteFury_dma_stream_crc64",
        fpga_part: "xc7a200tfbg484-2",
        filter: in_house(0x0019, DmaCapability::A64),
        layout: small_bar(0),
        fury_tag: None,
        crc64_stream_width_bytes: CRC64_WIDTH_7_SERIES,
        default_routes: CRC64_ROUTES,
    },
];

impl DesignId {
    pub fn info(self) -> &'static DesignInfo {
        // DESIGNS holds every id exactly once, in declaration order.
        &DESIGNS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// CRC64 stream designs (a non-zero tdata width).
    pub fn is_crc64(self) -> bool {
        self.info().crc64_stream_width_bytes != 0
    }

    /// Fury Project-0 designs (board version, M.2 LED GPIO).
    pub fn is_fury_project0(self) -> bool {
        matches!(
            self,
            DesignId::LitefuryProject0 | DesignId::NitefuryProject0
        )
    }
}

/// The identity filters used to open devices, one per design (the Fury entries share one).
pub fn design_filters() -> Vec<IdentityFilter> {
    DESIGNS.iter().map(|d| d.filter).collect()
}

/// Fury Project-0 GPIO 2 (channel 2 bit 1 drives the M.2 LED).
pub const FURY_GPIO2: Frame = Frame {
    bar: 0,
    offset: 0x2000,
};
/// Fury Project-0 GPIO 0 (tag and board version).
pub const FURY_GPIO0: Frame = Frame { bar: 0, offset: 0 };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_id() {
        for (i, d) in DESIGNS.iter().enumerate() {
            assert_eq!(d.id as usize, i);
        }
        assert_eq!(DesignId::NitefuryProject0.name(), "Nitefury Project-0");
    }
}
