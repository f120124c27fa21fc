//! A simulated secondary (`FPGA_SIO_SECONDARY` with `sim=1`) keeps its DMA buffers in its
//! window, and refuses the real open path. One test: the handover is process-global.

use vfio_access::multiprocess::SECONDARY_ENV;
use vfio_access::{DmaAccess, OpenOptions, Session, SimSelection};
use vfio_tools::edu;

#[test]
fn simulated_secondary_allocates_only_in_its_window() {
    std::env::set_var(
        SECONDARY_ENV,
        "v=1 sim=1 window=0x4000000-0x4003fff containers= devices=",
    );
    let options = OpenOptions::default();
    let session = Session::open_sim(
        edu::sim_boards(&SimSelection::Default),
        &options,
        &[edu::FILTER],
    )
    .unwrap();
    assert_eq!(session.devices().len(), 3);
    let dev = &session.devices()[0];
    let bufs: Vec<_> = (0..4)
        .map(|_| dev.alloc_dma(4096, DmaAccess::READ_WRITE).unwrap())
        .collect();
    for b in &bufs {
        assert!(
            (0x400_0000..=0x400_3fff).contains(&b.iova()),
            "IOVA 0x{:x} outside the window",
            b.iova()
        );
    }
    // The window (16 KiB) is full now.
    let e = dev.alloc_dma(4096, DmaAccess::READ).unwrap_err();
    assert!(e.to_string().starts_with("No free IOVA"), "{e}");
    drop(bufs);
    assert!(dev.alloc_dma(4096, DmaAccess::READ).is_ok());
    // The real open path of a simulated primary's secondary refuses instead of opening
    // groups itself.
    let e = Session::open(&options, &[edu::FILTER]).err().unwrap();
    assert!(e.to_string().contains("simulated primary"), "{e}");
}
