//! Lists PCI devices from sysfs (the `dump_info_pciutils` listing): ids with names from
//! the PCI ID repository, command register, slot, IOMMU group, driver and BARs. The logic
//! is `vfio_access::tools::dump_pci_info`.

use clap::Parser;
use command_line::{cli, DeviceArgs};
use vfio_access::sysfs;
use vfio_access::tools::dump_pci_info::{self, parse_vendor, PciListingRequest};

/// List PCI devices from sysfs, with names from the PCI ID repository.
///
/// Lists every PCI device, or those selected with -d / --vendor. Needs no VFIO and no
/// privileges.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    devices: DeviceArgs,

    /// Only list devices of this vendor (4 hex digits, e.g. 10ee for Xilinx).
    #[arg(long, value_parser = parse_vendor)]
    vendor: Option<u16>,

    /// sysfs mount point (for testing against a copy of a machine's sysfs tree).
    #[arg(long, default_value = sysfs::SYSFS_ROOT, hide = true)]
    sysfs_root: std::path::PathBuf,
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        if args.devices.simulation().is_some() {
            eprintln!("note: dump_pci_info lists this machine's sysfs; simulated boards are not PCI devices of the machine");
        }
        let request = PciListingRequest {
            sysfs_root: &args.sysfs_root,
            devices: &args.devices.devices,
            vendor: args.vendor,
        };
        Ok(dump_pci_info::run(&mut std::io::stdout().lock(), &request)?)
    })
}
