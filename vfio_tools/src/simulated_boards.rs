//! The simulated boards a `--sim` choice names (the `fpga_sim` boards every tool opens),
//! for the tools here that report on them without opening them through a session.

use fpga_sim::board::{build_boards, BoardListError, BoardOptions, PlacedBoard};
use vfio_access::sim::SimBoard;
use vfio_access::SimSelection;

/// The boards of `selection` (the default set, or a `--sim=` list).
pub fn simulated_boards(selection: &SimSelection) -> Result<Vec<SimBoard>, BoardListError> {
    let list = match selection {
        SimSelection::Default => None,
        SimSelection::Boards(b) => Some(b.as_str()),
    };
    Ok(build_boards(list, &BoardOptions::from_env())?
        .iter()
        .map(PlacedBoard::sim_board)
        .collect())
}
