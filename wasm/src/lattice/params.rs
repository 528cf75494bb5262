//! Lattice checks, lattice parameters and the CDVAE lattice target.
//!
//! Conventions: a lattice is a row-major `[f64; 9]` whose rows are the vectors a, b, c in Å.

use crate::error::GeomError;

/// Largest accepted magnitude of a lattice matrix entry, in Å. Far beyond any crystal cell; it
/// keeps squared lengths and triple products comfortably inside f64 range.
pub const MAX_LATTICE_COMPONENT: f64 = 1e6;

/// Smallest accepted normalised volume |det L| / (|a| |b| |c|) (the volume of the parallelepiped
/// of unit vectors along a, b, c). Below it the vectors are treated as coplanar.
pub const MIN_NORMALISED_VOLUME: f64 = 1e-10;

/// Largest number of atoms accepted in one crystal.
pub const MAX_ATOMS_PER_CRYSTAL: usize = 1 << 20;

/// Dot product of rows `i` and `j` of a lattice.
#[inline]
pub(crate) fn row_dot(l: &[f64; 9], i: usize, j: usize) -> f64 {
    l[3 * i] * l[3 * j] + l[3 * i + 1] * l[3 * j + 1] + l[3 * i + 2] * l[3 * j + 2]
}

/// Determinant of a row-major 3×3 matrix (the signed cell volume of a lattice).
#[inline]
pub fn det3(m: &[f64; 9]) -> f64 {
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
        + m[2] * (m[3] * m[7] - m[4] * m[6])
}

/// Checks that a lattice is usable: finite, not absurdly large, not singular or degenerate.
/// Returns its signed volume (Å³).
pub fn check_lattice(l: &[f64; 9]) -> Result<f64, GeomError> {
    if !l.iter().all(|x| x.is_finite()) {
        return Err(GeomError::NonFinite { what: "lattice entries" });
    }
    let largest = l.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if largest > MAX_LATTICE_COMPONENT {
        return Err(GeomError::TooLarge {
            what: "lattice entry (Å)",
            value: largest,
            max: MAX_LATTICE_COMPONENT,
        });
    }
    let volume = det3(l);
    let lengths = (row_dot(l, 0, 0) * row_dot(l, 1, 1) * row_dot(l, 2, 2)).sqrt();
    if !(lengths > 0.0) || !(volume.abs() > MIN_NORMALISED_VOLUME * lengths) {
        return Err(GeomError::DegenerateLattice { volume });
    }
    Ok(volume)
}

/// Lattice parameters `[a, b, c, α, β, γ]`: lengths in Å, angles in degrees, with α = ∠(b, c),
/// β = ∠(a, c), γ = ∠(a, b). No validity check; use [`check_lattice`] first.
pub fn lattice_params(l: &[f64; 9]) -> [f64; 6] {
    let a = row_dot(l, 0, 0).sqrt();
    let b = row_dot(l, 1, 1).sqrt();
    let c = row_dot(l, 2, 2).sqrt();
    let angle = |i: usize, j: usize, li: f64, lj: f64| {
        (row_dot(l, i, j) / (li * lj)).clamp(-1.0, 1.0).acos().to_degrees()
    };
    [a, b, c, angle(1, 2, b, c), angle(0, 2, a, c), angle(0, 1, a, b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_of_a_hexagonal_cell() {
        // a = b = 3, c = 5, γ = 120°.
        let s = 3f64.sqrt() / 2.0;
        let l = [3.0, 0.0, 0.0, -1.5, 3.0 * s, 0.0, 0.0, 0.0, 5.0];
        let p = lattice_params(&l);
        let want = [3.0, 3.0, 5.0, 90.0, 90.0, 120.0];
        for k in 0..6 {
            assert!((p[k] - want[k]).abs() < 1e-12, "{p:?}");
        }
    }

    #[test]
    fn check_lattice_rejects_bad_cells() {
        let nan = [f64::NAN, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(check_lattice(&nan).unwrap_err().code(), 1);
        let flat = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        assert_eq!(check_lattice(&flat).unwrap_err().code(), 2);
        let zero = [0.0; 9];
        assert_eq!(check_lattice(&zero).unwrap_err().code(), 2);
        let huge = [1e7, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(check_lattice(&huge).unwrap_err().code(), 4);
        let ok = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0];
        assert_eq!(check_lattice(&ok), Ok(-1.0));
    }
}
