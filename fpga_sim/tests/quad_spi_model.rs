//! The AXI Quad SPI + SPI NOR model at register level: reset values, FIFO depth, command
//! table, occupancy, erase/program semantics and persistence between model instances.

use std::sync::Arc;

use fpga_sim::bitstream_writer::{generate, BitstreamSpec};
use fpga_sim::peripheral::{Peripheral, PeripheralSpace};
use fpga_sim::quad_spi::{
    regs, FlashFault, FlashPart, QuadSpiConfig, QuadSpiModel, QUAD_SPI_FRAME_SIZE,
};
use vfio_access::Mmio;

fn mmio(m: &Arc<QuadSpiModel>) -> Mmio {
    PeripheralSpace::mmio(m.clone() as Arc<dyn Peripheral>, QUAD_SPI_FRAME_SIZE)
}

/// One transaction the simple way: write all bytes, start, read all back.
fn xfer(io: &Mmio, tx: &[u8]) -> Vec<u8> {
    for &b in tx {
        io.write32(regs::DTR, b.into());
    }
    io.write32(regs::SPISSR, 0xFFFF_FFFE);
    io.write32(regs::SPICR, 0x006);
    let rx = (0..tx.len()).map(|_| io.read32(regs::DRR) as u8).collect();
    io.write32(regs::SPICR, 0x106);
    io.write32(regs::SPISSR, 0xFFFF_FFFF);
    rx
}

fn reset(io: &Mmio) {
    io.write32(regs::SRR, 0x0A);
    io.write32(regs::SPICR, 0x106);
}

#[test]
fn reset_values_and_fifo_depth() {
    for depth in [16u32, 256] {
        let m = QuadSpiModel::new(QuadSpiConfig {
            fifo_depth: depth,
            ..Default::default()
        });
        let io = mmio(&m);
        io.write32(regs::SRR, 0x0A);
        assert_eq!(io.read32(regs::SPICR), 0x180);
        assert_eq!(io.read32(regs::SPISSR), 0xFFFF_FFFF);
        assert_eq!(io.read32(regs::SPISR) & 0xF, 0x5);
        io.write32(regs::SPICR, 0x106);
        let mut n = 0;
        while io.read32(regs::SPISR) & 0x8 == 0 {
            io.write32(regs::DTR, 0x05);
            n += 1;
        }
        assert_eq!(n, depth);
        assert_eq!(io.read32(regs::TX_OCCUPANCY), depth - 1);
        // Unmapped offsets read 0.
        assert_eq!(io.read32(0x100), 0);
    }
}

#[test]
fn jedec_id_and_command_table() {
    let m = QuadSpiModel::new(QuadSpiConfig {
        flash: FlashPart::MacronixMx25l12835f,
        ..Default::default()
    });
    let io = mmio(&m);
    reset(&io);
    assert_eq!(
        xfer(&io, &[0x9F, 0, 0, 0, 0, 0, 0]),
        [0xFF, 0xC2, 0x20, 0x18, 0xFF, 0xFF, 0xFF]
    );
    // 0xFF (mode bit reset) is not in the core's Macronix table: command error, no shift.
    io.write32(regs::DTR, 0xFF);
    io.write32(regs::SPISSR, 0xFFFF_FFFE);
    io.write32(regs::SPICR, 0x006);
    let sr = io.read32(regs::SPISR);
    assert_eq!(sr & 0x400, 0x400);
    assert_eq!(sr & 0x1, 0x1, "nothing received");
    reset(&io);
    assert_eq!(io.read32(regs::SPISR) & 0x400, 0);
}

#[test]
fn erase_program_and_status() {
    let m = QuadSpiModel::new(QuadSpiConfig {
        flash: FlashPart::MacronixMx25l12835f,
        ..Default::default()
    });
    let io = mmio(&m);
    reset(&io);
    // Program without write enable is ignored.
    xfer(&io, &[0x02, 0x00, 0x10, 0x00, 0x12]);
    assert_eq!(m.flash_contents(0x1000, 1), [0xFF]);
    // With WEL: ANDs into the array, wraps inside the page.
    xfer(&io, &[0x06]);
    assert_eq!(xfer(&io, &[0x05, 0])[1] & 0x3, 0x2);
    xfer(&io, &[0x02, 0x00, 0x10, 0xFE, 0x0F, 0xF0, 0x3C, 0x00]);
    assert_eq!(xfer(&io, &[0x05, 0])[1] & 0x1, 0x1, "busy after program");
    let c = m.flash_contents(0x1000, 256);
    assert_eq!((c[0xFE], c[0xFF], c[0], c[1]), (0x0F, 0xF0, 0x3C, 0x00));
    // While busy, write enable is ignored.
    xfer(&io, &[0x06]);
    xfer(&io, &[0x02, 0x00, 0x10, 0xFE, 0x00]);
    assert_eq!(m.flash_contents(0x10FE, 1), [0x0F]);
    // Busy for a few polls, then WIP and WEL clear.
    let mut polls = 0;
    while xfer(&io, &[0x05, 0])[1] & 0x1 != 0 {
        polls += 1;
        assert!(polls < 100);
    }
    assert_eq!(xfer(&io, &[0x05, 0])[1], 0);
    xfer(&io, &[0x06]);
    xfer(&io, &[0x02, 0x00, 0x10, 0xFE, 0xF3]);
    assert_eq!(m.flash_contents(0x10FE, 1), [0x03]);
    while xfer(&io, &[0x05, 0])[1] & 0x1 != 0 {}
    // Erase of the 4 KiB sector sets it to 0xFF.
    xfer(&io, &[0x06]);
    xfer(&io, &[0x20, 0x00, 0x10, 0x80]);
    assert!(m.flash_contents(0x1000, 4096).iter().all(|&b| b == 0xFF));
    assert_eq!(m.flash_stats().sectors_erased, 1);
    assert_eq!(m.flash_stats().pages_programmed, 2);
}

#[test]
fn micron_flag_status_and_program_error_fault() {
    let m = QuadSpiModel::new(QuadSpiConfig {
        fault: Some(FlashFault::ProgramError { after_pages: 0 }),
        ..Default::default()
    });
    let io = mmio(&m);
    reset(&io);
    assert_eq!(xfer(&io, &[0x70, 0])[1], 0x80);
    xfer(&io, &[0x06]);
    xfer(&io, &[0xB7]);
    assert_eq!(xfer(&io, &[0x70, 0])[1], 0x81, "4-byte address mode");
    xfer(&io, &[0x06]);
    xfer(&io, &[0x02, 0x01, 0x00, 0x00, 0x00, 0x00]);
    let mut fsr = 0;
    for _ in 0..10 {
        fsr = xfer(&io, &[0x70, 0])[1];
    }
    assert_eq!(fsr, 0x91, "ready with program error");
    assert_eq!(m.flash_contents(0x0100_0000, 1), [0xFF]);
    xfer(&io, &[0x50]);
    assert_eq!(xfer(&io, &[0x70, 0])[1], 0x81);
}

#[test]
fn storage_is_lazy_sparse_and_persistent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/board.flash");
    let config = QuadSpiConfig {
        flash: FlashPart::SpansionS25fl256s,
        fpga_idcode: 0x0363_6093,
        storage: Some(path.clone()),
        ..Default::default()
    };
    let m = QuadSpiModel::new(config.clone());
    assert!(!path.exists(), "nothing created before first use");
    let expected = generate(&BitstreamSpec::new(0x0363_6093).with_usr_access(0xC131_0A5B))
        .unwrap()
        .bytes;
    assert_eq!(m.flash_contents(0, expected.len()), expected);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.len(), 32 << 20);
    {
        use std::os::unix::fs::MetadataExt;
        assert!(meta.blocks() * 512 < 4 << 20, "sparse file");
    }
    // Program through the registers; a new model instance (next process) sees it.
    let io = mmio(&m);
    reset(&io);
    xfer(&io, &[0x06]);
    xfer(&io, &[0x12, 0x01, 0x80, 0x00, 0x00, 0x12, 0x34]);
    drop(io);
    drop(m);
    let m2 = QuadSpiModel::new(config);
    assert_eq!(m2.flash_contents(0x0180_0000, 3), [0x12, 0x34, 0xFF]);
    assert_eq!(m2.flash_contents(0, expected.len()), expected);
}

#[test]
fn fault_descriptions_parse() {
    assert_eq!(
        "power-loss@5".parse(),
        Ok(FlashFault::PowerLoss { after_pages: 5 })
    );
    assert_eq!(
        "erase-error".parse(),
        Ok(FlashFault::EraseError { after_erases: 0 })
    );
    assert_eq!(
        "stuck-busy@2".parse(),
        Ok(FlashFault::StuckBusy { after_pages: 2 })
    );
    assert!("melt@1".parse::<FlashFault>().is_err());
    assert_eq!(
        FlashFault::ProgramError { after_pages: 3 }.to_string(),
        "program-error@3"
    );
}
