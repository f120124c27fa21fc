//! Tools for VFIO itself rather than for an FPGA design (`dump_pci_info`,
//! `display_vfio_information`, `test_vfio_edu`, `vfio_multi_process_manager`,
//! `vfio_access_keep_open`; their logic is in `vfio_access::tools`, `vfio_access::manager`
//! and in the binaries), and [`edu`]: QEMU's `edu` teaching device that `test_vfio_edu` and
//! the multi-process tests drive; [`simulated_boards`]: the `--sim` boards of
//! `dump_pci_info` and `display_vfio_information`.

pub mod edu;
pub mod simulated_boards;
