//! Fuzz target: any bytes, as a `.bin`, `.bit` or `.mcs` file, must load, parse and
//! render a report without panicking. Run with `cargo +nightly fuzz run parse_bitstream`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xilinx_quad_spi::bitstream::{parse_flash, LoadedBitstream};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the file name, so all format-detection paths are reached.
    let (selector, rest) = match data.split_first() {
        Some((s, rest)) => (*s, rest),
        None => (0, data),
    };
    let name = match selector % 3 {
        0 => "fuzz.bin",
        1 => "fuzz.bit",
        _ => "fuzz.mcs",
    };
    if let Ok(loaded) = LoadedBitstream::from_bytes(rest.to_vec(), name) {
        let (parsed, report) = loaded.report(name);
        assert!(parsed.length() <= loaded.payload().len());
        assert_eq!(report.starts_with("Successfully"), parsed.is_valid());
        let _ = parsed.idcode();
    }
    // The same bytes as flash contents read in chunks.
    let flash = parse_flash(0, rest.len() as u64, |addr, buf: &mut [u8]| {
        let start = usize::try_from(addr).map_err(|_| ())?;
        let src = rest.get(start..start + buf.len()).ok_or(())?;
        buf.copy_from_slice(src);
        Ok::<(), ()>(())
    });
    let _ = flash.report();
});
