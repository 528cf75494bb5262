//! The worked cases T1–T15 of `metrics-reference-matcher-magpie.md` (test plan), whose values were
//! printed by pymatgen 2022.11.7 with `StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3)`.

use super::linalg::{from_parameters, mat_mul};
use super::*;

fn cell(p: [f64; 6], z: &[u8], f: &[[f64; 3]]) -> Cell {
    Cell {
        lattice: from_parameters(&p),
        frac: f.to_vec(),
        numbers: z.to_vec(),
    }
}

fn rms(a: &Cell, b: &Cell) -> Option<MatchResult> {
    get_rms_dist(a, b, &MatchOptions::default()).unwrap()
}

const STO_F: [[f64; 3]; 5] = [
    [0.0, 0.0, 0.0],
    [0.5, 0.5, 0.5],
    [0.5, 0.5, 0.0],
    [0.5, 0.0, 0.5],
    [0.0, 0.5, 0.5],
];
const STO_Z: [u8; 5] = [38, 22, 8, 8, 8];

fn sto() -> Cell {
    cell([3.905, 3.905, 3.905, 90.0, 90.0, 90.0], &STO_Z, &STO_F)
}

fn assert_rms(got: Option<MatchResult>, want: Option<(f64, f64)>, tol: f64) {
    match (got, want) {
        (None, None) => {}
        (Some(g), Some((r, m))) => {
            if r < EARLY_EXIT {
                assert!(g.rms < EARLY_EXIT, "got {g:?}, want ~{r}");
            } else {
                assert!(
                    (g.rms - r).abs() < tol && (g.max_dist - m).abs() < tol,
                    "got {g:?}, want ({r}, {m})"
                );
            }
        }
        _ => panic!("got {got:?}, want {want:?}"),
    }
}

#[test]
fn t1_to_t5_and_t8_t11_to_t13_perovskite() {
    let gt = sto();
    assert_rms(rms(&gt, &gt), Some((0.0, 0.0)), 1e-9);
    let t2 = cell(
        [3.95, 3.88, 3.91, 90.5, 89.0, 91.0],
        &STO_Z,
        &[
            [0.01, 0.0, 0.99],
            [0.52, 0.49, 0.5],
            [0.5, 0.47, 0.02],
            [0.49, 0.0, 0.53],
            [0.0, 0.51, 0.48],
        ],
    );
    assert_rms(rms(&t2, &gt), Some((0.04295213563114578, 0.051377715944925545)), 1e-9);
    let t3 = cell(
        [3.95, 3.88, 3.91, 90.5, 89.0, 91.0],
        &[8, 8, 38, 8, 22],
        &[
            [0.25, 0.51, 0.58],
            [0.74, 0.0, 0.63],
            [0.26, 0.0, 1.09],
            [0.75, 0.47, 0.12],
            [0.77, 0.49, 0.6],
        ],
    );
    assert_rms(rms(&t3, &gt), Some((0.04295213563114578, 0.0513777159449257)), 1e-9);
    let t4 = cell([3.905, 3.905, 3.905, 90.0, 90.0, 90.0], &[22, 38, 8, 8, 8], &STO_F);
    assert_rms(rms(&t4, &gt), None, 0.0);
    let t5 = cell([3.905, 3.905, 3.905, 90.0, 90.0, 90.0], &[38, 22, 8, 8, 9], &STO_F);
    assert_rms(rms(&t5, &gt), None, 0.0);
    let t8 = cell(
        [3.905, 3.905, 3.905, 90.0, 90.0, 90.0],
        &STO_Z,
        &[
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.5, 0.5, 0.25],
            [0.3, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ],
    );
    assert_rms(rms(&t8, &gt), Some((0.21898376859185473, 0.3487680287951509)), 1e-9);
    let mut f11 = STO_F;
    f11[4] = [0.0, 0.5, 0.67];
    let t11 = cell([3.905, 3.905, 3.905, 90.0, 90.0, 90.0], &STO_Z, &f11);
    assert_rms(rms(&t11, &gt), Some((0.11627836437401541, 0.23255672874803082)), 1e-9);
    let t12 = cell([3.905, 3.905, 5.3, 90.0, 90.0, 90.0], &STO_Z, &STO_F);
    assert_rms(rms(&t12, &gt), Some((0.0, 0.0)), 1e-9);
    let t13 = cell([3.905, 3.905, 7.81, 90.0, 90.0, 90.0], &STO_Z, &STO_F);
    assert_rms(rms(&t13, &gt), None, 0.0);
}

fn nacl_conv(p: [f64; 6], f: &[[f64; 3]]) -> Cell {
    cell(p, &[11, 11, 11, 11, 17, 17, 17, 17], f)
}

#[test]
fn t6_t7_rocksalt_cells_reduce_to_the_primitive_cell() {
    let ideal = [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.5, 0.0, 0.5],
        [0.0, 0.5, 0.5],
        [0.5, 0.0, 0.0],
        [0.0, 0.5, 0.0],
        [0.0, 0.0, 0.5],
        [0.5, 0.5, 0.5],
    ];
    let conv = nacl_conv([5.64, 5.64, 5.64, 90.0, 90.0, 90.0], &ideal);
    let a = 3.9880822458921275;
    let prim = cell(
        [a, a, a, 60.0, 60.0, 60.0],
        &[11, 17],
        &[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]],
    );
    assert_rms(rms(&conv, &prim), Some((0.0, 0.0)), 1e-9);
    let noisy = nacl_conv(
        [5.70, 5.60, 5.66, 90.0, 90.0, 90.0],
        &[
            [0.02, 0.0, 0.0],
            [0.5, 0.52, 0.0],
            [0.5, 0.0, 0.47],
            [0.0, 0.5, 0.5],
            [0.5, 0.03, 0.0],
            [0.0, 0.5, 0.0],
            [0.0, 0.0, 0.5],
            [0.5, 0.5, 0.46],
        ],
    );
    let red = reduced_cell(&noisy, &MatchOptions::default()).unwrap().unwrap();
    assert_eq!(red.numbers, vec![17, 11]); // sorted by symbol: "Cl" < "Na"
    assert_rms(
        rms(&noisy, &conv),
        Some((0.006136414791472639, 0.006136414791472639)),
        1e-9,
    );
}

#[test]
fn t9_t10_monoclinic_settings() {
    let z = [3, 3, 8, 8];
    let pred = cell(
        [5.3, 6.2, 4.1, 104.0, 90.0, 90.0],
        &z,
        &[[0.2, 0.3, 0.1], [0.7, 0.8, 0.6], [0.15, 0.55, 0.35], [0.65, 0.05, 0.85]],
    );
    let gt = cell(
        [4.1, 5.3, 6.2, 90.0, 104.0, 90.0],
        &z,
        &[[0.1, 0.2, 0.3], [0.6, 0.7, 0.8], [0.35, 0.15, 0.55], [0.85, 0.65, 0.05]],
    );
    assert_rms(rms(&pred, &gt), Some((0.0, 0.0)), 1e-9);
    let t10 = cell(
        [5.35, 6.1, 4.2, 102.0, 90.0, 90.0],
        &z,
        &[
            [0.21, 0.31, 0.1],
            [0.69, 0.8, 0.62],
            [0.15, 0.52, 0.35],
            [0.65, 0.07, 0.83],
        ],
    );
    assert_rms(rms(&t10, &gt), Some((0.014249109681731527, 0.014249109681731528)), 1e-9);
}

#[test]
fn t14_t15_mirror_image_and_skewed_basis() {
    let p = [4.0, 4.6, 5.1, 80.0, 95.0, 105.0];
    let z = [3, 8, 12, 16];
    let f = [[0.1, 0.2, 0.3], [0.45, 0.15, 0.7], [0.8, 0.6, 0.25], [0.3, 0.75, 0.9]];
    let gt = cell(p, &z, &f);
    let mirror = cell(p, &z, &f.map(|v| v.map(|x| -x)));
    assert_rms(rms(&mirror, &gt), Some((0.0, 0.0)), 1e-9);
    // a' = a, b' = a + b, c' = c; frac' = (x − y, y, z).
    let l = from_parameters(&p);
    let skew = Cell {
        lattice: mat_mul(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0], &l),
        frac: f.iter().map(|v| [v[0] - v[1], v[1], v[2]]).collect(),
        numbers: z.to_vec(),
    };
    assert_rms(rms(&skew, &gt), Some((0.0, 0.0)), 1e-9);
}

#[test]
fn bad_input_is_an_error() {
    let gt = sto();
    let mut nan = gt.clone();
    nan.frac[0][0] = f64::NAN;
    assert!(get_rms_dist(&nan, &gt, &MatchOptions::default()).is_err());
    let mut z0 = gt.clone();
    z0.numbers[0] = 0;
    assert!(get_rms_dist(&gt, &z0, &MatchOptions::default()).is_err());
    let empty = Cell {
        lattice: gt.lattice,
        frac: vec![],
        numbers: vec![],
    };
    assert_eq!(
        get_rms_dist(&empty, &gt, &MatchOptions::default()),
        Err(GeomError::NoAtoms)
    );
    let o = MatchOptions {
        stol: -1.0,
        ..MatchOptions::default()
    };
    assert!(get_rms_dist(&gt, &gt, &o).is_err());
}
