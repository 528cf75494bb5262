//! `out[M,N] = act(a[M,K]·b[K,N] + bias[N])`, with `pre` = the value before the activation.
//!
//! b is packed once per call into panels of `NR` columns (`[K][NR]`, zero-padded), so the inner
//! loop reads one contiguous 64-byte row of the panel per k. A register block of `MR` rows × `NR`
//! columns (`MR · NR/4` f32x4 accumulators) is updated with relaxed FMA; rows are walked in
//! chunks of `MC` so that a chunk of a stays in cache while every panel passes over it. The sum
//! over k runs in increasing k for every element, so results do not depend on the blocking.

use crate::act::activate_slice;
use core::arch::wasm32::*;

/// Rows of the register block.
const MR: usize = 4;
/// f32x4 vectors per row of the register block; `NR = 4·NV` columns.
const NV: usize = 4;
/// Columns of the register block and of a packed panel of b.
const NR: usize = 4 * NV;
/// Rows of a per chunk (a chunk of a is reused by every panel of b).
const MC: usize = 64;

/// Multiplies `R` rows of a (row stride `k`) by one packed panel; returns the accumulators.
#[inline(always)]
unsafe fn block<const R: usize>(a: *const f32, k: usize, panel: *const f32) -> [[v128; NV]; R] {
    let mut acc = [[f32x4_splat(0.0); NV]; R];
    for q in 0..k {
        let bp = panel.add(q * NR) as *const v128;
        let mut bv = [f32x4_splat(0.0); NV];
        for v in 0..NV {
            bv[v] = v128_load(bp.add(v));
        }
        for r in 0..R {
            let av = v128_load32_splat(a.add(r * k + q) as *const u32);
            for v in 0..NV {
                acc[r][v] = f32x4_relaxed_madd(av, bv[v], acc[r][v]);
            }
        }
    }
    acc
}

/// Adds the bias, stores `pre` and the activated value for `R` rows × `cols` (≤ NR) columns.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn epilogue<const R: usize>(
    acc: [[v128; NV]; R],
    bias: &[f32; NR],
    out: *mut f32,
    pre: *mut f32,
    n: usize,
    cols: usize,
    act: u32,
    has_pre: bool,
) {
    for r in 0..R {
        let mut row = [0f32; NR];
        for v in 0..NV {
            let b = v128_load(bias.as_ptr().add(4 * v) as *const v128);
            v128_store(row.as_mut_ptr().add(4 * v) as *mut v128, f32x4_add(acc[r][v], b));
        }
        if has_pre {
            core::ptr::copy_nonoverlapping(row.as_ptr(), pre.add(r * n), cols);
        }
        activate_slice(act, &mut row[..cols]);
        core::ptr::copy_nonoverlapping(row.as_ptr(), out.add(r * n), cols);
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
                epilogue::<MR>(acc, &bias_pad[p], o.add(i * n), pr.wrapping_add(i * n), n, cols, act, has_pre);
                i += MR;
            }
            while i < i1 {
                let acc = block::<1>(a.add(i * k), k, panel);
                epilogue::<1>(acc, &bias_pad[p], o.add(i * n), pr.wrapping_add(i * n), n, cols, act, has_pre);
                i += 1;
            }
        }
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
