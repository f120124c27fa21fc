//! Identity filters: which PCI functions a tool wants, and the DMA capability to open them with.

use std::fmt;

/// One 16-bit id field of a filter: a value or "any".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdMatch {
    Any,
    Value(u16),
}

impl IdMatch {
    pub fn matches(self, id: u16) -> bool {
        match self {
            IdMatch::Any => true,
            IdMatch::Value(v) => v == id,
        }
    }
}

/// What DMA addresses a device can generate. Decides bus-master enable and IOVA placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DmaCapability {
    /// No DMA: bus mastering is not enabled.
    None,
    /// The device can only generate addresses below 4 GiB.
    A32,
    /// The device can generate 64-bit addresses.
    A64,
    /// The device can only generate addresses below `1 << bits` (e.g. QEMU's `edu`: 28).
    Bits(u8),
}

impl DmaCapability {
    /// Highest IOVA (inclusive) the device can reach, or None when it does no DMA.
    pub fn max_iova(self) -> Option<u64> {
        match self {
            DmaCapability::None => None,
            DmaCapability::A32 => Some(0xffff_ffff),
            DmaCapability::A64 => Some(u64::MAX),
            DmaCapability::Bits(b) if b >= 64 => Some(u64::MAX),
            DmaCapability::Bits(b) => Some((1u64 << b) - 1),
        }
    }

    pub fn does_dma(self) -> bool {
        self != DmaCapability::None
    }
}

impl fmt::Display for DmaCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DmaCapability::None => write!(f, "none"),
            DmaCapability::A32 => write!(f, "32-bit"),
            DmaCapability::A64 => write!(f, "64-bit"),
            DmaCapability::Bits(b) => write!(f, "{b}-bit"),
        }
    }
}

/// The PCI identity of a function as seen by the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PciIdentity {
    pub vendor_id: u16,
    pub device_id: u16,
    pub subsystem_vendor_id: u16,
    pub subsystem_device_id: u16,
}

/// One identity filter: four id fields and the DMA capability to attach on a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityFilter {
    pub vendor_id: IdMatch,
    pub device_id: IdMatch,
    pub subsystem_vendor_id: IdMatch,
    pub subsystem_device_id: IdMatch,
    pub dma_capability: DmaCapability,
}

impl IdentityFilter {
    /// A filter on vendor and device only.
    pub const fn vendor_device(vendor: u16, device: u16, dma: DmaCapability) -> Self {
        Self {
            vendor_id: IdMatch::Value(vendor),
            device_id: IdMatch::Value(device),
            subsystem_vendor_id: IdMatch::Any,
            subsystem_device_id: IdMatch::Any,
            dma_capability: dma,
        }
    }

    pub fn matches(&self, id: &PciIdentity) -> bool {
        self.vendor_id.matches(id.vendor_id)
            && self.device_id.matches(id.device_id)
            && self.subsystem_vendor_id.matches(id.subsystem_vendor_id)
            && self.subsystem_device_id.matches(id.subsystem_device_id)
    }
}

/// The first filter that matches wins and gives the DMA capability.
pub fn first_match(filters: &[IdentityFilter], id: &PciIdentity) -> Option<DmaCapability> {
    filters
        .iter()
        .find(|f| f.matches(id))
        .map(|f| f.dma_capability)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XDMA: PciIdentity = PciIdentity {
        vendor_id: 0x10ee,
        device_id: 0x7024,
        subsystem_vendor_id: 0x0002,
        subsystem_device_id: 0x0007,
    };

    #[test]
    fn first_matching_filter_gives_capability() {
        let filters = [
            IdentityFilter {
                vendor_id: IdMatch::Value(0x10ee),
                device_id: IdMatch::Any,
                subsystem_vendor_id: IdMatch::Value(2),
                subsystem_device_id: IdMatch::Value(2),
                dma_capability: DmaCapability::None,
            },
            IdentityFilter {
                vendor_id: IdMatch::Value(0x10ee),
                device_id: IdMatch::Any,
                subsystem_vendor_id: IdMatch::Value(2),
                subsystem_device_id: IdMatch::Value(7),
                dma_capability: DmaCapability::A64,
            },
            IdentityFilter::vendor_device(0x10ee, 0x7024, DmaCapability::A32),
        ];
        assert_eq!(first_match(&filters, &XDMA), Some(DmaCapability::A64));
        let other = PciIdentity {
            subsystem_device_id: 9,
            ..XDMA
        };
        assert_eq!(first_match(&filters, &other), Some(DmaCapability::A32));
        let foreign = PciIdentity {
            vendor_id: 0x1af4,
            ..XDMA
        };
        assert_eq!(first_match(&filters, &foreign), None);
    }

    #[test]
    fn dma_limits() {
        assert_eq!(DmaCapability::Bits(28).max_iova(), Some(0x0fff_ffff));
        assert_eq!(DmaCapability::A32.max_iova(), Some(0xffff_ffff));
        assert_eq!(DmaCapability::None.max_iova(), None);
        assert!(!DmaCapability::None.does_dma());
    }
}
