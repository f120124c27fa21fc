//! PCI-SIG vendor names for the JC-42.4 manufacturer ID register.
//!
//! The original looked the ID up in the system PCI ID database. This crate carries a small
//! table of the vendors that make JC-42.4 sensors / SPD hubs (names spelled as in pci.ids);
//! callers with access to a full database can pass their own lookup to
//! [`crate::decode::jc42::render_with_vendor_lookup`].

/// Vendor name as spelled in the PCI ID database, for the IDs this crate knows.
pub fn builtin_vendor_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x104a => "STMicroelectronics",
        0x104c => "Texas Instruments",
        0x10ee => "Xilinx Corporation",
        0x1114 => "Atmel Corporation",
        0x1131 => "Philips Semiconductors",
        0x11d4 => "Analog Devices, Inc.",
        _ => return None,
    })
}
