//! `out[M,N] = act(a[M,K]·b[K,N] + bias[N])`, with `pre` = the value before the activation.
//!
//! b is packed into panels of `NR` columns (`[K][NR]`, zero-padded; by each thread that runs
//! the call, for the panels it needs), so the inner loop reads one contiguous row of the panel per
//! k. A register block of `MR` rows × `NR`
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

/// Multiplies `R` rows of a by one panel of b over `k` steps; returns the accumulators, which start
/// at `acc`. Row `r` of the block starts at `a + r·a_row` and moves by `a_step` per step (a row of a
/// for the plain product: `a_row = K`, `a_step = 1`; a column of a for aᵀ·b: `a_row = 1`,
/// `a_step = M`); the panel's rows are `b_step` apart (`NR` when packed, N when read in place).
#[inline(always)]
unsafe fn block<const R: usize>(
    a: *const f32,
    a_row: usize,
    a_step: usize,
    panel: *const f32,
    b_step: usize,
    k: usize,
    mut acc: [[v128; NV]; R],
) -> [[v128; NV]; R] {
    let mut rows = [a; R];
    for (r, p) in rows.iter_mut().enumerate() {
        *p = a.add(r * a_row);
    }
    let mut bp = panel;
    for _ in 0..k {
        let mut bv = [f32x4_splat(0.0); NV];
        for (v, x) in bv.iter_mut().enumerate() {
            *x = v128_load(bp.add(4 * v) as *const v128);
        }
        for r in 0..R {
            let av = v128_load32_splat(rows[r] as *const u32);
            rows[r] = rows[r].add(a_step);
            for v in 0..NV {
                acc[r][v] = f32x4_relaxed_madd(av, bv[v], acc[r][v]);
            }
        }
        bp = bp.add(b_step);
    }
    acc
}

/// Zero accumulators.
const ZERO: v128 = f32x4(0.0, 0.0, 0.0, 0.0);

/// Adds the bias and stores `R` rows × `cols` (≤ NR) columns into `out` (and `pre`); the
/// activation is applied afterwards to a whole chunk of rows (see `matmul`).
#[inline(always)]
#[allow(clippy::needless_range_loop)] // `r` also offsets the rows of `out` and `pre`
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

/// Fewest work items a matmul call is cut into when its rows allow it: with fewer row chunks than
/// this, the panels are grouped too, so that two threads can still balance a call with few rows.
const MIN_ITEMS: usize = 8;

/// Packs panel `p` of b into `dst` (`[K][NR]`, its padding columns left as they are: zero).
unsafe fn pack_panel(dst: &mut [f32], b: *const f32, p: usize, n: usize, k: usize, tb: bool) {
    let cols = NR.min(n - p * NR);
    if tb {
        // Column j of the panel is row p·NR + j of b.
        for j in 0..cols {
            let src = core::slice::from_raw_parts(b.add((p * NR + j) * k), k);
            for (q, x) in src.iter().enumerate() {
                dst[q * NR + j] = *x;
            }
        }
    } else {
        for q in 0..k {
            let src = core::slice::from_raw_parts(b.add(q * n + p * NR), cols);
            dst[q * NR..][..cols].copy_from_slice(src);
        }
    }
}

/// The matmul kernel; `bias` is read only with `has_bias`, `pre` written only with `has_pre`. With
/// `tb`, b is `[N, K]` and the product is a·bᵀ (the panels are packed from b's rows instead).
///
/// A parallel kernel ([`par`](crate::par)): the items are chunks of `MC` rows of out, times groups
/// of panels when there are fewer than `MIN_ITEMS` chunks. Each thread packs the panels it needs
/// the first time it needs them.
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
    tb: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    let panels = n.div_ceil(NR);
    let chunks = m.div_ceil(MC);
    let per_group = panels.div_ceil(MIN_ITEMS.div_ceil(chunks).min(panels));
    let groups = panels.div_ceil(per_group);
    let init = || {
        let mut bias_pad = vec![[0f32; NR]; panels];
        if has_bias {
            for (j, x) in core::slice::from_raw_parts(bias, n).iter().enumerate() {
                bias_pad[j / NR][j % NR] = *x;
            }
        }
        (vec![0f32; panels * k * NR], vec![false; panels], bias_pad)
    };
    crate::par::each(chunks * groups, init, |(packed, ready, bias_pad), item| {
        let (i0, g) = ((item / groups) * MC, item % groups);
        let i1 = (i0 + MC).min(m);
        let (p0, p1) = (g * per_group, ((g + 1) * per_group).min(panels));
        for p in p0..p1 {
            let panel = &mut packed[p * k * NR..][..k * NR];
            if !ready[p] {
                pack_panel(panel, b, p, n, k, tb);
                ready[p] = true;
            }
            let panel = panel.as_ptr();
            let cols = NR.min(n - p * NR);
            let (o, pr) = (out.add(p * NR), pre.wrapping_add(p * NR));
            let mut i = i0;
            while i + MR <= i1 {
                let acc = block::<MR>(a.add(i * k), k, 1, panel, NR, k, [[ZERO; NV]; MR]);
                let (oi, pi) = (o.add(i * n), pr.wrapping_add(i * n));
                epilogue::<MR>(acc, &bias_pad[p], oi, pi, n, cols, has_pre);
                i += MR;
            }
            while i < i1 {
                let acc = block::<1>(a.add(i * k), k, 1, panel, NR, k, [[ZERO; NV]; 1]);
                let (oi, pi) = (o.add(i * n), pr.wrapping_add(i * n));
                epilogue::<1>(acc, &bias_pad[p], oi, pi, n, cols, has_pre);
                i += 1;
            }
        }
        // The item's part of out is still in cache; with every panel it is one contiguous block.
        let (c0, c1) = (p0 * NR, (p1 * NR).min(n));
        if groups == 1 {
            activate_slice(act, core::slice::from_raw_parts_mut(out.add(i0 * n), (i1 - i0) * n));
        } else {
            for i in i0..i1 {
                activate_slice(act, core::slice::from_raw_parts_mut(out.add(i * n + c0), c1 - c0));
            }
        }
    });
}

/// Steps of k per pass of [`matmul_tn`]: the packed slices of a and b (`KC·(M + N)` f32) stay in
/// cache while every block of out passes over them.
const KC: usize = 128;

/// Loads `R` rows × `cols` (≤ NR) columns of `out` (row stride `n`) as accumulators, zero-padded.
#[inline(always)]
unsafe fn load_block<const R: usize>(out: *const f32, n: usize, cols: usize) -> [[v128; NV]; R] {
    let mut acc = [[ZERO; NV]; R];
    for (r, row) in acc.iter_mut().enumerate() {
        for (v, x) in row.iter_mut().enumerate() {
            let o = out.add(r * n + 4 * v);
            if 4 * v + 4 <= cols {
                *x = v128_load(o as *const v128);
            } else if 4 * v < cols {
                let mut t = [0f32; 4];
                for (j, y) in t.iter_mut().enumerate().take(cols - 4 * v) {
                    *y = *o.add(j);
                }
                *x = v128_load(t.as_ptr() as *const v128);
            }
        }
    }
    acc
}

/// `out[M,N] (+)= a[K,M]ᵀ·b[K,N]` (with `acc` the product is added to what `out` holds): the
/// weight gradient xᵀ·g of a linear layer, without a transposed copy of x.
///
/// A parallel kernel ([`par`](crate::par)) whose items are slices of `ks` steps of k: slice 0 goes
/// into `out` (added to it with `acc`), slice `s ≥ 1` into the block `scratch + (s − 1)·M·N`, which
/// [`add_parts`] then adds to `out` in order. The slicing is the caller's choice from the shapes
/// alone, so the bits do not depend on the threads. With `ks ≥ k` there is one slice and no scratch.
///
/// Within a slice, k is walked in passes of `KC`; each pass packs its part of a into `[KC][MR]`
/// blocks of rows of out and its part of b into zero-padded `[KC][NR]` panels (both contiguous, as
/// the plain kernel reads them); then every `MR × NR` block of out is loaded, updated over the
/// pass's k in increasing order and stored. So each element of a slice is one chain of FMAs over
/// the slice's k in increasing order.
///
/// # Safety
/// The pointers must address `k·m`, `k·n`, `m·n` and `(⌈k/ks⌉ − 1)·m·n` f32 in linear memory.
#[allow(clippy::too_many_arguments)]
pub unsafe fn matmul_tn(
    a: *const f32,
    b: *const f32,
    out: *mut f32,
    scratch: *mut f32,
    m: usize,
    n: usize,
    k: usize,
    acc: bool,
    ks: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !acc {
            core::slice::from_raw_parts_mut(out, m * n).fill(0.0);
        }
        return;
    }
    let ks = ks.clamp(1, k);
    let (panels, blocks) = (n.div_ceil(NR), m / MR);
    let no_bias = [0f32; NR];
    let init = || (vec![0f32; panels * KC * NR], vec![0f32; blocks * KC * MR]);
    crate::par::each(k.div_ceil(ks), init, |(bpack, apack), s| {
        let (s0, s1) = (s * ks, ((s + 1) * ks).min(k));
        let dst = if s == 0 { out } else { scratch.add((s - 1) * m * n) };
        for k0 in (s0..s1).step_by(KC) {
            // One pass: steps k0 .. k0 + kc of k, added to dst (written over at a fresh start).
            let (kc, fresh) = (KC.min(s1 - k0), k0 == s0 && (s > 0 || !acc));
            for q in 0..kc {
                let arow = core::slice::from_raw_parts(a.add((k0 + q) * m), m);
                for ib in 0..blocks {
                    apack[(ib * kc + q) * MR..][..MR].copy_from_slice(&arow[ib * MR..][..MR]);
                }
                let brow = core::slice::from_raw_parts(b.add((k0 + q) * n), n);
                for p in 0..panels {
                    let cols = NR.min(n - p * NR);
                    bpack[(p * kc + q) * NR..][..cols].copy_from_slice(&brow[p * NR..][..cols]);
                }
            }
            for p in 0..panels {
                let bp = bpack.as_ptr().add(p * kc * NR);
                let cols = NR.min(n - p * NR);
                let o = dst.add(p * NR);
                for ib in 0..blocks {
                    let oi = o.add(ib * MR * n);
                    let init = if fresh { [[ZERO; NV]; MR] } else { load_block::<MR>(oi, n, cols) };
                    let r = block::<MR>(apack.as_ptr().add(ib * kc * MR), 1, MR, bp, NR, kc, init);
                    epilogue::<MR>(r, &no_bias, oi, core::ptr::null_mut(), n, cols, false);
                }
                for i in blocks * MR..m {
                    let oi = o.add(i * n);
                    let init = if fresh { [[ZERO; NV]; 1] } else { load_block::<1>(oi, n, cols) };
                    let r = block::<1>(a.add(k0 * m + i), 1, m, bp, NR, kc, init);
                    epilogue::<1>(r, &no_bias, oi, core::ptr::null_mut(), n, cols, false);
                }
            }
        }
    });
}

/// `out[i] += Σ_p scratch[p·len + i]` over `p < parts`, added one block after the other (the
/// slices of a [`matmul_tn`] in order). A parallel kernel over ranges of i.
///
/// # Safety
/// `out` must address `len` f32 and `scratch` `parts·len` f32, not overlapping.
pub unsafe fn add_parts(out: *mut f32, scratch: *const f32, len: usize, parts: usize) {
    crate::par::ranges(len, crate::par::ELEMS, |lo, hi| {
        let o = core::slice::from_raw_parts_mut(out.add(lo), hi - lo);
        for p in 0..parts {
            let x = core::slice::from_raw_parts(scratch.add(p * len + lo), hi - lo);
            for (o, x) in o.iter_mut().zip(x) {
                *o += *x;
            }
        }
    });
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

/// Multiply-adds per work item of [`bmm`] (batch items are grouped up to about this many).
const BMM_ITEM_FLOPS: usize = 1 << 16;

/// Batched matmul of many small matrices: `out[e] = op(a[e])·op(b[e])` for `r` batch items, a
/// `[r, m, k]` (`[r, k, m]` with `ta`), b `[r, k, n]` (`[r, n, k]` with `tb`), out `[r, m, n]`.
/// Each output row is accumulated as `Σ_q op(a)[i, q] · op(b)[q, :]` in increasing q: a contiguous
/// row of op(b) per step, which LLVM vectorises (with `tb`, each b item is first transposed into
/// a scratch block). A parallel kernel ([`par`](crate::par)) over runs of batch items.
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
    let step = (BMM_ITEM_FLOPS / (m * n * k).max(1)).max(1);
    let init = || vec![0f32; if tb { k * n } else { 0 }];
    crate::par::each(r.div_ceil(step), init, |scratch, item| {
        for e in item * step..((item + 1) * step).min(r) {
            let (ae, oe) = (&a[e * m * k..][..m * k], &mut out[e * m * n..][..m * n]);
            let mut be = &b[e * k * n..][..k * n];
            if tb {
                for j in 0..n {
                    for q in 0..k {
                        scratch[q * n + j] = be[j * k + q];
                    }
                }
                be = &scratch[..];
            }
            bmm_item(ae, be, oe, m, n, k, ta);
        }
    });
}

/// One item of [`bmm`]: `oe = op(ae)·be`.
unsafe fn bmm_item(ae: &[f32], be: &[f32], oe: &mut [f32], m: usize, n: usize, k: usize, ta: bool) {
    match n {
        4 => bmm_rows::<1>(ae, be, oe, m, k, ta),
        8 => bmm_rows::<2>(ae, be, oe, m, k, ta),
        12 => bmm_rows::<3>(ae, be, oe, m, k, ta),
        16 => bmm_rows::<4>(ae, be, oe, m, k, ta),
        20 => bmm_rows::<5>(ae, be, oe, m, k, ta),
        24 => bmm_rows::<6>(ae, be, oe, m, k, ta),
        28 => bmm_rows::<7>(ae, be, oe, m, k, ta),
        32 => bmm_rows::<8>(ae, be, oe, m, k, ta),
        _ => {
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
}

/// One bmm item for n = 4·NV ≤ 32: each output row is held in NV vector registers while
/// `Σ_q op(a)[i, q] · b[q, :]` accumulates in increasing q (the same order, and so the same bits,
/// as the generic loop, which stores the row back to memory on every q).
///
/// # Safety
/// `ae`, `be` and `oe` must hold `m·k`, `k·4·NV` and `m·4·NV` values.
#[inline(always)]
unsafe fn bmm_rows<const NV: usize>(ae: &[f32], be: &[f32], oe: &mut [f32], m: usize, k: usize, ta: bool) {
    let n = 4 * NV;
    for i in 0..m {
        let mut acc = [f32x4_splat(0.0); NV];
        for q in 0..k {
            let av = f32x4_splat(if ta { *ae.get_unchecked(q * m + i) } else { *ae.get_unchecked(i * k + q) });
            let bp = be.as_ptr().add(q * n);
            for (v, a) in acc.iter_mut().enumerate() {
                *a = f32x4_add(*a, f32x4_mul(av, v128_load(bp.add(4 * v) as *const v128)));
            }
        }
        let op = oe.as_mut_ptr().add(i * n);
        for (v, a) in acc.iter().enumerate() {
            v128_store(op.add(4 * v) as *mut v128, *a);
        }
    }
}
