//! Structure matching as pymatgen's `StructureMatcher.get_rms_dist` (v2020.12.31, the version
//! CDVAE pins; reference `metrics-reference-matcher-magpie.md` Part A), with the defaults CDVAE
//! keeps: `primitive_cell=True`, `scale=True`, `attempt_supercell=False`, `allow_subset=False`,
//! the species comparator (same atomic number).
//!
//! Algorithm (numbered as in pymatgen's docstring):
//! 1. Reduce each crystal: pymatgen's Niggli cell, then its primitive cell (0.25 Å per-axis
//!    tolerance; near-coincident periodic copies are averaged).
//! 2. Scale both lattices to the geometric-mean volume.
//! 3. S = the crystal with more sites (the first on a tie), T = the other. Different site counts
//!    or per-element counts: no match.
//! 4. For every basis of S's lattice within `ltol`/`angle_tol` of T's basis with det ±1, and every
//!    translation putting T's anchor site on an S site, prefilter, pair sites by an exact
//!    assignment on minimum-image distances in the average lattice, and take the RMS after the best
//!    rigid translation, in units of (V/N)^(1/3).
//! 5. The smallest RMS wins if it is below `stol` (a value below 1e-5 ends the search at once).
//!
//! Degenerate cells for which pymatgen raises (its Niggli reduction finds no cell) give no match,
//! as CDVAE's `try`/`except` does.

mod assign;
mod elements;
mod linalg;
mod mappings;
mod primitive;
mod search;
#[cfg(test)]
mod tests;

use crate::error::GeomError;
use crate::geometry::check_frac;
use crate::lattice::check_lattice;

pub use elements::{symbol, MAX_Z};
pub use search::EARLY_EXIT;

/// pymatgen's `get_primitive_structure` tolerance, in Å.
pub const PRIMITIVE_TOL: f64 = 0.25;

/// Largest number of sites per crystal the matcher accepts (the search is O(N³) per translation).
pub const MAX_MATCH_ATOMS: usize = 1024;

/// A crystal as the matcher sees it: lattice rows = vectors (Å), fractional coordinates, atomic
/// numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub lattice: [f64; 9],
    pub frac: Vec<[f64; 3]>,
    pub numbers: Vec<u8>,
}

impl Cell {
    /// Builds a cell from flat arrays (`frac` is `[3·N]`).
    pub fn new(lattice: [f64; 9], frac: &[f64], numbers: &[u8]) -> Self {
        let frac = frac.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
        Cell {
            lattice,
            frac,
            numbers: numbers.to_vec(),
        }
    }
}

/// Tolerances and switches of `StructureMatcher` (CDVAE's values by default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchOptions {
    /// Fractional length tolerance of the lattice mapping (window 1/(1+ltol) … 1+ltol).
    pub ltol: f64,
    /// Site tolerance, in units of (V/N)^(1/3); a match needs RMS < stol.
    pub stol: f64,
    /// Angle tolerance of the lattice mapping, degrees.
    pub angle_tol: f64,
    /// Reduce both crystals to primitive cells first.
    pub primitive_cell: bool,
    /// Scale both lattices to the same volume first.
    pub scale: bool,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            ltol: 0.3,
            stol: 0.5,
            angle_tol: 10.0,
            primitive_cell: true,
            scale: true,
        }
    }
}

/// What `get_rms_dist` returns for a match: the RMS displacement and the largest single
/// displacement, both in units of (V/N)^(1/3) of the average lattice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchResult {
    pub rms: f64,
    pub max_dist: f64,
}

/// Checks the options (all finite; ltol, stol > 0; 0 < angle_tol < 180).
pub fn check_options(o: &MatchOptions) -> Result<(), GeomError> {
    let bad = |name: &'static str, value: f64| Err(GeomError::BadParameter { name, value });
    if !(o.ltol.is_finite() && o.ltol > 0.0) {
        return bad("ltol", o.ltol);
    }
    if !(o.stol.is_finite() && o.stol > 0.0) {
        return bad("stol", o.stol);
    }
    if !(o.angle_tol.is_finite() && o.angle_tol > 0.0 && o.angle_tol < 180.0) {
        return bad("angle_tol", o.angle_tol);
    }
    Ok(())
}

/// Checks one crystal: a usable lattice, finite coordinates, 1…[`MAX_MATCH_ATOMS`] atoms with
/// atomic numbers 1…118.
pub fn check_cell(c: &Cell) -> Result<(), GeomError> {
    check_lattice(&c.lattice)?;
    if c.numbers.is_empty() {
        return Err(GeomError::NoAtoms);
    }
    if c.numbers.len() > MAX_MATCH_ATOMS {
        return Err(GeomError::TooLarge {
            what: "number of atoms to match",
            value: c.numbers.len() as f64,
            max: MAX_MATCH_ATOMS as f64,
        });
    }
    if c.frac.len() != c.numbers.len() {
        return Err(GeomError::BadShape {
            what: "frac",
            got: 3 * c.frac.len(),
            expected: 3 * c.numbers.len(),
        });
    }
    let flat: Vec<f64> = c.frac.iter().flatten().copied().collect();
    check_frac(&flat)?;
    if let Some(&z) = c.numbers.iter().find(|&&z| z == 0 || z > MAX_Z) {
        return Err(GeomError::BadParameter {
            name: "atomic number",
            value: z as f64,
        });
    }
    Ok(())
}

/// Niggli cell, then (optionally) primitive cell, as `StructureMatcher._get_reduced_structure`.
fn reduce(c: &Cell, o: &MatchOptions) -> Option<Cell> {
    let r = primitive::niggli_structure(c)?;
    if o.primitive_cell {
        primitive::primitive(&r, PRIMITIVE_TOL)
    } else {
        Some(r)
    }
}

/// pymatgen's `StructureMatcher(ltol, stol, angle_tol, primitive_cell, scale).get_rms_dist(a, b)`:
/// `Ok(Some(..))` for a match, `Ok(None)` for none, `Err` for invalid input.
pub fn get_rms_dist(a: &Cell, b: &Cell, o: &MatchOptions) -> Result<Option<MatchResult>, GeomError> {
    check_options(o)?;
    check_cell(a)?;
    check_cell(b)?;
    let (Some(mut s1), Some(mut s2)) = (reduce(a, o), reduce(b, o)) else {
        return Ok(None);
    };
    if o.scale {
        let ratio = (linalg::volume(&s2.lattice) / linalg::volume(&s1.lattice)).powf(1.0 / 6.0);
        s1.lattice = linalg::scale(&s1.lattice, ratio);
        s2.lattice = s2.lattice.map(|x| x / ratio);
    }
    Ok(if s1.numbers.len() >= s2.numbers.len() {
        search::strict_match(&s1, &s2, o)
    } else {
        search::strict_match(&s2, &s1, o)
    })
}

/// The reduced cell the matcher compares (Niggli, then primitive unless switched off); exposed for
/// tests and diagnostics. `None` where pymatgen's Niggli reduction fails.
pub fn reduced_cell(c: &Cell, o: &MatchOptions) -> Result<Option<Cell>, GeomError> {
    check_cell(c)?;
    Ok(reduce(c, o))
}
