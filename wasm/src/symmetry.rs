//! Space-group symmetry of one crystal, found by the `moyo` crate (spglib's Rust successor): the
//! space-group type, the standardised conventional and primitive cells with their transformations,
//! and the idealised ("symmetrised") input structure.
//!
//! Conventions at this boundary: our lattices are row-major `[f64; 9]` with rows = vectors a, b, c;
//! moyo's `Lattice::basis` holds the vectors as columns. A transformation (P, p) is moyo's (and the
//! International Tables'): (a_s, b_s, c_s) = (a, b, c) · P and x_s = P⁻¹ · (x − p), so in our row
//! form L_s = Pᵀ · L. `P` is written row-major. Spglib's `transformation_matrix` is P⁻¹.
//!
//! Settings are spglib's (the smallest Hall number of each type, `Setting::Spglib`) so that Hall
//! numbers agree with spglib's, and the standardised cells keep the input's Cartesian orientation
//! (moyo's `rotate_basis = false`: refined lattice, no rotation to a canonical frame).
//!
//! spglib-compatible tolerance: moyo accepts an operation when, after fitting its translation to
//! all atoms, every atom lands within `symprec`; spglib pins the translation to one pivot atom and
//! so accepts less (on Perov-5 at symprec 0.01, plain moyo reports a higher group than spglib for
//! 3.4 % of crystals). [`space_group`] therefore re-checks moyo's operations with spglib's test and,
//! when some fail, reports the group of those that pass (see `spglib_accepts`, `identify_group`).

use moyo::base::{AngleTolerance, Cell, Lattice, MoyoError, Position};
use moyo::data::{hall_symbol_entry, operations_from_number, Setting};
use moyo::MoyoDataset;

use crate::error::GeomError;
use crate::lattice::{lattice_params, niggli_reduce, DEFAULT_EPS};

/// Number of Hall symbols (settings) in the International Tables' list that moyo and spglib use.
pub const HALL_NUMBERS: i32 = 530;

/// Largest centring multiplicity of a conventional cell (F: 4 lattice points per cell), so a
/// standardised conventional cell has at most 4 × (input atoms) sites.
pub const MAX_CENTRING: usize = 4;

/// Tolerances of the symmetry search, as spglib's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// Distance tolerance in Å (spglib's `symprec`); finite and > 0.
    pub symprec: f64,
    /// Angle tolerance in degrees, or `None` for spglib's default (lattice checks by `symprec`).
    pub angle_tolerance_deg: Option<f64>,
}

/// One cell in our layout: lattice rows, fractional coordinates `[3·n]`, atomic numbers `[n]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FlatCell {
    pub lattice: [f64; 9],
    pub frac: Vec<f64>,
    pub numbers: Vec<u8>,
}

/// What [`space_group`] finds for one crystal.
#[derive(Clone, Debug)]
pub struct SymmetryDataset {
    /// ITA space-group number, 1–230.
    pub number: i32,
    /// Hall number of the setting, 1–530 (spglib's choice per type).
    pub hall_number: i32,
    /// Number of symmetry operations of the input cell (pure translations of a supercell included).
    pub operations: usize,
    /// The `symprec` moyo finally used (its search may shrink or grow the given one).
    pub symprec: f64,
    /// Standardised conventional cell, refined to the exact symmetry.
    pub conventional: FlatCell,
    /// P of input → conventional, row-major (see the module comment).
    pub conventional_linear: [f64; 9],
    /// p of input → conventional.
    pub conventional_origin_shift: [f64; 3],
    /// Standardised primitive cell, refined.
    pub primitive: FlatCell,
    /// P of input → primitive, row-major.
    pub primitive_linear: [f64; 9],
    /// p of input → primitive.
    pub primitive_origin_shift: [f64; 3],
    /// For each input atom, the primitive-cell site it maps to.
    pub primitive_site: Vec<u32>,
    /// For each input atom, the smallest index of an input atom in its orbit (spglib's
    /// `crystallographic_orbits`).
    pub orbits: Vec<u32>,
    /// For each input atom, its Wyckoff letter (ASCII).
    pub wyckoffs: Vec<u8>,
    /// The operations of the input cell: rotation (row-major, acting on fractional coordinates)
    /// and translation.
    pub operation_list: Vec<([i32; 9], [f64; 3])>,
}

/// The short Hermann–Mauguin symbol of a Hall number, written as spglib's `international` and
/// pymatgen's `get_space_group_symbol()` write it ("Fd-3m" for 525, "P2_1/c" for 81; moyo's table
/// has spaces between the parts), or `None` outside 1–530.
pub fn hm_symbol(hall_number: i32) -> Option<String> {
    if !(1..=HALL_NUMBERS).contains(&hall_number) {
        return None;
    }
    hall_symbol_entry(hall_number).map(|e| e.hm_short.replace(' ', ""))
}

/// The Hall symbol of a Hall number ("F 4d 2 3 -1d" for 525), or `None` outside 1–530.
pub fn hall_symbol(hall_number: i32) -> Option<&'static str> {
    if !(1..=HALL_NUMBERS).contains(&hall_number) {
        return None;
    }
    hall_symbol_entry(hall_number).map(|e| e.hall_symbol)
}

/// The ITA number of a Hall number, or `None` outside 1–530.
pub fn number_of_hall(hall_number: i32) -> Option<i32> {
    if !(1..=HALL_NUMBERS).contains(&hall_number) {
        return None;
    }
    hall_symbol_entry(hall_number).map(|e| e.number)
}

/// Most symmetry operations of a space group in its conventional cell (Fm-3m and the other
/// F-centred cubic groups: 48 rotations × 4 lattice points).
pub const MAX_OPERATIONS: usize = 192;

/// The symmetry operations of Hall setting `hall_number` (1–530) acting on fractional coordinates
/// of its conventional cell, which is the cell [`space_group`] standardises to (`conventional`):
/// one operation per rotation, generated from the Hall symbol by moyo, combined with every
/// centring translation (the zero translation first, as the International Tables and spglib list
/// them). Rotations are row-major, translations are reduced to [0, 1). `None` outside 1–530.
pub fn hall_operations(hall_number: i32) -> Option<Vec<([i32; 9], [f64; 3])>> {
    if !(1..=HALL_NUMBERS).contains(&hall_number) {
        return None;
    }
    let number = number_of_hall(hall_number)?;
    let ops = operations_from_number(number, Setting::HallNumber(hall_number), false).ok()?;
    Some(
        ops.iter()
            .map(|op| {
                let r = &op.rotation;
                let rot = [r[(0, 0)], r[(0, 1)], r[(0, 2)], r[(1, 0)], r[(1, 1)], r[(1, 2)], r[(2, 0)], r[(2, 1)], r[(2, 2)]];
                let t = [0, 1, 2].map(|k| {
                    let v = op.translation[k].rem_euclid(1.0);
                    if v >= 1.0 - 1e-12 { 0.0 } else { v }
                });
                (rot, t)
            })
            .collect(),
    )
}

/// Checks the tolerances (both must be finite and > 0 when given).
pub fn check_tolerances(tol: &Tolerances) -> Result<(), GeomError> {
    if !(tol.symprec.is_finite() && tol.symprec > 0.0) {
        return Err(GeomError::BadParameter { name: "symprec", value: tol.symprec });
    }
    if let Some(a) = tol.angle_tolerance_deg {
        if !(a.is_finite() && a > 0.0 && a < 90.0) {
            return Err(GeomError::BadParameter { name: "angle_tolerance", value: a });
        }
    }
    Ok(())
}

/// Shortest lattice translation (Å) a symmetry search accepts. Below it every atom sits within
/// 1 Å of its own periodic image, which no real crystal does (the shortest bond, H–H, is 0.74 Å);
/// such cells come from unconverged or over-optimised samples, and on them moyo's Bravais-group
/// search can generate operations that never close into a group: one 6-atom cell with a 0.63 Å
/// translation ran 37 s into the wasm memory limit at symprec 0.1 (issue #20's optimisation runs).
pub const MIN_SYMMETRY_TRANSLATION: f64 = 1.0;

/// Refuses a lattice whose shortest translation (of its Niggli cell) is below
/// [`MIN_SYMMETRY_TRANSLATION`].
fn check_shortest_translation(lattice: &[f64; 9]) -> Result<(), GeomError> {
    let (reduced, _) = niggli_reduce(lattice, DEFAULT_EPS)?;
    let shortest = lattice_params(&reduced)[..3].iter().copied().fold(f64::INFINITY, f64::min);
    if shortest < MIN_SYMMETRY_TRANSLATION {
        return Err(GeomError::BadParameter { name: "shortest lattice translation (Å, at least 1)", value: shortest });
    }
    Ok(())
}

/// Finds the space group of a crystal (lattice rows, `frac [3·n]`, atomic numbers `[n]`). The
/// caller has validated the lattice and coordinates (see `geometry::Batch::crystal`).
pub fn space_group(
    lattice: &[f64; 9],
    frac: &[f64],
    numbers: &[u8],
    tol: &Tolerances,
) -> Result<SymmetryDataset, GeomError> {
    check_tolerances(tol)?;
    if numbers.is_empty() {
        return Err(GeomError::NoAtoms);
    }
    check_shortest_translation(lattice)?;
    let cell = to_moyo_cell(lattice, frac, numbers);
    let angle = match tol.angle_tolerance_deg {
        Some(deg) => AngleTolerance::Radian(deg.to_radians()),
        None => AngleTolerance::Default,
    };
    let first = MoyoDataset::new(&cell, tol.symprec, angle, Setting::Spglib, false).map_err(moyo_error)?;
    let found = dataset_from(&first);
    let passed: Vec<Option<[f64; 3]>> =
        found.operation_list.iter().map(|op| spglib_translation(lattice, frac, numbers, op, tol.symprec)).collect();
    if passed.iter().all(|p| p.is_some()) {
        return Ok(found);
    }
    // Some operations fail spglib's test: the group spglib would report is the one the passing
    // operations (with spglib's translations) form. Identify it, then look for moyo's dataset of
    // that group at smaller tolerances.
    let kept: Vec<moyo::base::Operation> = first
        .operations
        .iter()
        .zip(&passed)
        .filter_map(|(op, t)| {
            t.map(|t| moyo::base::Operation::new(op.rotation, Position::new(t[0], t[1], t[2])))
        })
        .collect();
    let target = identify_group(&cell, &first.operations, &kept, tol.symprec);
    let mut symprec = tol.symprec;
    let mut fallback = None;
    for _ in 0..SPGLIB_CHECK_TRIALS {
        symprec *= SPGLIB_CHECK_SHRINK;
        let Ok(d) = MoyoDataset::new(&cell, symprec, angle, Setting::Spglib, false) else { continue };
        let candidate = dataset_from(&d);
        let consistent = match target {
            Some((number, _)) => candidate.number == number,
            None => candidate
                .operation_list
                .iter()
                .all(|op| spglib_accepts(lattice, frac, numbers, op, tol.symprec)),
        };
        if consistent {
            return Ok(candidate);
        }
        if target.is_some_and(|(number, _)| candidate.number < number) && fallback.is_none() {
            fallback = Some(candidate);
        }
    }
    // No moyo dataset of the target group: report a lower group found on the way down, else moyo's
    // own answer, so that the number, the cells and the operations always describe one group.
    Ok(fallback.unwrap_or(found))
}

/// The space-group type of `kept` (a subset of the operations `all` of a primitive input cell),
/// or `None` when the input is not primitive or `kept` is not a group.
fn identify_group(
    cell: &Cell,
    all: &[moyo::base::Operation],
    kept: &[moyo::base::Operation],
    symprec: f64,
) -> Option<(i32, i32)> {
    let identity = moyo::base::Rotation::identity();
    if all.iter().filter(|op| op.rotation == identity).count() != 1 {
        return None;
    }
    // Closure: in a primitive cell every rotation has one translation, so rotations suffice.
    let closed = kept.iter().all(|a| kept.iter().all(|b| kept.iter().any(|c| c.rotation == a.rotation * b.rotation)));
    if !closed {
        return None;
    }
    let epsilon = symprec / cell.lattice.volume().abs().cbrt();
    let ops: moyo::base::Operations = kept.to_vec();
    moyo::identify::SpaceGroup::from_lattice(&cell.lattice, &ops, Setting::Spglib, epsilon)
        .ok()
        .map(|sg| (sg.number, sg.hall_number))
}

/// How many times [`space_group`] shrinks moyo's tolerance looking for a group whose operations
/// pass spglib's overlap test, and by what factor each time.
const SPGLIB_CHECK_TRIALS: usize = 40;
const SPGLIB_CHECK_SHRINK: f64 = 0.9;

/// spglib's acceptance test for a rotation (`search_translation_part` and `is_overlap_all_atoms`
/// in its symmetry.c): a translation maps a pivot atom exactly onto an atom of its species (the
/// first atom of the species with fewest atoms, smallest atomic number on ties; every target is
/// tried, moyo's own image first), and then every atom must land within `symprec` Å (Cartesian, nearest lattice
/// translation by rounding) of an atom of its species. Returns a translation that passes.
/// moyo instead fits the translation to all atoms (least squares) before measuring, which accepts
/// operations up to twice as far off (an inversion centre halfway between two displaced atoms).
fn spglib_translation(
    lattice: &[f64; 9],
    frac: &[f64],
    numbers: &[u8],
    op: &([i32; 9], [f64; 3]),
    symprec: f64,
) -> Option<[f64; 3]> {
    let n = numbers.len();
    let pivot = pivot_atom(numbers);
    let x = |i: usize| [frac[3 * i], frac[3 * i + 1], frac[3 * i + 2]];
    let cart_norm = |d: [f64; 3]| {
        let v = [0, 1, 2].map(|c| d[0] * lattice[c] + d[1] * lattice[3 + c] + d[2] * lattice[6 + c]);
        (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
    };
    let wrapped = |a: [f64; 3], b: [f64; 3]| [0, 1, 2].map(|k| (a[k] - b[k]) - (a[k] - b[k]).round());
    let (r, t) = op;
    let rotate = |v: [f64; 3]| {
        [0, 1, 2].map(|k| r[3 * k] as f64 * v[0] + r[3 * k + 1] as f64 * v[1] + r[3 * k + 2] as f64 * v[2])
    };
    let rotated: Vec<[f64; 3]> = (0..n).map(|i| rotate(x(i))).collect();
    let passes_with = |pivot: usize| {
        let image = [0, 1, 2].map(|k| rotated[pivot][k] + t[k]);
        let mut targets: Vec<usize> = (0..n).filter(|&j| numbers[j] == numbers[pivot]).collect();
        targets.sort_by(|&a, &b| cart_norm(wrapped(image, x(a))).total_cmp(&cart_norm(wrapped(image, x(b)))));
        targets.into_iter().find_map(|target| {
            let shift = [0, 1, 2].map(|k| x(target)[k] - rotated[pivot][k]);
            let overlaps = (0..n).all(|i| {
                let moved = [0, 1, 2].map(|k| rotated[i][k] + shift[k]);
                (0..n).any(|j| numbers[j] == numbers[i] && cart_norm(wrapped(moved, x(j))) < symprec)
            });
            overlaps.then_some(shift)
        })
    };
    passes_with(pivot)
}

/// Whether spglib's test accepts the operation's rotation with some translation.
fn spglib_accepts(lattice: &[f64; 9], frac: &[f64], numbers: &[u8], op: &([i32; 9], [f64; 3]), symprec: f64) -> bool {
    spglib_translation(lattice, frac, numbers, op, symprec).is_some()
}

/// spglib's pivot: the first atom of the species with the fewest atoms. Ties between species go to
/// the smaller atomic number (spglib takes the earlier one), so reordering species changes nothing;
/// reordering the atoms of one species can, on crystals at the edge of `symprec`, as in spglib.
fn pivot_atom(numbers: &[u8]) -> usize {
    let count = |z: u8| numbers.iter().filter(|&&y| y == z).count();
    let mut best = 0;
    for i in 0..numbers.len() {
        let (ci, cb) = (count(numbers[i]), count(numbers[best]));
        if ci < cb || (ci == cb && numbers[i] < numbers[best]) {
            best = i;
        }
    }
    best
}

fn dataset_from(d: &MoyoDataset) -> SymmetryDataset {
    SymmetryDataset {
        number: d.number,
        hall_number: d.hall_number,
        operations: d.operations.len(),
        symprec: d.symprec,
        conventional: from_moyo_cell(&d.std_cell),
        conventional_linear: matrix_rows(&d.std_linear),
        conventional_origin_shift: [d.std_origin_shift[0], d.std_origin_shift[1], d.std_origin_shift[2]],
        primitive: from_moyo_cell(&d.prim_std_cell),
        primitive_linear: matrix_rows(&d.prim_std_linear),
        primitive_origin_shift: [
            d.prim_std_origin_shift[0],
            d.prim_std_origin_shift[1],
            d.prim_std_origin_shift[2],
        ],
        primitive_site: d.mapping_std_prim.iter().map(|&s| s as u32).collect(),
        orbits: d.orbits.iter().map(|&o| o as u32).collect(),
        wyckoffs: d.wyckoffs.iter().map(|&w| if w.is_ascii() { w as u8 } else { b'?' }).collect(),
        operation_list: d
            .operations
            .iter()
            .map(|op| {
                let r = &op.rotation;
                let rot = [r[(0, 0)], r[(0, 1)], r[(0, 2)], r[(1, 0)], r[(1, 1)], r[(1, 2)], r[(2, 0)], r[(2, 1)], r[(2, 2)]];
                (rot, [op.translation[0], op.translation[1], op.translation[2]])
            })
            .collect(),
    }
}

/// The input structure idealised to its space group: the same atoms in the same order and the
/// same cell (up to the symmetric stretch that makes the lattice exact), each atom moved to its
/// refined position. Built from the refined primitive cell: with (Q, q) the primitive transform and
/// s_k the refined primitive site of atom i, y_i = Q⁻¹(x_i − q) lies near s_k + n for an integer n,
/// and the idealised x_i' = x_i + Q · (s_k + n − y_i), so atoms stay next to where they were given.
/// The lattice is L' = (Q⁻¹)ᵀ · L_prim (rows), the refined primitive lattice taken back to the input
/// cell's basis.
pub fn symmetrize(frac: &[f64], d: &SymmetryDataset) -> Result<FlatCell, GeomError> {
    let q = &d.primitive_linear;
    let q_inv = inverse3(q).ok_or(GeomError::DegenerateLattice { volume: det3(q) })?;
    let p = &d.primitive_origin_shift;
    // L'ᵀ = L_primᵀ · Q⁻¹ (columns), i.e. row r of L' = Σ_k Q⁻¹[k][r] · row k of L_prim.
    let mut lattice = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            lattice[3 * r + c] = (0..3).map(|k| q_inv[3 * k + r] * d.primitive.lattice[3 * k + c]).sum();
        }
    }
    let mut out = frac.to_vec();
    for (i, x) in frac.chunks_exact(3).enumerate() {
        let site = d.primitive_site[i] as usize;
        let s = &d.primitive.frac[3 * site..3 * site + 3];
        let shifted = [x[0] - p[0], x[1] - p[1], x[2] - p[2]];
        let y = mat_vec(&q_inv, &shifted);
        let delta = [0, 1, 2].map(|k| {
            let diff = s[k] - y[k];
            diff - diff.round()
        });
        let move_by = mat_vec(q, &delta);
        for k in 0..3 {
            out[3 * i + k] = x[k] + move_by[k];
        }
    }
    Ok(FlatCell { lattice, frac: out, numbers: Vec::new() })
}

fn to_moyo_cell(lattice: &[f64; 9], frac: &[f64], numbers: &[u8]) -> Cell {
    let rows = [
        [lattice[0], lattice[1], lattice[2]],
        [lattice[3], lattice[4], lattice[5]],
        [lattice[6], lattice[7], lattice[8]],
    ];
    let positions = frac.chunks_exact(3).map(|f| Position::new(f[0], f[1], f[2])).collect();
    Cell::new(Lattice::from_basis(rows), positions, numbers.iter().map(|&z| z as i32).collect())
}

fn from_moyo_cell(cell: &Cell) -> FlatCell {
    let b = &cell.lattice.basis;
    let mut lattice = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            lattice[3 * r + c] = b[(c, r)]; // column r of moyo's basis is our row r
        }
    }
    FlatCell {
        lattice,
        frac: cell.positions.iter().flat_map(|p| [p[0], p[1], p[2]]).collect(),
        // Species are the input's atomic numbers (u8), so the conversion back cannot overflow.
        numbers: cell.numbers.iter().map(|&z| z as u8).collect(),
    }
}

fn matrix_rows(m: &impl std::ops::Index<(usize, usize), Output = f64>) -> [f64; 9] {
    let mut out = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            out[3 * r + c] = m[(r, c)];
        }
    }
    out
}

fn det3(m: &[f64; 9]) -> f64 {
    crate::lattice::det3(m)
}

fn inverse3(m: &[f64; 9]) -> Option<[f64; 9]> {
    let det = det3(m);
    if !(det.abs() > 1e-12) {
        return None;
    }
    let cof = |r0: usize, r1: usize, c0: usize, c1: usize| m[3 * r0 + c0] * m[3 * r1 + c1] - m[3 * r0 + c1] * m[3 * r1 + c0];
    let adj = [
        cof(1, 2, 1, 2),
        -cof(0, 2, 1, 2),
        cof(0, 1, 1, 2),
        -cof(1, 2, 0, 2),
        cof(0, 2, 0, 2),
        -cof(0, 1, 0, 2),
        cof(1, 2, 0, 1),
        -cof(0, 2, 0, 1),
        cof(0, 1, 0, 1),
    ];
    Some(adj.map(|a| a / det))
}

fn mat_vec(m: &[f64; 9], v: &[f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|r| m[3 * r] * v[0] + m[3 * r + 1] * v[1] + m[3 * r + 2] * v[2])
}

/// moyo's failures as our error type. moyo reports them after its own retries with other
/// tolerances (up to 16), so they read as a search that did not converge.
fn moyo_error(e: MoyoError) -> GeomError {
    let algorithm = match e {
        MoyoError::TooSmallToleranceError => "space-group search (moyo: symprec too small)",
        MoyoError::TooLargeToleranceError => "space-group search (moyo: symprec too large)",
        MoyoError::PrimitiveCellError => "space-group search (moyo: primitive cell search failed)",
        MoyoError::PrimitiveSymmetrySearchError => {
            "space-group search (moyo: symmetry operation search failed)"
        }
        MoyoError::BravaisGroupSearchError => "space-group search (moyo: Bravais group search failed)",
        MoyoError::StandardizationError => "space-group search (moyo: standardisation failed)",
        MoyoError::WyckoffPositionAssignmentError => {
            "space-group search (moyo: Wyckoff position assignment failed)"
        }
        MoyoError::SpaceGroupTypeIdentificationError
        | MoyoError::ArithmeticCrystalClassIdentificationError
        | MoyoError::GeometricCrystalClassIdentificationError => {
            "space-group search (moyo: space-group type identification failed)"
        }
        _ => "space-group search (moyo)",
    };
    GeomError::NoConvergence { algorithm, steps: 16 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: Tolerances = Tolerances { symprec: 1e-3, angle_tolerance_deg: None };

    /// Rutile TiO2 (P4_2/mnm, 136): moyo's own documentation example, a = 4.603, c = 2.969 Å.
    fn rutile(x: f64) -> ([f64; 9], Vec<f64>, Vec<u8>) {
        let lattice = [4.603, 0.0, 0.0, 0.0, 4.603, 0.0, 0.0, 0.0, 2.969];
        let frac = vec![
            0.0, 0.0, 0.0, 0.5, 0.5, 0.5, x, x, 0.0, -x, -x, 0.0, -x + 0.5, x + 0.5, 0.5, x + 0.5, -x + 0.5, 0.5,
        ];
        (lattice, frac, vec![22, 22, 8, 8, 8, 8])
    }

    #[test]
    fn rutile_is_136() {
        let (l, f, z) = rutile(0.3046);
        let d = space_group(&l, &f, &z, &TOL).unwrap();
        assert_eq!(d.number, 136);
        assert_eq!(hm_symbol(d.hall_number).as_deref(), Some("P4_2/mnm"));
        assert_eq!(number_of_hall(d.hall_number), Some(136));
        assert_eq!(d.operations, 16);
        assert_eq!(d.conventional.numbers.len(), 6);
        assert_eq!(d.primitive.numbers.len(), 6);
        assert_eq!(d.orbits, vec![0, 0, 2, 2, 2, 2]);
    }

    #[test]
    fn fcc_copper_primitive_and_conventional() {
        // Primitive fcc cell (a = 3.61 Å) with one Cu: Fm-3m (225), conventional cell has 4 atoms.
        let h = 3.61 / 2.0;
        let l = [0.0, h, h, h, 0.0, h, h, h, 0.0];
        let d = space_group(&l, &[0.0, 0.0, 0.0], &[29], &TOL).unwrap();
        assert_eq!(d.number, 225);
        assert_eq!(d.conventional.numbers, vec![29; 4]);
        assert_eq!(d.primitive.numbers, vec![29]);
        // L_s = Pᵀ · L: the conventional cell is a cube of edge 3.61 Å.
        let p = d.conventional_linear;
        for r in 0..3 {
            for c in 0..3 {
                let v: f64 = (0..3).map(|k| p[3 * k + r] * l[3 * k + c]).sum();
                assert!((v - d.conventional.lattice[3 * r + c]).abs() < 1e-9, "{v} vs {:?}", d.conventional.lattice);
            }
        }
    }

    #[test]
    fn symmetrize_moves_a_distorted_rutile_back() {
        let (l, f, z) = rutile(0.3046);
        let mut noisy = f.clone();
        let kicks = [1e-3, -2e-3, 5e-4, 1.5e-3, -1e-3, 2e-4];
        for (i, k) in kicks.iter().enumerate() {
            noisy[3 * i] += k;
            noisy[3 * i + 2] -= k;
        }
        assert!(space_group(&l, &noisy, &z, &TOL).unwrap().number < 136);
        let loose = Tolerances { symprec: 0.05, angle_tolerance_deg: None };
        let d = space_group(&l, &noisy, &z, &loose).unwrap();
        assert_eq!(d.number, 136);
        let ideal = symmetrize(&noisy, &d).unwrap();
        let tight = Tolerances { symprec: 1e-6, angle_tolerance_deg: None };
        assert_eq!(space_group(&ideal.lattice, &ideal.frac, &z, &tight).unwrap().number, 136);
        for (a, b) in ideal.frac.iter().zip(&noisy) {
            assert!((a - b).abs() < 0.01);
        }
    }

    #[test]
    fn supercell_symmetrize_keeps_every_atom() {
        // 2×1×1 supercell of simple cubic polonium: same group, 2 atoms kept in order.
        let l = [6.7, 0.0, 0.0, 0.0, 3.35, 0.0, 0.0, 0.0, 3.35];
        let f = [0.001, 0.0, 0.0, 0.5, 0.0, -0.002];
        let loose = Tolerances { symprec: 0.05, angle_tolerance_deg: None };
        let d = space_group(&l, &f, &[84, 84], &loose).unwrap();
        assert_eq!(d.number, 221);
        assert_eq!(d.primitive.numbers.len(), 1);
        let ideal = symmetrize(&f, &d).unwrap();
        assert_eq!(ideal.frac.len(), 6);
        assert!((ideal.frac[3] - ideal.frac[0] - 0.5).abs() < 1e-12);
        assert!((ideal.frac[5] - ideal.frac[2]).abs() < 1e-12);
        for (a, b) in ideal.lattice.iter().zip(&l) {
            assert!((a - b).abs() < 1e-9, "{:?}", ideal.lattice);
        }
    }

    #[test]
    fn operations_spglib_rejects_lower_the_group() {
        // Perov-5 test row 291 (KTaN3, atoms displaced along a): moyo alone finds Pm-3m at
        // symprec 0.01 because it fits each operation's translation to all atoms; with the
        // translation pinned to the pivot atom (spglib's test) the inversion misses by 0.013 Å,
        // and spglib 2.7.0 reports P4mm (99).
        let l = [4.22015368, 0.0, 0.0, 0.0, 4.22015368, 0.0, 0.0, 0.0, 4.22015368];
        let f = [
            0.00154258, 0.0, 0.0, 0.50235706, 0.5, 0.5, 0.50206417, 0.0, 0.5, 0.50206417, 0.5, 0.0, 0.00318365, 0.5, 0.5,
        ];
        let z = [19, 73, 7, 7, 7];
        let tol = Tolerances { symprec: 0.01, angle_tolerance_deg: None };
        let cell = to_moyo_cell(&l, &f, &z);
        let plain = MoyoDataset::new(&cell, 0.01, AngleTolerance::Default, Setting::Spglib, false).unwrap();
        assert_eq!(plain.number, 221);
        let d = space_group(&l, &f, &z, &tol).unwrap();
        assert_eq!(d.number, 99);
        assert!(d.operation_list.iter().all(|op| spglib_accepts(&l, &f, &z, op, 0.01)));
        let loose = Tolerances { symprec: 0.015, angle_tolerance_deg: None };
        assert_eq!(space_group(&l, &f, &z, &loose).unwrap().number, 221);
    }

    #[test]
    fn bad_tolerances_are_refused() {
        let (l, f, z) = rutile(0.3);
        for symprec in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let tol = Tolerances { symprec, angle_tolerance_deg: None };
            assert!(matches!(space_group(&l, &f, &z, &tol), Err(GeomError::BadParameter { name: "symprec", .. })));
        }
        let tol = Tolerances { symprec: 0.1, angle_tolerance_deg: Some(-5.0) };
        assert!(matches!(space_group(&l, &f, &z, &tol), Err(GeomError::BadParameter { name: "angle_tolerance", .. })));
    }

    #[test]
    fn a_sub_angstrom_translation_is_refused_before_moyo() {
        // A 6-carbon cell from a property-optimisation run: b = 0.63 Å. moyo's Bravais search on it
        // ran into the memory limit at symprec 0.1. Scaled to b = 1.01 Å it is searched: P1.
        let l = [2.2403170162991946, 0.0, -0.0918952801141446, 0.0181106351139308, 0.6232550192460848,
            -0.1098433682103091, 0.0, 0.0, 10.257582653013019];
        let f = [0.5651, 0.5809, 0.3211, 0.3341, 0.6278, 0.1990, 0.2138, 0.6891, 0.9658, 0.1444, 0.7046, 0.2915,
            0.3656, 0.4956, 0.3078, 0.7384, 0.9402, 0.7652];
        let z = [6u8; 6];
        let tol = Tolerances { symprec: 0.1, angle_tolerance_deg: None };
        let err = space_group(&l, &f, &z, &tol).unwrap_err();
        assert!(matches!(err, GeomError::BadParameter { value, .. } if (value - 0.633).abs() < 0.01), "{err:?}");
        let scaled: Vec<f64> = l.iter().map(|x| x * 1.6).collect();
        let d = space_group(&scaled.try_into().unwrap(), &f, &z, &tol).unwrap();
        assert_eq!(d.number, 1);
    }

    #[test]
    fn hall_operations_of_known_settings() {
        assert_eq!(hall_operations(1).unwrap().len(), 1);
        assert!(hall_operations(0).is_none() && hall_operations(531).is_none());
        // C2/m (Hall 63, "-C 2y", unique axis b): 4 rotations × 2 lattice points, centring last.
        let c2m = hall_operations(63).unwrap();
        assert_eq!(c2m.len(), 8);
        assert_eq!(c2m[0], ([1, 0, 0, 0, 1, 0, 0, 0, 1], [0.0, 0.0, 0.0]));
        assert!(c2m[4..].iter().all(|(_, t)| t == &[0.5, 0.5, 0.0]));
        // Fm-3m (Hall 523): the most operations, all translations in [0, 1).
        let fm3m = hall_operations(523).unwrap();
        assert_eq!(number_of_hall(523), Some(225));
        assert_eq!(fm3m.len(), MAX_OPERATIONS);
        assert!(fm3m.iter().all(|(_, t)| t.iter().all(|&v| (0.0..1.0).contains(&v))));
        // Every setting: the count is a multiple of the rotations, never above the maximum, and
        // the operations of the standardised rutile cell map it onto itself.
        for h in 1..=HALL_NUMBERS {
            let n = hall_operations(h).unwrap().len();
            assert!((1..=MAX_OPERATIONS).contains(&n), "Hall {h}: {n}");
        }
        let (l, f, z) = rutile(0.3046);
        let d = space_group(&l, &f, &z, &TOL).unwrap();
        let conv = &d.conventional;
        for (r, t) in hall_operations(d.hall_number).unwrap() {
            for i in 0..conv.numbers.len() {
                let x = &conv.frac[3 * i..3 * i + 3];
                let y = [0, 1, 2].map(|k| (0..3).map(|j| r[3 * k + j] as f64 * x[j]).sum::<f64>() + t[k]);
                let hit = (0..conv.numbers.len()).any(|j| {
                    conv.numbers[j] == conv.numbers[i]
                        && (0..3).all(|k| {
                            let d = y[k] - conv.frac[3 * j + k];
                            (d - d.round()).abs() < 1e-9
                        })
                });
                assert!(hit, "operation {r:?} + {t:?} moves site {i} off the crystal");
            }
        }
    }

    #[test]
    fn hall_table_ends() {
        assert_eq!(hm_symbol(1).as_deref(), Some("P1"));
        assert_eq!(hm_symbol(81).as_deref(), Some("P2_1/c"));
        assert_eq!(hm_symbol(525).as_deref(), Some("Fd-3m"));
        assert_eq!(hall_symbol(526), Some("-F 4vw 2vw 3")); // origin choice 2; 525 is choice 1
        assert_eq!(number_of_hall(530), Some(230));
        assert_eq!(hm_symbol(0), None);
        assert_eq!(hm_symbol(531), None);
    }
}
