//! wasm-bindgen exports for lattices (and the crate-wide `version`, `last_error_message`).
//!
//! ABI: many crystals per call. Lattices are flat `[9·M]` f64 (row-major, rows = vectors, Å);
//! atoms are CSR: `frac` is flat `[3·N_total]`, `atom_offsets` is `[M+1]` with crystal `i` owning
//! atoms `atom_offsets[i]..atom_offsets[i+1]`. Outputs are preallocated by the caller. Each export
//! returns the number of crystals that failed (their codes are in `status`, see `error.rs`) or a
//! negative code when the whole call is malformed; `last_error_message()` then explains the first
//! failure. Only `src/core/` calls these.

use wasm_bindgen::prelude::*;

use crate::error::{call_failed, expect_len, run_batch, take_last_error, GeomError};
use crate::lattice;

/// The crate version (`Cargo.toml`), so callers can tell which core they loaded.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The message of the first failure of the latest batch call ("" when it had none); clears it.
#[wasm_bindgen]
pub fn last_error_message() -> String {
    take_last_error()
}

/// Size of the linear memory in bytes (for tests that check memory stays flat).
#[wasm_bindgen]
pub fn memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    return (core::arch::wasm32::memory_size(0) * 65536) as f64;
    #[cfg(not(target_arch = "wasm32"))]
    return 0.0;
}

/// Traps on purpose (`kind` 0: `unreachable`, otherwise a Rust panic), so tests can check that a
/// trap becomes a typed JS error and that the core recovers. Not part of the public API.
#[wasm_bindgen]
pub fn trap_for_tests(kind: u32) {
    if kind == 0 {
        #[cfg(target_arch = "wasm32")]
        core::arch::wasm32::unreachable();
    }
    panic!("trap_for_tests({kind})");
}

fn lattice_at(lattices: &[f64], i: usize) -> [f64; 9] {
    let mut l = [0.0; 9];
    l.copy_from_slice(&lattices[9 * i..9 * i + 9]);
    l
}

/// Checks that `offsets` is a valid CSR offsets array over `n_items` items for `m` crystals.
fn check_offsets(offsets: &[u32], m: usize, n_items: usize) -> Result<(), GeomError> {
    expect_len("atom_offsets", offsets.len(), m + 1)?;
    if offsets[0] != 0 || offsets[m] as usize != n_items || offsets.windows(2).any(|w| w[1] < w[0]) {
        return Err(GeomError::BadShape { what: "atom_offsets (end value)", got: offsets[m] as usize, expected: n_items });
    }
    Ok(())
}

/// Niggli-reduces `M = lattices.len() / 9` lattices with relative tolerance `eps`. Writes the reduced
/// lattices (`[9·M]`) and transforms (`[9·M]`, row-major, `reduced = T · input`).
#[wasm_bindgen]
pub fn niggli_reduce_lattices(
    lattices: &[f64],
    eps: f64,
    out_lattices: &mut [f64],
    out_transforms: &mut [i32],
    status: &mut [i32],
) -> i32 {
    let m = status.len();
    let shapes = expect_len("lattices", lattices.len(), 9 * m)
        .and(expect_len("out_lattices", out_lattices.len(), 9 * m))
        .and(expect_len("out_transforms", out_transforms.len(), 9 * m));
    if let Err(e) = shapes {
        return call_failed(e);
    }
    run_batch(status, |i| {
        let (r, t) = lattice::niggli_reduce(&lattice_at(lattices, i), eps)?;
        out_lattices[9 * i..9 * i + 9].copy_from_slice(&r);
        out_transforms[9 * i..9 * i + 9].copy_from_slice(&t);
        Ok(())
    })
}

/// Niggli-reduces `M` structures (CSR atoms): reduced lattices and transforms as
/// [`niggli_reduce_lattices`], and fractional coordinates in the new basis wrapped into [0, 1)
/// (`out_frac`, same layout as `frac`). Crystals without atoms fail with code 3.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn niggli_reduce_structures(
    lattices: &[f64],
    frac: &[f64],
    atom_offsets: &[u32],
    eps: f64,
    out_lattices: &mut [f64],
    out_transforms: &mut [i32],
    out_frac: &mut [f64],
    status: &mut [i32],
) -> i32 {
    let m = status.len();
    let shapes = expect_len("lattices", lattices.len(), 9 * m)
        .and(expect_len("out_lattices", out_lattices.len(), 9 * m))
        .and(expect_len("out_transforms", out_transforms.len(), 9 * m))
        .and(expect_len("out_frac", out_frac.len(), frac.len()))
        .and(expect_len("frac (multiple of 3)", frac.len(), 3 * (frac.len() / 3)))
        .and_then(|_| check_offsets(atom_offsets, m, frac.len() / 3));
    if let Err(e) = shapes {
        return call_failed(e);
    }
    run_batch(status, |i| {
        let (s, e) = (3 * atom_offsets[i] as usize, 3 * atom_offsets[i + 1] as usize);
        let (r, t) =
            lattice::niggli_reduce_structure(&lattice_at(lattices, i), &frac[s..e], &mut out_frac[s..e], eps)?;
        out_lattices[9 * i..9 * i + 9].copy_from_slice(&r);
        out_transforms[9 * i..9 * i + 9].copy_from_slice(&t);
        Ok(())
    })
}

/// Whether each lattice satisfies the Niggli conditions to within `eps` (relative): 1 or 0 in `out`.
#[wasm_bindgen]
pub fn is_niggli_reduced_many(lattices: &[f64], eps: f64, out: &mut [u8]) -> i32 {
    if let Err(e) = expect_len("lattices", lattices.len(), 9 * out.len()) {
        return call_failed(e);
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = lattice::is_niggli_reduced(&lattice_at(lattices, i), eps) as u8;
    }
    0
}

/// Lattice parameters `[a, b, c, α, β, γ]` (Å, degrees) of each lattice, into `out` (`[6·M]`).
#[wasm_bindgen]
pub fn lattice_params_many(lattices: &[f64], out: &mut [f64], status: &mut [i32]) -> i32 {
    let m = status.len();
    let shapes =
        expect_len("lattices", lattices.len(), 9 * m).and(expect_len("out", out.len(), 6 * m));
    if let Err(e) = shapes {
        return call_failed(e);
    }
    run_batch(status, |i| {
        let l = lattice_at(lattices, i);
        lattice::check_lattice(&l)?;
        out[6 * i..6 * i + 6].copy_from_slice(&lattice::lattice_params(&l));
        Ok(())
    })
}
