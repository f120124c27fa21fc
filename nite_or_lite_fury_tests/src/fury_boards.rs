//! The Fury Project-0 boards among the identified designs.

use identify_design::{DesignId, IdentifiedDesign, OpenedDesigns};
use vfio_access::Device;

/// `LiteFury` or `NiteFury`, the board names the 2023 programs printed.
pub fn board_name(design: DesignId) -> &'static str {
    match design {
        DesignId::LitefuryProject0 => "LiteFury",
        _ => "NiteFury",
    }
}

/// The identified Fury Project-0 designs with their devices.
pub fn fury_designs(opened: &OpenedDesigns) -> impl Iterator<Item = (&IdentifiedDesign, &Device)> {
    opened.iter().filter(|(d, _)| d.design.is_fury_project0())
}
