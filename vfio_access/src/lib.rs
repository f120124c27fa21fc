//! vfio_access
