//! Elementwise kernels, broadcasting (rank ≤ 4, strides 0 along broadcast dims), reductions to
//! a shape or a scalar, the losses' elementwise parts and Adam. Contiguous loops are left to
//! LLVM's SIMD128 vectoriser; sums run in a fixed order (f64 where the reference sums in f64).

use crate::act::{activate_grad_slice, activate_slice};

/// Output dims `d[0..4]` and the strides of one operand in them.
pub struct Bcast {
    pub d: [usize; 4],
    pub s: [usize; 4],
}

impl Bcast {
    /// Calls `f(out_index, operand_offset)` for every output element in row-major order.
    #[inline(always)]
    fn each(&self, mut f: impl FnMut(usize, usize)) {
        let (d, s) = (self.d, self.s);
        let mut i = 0;
        for c0 in 0..d[0] {
            for c1 in 0..d[1] {
                for c2 in 0..d[2] {
                    let base = c0 * s[0] + c1 * s[1] + c2 * s[2];
                    for c3 in 0..d[3] {
                        f(i, base + c3 * s[3]);
                        i += 1;
                    }
                }
            }
        }
    }

    /// Whether the operand is laid out exactly like the output (no broadcasting).
    fn dense(&self) -> bool {
        let d = self.d;
        let want = [d[1] * d[2] * d[3], d[2] * d[3], d[3], 1];
        (0..4).all(|k| d[k] <= 1 || self.s[k] == want[k])
    }
}

/// `out = a ∘ b` (op: 0 add, 1 sub, 2 mul) with broadcasting.
pub fn binary(a: &[f32], b: &[f32], out: &mut [f32], ba: &Bcast, bb: &Bcast, op: u32, alpha: f32) {
    let f = |x: f32, y: f32| {
        alpha
            * match op {
                0 => x + y,
                1 => x - y,
                _ => x * y,
            }
    };
    if ba.dense() && bb.dense() {
        for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
            *o = f(*x, *y);
        }
        return;
    }
    if ba.dense() {
        bb.each(|i, j| out[i] = f(a[i], b[j]));
    } else if bb.dense() {
        ba.each(|i, j| out[i] = f(a[j], b[i]));
    } else {
        let mut ia = vec![0usize; out.len()];
        ba.each(|i, j| ia[i] = j);
        bb.each(|i, j| out[i] = f(a[ia[i]], b[j]));
    }
}

/// `out = alpha·a` broadcast to the output shape.
pub fn expand(a: &[f32], out: &mut [f32], ba: &Bcast, alpha: f32) {
    ba.each(|i, j| out[i] = alpha * a[j]);
}

/// Sums x over the reduced dims (`r`, strides `q`) into the target (dims `t.d`, strides `t.s`).
pub fn sum_to(x: &[f32], out: &mut [f32], t: &Bcast, r: &Bcast) {
    // The common case, a bias gradient [R, C] → [C]: add rows in order, vectorised across columns.
    let c = t.d[3];
    if t.d[0] * t.d[1] * t.d[2] == 1 && t.s[3] == 1 && r.d[3] == 1 && r.s[2] == c && r.d[0] * r.d[1] == 1 {
        let mut acc = vec![0f64; c];
        for row in x.chunks_exact(c).take(r.d[2]) {
            for (s, v) in acc.iter_mut().zip(row) {
                *s += *v as f64;
            }
        }
        for (o, s) in out.iter_mut().zip(&acc) {
            *o = *s as f32;
        }
        return;
    }
    t.each(|i, base| {
        let mut s = 0f64;
        r.each(|_, j| s += x[base + j] as f64);
        out[i] = s as f32;
    });
}

/// `out = alpha·x + beta`.
pub fn scale(x: &[f32], out: &mut [f32], alpha: f32, beta: f32) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = alpha * *v + beta;
    }
}

/// `out = act(x)`.
pub fn unary(x: &[f32], out: &mut [f32], act: u32) {
    out.copy_from_slice(x);
    activate_slice(act, out);
}

/// `out = g · act′(x)`.
pub fn unary_backward(g: &[f32], x: &[f32], out: &mut [f32], act: u32) {
    activate_grad_slice(act, g, x, out);
}

/// `mean((a − b)²)`, summed in f64 in index order.
pub fn mse(a: &[f32], b: &[f32]) -> f32 {
    let s: f64 = a.iter().zip(b).map(|(x, y)| ((*x - *y) as f64).powi(2)).sum();
    (s / a.len() as f64) as f32
}

/// `da = g·2(a − b)/n`.
pub fn mse_backward(g: f32, a: &[f32], b: &[f32], out: &mut [f32]) {
    let k = 2.0 * g / a.len() as f32;
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = k * (*x - *y);
    }
}

/// `Σx` (÷ n with `mean`), in f64, in four interleaved partial sums combined in a fixed order.
pub fn sum_all(x: &[f32], mean: bool) -> f32 {
    let mut p = [0f64; 4];
    let chunks = x.chunks_exact(4);
    let tail: f64 = chunks.remainder().iter().map(|v| *v as f64).sum();
    for c in chunks {
        for l in 0..4 {
            p[l] += c[l] as f64;
        }
    }
    let s = (p[0] + p[1]) + (p[2] + p[3]) + tail;
    (if mean && !x.is_empty() { s / x.len() as f64 } else { s }) as f32
}

/// Adam hyperparameters for one step (`bc1`, `bc2`: bias corrections `1 − βᵗ`).
pub struct AdamStep {
    pub lr: f32,
    pub b1: f32,
    pub b2: f32,
    pub eps: f32,
    pub bc1: f32,
    pub bc2: f32,
    pub clip: f32,
    pub wd: f32,
}

/// Adam with clipping by value and decoupled weight decay; updates w, m, v in place.
pub fn adam(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], h: &AdamStep) {
    for i in 0..w.len() {
        let gi = g[i].max(-h.clip).min(h.clip);
        m[i] = h.b1 * m[i] + (1.0 - h.b1) * gi;
        v[i] = h.b2 * v[i] + (1.0 - h.b2) * gi * gi;
        let (mh, vh) = (m[i] / h.bc1, v[i] / h.bc2);
        w[i] -= h.lr * (mh / (vh.sqrt() + h.eps) + h.wd * w[i]);
    }
}
