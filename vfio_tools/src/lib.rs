//! Tools for VFIO itself rather than for an FPGA design (`dump_pci_info`,
//! `display_vfio_information`, `test_vfio_edu`; their logic is in `vfio_access::tools` and
//! in the binaries), and [`edu`]: QEMU's `edu` teaching device that `test_vfio_edu` and
//! the multi-process tests drive.

pub mod edu;
