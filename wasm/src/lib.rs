//! cdvae's geometry core: exact (f64, deterministic) answers about crystals, compiled to wasm.
//!
//! Algorithms live in pure modules (`lattice`, …) that never touch `wasm_bindgen`, so `cargo test`
//! runs them on the host. The `api_*` modules are the thin wasm-bindgen layer: batch exports over
//! flat arrays, one status code per crystal (see `error`). Keep this file a list of `mod` lines.

pub mod crystalnn;
pub mod error;
pub mod geometry;
pub mod lattice;
pub mod matcher;
pub mod neighbors;
pub mod symmetry;

mod api_crystalnn;
mod api_geometry;
mod api_lattice;
mod api_matcher;
mod api_symmetry;
