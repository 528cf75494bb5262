//! Cell geometry on f64: input validation, volume, perpendicular heights, wrapping, the
//! minimum-image displacement (CDVAE's d_min target), the minimum interatomic distance and density.
//!
//! Conventions: a lattice is 9 numbers, rows = lattice vectors in Å; Cartesian = frac · L. The
//! image S (3 integers) of atom j sits at x_j + S·L. Batches are CSR: `lattices` holds 9 numbers
//! per crystal, `frac` 3 per atom, and crystal b owns atoms `atom_offsets[b]..atom_offsets[b + 1]`.

use std::sync::OnceLock;

use crate::error::{expect_len, GeomError};
use crate::lattice::{check_lattice, det3, MAX_ATOMS_PER_CRYSTAL};
use crate::neighbors::SphereFrame;

/// A lattice: rows = lattice vectors (Å), row-major.
pub type Lattice = [f64; 9];

/// Largest |fractional coordinate| accepted: beyond it, image indices could overflow i32 and
/// Cartesian positions lose all sub-Å precision.
pub const MAX_ABS_FRAC: f64 = 1e6;

/// Centimetres per ångström, for densities in g/cm³.
const CM_PER_ANGSTROM: f64 = 1e-8;

/// The atomic-mass table (u), `masses[z - 1]`, embedded from data/elements/atomic_masses.json.
const MASSES_JSON: &str = include_str!("../../data/elements/atomic_masses.json");

pub fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub fn norm(a: &[f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// Row `k` of `l` (lattice vector k).
pub fn lattice_row(l: &Lattice, k: usize) -> [f64; 3] {
    [l[3 * k], l[3 * k + 1], l[3 * k + 2]]
}

/// Cell volume |det L| in Å³ (no validity check).
pub fn volume(l: &Lattice) -> f64 {
    det3(l).abs()
}

/// Perpendicular heights: h_k = V / |L_(k+1) × L_(k+2)|, the spacing of the lattice planes
/// spanned by the other two vectors. A sphere of radius r meets at most 2r/h_k + 1 of them.
pub fn heights(l: &Lattice) -> [f64; 3] {
    let v = volume(l);
    let r = [lattice_row(l, 0), lattice_row(l, 1), lattice_row(l, 2)];
    [
        v / norm(&cross(&r[1], &r[2])),
        v / norm(&cross(&r[2], &r[0])),
        v / norm(&cross(&r[0], &r[1])),
    ]
}

/// Cartesian position of fractional `f` (frac · L).
#[inline]
pub fn frac_to_cart(f: &[f64], l: &Lattice) -> [f64; 3] {
    let mut c = [0.0; 3];
    for (x, cx) in c.iter_mut().enumerate() {
        *cx = f[0] * l[x] + f[1] * l[3 + x] + f[2] * l[6 + x];
    }
    c
}

/// The Cartesian vector S·L of image `s`.
#[inline]
pub fn image_shift(s: [i32; 3], l: &Lattice) -> [f64; 3] {
    let f = [s[0] as f64, s[1] as f64, s[2] as f64];
    frac_to_cart(&f, l)
}

/// A batch of crystals in CSR form (see the module comment), checked for consistent shapes.
pub struct Batch<'a> {
    pub lattices: &'a [f64],
    pub frac: &'a [f64],
    pub atom_offsets: &'a [u32],
}

/// One crystal of a [`Batch`], validated: usable lattice, at least one atom, finite
/// coordinates of sane magnitude. `first` is the global index of its first atom.
pub struct CrystalView<'a> {
    pub lattice: Lattice,
    pub frac: &'a [f64],
    pub first: usize,
}

impl<'a> Batch<'a> {
    /// Checks the shapes only (call-level errors); crystals are checked by [`Batch::crystal`].
    pub fn new(lattices: &'a [f64], frac: &'a [f64], atom_offsets: &'a [u32]) -> Result<Self, GeomError> {
        let m = atom_offsets.len().checked_sub(1).ok_or(GeomError::BadShape {
            what: "atom_offsets",
            got: 0,
            expected: 1,
        })?;
        expect_len("lattices", lattices.len(), 9 * m)?;
        expect_len("frac (multiple of 3)", frac.len(), 3 * (frac.len() / 3))?;
        let n = frac.len() / 3;
        if atom_offsets[0] != 0
            || atom_offsets[m] as usize != n
            || atom_offsets.windows(2).any(|w| w[1] < w[0])
        {
            return Err(GeomError::BadShape {
                what: "atom_offsets (must rise from 0 to the atom count)",
                got: atom_offsets[m] as usize,
                expected: n,
            });
        }
        Ok(Batch {
            lattices,
            frac,
            atom_offsets,
        })
    }

    /// Number of crystals.
    pub fn len(&self) -> usize {
        self.atom_offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Atom range of crystal `b` (global indices).
    pub fn atoms(&self, b: usize) -> std::ops::Range<usize> {
        self.atom_offsets[b] as usize..self.atom_offsets[b + 1] as usize
    }

    /// Crystal `b`, validated.
    pub fn crystal(&self, b: usize) -> Result<CrystalView<'a>, GeomError> {
        let mut lattice = [0.0; 9];
        lattice.copy_from_slice(&self.lattices[9 * b..9 * b + 9]);
        check_lattice(&lattice)?;
        let atoms = self.atoms(b);
        if atoms.is_empty() {
            return Err(GeomError::NoAtoms);
        }
        if atoms.len() > MAX_ATOMS_PER_CRYSTAL {
            return Err(GeomError::TooLarge {
                what: "atom count",
                value: atoms.len() as f64,
                max: MAX_ATOMS_PER_CRYSTAL as f64,
            });
        }
        let frac = &self.frac[3 * atoms.start..3 * atoms.end];
        check_frac(frac)?;
        Ok(CrystalView {
            lattice,
            frac,
            first: atoms.start,
        })
    }
}

/// Rejects NaN/±Infinity and coordinates beyond [`MAX_ABS_FRAC`].
pub fn check_frac(frac: &[f64]) -> Result<(), GeomError> {
    if !frac.iter().all(|f| f.is_finite()) {
        return Err(GeomError::NonFinite {
            what: "fractional coordinates",
        });
    }
    let largest = frac.iter().fold(0.0f64, |m, f| m.max(f.abs()));
    if largest > MAX_ABS_FRAC {
        return Err(GeomError::TooLarge {
            what: "|fractional coordinate|",
            value: largest,
            max: MAX_ABS_FRAC,
        });
    }
    Ok(())
}

impl CrystalView<'_> {
    pub fn n_atoms(&self) -> usize {
        self.frac.len() / 3
    }

    /// Cartesian positions of the atoms.
    pub fn cart(&self) -> Vec<[f64; 3]> {
        self.frac
            .chunks_exact(3)
            .map(|f| frac_to_cart(f, &self.lattice))
            .collect()
    }
}

/// Which periodic images a minimum-image search considers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageSearch {
    /// Every image: the exact minimum image, on any cell.
    All,
    /// Only S ∈ {−1, 0, 1}³ around the coordinates as given, as CDVAE's `radius_graph_pbc` and
    /// `min_distance_sqr_pbc` do (not the true minimum for thin or skewed cells).
    Adjacent27,
}

/// Per atom, the shortest vector (x_b + S·L) − x_a from atom a of `c` to an image of the
/// same atom in `frac_b` (3 numbers per atom, written to `out`). CDVAE's coordinate target
/// d_min is `min_image_displacement(noisy, true)`: from the noisy position to the nearest image
/// of the true one. Exact ties keep the lexicographically smallest S.
pub fn min_image_displacement(
    c: &CrystalView,
    frac_b: &[f64],
    images: ImageSearch,
    out: &mut [f64],
) -> Result<(), GeomError> {
    check_frac(frac_b)?;
    let l = &c.lattice;
    let frame = SphereFrame::new(l, 1.0);
    for (a, (fa, fb)) in c.frac.chunks_exact(3).zip(frac_b.chunks_exact(3)).enumerate() {
        let d = sub(&frac_to_cart(fb, l), &frac_to_cart(fa, l));
        let best = match images {
            ImageSearch::Adjacent27 => nearest_of_27(&d, l),
            ImageSearch::All => {
                let df = [fb[0] - fa[0], fb[1] - fa[1], fb[2] - fa[2]];
                nearest_image(&d, &df, l, &frame, f64::INFINITY, false).map_or(d, |x| x.1)
            }
        };
        out[3 * a..3 * a + 3].copy_from_slice(&best);
    }
    Ok(())
}

fn sub(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn add(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// The shortest d + S·L over S ∈ {−1, 0, 1}³, first-found (lexicographic S) on exact ties.
fn nearest_of_27(d: &[f64; 3], l: &Lattice) -> [f64; 3] {
    let mut best: Option<(f64, [f64; 3])> = None;
    for s0 in -1..=1 {
        for s1 in -1..=1 {
            for s2 in -1..=1 {
                let v = add(d, &image_shift([s0, s1, s2], l));
                let d2 = dot(&v, &v);
                if best.is_none_or(|(b2, _)| d2 < b2) {
                    best = Some((d2, v));
                }
            }
        }
    }
    best.map_or(*d, |x| x.1)
}

/// Exact closest image: min over S of |d + S·L| (S ≠ 0 when `skip_zero`), searched only within
/// `bound` (and within the image of the rounded fractional difference `df`, which is always a
/// valid upper bound). Returns (distance², vector), or None when nothing lies within `bound`.
/// Ties keep the lexicographically smallest S.
pub(crate) fn nearest_image(
    d: &[f64; 3],
    df: &[f64; 3],
    l: &Lattice,
    frame: &SphereFrame,
    bound: f64,
    skip_zero: bool,
) -> Option<(f64, [f64; 3])> {
    let mut r = bound;
    if !skip_zero {
        let s0 = [
            -df[0].round() as i32,
            -df[1].round() as i32,
            -df[2].round() as i32,
        ];
        r = r.min(norm(&add(d, &image_shift(s0, l))));
    }
    if !r.is_finite() {
        return None;
    }
    let mut best: Option<(f64, [i32; 3], [f64; 3])> = None;
    frame.for_each(d, r, |s| {
        if skip_zero && s == [0, 0, 0] {
            return true;
        }
        let v = add(d, &image_shift(s, l));
        let d2 = dot(&v, &v);
        if best.is_none_or(|(b2, bs, _)| d2 < b2 || (d2 == b2 && s < bs)) {
            best = Some((d2, s, v));
        }
        true
    });
    best.map(|(d2, _, v)| (d2, v))
}

/// Smallest interatomic distance (Å) over every image. With `self_images`, an atom's own
/// periodic images count too (a 1-atom cell gives its shortest lattice vector); without, only
/// pairs of distinct atoms count, as CDVAE's validity check (`structure.distance_matrix` plus a
/// large diagonal) does, and a 1-atom cell gives +∞.
pub fn min_distance(c: &CrystalView, self_images: bool) -> f64 {
    let l = &c.lattice;
    let frame = SphereFrame::new(l, 1.0);
    let cart = c.cart();
    let mut best = f64::INFINITY;
    if self_images {
        let shortest = (0..3)
            .map(|k| norm(&lattice_row(l, k)))
            .fold(f64::INFINITY, f64::min);
        if let Some((d2, _)) = nearest_image(&[0.0; 3], &[0.0; 3], l, &frame, shortest, true) {
            best = d2.sqrt();
        }
    }
    for i in 0..cart.len() {
        let fi = &c.frac[3 * i..3 * i + 3];
        for j in i + 1..cart.len() {
            let fj = &c.frac[3 * j..3 * j + 3];
            let df = [fj[0] - fi[0], fj[1] - fi[1], fj[2] - fi[2]];
            if let Some((d2, _)) = nearest_image(&sub(&cart[j], &cart[i]), &df, l, &frame, best, false) {
                best = best.min(d2.sqrt());
            }
        }
    }
    best
}

fn masses() -> &'static (f64, Vec<f64>) {
    static TABLE: OnceLock<(f64, Vec<f64>)> = OnceLock::new();
    TABLE.get_or_init(|| parse_masses(MASSES_JSON))
}

/// Reads `amu_in_grams` and the `masses` array from the embedded JSON (a fixed, known layout:
/// a number after `"amu_in_grams":`, numbers between `[` and `]` after `"masses":`).
fn parse_masses(text: &str) -> (f64, Vec<f64>) {
    let after = |key: &str| &text[text.find(key).expect("key in atomic_masses.json") + key.len()..];
    let amu = after("\"amu_in_grams\":");
    let amu: f64 = amu[..amu.find(',').unwrap()]
        .trim()
        .parse()
        .expect("amu_in_grams");
    let list = after("\"masses\":");
    let list = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
    let masses = list
        .split(',')
        .map(|x| x.trim().parse().expect("a mass"))
        .collect();
    (amu, masses)
}

/// Atomic mass (u) of element `z`, as pymatgen's `Element.from_Z(z).atomic_mass`.
pub fn atomic_mass(z: u8) -> Option<f64> {
    let (_, m) = masses();
    (z as usize).checked_sub(1).and_then(|i| m.get(i).copied())
}

/// Density in g/cm³, as pymatgen's `Structure.density`: the masses of `numbers` (from the
/// embedded table) over the cell volume.
pub fn density(l: &Lattice, numbers: &[u8]) -> Result<f64, GeomError> {
    check_lattice(l)?;
    if numbers.is_empty() {
        return Err(GeomError::NoAtoms);
    }
    let (amu_g, _) = masses();
    let mut weight = 0.0;
    for &z in numbers {
        weight += atomic_mass(z).ok_or(GeomError::BadParameter {
            name: "atomic number",
            value: z as f64,
        })?;
    }
    Ok(weight * amu_g / (volume(l) * CM_PER_ANGSTROM.powi(3)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUBIC3: Lattice = [3.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 3.0];

    fn view<'a>(l: &'a [f64], frac: &'a [f64]) -> CrystalView<'a> {
        let offsets: &'a [u32] = Box::leak(Box::new([0, (frac.len() / 3) as u32]));
        Batch::new(l, frac, offsets).unwrap().crystal(0).unwrap()
    }

    #[test]
    fn volume_and_heights_of_a_skewed_cell() {
        let l = [2.0, 0.0, 0.0, 1.0, 3.0, 0.0, 0.5, 0.5, 4.0];
        assert!((volume(&l) - 24.0).abs() < 1e-12);
        let h = heights(&l);
        assert!((h[2] - 4.0).abs() < 1e-12);
    }

    #[test]
    fn iron_density_matches_pymatgen() {
        // pymatgen 2025.10.7: Structure(Lattice.cubic(3), ["Fe"], [[0, 0, 0]]).density
        let d = density(&CUBIC3, &[26]).unwrap();
        assert!((d - 3.4345483075495324).abs() < 1e-12, "{d}");
        assert_eq!(atomic_mass(1), Some(1.00794));
        assert_eq!(atomic_mass(118), Some(294.0));
        assert_eq!(atomic_mass(0), None);
        assert_eq!(atomic_mass(119), None);
    }

    #[test]
    fn min_image_finds_the_true_minimum_in_a_skewed_cell() {
        let l = [1.0, 0.0, 0.0, 10.3, 1.0, 0.0, 0.0, 0.0, 1.0];
        let (fa, fb) = ([0.0, 0.0, 0.0], [0.4, 0.5, 0.0]);
        let c = view(&l, &fa);
        let (mut all, mut n27) = ([0.0; 3], [0.0; 3]);
        min_image_displacement(&c, &fb, ImageSearch::All, &mut all).unwrap();
        min_image_displacement(&c, &fb, ImageSearch::Adjacent27, &mut n27).unwrap();
        let mut brute = f64::INFINITY;
        for s0 in -30..=30 {
            for s1 in -3..=3 {
                let v = [
                    fb[0] + s0 as f64 + (fb[1] + s1 as f64) * 10.3,
                    fb[1] + s1 as f64,
                    0.0,
                ];
                brute = brute.min(norm(&v));
            }
        }
        assert!((norm(&all) - brute).abs() < 1e-12);
        assert!(norm(&n27) > brute + 0.1);
    }

    #[test]
    fn min_distance_with_and_without_self_images() {
        let c = view(&CUBIC3, &[0.1, 0.2, 0.3]);
        assert_eq!(min_distance(&c, true), 3.0);
        assert_eq!(min_distance(&c, false), f64::INFINITY);
    }

    #[test]
    fn bad_inputs_are_rejected() {
        let one = [0u32, 1];
        let flat = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let b = Batch::new(&flat, &[0.0; 3], &one).unwrap();
        assert!(matches!(b.crystal(0), Err(GeomError::DegenerateLattice { .. })));
        let nan = [f64::NAN, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        assert!(matches!(
            Batch::new(&nan, &[0.0; 3], &one).unwrap().crystal(0),
            Err(GeomError::NonFinite { .. })
        ));
        let b = Batch::new(&CUBIC3, &[f64::INFINITY, 0.0, 0.0], &one).unwrap();
        assert!(matches!(b.crystal(0), Err(GeomError::NonFinite { .. })));
        let b = Batch::new(&CUBIC3, &[1e7, 0.0, 0.0], &one).unwrap();
        assert!(matches!(b.crystal(0), Err(GeomError::TooLarge { .. })));
        assert!(matches!(
            Batch::new(&CUBIC3, &[], &[0, 0]).unwrap().crystal(0),
            Err(GeomError::NoAtoms)
        ));
        assert!(matches!(
            Batch::new(&CUBIC3, &[0.0; 3], &[0, 2]),
            Err(GeomError::BadShape { .. })
        ));
        assert!(matches!(
            density(&CUBIC3, &[0]),
            Err(GeomError::BadParameter { .. })
        ));
    }
}
