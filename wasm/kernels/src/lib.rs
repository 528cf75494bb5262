//! cdvae's CPU compute kernels, one export per WGSL entry point of the op registry
//! (src/compute/ops.ts), named `k_<entry>`. Tensors live resident in this module's linear memory:
//! the host allocates with `cdvae_alloc`/`cdvae_free` and passes byte addresses.
//!
//! ABI of every kernel export (what src/compute/wasm.ts calls): the registry's buffers in binding
//! order (addresses), then its uniforms in order (`name:f32` as f32, others as u32), then its
//! compile-time constants in order (u32). Lengths come from the parameters, as in the shaders.
//!
//! The exports marked *parallel* cut their work into items that every thread running the call
//! claims from one shared counter ([`par`]): the host calls `cdvae_par_reset` first, then the
//! export on one or two threads with the same arguments.
//!
//! Safety, for every `unsafe` export (stated once here rather than on each): each buffer address
//! must point into a block from `cdvae_alloc` that holds at least as many elements as the export's
//! length parameters imply, as src/compute/wasm.ts ensures.
#![cfg(target_arch = "wasm32")]

mod act;
mod elementwise;
mod matmul;
mod par;
mod random;
mod rows;

use elementwise::{AdamStep, Bcast};
use std::alloc::{alloc, dealloc, Layout};

/// Alignment of every allocation (one f32x4 vector).
const ALIGN: usize = 16;

/// Allocates `bytes` (≥ 1) aligned to 16; returns 0 when memory cannot grow.
#[no_mangle]
pub extern "C" fn cdvae_alloc(bytes: usize) -> *mut u8 {
    match Layout::from_size_align(bytes.max(1), ALIGN) {
        Ok(l) => unsafe { alloc(l) },
        Err(_) => core::ptr::null_mut(),
    }
}

/// Frees a block from `cdvae_alloc` of the same size.
///
/// # Safety
/// `ptr` must come from `cdvae_alloc(bytes)` and not be freed twice.
#[no_mangle]
pub unsafe extern "C" fn cdvae_free(ptr: *mut u8, bytes: usize) {
    dealloc(ptr, Layout::from_size_align_unchecked(bytes.max(1), ALIGN));
}

/// ABI version of the kernel exports; bumped when a signature changes.
#[no_mangle]
pub extern "C" fn cdvae_kernels_abi() -> u32 {
    3
}

unsafe fn r<'a, T>(p: *const T, n: usize) -> &'a [T] {
    core::slice::from_raw_parts(p, n)
}
unsafe fn w<'a, T>(p: *mut T, n: usize) -> &'a mut [T] {
    core::slice::from_raw_parts_mut(p, n)
}
fn bc(d: [u32; 4], s: [u32; 4]) -> Bcast {
    Bcast { d: d.map(|x| x as usize), s: s.map(|x| x as usize) }
}

// ---- creation ------------------------------------------------------------------------------

/// Runs `f(lo, len)` over the element ranges of `[0, n)` this thread claims (elementwise exports).
fn elems(n: u32, mut f: impl FnMut(usize, usize)) {
    par::ranges(n as usize, par::ELEMS, |lo, hi| f(lo, hi - lo));
}

/// Parallel.
#[no_mangle]
pub unsafe extern "C" fn k_fill(out: *mut f32, n: u32, value: f32) {
    elems(n, |lo, len| w(out.add(lo), len).fill(value));
}

#[no_mangle]
pub unsafe extern "C" fn k_rand_uniform(out: *mut f32, n: u32, lo_seed: u32, hi_seed: u32, offset: u32, lo: f32, hi: f32) {
    random::rand_uniform(w(out, n as usize), (lo_seed, hi_seed), offset, lo, hi);
}

#[no_mangle]
pub unsafe extern "C" fn k_rand_normal(out: *mut f32, n: u32, lo_seed: u32, hi_seed: u32, offset: u32, mean: f32, std: f32) {
    random::rand_normal(w(out, n as usize), (lo_seed, hi_seed), offset, mean, std);
}

// ---- dense ---------------------------------------------------------------------------------

/// Parallel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_matmul(
    a: *const f32, b: *const f32, bias: *const f32, out: *mut f32, pre: *mut f32,
    m: u32, n: u32, k: u32, act: u32, has_bias: u32, has_pre: u32,
) {
    let (m, n, k) = (m as usize, n as usize, k as usize);
    matmul::matmul(a, b, bias, out, pre, m, n, k, act, has_bias != 0, has_pre != 0, false);
}

/// `out[M,N] = a[M,K]·b[N,K]ᵀ` (the input gradient g·Wᵀ of a linear layer). Parallel.
#[no_mangle]
pub unsafe extern "C" fn k_matmul_nt(a: *const f32, b: *const f32, out: *mut f32, m: u32, n: u32, k: u32) {
    let (m, n, k) = (m as usize, n as usize, k as usize);
    let null = core::ptr::null_mut();
    matmul::matmul(a, b, null, out, null, m, n, k, 0, false, false, true);
}

/// `out[M,N] (+)= a[K,M]ᵀ·b[K,N]` (the weight gradient xᵀ·g of a linear layer); adds with `acc`.
/// Parallel, but one work item: the wasm backend calls `k_matmul_tn_parts` for large products.
#[no_mangle]
pub unsafe extern "C" fn k_matmul_tn(a: *const f32, b: *const f32, out: *mut f32, m: u32, n: u32, k: u32, acc: u32) {
    let (m, n, k) = (m as usize, n as usize, k as usize);
    matmul::matmul_tn(a, b, out, core::ptr::null_mut(), m, n, k, acc != 0, k);
}

/// `k_matmul_tn` over slices of `ks` steps of k, one work item each: slice 0 into `out`, slice
/// s ≥ 1 into `scratch + (s − 1)·M·N` (then `k_add_parts`). Parallel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_matmul_tn_parts(
    a: *const f32, b: *const f32, out: *mut f32, scratch: *mut f32, m: u32, n: u32, k: u32, acc: u32, ks: u32,
) {
    let (m, n, k) = (m as usize, n as usize, k as usize);
    matmul::matmul_tn(a, b, out, scratch, m, n, k, acc != 0, ks as usize);
}

/// `out[i] += scratch[i] + … + scratch[(parts − 1)·len + i]`, one block after the other (the
/// slices of `k_matmul_tn_parts`). Parallel.
#[no_mangle]
pub unsafe extern "C" fn k_add_parts(out: *mut f32, scratch: *const f32, len: u32, parts: u32) {
    matmul::add_parts(out, scratch, len as usize, parts as usize);
}

/// The registry's scalar fallback for N % 4 ≠ 0 on the GPU; here the same blocked kernel. Parallel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_matmul_naive(
    a: *const f32, b: *const f32, bias: *const f32, out: *mut f32, pre: *mut f32,
    m: u32, n: u32, k: u32, act: u32, has_bias: u32, has_pre: u32,
) {
    k_matmul(a, b, bias, out, pre, m, n, k, act, has_bias, has_pre);
}

/// Parallel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_bmm(
    a: *const f32, b: *const f32, out: *mut f32, r: u32, m: u32, n: u32, k: u32, ta: u32, tb: u32,
) {
    matmul::bmm(a, b, out, r as usize, m as usize, n as usize, k as usize, ta != 0, tb != 0);
}

#[no_mangle]
pub unsafe extern "C" fn k_transpose(x: *const f32, out: *mut f32, rows: u32, cols: u32) {
    matmul::transpose(x, out, rows as usize, cols as usize);
}

// ---- elementwise ---------------------------------------------------------------------------

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_binary(
    a: *const f32, b: *const f32, out: *mut f32,
    d0: u32, d1: u32, d2: u32, d3: u32, a0: u32, a1: u32, a2: u32, a3: u32,
    b0: u32, b1: u32, b2: u32, b3: u32, n: u32, alpha: f32, op: u32,
) {
    let (ba, bb) = (bc([d0, d1, d2, d3], [a0, a1, a2, a3]), bc([d0, d1, d2, d3], [b0, b1, b2, b3]));
    let extent = |t: &Bcast| 1 + (0..4).map(|i| t.d[i].saturating_sub(1) * t.s[i]).sum::<usize>();
    let n = n as usize;
    if n == 0 {
        return;
    }
    elementwise::binary(r(a, extent(&ba)), r(b, extent(&bb)), w(out, n), &ba, &bb, op, alpha);
}

/// Parallel.
#[no_mangle]
pub unsafe extern "C" fn k_scale(x: *const f32, out: *mut f32, n: u32, alpha: f32, beta: f32) {
    elems(n, |lo, len| elementwise::scale(r(x.add(lo), len), w(out.add(lo), len), alpha, beta));
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_expand(
    a: *const f32, out: *mut f32,
    d0: u32, d1: u32, d2: u32, d3: u32, a0: u32, a1: u32, a2: u32, a3: u32, n: u32, alpha: f32,
) {
    let ba = bc([d0, d1, d2, d3], [a0, a1, a2, a3]);
    if n == 0 {
        return;
    }
    let extent = 1 + (0..4).map(|i| ba.d[i].saturating_sub(1) * ba.s[i]).sum::<usize>();
    elementwise::expand(r(a, extent), w(out, n as usize), &ba, alpha);
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_sum_to(
    x: *const f32, out: *mut f32,
    d0: u32, d1: u32, d2: u32, d3: u32, a0: u32, a1: u32, a2: u32, a3: u32,
    r0: u32, r1: u32, r2: u32, r3: u32, q0: u32, q1: u32, q2: u32, q3: u32, n: u32, nr: u32,
) {
    let t = bc([d0, d1, d2, d3], [a0, a1, a2, a3]);
    let red = bc([r0, r1, r2, r3], [q0, q1, q2, q3]);
    if n == 0 {
        return;
    }
    let _ = nr;
    let ext = |b: &Bcast| (0..4).map(|i| b.d[i].saturating_sub(1) * b.s[i]).sum::<usize>();
    elementwise::sum_to(r(x, 1 + ext(&t) + ext(&red)), w(out, n as usize), &t, &red);
}

/// Parallel.
#[no_mangle]
pub unsafe extern "C" fn k_unary(x: *const f32, out: *mut f32, n: u32, act: u32) {
    elems(n, |lo, len| elementwise::unary(r(x.add(lo), len), w(out.add(lo), len), act));
}

/// Parallel.
#[no_mangle]
pub unsafe extern "C" fn k_unary_backward(g: *const f32, x: *const f32, out: *mut f32, n: u32, act: u32) {
    elems(n, |lo, len| {
        elementwise::unary_backward(r(g.add(lo), len), r(x.add(lo), len), w(out.add(lo), len), act);
    });
}

// ---- feature axis and rows -----------------------------------------------------------------

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_copy_cols(
    src: *const f32, dst: *mut f32,
    rows: u32, width: u32, src_cols: u32, src_off: u32, dst_cols: u32, dst_off: u32,
) {
    let (rows, sc, dc) = (rows as usize, src_cols as usize, dst_cols as usize);
    if rows == 0 || width == 0 {
        return;
    }
    rows::copy_cols(
        r(src, rows * sc), w(dst, rows * dc), rows, width as usize, sc, src_off as usize, dc, dst_off as usize,
    );
}

/// Parallel.
#[no_mangle]
pub unsafe extern "C" fn k_gather_rows(x: *const f32, idx: *const u32, out: *mut f32, rows: u32, c: u32, n: u32, _vec: u32) {
    let (rows, c, n) = (rows as usize, c as usize, n as usize);
    par::ranges(rows, par::rows_per_item(c), |lo, hi| {
        rows::gather_rows(r(x, n * c), r(idx.add(lo), hi - lo), w(out.add(lo * c), (hi - lo) * c), c, n);
    });
}

/// Parallel (over ranges of segments; row pointers stay absolute).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_segment_sum(
    x: *const f32, rowptr: *const u32, perm: *const u32, out: *mut f32,
    rows: u32, c: u32, mean: u32, use_perm: u32, _vec: u32,
) {
    let (rows, c) = (rows as usize, c as usize);
    let rp = r(rowptr, rows + 1);
    par::ranges(rows, par::rows_per_item(c), |lo, hi| {
        let (e0, e1) = (rp[lo] as usize, rp[hi] as usize);
        let perm = if use_perm != 0 { Some(r(perm, e1)) } else { None };
        let x_rows = perm.map_or(e1, |p| p[e0..].iter().map(|&i| i as usize + 1).max().unwrap_or(0));
        rows::segment_sum(r(x, x_rows * c), &rp[lo..=hi], perm, w(out.add(lo * c), (hi - lo) * c), c, mean != 0);
    });
}

#[no_mangle]
pub unsafe extern "C" fn k_segment_expand(
    g: *const f32, rowptr: *const u32, out: *mut f32, e: u32, rows: u32, c: u32, mean: u32,
) {
    let (e, rows, c) = (e as usize, rows as usize, c as usize);
    rows::segment_expand(r(g, rows * c), r(rowptr, rows + 1), w(out, e * c), rows, c, mean != 0);
}

// ---- softmax and losses --------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn k_softmax(x: *const f32, out: *mut f32, rows: u32, c: u32, log: u32) {
    let n = rows as usize * c as usize;
    rows::softmax(r(x, n), w(out, n), c as usize, log != 0);
}

#[no_mangle]
pub unsafe extern "C" fn k_softmax_backward(g: *const f32, y: *const f32, out: *mut f32, rows: u32, c: u32, log: u32) {
    let n = rows as usize * c as usize;
    rows::softmax_backward(r(g, n), r(y, n), w(out, n), c as usize, log != 0);
}

#[no_mangle]
pub unsafe extern "C" fn k_cross_entropy(
    x: *const f32, t: *const u32, wt: *const f32, out: *mut f32, rows: u32, c: u32, weight: u32,
) {
    let (rows, c) = (rows as usize, c as usize);
    let wt = if weight != 0 { Some(r(wt, rows)) } else { None };
    rows::cross_entropy(r(x, rows * c), r(t, rows), wt, w(out, rows), c);
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_cross_entropy_backward(
    g: *const f32, x: *const f32, t: *const u32, wt: *const f32, out: *mut f32, rows: u32, c: u32, weight: u32,
) {
    let (rows, c) = (rows as usize, c as usize);
    let wt = if weight != 0 { Some(r(wt, rows)) } else { None };
    rows::cross_entropy_backward(r(g, rows), r(x, rows * c), r(t, rows), wt, w(out, rows * c), c);
}

#[no_mangle]
pub unsafe extern "C" fn k_mse(a: *const f32, b: *const f32, out: *mut f32, n: u32) {
    let n = n as usize;
    *out = elementwise::mse(r(a, n), r(b, n));
}

#[no_mangle]
pub unsafe extern "C" fn k_mse_backward(g: *const f32, a: *const f32, b: *const f32, out: *mut f32, n: u32) {
    let n = n as usize;
    elementwise::mse_backward(*g, r(a, n), r(b, n), w(out, n));
}

#[no_mangle]
pub unsafe extern "C" fn k_sum_all(x: *const f32, out: *mut f32, n: u32, mean: u32) {
    *out = elementwise::sum_all(r(x, n as usize), mean != 0);
}

// ---- optimiser -----------------------------------------------------------------------------

/// Parallel.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn k_adam(
    wp: *mut f32, g: *const f32, m: *mut f32, v: *mut f32,
    n: u32, lr: f32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32, clip: f32, wd: f32,
) {
    let h = AdamStep { lr, b1, b2, eps, bc1, bc2, clip, wd };
    elems(n, |lo, len| {
        let (wl, ml, vl) = (w(wp.add(lo), len), w(m.add(lo), len), w(v.add(lo), len));
        elementwise::adam(wl, r(g.add(lo), len), ml, vl, &h);
    });
}
