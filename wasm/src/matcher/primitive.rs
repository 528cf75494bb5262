//! pymatgen's `Structure.get_primitive_structure(tolerance)` (reference §A.4) and
//! `get_reduced_structure("niggli")` (§A.3), on plain elements.
//!
//! Sites are grouped by element symbol (sorted by code point, stably); candidate translations come
//! from the smallest group; supercell matrices in Hermite normal form are tried by increasing
//! determinant; the first one under which every site has exactly `det` periodic copies within the
//! per-axis tolerance wins, its cliques are averaged, and the search recurses on the smaller cell,
//! which is then Niggli-reduced.

use super::elements::symbol;
use super::linalg::{inv, lengths, mat_mul, row, vec_mat, M3, V3};
use super::mappings::{allclose, pmg_niggli};
use super::Cell;

/// pymatgen's Niggli tolerance (`get_niggli_reduced_lattice(tol=1e-5)`).
pub const NIGGLI_TOL: f64 = 1e-5;

/// `x − round(x)` in absolute value (periodic distance of a fractional difference to 0).
#[inline]
fn pdist(x: f64) -> f64 {
    (x - x.round_ties_even()).abs()
}

/// `get_reduced_structure("niggli")`: pymatgen's Niggli cell; when it differs from the input
/// (`np.allclose`), coordinates are re-expressed from Cartesian and wrapped with `mod 1`, otherwise the
/// input comes back unchanged. `None` where pymatgen raises ("can't find niggli").
pub fn niggli_structure(c: &Cell) -> Option<Cell> {
    let nl = pmg_niggli(&c.lattice, NIGGLI_TOL)?;
    if allclose(&nl, &c.lattice) {
        return Some(c.clone());
    }
    let ni = inv(&nl)?;
    let frac = c
        .frac
        .iter()
        .map(|f| vec_mat(&vec_mat(f, &c.lattice), &ni).map(|x| x.rem_euclid(1.0)))
        .collect();
    Some(Cell {
        lattice: nl,
        frac,
        numbers: c.numbers.clone(),
    })
}

/// Supercell matrices of determinant `det` in Hermite normal form, in pymatgen's `get_hnf` order:
/// a | det, e | det/a, g = det/(a·e), then b, c ∈ [0, a), f ∈ [0, e) (b outermost).
fn hnf(det: usize) -> Vec<[f64; 9]> {
    let mut out = Vec::new();
    for a in (1..=det).filter(|a| det.is_multiple_of(*a)) {
        for e in (1..=det / a).filter(|e| (det / a).is_multiple_of(*e)) {
            let g = det / a / e;
            for b in 0..a {
                for c in 0..a {
                    for f in 0..e {
                        out.push([a, b, c, 0, e, f, 0, 0, g].map(|x| x as f64));
                    }
                }
            }
        }
    }
    out
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The primitive cell with pymatgen's algorithm and `tol` in Å. `None` only where a nested Niggli
/// reduction fails. Returns an unchanged copy when no smaller cell exists.
pub fn primitive(c: &Cell, tol: f64) -> Option<Cell> {
    let n = c.numbers.len();
    // Stable sort by species string, then group.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| symbol(c.numbers[i]).cmp(symbol(c.numbers[j])));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &i in &order {
        match groups.last_mut() {
            Some(g) if c.numbers[g[0]] == c.numbers[i] => g.push(i),
            _ => groups.push(vec![i]),
        }
    }
    let gf: Vec<Vec<V3>> = groups.iter().map(|g| g.iter().map(|&i| c.frac[i]).collect()).collect();
    let abc = lengths(&c.lattice);
    let sft = abc.map(|x| tol / x);
    let sft2 = sft.map(|x| x * 2.0);

    // Candidate translations: the smallest group (first on ties) minus its first site.
    let gmin = gf.iter().min_by_key(|g| g.len())?;
    let mut min_vecs: Vec<V3> = gmin
        .iter()
        .map(|f| [f[0] - gmin[0][0], f[1] - gmin[0][1], f[2] - gmin[0][2]])
        .collect();
    // Keep only those that map every site of every group near a site of the same group.
    let mut by_size: Vec<&Vec<V3>> = gf.iter().collect();
    by_size.sort_by_key(|g| g.len());
    for g in &by_size {
        for f in g.iter() {
            let shifted: Vec<V3> = g.iter().map(|x| [x[0] - f[0], x[1] - f[1], x[2] - f[2]]).collect();
            min_vecs.retain(|v| shifted.iter().any(|x| (0..3).all(|k| pdist(v[k] - x[k]) < sft2[k])));
        }
    }
    // Sites of one group may not merge with their near neighbours in the supercell.
    let non_nbrs: Vec<Vec<bool>> = gf
        .iter()
        .map(|g| {
            let m = g.len();
            let mut nn = vec![false; m * m];
            for p in 0..m {
                for q in 0..m {
                    nn[p * m + q] = p == q || (0..3).any(|k| pdist(g[q][k] - g[p][k]) > 2.0 * sft[k]);
                }
            }
            nn
        })
        .collect();
    let num_fu = groups.iter().fold(0, |acc, g| gcd(acc, g.len()));

    for det in (2..=num_fu).filter(|d| num_fu.is_multiple_of(*d)) {
        for m in hnf(det) {
            let inv_m = inv(&m)?;
            let rows_ok = (0..3).all(|r| {
                let v = row(&inv_m, r);
                min_vecs.iter().any(|mv| (0..3).all(|k| pdist(v[k] - mv[k]) < sft[k]))
            });
            if !rows_ok {
                continue;
            }
            if let Some(cell) = try_supercell(c, &groups, &gf, &non_nbrs, &m, &inv_m, det, tol) {
                let p = primitive(&cell, tol)?;
                return niggli_structure(&p);
            }
        }
    }
    Some(c.clone())
}

/// Tests one supercell matrix `m`; on success returns the smaller cell with averaged sites.
#[allow(clippy::too_many_arguments)]
fn try_supercell(
    c: &Cell,
    groups: &[Vec<usize>],
    gf: &[Vec<V3>],
    non_nbrs: &[Vec<bool>],
    m: &M3,
    inv_m: &M3,
    det: usize,
    tol: f64,
) -> Option<Cell> {
    let new_l = mat_mul(inv_m, &c.lattice);
    let ftol = lengths(&new_l).map(|x| tol / x);
    let mut frac = Vec::new();
    let mut numbers = Vec::new();
    for ((g, coords), nn) in groups.iter().zip(gf).zip(non_nbrs) {
        let k = g.len();
        let all: Vec<V3> = coords.iter().map(|f| vec_mat(f, m)).collect();
        let mut adj = vec![false; k * k];
        for p in 0..k {
            for q in 0..k {
                adj[p * k + q] = nn[p * k + q] && (0..3).all(|x| pdist(all[q][x] - all[p][x]) < ftol[x]);
            }
        }
        // Every site must have exactly `det` copies, and each row must be a clique.
        for q in 0..k {
            if (0..k).filter(|&p| adj[p * k + q]).count() != det {
                return None;
            }
        }
        for p in 0..k {
            let members: Vec<usize> = (0..k).filter(|&q| adj[p * k + q]).collect();
            if !members.iter().all(|&a| members.iter().all(|&b| adj[a * k + b])) {
                return None;
            }
        }
        let wrapped: Vec<V3> = all.iter().map(|f| f.map(|x| x.rem_euclid(1.0))).collect();
        let mut added = vec![false; k];
        for p in 0..k {
            if added[p] {
                continue;
            }
            let members: Vec<usize> = (0..k).filter(|&q| adj[p * k + q]).collect();
            for &q in &members {
                added[q] = true;
            }
            // Running periodic mean, starting from the first member.
            let mut acc = wrapped[members[0]];
            for (n, &j) in members[1..].iter().enumerate() {
                for x in 0..3 {
                    let off = wrapped[j][x] - acc[x];
                    acc[x] += (off - off.round_ties_even()) / (n as f64 + 2.0);
                }
            }
            frac.push(acc);
            numbers.push(c.numbers[g[members[0]]]);
        }
    }
    Some(Cell {
        lattice: new_l,
        frac,
        numbers,
    })
}
