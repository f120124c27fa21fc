//! Opening devices for the tools: real devices through VFIO, or, under `--sim` (or
//! `FPGA_SIO_SIM`), simulated boards built by `fpga_sim`, both through the same
//! `vfio_access` session API.

use std::sync::Arc;

use command_line::DeviceArgs;
use fpga_sim::board::{build_boards, Board, BoardListError, BoardOptions, PlacedBoard};
use vfio_access::{
    Device, IdentityFilter, OpenOptions, PciLocation, Session, SimSelection, VfioError,
};

use crate::designs::design_filters;
use crate::identify::identify_devices;
use crate::record::IdentifiedDesign;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Vfio(#[from] VfioError),
    #[error(transparent)]
    BoardList(#[from] BoardListError),
}

/// The devices a tool opened, and the simulated boards behind them (if simulated).
pub struct OpenedDevices {
    pub session: Session,
    pub sim_boards: Vec<PlacedBoard>,
    /// Set when the system has no VFIO at all (the message was printed on stderr).
    pub no_vfio: bool,
}

impl OpenedDevices {
    pub fn devices(&self) -> &[Device] {
        self.session.devices()
    }

    pub fn is_simulated(&self) -> bool {
        !self.sim_boards.is_empty()
    }

    /// The simulated board at `location` (test hooks, power cycling).
    pub fn sim_board(&self, location: PciLocation) -> Option<&Arc<Board>> {
        self.sim_boards
            .iter()
            .find(|b| b.location() == location)
            .map(|b| &b.board)
    }

    /// One line for when nothing was found: how to bind a board or use the simulation.
    pub fn nothing_found_hint(&self, what: &str) -> String {
        if self.is_simulated() {
            let at: Vec<String> = self
                .sim_boards
                .iter()
                .map(|b| format!("{} at {}", b.board.name(), b.location()))
                .collect();
            format!(
                "No {what} found among the simulated boards ({}); choose others with --sim=<design>[@<location>],...",
                at.join(", ")
            )
        } else {
            format!(
                "No {what} found: bind a board to vfio-pci with scripts/bind_device_to_vfio.sh <dddd:bb:dd.f>, or use --sim for simulated boards"
            )
        }
    }
}

/// Opens the devices matching `filters` and `-d`. Under simulation the boards come from
/// the `--sim` list, or `default_sim_list` (else the default set) when `--sim` has no list.
pub fn open_devices_with_default(
    args: &DeviceArgs,
    filters: &[IdentityFilter],
    default_sim_list: Option<&str>,
) -> Result<OpenedDevices, OpenError> {
    let options = args.open_options();
    match args.simulation() {
        Some(selection) => {
            let list = match &selection {
                SimSelection::Default => default_sim_list,
                SimSelection::Boards(b) => Some(b.as_str()),
            };
            let boards = build_boards(list, &BoardOptions::from_env())?;
            open_sim_boards(boards, &options, filters)
        }
        None => match Session::open(&options, filters) {
            Ok(session) => Ok(OpenedDevices {
                session,
                sim_boards: Vec::new(),
                no_vfio: false,
            }),
            Err(e @ VfioError::NoVfio) => {
                // As the original: no VFIO is not a failure, there is just nothing to open.
                options.messages.error(&e.to_string());
                Ok(OpenedDevices {
                    session: Session::open_sim(Vec::new(), &options, filters)?,
                    sim_boards: Vec::new(),
                    no_vfio: true,
                })
            }
            Err(e) => Err(e.into()),
        },
    }
}

/// [`open_devices_with_default`] with the default simulated set.
pub fn open_devices(
    args: &DeviceArgs,
    filters: &[IdentityFilter],
) -> Result<OpenedDevices, OpenError> {
    open_devices_with_default(args, filters, None)
}

/// Opens already built simulated boards (tests build their own).
pub fn open_sim_boards(
    boards: Vec<PlacedBoard>,
    options: &OpenOptions,
    filters: &[IdentityFilter],
) -> Result<OpenedDevices, OpenError> {
    let session = Session::open_sim(
        boards.iter().map(PlacedBoard::sim_board).collect(),
        options,
        filters,
    )?;
    Ok(OpenedDevices {
        session,
        sim_boards: boards,
        no_vfio: false,
    })
}

/// Opened devices and the designs identified in them.
pub struct OpenedDesigns {
    pub devices: OpenedDevices,
    pub designs: Vec<IdentifiedDesign>,
}

impl OpenedDesigns {
    pub fn identify(devices: OpenedDevices) -> Self {
        let designs = identify_devices(devices.devices());
        Self { devices, designs }
    }

    /// The device a design was found in.
    pub fn device(&self, design: &IdentifiedDesign) -> &Device {
        &self.devices.devices()[design.device_index]
    }

    /// Designs with their devices, in identification order.
    pub fn iter(&self) -> impl Iterator<Item = (&IdentifiedDesign, &Device)> {
        self.designs.iter().map(move |d| (d, self.device(d)))
    }
}

/// Opens every device matching a design filter (and `-d`) and identifies the designs.
pub fn open_designs(args: &DeviceArgs) -> Result<OpenedDesigns, OpenError> {
    Ok(OpenedDesigns::identify(open_devices(
        args,
        &design_filters(),
    )?))
}
