//! Flash identification (fact sheet sections 3 steps 5-7, 5 and 6).

use crate::controller::QuadSpiController;

use super::params::{Cfi, ParameterKind, RawParameters, Sfdp, CFI_READ_BYTES, SFDP_READ_BYTES};
use super::{
    EraseRegion, FlashError, FlashInfo, MANUFACTURER_MACRONIX, MANUFACTURER_MICRON,
    MANUFACTURER_SPANSION, THREE_BYTE_LIMIT,
};

/// The supported device families (reference revision names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashDevice {
    /// Spansion S25FL-S (S25FL256S, S25FL128S), identified from CFI.
    SpansionS25flA,
    /// Micron N25Q256A, identified from SFDP.
    MicronN25q256a,
    /// Macronix MX25L12835F, identified from SFDP.
    MacronixMx25l128,
}

impl FlashDevice {
    pub fn name(self) -> &'static str {
        match self {
            FlashDevice::SpansionS25flA => "Spansion S25FL_A",
            FlashDevice::MicronN25q256a => "Micron N25Q256A",
            FlashDevice::MacronixMx25l128 => "Macronix MX25L128",
        }
    }
}

/// 3-byte <-> 4-byte opcode pairs.
const OPCODE_MAP: [(u8, u8); 4] = [(0x20, 0x21), (0xD8, 0xDC), (0xBB, 0xBC), (0xEB, 0xEC)];

/// The form of `opcode` for `address_bytes` (3 or 4), looked up in either column.
pub fn map_opcode(opcode: u8, address_bytes: u8) -> Result<u8, String> {
    OPCODE_MAP
        .iter()
        .find(|(three, four)| *three == opcode || *four == opcode)
        .and_then(|&(three, four)| match address_bytes {
            3 => Some(three),
            4 => Some(four),
            _ => None,
        })
        .ok_or_else(|| {
            format!("Unable to select opcode {opcode} for num_address_bytes {address_bytes}")
        })
}

fn address_bytes_for(size: u64) -> u8 {
    if size <= THREE_BYTE_LIMIT {
        3
    } else {
        4
    }
}

fn read_id(ctrl: &mut QuadSpiController) -> Result<[u8; 3], FlashError> {
    let mut id = [0u8; 3];
    ctrl.transfer(&[0x9F], &mut id)?;
    Ok(id)
}

/// Device-specific parameters; an `Err(reason)` becomes the "Unsupported flash" failure.
struct Parameters {
    device: FlashDevice,
    size_bytes: u64,
    page_size: u32,
    address_bytes: u8,
    read_opcode: u8,
    read_dummy_bytes: u8,
    mode_bit_reset: bool,
    erase_regions: Vec<EraseRegion>,
    raw: RawParameters,
    sfdp_revision: Option<(u8, u8)>,
    micron_vcr: Option<u8>,
    micron_nvcr: Option<u16>,
    spansion_cr1: Option<u8>,
}

/// Steps 5-7 of the initialisation, on an initialised controller.
pub(super) fn identify(
    ctrl: &mut QuadSpiController,
    log: &mut dyn FnMut(String),
) -> Result<FlashInfo, FlashError> {
    let first = read_id(ctrl)?;
    let id = read_id(ctrl)?;
    if first != id {
        log("Initial device identification incorrect - ignoring due to Quad SPI core not outputting initial clock cycles".into());
    }
    let [manufacturer_id, memory_interface_type, density] = id;
    let unsupported = |reason: Option<String>| FlashError::Unsupported {
        manufacturer_id,
        memory_interface_type,
        density,
        reason,
    };
    let params = match id {
        [MANUFACTURER_SPANSION, 0x02, 0x19] | [MANUFACTURER_SPANSION, 0x20, 0x18] => {
            spansion(ctrl, log)?
        }
        [MANUFACTURER_MICRON, 0xBB, 0x19] => micron(ctrl, log)?,
        [MANUFACTURER_MACRONIX, 0x20, 0x18] => macronix(ctrl, log)?,
        _ => Err(String::new()),
    };
    let p = match params {
        Ok(p) => p,
        Err(reason) if reason.is_empty() => return Err(unsupported(None)),
        Err(reason) => {
            log(reason.clone());
            return Err(unsupported(Some(reason)));
        }
    };
    let total: u64 = p
        .erase_regions
        .iter()
        .map(|r| u64::from(r.sectors) * u64::from(r.sector_size))
        .sum();
    if total != p.size_bytes {
        return Err(FlashError::SizeInconsistency {
            total,
            size: p.size_bytes,
        });
    }
    Ok(FlashInfo {
        fifo_depth: ctrl.fifo_depth(),
        manufacturer_id,
        memory_interface_type,
        density,
        device: p.device,
        size_bytes: p.size_bytes,
        page_size: p.page_size,
        address_bytes: p.address_bytes,
        read_opcode: p.read_opcode,
        read_dummy_bytes: p.read_dummy_bytes,
        mode_bit_reset: p.mode_bit_reset,
        erase_regions: p.erase_regions,
        raw: p.raw,
        sfdp_revision: p.sfdp_revision,
        micron_vcr: p.micron_vcr,
        micron_nvcr: p.micron_nvcr,
        spansion_cr1: p.spansion_cr1,
    })
}

type Identified = Result<Result<Parameters, String>, FlashError>;

fn read_sfdp(ctrl: &mut QuadSpiController) -> Result<Vec<u8>, FlashError> {
    let mut data = vec![0u8; SFDP_READ_BYTES];
    ctrl.transfer(&[0x5A, 0, 0, 0, 0xFF], &mut data)?;
    Ok(data)
}

/// Size and the single erase region (type 1) from the basic table, with the erase opcode
/// mapped to the address size.
fn sfdp_layout(
    sfdp: &Sfdp,
    log: &mut dyn FnMut(String),
) -> Result<(u64, u8, Vec<EraseRegion>), String> {
    if sfdp.basic.len() < 9 {
        return Err(format!(
            "SFDP basic parameter length only {}",
            sfdp.basic.len()
        ));
    }
    let size = sfdp.flash_size_bytes(log).unwrap_or(0);
    let address_bytes = address_bytes_for(size);
    let exponent = sfdp.field(8, 8, 0, log);
    let opcode = sfdp.field(8, 8, 8, log) as u8;
    let sector_size = if (1..32).contains(&exponent) {
        1u32 << exponent
    } else {
        0
    };
    let sectors = if sector_size == 0 {
        0
    } else {
        u32::try_from(size / u64::from(sector_size)).unwrap_or(u32::MAX)
    };
    let opcode = map_opcode(opcode, address_bytes)?;
    Ok((
        size,
        address_bytes,
        vec![EraseRegion {
            sectors,
            sector_size,
            opcode,
        }],
    ))
}

fn micron(ctrl: &mut QuadSpiController, log: &mut dyn FnMut(String)) -> Identified {
    let data = read_sfdp(ctrl)?;
    let mut vcr = [0u8; 1];
    ctrl.transfer(&[0x85], &mut vcr)?;
    let mut nvcr = [0u8; 2];
    ctrl.transfer(&[0xB5], &mut nvcr)?;
    Ok((|| {
        let sfdp = Sfdp::parse(&data)?;
        let (size, address_bytes, erase_regions) = sfdp_layout(&sfdp, log)?;
        let clocks = sfdp.field(3, 3, 5, log) + sfdp.field(3, 5, 0, log);
        Ok(Parameters {
            device: FlashDevice::MicronN25q256a,
            size_bytes: size,
            page_size: 256,
            address_bytes,
            read_opcode: 0xEC,
            read_dummy_bytes: (clocks / 2) as u8,
            mode_bit_reset: false,
            erase_regions,
            raw: RawParameters {
                kind: ParameterKind::Sfdp,
                populated_len: sfdp.populated_len,
                bytes: data.clone(),
                vendor_tables: Vec::new(),
            },
            sfdp_revision: Some((sfdp.basic_major, sfdp.basic_minor)),
            micron_vcr: Some(vcr[0]),
            micron_nvcr: Some(u16::from_le_bytes(nvcr)),
            spansion_cr1: None,
        })
    })())
}

fn macronix(ctrl: &mut QuadSpiController, log: &mut dyn FnMut(String)) -> Identified {
    let data = read_sfdp(ctrl)?;
    Ok((|| {
        let sfdp = Sfdp::parse(&data)?;
        let (size, address_bytes, erase_regions) = sfdp_layout(&sfdp, log)?;
        // 1-2-2 dual I/O read (the last mode evaluated by the original wins).
        let opcode = map_opcode(sfdp.field(4, 8, 24, log) as u8, address_bytes)?;
        let clocks = sfdp.field(4, 3, 21, log) + sfdp.field(4, 5, 16, log);
        Ok(Parameters {
            device: FlashDevice::MacronixMx25l128,
            size_bytes: size,
            page_size: 256,
            address_bytes,
            read_opcode: opcode,
            read_dummy_bytes: (clocks / 4) as u8,
            mode_bit_reset: false,
            erase_regions,
            raw: RawParameters {
                kind: ParameterKind::Sfdp,
                populated_len: sfdp.populated_len,
                bytes: data.clone(),
                vendor_tables: Vec::new(),
            },
            sfdp_revision: Some((sfdp.basic_major, sfdp.basic_minor)),
            micron_vcr: None,
            micron_nvcr: None,
            spansion_cr1: None,
        })
    })())
}

fn spansion(ctrl: &mut QuadSpiController, _log: &mut dyn FnMut(String)) -> Identified {
    let mut data = vec![0u8; CFI_READ_BYTES];
    ctrl.transfer(&[0x9F], &mut data)?;
    let mut cr1 = [0u8; 1];
    ctrl.transfer(&[0x35], &mut cr1)?;
    let cr1 = cr1[0];
    Ok((|| {
        let cfi = Cfi::parse(&data)?;
        let address_bytes = address_bytes_for(cfi.size_bytes);
        let mut regions: Vec<EraseRegion> = cfi
            .regions
            .iter()
            .map(|&(sectors, sector_size)| EraseRegion {
                sectors,
                sector_size,
                opcode: if sector_size == 4096 { 0x21 } else { 0xDC },
            })
            .collect();
        // The core has no 4 KiB (parameter sector) erase in Spansion mode: fold the
        // parameter region into sectors of the main region's size.
        if regions.len() == 2 && regions[0].sector_size == 4096 {
            let per = regions[1].sector_size / 4096;
            if let Some(sectors) = regions[0].sectors.checked_div(per) {
                regions[0] = EraseRegion {
                    sectors,
                    sector_size: regions[1].sector_size,
                    opcode: regions[1].opcode,
                };
            }
        }
        for r in &mut regions {
            r.opcode = map_opcode(r.opcode, address_bytes)?;
        }
        // Quad mode on and latency code 00 are required.
        if cr1 & 0x02 == 0 || cr1 & 0xC0 != 0 {
            return Err(String::new());
        }
        Ok(Parameters {
            device: FlashDevice::SpansionS25flA,
            size_bytes: cfi.size_bytes,
            page_size: cfi.page_size,
            address_bytes,
            // 0xEC takes 4 address bytes; a 3-byte part uses 0xEB (pitfall 11).
            read_opcode: if address_bytes == 4 { 0xEC } else { 0xEB },
            read_dummy_bytes: 3,
            mode_bit_reset: true,
            erase_regions: regions,
            raw: RawParameters {
                kind: ParameterKind::Cfi,
                populated_len: cfi.populated_len,
                bytes: data.clone(),
                vendor_tables: cfi.vendor_tables,
            },
            sfdp_revision: None,
            micron_vcr: None,
            micron_nvcr: None,
            spansion_cr1: Some(cr1),
        })
    })())
}
