//! Lists PCI devices from sysfs: the original `dump_info_pciutils` lines, then an
//! lspci-grade decoding of each config space and the chain of parent bridges. The logic is
//! `vfio_access::tools::dump_pci_info`.

use clap::Parser;
use command_line::{cli, DeviceArgs};
use vfio_access::pci_report::DeviceSelector;
use vfio_access::sysfs;
use vfio_access::tools::dump_pci_info::{self, parse_vendor, PciListingRequest};
use vfio_tools::simulated_boards::simulated_boards;

/// List PCI devices from sysfs, decoded as `lspci -vv` decodes them.
///
/// Lists every PCI device, or those selected by the filters, -d and --vendor. Capabilities
/// beyond the first 64 bytes of config space (PCI Express link, AER, ...) need root, as
/// for lspci. Needs no VFIO. With --sim, lists the simulated boards instead (no parent
/// bridges: they sit on root buses).
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    devices: DeviceArgs,

    /// Only list devices of this vendor (4 hex digits, e.g. 10ee for Xilinx).
    #[arg(long, value_parser = parse_vendor)]
    vendor: Option<u16>,

    /// Device filters, hex: `dddd:bb:dd.f` (or `bb:dd.f`) a location, `vid:did` an
    /// identity, `vid` a vendor. Locations and identities combine as -d and --vendor.
    #[arg(value_name = "FILTER")]
    filters: Vec<DeviceSelector>,

    /// sysfs mount point (for testing against a copy of a machine's sysfs tree).
    #[arg(long, default_value = sysfs::SYSFS_ROOT, hide = true)]
    sysfs_root: std::path::PathBuf,
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        let request = PciListingRequest {
            sysfs_root: &args.sysfs_root,
            devices: &args.devices.devices,
            vendor: args.vendor,
            filters: &args.filters,
        };
        let out = &mut std::io::stdout().lock();
        match args.devices.simulation() {
            Some(selection) => {
                let boards = simulated_boards(&selection)?;
                Ok(dump_pci_info::run_simulated(out, &boards, &request)?)
            }
            None => Ok(dump_pci_info::run(out, &request)?),
        }
    })
}
