//! 3×3 lattice algebra in pymatgen's conventions (`core/lattice.py` at v2020.12.31, reference §A.1):
//! rows are the vectors a, b, c; Cartesian = frac · L; angles in degrees; the reciprocal lattice
//! carries the factor 2π. Also the LLL reduction pymatgen uses for minimum images (δ = 0.75), which
//! decides which pairs the matcher's LLL prefilter drops, so it follows pymatgen's steps exactly
//! (rounding half to even, the stale Gram–Schmidt rows, the least-squares update after a swap at
//! k = 2) rather than a textbook LLL.

use std::f64::consts::PI;

/// A row-major 3×3 matrix; for lattices the rows are the vectors a, b, c (Å).
pub type M3 = [f64; 9];
/// A 3-vector.
pub type V3 = [f64; 3];

#[inline]
pub fn dot(a: &V3, b: &V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline]
pub fn row(m: &M3, i: usize) -> V3 {
    [m[3 * i], m[3 * i + 1], m[3 * i + 2]]
}

/// `v · m` (a row vector times a matrix: fractional → Cartesian for a lattice).
#[inline]
pub fn vec_mat(v: &V3, m: &M3) -> V3 {
    let mut o = [0.0; 3];
    for (j, oj) in o.iter_mut().enumerate() {
        *oj = v[0] * m[j] + v[1] * m[3 + j] + v[2] * m[6 + j];
    }
    o
}

/// `a · b`.
pub fn mat_mul(a: &M3, b: &M3) -> M3 {
    let mut o = [0.0; 9];
    for i in 0..3 {
        let r = row(a, i);
        let p = vec_mat(&r, b);
        o[3 * i..3 * i + 3].copy_from_slice(&p);
    }
    o
}

pub fn det(m: &M3) -> f64 {
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
}

/// Inverse by the adjugate (the reference allows any accurate 3×3 inverse). `None` if singular.
pub fn inv(m: &M3) -> Option<M3> {
    let d = det(m);
    if d == 0.0 || !d.is_finite() {
        return None;
    }
    let c = [
        m[4] * m[8] - m[5] * m[7],
        m[2] * m[7] - m[1] * m[8],
        m[1] * m[5] - m[2] * m[4],
        m[5] * m[6] - m[3] * m[8],
        m[0] * m[8] - m[2] * m[6],
        m[2] * m[3] - m[0] * m[5],
        m[3] * m[7] - m[4] * m[6],
        m[1] * m[6] - m[0] * m[7],
        m[0] * m[4] - m[1] * m[3],
    ];
    Some(c.map(|x| x / d))
}

pub fn scale(m: &M3, s: f64) -> M3 {
    m.map(|x| x * s)
}

/// Cell volume |det L| (pymatgen `Lattice.volume`).
pub fn volume(l: &M3) -> f64 {
    det(l).abs()
}

/// Lengths of the three rows.
pub fn lengths(l: &M3) -> V3 {
    [0, 1, 2].map(|i| dot(&row(l, i), &row(l, i)).sqrt())
}

/// arccos of the clamped cosine between `u` and `v` (lengths given), in degrees.
#[inline]
pub fn angle_deg(u: &V3, v: &V3, lu: f64, lv: f64) -> f64 {
    (dot(u, v) / (lu * lv)).clamp(-1.0, 1.0).acos() * 180.0 / PI
}

/// `[a, b, c, α, β, γ]` with α = ∠(b, c), β = ∠(a, c), γ = ∠(a, b) in degrees.
pub fn params(l: &M3) -> [f64; 6] {
    let [a, b, c] = lengths(l);
    let (ra, rb, rc) = (row(l, 0), row(l, 1), row(l, 2));
    [
        a,
        b,
        c,
        angle_deg(&rb, &rc, b, c),
        angle_deg(&ra, &rc, a, c),
        angle_deg(&ra, &rb, a, b),
    ]
}

/// pymatgen's `Lattice.from_parameters` (non-VESTA): c along z, a in the xz-plane.
pub fn from_parameters(p: &[f64; 6]) -> M3 {
    let [a, b, c, al, be, ga] = *p;
    let (al, be, ga) = (al.to_radians(), be.to_radians(), ga.to_radians());
    let (ca, cb, cg) = (al.cos(), be.cos(), ga.cos());
    let (sa, sb) = (al.sin(), be.sin());
    let val = ((ca * cb - cg) / (sa * sb)).clamp(-1.0, 1.0);
    let gs = val.acos();
    [
        a * sb,
        0.0,
        a * cb,
        -b * sa * gs.cos(),
        b * sa * gs.sin(),
        b * ca,
        0.0,
        0.0,
        c,
    ]
}

/// Lengths of the 2π reciprocal vectors (2π / interplanar spacing), pymatgen's
/// `reciprocal_lattice.abc`: the column norms of L⁻¹ times 2π.
pub fn reciprocal_lengths(l: &M3) -> Option<V3> {
    let li = inv(l)?;
    Some([0, 1, 2].map(|k| 2.0 * PI * (li[k] * li[k] + li[3 + k] * li[3 + k] + li[6 + k] * li[6 + k]).sqrt()))
}

/// An LLL-reduced basis (pymatgen's `lll_matrix`) and the inverse of the integer mapping `U` with
/// `matrix = U · L` (pymatgen's `lll_mapping`), for [`Lll::frac`].
#[derive(Debug, Clone)]
pub struct Lll {
    pub matrix: M3,
    pub inverse: M3,
}

impl Lll {
    /// Fractional coordinates in the LLL basis (`f · U⁻¹`, pymatgen `get_lll_frac_coords`).
    #[inline]
    pub fn frac(&self, f: &V3) -> V3 {
        vec_mat(f, &self.inverse)
    }
}

/// LLL reduction with δ = 0.75 following pymatgen's `_calculate_lll` step for step. Vectors are
/// kept as rows here (pymatgen works on the transposed matrix; the arithmetic is the same).
#[allow(clippy::needless_range_loop)]
pub fn lll(l: &M3) -> Option<Lll> {
    const DELTA: f64 = 0.75;
    let mut a = [row(l, 0), row(l, 1), row(l, 2)];
    let mut mp: [V3; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let mut b = [[0.0; 3]; 3]; // Gram–Schmidt vectors
    let mut u = [[0.0; 3]; 3]; // Gram–Schmidt coefficients
    let mut m = [0.0; 3]; // squared norms of b

    // Gram–Schmidt of row `s` against rows 0..s.
    let gs = |s: usize, a: &[V3; 3], b: &mut [V3; 3], u: &mut [[f64; 3]; 3], m: &mut [f64; 3]| {
        for j in 0..s {
            u[s][j] = dot(&a[s], &b[j]) / m[j];
        }
        let mut v = a[s];
        for (k, vk) in v.iter_mut().enumerate() {
            let mut acc = 0.0;
            for j in 0..s {
                acc += b[j][k] * u[s][j];
            }
            *vk -= acc;
        }
        b[s] = v;
        m[s] = dot(&v, &v);
    };
    for s in 0..3 {
        gs(s, &a, &mut b, &mut u, &mut m);
    }

    let mut k = 2usize; // 1-based, as in pymatgen
    let mut guard = 0;
    while k <= 3 {
        guard += 1;
        if guard > 10_000 {
            return None;
        }
        // Size reduction of vector k-1 against i-1 for i = k-1 … 1.
        for i in (1..k).rev() {
            let q = u[k - 1][i - 1].round_ties_even();
            if q != 0.0 {
                for c in 0..3 {
                    a[k - 1][c] -= q * a[i - 1][c];
                    mp[k - 1][c] -= q * mp[i - 1][c];
                }
                for j in 0..i {
                    let uu = if j == i - 1 { 1.0 } else { u[i - 1][j] };
                    u[k - 1][j] -= q * uu;
                }
            }
        }
        let lovasz = dot(&b[k - 1], &b[k - 1]) >= (DELTA - u[k - 1][k - 2].abs().powi(2)) * dot(&b[k - 2], &b[k - 2]);
        if lovasz {
            k += 1;
        } else {
            a.swap(k - 1, k - 2);
            mp.swap(k - 1, k - 2);
            for s in (k - 1)..=k {
                gs(s - 1, &a, &mut b, &mut u, &mut m);
            }
            if k > 2 {
                k -= 1;
            } else {
                // pymatgen solves a diagonal least-squares system here: u[r][c] = a_r·b_c / m_c for
                // the rows r ≥ k it did not recompute.
                for r in k..3 {
                    for c in (k - 2)..k {
                        u[r][c] = dot(&a[r], &b[c]) / m[c];
                    }
                }
            }
        }
        if !m.iter().all(|x| x.is_finite() && *x > 0.0) {
            return None;
        }
    }
    let matrix = [
        a[0][0], a[0][1], a[0][2], a[1][0], a[1][1], a[1][2], a[2][0], a[2][1], a[2][2],
    ];
    let mapping = [
        mp[0][0], mp[0][1], mp[0][2], mp[1][0], mp[1][1], mp[1][2], mp[2][0], mp[2][1], mp[2][2],
    ];
    let inverse = inv(&mapping)?;
    Some(Lll { matrix, inverse })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_parameters_round_trips() {
        let p = [4.0, 4.6, 5.1, 80.0, 95.0, 105.0];
        let q = params(&from_parameters(&p));
        for i in 0..6 {
            assert!((p[i] - q[i]).abs() < 1e-10, "{p:?} {q:?}");
        }
    }

    #[test]
    fn lll_reduces_a_skewed_cube() {
        let l = [1.0, 0.0, 0.0, 5.0, 1.0, 0.0, -3.0, 7.0, 1.0];
        let r = lll(&l).unwrap();
        for i in 0..3 {
            assert!((dot(&row(&r.matrix, i), &row(&r.matrix, i)) - 1.0).abs() < 1e-12);
        }
        let back = mat_mul(&inv(&r.inverse).unwrap(), &l);
        for (b, m) in back.iter().zip(&r.matrix) {
            assert!((b - m).abs() < 1e-12);
        }
    }
}
