//! Model of the Xilinx AXI4-Stream Switch (PG085) with register-controlled routing, as in
//! the revision >= 1 stream-loopback designs (designs_after_seed.md §2.2, §2.10).
//!
//! - MI_MUX[m] (0x040 + 4m): bits 3:0 slave, bit 31 disabled; double-buffered, taking effect
//!   when Control bit 1 (REG_UPDATE) is written. Reads return the last value written (the
//!   sheet leaves shadow-or-committed open; this model returns the shadow, which equals the
//!   committed value whenever software commits right after writing, as it always does).
//! - Reset (board open, VFIO reset, close): every MI_MUX = 0x8000_0000, committed routing
//!   all disabled (the slave bits after reset are not determined; the model uses 0).
//! - Data (used by the XDMA model): H2C s reaches C2H m when committed MI_MUX[m] enables
//!   slave s; when several enabled masters select the same slave the lowest wins. A slave
//!   number beyond the switch's slave ports selects nothing.
//! - Other offsets read 0 and ignore writes (the frame is fully decoded, so probing it is
//!   harmless).

use std::sync::Mutex;

use vfio_access::mmio::AccessWidth;

use crate::peripheral::Peripheral;

pub const CONTROL: u64 = 0x000;
pub const CONTROL_REG_UPDATE: u32 = 0x2;
pub const MI_MUX_BASE: u64 = 0x040;
pub const MI_MUX_DISABLE: u32 = 0x8000_0000;
const MI_MUX_SLAVE_MASK: u32 = 0xF;
/// The IP's largest configuration.
pub const MAX_PORTS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Registers {
    written: [u32; MAX_PORTS],
    committed: [u32; MAX_PORTS],
    commits: u64,
}

impl Registers {
    const RESET: Registers = Registers {
        written: [MI_MUX_DISABLE; MAX_PORTS],
        committed: [MI_MUX_DISABLE; MAX_PORTS],
        commits: 0,
    };
}

pub struct AxiStreamSwitchModel {
    master_ports: usize,
    slave_ports: usize,
    regs: Mutex<Registers>,
}

impl AxiStreamSwitchModel {
    /// A switch with `master_ports` outputs and `slave_ports` inputs (each 1..=16), in its
    /// reset state.
    pub fn new(master_ports: u8, slave_ports: u8) -> Self {
        Self {
            master_ports: usize::from(master_ports).clamp(1, MAX_PORTS),
            slave_ports: usize::from(slave_ports).clamp(1, MAX_PORTS),
            regs: Mutex::new(Registers::RESET),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registers> {
        self.regs.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn master_ports(&self) -> usize {
        self.master_ports
    }

    pub fn slave_ports(&self) -> usize {
        self.slave_ports
    }

    /// The master port carrying slave `slave` under the committed routing, if any.
    pub fn master_for_slave(&self, slave: usize) -> Option<usize> {
        let regs = self.lock();
        (0..self.master_ports)
            .find(|&m| {
                let v = regs.committed[m];
                v & MI_MUX_DISABLE == 0 && (v & MI_MUX_SLAVE_MASK) as usize == slave
            })
            .filter(|_| slave < self.slave_ports)
    }

    /// The committed routing, one entry per master port: the slave it carries, None when
    /// disabled (or losing a duplicate slave to a lower master).
    pub fn committed_routes(&self) -> Vec<Option<usize>> {
        (0..self.master_ports)
            .map(|m| {
                let v = self.lock().committed[m];
                let slave = (v & MI_MUX_SLAVE_MASK) as usize;
                (v & MI_MUX_DISABLE == 0 && self.master_for_slave(slave) == Some(m))
                    .then_some(slave)
            })
            .collect()
    }

    /// REG_UPDATE writes since the last reset (each is a soft reset of the switch).
    pub fn commits(&self) -> u64 {
        self.lock().commits
    }
}

impl Peripheral for AxiStreamSwitchModel {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        if width != AccessWidth::U32 {
            return 0;
        }
        let regs = self.lock();
        match offset {
            o if (MI_MUX_BASE..MI_MUX_BASE + 4 * self.master_ports as u64).contains(&o)
                && o % 4 == 0 =>
            {
                u64::from(regs.written[((o - MI_MUX_BASE) / 4) as usize])
            }
            // Control's REG_UPDATE self-clears; every other offset reads 0.
            _ => 0,
        }
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        if width != AccessWidth::U32 {
            return;
        }
        let value = value as u32;
        let mut regs = self.lock();
        if offset == CONTROL {
            if value & CONTROL_REG_UPDATE != 0 {
                regs.committed = regs.written;
                regs.commits += 1;
            }
        } else if (MI_MUX_BASE..MI_MUX_BASE + 4 * self.master_ports as u64).contains(&offset)
            && offset % 4 == 0
        {
            regs.written[((offset - MI_MUX_BASE) / 4) as usize] =
                value & (MI_MUX_DISABLE | MI_MUX_SLAVE_MASK);
        }
    }

    fn reset(&self) {
        *self.lock() = Registers::RESET;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: AccessWidth = AccessWidth::U32;

    #[test]
    fn reset_disables_every_port_and_writes_take_effect_on_commit() {
        let s = AxiStreamSwitchModel::new(2, 2);
        assert_eq!(s.read(0x40, W), 0x8000_0000);
        assert_eq!(s.read(0x44, W), 0x8000_0000);
        assert_eq!(s.committed_routes(), vec![None, None]);
        s.write(0x40, W, 1);
        s.write(0x44, W, 0xffff_fff0);
        assert_eq!(s.read(0x40, W), 1, "reads return the value written");
        assert_eq!(s.read(0x44, W), 0x8000_0000, "only bits 31 and 3:0 exist");
        assert_eq!(s.master_for_slave(1), None, "not committed yet");
        s.write(CONTROL, W, 2);
        assert_eq!(s.read(CONTROL, W), 0, "REG_UPDATE self-clears");
        assert_eq!(s.master_for_slave(1), Some(0));
        assert_eq!(s.master_for_slave(0), None);
        assert_eq!(s.committed_routes(), vec![Some(1), None]);
        assert_eq!(s.commits(), 1);
        s.reset();
        assert_eq!(s.committed_routes(), vec![None, None]);
        assert_eq!(s.read(0x40, W), 0x8000_0000);
    }

    #[test]
    fn lowest_master_wins_a_duplicate_slave() {
        let s = AxiStreamSwitchModel::new(2, 2);
        s.write(0x40, W, 0);
        s.write(0x44, W, 0);
        s.write(CONTROL, W, 2);
        assert_eq!(s.master_for_slave(0), Some(0));
        assert_eq!(s.committed_routes(), vec![Some(0), None]);
        // A slave beyond the ports selects nothing; unused offsets read 0.
        s.write(0x40, W, 5);
        s.write(CONTROL, W, 2);
        assert_eq!(s.master_for_slave(5), None);
        assert_eq!(s.read(0x48, W), 0);
        assert_eq!(s.read(0x800, W), 0);
    }
}
