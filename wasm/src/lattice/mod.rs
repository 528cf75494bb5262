//! Lattices: validation, parameters and Niggli reduction.

mod niggli;
mod params;

pub use niggli::{
    is_niggli_reduced, niggli_reduce, niggli_reduce_structure, wrap_frac, DEFAULT_EPS, MAX_EPS, MAX_STEPS,
};
pub use params::{
    check_lattice, det3, lattice_params, MAX_ATOMS_PER_CRYSTAL, MAX_LATTICE_COMPONENT,
    MIN_NORMALISED_VOLUME,
};
