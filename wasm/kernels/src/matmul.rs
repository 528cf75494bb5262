//! `out[M,N] = act(a[M,K]·b[K,N] + bias[N])`, with `pre` = the value before the activation.
//!
//! b is packed once per call into panels of `NR` columns (`[K][NR]`, zero-padded), so the inner
//! loop reads one contiguous row of the panel per k. A register block of `MR` rows × `NR`
//! columns (`MR · NR/4` f32x4 accumulators) is updated with relaxed FMA; rows are walked in
//! chunks of `MC` so that a chunk of a stays in cache while every panel passes over it. The sum
//! over k runs in increasing k for every element, so results do not depend on the blocking.
//!
//! The block is 3 × 12 because V8 gives wasm SIMD 15 xmm registers on x86-64: 9 accumulators,
//! 3 vectors of b and one broadcast of a fit, and 9 independent FMA chains cover the FMA latency.
//! 4 × 16, 4 × 12, 3 × 16, 5 × 8 and 6 × 8 spill (0.5–0.6× the speed), 4 × 8 and 2 × 16 are ~5 %
//! slower; unrolling k, packing a and plain mul + add were slower too (bench/RESULTS.md). The
//! bias is added in registers; the activation runs afterwards over the chunk's rows of `out`,
//! outside the k loop and with its constants kept in registers.

use crate::act::activate_slice;
use core::arch::wasm32::*;

/// Rows of the register block.
const MR: usize = 3;
/// f32x4 vectors per row of the register block; `NR = 4·NV` columns.
const NV: usize = 3;
/// Columns of the register block and of a packed panel of b.
const NR: usize = 4 * NV;
/// Rows of a per chunk (a chunk of a is reused by every panel of b).
const MC: usize = 16 * MR;

/// Multiplies `R` rows of a (row stride `k`) by one packed panel; returns the accumulators.
#[inline(always)]
unsafe fn block<const R: usize>(a: *const f32, k: usize, panel: *const f32) -> [[v128; NV]; R] {
    let mut acc = [[f32x4_splat(0.0); NV]; R];
    let mut rows = [a; R];
    for (r, p) in rows.iter_mut().enumerate() {
        *p = a.add(r * k);
    }
    let mut bp = panel;
    let end = panel.add(k * NR);
    while bp != end {
        let mut bv = [f32x4_splat(0.0); NV];
        for (v, x) in bv.iter_mut().enumerate() {
            *x = v128_load(bp.add(4 * v) as *const v128);
        }
        for r in 0..R {
            let av = v128_load32_splat(rows[r] as *const u32);
            rows[r] = rows[r].add(1);
            for v in 0..NV {
                acc[r][v] = f32x4_relaxed_madd(av, bv[v], acc[r][v]);
            }
        }
        bp = bp.add(NR);
    }
    acc
}

/// Adds the bias and stores `R` rows × `cols` (≤ NR) columns into `out` (and `pre`); the
/// activation is applied afterwards to a whole chunk of rows (see `matmul`).
#[inline(always)]
unsafe fn epilogue<const R: usize>(
    acc: [[v128; NV]; R],
    bias: &[f32; NR],
    out: *mut f32,
    pre: *mut f32,
    n: usize,
    cols: usize,
    has_pre: bool,
) {
    let mut bv = [f32x4_splat(0.0); NV];
    for (v, x) in bv.iter_mut().enumerate() {
        *x = v128_load(bias.as_ptr().add(4 * v) as *const v128);
    }
    for r in 0..R {
        for v in 0..NV {
            let x = f32x4_add(acc[r][v], bv[v]);
            let (o, p) = (out.add(r * n + 4 * v), pre.wrapping_add(r * n + 4 * v));
            if 4 * v + 4 <= cols {
                if has_pre {
                    v128_store(p as *mut v128, x);
                }
                v128_store(o as *mut v128, x);
            } else if 4 * v < cols {
                let mut t = [0f32; 4];
                v128_store(t.as_mut_ptr() as *mut v128, x);
                for (j, y) in t.iter().enumerate().take(cols - 4 * v) {
                    if has_pre {
                        *p.add(j) = *y;
                    }
                    *o.add(j) = *y;
                }
            }
        }
    }
}

/// The matmul kernel; `bias` is read only with `has_bias`, `pre` written only with `has_pre`.
///
/// # Safety
/// The pointers must address `m·k`, `k·n`, `n`, `m·n` and `m·n` f32 in linear memory.
#[allow(clippy::too_many_arguments)]
pub unsafe fn matmul(
    a: *const f32,
    b: *const f32,
    bias: *const f32,
    out: *mut f32,
    pre: *mut f32,
    m: usize,
    n: usize,
    k: usize,
    act: u32,
    has_bias: bool,
    has_pre: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    let panels = n.div_ceil(NR);
    let mut packed = vec![0f32; panels * k * NR];
    for p in 0..panels {
        let cols = NR.min(n - p * NR);
        for q in 0..k {
            let src = core::slice::from_raw_parts(b.add(q * n + p * NR), cols);
            packed[(p * k + q) * NR..][..cols].copy_from_slice(src);
        }
    }
    let mut bias_pad = vec![[0f32; NR]; panels];
    if has_bias {
        for (j, x) in core::slice::from_raw_parts(bias, n).iter().enumerate() {
            bias_pad[j / NR][j % NR] = *x;
        }
    }
    for i0 in (0..m).step_by(MC) {
        let i1 = (i0 + MC).min(m);
        for p in 0..panels {
            let panel = packed.as_ptr().add(p * k * NR);
            let cols = NR.min(n - p * NR);
            let (o, pr) = (out.add(p * NR), pre.wrapping_add(p * NR));
            let mut i = i0;
            while i + MR <= i1 {
                let acc = block::<MR>(a.add(i * k), k, panel);
                let (oi, pi) = (o.add(i * n), pr.wrapping_add(i * n));
                epilogue::<MR>(acc, &bias_pad[p], oi, pi, n, cols, has_pre);
                i += MR;
            }
            while i < i1 {
                let acc = block::<1>(a.add(i * k), k, panel);
                let (oi, pi) = (o.add(i * n), pr.wrapping_add(i * n));
                epilogue::<1>(acc, &bias_pad[p], oi, pi, n, cols, has_pre);
                i += 1;
            }
        }
        // The chunk's rows of out are contiguous and still in cache.
        activate_slice(act, core::slice::from_raw_parts_mut(out.add(i0 * n), (i1 - i0) * n));
    }
}

/// `out[C,R] = x[R,C]ᵀ`, in 16 × 16 tiles.
///
/// # Safety
/// `x` and `out` must address `r·c` f32 each.
pub unsafe fn transpose(x: *const f32, out: *mut f32, r: usize, c: usize) {
    const T: usize = 16;
    for i0 in (0..r).step_by(T) {
        for j0 in (0..c).step_by(T) {
            for i in i0..(i0 + T).min(r) {
                for j in j0..(j0 + T).min(c) {
                    *out.add(j * r + i) = *x.add(i * c + j);
                }
            }
        }
    }
}

/// Batched matmul of many small matrices: `out[e] = op(a[e])·op(b[e])` for `r` batch items, a
/// `[r, m, k]` (`[r, k, m]` with `ta`), b `[r, k, n]` (`[r, n, k]` with `tb`), out `[r, m, n]`.
/// Each output row is accumulated as `Σ_q op(a)[i, q] · op(b)[q, :]` in increasing q: a contiguous
/// row of op(b) per step, which LLVM vectorises (with `tb`, each b item is first transposed into
/// a scratch block).
///
/// # Safety
/// The pointers must address `r·m·k`, `r·k·n` and `r·m·n` f32 in linear memory.
#[allow(clippy::too_many_arguments)]
pub unsafe fn bmm(
    a: *const f32,
    b: *const f32,
    out: *mut f32,
    r: usize,
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
    tb: bool,
) {
    if r == 0 || m == 0 || n == 0 {
        return;
    }
    let a = core::slice::from_raw_parts(a, r * m * k);
    let b = core::slice::from_raw_parts(b, r * k * n);
    let out = core::slice::from_raw_parts_mut(out, r * m * n);
    let mut scratch = vec![0f32; if tb { k * n } else { 0 }];
    for (e, oe) in out.chunks_exact_mut(m * n).enumerate() {
        let ae = &a[e * m * k..][..m * k];
        let mut be = &b[e * k * n..][..k * n];
        if tb {
            for j in 0..n {
                for q in 0..k {
                    scratch[q * n + j] = be[j * k + q];
                }
            }
            be = &scratch;
        }
        for (i, orow) in oe.chunks_exact_mut(n).enumerate() {
            orow.fill(0.0);
            for (q, brow) in be.chunks_exact(n).enumerate() {
                let av = if ta { ae[q * m + i] } else { ae[i * k + q] };
                for (o, bv) in orow.iter_mut().zip(brow) {
                    *o += av * *bv;
                }
            }
        }
    }
}
