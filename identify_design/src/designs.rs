//! The FPGA designs the library identifies (fact sheet 2.2/2.3), as data in one place:
//! identity filter, DMA bridge and where each peripheral frame sits.

use vfio_access::{DmaCapability, IdMatch, IdentityFilter};

use crate::record::{DmaBridge, Frame};

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
    Some(DmaBridge { bar, memory_size })
}

const NONE: Layout = Layout {
    dma: None,
    quad_spi: None,
    xadc: None,
    iic: None,
    bit_banged_i2c_gpio: None,
    user_access: None,
};

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
pub const DESIGNS: [DesignInfo; 10] = [
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
    },
    DesignInfo {
        id: DesignId::Tosing160tDmaDdr3,
        name: "TOSING_160T_dma_ddr3",
        fpga_part: "xc7k160tffg676-2",
        filter: in_house(0x0004, DmaCapability::A64),
        layout: small_bar(0x4000_0000),
        fury_tag: None,
    },
    DesignInfo {
        id: DesignId::LitefuryProject0,
        name: "Litefury Project-0",
        fpga_part: "xc7a100tfgg484-2",
        filter: FURY_FILTER,
        layout: fury(0x2000_0000),
        fury_tag: Some(LITE_TAG),
    },
    DesignInfo {
        id: DesignId::NitefuryProject0,
        name: "Nitefury Project-0",
        fpga_part: "xc7a200tfbg484-2",
        filter: FURY_FILTER,
        layout: fury(0x4000_0000),
        fury_tag: Some(NITE_TAG),
    },
    DesignInfo {
        id: DesignId::Tef1001DmaDdr3,
        name: "TEF1001_dma_ddr3",
        fpga_part: "xc7k160tfbg676-2",
        filter: in_house(0x0005, DmaCapability::A64),
        layout: tef1001(0x2_0000_0000),
        fury_tag: None,
    },
    DesignInfo {
        id: DesignId::NiteFuryDmaDdr3,
        name: "NiteFury_dma_ddr3",
        fpga_part: "xc7a200tfbg484-2",
        filter: in_house(0x0006, DmaCapability::A64),
        layout: small_bar(0x4000_0000),
        fury_tag: None,
    },
    DesignInfo {
        id: DesignId::Tef1001DmaStreamLoopback,
        name: "TEF1001_dma_stream_loopback",
        fpga_part: "xc7k160tfbg676-2",
        filter: in_house(0x0007, DmaCapability::A64),
        layout: tef1001(0),
        fury_tag: None,
    },
    DesignInfo {
        id: DesignId::NiteFuryDmaStreamLoopback,
        name: "NiteFury_dma_stream_loopback",
        fpga_part: "xc7a200tfbg484-2",
        filter: in_house(0x0008, DmaCapability::A64),
        layout: small_bar(0),
        fury_tag: None,
    },
    DesignInfo {
        id: DesignId::Tosing160tDmaStreamLoopback,
        name: "TOSING_160T_dma_stream_loopback",
        fpga_part: "xc7k160tffg676-2",
        filter: in_house(0x0009, DmaCapability::A64),
        layout: small_bar(0),
        fury_tag: None,
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
