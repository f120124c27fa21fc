//! Both masters against the same simulated TEF1001 bus: identical transaction results
//! and identical wire sequences, and the dump sections of spec 8.2.

mod common;

use common::{section, DUMP_8_2};
use embedded_hal::i2c::I2c;
use fpga_sim::i2c_bus::Tef1001Bus;
use fpga_sim::i2c_devices::Tef1001Options;
use fpga_sim::peripheral::PeripheralSpace;
use i2c_probe::decode::{fan_cpld, jc42, ltm4676a, si5338, spd_ddr3};
use i2c_probe::dump::Dumper;
use i2c_probe::master::axi_iic::AxiIic;
use i2c_probe::master::bitbang::BitBangI2c;
use i2c_probe::master::{I2cError, NoDelay};
use i2c_probe::reads::RawRead;
use i2c_probe::smbus::transfer::{SmbusI2c, SmbusMaster};
use vfio_access::Mmio;

fn bus() -> (Tef1001Bus, Mmio, Mmio) {
    let bus = Tef1001Bus::tef1001(Tef1001Options::default());
    let (iic, gpio) = bus.models();
    (
        bus,
        PeripheralSpace::mmio(iic, 0x1000),
        PeripheralSpace::mmio(gpio, 0x1000),
    )
}

fn bitbang() -> (Tef1001Bus, BitBangI2c<NoDelay>) {
    let (bus, _, gpio) = bus();
    (bus, BitBangI2c::new(gpio, NoDelay, true))
}

fn axi() -> (Tef1001Bus, AxiIic) {
    let (bus, iic, gpio) = bus();
    // The bit-banged lines idle and the AXI IIC selected (GPIO word 0x6).
    let _ = BitBangI2c::new(gpio, NoDelay, false);
    (bus, AxiIic::new(iic).expect("bus idle"))
}

/// Every raw read of every decoder, LTM4676A PEC enabled after CAPABILITY.
fn all_reads() -> Vec<RawRead> {
    let mut v = fan_cpld::reads();
    v.extend(jc42::reads());
    v.extend(spd_ddr3::reads());
    for addr in ltm4676a::LTM4676A_ADDRS {
        v.extend(ltm4676a::identity_reads(addr));
        v.extend(ltm4676a::telemetry_reads(addr));
    }
    v.extend(si5338::reads());
    v
}

fn run_all<I: SmbusI2c>(bus: I) -> Vec<Result<Vec<u8>, String>> {
    let mut m = SmbusMaster::new(bus);
    for addr in ltm4676a::LTM4676A_ADDRS {
        m.set_pec(addr, true);
    }
    all_reads()
        .iter()
        .map(|r| m.execute(r).map_err(|e| e.status.to_string()))
        .collect()
}

#[test]
fn both_masters_give_identical_results_and_wire_sequences() {
    let (bb_bus, bb) = bitbang();
    let (axi_bus, axi) = axi();
    let a = run_all(bb);
    let b = run_all(axi);
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "read {i}: {:?}", all_reads()[i]);
        assert!(x.is_ok(), "read {i} failed: {x:?}");
    }
    // SPD bytes as in 8.1, Si5338 PAGE_SEL read back.
    assert_eq!(a[9].as_ref().unwrap()[..3], [0x92, 0x13, 0x0b]);
    assert_eq!(bb_bus.log_text(), axi_bus.log_text());
}

#[test]
fn wire_sequences_of_the_fact_sheet() {
    let (bus, bb) = bitbang();
    let mut m = SmbusMaster::new(bb);
    // Fan CPLD: pointer write with STOP, then a new message (5.1).
    let fan = fan_cpld::reads();
    assert_eq!(m.execute(&fan[0]).unwrap(), vec![0xff]);
    assert_eq!(bus.log_text(), "S E8 A 00 A P S E9 A FF(N) P");
    bus.clear_log();
    // Paged READ_VOUT with PEC (8.4).
    m.set_pec(0x40, true);
    assert_eq!(
        m.page_plus_read(0x40, 0, 0x8b, 2).unwrap(),
        vec![0x00, 0x18]
    );
    assert_eq!(
        bus.log_text(),
        "S 80 A 06 A 02 A 00 A 8B A Sr 81 A 02(A) 00(A) 18(A) 76(N) P"
    );
    bus.clear_log();
    // CAPABILITY without PEC.
    let cap = &ltm4676a::identity_reads(0x40)[0];
    assert_eq!(m.execute(cap).unwrap(), vec![0xb0]);
    assert_eq!(bus.log_text(), "S 80 A 19 A Sr 81 A B0(N) P");
}

#[test]
fn dump_through_either_master_matches_the_recorded_run() {
    let expected: String = [
        "TEF1001 CPLD fan information:",
        "DDR temperature sensor information:",
        "DDR3 SPD decode:",
        "LTM4676A at I2C address 0x40",
        "LTM4676A at I2C address 0x4f",
        "Si5338 Clock Generator information:",
    ]
    .iter()
    .map(|h| section(h))
    .collect();
    assert!(DUMP_8_2.ends_with(&expected));
    let (_, bb) = bitbang();
    let mut m = SmbusMaster::new(bb);
    let r = Dumper::new(&mut m).dump_all();
    assert_eq!(r.text, expected);
    assert!(r.ok(), "{:?}", r.errors);
    let (_, axi) = axi();
    let mut m = SmbusMaster::new(axi);
    let r = Dumper::new(&mut m).dump_all();
    assert_eq!(r.text, expected);
    assert!(r.ok(), "{:?}", r.errors);
}

#[test]
fn embedded_hal_operations_on_both_masters() {
    fn check(mut bus: impl I2c<Error = I2cError>) {
        let mut two = [0u8; 2];
        bus.write_read(0x19, &[0x05], &mut two).unwrap();
        assert_eq!(two, [0xc1, 0x7c]);
        let mut one = [0u8; 1];
        // Current-address read of the SPD after a pointer write.
        bus.write(0x51, &[0x80]).unwrap();
        bus.read(0x51, &mut one).unwrap();
        assert_eq!(one, [0x31]);
        assert_eq!(
            bus.read(0x33, &mut one),
            Err(I2cError::AddressNack { read: true })
        );
        assert_eq!(
            bus.write(0x33, &[0]),
            Err(I2cError::AddressNack { read: false })
        );
        // The protected EEPROM NACKs data bytes.
        assert_eq!(bus.write(0x51, &[0x00, 0x12]), Err(I2cError::DataNack));
        // The fan CPLD refuses a read after a repeated START.
        assert_eq!(
            bus.write_read(0x74, &[0x01], &mut one),
            Err(I2cError::AddressNack { read: true })
        );
        bus.write(0x74, &[0x01]).unwrap();
        bus.read(0x74, &mut one).unwrap();
        assert_eq!(one, [176]);
    }
    check(bitbang().1);
    check(axi().1);
}
