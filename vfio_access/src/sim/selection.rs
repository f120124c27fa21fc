//! Which simulated boards a process opens. The command line (`--sim`, parsed by the
//! `command_line` crate) or the environment chooses; a primary passes the choice on to its
//! secondaries through [`SIM_ENV`].

/// Environment variable that carries the simulation choice to child processes:
/// `default` for the default simulated boards, or a board list as for `--sim=`.
pub const SIM_ENV: &str = "FPGA_SIO_SIM";

/// Environment variable that selects the simulated boards' noiommu mode (`1`): DMA
/// addresses are "physical" and every buffer is fragmented (`--sim-noiommu`); a primary
/// passes it on to its secondaries.
pub const SIM_NOIOMMU_ENV: &str = "FPGA_SIO_SIM_NOIOMMU";

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
}
