//! Row-wise kernels: column copies (concat/split), gathers, CSR segment sums and their
//! backward, softmax and cross-entropy. Rows are contiguous, so each row is one slice and the
//! per-row loops vectorise; every sum runs in a fixed order (deterministic).

/// `dst[r, dst_off + c] = src[r, src_off + c]` for `c < width`.
#[allow(clippy::too_many_arguments)]
pub fn copy_cols(
    src: &[f32],
    dst: &mut [f32],
    rows: usize,
    width: usize,
    src_cols: usize,
    src_off: usize,
    dst_cols: usize,
    dst_off: usize,
) {
    if width == 0 {
        return;
    }
    for r in 0..rows {
        let s = &src[r * src_cols + src_off..][..width];
        dst[r * dst_cols + dst_off..][..width].copy_from_slice(s);
    }
}

/// `out[i, :] = x[idx[i], :]`, zeros for an index ≥ n (negative i32 indices read as ≥ n).
pub fn gather_rows(x: &[f32], idx: &[u32], out: &mut [f32], c: usize, n: usize) {
    if c == 0 {
        return;
    }
    for (o, &j) in out.chunks_exact_mut(c).zip(idx) {
        let j = j as usize;
        if j < n {
            o.copy_from_slice(&x[j * c..][..c]);
        } else {
            o.fill(0.0);
        }
    }
}

/// `out[s, :] = Σ x[perm[e], :]` over `e in rowptr[s]..rowptr[s+1]`, accumulated in f32 in
/// increasing e (bit-identical to the reference); mean with `mean`; identity perm unless `perm`.
pub fn segment_sum(x: &[f32], rowptr: &[u32], perm: Option<&[u32]>, out: &mut [f32], c: usize, mean: bool) {
    if c == 0 {
        return;
    }
    for (s, o) in out.chunks_exact_mut(c).enumerate() {
        let (lo, hi) = (rowptr[s] as usize, rowptr[s + 1] as usize);
        o.fill(0.0);
        for e in lo..hi {
            let row = perm.map_or(e, |p| p[e] as usize);
            for (a, v) in o.iter_mut().zip(&x[row * c..][..c]) {
                *a += *v;
            }
        }
        if mean && hi > lo {
            let inv = 1.0 / (hi - lo) as f64;
            o.iter_mut().for_each(|a| *a = (*a as f64 * inv) as f32);
        }
    }
}

/// `out[e, :] = g[s, :]` (÷ count with `mean`) for the segment s holding e; other rows zero.
pub fn segment_expand(g: &[f32], rowptr: &[u32], out: &mut [f32], r: usize, c: usize, mean: bool) {
    out.fill(0.0);
    if c == 0 {
        return;
    }
    for s in 0..r {
        let (lo, hi) = (rowptr[s] as usize, rowptr[s + 1] as usize);
        let gs = &g[s * c..][..c];
        let inv = if mean && hi > lo { 1.0 / (hi - lo) as f64 } else { 1.0 };
        for e in lo..hi {
            for (o, v) in out[e * c..][..c].iter_mut().zip(gs) {
                *o = (*v as f64 * inv) as f32;
            }
        }
    }
}

/// Max and `Σ exp(x − max)` of one row (the sum in f64).
fn row_stats(row: &[f32]) -> (f32, f64) {
    let mx = row.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
    let s: f64 = row.iter().map(|v| (*v as f64 - mx as f64).exp()).sum();
    (mx, s)
}

/// Row-wise softmax (log-softmax with `log`).
pub fn softmax(x: &[f32], out: &mut [f32], c: usize, log: bool) {
    if c == 0 {
        return;
    }
    for (row, o) in x.chunks_exact(c).zip(out.chunks_exact_mut(c)) {
        let (mx, s) = row_stats(row);
        let ls = s.ln();
        for (y, v) in o.iter_mut().zip(row) {
            let d = *v as f64 - mx as f64;
            *y = (if log { d - ls } else { d.exp() / s }) as f32;
        }
    }
}

/// Backward of softmax given its output y (of log-softmax with `log`).
pub fn softmax_backward(g: &[f32], y: &[f32], out: &mut [f32], c: usize, log: bool) {
    if c == 0 {
        return;
    }
    for ((gr, yr), o) in g.chunks_exact(c).zip(y.chunks_exact(c)).zip(out.chunks_exact_mut(c)) {
        let s: f64 = if log {
            gr.iter().map(|v| *v as f64).sum()
        } else {
            gr.iter().zip(yr).map(|(a, b)| *a as f64 * *b as f64).sum()
        };
        for ((d, gv), yv) in o.iter_mut().zip(gr).zip(yr) {
            let (gv, yv) = (*gv as f64, *yv as f64);
            *d = (if log { gv - yv.exp() * s } else { yv * (gv - s) }) as f32;
        }
    }
}

/// `loss[i] = w[i]·(logsumexp(x[i]) − x[i, t[i]])` (w = 1 without weights).
pub fn cross_entropy(x: &[f32], t: &[u32], w: Option<&[f32]>, out: &mut [f32], c: usize) {
    for (i, o) in out.iter_mut().enumerate() {
        let row = &x[i * c..][..c];
        let (mx, s) = row_stats(row);
        let wi = w.map_or(1.0, |w| w[i] as f64);
        *o = (wi * (mx as f64 + s.ln() - row[t[i] as usize] as f64)) as f32;
    }
}

/// `dx[i, :] = g[i]·w[i]·(softmax(x[i]) − onehot(t[i]))`.
pub fn cross_entropy_backward(g: &[f32], x: &[f32], t: &[u32], w: Option<&[f32]>, out: &mut [f32], c: usize) {
    for (i, gi) in g.iter().enumerate() {
        let row = &x[i * c..][..c];
        let (mx, s) = row_stats(row);
        let k = *gi as f64 * w.map_or(1.0, |w| w[i] as f64);
        for (q, (o, v)) in out[i * c..][..c].iter_mut().zip(row).enumerate() {
            let p = (*v as f64 - mx as f64).exp() / s - if q == t[i] as usize { 1.0 } else { 0.0 };
            *o = (k * p) as f32;
        }
    }
}
