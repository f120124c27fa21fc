//! The logic of the VFIO-level tools (their binaries are in the `vfio_tools` crate and only
//! parse the command line): each writes to the writers it is given, so it runs in-process
//! in tests.

pub mod display_vfio_information;
pub mod dump_pci_info;

use crate::error::VfioError;

/// Why a tool run failed.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(transparent)]
    Vfio(#[from] VfioError),
    /// The output could not be written (e.g. a closed pipe).
    #[error("writing the output failed: {0}")]
    Output(#[from] std::io::Error),
    /// The run found nothing to do or a selection that does not exist.
    #[error("{0}")]
    Failed(String),
}
