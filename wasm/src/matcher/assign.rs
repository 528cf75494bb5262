//! Linear sum assignment as pymatgen's `LinearAssignment` (optimization/linear_assignment.pyx):
//! Jonker & Volgenant's LAPJV (column reduction, reduction transfer, two rounds of augmenting row
//! reduction, then shortest augmenting paths) with ε = 1e-13, transcribed step for step. Any exact
//! solver reaches the same minimum, but on ties (common for symmetric crystals with swapped
//! species) the pairing it picks changes the RMS after the mean translation is removed, so the
//! matcher follows pymatgen's choices. Forbidden pairs carry pymatgen's 1e20 cost.

/// pymatgen's ε for comparisons of reduced costs.
const EPS: f64 = 1e-13;

/// The assignment x (row i → column x[i]) that pymatgen's LAPJV returns for the row-major `n × n`
/// matrix `c`. Loops are indexed as in the Pascal/Cython original; the scans over `up..n` keep the
/// bound they started with while `up` moves, as Cython's `range` does.
#[allow(clippy::needless_range_loop, clippy::mut_range_bound)]
pub fn assign(c: &[f64], n: usize) -> Vec<usize> {
    debug_assert_eq!(c.len(), n * n);
    let cc = |i: usize, j: usize| c[i * n + j];
    let mut x = vec![-1isize; n];
    let mut y = vec![0isize; n];
    let mut col = vec![0usize; n];
    let mut fre = vec![0usize; n];
    let mut pred = vec![0usize; n];
    let mut v = vec![0.0f64; n];
    let mut d = vec![0.0f64; n];

    // Column reduction, last column first.
    for j in (0..n).rev() {
        col[j] = j;
        let mut h = cc(0, j);
        let mut i1 = 0;
        for i in 1..n {
            if cc(i, j) < h {
                h = cc(i, j);
                i1 = i;
            }
        }
        v[j] = h;
        if x[i1] == -1 {
            x[i1] = j as isize;
            y[j] = i1 as isize;
        } else {
            if x[i1] > -1 {
                x[i1] = -2 - x[i1];
            }
            y[j] = -1;
        }
    }
    // Reduction transfer.
    let mut f: isize = -1;
    for i in 0..n {
        if x[i] == -1 {
            f += 1;
            fre[f as usize] = i;
        } else if x[i] < -1 {
            x[i] = -2 - x[i];
        } else {
            let j1 = x[i] as usize;
            let mut m = 1e300;
            for j in 0..n {
                if j != j1 && cc(i, j) - v[j] < m {
                    m = cc(i, j) - v[j];
                }
            }
            v[j1] -= m;
        }
    }
    // Augmenting row reduction, twice.
    for _ in 0..2 {
        let mut k: isize = 0;
        let f0 = f;
        f = -1;
        let mut nrr: isize = 0;
        while k <= f0 {
            nrr += 1;
            let i = fre[k as usize];
            k += 1;
            let mut u1 = cc(i, 0) - v[0];
            let mut j1 = 0usize;
            let mut j2 = 0usize;
            let mut u2 = 1e300;
            for j in 1..n {
                let h = cc(i, j) - v[j];
                if h < u2 {
                    if h >= u1 {
                        u2 = h;
                        j2 = j;
                    } else {
                        u2 = u1;
                        u1 = h;
                        j2 = j1;
                        j1 = j;
                    }
                }
            }
            let mut i1 = y[j1];
            let limit = nrr < n as isize * k;
            if u1 + EPS < u2 && limit {
                v[j1] = v[j1] - u2 + u1;
            } else if i1 > -1 && limit {
                j1 = j2;
                i1 = y[j1];
            }
            if i1 > -1 {
                if u1 + EPS < u2 && limit {
                    k -= 1;
                    fre[k as usize] = i1 as usize;
                } else {
                    f += 1;
                    fre[f as usize] = i1 as usize;
                }
            }
            x[i] = j1 as isize;
            y[j1] = i as isize;
        }
    }
    // Augmentation along shortest paths for the rows still free.
    let f0 = f;
    for ff in 0..=f0 {
        if ff < 0 {
            break;
        }
        let i1 = fre[ff as usize];
        let mut low = 0usize;
        let mut up = 0usize;
        for j in 0..n {
            d[j] = cc(i1, j) - v[j];
            pred[j] = i1;
        }
        let mut m = 0.0;
        let mut last: isize = 0;
        // Moves the columns scanned so far to their final prices and flips the path ending at `j`.
        let augment = |j: usize,
                       last: isize,
                       m: f64,
                       col: &[usize],
                       d: &[f64],
                       v: &mut [f64],
                       pred: &[usize],
                       x: &mut [isize],
                       y: &mut [isize]| {
            for &j1 in col.iter().take((last + 1).max(0) as usize) {
                v[j1] = v[j1] + d[j1] - m;
            }
            let mut j = j;
            loop {
                let i = pred[j];
                y[j] = i as isize;
                let k = j;
                j = x[i] as usize;
                x[i] = k as isize;
                if i == i1 {
                    break;
                }
            }
        };
        'search: loop {
            if up == low {
                last = low as isize - 1;
                m = d[col[up]];
                up += 1;
                for k in up..n {
                    let j = col[k];
                    let h = d[j];
                    if h <= m + EPS {
                        if h + EPS < m {
                            up = low;
                            m = h;
                        }
                        col[k] = col[up];
                        col[up] = j;
                        up += 1;
                    }
                }
                for z in low..up {
                    let j = col[z];
                    if y[j] == -1 {
                        augment(j, last, m, &col, &d, &mut v, &pred, &mut x, &mut y);
                        break 'search;
                    }
                }
            }
            let j1 = col[low];
            low += 1;
            let i = y[j1] as usize;
            let u1 = cc(i, j1) - v[j1] - m;
            for k in up..n {
                let j = col[k];
                let h = cc(i, j) - v[j] - u1;
                if h + EPS < d[j] {
                    d[j] = h;
                    pred[j] = i;
                    if (h - m).abs() < EPS {
                        if y[j] == -1 {
                            augment(j, last, m, &col, &d, &mut v, &pred, &mut x, &mut y);
                            break 'search;
                        }
                        col[k] = col[up];
                        col[up] = j;
                        up += 1;
                    }
                }
            }
        }
    }
    x.iter().map(|&j| j as usize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all permutations of a small matrix.
    fn best(cost: &[f64], n: usize) -> f64 {
        fn rec(cost: &[f64], n: usize, i: usize, used: &mut Vec<bool>) -> f64 {
            if i == n {
                return 0.0;
            }
            let mut b = f64::INFINITY;
            for j in 0..n {
                if !used[j] {
                    used[j] = true;
                    b = b.min(cost[i * n + j] + rec(cost, n, i + 1, used));
                    used[j] = false;
                }
            }
            b
        }
        rec(cost, n, 0, &mut vec![false; n])
    }

    #[test]
    fn matches_brute_force() {
        let mut s = 12345u64;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in 1..7 {
            for _ in 0..50 {
                let cost: Vec<f64> = (0..n * n).map(|_| if rnd() < 0.2 { 1e20 } else { rnd() }).collect();
                let b = best(&cost, n);
                let sig = assign(&cost, n);
                let mut seen = vec![false; n];
                sig.iter().for_each(|&j| seen[j] = true);
                assert!(seen.iter().all(|&s| s), "not a permutation: {sig:?}");
                let total: f64 = sig.iter().enumerate().map(|(i, &j)| cost[i * n + j]).sum();
                if b < 1e20 {
                    assert!((total - b).abs() < 1e-9, "n={n} {total} vs {b}");
                }
            }
        }
    }
}
