//! Lattice mappings (pymatgen `Lattice.find_all_mappings`, reference §A.6) and pymatgen's Niggli
//! reduction built on them (§A.3).
//!
//! The matcher reduces with pymatgen's own Niggli routine, not the crate's `lattice::niggli_reduce`
//! (which agrees with spglib): pymatgen's cell differs from a proper Niggli cell for some crystals
//! (DESIGN.md: 8 % of MP-20), and the reduced cell fixes the primitive-cell tolerances and the target
//! basis whose parameters are averaged, so the RMS would differ there.

use super::linalg::{angle_deg, det, dot, from_parameters, inv, params, row, vec_mat, M3, V3};

/// A lattice point `n · L` with its integer coordinates and length.
#[derive(Debug, Clone, Copy)]
struct Point {
    n: [i32; 3],
    cart: V3,
    len: f64,
}

/// Every lattice point `n · L` (origin included) with |n · L|² < r² + 1e-8, in the order pymatgen's
/// `find_points_in_spheres` returns them for one centre at the origin: that routine takes r as a C
/// float (so r² is a float product too), bins the points into 3 × 3 × 3 cubes of edge r spanning
/// (−r − 1e-8, r + 1e-8) on each Cartesian axis, walks the cubes in lexicographic order and each
/// cube's linked list, which holds its points in reverse order of insertion (lexicographic n).
/// The order decides which of several equally good bases pymatgen's Niggli step keeps, and so the
/// orientation of the target basis whose parameters are averaged.
fn points_in_sphere(l: &M3, r: f64) -> Option<Vec<Point>> {
    const TOL: f64 = 1e-8;
    let r32 = r as f32;
    let r = r32 as f64;
    let rr = (r32 * r32) as f64 + TOL;
    let (vmin, vmax) = ((0.0 - r) - TOL, 0.0 + r + TOL);
    let li = inv(l)?;
    // |n_k| ≤ r · |column k of L⁻¹| for points within r.
    let bound = |k: usize| -> Option<i32> {
        let b = ((r + 1e-6) * (li[k] * li[k] + li[3 + k] * li[3 + k] + li[6 + k] * li[6 + k]).sqrt()).ceil();
        (b.is_finite() && b < 1e4).then_some(b as i32)
    };
    let (b0, b1, b2) = (bound(0)?, bound(1)?, bound(2)?);
    let mut keyed: Vec<(i64, usize, Point)> = Vec::new();
    for i in -b0..=b0 {
        for j in -b1..=b1 {
            for k in -b2..=b2 {
                let n = [i as f64, j as f64, k as f64];
                let cart = vec_mat(&n, l);
                if !cart.iter().all(|&x| x > vmin && x < vmax) {
                    continue;
                }
                let d2 = 0.0 + cart[0] * cart[0] + cart[1] * cart[1] + cart[2] * cart[2];
                if d2 < rr {
                    let cube = cart.map(|x| ((x - vmin + 1e-8) / r).floor() as i64);
                    let key = cube[0] * 9 + cube[1] * 3 + cube[2];
                    let idx = keyed.len();
                    keyed.push((
                        key,
                        idx,
                        Point {
                            n: [i, j, k],
                            cart,
                            len: d2.sqrt(),
                        },
                    ));
                }
            }
        }
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    Some(keyed.into_iter().map(|(_, _, p)| p).collect())
}

/// One mapping: a basis of `L`'s lattice (`cart`, rows) whose parameters match the target, and the
/// determinant of the integer matrix `S` with `cart = S · L`.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    pub cart: M3,
    pub scale_det: f64,
}

/// All bases of `l`'s lattice whose lengths are within the factor window
/// 1/(1+ltol) < |v|/ℓ < 1+ltol of `target`'s and whose angles are within `atol` degrees (all
/// strict), skipping singular integer matrices. Order: a-candidates outermost, then (b, c) in
/// row-major order, each candidate list in lattice-point order. `f` returns false to stop early.
pub fn for_each_mapping(l: &M3, target: &M3, ltol: f64, atol: f64, mut f: impl FnMut(&Mapping) -> bool) -> Option<()> {
    let tp = params(target);
    let tl = [tp[0], tp[1], tp[2]];
    let r = tl.iter().cloned().fold(f64::MIN, f64::max) * (1.0 + ltol);
    let pts = points_in_sphere(l, r)?;
    let cands: Vec<Vec<&Point>> = tl
        .iter()
        .map(|&len| {
            pts.iter()
                .filter(|p| p.len / len < 1.0 + ltol && p.len / len > 1.0 / (1.0 + ltol))
                .collect()
        })
        .collect();
    let (ca, cb, cc) = (&cands[0], &cands[1], &cands[2]);
    let (alpha, beta, gamma) = (tp[3], tp[4], tp[5]);
    // alpha_ok[j][k]: angle(b_j, c_k) within atol of α.
    let alpha_ok: Vec<Vec<bool>> = cb
        .iter()
        .map(|b| {
            cc.iter()
                .map(|c| (angle_deg(&b.cart, &c.cart, b.len, c.len) - alpha).abs() < atol)
                .collect()
        })
        .collect();
    for pa in ca.iter() {
        let beta_ok: Vec<bool> = cc
            .iter()
            .map(|c| (angle_deg(&pa.cart, &c.cart, pa.len, c.len) - beta).abs() < atol)
            .collect();
        for (j, pb) in cb.iter().enumerate() {
            if (angle_deg(&pa.cart, &pb.cart, pa.len, pb.len) - gamma).abs() >= atol {
                continue;
            }
            for (k, pc) in cc.iter().enumerate() {
                if !(alpha_ok[j][k] && beta_ok[k]) {
                    continue;
                }
                let mut scale = [0i32; 9];
                scale[0..3].copy_from_slice(&pa.n);
                scale[3..6].copy_from_slice(&pb.n);
                scale[6..9].copy_from_slice(&pc.n);
                let sd = det(&scale.map(|x| x as f64));
                if sd.abs() < 1e-8 {
                    continue;
                }
                let cart = [
                    pa.cart[0], pa.cart[1], pa.cart[2], pb.cart[0], pb.cart[1], pb.cart[2], pc.cart[0], pc.cart[1],
                    pc.cart[2],
                ];
                if !f(&Mapping { cart, scale_det: sd }) {
                    return Some(());
                }
            }
        }
    }
    Some(())
}

/// pymatgen's `Lattice.get_niggli_reduced_lattice(tol)`: LLL first, then the Grosse-Kunstleve,
/// Sauter & Adams (2004) steps A1–A8 on the metric with ε = tol·V^(1/3) (at most 100 passes), then
/// the first basis of `l`'s lattice with the resulting parameters (lengths within the factor ε,
/// angles within 1°), made right-handed. `None` where pymatgen raises "can't find niggli".
#[allow(clippy::needless_range_loop)]
pub fn pmg_niggli(l: &M3, tol: f64) -> Option<M3> {
    let lll = super::linalg::lll(l)?;
    let e = tol * det(l).abs().powf(1.0 / 3.0);
    let mm = lll.matrix;
    let mut g = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            g[i][j] = dot(&row(&mm, i), &row(&mm, j));
        }
    }
    // G ← Mᵀ G M for an integer M.
    let tr = |g: &[[f64; 3]; 3], m: [[f64; 3]; 3]| -> [[f64; 3]; 3] {
        let mut gm = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                gm[i][j] = g[i][0] * m[0][j] + g[i][1] * m[1][j] + g[i][2] * m[2][j];
            }
        }
        let mut o = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                o[i][j] = m[0][i] * gm[0][j] + m[1][i] * gm[1][j] + m[2][i] * gm[2][j];
            }
        }
        o
    };
    let sgn = |x: f64| if x.abs() < e { 0.0 } else { x / x.abs() };
    let unpack = |g: &[[f64; 3]; 3]| (g[0][0], g[1][1], g[2][2], 2.0 * g[1][2], 2.0 * g[0][2], 2.0 * g[0][1]);
    for _ in 0..100 {
        // As in pymatgen, A2 and the signs of A3/A4 read the metric as it was at the top of the
        // pass, even when A1 has just changed it.
        let (a, b, c, ee, n, y) = unpack(&g);
        if a > b + e || ((a - b).abs() < e && ee.abs() > n.abs() + e) {
            g = tr(&g, [[0.0, -1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]); // A1
        }
        if b > c + e || ((b - c).abs() < e && n.abs() > y.abs() + e) {
            g = tr(&g, [[-1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, -1.0, 0.0]]); // A2
            continue;
        }
        let (l_, m_, n_) = (sgn(ee), sgn(n), sgn(y));
        let prod = l_ * m_ * n_;
        if prod == 1.0 {
            // A3
            let i = if l_ == -1.0 { -1.0 } else { 1.0 };
            let j = if m_ == -1.0 { -1.0 } else { 1.0 };
            let k = if n_ == -1.0 { -1.0 } else { 1.0 };
            g = tr(&g, [[i, 0.0, 0.0], [0.0, j, 0.0], [0.0, 0.0, k]]);
        } else if prod == 0.0 || prod == -1.0 {
            // A4
            let mut i = if l_ == 1.0 { -1.0 } else { 1.0 };
            let mut j = if m_ == 1.0 { -1.0 } else { 1.0 };
            let mut k = if n_ == 1.0 { -1.0 } else { 1.0 };
            if i * j * k == -1.0 {
                if n_ == 0.0 {
                    k = -1.0;
                } else if m_ == 0.0 {
                    j = -1.0;
                } else if l_ == 0.0 {
                    i = -1.0;
                }
            }
            g = tr(&g, [[i, 0.0, 0.0], [0.0, j, 0.0], [0.0, 0.0, k]]);
        }
        let (a, b, _c, ee, n, y) = unpack(&g);
        if ee.abs() > b + e || ((ee - b).abs() < e && 2.0 * n < y - e) || ((ee + b).abs() < e && y < -e) {
            g = tr(&g, [[1.0, 0.0, 0.0], [0.0, 1.0, -ee / ee.abs()], [0.0, 0.0, 1.0]]); // A5
            continue;
        }
        if n.abs() > a + e || ((a - n).abs() < e && 2.0 * ee < y - e) || ((a + n).abs() < e && y < -e) {
            g = tr(&g, [[1.0, 0.0, -n / n.abs()], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]); // A6
            continue;
        }
        if y.abs() > a + e || ((a - y).abs() < e && 2.0 * ee < n - e) || ((a + y).abs() < e && n < -e) {
            g = tr(&g, [[1.0, -y / y.abs(), 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]); // A7
            continue;
        }
        let s = ee + n + y + a + b;
        if s < -e || (s.abs() < e && e < y + (a + n) * 2.0) {
            g = tr(&g, [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]); // A8
            continue;
        }
        break;
    }
    let (a2, b2, c2, ee, n, y) = unpack(&g);
    let (a, b, c) = (a2.sqrt(), b2.sqrt(), c2.sqrt());
    // math.acos raises outside [-1, 1]: pymatgen fails there, and so do we (NaN → no mapping).
    let acos = |x: f64| {
        if (-1.0..=1.0).contains(&x) {
            Some(x.acos() / std::f64::consts::PI * 180.0)
        } else {
            None
        }
    };
    let p = [
        a,
        b,
        c,
        acos(ee / 2.0 / b / c)?,
        acos(n / 2.0 / a / c)?,
        acos(y / 2.0 / a / b)?,
    ];
    let latt = from_parameters(&p);
    let mut found = None;
    for_each_mapping(l, &latt, e, 1.0, |m| {
        found = Some(m.cart);
        false
    })?;
    let m = found?;
    Some(if det(&m) > 0.0 { m } else { m.map(|x| -x) })
}

/// Whether two lattices are `np.allclose` (rtol 1e-5, atol 1e-8 on the entries, `b` the reference).
pub fn allclose(a: &M3, b: &M3) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-8 + 1e-5 * y.abs())
}
