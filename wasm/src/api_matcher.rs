//! wasm-bindgen export of the structure matcher (pymatgen `StructureMatcher.get_rms_dist`).
//!
//! ABI as `api_lattice`: crystals are packed as one CSR batch in which pair `p` is crystal `2p`
//! (pred, pymatgen's struct1) and crystal `2p + 1` (gt, struct2). One status code per pair (0 =
//! success, see `error.rs`); the number of failed pairs is returned (negative code for a malformed
//! call) and `last_error_message()` explains the first failure. Only `src/core/` and `src/eval/`
//! wrappers call this.

use wasm_bindgen::prelude::*;

use crate::error::{call_failed, expect_len, run_batch, GeomError};
use crate::geometry::Batch;
use crate::matcher::{check_options, get_rms_dist, Cell, MatchOptions};

/// `flags` bit: reduce to primitive cells first (pymatgen `primitive_cell`).
pub const FLAG_PRIMITIVE: u32 = 1;
/// `flags` bit: scale both lattices to the same volume (pymatgen `scale`).
pub const FLAG_SCALE: u32 = 2;

/// Matches `P = status.len()` pairs. `numbers` holds each atom's atomic number (same layout as the
/// atoms of `frac`). Writes `out[2p] = rms`, `out[2p + 1] = max distance` (both in units of
/// (V/N)^(1/3)), or NaN for both when the pair does not match.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn match_structures_many(
    lattices: &[f64],
    frac: &[f64],
    numbers: &[u8],
    atom_offsets: &[u32],
    ltol: f64,
    stol: f64,
    angle_tol: f64,
    flags: u32,
    out: &mut [f64],
    status: &mut [i32],
) -> i32 {
    let p = status.len();
    let opts = MatchOptions {
        ltol,
        stol,
        angle_tol,
        primitive_cell: flags & FLAG_PRIMITIVE != 0,
        scale: flags & FLAG_SCALE != 0,
    };
    let batch = Batch::new(lattices, frac, atom_offsets).and_then(|b| {
        expect_len("atom_offsets (2 crystals per pair)", b.len(), 2 * p)?;
        expect_len("numbers", numbers.len(), frac.len() / 3)?;
        expect_len("out", out.len(), 2 * p)?;
        check_options(&opts)?;
        Ok(b)
    });
    let batch = match batch {
        Ok(b) => b,
        Err(e) => return call_failed(e),
    };
    let cell = |k: usize| -> Cell {
        let r = batch.atoms(k);
        let mut l = [0.0; 9];
        l.copy_from_slice(&lattices[9 * k..9 * k + 9]);
        Cell::new(l, &frac[3 * r.start..3 * r.end], &numbers[r])
    };
    run_batch(status, |i| -> Result<(), GeomError> {
        out[2 * i] = f64::NAN;
        out[2 * i + 1] = f64::NAN;
        if let Some(m) = get_rms_dist(&cell(2 * i), &cell(2 * i + 1), &opts)? {
            out[2 * i] = m.rms;
            out[2 * i + 1] = m.max_dist;
        }
        Ok(())
    })
}
