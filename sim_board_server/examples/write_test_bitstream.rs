//! Writes a small generated bitstream (.bit) for an FPGA part, for the QEMU testbed's
//! flasher cases: programming a real 3 MB bitstream through socket MMIO under TCG would
//! take minutes. Usage: write_test_bitstream <7a200t|7k160t> <FILE>

use fpga_sim::bitstream_writer::{generate, BitFileHeader, BitstreamSpec};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [part, file] = args.as_slice() else {
        anyhow::bail!("usage: write_test_bitstream <7a200t|7k160t> <FILE>");
    };
    // IDCODEs of the two FPGAs of the supported boards (xilinx_quad_spi.md).
    let (idcode, part_name) = match part.as_str() {
        "7a200t" => (0x0363_6093, "7a200tfbg484"),
        "7k160t" => (0x0364_C093, "7k160tffg676"),
        _ => anyhow::bail!("unknown part '{part}' (7a200t or 7k160t)"),
    };
    let spec = BitstreamSpec::new(idcode)
        .with_frames(60)
        // USR_ACCESS 01/03/2025 12:34:56
        .with_usr_access((1 << 27) | (3 << 23) | (25 << 17) | (12 << 12) | (34 << 6) | 56)
        .with_bit_header(BitFileHeader {
            design_name: "testbed_image;COMPRESS=FALSE;UserID=0XFFFFFFFF;Version=2024.2".into(),
            part_name: part_name.into(),
            date: "2025/03/01".into(),
            time: "12:35:10".into(),
        });
    let g = generate(&spec)?;
    std::fs::write(file, &g.bytes)?;
    Ok(())
}
