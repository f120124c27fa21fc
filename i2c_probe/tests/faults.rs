//! Fault hooks of the simulated bus -> the expected error lines and exit status; bus
//! recovery clears a stuck SDA. Every wait is bounded by a poll count, so these end.

mod common;

use common::tool::{from_using, run, stderr, stdout};
use fpga_sim::i2c_bus::Tef1001Bus;
use fpga_sim::i2c_devices::Tef1001Options;
use fpga_sim::peripheral::PeripheralSpace;
use i2c_probe::master::axi_iic::{AxiIic, Termination};
use i2c_probe::master::bitbang::BitBangI2c;
use i2c_probe::master::{I2cError, NoDelay};
use i2c_probe::smbus::status::SmbusStatus;
use i2c_probe::smbus::transfer::SmbusMaster;

const DUMP: &str = env!("CARGO_BIN_EXE_i2c_dump_info");
const PROBE: &str = env!("CARGO_BIN_EXE_i2c_probe");
const SIM: [&str; 3] = ["--sim", "-d", "0000:15:00.0"];

fn masters() -> (Tef1001Bus, BitBangI2c<NoDelay>, vfio_access::Mmio) {
    let bus = Tef1001Bus::tef1001(Tef1001Options::default());
    let (iic, gpio) = bus.models();
    let bb = BitBangI2c::new(PeripheralSpace::mmio(gpio, 0x1000), NoDelay, true);
    (bus, bb, PeripheralSpace::mmio(iic, 0x1000))
}

#[test]
fn recovery_clears_a_device_stuck_mid_byte() {
    let (bus, mut bb, _) = masters();
    bus.hold_sda_low_for_clocks(5);
    assert_eq!(bb.read_plain(0x70, 1, true), Err(I2cError::SdaStuckLow));
    bb.recover_bus().expect("recovered");
    assert!(bus.sda_level());
    assert!(bus.log_text().ends_with('P'), "recovery ends with a STOP");
    assert_eq!(bb.register_read(0x51, 0, 2).unwrap(), vec![0x92, 0x13]);
}

#[test]
fn permanently_stuck_sda_is_reported_by_both_masters() {
    let (bus, mut bb, iic) = masters();
    bus.set_sda_stuck_low(true);
    assert_eq!(bb.recover_bus(), Err(I2cError::SdaStuckLow));
    let mut m = SmbusMaster::new(bb);
    let e = m.read_byte(0x40, 0x19).unwrap_err();
    assert_eq!(e.bus_error, Some(I2cError::SdaStuckLow));
    // AXI IIC with the pins handed back (GPIO word 0x6): no START possible.
    let gpio = {
        let (_, g) = bus.models();
        PeripheralSpace::mmio(g, 0x1000)
    };
    let _ = BitBangI2c::new(gpio, NoDelay, false);
    let mut axi = AxiIic::new(iic).unwrap().with_max_polls(1000);
    let mut b = [0u8; 1];
    assert_eq!(
        axi.read(0x70, &mut b, Termination::Stop),
        Err(I2cError::ArbitrationLost)
    );
}

#[test]
fn axi_iic_waits_are_bounded_while_the_bit_banged_master_owns_the_pins() {
    let (_bus, _bb, iic) = masters();
    let mut axi = AxiIic::new(iic).unwrap().with_max_polls(500);
    let mut b = [0u8; 1];
    assert!(matches!(
        axi.read(0x70, &mut b, Termination::Stop),
        Err(I2cError::Timeout(_))
    ));
}

#[test]
fn corrupted_pec_and_absent_device_statuses() {
    let (bus, bb, _) = masters();
    bus.inject_fault(0x40, fpga_sim::i2c_devices::TargetFault::CorruptPec(true));
    let mut m = SmbusMaster::new(bb);
    m.set_pec(0x40, true);
    let e = m.read_byte(0x40, 0x98).unwrap_err();
    assert_eq!(
        e.status,
        SmbusStatus::ReadIncorrectPec {
            actual: 0x85,
            expected: 0x84
        }
    );
    bus.set_present(0x4f, false);
    assert_eq!(
        m.read_byte(0x4f, 0x19).unwrap_err().status,
        SmbusStatus::WriteAddressNack
    );
    // Unknown command: the command byte is NACKed.
    assert_eq!(
        m.read_byte(0x40, 0x77).unwrap_err().status,
        SmbusStatus::WriteDataNack
    );
}

#[test]
fn dump_reports_faults_and_fails() {
    let o = run(
        DUMP,
        &SIM,
        Some("absent=0x40,corrupt_pec=0x4f,corrupt_byte=0x51:20:0x6a,absent=0x19"),
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let err = stderr(&o);
    assert!(out.contains(
        "\nLTM4676A at I2C address 0x40\n  PMBus command 0x19 failed due to write address NACK\n\nLTM4676A at I2C address 0x4f\n"
    ));
    assert!(out.contains(
        "  PMBus command 0x98 failed due to read incorrect PEC  actual PEC byte=0xa7  expected PEC byte=0xa6\n"
    ));
    assert!(out.contains("  Actual CRC=0x13d2  Expected CRC=0xa1bd : CRC FAIL\n\nLTM4676A"));
    assert!(out.contains("Failed to read DDR temperature Capabilities\n"));
    for line in [
        "I2C device 0x40: SMBus read of command 0x19 (1 byte) failed: write address NACK",
        "I2C device 0x4f: SMBus read of command 0x98 (1 byte) failed: read incorrect PEC",
        "I2C device 0x51: SPD contents invalid: Actual CRC=0x13d2  Expected CRC=0xa1bd : CRC FAIL",
        "I2C device 0x19: register read of 0x00 (2 bytes) failed: write address NACK",
    ] {
        assert!(err.contains(line), "missing {line:?} in {err}");
    }
    // The sections after the failures are still there.
    assert!(out.contains("  Configured 7-bit I2C address=0x70\n"));
}

#[test]
fn dump_on_a_stuck_bus_fails_every_section_and_exits_1() {
    let o = run(DUMP, &SIM, Some("stuck_sda"));
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let err = stderr(&o);
    assert!(err.contains("SDA held low and bus recovery (9 clocks + STOP) failed"));
    assert!(err.contains("I2C device 0x74: write of [00] failed: SDA stuck low (bus stuck)"));
    assert!(err.contains(
        "I2C device 0x40: SMBus read of command 0x19 (1 byte) failed: write address NACK (SDA stuck low (bus stuck))"
    ));
    let report = from_using(&out);
    assert!(report.contains("Failed to read DDR3 SPD\n"));
    assert!(report.contains("\nSi5338 Clock Generator information:\nFailed to modify PAGE_SEL\nFailed to read Si5338 registers\n"));
}

#[test]
fn dump_recovers_a_held_bus_and_succeeds() {
    let o = run(DUMP, &SIM, Some("hold_sda=4"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("bus recovery (clocks + STOP) cleared it"));
    assert!(stdout(&o).contains(common::DUMP_8_2));
}

#[test]
fn probe_reports_a_stuck_bus_and_exits_1() {
    for mode in ["bit_banged", "iic_lib", "standard"] {
        let o = run(
            PROBE,
            &["--sim", "-d", "0000:15:00.0", "-m", mode],
            Some("stuck_sda"),
        );
        assert_eq!(o.status.code(), Some(1), "mode {mode}");
        assert!(
            stderr(&o).contains("TEF1001_dma_stream_loopback 0000:15:00.0: "),
            "{mode}: {}",
            stderr(&o)
        );
    }
    let o = run(
        PROBE,
        &["--sim", "-d", "0000:15:00.0", "-m", "iic_lib"],
        Some("stuck_sda"),
    );
    assert!(stderr(&o).contains("I2C address 0x08: iic_lib probe read failed: arbitration lost"));
}
