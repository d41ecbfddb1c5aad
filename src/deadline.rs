//! The deadline language (to be written).
