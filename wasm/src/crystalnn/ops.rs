//! pymatgen's `LocalStructOrderParams` for the order parameters of matminer's
//! `CrystalNNFingerprint.from_preset("ops")`, on explicit neighbour vectors
//! (metrics-reference-crystalnn.md §5; parameters §4.1, §6.2).
//!
//! Every op is one single-type LSOP (as matminer builds them), so the "south pole" block uses the
//! op's own type and parameters. Results are `None` where pymatgen returns None (too few
//! neighbours, no accumulated weight); the fingerprint turns None into 0.

use std::f64::consts::PI;

const VERY_SMALL: f64 = 1e-12;
const LEFT_OF_UNITY: f64 = 1.0 - 1e-12;

/// The geometric order-parameter types used by the preset, with their parameters.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    SglBd,
    Bent { ta: f64, igw_ta: f64 },
    /// tri_plan_max and tet_max share their formulas.
    TaMax { ta: f64, igw_ta: f64, fac_aa: f64, exp: i32 },
    /// T, tri_pyr, sq_pyr, pent_pyr, hex_pyr.
    Pyr { igw_ep: f64, fac_aa: f64, exp: i32 },
    /// sq_plan_max, oct_max, tri_bipyr, pent_bipyr, hex_bipyr; see_saw_rect with `see_saw`.
    Bipyr { min_spp: f64, igw_spp: f64, igw_ep: f64, fac_aa: f64, exp: i32, see_saw: bool },
    HexPlanMax { min_spp: f64, igw_spp: f64, fac_aa: f64, exp: i32, igw_ta: f64, ta: f64 },
    PentPlanMax { ta: f64, igw_ta: f64 },
    Bcc { min_spp: f64, igw_spp: f64, w_spp: f64 },
    CuboctMax { min_spp: f64, igw_spp: f64, p2: f64, w_spp: f64, p4: f64, p5: f64, p6: f64 },
    Q(u32),
}

const MIN_SPP: f64 = 2.356194490192345;

pub const TRI_PLAN_MAX: Op = Op::TaMax { ta: 0.66666666667, igw_ta: 17.5, fac_aa: 1.0, exp: 2 };
pub const TET_MAX_CN3: Op = Op::TaMax { ta: 0.6081734479693927, igw_ta: 18.33, fac_aa: 1.5, exp: 2 };
pub const TET_MAX: Op = Op::TaMax { ta: 0.6081734479693927, igw_ta: 18.5, fac_aa: 1.5, exp: 2 };
pub const T_SHAPED: Op = Op::Pyr { igw_ep: 15.5, fac_aa: 1.0, exp: 2 };
pub const SQ_PLAN_MAX: Op =
    Op::Bipyr { min_spp: MIN_SPP, igw_spp: 13.5, igw_ep: 17.7, fac_aa: 1.0, exp: 2, see_saw: false };
pub const SEE_SAW_RECT: Op =
    Op::Bipyr { min_spp: MIN_SPP, igw_spp: 11.5, igw_ep: 27.0, fac_aa: 2.0, exp: 2, see_saw: true };
pub const TRI_BIPYR_CN4: Op =
    Op::Bipyr { min_spp: MIN_SPP, igw_spp: 12.75, igw_ep: 15.75, fac_aa: 1.5, exp: 2, see_saw: false };
pub const TRI_PYR: Op = Op::Pyr { igw_ep: 15.5, fac_aa: 1.5, exp: 2 };
pub const PENT_PLAN_MAX: Op = Op::PentPlanMax { ta: 0.6, igw_ta: 19.333 };
pub const SQ_PYR: Op = Op::Pyr { igw_ep: 14.9, fac_aa: 2.0, exp: 2 };
pub const TRI_BIPYR: Op =
    Op::Bipyr { min_spp: MIN_SPP, igw_spp: 12.0, igw_ep: 16.6, fac_aa: 1.5, exp: 2, see_saw: false };
pub const HEX_PLAN_MAX: Op = Op::HexPlanMax {
    min_spp: 2.6179938779914944,
    igw_spp: 7.5,
    fac_aa: 1.0,
    exp: 2,
    igw_ta: 25.0,
    ta: 0.16666667,
};
pub const OCT_MAX: Op =
    Op::Bipyr { min_spp: MIN_SPP, igw_spp: 15.0, igw_ep: 18.0, fac_aa: 2.0, exp: 2, see_saw: false };
pub const PENT_PYR: Op = Op::Pyr { igw_ep: 13.8, fac_aa: 2.5, exp: 2 };
pub const HEX_PYR: Op = Op::Pyr { igw_ep: 12.5, fac_aa: 3.0, exp: 2 };
pub const PENT_BIPYR: Op =
    Op::Bipyr { min_spp: MIN_SPP, igw_spp: 12.5, igw_ep: 14.75, fac_aa: 2.5, exp: 2, see_saw: false };
pub const BCC: Op = Op::Bcc { min_spp: 2.5261129449194057, igw_spp: 15.0, w_spp: 6.0 };
pub const HEX_BIPYR: Op =
    Op::Bipyr { min_spp: MIN_SPP, igw_spp: 14.1, igw_ep: 13.6, fac_aa: 3.0, exp: 2, see_saw: false };
pub const CUBOCT_MAX: Op = Op::CuboctMax {
    min_spp: 2.792526803190927,
    igw_spp: 28.75,
    p2: 1.8325957145940461,
    w_spp: 1.8,
    p4: 1.3089969389957472,
    p5: 25.5,
    p6: 31.25,
};

/// The CN2 "bent" features: L-shaped, water-like, bent 120°, bent 150°, linear.
pub const BENT: [Op; 5] = [
    Op::Bent { ta: 0.5, igw_ta: 15.15 },
    Op::Bent { ta: 0.5802777777777778, igw_ta: 13.95 },
    Op::Bent { ta: 0.666666666667, igw_ta: 13.25 },
    Op::Bent { ta: 0.833333333333333, igw_ta: 12.45 },
    Op::Bent { ta: 1.0, igw_ta: 8.667 },
];

/// The ops after "wt" for coordination number `cn` (1-based), in feature order.
pub fn ops_for_cn(cn: usize) -> &'static [Op] {
    const CN1: [Op; 1] = [Op::SglBd];
    const CN3: [Op; 3] = [TRI_PLAN_MAX, TET_MAX_CN3, T_SHAPED];
    const CN4: [Op; 5] = [SQ_PLAN_MAX, TET_MAX, SEE_SAW_RECT, TRI_BIPYR_CN4, TRI_PYR];
    const CN5: [Op; 3] = [PENT_PLAN_MAX, SQ_PYR, TRI_BIPYR];
    const CN6: [Op; 3] = [HEX_PLAN_MAX, OCT_MAX, PENT_PYR];
    const CN7: [Op; 2] = [HEX_PYR, PENT_BIPYR];
    const CN8: [Op; 2] = [BCC, HEX_BIPYR];
    const Q: [Op; 3] = [Op::Q(2), Op::Q(4), Op::Q(6)];
    const CN12: [Op; 4] = [CUBOCT_MAX, Op::Q(2), Op::Q(4), Op::Q(6)];
    match cn {
        1 => &CN1,
        2 => &BENT,
        3 => &CN3,
        4 => &CN4,
        5 => &CN5,
        6 => &CN6,
        7 => &CN7,
        8 => &CN8,
        9..=11 => &Q,
        12 => &CN12,
        _ => &[],
    }
}

#[inline]
fn g(s: f64) -> f64 {
    (-0.5 * s * s).exp()
}

#[inline]
fn clamp(x: f64) -> f64 {
    x.clamp(-1.0, 1.0)
}

#[inline]
fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// `u − (u·z)·z`, normalised; None when shorter than 1e-12 (pymatgen's `gramschmidt` + flag).
#[inline]
fn perp(u: &[f64; 3], z: &[f64; 3]) -> Option<[f64; 3]> {
    let d = dot(u, z);
    let x = [u[0] - d * z[0], u[1] - d * z[1], u[2] - d * z[2]];
    let n = dot(&x, &x).sqrt();
    if n < VERY_SMALL {
        None
    } else {
        Some([x[0] / n, x[1] / n, x[2] / n])
    }
}

/// The order parameter `op` of a centre whose neighbours sit at `vecs` (neighbour − centre).
pub fn order_parameter(op: &Op, vecs: &[[f64; 3]]) -> Option<f64> {
    let n = vecs.len();
    match *op {
        Op::SglBd => {
            let mut d: Vec<f64> = vecs.iter().map(|v| dot(v, v).sqrt()).collect();
            d.sort_by(f64::total_cmp);
            Some(match n {
                0 => 0.0,
                1 => 1.0,
                _ => 1.0 - d[0] / d[1],
            })
        }
        Op::Q(l) => steinhardt(l, vecs),
        _ => geometric(op, vecs),
    }
}

fn unit_vectors(vecs: &[[f64; 3]]) -> Vec<[f64; 3]> {
    vecs.iter()
        .map(|v| {
            let d = dot(v, v).sqrt();
            [v[0] / d, v[1] / d, v[2] / d]
        })
        .collect()
}

/// Steinhardt q_l from θ, φ as pymatgen computes them (φ = 0 within 1e-12 of the poles).
fn steinhardt(l: u32, vecs: &[[f64; 3]]) -> Option<f64> {
    let n = vecs.len();
    if n == 0 {
        return None;
    }
    let u = unit_vectors(vecs);
    let l = l as usize;
    // Σ_i P_l^m(cos θ_i) e^{i m φ_i} for m = 0..=l.
    let mut re = vec![0.0; l + 1];
    let mut im = vec![0.0; l + 1];
    for v in &u {
        let theta = clamp(v[2]).acos();
        let mut phi = 0.0;
        if -LEFT_OF_UNITY < v[2] && v[2] < LEFT_OF_UNITY {
            phi = clamp(v[0] / (v[0] * v[0] + v[1] * v[1]).sqrt()).acos();
            if v[1] < 0.0 {
                phi = -phi;
            }
        }
        let (x, s) = (theta.cos(), theta.sin());
        for m in 0..=l {
            let p = assoc_legendre(l, m, x, s);
            re[m] += p * (m as f64 * phi).cos();
            im[m] += p * (m as f64 * phi).sin();
        }
    }
    // 4π/(2l+1) Σ_m |Σ_i Y_lm|² with |Y_lm|² = (2l+1)/(4π) (l−m)!/(l+m)! |P_l^m|².
    let mut sum = 0.0;
    for m in 0..=l {
        let mut ratio = 1.0;
        for k in (l - m + 1)..=(l + m) {
            ratio /= k as f64;
        }
        let t = ratio * (re[m] * re[m] + im[m] * im[m]);
        sum += if m == 0 { t } else { 2.0 * t };
    }
    Some(sum.sqrt() / n as f64)
}

/// Associated Legendre P_l^m(x) (no Condon–Shortley phase; only |P| matters), s = sqrt(1 − x²).
fn assoc_legendre(l: usize, m: usize, x: f64, s: f64) -> f64 {
    // P_m^m = (2m − 1)!! s^m
    let mut pmm = 1.0;
    for k in 0..m {
        pmm *= (2 * k + 1) as f64 * s;
    }
    if l == m {
        return pmm;
    }
    let mut pm1 = x * (2 * m + 1) as f64 * pmm;
    if l == m + 1 {
        return pm1;
    }
    let mut p = 0.0;
    for ll in (m + 2)..=l {
        p = (x * (2 * ll - 1) as f64 * pm1 - (ll + m - 1) as f64 * pmm) / (ll - m) as f64;
        pmm = pm1;
        pm1 = p;
    }
    p
}

/// The Peters-style ("geometric") order parameters (§5.3).
fn geometric(op: &Op, vecs: &[[f64; 3]]) -> Option<f64> {
    let n = vecs.len();
    let u = unit_vectors(vecs);
    let mut best: Option<f64> = None; // max types
    let (mut qsum, mut nsum) = (0.0, 0.0); // sum types and bcc
    let is_sum = matches!(op, Op::Bent { .. });
    let is_bcc = matches!(op, Op::Bcc { .. });
    for j in 0..n {
        let zaxis = u[j];
        for k in 0..n {
            if k == j {
                continue;
            }
            let (mut q, mut w) = (0.0, 0.0);
            let theta_k = clamp(dot(&zaxis, &u[k])).acos();
            let xaxis = perp(&u[k], &zaxis);
            // (A) pair term
            match *op {
                Op::Bent { ta, igw_ta } => {
                    q += g(igw_ta * (theta_k / PI - ta));
                    w += 1.0;
                }
                Op::TaMax { ta, igw_ta, .. } => {
                    q += g(igw_ta * (theta_k / PI - ta));
                    w += 1.0;
                }
                Op::Pyr { igw_ep, .. } => {
                    q += g(igw_ep * (theta_k / PI - 0.5));
                    w += 1.0;
                }
                Op::Bipyr { min_spp, igw_ep, .. } => {
                    if theta_k < min_spp {
                        q += g(igw_ep * (theta_k / PI - 0.5));
                        w += 1.0;
                    }
                }
                Op::HexPlanMax { min_spp, igw_ta, ta, .. } => {
                    if theta_k < min_spp {
                        q += g(igw_ta * ((theta_k / PI - 0.5).abs() - ta));
                        w += 1.0;
                    }
                }
                Op::PentPlanMax { ta, igw_ta } => {
                    let t = if theta_k <= ta * PI { 0.4 } else { 0.8 };
                    q += g(igw_ta * (theta_k / PI - t));
                    w += 1.0;
                }
                Op::Bcc { min_spp, igw_spp, w_spp } => {
                    if j < k && theta_k >= min_spp {
                        q += w_spp * g(igw_spp * (theta_k / PI - 1.0));
                        w += w_spp;
                    }
                }
                Op::CuboctMax { min_spp, igw_spp, w_spp, .. } => {
                    if theta_k >= min_spp {
                        q += w_spp * g(igw_spp * (theta_k / PI - 1.0));
                        w += w_spp;
                    }
                }
                Op::SglBd | Op::Q(_) => {}
            }
            // (B) triple terms
            if let Some(xaxis) = xaxis {
                for (m, um) in u.iter().enumerate() {
                    if m == j || m == k {
                        continue;
                    }
                    let theta_m = clamp(dot(&zaxis, um)).acos();
                    // South pole.
                    match *op {
                        Op::Bipyr { min_spp, igw_spp, .. } | Op::HexPlanMax { min_spp, igw_spp, .. }
                            if theta_m >= min_spp =>
                        {
                            q += g(igw_spp * (theta_m / PI - 1.0));
                            w += 1.0;
                        }
                        _ => {}
                    }
                    let Some(yaxis) = perp(um, &zaxis) else {
                        continue;
                    };
                    let phi = clamp(dot(&yaxis, &xaxis)).acos();
                    match *op {
                        Op::TaMax { ta, igw_ta, fac_aa, exp } => {
                            q += g(igw_ta * (theta_m / PI - ta)) * (fac_aa * phi).cos().powi(exp);
                            w += 1.0;
                        }
                        Op::PentPlanMax { ta, igw_ta } => {
                            let t = if theta_m <= ta * PI { 0.4 } else { 0.8 };
                            q += g(igw_ta * (theta_m / PI - t)) * phi.cos().powi(2);
                            w += 1.0;
                        }
                        Op::Pyr { igw_ep, fac_aa, exp } => {
                            q += (fac_aa * phi).cos().powi(exp) * g(igw_ep * (theta_m / PI - 0.5));
                            w += 1.0;
                        }
                        Op::Bipyr { min_spp, igw_ep, fac_aa, exp, see_saw, .. } => {
                            if theta_m < min_spp && theta_k < min_spp && (!see_saw || phi < 0.75 * PI) {
                                q += (fac_aa * phi).cos().powi(exp) * g(igw_ep * (theta_m / PI - 0.5));
                                w += 1.0;
                            }
                        }
                        Op::HexPlanMax { min_spp, fac_aa, exp, igw_ta, ta, .. } => {
                            if theta_m < min_spp && theta_k < min_spp {
                                q += (fac_aa * phi).cos().powi(exp) * g(igw_ta * ((theta_m / PI - 0.5).abs() - ta));
                                w += 1.0;
                            }
                        }
                        Op::Bcc { min_spp, .. } => {
                            if j < k && theta_k < min_spp {
                                let s = if theta_k > PI / 2.0 { 1.0 } else { -1.0 };
                                let t = (theta_m - PI / 2.0) / (1.0f64 / 3.0).asin();
                                q += s * (3.0 * phi).cos() * 0.5f64.exp() * t * g(t);
                                w += 1.0;
                            }
                        }
                        Op::CuboctMax { min_spp, p2, p4, p5, p6, .. }
                            if theta_m < min_spp && theta_k > p4 && theta_k < p2 =>
                        {
                            if theta_m > p4 && theta_m < p2 {
                                q += phi.cos().powi(2) * g(p5 * (theta_m / PI - 0.5));
                                w += 1.0;
                            } else if theta_m < p4 {
                                q += g(0.0556 * ((phi - PI / 2.0).cos() - 0.81649658))
                                    * g(p6 * (theta_m / PI - 1.0 / 3.0));
                                w += 1.0;
                            } else if theta_m > p2 {
                                q += g(0.0556 * ((phi - PI / 2.0).cos() - 0.81649658))
                                    * g(p6 * (theta_m / PI - 2.0 / 3.0));
                                w += 1.0;
                            }
                        }
                        _ => {}
                    }
                }
            }
            if is_sum || is_bcc {
                qsum += q;
                nsum += w;
            } else {
                let v = if w > VERY_SMALL { q / w } else { 0.0 };
                best = Some(best.map_or(v, |b: f64| b.max(v)));
            }
        }
    }
    if is_bcc {
        if n > 3 {
            let nf = n as f64;
            return Some(qsum / (0.5 * nf * (6.0 + (nf - 2.0) * (nf - 3.0))));
        }
        return None;
    }
    if is_sum {
        return if nsum > VERY_SMALL { Some(qsum / nsum) } else { None };
    }
    if n > 1 {
        best
    } else {
        None
    }
}
