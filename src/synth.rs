//! Synthetic corpus generator (stub; to be written).
