//! The one board a server serves: an entry of the `--sim` board list syntax,
//! `<design>[@<location>[/<iommu group>]]` (fpga_sim::board::placement). The location
//! names the board's state files (flash, block RAM), so a board served here and the same
//! board under `--sim` share them; the group is accepted and ignored (the guest decides).

use std::sync::Arc;

use fpga_sim::board::{build_boards, Board, BoardListError, BoardOptions};

#[derive(Debug, thiserror::Error)]
pub enum BoardChoiceError {
    #[error(transparent)]
    List(#[from] BoardListError),
    #[error("'{0}' names {1} boards; a server serves exactly one")]
    NotOne(String, usize),
}

/// Builds the board `text` names.
pub fn choose_board(text: &str, options: &BoardOptions) -> Result<Arc<Board>, BoardChoiceError> {
    let mut boards = build_boards(Some(text), options)?;
    if boards.len() != 1 {
        return Err(BoardChoiceError::NotOne(text.to_string(), boards.len()));
    }
    Ok(boards.remove(0).board)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vfio_access::PciLocation;

    #[test]
    fn one_entry_with_or_without_location() {
        let dir = tempfile::tempdir().unwrap();
        let options = BoardOptions {
            xadc_seed: None,
            state_dir: Some(dir.path().to_path_buf()),
        };
        let b = choose_board("dma_blkram@0000:07:00.0", &options).unwrap();
        assert_eq!(b.name(), "dma_blkram");
        assert_eq!(b.location(), PciLocation::new(0, 7, 0, 0));
        assert!(choose_board("TEF1001_dma_ddr3", &options).is_ok());
        assert!(matches!(
            choose_board("dma_blkram,TEF1001_dma_ddr3", &options),
            Err(BoardChoiceError::NotOne(_, 2))
        ));
        let e = choose_board("no_such_design", &options).unwrap_err();
        assert!(e.to_string().contains("unknown simulated design"), "{e}");
    }
}
