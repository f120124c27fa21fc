//! Where simulated non-volatile state (flash contents, persistent block RAM) lives, so a
//! write in one process is seen by the next.
//!
//! `FPGA_SIO_SIM_DIR` if set, else `$XDG_CACHE_HOME/fpga_sio/sim`, else
//! `$HOME/.cache/fpga_sio/sim`, else `<temp dir>/fpga_sio/sim`.

use std::path::PathBuf;

use vfio_access::PciLocation;

pub const SIM_DIR_ENV: &str = "FPGA_SIO_SIM_DIR";

pub fn sim_state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os(SIM_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("fpga_sio/sim");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(h).join(".cache/fpga_sio/sim");
    }
    std::env::temp_dir().join("fpga_sio/sim")
}

/// The file holding one kind of state of the board `design` at `location`, e.g.
/// `<dir>/NiteFury_dma_stream_loopback@0000-30-00.0.flash`.
pub fn board_state_file(design: &str, location: PciLocation, kind: &str) -> PathBuf {
    let loc = location.to_string().replace(':', "-");
    let safe: String = design
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    sim_state_dir().join(format!("{safe}@{loc}.{kind}"))
}
