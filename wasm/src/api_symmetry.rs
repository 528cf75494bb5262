//! wasm-bindgen exports for space-group symmetry (`symmetry.rs`, on the `moyo` crate).
//!
//! ABI as in `api_lattice.rs`: many crystals per call, lattices `[9·M]`, atoms in CSR form (`frac`
//! `[3·N]`, `numbers` `[N]`, `atom_offsets` `[M+1]`), caller-allocated outputs, one status code per
//! crystal, the number of failures returned (negative for a malformed call). `angle_tolerance` is in
//! degrees; 0, a negative number or NaN means spglib's default (lattice checks by `symprec` alone).

use wasm_bindgen::prelude::*;

use crate::error::{call_failed, expect_len, run_batch, GeomError};
use crate::geometry::Batch;
use crate::symmetry::{self, SymmetryDataset, Tolerances, HALL_NUMBERS, MAX_CENTRING, MAX_OPERATIONS};

/// Integers per crystal in `space_group_datasets`' `out_ints`.
const INTS_PER_CRYSTAL: usize = 5;
/// Numbers per crystal in `out_transforms`: P and p of the conventional, then of the primitive cell.
const TRANSFORM_VALUES: usize = 24;
/// Integers per atom in `out_sites`: primitive site, orbit, Wyckoff letter (ASCII code).
const SITE_VALUES: usize = 3;

fn tolerances(symprec: f64, angle_tolerance: f64) -> Tolerances {
    Tolerances {
        symprec,
        angle_tolerance_deg: if angle_tolerance > 0.0 { Some(angle_tolerance) } else { None },
    }
}

/// Validates crystal `b` of a batch and finds its space group.
fn dataset_of(batch: &Batch, numbers: &[u8], b: usize, tol: &Tolerances) -> Result<SymmetryDataset, GeomError> {
    let c = batch.crystal(b)?;
    symmetry::space_group(&c.lattice, c.frac, &numbers[batch.atoms(b)], tol)
}

/// Checks the call-level shapes shared by every export here and the tolerances.
fn open_batch<'a>(
    lattices: &'a [f64],
    frac: &'a [f64],
    atom_offsets: &'a [u32],
    numbers: &[u8],
    tol: &Tolerances,
) -> Result<Batch<'a>, GeomError> {
    let batch = Batch::new(lattices, frac, atom_offsets)?;
    expect_len("numbers", numbers.len(), frac.len() / 3)?;
    symmetry::check_tolerances(tol)?;
    Ok(batch)
}

/// Space-group numbers only (the fast path for reports): `out_numbers [M]` (1–230),
/// `out_hall [M]` (1–530) and `out_symprec [M]`, the tolerance moyo finally used.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn space_group_numbers(
    lattices: &[f64],
    frac: &[f64],
    atom_offsets: &[u32],
    numbers: &[u8],
    symprec: f64,
    angle_tolerance: f64,
    out_numbers: &mut [i32],
    out_hall: &mut [i32],
    out_symprec: &mut [f64],
    status: &mut [i32],
) -> i32 {
    let tol = tolerances(symprec, angle_tolerance);
    let m = status.len();
    let batch = match open_batch(lattices, frac, atom_offsets, numbers, &tol).and_then(|b| {
        expect_len("atom_offsets", atom_offsets.len(), m + 1)
            .and(expect_len("out_numbers", out_numbers.len(), m))
            .and(expect_len("out_hall", out_hall.len(), m))
            .and(expect_len("out_symprec", out_symprec.len(), m))
            .map(|_| b)
    }) {
        Ok(b) => b,
        Err(e) => return call_failed(e),
    };
    run_batch(status, |b| {
        let d = dataset_of(&batch, numbers, b, &tol)?;
        out_numbers[b] = d.number;
        out_hall[b] = d.hall_number;
        out_symprec[b] = d.symprec;
        Ok(())
    })
}

/// Full datasets. Per crystal: `out_ints [5·M]` = number, Hall number, operation count, atoms of
/// the conventional cell, atoms of the primitive cell; `out_symprec [M]`; `out_lattices [18·M]` =
/// conventional then primitive lattice (rows); `out_transforms [24·M]` = P (9, row-major) and p (3)
/// of input → conventional, then of input → primitive. Per atom: the conventional cell of crystal
/// `b` is written from atom `4·atom_offsets[b]` on (`out_conv_frac [12·N]`, `out_conv_numbers
/// [4·N]`: at most 4 sites per input atom), its primitive cell from `atom_offsets[b]` on
/// (`out_prim_frac [3·N]`, `out_prim_numbers [N]`), and `out_sites [3·N]` gives each input atom's
/// primitive site, orbit representative and Wyckoff letter (ASCII).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn space_group_datasets(
    lattices: &[f64],
    frac: &[f64],
    atom_offsets: &[u32],
    numbers: &[u8],
    symprec: f64,
    angle_tolerance: f64,
    out_ints: &mut [i32],
    out_symprec: &mut [f64],
    out_lattices: &mut [f64],
    out_transforms: &mut [f64],
    out_conv_frac: &mut [f64],
    out_conv_numbers: &mut [u8],
    out_prim_frac: &mut [f64],
    out_prim_numbers: &mut [u8],
    out_sites: &mut [u32],
    status: &mut [i32],
) -> i32 {
    let tol = tolerances(symprec, angle_tolerance);
    let m = status.len();
    let n = frac.len() / 3;
    let batch = match open_batch(lattices, frac, atom_offsets, numbers, &tol).and_then(|b| {
        expect_len("atom_offsets", atom_offsets.len(), m + 1)
            .and(expect_len("out_ints", out_ints.len(), INTS_PER_CRYSTAL * m))
            .and(expect_len("out_symprec", out_symprec.len(), m))
            .and(expect_len("out_lattices", out_lattices.len(), 18 * m))
            .and(expect_len("out_transforms", out_transforms.len(), TRANSFORM_VALUES * m))
            .and(expect_len("out_conv_frac", out_conv_frac.len(), 3 * MAX_CENTRING * n))
            .and(expect_len("out_conv_numbers", out_conv_numbers.len(), MAX_CENTRING * n))
            .and(expect_len("out_prim_frac", out_prim_frac.len(), 3 * n))
            .and(expect_len("out_prim_numbers", out_prim_numbers.len(), n))
            .and(expect_len("out_sites", out_sites.len(), SITE_VALUES * n))
            .map(|_| b)
    }) {
        Ok(b) => b,
        Err(e) => return call_failed(e),
    };
    run_batch(status, |b| {
        let d = dataset_of(&batch, numbers, b, &tol)?;
        let atoms = batch.atoms(b);
        let conv_n = d.conventional.numbers.len();
        let prim_n = d.primitive.numbers.len();
        if conv_n > MAX_CENTRING * atoms.len() || prim_n > atoms.len() {
            // Cannot happen for a primitive cell found inside the input; guards the output slices.
            return Err(GeomError::TooLarge {
                what: "standardised cell sites",
                value: conv_n as f64,
                max: (MAX_CENTRING * atoms.len()) as f64,
            });
        }
        out_ints[INTS_PER_CRYSTAL * b..INTS_PER_CRYSTAL * (b + 1)].copy_from_slice(&[
            d.number,
            d.hall_number,
            d.operations as i32,
            conv_n as i32,
            prim_n as i32,
        ]);
        out_symprec[b] = d.symprec;
        out_lattices[18 * b..18 * b + 9].copy_from_slice(&d.conventional.lattice);
        out_lattices[18 * b + 9..18 * b + 18].copy_from_slice(&d.primitive.lattice);
        let t = &mut out_transforms[TRANSFORM_VALUES * b..TRANSFORM_VALUES * (b + 1)];
        t[0..9].copy_from_slice(&d.conventional_linear);
        t[9..12].copy_from_slice(&d.conventional_origin_shift);
        t[12..21].copy_from_slice(&d.primitive_linear);
        t[21..24].copy_from_slice(&d.primitive_origin_shift);
        let c0 = MAX_CENTRING * atoms.start;
        out_conv_frac[3 * c0..3 * (c0 + conv_n)].copy_from_slice(&d.conventional.frac);
        out_conv_numbers[c0..c0 + conv_n].copy_from_slice(&d.conventional.numbers);
        let p0 = atoms.start;
        out_prim_frac[3 * p0..3 * (p0 + prim_n)].copy_from_slice(&d.primitive.frac);
        out_prim_numbers[p0..p0 + prim_n].copy_from_slice(&d.primitive.numbers);
        for (k, i) in atoms.enumerate() {
            out_sites[SITE_VALUES * i..SITE_VALUES * (i + 1)].copy_from_slice(&[
                d.primitive_site[k],
                d.orbits[k],
                d.wyckoffs[k] as u32,
            ]);
        }
        Ok(())
    })
}

/// Idealises each crystal to the space group found at `symprec`: `out_lattices [9·M]` and
/// `out_frac [3·N]` (same atoms, same order), and the group's number in `out_numbers [M]`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn symmetrize_structures(
    lattices: &[f64],
    frac: &[f64],
    atom_offsets: &[u32],
    numbers: &[u8],
    symprec: f64,
    angle_tolerance: f64,
    out_lattices: &mut [f64],
    out_frac: &mut [f64],
    out_numbers: &mut [i32],
    status: &mut [i32],
) -> i32 {
    let tol = tolerances(symprec, angle_tolerance);
    let m = status.len();
    let batch = match open_batch(lattices, frac, atom_offsets, numbers, &tol).and_then(|b| {
        expect_len("atom_offsets", atom_offsets.len(), m + 1)
            .and(expect_len("out_lattices", out_lattices.len(), 9 * m))
            .and(expect_len("out_frac", out_frac.len(), frac.len()))
            .and(expect_len("out_numbers", out_numbers.len(), m))
            .map(|_| b)
    }) {
        Ok(b) => b,
        Err(e) => return call_failed(e),
    };
    run_batch(status, |b| {
        let d = dataset_of(&batch, numbers, b, &tol)?;
        let atoms = batch.atoms(b);
        let ideal = symmetry::symmetrize(&frac[3 * atoms.start..3 * atoms.end], &d)?;
        out_lattices[9 * b..9 * b + 9].copy_from_slice(&ideal.lattice);
        out_frac[3 * atoms.start..3 * atoms.end].copy_from_slice(&ideal.frac);
        out_numbers[b] = d.number;
        Ok(())
    })
}

/// Numbers per operation in `hall_operations`' output: rotation (9, row-major), translation (3).
const OPERATION_VALUES: usize = 12;

/// The symmetry operations of Hall number `hall_number` (1–530) on fractional coordinates of its
/// standardised conventional cell (the `conventional` cell of `space_group_datasets`), centring
/// translations included: operation k is `out[12·k .. 12·k + 12]`, the rotation R row-major then
/// the translation t in [0, 1), so x' = R·x + t. `out` holds room for `MAX_OPERATIONS` (192).
/// Returns the number of operations, or a negative code for a Hall number outside 1–530 or a
/// wrong `out` length.
#[wasm_bindgen]
pub fn hall_operations(hall_number: i32, out: &mut [f64]) -> i32 {
    if let Err(e) = expect_len("out", out.len(), OPERATION_VALUES * MAX_OPERATIONS) {
        return call_failed(e);
    }
    let Some(ops) = symmetry::hall_operations(hall_number) else {
        return call_failed(GeomError::BadParameter { name: "hall_number", value: hall_number as f64 });
    };
    for (k, (r, t)) in ops.iter().enumerate() {
        let o = &mut out[OPERATION_VALUES * k..OPERATION_VALUES * (k + 1)];
        for (slot, &v) in o[..9].iter_mut().zip(r) {
            *slot = v as f64;
        }
        o[9..].copy_from_slice(t);
    }
    ops.len() as i32
}

/// The Hall-symbol table: line `h − 1` is "number<TAB>short Hermann–Mauguin symbol<TAB>Hall
/// symbol" of Hall number `h` (1–530), e.g. line 524 is "227\tFd-3m\tF 4d 2 3 -1d".
#[wasm_bindgen]
pub fn hall_symbol_table() -> String {
    let mut out = String::new();
    for h in 1..=HALL_NUMBERS {
        let number = symmetry::number_of_hall(h).unwrap_or(0);
        let symbol = symmetry::hm_symbol(h).unwrap_or_default();
        let hall = symmetry::hall_symbol(h).unwrap_or("");
        out.push_str(&format!("{number}\t{symbol}\t{hall}\n"));
    }
    out
}
