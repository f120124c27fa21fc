//! Shows what the kernel's VFIO offers: container extensions, every IOMMU group with its
//! IOMMU capabilities, and each device's regions, IRQs, PCI capabilities and whether its
//! BARs can be exported as dma-bufs. The logic is
//! `vfio_access::tools::display_vfio_information`.

use clap::Parser;
use command_line::{cli, DeviceArgs};
use vfio_access::tools::display_vfio_information::{self, VfioInformationRequest};
use vfio_tools::simulated_boards::simulated_boards;

/// Display VFIO container, IOMMU group and device information.
///
/// With -d, only the IOMMU groups of the selected devices are shown. With --sim, the
/// simulated boards' container, groups, regions and capabilities.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    devices: DeviceArgs,
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        let program = std::env::args().next().unwrap_or_default();
        let boards = args
            .devices
            .simulation()
            .map(|s| simulated_boards(&s))
            .transpose()?;
        let request = VfioInformationRequest {
            devices: &args.devices.devices,
            simulated: boards.as_deref(),
            program: &program,
        };
        Ok(display_vfio_information::run(
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
            &request,
        )?)
    })
}
