//! Register map of the AXI4-Stream Switch control interface (designs_after_seed.md §2.2).

/// Control: bit 1 REG_UPDATE commits the MI_MUX values (self-clearing).
pub const CONTROL: u64 = 0x000;
/// The only value software writes to Control.
pub const CONTROL_REG_UPDATE: u32 = 0x2;
/// MI_MUX[m] is at `MI_MUX_BASE + 4 * m`.
pub const MI_MUX_BASE: u64 = 0x040;
/// MI_MUX bit 31: master port explicitly disabled.
pub const MI_MUX_DISABLE: u32 = 0x8000_0000;
/// MI_MUX bits 3:0: the slave port routed to the master.
pub const MI_MUX_SLAVE_MASK: u32 = 0xF;
/// The IP has at most 16 master and 16 slave interfaces.
pub const MAX_PORTS: u8 = 16;

/// Byte offset of MI_MUX[master_port].
pub const fn mi_mux(master_port: u8) -> u64 {
    MI_MUX_BASE + 4 * master_port as u64
}
