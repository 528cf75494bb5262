//! Niggli reduction: the algorithm of Křivý & Gruber, Acta Cryst. (1976) A32, 297–298, with the
//! ε comparisons of Grosse-Kunstleve, Sauter & Adams, Acta Cryst. (2004) A60, 1–6. Steps are
//! numbered as in those papers.
//!
//! Notation: the metric of a basis (rows a, b, c) is A = a·a, B = b·b, C = c·c, ξ = 2 b·c,
//! η = 2 a·c, ζ = 2 a·b. The tolerance is ε = eps_rel · |V|^(1/3), as the 2004 paper recommends.
//! Every step is an integer row operation with determinant +1 (`T ← M T`), so the reduced basis is
//! `T · L`, the transform is unimodular and the handedness of the input is kept. Steps 5–7 subtract
//! the nearest whole multiple at once (Křivý & Gruber's entier form), so very skewed cells converge
//! in few steps. The metric is recomputed from the updated basis after every step (not updated
//! algebraically), and the returned basis is `T · L` computed from the input.

use super::params::{check_lattice, row_dot, MAX_ATOMS_PER_CRYSTAL};
use crate::error::GeomError;

/// Default relative tolerance (pymatgen's and spglib's default value, 1e-5).
pub const DEFAULT_EPS: f64 = 1e-5;

/// Largest accepted relative tolerance.
pub const MAX_EPS: f64 = 0.1;

/// Step limit. Realistic cells need well under 100 steps; steps 5–7 subtract whole multiples, so
/// even extremely skewed cells converge in few steps.
pub const MAX_STEPS: u32 = 10_000;

/// Largest magnitude of a fractional coordinate accepted by [`niggli_reduce_structure`].
pub const MAX_FRAC_MAGNITUDE: f64 = 1e6;

/// Largest transform entry; the transform is returned as i32.
const MAX_TRANSFORM_ENTRY: i64 = i32::MAX as i64;

type IMat = [i64; 9];

#[cfg(test)]
const IDENTITY: IMat = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/// Metric parameters of a basis.
#[derive(Debug, Clone, Copy)]
struct Metric {
    a: f64,
    b: f64,
    c: f64,
    xi: f64,
    eta: f64,
    zeta: f64,
}

fn metric(l: &[f64; 9]) -> Metric {
    Metric {
        a: row_dot(l, 0, 0),
        b: row_dot(l, 1, 1),
        c: row_dot(l, 2, 2),
        xi: 2.0 * row_dot(l, 1, 2),
        eta: 2.0 * row_dot(l, 0, 2),
        zeta: 2.0 * row_dot(l, 0, 1),
    }
}

/// `m · t` for integer 3×3 matrices.
#[cfg(test)]
fn imul(m: &IMat, t: &IMat) -> IMat {
    let mut out = [0i64; 9];
    for i in 0..3 {
        for j in 0..3 {
            out[3 * i + j] = m[3 * i] * t[j] + m[3 * i + 1] * t[3 + j] + m[3 * i + 2] * t[6 + j];
        }
    }
    out
}

/// `t · l` (integer rows combining the lattice vectors).
fn basis_of(t: &IMat, l: &[f64; 9]) -> [f64; 9] {
    let mut out = [0.0; 9];
    for i in 0..3 {
        let (t0, t1, t2) = (t[3 * i] as f64, t[3 * i + 1] as f64, t[3 * i + 2] as f64);
        for k in 0..3 {
            out[3 * i + k] = t0 * l[k] + t1 * l[3 + k] + t2 * l[6 + k];
        }
    }
    out
}

/// Sign of x with the ε dead zone: −1, 0 or +1 (`l`, `m`, `n` of the paper).
fn sign_eps(x: f64, e: f64) -> i64 {
    if x > e {
        1
    } else if x < -e {
        -1
    } else {
        0
    }
}

/// How many times to subtract a vector in steps 5–7: the nearest integer to x / (2d) when
/// |x| > d (Křivý & Gruber's entier form), one unit of sign(x) on the boundary cases.
fn multiple(x: f64, d: f64, e: f64) -> Result<i64, GeomError> {
    if x.abs() > d + e {
        let j = (x / (2.0 * d)).round();
        if j.abs() > MAX_TRANSFORM_ENTRY as f64 {
            return Err(GeomError::TooLarge {
                what: "Niggli transform entry (cell too skewed)",
                value: j.abs(),
                max: MAX_TRANSFORM_ENTRY as f64,
            });
        }
        Ok(j as i64)
    } else if x > 0.0 {
        Ok(1)
    } else {
        Ok(-1)
    }
}

/// The absolute tolerance ε = eps_rel · |V|^(1/3) for a lattice, after validating both.
fn tolerance(l: &[f64; 9], eps_rel: f64) -> Result<f64, GeomError> {
    if !(0.0..=MAX_EPS).contains(&eps_rel) {
        return Err(GeomError::BadParameter { name: "eps", value: eps_rel });
    }
    let volume = check_lattice(l)?;
    Ok(eps_rel * volume.abs().cbrt())
}

/// The state of one reduction: the transform so far, the basis it gives (updated by the same row
/// operations) and that basis' metric.
struct Reducer {
    t: [[i64; 3]; 3],
    basis: [[f64; 3]; 3],
    g: Metric,
    steps: u32,
}

fn dot(x: &[f64; 3], y: &[f64; 3]) -> f64 {
    x[0] * y[0] + x[1] * y[1] + x[2] * y[2]
}

impl Reducer {
    fn new(input: &[f64; 9]) -> Self {
        let basis = [
            [input[0], input[1], input[2]],
            [input[3], input[4], input[5]],
            [input[6], input[7], input[8]],
        ];
        Reducer { t: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], basis, g: metric(input), steps: 0 }
    }

    fn update_metric(&mut self) {
        let [a, b, c] = &self.basis;
        self.g = Metric {
            a: dot(a, a),
            b: dot(b, b),
            c: dot(c, c),
            xi: 2.0 * dot(b, c),
            eta: 2.0 * dot(a, c),
            zeta: 2.0 * dot(a, b),
        };
    }

    fn count_step(&mut self) -> Result<(), GeomError> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(GeomError::NoConvergence { algorithm: "Niggli reduction", steps: MAX_STEPS });
        }
        Ok(())
    }

    /// Rows (a, b, c) ← (−row p0, −row p1, −row p2): the swaps of steps 1 and 2 (det +1).
    fn swap_negate(&mut self, p: [usize; 3]) -> Result<(), GeomError> {
        self.count_step()?;
        let (t, b) = (self.t, self.basis);
        for i in 0..3 {
            self.t[i] = t[p[i]].map(|x| -x);
            self.basis[i] = b[p[i]].map(|x| -x);
        }
        self.update_metric();
        Ok(())
    }

    /// Rows multiplied by the signs `s` (steps 3 and 4; the product of the signs is +1).
    fn flip(&mut self, s: [i64; 3]) -> Result<(), GeomError> {
        self.count_step()?;
        for (i, &si) in s.iter().enumerate() {
            if si < 0 {
                self.t[i] = self.t[i].map(|x| -x);
                self.basis[i] = self.basis[i].map(|x| -x);
            }
        }
        self.update_metric();
        Ok(())
    }

    /// Row `dst` ← row `dst` + k · row `src` (steps 5–8).
    fn add_row(&mut self, dst: usize, src: usize, k: i64) -> Result<(), GeomError> {
        self.count_step()?;
        let (ts, bs) = (self.t[src], self.basis[src]);
        let kf = k as f64;
        for j in 0..3 {
            self.t[dst][j] += k * ts[j];
            self.basis[dst][j] += kf * bs[j];
        }
        if let Some(big) = self.t[dst].iter().map(|x| x.abs()).find(|&x| x > MAX_TRANSFORM_ENTRY) {
            return Err(GeomError::TooLarge {
                what: "Niggli transform entry (cell too skewed)",
                value: big as f64,
                max: MAX_TRANSFORM_ENTRY as f64,
            });
        }
        self.update_metric();
        Ok(())
    }

    fn transform(&self) -> IMat {
        let t = &self.t;
        [t[0][0], t[0][1], t[0][2], t[1][0], t[1][1], t[1][2], t[2][0], t[2][1], t[2][2]]
    }

    /// Runs steps 1–8 until none applies.
    fn run(&mut self, e: f64) -> Result<(), GeomError> {
        loop {
            let g = self.g;
            // Step 1: A > B, or A = B and |ξ| > |η|: swap a and b (a, b, c → −b, −a, −c).
            if g.a > g.b + e || (!((g.a - g.b).abs() > e) && g.xi.abs() > g.eta.abs() + e) {
                self.swap_negate([1, 0, 2])?;
            }
            let g = self.g;
            // Step 2: B > C, or B = C and |η| > |ζ|: swap b and c (→ −a, −c, −b), back to step 1.
            if g.b > g.c + e || (!((g.b - g.c).abs() > e) && g.eta.abs() > g.zeta.abs() + e) {
                self.swap_negate([0, 2, 1])?;
                continue;
            }
            let (l, m, n) = (sign_eps(g.xi, e), sign_eps(g.eta, e), sign_eps(g.zeta, e));
            if l * m * n == 1 {
                // Step 3: make ξ, η, ζ all positive.
                let s = |x: i64| if x == -1 { -1 } else { 1 };
                self.flip([s(l), s(m), s(n)])?;
            } else if !(l == -1 && m == -1 && n == -1) {
                // Step 4: make ξ, η, ζ all non-positive; a zero sign absorbs the parity so det = +1.
                let (mut i, mut j, mut k) = (1, 1, 1);
                let mut zero_at = None;
                for (idx, (sg, flip)) in [(l, &mut i), (m, &mut j), (n, &mut k)].into_iter().enumerate() {
                    if sg == 1 {
                        *flip = -1;
                    } else if sg == 0 {
                        zero_at = Some(idx);
                    }
                }
                if i * j * k == -1 {
                    match zero_at {
                        Some(0) => i = -1,
                        Some(1) => j = -1,
                        Some(2) => k = -1,
                        _ => unreachable!("l·m·n = −1 with one negative sign has even parity"),
                    }
                }
                if (i, j, k) != (1, 1, 1) {
                    self.flip([i, j, k])?;
                }
            }
            let g = self.g;
            // Step 5: |ξ| > B, or ξ = B and 2η < ζ, or ξ = −B and ζ < 0: c ← c − j b.
            if g.xi.abs() > g.b + e
                || (!((g.b - g.xi).abs() > e) && 2.0 * g.eta < g.zeta - e)
                || (!((g.b + g.xi).abs() > e) && g.zeta < -e)
            {
                let j = multiple(g.xi, g.b, e)?;
                self.add_row(2, 1, -j)?;
                continue;
            }
            // Step 6: |η| > A, or η = A and 2ξ < ζ, or η = −A and ζ < 0: c ← c − j a.
            if g.eta.abs() > g.a + e
                || (!((g.a - g.eta).abs() > e) && 2.0 * g.xi < g.zeta - e)
                || (!((g.a + g.eta).abs() > e) && g.zeta < -e)
            {
                let j = multiple(g.eta, g.a, e)?;
                self.add_row(2, 0, -j)?;
                continue;
            }
            // Step 7: |ζ| > A, or ζ = A and 2ξ < η, or ζ = −A and η < 0: b ← b − j a.
            if g.zeta.abs() > g.a + e
                || (!((g.a - g.zeta).abs() > e) && 2.0 * g.xi < g.eta - e)
                || (!((g.a + g.zeta).abs() > e) && g.eta < -e)
            {
                let j = multiple(g.zeta, g.a, e)?;
                self.add_row(1, 0, -j)?;
                continue;
            }
            // Step 8: ξ+η+ζ+A+B < 0, or = 0 and 2(A+η)+ζ > 0: c ← a + b + c.
            let s = g.xi + g.eta + g.zeta + g.a + g.b;
            if s < -e || (!(s.abs() > e) && 2.0 * (g.a + g.eta) + g.zeta > e) {
                self.add_row(2, 0, 1)?;
                self.add_row(2, 1, 1)?;
                continue;
            }
            return Ok(());
        }
    }
}

fn to_i32(t: &IMat) -> [i32; 9] {
    // Entries were checked against MAX_TRANSFORM_ENTRY in `add_row` (the only op that grows them).
    t.map(|x| x as i32)
}

/// Niggli-reduces `basis` (rows = vectors, Å) with relative tolerance `eps_rel`. Returns the
/// reduced basis and the integer transform `t` with `reduced = t · basis` and det(t) = +1.
pub fn niggli_reduce(basis: &[f64; 9], eps_rel: f64) -> Result<([f64; 9], [i32; 9]), GeomError> {
    let e = tolerance(basis, eps_rel)?;
    let mut r = Reducer::new(basis);
    r.run(e)?;
    // The output basis is recomputed from the input and the exact integer transform.
    let t = r.transform();
    Ok((basis_of(&t, basis), to_i32(&t)))
}

/// Whether `basis` satisfies the Niggli conditions (main and special, International Tables for
/// Crystallography Vol. A §9.2) to within ε = eps_rel · |V|^(1/3). Invalid lattices are not reduced.
pub fn is_niggli_reduced(basis: &[f64; 9], eps_rel: f64) -> bool {
    let Ok(e) = tolerance(basis, eps_rel) else { return false };
    let g = metric(basis);
    let eq = |x: f64, y: f64| (x - y).abs() <= e;
    // Main conditions: A ≤ B ≤ C, |ξ| ≤ B, |η| ≤ A, |ζ| ≤ A; signs all positive or all non-positive.
    if g.a > g.b + e || g.b > g.c + e {
        return false;
    }
    if g.xi.abs() > g.b + e || g.eta.abs() > g.a + e || g.zeta.abs() > g.a + e {
        return false;
    }
    let positive = g.xi > e && g.eta > e && g.zeta > e;
    let non_positive = g.xi <= e && g.eta <= e && g.zeta <= e;
    if !positive && !non_positive {
        return false;
    }
    // Special conditions.
    if eq(g.a, g.b) && g.xi.abs() > g.eta.abs() + e {
        return false;
    }
    if eq(g.b, g.c) && g.eta.abs() > g.zeta.abs() + e {
        return false;
    }
    if positive {
        !((eq(g.xi, g.b) && g.zeta > 2.0 * g.eta + e)
            || (eq(g.eta, g.a) && g.zeta > 2.0 * g.xi + e)
            || (eq(g.zeta, g.a) && g.eta > 2.0 * g.xi + e))
    } else {
        let s = g.xi + g.eta + g.zeta + g.a + g.b;
        !((eq(g.xi, -g.b) && g.zeta.abs() > e)
            || (eq(g.eta, -g.a) && g.zeta.abs() > e)
            || (eq(g.zeta, -g.a) && g.eta.abs() > e)
            || s < -e
            || (eq(s, 0.0) && 2.0 * (g.a + g.eta) + g.zeta > e))
    }
}

/// Wraps a fractional coordinate into [0, 1); values within 1e-12 below 1 become 0 (the same rule
/// as `wrapFrac` in `src/crystal/lattice.ts`).
#[inline]
pub fn wrap_frac(x: f64) -> f64 {
    let w = x - x.floor();
    if w >= 1.0 - 1e-12 {
        0.0
    } else {
        w
    }
}

/// Inverse of a unimodular integer matrix (its adjugate times det = ±1), as f64.
fn unimodular_inverse(t: &[i32; 9]) -> [f64; 9] {
    let m: [i128; 9] = t.map(|x| x as i128);
    let adj = [
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
    let det = m[0] * adj[0] + m[1] * adj[3] + m[2] * adj[6];
    debug_assert!(det == 1 || det == -1);
    adj.map(|x| (x * det) as f64)
}

/// Niggli-reduces a structure: the lattice as [`niggli_reduce`], the fractional coordinates
/// (flat N×3) transformed to the new basis (`f' = f · t⁻¹`, the same Cartesian positions) and
/// wrapped into [0, 1), written to `out_frac`.
pub fn niggli_reduce_structure(
    basis: &[f64; 9],
    frac: &[f64],
    out_frac: &mut [f64],
    eps_rel: f64,
) -> Result<([f64; 9], [i32; 9]), GeomError> {
    if !frac.len().is_multiple_of(3) || out_frac.len() != frac.len() {
        return Err(GeomError::BadShape {
            what: "fractional coordinates",
            got: frac.len(),
            expected: 3 * (frac.len() / 3),
        });
    }
    let n = frac.len() / 3;
    if n == 0 {
        return Err(GeomError::NoAtoms);
    }
    if n > MAX_ATOMS_PER_CRYSTAL {
        return Err(GeomError::TooLarge {
            what: "atom count",
            value: n as f64,
            max: MAX_ATOMS_PER_CRYSTAL as f64,
        });
    }
    if !frac.iter().all(|x| x.is_finite()) {
        return Err(GeomError::NonFinite { what: "fractional coordinates" });
    }
    if let Some(big) = frac.iter().map(|x| x.abs()).find(|&x| x > MAX_FRAC_MAGNITUDE) {
        return Err(GeomError::TooLarge {
            what: "fractional coordinate",
            value: big,
            max: MAX_FRAC_MAGNITUDE,
        });
    }
    let (reduced, t) = niggli_reduce(basis, eps_rel)?;
    let inv = unimodular_inverse(&t);
    for (f, out) in frac.chunks_exact(3).zip(out_frac.chunks_exact_mut(3)) {
        for k in 0..3 {
            out[k] = wrap_frac(f[0] * inv[k] + f[1] * inv[3 + k] + f[2] * inv[6 + k]);
        }
    }
    Ok((reduced, t))
}

#[cfg(test)]
mod tests {
    use super::super::params::{det3, lattice_params};
    use super::*;

    /// A basis with the given metric (lower-triangular, a along x).
    fn basis_from_metric(a: f64, b: f64, c: f64, xi: f64, eta: f64, zeta: f64) -> [f64; 9] {
        let ax = a.sqrt();
        let bx = zeta / 2.0 / ax;
        let by = (b - bx * bx).sqrt();
        let cx = eta / 2.0 / ax;
        let cy = (xi / 2.0 - cx * bx) / by;
        let cz = (c - cx * cx - cy * cy).sqrt();
        [ax, 0.0, 0.0, bx, by, 0.0, cx, cy, cz]
    }

    fn idet(t: &[i32; 9]) -> i64 {
        let m = t.map(|x| x as i64);
        m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
            + m[2] * (m[3] * m[7] - m[4] * m[6])
    }

    fn assert_transform(basis: &[f64; 9], reduced: &[f64; 9], t: &[i32; 9]) {
        assert_eq!(idet(t), 1, "det(t) must be +1: {t:?}");
        let again = basis_of(&t.map(|x| x as i64), basis);
        for k in 0..9 {
            assert!((again[k] - reduced[k]).abs() < 1e-9 * (1.0 + reduced[k].abs()), "{again:?} {reduced:?}");
        }
    }

    /// SplitMix64: a tiny deterministic generator for the property tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn uniform(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn int(&mut self, lo: i64, hi: i64) -> i64 {
            lo + (self.next() % (hi - lo + 1) as u64) as i64
        }
    }

    /// A random unimodular matrix: a product of elementary shears and signed permutations.
    fn random_unimodular(rng: &mut Rng) -> IMat {
        let mut t = IDENTITY;
        for _ in 0..6 {
            let (i, j) = (rng.int(0, 2) as usize, rng.int(0, 2) as usize);
            let mut m = IDENTITY;
            if i != j {
                m[3 * i + j] = rng.int(-2, 2);
            } else {
                m[3 * i + i] = -1;
                m[3 * ((i + 1) % 3) + (i + 1) % 3] = -1;
            }
            t = imul(&m, &t);
        }
        t
    }

    #[test]
    fn krivy_gruber_1976_example() {
        // Example in Acta Cryst. (1976). A32, 297: (A, B, C, ξ, η, ζ) = (9, 27, 4, −5, −4, −22)
        // reduces to (4, 9, 9, 9, 3, 4).
        let basis = basis_from_metric(9.0, 27.0, 4.0, -5.0, -4.0, -22.0);
        let (reduced, t) = niggli_reduce(&basis, DEFAULT_EPS).unwrap();
        let g = metric(&reduced);
        let got = [g.a, g.b, g.c, g.xi, g.eta, g.zeta];
        let want = [4.0, 9.0, 9.0, 9.0, 3.0, 4.0];
        for k in 0..6 {
            assert!((got[k] - want[k]).abs() < 1e-9, "{got:?}");
        }
        assert_transform(&basis, &reduced, &t);
        assert!(is_niggli_reduced(&reduced, DEFAULT_EPS));
        assert!(!is_niggli_reduced(&basis, DEFAULT_EPS));
    }

    #[test]
    fn cubic_cell_is_kept() {
        let l = [4.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 4.0];
        let (reduced, t) = niggli_reduce(&l, DEFAULT_EPS).unwrap();
        let p = lattice_params(&reduced);
        assert_eq!(p, [4.0, 4.0, 4.0, 90.0, 90.0, 90.0]);
        assert_eq!(idet(&t), 1);
    }

    #[test]
    fn fcc_conventional_rows_reduce_to_primitive_angles() {
        // The fcc primitive cell with vectors (0, ½, ½)… in any basis gives a = b = c = a0/√2, 60°.
        let h = 2.0;
        let prim = [0.0, h, h, h, 0.0, h, h, h, 0.0];
        let skewed = basis_of(&[1, 2, 0, 0, 1, -3, 1, 2, 1], &prim);
        let (reduced, t) = niggli_reduce(&skewed, DEFAULT_EPS).unwrap();
        let p = lattice_params(&reduced);
        let want = [8f64.sqrt(), 8f64.sqrt(), 8f64.sqrt(), 60.0, 60.0, 60.0];
        for k in 0..6 {
            assert!((p[k] - want[k]).abs() < 1e-9, "{p:?}");
        }
        assert_transform(&skewed, &reduced, &t);
    }

    #[test]
    fn invariant_under_random_unimodular_changes() {
        let mut rng = Rng(0);
        for case in 0..256 {
            let mut l = [0.0; 9];
            for x in l.iter_mut() {
                *x = rng.uniform() * 10.0 - 5.0;
            }
            if check_lattice(&l).is_err() || det3(&l).abs() < 1.0 {
                continue;
            }
            let (r0, t0) = niggli_reduce(&l, DEFAULT_EPS).unwrap();
            assert!(is_niggli_reduced(&r0, DEFAULT_EPS), "case {case}");
            assert_transform(&l, &r0, &t0);
            let p0 = lattice_params(&r0);
            for _ in 0..4 {
                let u = random_unimodular(&mut rng);
                let l2 = basis_of(&u, &l);
                let (r, t) = niggli_reduce(&l2, DEFAULT_EPS).unwrap();
                assert_transform(&l2, &r, &t);
                let p = lattice_params(&r);
                for k in 0..6 {
                    assert!((p[k] - p0[k]).abs() < 1e-6, "case {case}: {p:?} vs {p0:?}");
                }
            }
        }
    }

    #[test]
    fn extremely_skewed_cell_converges_fast() {
        let l = [1.0, 0.0, 0.0, 1e4 + 0.3, 1.0, 0.0, -700.0, 300.0, 1.0];
        let (r, t) = niggli_reduce(&l, DEFAULT_EPS).unwrap();
        assert!(is_niggli_reduced(&r, DEFAULT_EPS));
        assert_transform(&l, &r, &t);
    }

    #[test]
    fn left_handed_input_stays_left_handed() {
        let l = [3.0, 0.0, 0.0, 1.0, 4.0, 0.0, 0.5, 0.2, -5.0];
        let (r, t) = niggli_reduce(&l, DEFAULT_EPS).unwrap();
        assert!(det3(&r) < 0.0);
        assert_transform(&l, &r, &t);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let ok = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(niggli_reduce(&ok, -1.0).unwrap_err().code(), 7);
        assert_eq!(niggli_reduce(&ok, f64::NAN).unwrap_err().code(), 7);
        let sing = [1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 0.0, 0.0, 1.0];
        assert_eq!(niggli_reduce(&sing, DEFAULT_EPS).unwrap_err().code(), 2);
        let mut out = [0.0; 3];
        assert_eq!(niggli_reduce_structure(&ok, &[], &mut [], DEFAULT_EPS).unwrap_err(), GeomError::NoAtoms);
        let e = niggli_reduce_structure(&ok, &[0.0, f64::INFINITY, 0.0], &mut out, DEFAULT_EPS).unwrap_err();
        assert_eq!(e.code(), 1);
        let e = niggli_reduce_structure(&ok, &[0.0, 1e300, 0.0], &mut out, DEFAULT_EPS).unwrap_err();
        assert_eq!(e.code(), 4);
    }

    #[test]
    fn structure_keeps_cartesian_positions_modulo_lattice() {
        let l = [3.0, 0.0, 0.0, 2.9, 3.1, 0.0, -2.0, 1.0, 4.0];
        let frac = [0.1, 0.2, 0.3, -0.4, 1.7, 0.25];
        let mut out = [0.0; 6];
        let (r, _t) = niggli_reduce_structure(&l, &frac, &mut out, DEFAULT_EPS).unwrap();
        // cart = f·L ; its coordinates in basis r, wrapped, must equal out.
        for i in 0..2 {
            let f = &frac[3 * i..3 * i + 3];
            let mut cart = [0.0; 3];
            for k in 0..3 {
                cart[k] = f[0] * l[k] + f[1] * l[3 + k] + f[2] * l[6 + k];
            }
            // x = f' · r  ⇔ r^T f'^T = x^T: solve with the transpose.
            let rt = [r[0], r[3], r[6], r[1], r[4], r[7], r[2], r[5], r[8]];
            let d = det3(&rt);
            for k in 0..3 {
                let mut m = rt;
                for row in 0..3 {
                    m[3 * row + k] = cart[row];
                }
                let fk = wrap_frac(det3(&m) / d);
                let diff = (fk - out[3 * i + k]).abs();
                assert!(diff < 1e-9 || (1.0 - diff) < 1e-9, "atom {i} axis {k}: {fk} vs {}", out[3 * i + k]);
                assert!((0.0..1.0).contains(&out[3 * i + k]));
            }
        }
    }
}
