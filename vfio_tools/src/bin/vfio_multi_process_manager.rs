//! `vfio_multi_process_manager`: owns the VFIO groups and containers of the selected
//! devices so that tools started independently (from several shells, at different times)
//! share them. Every tool finds it by itself (abstract socket `VFIO_MULTI_PROCESS_MANAGER`)
//! and opens devices, gets IOVAs and releases them through it. The logic is
//! `vfio_access::manager` (vfio_access.md §7.3).

use anyhow::{bail, Result};
use clap::Parser;
use command_line::{cli, DeviceArgs};
use vfio_access::manager::startup::{self, Daemon, Ready};
use vfio_access::manager::{socket_name, Server, ServerOptions, VfioDevices};

/// Share VFIO devices between independently started tools: this manager opens the IOMMU
/// groups once, passes device and container fds to each tool, allocates every IOVA, and
/// unmaps what a tool left mapped when it ends (even when killed). Ctrl-C stops it once no
/// tool is connected.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The devices to manage (default: every vfio-bound device); --isolate-iommu-groups
    /// gives each IOMMU group its own container. Simulated boards (--sim) are refused.
    #[command(flatten)]
    devices: DeviceArgs,

    /// Shut down the first time the number of connected tools returns to zero.
    #[arg(long)]
    once: bool,

    /// Go to the background once ready (the command returns when tools can connect);
    /// output stays on this terminal.
    #[arg(long)]
    daemon: bool,
}

fn serve(args: &Args, ready: Ready) -> Result<()> {
    let name = socket_name();
    let listener = startup::listen_once(&name)?;
    let stop = startup::sigint_fd()?;
    let options = args.devices.open_options();
    let devices = VfioDevices::open_all(&options)?;
    println!(
        "Managing {} VFIO devices in {} IOMMU groups and {} containers on @{name}",
        devices.managed().len(),
        devices.group_count(),
        devices.container_count()
    );
    let mut server = Server::new(
        devices,
        ServerOptions {
            once: args.once,
            messages: options.messages.clone(),
        },
    );
    server.listen_on(listener);
    server.stop_on(stop);
    ready.signal();
    server.run()?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        if args.devices.simulation().is_some() {
            bail!("the VFIO multi-process manager shares kernel VFIO groups; simulated boards (--sim) exist only inside each tool's own process, so there is nothing to manage");
        }
        let ready = if args.daemon {
            match startup::daemonize()? {
                Daemon::Parent { ready: true } => return Ok(()),
                Daemon::Parent { ready: false } => {
                    bail!("the VFIO multi-process manager did not start (see above)")
                }
                Daemon::Child(ready) => ready,
            }
        } else {
            Ready::foreground()
        };
        serve(&args, ready)
    })
}
