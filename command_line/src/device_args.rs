//! The device-selection options every tool flattens into its own clap parser.

use std::ffi::OsStr;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use vfio_access::messages::Messages;
use vfio_access::{BufferAllocation, LocationFilters, OpenOptions, PciLocation, SimSelection};

use crate::ConsoleMessages;

/// Shared device options.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceArgs {
    /// Only open the PCI device at this location (`dddd:bb:dd.f`, hex). May be repeated.
    #[arg(short = 'd', long = "device", value_name = "LOCATION")]
    pub devices: Vec<PciLocation>,

    /// How DMA buffers are allocated.
    #[arg(
        long = "buffer-allocation",
        alias = "buffer_allocation",
        value_parser = BufferAllocationParser,
        value_name = "MODE",
        default_value = "heap"
    )]
    pub buffer_allocation: BufferAllocation,

    /// Give each IOMMU group its own container (isolated IOVA spaces).
    #[arg(long = "isolate-iommu-groups", alias = "isolate_iommu_groups")]
    pub isolate_iommu_groups: bool,

    /// Use simulated boards instead of hardware. `--sim` opens the default boards;
    /// `--sim=<design>[@<location>],...` chooses designs and where they sit
    /// (e.g. `--sim=TEF1001_dma_ddr3@0000:03:00.0,dma_blkram`). Also read from FPGA_SIO_SIM.
    #[arg(
        long = "sim",
        value_name = "BOARDS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub sim: Option<String>,

    /// Simulated boards in noiommu mode: DMA addresses are "physical" and every DMA buffer
    /// is fragmented into scattered pieces (4 KiB to 2 MiB), as without an IOMMU. Also
    /// FPGA_SIO_SIM_NOIOMMU=1. No effect on real devices (their mode is the kernel's).
    #[arg(long = "sim-noiommu", alias = "sim_noiommu")]
    pub sim_noiommu: bool,
}

/// The `--sim` value (or the [`SIM_ENV`](vfio_access::SIM_ENV) text): empty, `default` or
/// `1` choose the default boards, anything else is a board list.
pub fn parse_sim_selection(text: &str) -> SimSelection {
    let t = text.trim();
    if t.is_empty() || t == "default" || t == "1" {
        SimSelection::Default
    } else {
        SimSelection::Boards(t.to_string())
    }
}

impl DeviceArgs {
    /// The simulation choice: `--sim` on the command line, else the environment.
    ///
    /// The first time it chooses simulation, the tool says so on stderr (issue: a
    /// `FPGA_SIO_SIM` left in the environment must not make a tool simulate unnoticed);
    /// secondaries of `test_primary` stay quiet, their primary has said it.
    pub fn simulation(&self) -> Option<SimSelection> {
        if let Some(s) = &self.sim {
            let selection = parse_sim_selection(s);
            announce_simulation(&format!("--sim={}", selection.env_value()));
            return Some(selection);
        }
        let text = std::env::var(vfio_access::SIM_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty() && v != "0")?;
        announce_simulation(&format!(
            "{}={text} in the environment",
            vfio_access::SIM_ENV
        ));
        Some(parse_sim_selection(&text))
    }

    pub fn location_filters(&self) -> LocationFilters {
        LocationFilters::new(&self.devices)
    }

    /// The options for `Session::open`/`open_sim`, with the VFIO layer's messages printed
    /// on the console ([`ConsoleMessages`]), as a tool shows them.
    pub fn open_options(&self) -> OpenOptions {
        OpenOptions {
            locations: self.location_filters(),
            buffer_allocation: self.buffer_allocation,
            isolate_iommu_groups: self.isolate_iommu_groups,
            messages: Messages::new(ConsoleMessages),
            sim_noiommu: self.sim_noiommu
                || std::env::var(vfio_access::sim::SIM_NOIOMMU_ENV).is_ok_and(|v| v.trim() == "1"),
            ..OpenOptions::default()
        }
    }
}

/// `FPGA_SIO_SIM_NOTICE=off` silences the simulated-boards line (the workspace's own
/// tests set it in `.cargo/config.toml`, so their exact-output checks stay those of the
/// tools' transcripts; `nite_or_lite_fury_tests/tests/simulation_notice.rs` tests the line).
pub const SIM_NOTICE_ENV: &str = "FPGA_SIO_SIM_NOTICE";

/// Prints, once per process, that the tool runs on simulated boards. It is the first line
/// of output: tools choose their devices before they print anything.
fn announce_simulation(source: &str) {
    static ANNOUNCED: std::sync::Once = std::sync::Once::new();
    if std::env::var_os(vfio_access::multiprocess::SECONDARY_ENV).is_some()
        || std::env::var(SIM_NOTICE_ENV).is_ok_and(|v| v == "off")
    {
        return;
    }
    ANNOUNCED.call_once(|| {
        eprintln!("Simulated boards, not hardware ({source})");
    });
}

/// `--buffer-allocation` values: the kebab-case names (shown in `--help` with their help
/// text) and the original's snake_case spellings as aliases.
fn buffer_allocation_values() -> [(PossibleValue, BufferAllocation); 3] {
    [
        (
            PossibleValue::new("heap").help("Page-aligned anonymous memory"),
            BufferAllocation::Heap,
        ),
        (
            PossibleValue::new("shared-memory")
                .alias("shared_memory")
                .help("POSIX shared memory (`/dev/shm/vfio_buffer_*`)"),
            BufferAllocation::SharedMemory,
        ),
        (
            PossibleValue::new("huge-pages")
                .alias("huge_pages")
                .help("Anonymous huge pages (size rounded up to the huge page size)"),
            BufferAllocation::HugePages,
        ),
    ]
}

/// Parses `--buffer-allocation` into the `vfio_access` type (which knows nothing of clap).
#[derive(Debug, Clone, Copy)]
struct BufferAllocationParser;

impl TypedValueParser for BufferAllocationParser {
    type Value = BufferAllocation;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<BufferAllocation, clap::Error> {
        let values = buffer_allocation_values();
        // Delegated so that a bad value gets clap's usual message and suggestions.
        let text = PossibleValuesParser::new(values.iter().map(|(v, _)| v.clone()))
            .parse_ref(cmd, arg, value)?;
        values
            .into_iter()
            .find(|(v, _)| v.matches(&text, false))
            .map(|(_, mode)| mode)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            buffer_allocation_values().into_iter().map(|(v, _)| v),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Tool {
        #[command(flatten)]
        dev: DeviceArgs,
        rest: Vec<String>,
    }

    #[test]
    fn sim_forms_and_aliases() {
        let t = Tool::try_parse_from(["t", "--sim", "tool_name", "x"]).unwrap();
        assert_eq!(t.dev.simulation(), Some(SimSelection::Default));
        assert_eq!(t.rest, vec!["tool_name", "x"]);
        let t = Tool::try_parse_from(["t", "--sim=dma_blkram@0000:03:00.0"]).unwrap();
        assert_eq!(
            t.dev.simulation(),
            Some(SimSelection::Boards("dma_blkram@0000:03:00.0".into()))
        );
        let t = Tool::try_parse_from([
            "t",
            "-d",
            "0000:15:00.0",
            "--device",
            "30:00.0",
            "--buffer_allocation",
            "huge_pages",
            "--isolate_iommu_groups",
        ])
        .unwrap();
        assert_eq!(t.dev.devices.len(), 2);
        assert_eq!(t.dev.buffer_allocation, BufferAllocation::HugePages);
        assert!(t.dev.isolate_iommu_groups);
        let t = Tool::try_parse_from(["t", "--buffer-allocation", "shared-memory"]).unwrap();
        assert_eq!(t.dev.buffer_allocation, BufferAllocation::SharedMemory);
        let t = Tool::try_parse_from(["t"]).unwrap();
        assert_eq!(t.dev.buffer_allocation, BufferAllocation::Heap);
    }

    #[test]
    fn bad_values_are_rejected_by_the_parser() {
        let e = Tool::try_parse_from(["t", "-d", "garbage"]).unwrap_err();
        assert!(e
            .to_string()
            .contains("Invalid PCI device location filter garbage"));
        let e = Tool::try_parse_from(["t", "--buffer-allocation", "stack"]).unwrap_err();
        assert!(
            e.to_string().contains(
                "invalid value 'stack' for '--buffer-allocation <MODE>'\n  [possible values: heap, shared-memory, huge-pages]"
            ),
            "{e}"
        );
    }

    #[test]
    fn sim_selection_text() {
        for t in ["", " ", "default", "1"] {
            assert_eq!(parse_sim_selection(t), SimSelection::Default, "{t:?}");
        }
        assert_eq!(
            parse_sim_selection(" edu,dma_blkram "),
            SimSelection::Boards("edu,dma_blkram".into())
        );
    }
}
