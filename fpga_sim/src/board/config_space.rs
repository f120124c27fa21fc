//! The PCI configuration space of a simulated board, as its PCIe endpoint presents it to a
//! host: the front ends that serve a board as a PCI function (the vfio-user board server,
//! and `--sim` through `SimDevice::config_space`) read it from here, so every front end
//! shows the same one.
//!
//! Layout (xadc_and_identify.md for the identities; designs_after_seed.md: every link is
//! PCIe Gen2 x4): a type 0 header, then Power Management (0x40), MSI (0x48) and PCI Express
//! (0x60) capabilities, the chain of the XDMA endpoints; Link Capabilities say the design's
//! link, Link Status how the board trained (`pcie_link`, a `--sim` entry's `:link=`). The BAR registers hold only the
//! type bits (64-bit, prefetchable): the host assigns the addresses, and a vfio-user client
//! virtualises them. Only the command register is writable.

use vfio_access::sim::SimDevice;

/// Bytes of a PCI Express configuration space.
pub const CONFIG_SPACE_SIZE: usize = 4096;
/// Offset of the Power Management capability.
pub const PM_CAP_OFFSET: usize = 0x40;
/// Offset of the MSI capability.
pub const MSI_CAP_OFFSET: usize = 0x48;
/// Offset of the PCI Express capability.
pub const PCIE_CAP_OFFSET: usize = 0x60;

const COMMAND: usize = 0x04;
/// Command register bits a device implements: I/O, memory, bus master, parity error
/// response, SERR#, INTx disable.
const COMMAND_WRITABLE: u16 = 0x0547;
/// PMCSR PowerState (bits 1:0): a host's vfio-pci puts an idle device into D3hot and
/// back; with No_Soft_Reset set the board keeps its state across D3hot.
const PMCSR_POWER_STATE: u8 = 0x03;

/// The bits of the byte at `at` that a host can change.
fn writable_bits(at: usize) -> u8 {
    let command = COMMAND_WRITABLE.to_le_bytes();
    match at.checked_sub(COMMAND).and_then(|i| command.get(i)) {
        Some(m) => *m,
        None if at == PM_CAP_OFFSET + 4 => PMCSR_POWER_STATE,
        None => 0,
    }
}

/// Command register: bus master enable.
pub const COMMAND_BUS_MASTER: u16 = 0x0004;

/// Device Capabilities: max payload 256 bytes, extended tags, role-based error reporting.
const DEVICE_CAPABILITIES: u32 = 0x0000_8021;

/// One board's configuration space.
#[derive(Clone)]
pub struct ConfigSpace {
    bytes: Box<[u8; CONFIG_SPACE_SIZE]>,
    /// The contents after a reset (command register 0).
    initial: Box<[u8; CONFIG_SPACE_SIZE]>,
}

impl std::fmt::Debug for ConfigSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ConfigSpace({:04x}:{:04x})",
            self.u16_at(0),
            self.u16_at(2)
        )
    }
}

/// A configuration access outside the 4 KiB space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("config space access of {len} bytes at offset 0x{offset:x} is outside the 4 KiB space")]
pub struct ConfigAccessOutOfRange {
    pub offset: u64,
    pub len: usize,
}

impl ConfigSpace {
    /// The configuration space of `device` after a reset.
    pub fn of_device(device: &dyn SimDevice) -> Self {
        let mut c = Box::new([0u8; CONFIG_SPACE_SIZE]);
        let put16 = |c: &mut [u8; CONFIG_SPACE_SIZE], o: usize, v: u16| {
            c[o..o + 2].copy_from_slice(&v.to_le_bytes())
        };
        let put32 = |c: &mut [u8; CONFIG_SPACE_SIZE], o: usize, v: u32| {
            c[o..o + 4].copy_from_slice(&v.to_le_bytes())
        };
        let id = device.identity();
        put16(&mut c, 0x00, id.vendor_id);
        put16(&mut c, 0x02, id.device_id);
        put16(&mut c, 0x06, 0x0010); // status: capability list present
        c[0x08] = device.revision();
        let class = device.class_code();
        c[0x09] = class as u8;
        c[0x0a] = (class >> 8) as u8;
        c[0x0b] = (class >> 16) as u8;
        let mut i = 0u8;
        while i < 6 {
            if let Some(b) = device.bar(i) {
                let flags =
                    (if b.prefetchable { 0x8 } else { 0 }) | (if b.is_64bit { 0x4 } else { 0 });
                put32(&mut c, 0x10 + 4 * usize::from(i), flags);
                if b.is_64bit {
                    i += 1; // the upper half holds address bits only
                }
            }
            i += 1;
        }
        put16(&mut c, 0x2c, id.subsystem_vendor_id);
        put16(&mut c, 0x2e, id.subsystem_device_id);
        c[0x34] = PM_CAP_OFFSET as u8;
        c[0x3d] = 1; // INTA#
                     // Power Management v3.
        c[PM_CAP_OFFSET] = 0x01;
        c[PM_CAP_OFFSET + 1] = MSI_CAP_OFFSET as u8;
        put16(&mut c, PM_CAP_OFFSET + 2, 0x0003);
        // PMCSR No_Soft_Reset: D3hot to D0 keeps the state, so a host resets the board
        // with a bus reset (which reaches the board), not a PM transition (which does not).
        put16(&mut c, PM_CAP_OFFSET + 4, 0x0008);
        // MSI, one vector, 64-bit addresses.
        c[MSI_CAP_OFFSET] = 0x05;
        c[MSI_CAP_OFFSET + 1] = PCIE_CAP_OFFSET as u8;
        put16(&mut c, MSI_CAP_OFFSET + 2, 0x0080);
        // PCI Express capability v2, endpoint, last in the list.
        let link = device.link();
        let (speed, width) = (u32::from(link.max_generation), u32::from(link.max_width));
        c[PCIE_CAP_OFFSET] = 0x10;
        c[PCIE_CAP_OFFSET + 1] = 0x00;
        put16(&mut c, PCIE_CAP_OFFSET + 0x02, 0x0002);
        put32(&mut c, PCIE_CAP_OFFSET + 0x04, DEVICE_CAPABILITIES);
        put32(&mut c, PCIE_CAP_OFFSET + 0x0c, speed | (width << 4));
        // Link Status: how the link trained (pcie_link.rs).
        put16(
            &mut c,
            PCIE_CAP_OFFSET + 0x12,
            u16::from(link.generation) | (u16::from(link.width) << 4),
        );
        // Link Capabilities 2: supported speeds vector, every speed up to the maximum.
        put32(&mut c, PCIE_CAP_OFFSET + 0x2c, ((1u32 << speed) - 1) << 1);
        Self {
            initial: c.clone(),
            bytes: c,
        }
    }

    /// The whole space.
    pub fn bytes(&self) -> &[u8; CONFIG_SPACE_SIZE] {
        &self.bytes
    }

    /// Reads `out.len()` bytes at `offset`.
    pub fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), ConfigAccessOutOfRange> {
        let range = self.range(offset, out.len())?;
        out.copy_from_slice(&self.bytes[range]);
        Ok(())
    }

    /// Writes `data` at `offset`: the command register and the PMCSR power state change,
    /// every other byte is read-only. Returns the command register after the write.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> Result<u16, ConfigAccessOutOfRange> {
        let range = self.range(offset, data.len())?;
        for (at, b) in range.zip(data) {
            let mask = writable_bits(at);
            self.bytes[at] = (self.bytes[at] & !mask) | (b & mask);
        }
        Ok(self.command())
    }

    /// The command register.
    pub fn command(&self) -> u16 {
        self.u16_at(COMMAND)
    }

    /// Back to the contents after a reset.
    pub fn reset(&mut self) {
        self.bytes.copy_from_slice(&self.initial[..]);
    }

    fn u16_at(&self, o: usize) -> u16 {
        u16::from_le_bytes([self.bytes[o], self.bytes[o + 1]])
    }

    fn range(
        &self,
        offset: u64,
        len: usize,
    ) -> Result<std::ops::Range<usize>, ConfigAccessOutOfRange> {
        let err = ConfigAccessOutOfRange { offset, len };
        let start = usize::try_from(offset).map_err(|_| err)?;
        let end = start.checked_add(len).ok_or(err)?;
        if end > CONFIG_SPACE_SIZE {
            return Err(err);
        }
        Ok(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{Board, BoardOptions, Design};
    use vfio_access::PciLocation;

    fn space(design: Design) -> ConfigSpace {
        let dir = tempfile::tempdir().unwrap();
        let board = Board::new(
            design,
            PciLocation::new(0, 1, 0, 0),
            &BoardOptions {
                xadc_seed: None,
                state_dir: Some(dir.path().to_path_buf()),
            },
        );
        ConfigSpace::of_device(board.as_ref())
    }

    fn le32(c: &ConfigSpace, o: usize) -> u32 {
        let mut b = [0u8; 4];
        c.read(o as u64, &mut b).unwrap();
        u32::from_le_bytes(b)
    }

    #[test]
    fn header_carries_identity_and_bar_types() {
        let c = space(Design::NiteFuryDmaStreamLoopback);
        let board_spec = Design::NiteFuryDmaStreamLoopback.spec();
        let id = board_spec.identity;
        assert_eq!(
            le32(&c, 0),
            u32::from(id.vendor_id) | u32::from(id.device_id) << 16
        );
        assert_eq!(
            le32(&c, 0x2c),
            u32::from(id.subsystem_vendor_id) | u32::from(id.subsystem_device_id) << 16
        );
        assert_eq!(c.bytes()[0x08], board_spec.revision);
        assert_eq!(le32(&c, 0x08) >> 8, 0x05_80_00);
        for (i, bar) in board_spec.bars.iter().enumerate() {
            let reg = le32(&c, 0x10 + 4 * i);
            match bar {
                Some(b) => {
                    assert_eq!(reg & 0x4 != 0, b.is_64bit, "BAR {i}");
                    assert_eq!(reg & 0x8 != 0, b.prefetchable, "BAR {i}");
                }
                None => assert_eq!(reg, 0, "BAR {i}"),
            }
        }
    }

    #[test]
    fn capability_list_ends_in_a_gen2_x4_pcie_capability() {
        let c = space(Design::Tef1001DmaDdr3);
        assert_ne!(c.bytes()[0x06] & 0x10, 0);
        let mut at = usize::from(c.bytes()[0x34]);
        let mut ids = Vec::new();
        while at != 0 {
            ids.push(c.bytes()[at]);
            at = usize::from(c.bytes()[at + 1]);
        }
        assert_eq!(ids, [0x01, 0x05, 0x10]);
        let p = PCIE_CAP_OFFSET;
        assert_eq!(le32(&c, p + 0x04), DEVICE_CAPABILITIES);
        assert_eq!(le32(&c, p + 0x0c) & 0x3ff, 0x42); // LnkCap: 5 GT/s, x4
        assert_eq!(le32(&c, p + 0x10) >> 16, 0x42); // LnkSta: 5 GT/s, x4
        assert_eq!(le32(&c, p + 0x2c), 0x6); // 2.5 and 5 GT/s
    }

    #[test]
    fn only_command_and_power_state_are_writable_and_reset_clears_them() {
        let mut c = space(Design::DmaBlkram);
        let before = *c.bytes();
        assert_eq!(c.write(0x04, &[0xff, 0xff, 0xff, 0xff]).unwrap(), 0x0547);
        assert_eq!(le32(&c, 0x04), 0x0010_0547);
        c.write(0x00, &[0; 4]).unwrap();
        c.write(0x60, &[0; 16]).unwrap();
        assert_eq!(c.bytes()[..4], before[..4]);
        assert_eq!(c.bytes()[0x60..0x70], before[0x60..0x70]);
        assert_eq!(c.write(0x05, &[0x01]).unwrap() & 0x0100, 0x0100);
        // D3hot: PowerState changes, No_Soft_Reset and the other PMCSR bits stay.
        c.write(PM_CAP_OFFSET as u64 + 4, &[0xff, 0xff]).unwrap();
        assert_eq!(le32(&c, PM_CAP_OFFSET + 4) & 0xffff, 0x000b);
        c.reset();
        assert_eq!(c.bytes()[..], before[..]);
        assert_eq!(c.command(), 0);
    }

    #[test]
    fn accesses_past_4_kib_are_refused() {
        let mut c = space(Design::DmaBlkram);
        let mut b = [0u8; 4];
        assert!(c.read(0xffc, &mut b).is_ok());
        assert_eq!(
            c.read(0xffe, &mut b),
            Err(ConfigAccessOutOfRange {
                offset: 0xffe,
                len: 4
            })
        );
        assert!(c.write(u64::MAX, &[0]).is_err());
    }
}
