//! Golden tests of the XADC display: the simulated TEF1001 board with the default seed,
//! and the reference log's blocks reproduced from the register values of xadc_and_identify.md 1.11.

use std::process::Command;

use fpga_sim::board::{build_boards, BoardOptions};
use fpga_sim::peripheral::PeripheralSpace;
use fpga_sim::xadc::{drp, SensorProfile, XadcCalibration, XadcConfig, XadcModel};
use identify_design::{design_filters, open_sim_boards, OpenedDesigns};
use vfio_access::OpenOptions;
use xilinx_xadc::{format_samples, read_samples};

const TEF1001_DEFAULT_SEED: &str = "\
Opening device 0000:15:00.0 (10ee:7024) with IOMMU group 41
Enabling bus master for 0000:15:00.0
Displaying XADC values for design TEF1001_dma_stream_loopback in PCI device 0000:15:00.0 IOMMU group 41:
XADC samples using Continuous sequence mode
Current enabled channels in sequencer: Temp    Vccint  Vccaux  Vbram   Cal    
ADC A calibration: unipolar offset=-4 (lsbs)  bipolar offset=-3 (lsbs)  gain correction factor=6.3 (%)
ADC B calibration: unipolar offset=-5 (lsbs)  bipolar offset=-4 (lsbs)  gain correction factor=6.3 (%)
  Channel  Measurement     Min           Max
  Temp       30.8837C     30.8837C      33.2215C
  Vccint      1.0020V      0.9961V       1.0049V
  Vccaux      1.7886V      1.7820V       1.7908V
  Vbram       1.0020V      0.9954V       1.0027V
  Cal         0.0000V           

";

fn run(extra_env: Option<(&str, &str)>) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_display_xadc_values"));
    cmd.args(["--sim", "-d", "0000:15:00.0"])
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIO_SIM_XADC_SEED");
    if let Some((k, v)) = extra_env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn simulated_tef1001_with_the_default_seed() {
    let out = run(None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), TEF1001_DEFAULT_SEED);
    assert!(out.stderr.is_empty());
}

#[test]
fn another_seed_gives_other_readings_in_the_same_layout() {
    let out = run(Some(("FPGA_SIO_SIM_XADC_SEED", "0x1234")));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_ne!(text, TEF1001_DEFAULT_SEED);
    let lines: Vec<&str> = text.lines().collect();
    let golden: Vec<&str> = TEF1001_DEFAULT_SEED.lines().collect();
    assert_eq!(lines.len(), golden.len());
    assert_eq!(
        lines[..8],
        golden[..8],
        "header lines do not depend on the seed"
    );
    for (a, b) in lines.iter().zip(&golden) {
        assert_eq!(a.len(), b.len(), "same layout: {a:?} vs {b:?}");
    }
}

fn model_block(config: XadcConfig, values: &[(usize, u16)]) -> String {
    let model = XadcModel::new(config);
    model.freeze(true);
    for &(address, value) in values {
        model.set_drp(address, value);
    }
    format_samples(&read_samples(&PeripheralSpace::mmio(model, 0x1000)))
}

#[test]
fn reference_log_blocks_are_reproduced_from_register_values() {
    let tef = model_block(
        XadcConfig::continuous(XadcCalibration::TEF1001, SensorProfile::TEF1001),
        &[
            (drp::TEMPERATURE, 0x9B50),
            (drp::MIN_TEMPERATURE, 0x9AA0),
            (drp::MAX_TEMPERATURE, 0x9C50),
            (drp::VCCINT, 0x5560),
            (0x25, 0x54F0),
            (0x21, 0x55D0),
            (drp::VCCAUX, 0x9860),
            (0x26, 0x97A0),
            (0x22, 0x9900),
            (drp::VCCBRAM, 0x5550),
            (0x27, 0x54F0),
            (0x23, 0x55D0),
        ],
    );
    assert_eq!(
        tef,
        "\
XADC samples using Continuous sequence mode
Current enabled channels in sequencer: Temp    Vccint  Vccaux  Vbram   Cal    
ADC A calibration: unipolar offset=-4 (lsbs)  bipolar offset=-3 (lsbs)  gain correction factor=6.3 (%)
ADC B calibration: unipolar offset=-5 (lsbs)  bipolar offset=-4 (lsbs)  gain correction factor=6.3 (%)
  Channel  Measurement     Min           Max
  Temp       32.6063C     31.2529C      34.5750C
  Vccint      1.0005V      0.9954V       1.0056V
  Vccaux      1.7856V      1.7769V       1.7930V
  Vbram       0.9998V      0.9954V       1.0056V
  Cal         0.0000V           
"
    );
    // A Project-0 rebuild with Vp/Vn bipolar, long acquisition, and VAUX14.
    let mut config =
        XadcConfig::continuous_with_vaux14(XadcCalibration::NITEFURY, SensorProfile::NITEFURY);
    config.seq_channels[0] = 0x4F01;
    config.seq_bipolar[0] = 0x0800;
    config.seq_acquisition[0] = 0x0800;
    let nite = model_block(config, &[(drp::VP_VN, 0xFFE0), (drp::VAUX0 + 14, 0x0A20)]);
    let lines: Vec<&str> = nite.lines().collect();
    assert_eq!(
        lines[1],
        "Current enabled channels in sequencer: Temp    Vccint  Vccaux  Vp_Vn   (bipolar) (acq time) Vbram   Cal     Vaux14  (acq time)"
    );
    assert_eq!(
        lines[2],
        "ADC A calibration: unipolar offset=-7 (lsbs)  bipolar offset=-8 (lsbs)  gain correction factor=6.3 (%)"
    );
    assert!(
        nite.contains("\n  Vp_Vn      -0.0005V           \n"),
        "{nite}"
    );
    assert!(
        nite.ends_with("\n  Cal         0.0000V           \n  Vaux14      0.0396V           \n"),
        "{nite}"
    );
}

#[test]
fn single_channel_mode_shows_supplies_without_min_max() {
    let text = model_block(
        XadcConfig::single_channel_temperature(XadcCalibration::NITEFURY, SensorProfile::NITEFURY),
        &[(drp::VCCINT, 0x57E0)],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "XADC samples using Single channel mode (sequencer off)"
    );
    assert_eq!(lines[1], "Current enabled channels in sequencer: Temp   ");
    assert_eq!(lines[6], "  Vccint      1.0298V           ");
    assert_eq!(lines.len(), 9);
}

#[test]
fn reading_every_simulated_xadc_stays_inside_modelled_registers() {
    let dir = tempfile::tempdir().unwrap();
    let options = BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.path().to_path_buf()),
    };
    let boards = build_boards(
        Some("i2c_probe,TOSING_160T_dma_ddr3,Litefury_Project-0,Nitefury_Project-0,TEF1001_dma_ddr3,NiteFury_dma_ddr3,TEF1001_dma_stream_loopback,NiteFury_dma_stream_loopback,TOSING_160T_dma_stream_loopback,dma_blkram"),
        &options,
    )
    .unwrap();
    let opened = OpenedDesigns::identify(
        open_sim_boards(boards, &OpenOptions::default(), &design_filters()).unwrap(),
    );
    let mut shown = 0;
    for (design, device) in opened.iter() {
        if let Some(regs) = design.xadc.and_then(|f| f.mmio(device)) {
            let s = read_samples(&regs);
            assert!(s.samples.iter().all(|c| c.value.is_finite()));
            let t = s.samples[0].value;
            assert!(
                (25.0..50.0).contains(&t),
                "{} temperature {t}",
                design.name()
            );
            shown += 1;
        }
    }
    assert_eq!(shown, 9, "every design but dma_blkram has an XADC");
    for b in &opened.devices.sim_boards {
        assert_eq!(b.board.unimplemented_accesses(), 0, "{}", b.board.name());
    }
}

/// `--json`: the same readings as the golden block, as numbers in the documented types.
#[test]
fn json_document_holds_the_golden_readings() {
    use xilinx_xadc::json::{XadcValuesReport, SCHEMA_VERSION};
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_display_xadc_values"))
        .args(["--sim", "-d", "0000:15:00.0", "--json"])
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIO_SIM_XADC_SEED")
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: XadcValuesReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.schema_version, SCHEMA_VERSION);
    let d = &report.designs[0];
    assert_eq!(d.design, "TEF1001_dma_stream_loopback");
    assert_eq!(
        (d.pci_location.as_str(), d.iommu_group),
        ("0000:15:00.0", 41)
    );
    assert_eq!(d.sequencer_mode, "Continuous sequence mode");
    assert_eq!(
        d.enabled_channels,
        ["Temp", "Vccint", "Vccaux", "Vbram", "Cal"]
    );
    assert_eq!(d.adc_a_calibration.unipolar_offset_lsbs, -4);
    assert_eq!(d.adc_b_calibration.bipolar_offset_lsbs, -4);
    assert_eq!(d.adc_a_calibration.gain_correction_percent, 6.3);
    // The golden block's rows, to its four decimals.
    let rows: Vec<(String, String)> = d
        .channels
        .iter()
        .map(|c| {
            let (v, min, max, unit) = match c.value_celsius {
                Some(v) => (v, c.min_celsius, c.max_celsius, 'C'),
                None => (c.value_volts.unwrap(), c.min_volts, c.max_volts, 'V'),
            };
            let f = |x: Option<f64>| x.map(|x| format!("{x:.4}{unit}")).unwrap_or_default();
            (
                c.name.clone(),
                format!("{v:.4}{unit} {} {}", f(min), f(max)),
            )
        })
        .collect();
    let expected = [
        ("Temp", "30.8837C 30.8837C 33.2215C"),
        ("Vccint", "1.0020V 0.9961V 1.0049V"),
        ("Vccaux", "1.7886V 1.7820V 1.7908V"),
        ("Vbram", "1.0020V 0.9954V 1.0027V"),
        ("Cal", "0.0000V  "),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(d.channels[4].code, None);
    assert!(d.channels[0].value_volts.is_none());
}
