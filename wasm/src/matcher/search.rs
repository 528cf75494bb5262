//! The search of pymatgen's `StructureMatcher._strict_match` with `fu = 1` (reference §A.5–§A.8):
//! for every basis of S's lattice that matches T's lattice (ltol, angle_tol, det ±1) and every
//! translation that puts T's anchor site on an S site of its element, a coordinate prefilter, then
//! minimum-image vectors in the average lattice (with the LLL prefilter), an exact assignment, and
//! the RMS after the best rigid translation, normalised by (V/N)^(1/3).

use std::f64::consts::PI;

use super::assign::assign;
use super::linalg::{from_parameters, inv, lll, params, reciprocal_lengths, vec_mat, volume, Lll, M3, V3};
use super::mappings::for_each_mapping;
use super::{Cell, MatchOptions, MatchResult};

/// pymatgen's cost and vector for a pair that may not be paired (other element, or beyond the LLL
/// prefilter). An assignment forced onto it gives an RMS of about 1e10 in units of (V/N)^(1/3),
/// which is rejected.
const SENTINEL: f64 = 1e20;

/// A new best value below this ends the search at once (pymatgen's `val < 1e-5`).
pub const EARLY_EXIT: f64 = 1e-5;

/// The 27 lattice images k ∈ {−1, 0, 1}³, a index outermost, c innermost.
fn images() -> [V3; 27] {
    let mut out = [[0.0; 3]; 27];
    for (idx, o) in out.iter_mut().enumerate() {
        *o = [
            (idx / 9) as f64 - 1.0,
            ((idx / 3) % 3) as f64 - 1.0,
            (idx % 3) as f64 - 1.0,
        ];
    }
    out
}

/// `(v mod 1) · m`, with Python's modulo and the summation order of pymatgen's `dot_2d_mod`.
#[inline]
fn cart_mod(v: &V3, m: &M3) -> V3 {
    let w = v.map(|x| x.rem_euclid(1.0));
    let mut o = [0.0; 3];
    for (j, oj) in o.iter_mut().enumerate() {
        *oj = 0.0 + w[0] * m[j] + w[1] * m[3 + j] + w[2] * m[6 + j];
    }
    o
}

/// Per-candidate state: the average lattice and its tolerances, S's coordinates in the candidate
/// basis, and (once a translation passes the prefilter) the LLL data.
struct Candidate {
    fs: Vec<V3>,
    avg: M3,
    norm: f64,
    frac_tol: V3,
    lll: Option<LllData>,
}

/// The average lattice's LLL basis, its prefilter tolerances, S's LLL fractional coordinates and their
/// wrapped Cartesian positions, and the Cartesian offsets of the 27 images.
struct LllData {
    lll: Lll,
    tol: V3,
    xs: Vec<V3>,
    cs: Vec<V3>,
    cart_im: Vec<V3>,
}

/// `_strict_match(S, T)` with `use_rms`: the best (rms, max distance) below `stol`, or `None`.
pub fn strict_match(s: &Cell, t: &Cell, o: &MatchOptions) -> Option<MatchResult> {
    let n = s.numbers.len();
    if t.numbers.len() != n {
        return None; // exit 1: different site counts after reduction
    }
    let mut cs = [0u32; 256];
    let mut ct = [0u32; 256];
    s.numbers.iter().for_each(|&z| cs[z as usize] += 1);
    t.numbers.iter().for_each(|&z| ct[z as usize] += 1);
    if cs != ct {
        return None; // exit 2: the 0/1 mask admits no perfect assignment
    }
    // mask[i][j] (T site i, S site j): incompatible species. Anchor: the first T site whose species
    // is rarest in S.
    let allowed = |i: usize, j: usize| t.numbers[i] == s.numbers[j];
    let anchor = (0..n).fold(0, |best, i| {
        if n as u32 - cs[t.numbers[i] as usize] > n as u32 - cs[t.numbers[best] as usize] {
            i
        } else {
            best
        }
    });
    let s_inds: Vec<usize> = (0..n).filter(|&j| allowed(anchor, j)).collect();
    let cart_s: Vec<V3> = s.frac.iter().map(|f| vec_mat(f, &s.lattice)).collect();
    let ft = &t.frac;
    let tp = params(&t.lattice);
    let imgs = images();

    let mut best: Option<MatchResult> = None;
    let mut d2 = vec![0.0; n * n];
    let mut vecs = vec![[0.0; 3]; n * n];
    for_each_mapping(&s.lattice, &t.lattice, o.ltol, o.angle_tol, |mp| {
        if (mp.scale_det.abs() - 1.0).abs() >= 0.5 {
            return true;
        }
        let Some(li) = inv(&mp.cart) else { return true };
        let fs: Vec<V3> = cart_s.iter().map(|c| vec_mat(c, &li).map(|x| x - x.floor())).collect();
        let lp = params(&mp.cart);
        let mut avg_p = [0.0; 6];
        for k in 0..6 {
            avg_p[k] = (lp[k] + tp[k]) / 2.0;
        }
        let avg = from_parameters(&avg_p);
        let norm = (n as f64 / volume(&avg)).powf(1.0 / 3.0);
        let Some(rl) = reciprocal_lengths(&avg) else {
            return true;
        };
        let frac_tol = rl.map(|x| x * o.stol / (PI * norm));
        let mut cand = Candidate {
            fs,
            avg,
            norm,
            frac_tol,
            lll: None,
        };
        for &si in &s_inds {
            let tr: V3 = [0, 1, 2].map(|k| cand.fs[si][k] - ft[anchor][k]);
            let gt: Vec<V3> = ft.iter().map(|f| [f[0] + tr[0], f[1] + tr[1], f[2] + tr[2]]).collect();
            if !subset_pbc(&gt, &cand.fs, &cand.frac_tol, &allowed) {
                continue;
            }
            let Some(val) = rms_for(&mut cand, &gt, &allowed, o.stol, &imgs, &mut d2, &mut vecs) else {
                continue;
            };
            if best.is_none_or(|b| val.rms < b.rms) {
                best = Some(val);
                if val.rms < EARLY_EXIT && val.rms < o.stol {
                    return false;
                }
            }
        }
        true
    })?;
    best.filter(|b| b.rms < o.stol)
}

/// pymatgen's `is_coord_subset_pbc`: every T site lies within `tol` (per axis, C rounding) of an S
/// site it may pair with. Not a bijection test.
fn subset_pbc(gt: &[V3], fs: &[V3], tol: &V3, allowed: &impl Fn(usize, usize) -> bool) -> bool {
    gt.iter().enumerate().all(|(i, a)| {
        fs.iter().enumerate().any(|(j, b)| {
            allowed(i, j)
                && (0..3).all(|k| {
                    let d = a[k] - b[k];
                    (d - d.round()).abs() <= tol[k]
                })
        })
    })
}

/// Distances for one translation: LLL-prefiltered minimum images in the average lattice (vectors
/// from T sites to S sites), the optimal pairing, and the RMS after removing the mean vector.
/// `None` only when the average lattice has no LLL basis.
#[allow(clippy::too_many_arguments)]
fn rms_for(
    c: &mut Candidate,
    gt: &[V3],
    allowed: &impl Fn(usize, usize) -> bool,
    stol: f64,
    imgs: &[V3; 27],
    d2: &mut [f64],
    vecs: &mut [V3],
) -> Option<MatchResult> {
    let n = gt.len();
    if c.lll.is_none() {
        let l = lll(&c.avg)?;
        let rl = reciprocal_lengths(&l.matrix)?;
        let tol = rl.map(|x| x * stol / (PI * c.norm));
        let xs: Vec<V3> = c.fs.iter().map(|f| l.frac(f)).collect();
        let cs: Vec<V3> = xs.iter().map(|x| cart_mod(x, &l.matrix)).collect();
        let cart_im: Vec<V3> = imgs.iter().map(|k| cart_plain(k, &l.matrix)).collect();
        c.lll = Some(LllData {
            lll: l,
            tol,
            xs,
            cs,
            cart_im,
        });
    }
    let LllData {
        lll: l,
        tol,
        xs,
        cs,
        cart_im,
    } = c.lll.as_ref()?;
    for (i, g) in gt.iter().enumerate() {
        let xt = l.frac(g);
        let ct = cart_mod(&xt, &l.matrix);
        for j in 0..n {
            let idx = i * n + j;
            let within = allowed(i, j)
                && (0..3).all(|k| {
                    let fd = xs[j][k] - xt[k];
                    (fd - fd.round()).abs() <= tol[k]
                });
            if !within {
                d2[idx] = SENTINEL;
                vecs[idx] = [SENTINEL; 3];
                continue;
            }
            let pre = [cs[j][0] - ct[0], cs[j][1] - ct[1], cs[j][2] - ct[2]];
            let mut bestd = 1e100;
            let mut bestk = 0;
            for (k, im) in cart_im.iter().enumerate() {
                let (da, db, dc) = (pre[0] + im[0], pre[1] + im[1], pre[2] + im[2]);
                let d = da * da + db * db + dc * dc;
                if d < bestd {
                    bestd = d;
                    bestk = k;
                }
            }
            d2[idx] = bestd;
            let im = cart_im[bestk];
            vecs[idx] = [pre[0] + im[0], pre[1] + im[1], pre[2] + im[2]];
        }
    }
    let sigma = assign(&d2[..n * n], n);
    let short: Vec<V3> = sigma.iter().enumerate().map(|(i, &j)| vecs[i * n + j]).collect();
    let mut mean = [0.0; 3];
    for v in &short {
        for k in 0..3 {
            mean[k] += v[k];
        }
    }
    let mean = mean.map(|x| x / n as f64);
    let mut sum2 = 0.0;
    let mut max = 0.0f64;
    for v in &short {
        let d = ((v[0] - mean[0]).powi(2) + (v[1] - mean[1]).powi(2) + (v[2] - mean[2]).powi(2)).sqrt() * c.norm;
        sum2 += d * d;
        max = max.max(d);
    }
    Some(MatchResult {
        rms: sum2.sqrt() / (n as f64).sqrt(),
        max_dist: max,
    })
}

/// `k · m` with pymatgen's `dot_2d` summation order (no modulo).
#[inline]
fn cart_plain(k: &V3, m: &M3) -> V3 {
    let mut o = [0.0; 3];
    for (j, oj) in o.iter_mut().enumerate() {
        *oj = 0.0 + k[0] * m[j] + k[1] * m[3 + j] + k[2] * m[6 + j];
    }
    o
}
