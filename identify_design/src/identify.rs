//! Identification of the design in an opened device (fact sheet section 3.3). Only the
//! Fury Project-0 GPIO words are read; every other design is known from its PCI ids.

use vfio_access::Device;

use crate::axi_gpio;
use crate::designs::{DesignInfo, DESIGNS, FURY_GPIO0};
use crate::record::{Frame, IdentifiedDesign};

/// Records `frame` only if it fits in the device's BAR (else the peripheral is absent).
fn present(device: &Device, frame: Option<Frame>) -> Option<Frame> {
    frame.filter(|f| f.mmio(device).is_some())
}

fn try_design(info: &DesignInfo, device: &Device, device_index: usize) -> Option<IdentifiedDesign> {
    if !info.filter.matches(&device.identity()) {
        return None;
    }
    let board_version = match info.fury_tag {
        None => None,
        Some(tag) => {
            let gpio0 = FURY_GPIO0.mmio(device)?;
            if gpio0.read32(axi_gpio::CHANNEL1_DATA) != tag {
                return None;
            }
            Some(gpio0.read32(axi_gpio::CHANNEL2_DATA))
        }
    };
    let l = info.layout;
    // designs_after_seed.md §1.1: the revision decides whether the switch exists.
    let revision = device.config_read8(0x08).unwrap_or(0);
    let axi_stream_switch = l
        .axi_stream_switch
        .filter(|s| revision >= s.min_revision && s.frame.mmio(device).is_some());
    Some(IdentifiedDesign {
        design: info.id,
        location: device.location(),
        iommu_group: device.iommu_group(),
        device_index,
        dma: l.dma,
        quad_spi: present(device, l.quad_spi),
        xadc: present(device, l.xadc),
        iic: present(device, l.iic),
        bit_banged_i2c_gpio: present(device, l.bit_banged_i2c_gpio),
        user_access: present(device, l.user_access),
        board_version,
        revision,
        axi_stream_switch,
        crc64_stream_width_bytes: info.crc64_stream_width_bytes,
    })
}

/// The design in `device`, trying the table in order; None when no entry accepts it
/// (e.g. a 10ee:7011 device whose GPIO tag is neither `NITE` nor `LITE`).
pub fn identify_device(device: &Device, device_index: usize) -> Option<IdentifiedDesign> {
    DESIGNS
        .iter()
        .find_map(|info| try_design(info, device, device_index))
}

/// Every identified design among `devices`, in device order. Unlike the original there is
/// no limit of four devices.
pub fn identify_devices(devices: &[Device]) -> Vec<IdentifiedDesign> {
    devices
        .iter()
        .enumerate()
        .filter_map(|(i, d)| identify_device(d, i))
        .collect()
}
