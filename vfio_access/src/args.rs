//! The device-selection options every tool flattens into its own clap parser.

use crate::dma::BufferAllocation;
use crate::location::{LocationFilters, PciLocation};
use crate::session::OpenOptions;

/// Environment variable that carries the simulation choice to child processes:
/// `default` for the default simulated boards, or a board list as for `--sim=`.
pub const SIM_ENV: &str = "FPGA_SIO_SIM";

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
        value_enum,
        value_name = "MODE",
        default_value_t
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
}

/// What `--sim` selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimSelection {
    /// The default simulated boards.
    Default,
    /// A board list as given to `--sim=`.
    Boards(String),
}

impl SimSelection {
    /// The value to put in [`SIM_ENV`] so that children make the same choice.
    pub fn env_value(&self) -> String {
        match self {
            SimSelection::Default => "default".into(),
            SimSelection::Boards(b) => b.clone(),
        }
    }

    fn from_text(text: &str) -> Self {
        let t = text.trim();
        if t.is_empty() || t == "default" || t == "1" {
            SimSelection::Default
        } else {
            SimSelection::Boards(t.to_string())
        }
    }
}

impl DeviceArgs {
    /// The simulation choice: `--sim` on the command line, else the environment.
    pub fn simulation(&self) -> Option<SimSelection> {
        if let Some(s) = &self.sim {
            return Some(SimSelection::from_text(s));
        }
        std::env::var(SIM_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty() && v != "0")
            .map(|v| SimSelection::from_text(&v))
    }

    pub fn location_filters(&self) -> LocationFilters {
        LocationFilters::new(&self.devices)
    }

    pub fn open_options(&self) -> OpenOptions {
        OpenOptions {
            locations: self.location_filters(),
            buffer_allocation: self.buffer_allocation,
            isolate_iommu_groups: self.isolate_iommu_groups,
            ..OpenOptions::default()
        }
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
    }

    #[test]
    fn bad_location_is_rejected_by_the_parser() {
        let e = Tool::try_parse_from(["t", "-d", "garbage"]).unwrap_err();
        assert!(e
            .to_string()
            .contains("Invalid PCI device location filter garbage"));
    }
}
