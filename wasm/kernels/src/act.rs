//! Activations shared by `matmul`, `unary` and `unary_backward`, with the codes of `ACT` in
//! src/compute/_cpu.ts: 0 none, 1 relu, 2 silu, 3 sigmoid, 4 softplus,
//! 5 sin, 6 exp, 7 ssilu (GemNet's ScaledSiLU, silu(x)·(1/0.6)).

use core::arch::wasm32::*;

/// The factor of ScaledSiLU (code 7): 1/0.6.
const SSILU: f32 = 1.0 / 0.6;

/// Whether `act` has a four-lane form (none, relu, silu, sigmoid, ssilu).
#[inline(always)]
fn has_simd(act: u32) -> bool {
    act <= 3 || act == 7
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Applies activation `act` to `x`.
#[inline(always)]
pub fn activate(act: u32, x: f32) -> f32 {
    match act {
        1 => x.max(0.0),
        2 => x * sigmoid(x),
        3 => sigmoid(x),
        4 => {
            if x > 20.0 {
                x
            } else {
                x.exp().ln_1p()
            }
        }
        5 => x.sin(),
        6 => x.exp(),
        7 => x * sigmoid(x) * SSILU,
        _ => x,
    }
}

/// Derivative of activation `act` at the pre-activation `x`.
#[inline(always)]
pub fn activate_grad(act: u32, x: f32) -> f32 {
    match act {
        1 => {
            if x > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        2 => {
            let s = sigmoid(x);
            s * (1.0 + x * (1.0 - s))
        }
        3 => {
            let s = sigmoid(x);
            s * (1.0 - s)
        }
        4 => sigmoid(x),
        5 => x.cos(),
        6 => x.exp(),
        7 => {
            let s = sigmoid(x);
            s * (1.0 + x * (1.0 - s)) * SSILU
        }
        _ => 1.0,
    }
}

/// The constants of `exp4k` as vectors:
/// `[lo, hi, log2e, magic, ln2_hi, ln2_lo, p0..p5, one, 127]`.
type ExpConsts = [v128; 14];

/// `ExpConsts`, built once per call and hidden from the optimiser with `black_box`, so that a
/// loop keeps them in registers (or reloads them from the stack) instead of rebuilding every
/// v128 constant on every iteration (which V8 does with several instructions each).
#[inline(always)]
fn exp_consts() -> ExpConsts {
    let c = [
        -87.3f32,
        88.7,
        core::f32::consts::LOG2_E,
        12_582_912.0,
        0.693_359_4,
        -2.121_944_4e-4,
        1.987_569_1e-4,
        1.398_2e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        0.5, // Cephes' 5.0000001e-1, which is 0.5 in f32
        1.0,
    ];
    let mut k = [f32x4_splat(0.0); 14];
    for (x, c) in k.iter_mut().zip(c) {
        *x = f32x4_splat(c);
    }
    k[13] = i32x4_splat(127);
    core::hint::black_box(k)
}

/// `exp(x)` on four lanes: Cody–Waite range reduction and Cephes' `expf` polynomial (about 1 ulp
/// for |x| ≤ 87; inputs are clamped to [−87.3, 88.7], so tiny results flush towards 0). Uses
/// `pmin`/`pmax` (one x86 instruction each, unlike NaN-propagating `min`/`max`) and rounds with
/// the 1.5·2²³ trick, whose low mantissa bits are the integer n.
#[inline(always)]
fn exp4k(x: v128, k: &ExpConsts) -> v128 {
    let magic = k[3];
    let x = f32x4_pmin(f32x4_pmax(x, k[0]), k[1]);
    let t = f32x4_add(f32x4_mul(x, k[2]), magic);
    let n = f32x4_sub(t, magic);
    let r = f32x4_sub(x, f32x4_mul(n, k[4]));
    let r = f32x4_sub(r, f32x4_mul(n, k[5]));
    let mut p = k[6];
    for c in &k[7..12] {
        p = f32x4_add(f32x4_mul(p, r), *c);
    }
    let p = f32x4_add(f32x4_add(f32x4_mul(f32x4_mul(p, r), r), r), k[12]);
    let bits = i32x4_sub(t, magic);
    f32x4_mul(p, i32x4_shl(i32x4_add(bits, k[13]), 23))
}

/// `1 / (1 + e^−x)` on four lanes.
#[inline(always)]
fn sigmoid4(x: v128, k: &ExpConsts) -> v128 {
    f32x4_div(k[12], f32x4_add(k[12], exp4k(f32x4_neg(x), k)))
}

/// Applies activation `act` (none, relu, silu, sigmoid or ssilu: `has_simd`) to four lanes;
/// softplus, sin and exp are scalar only.
#[inline(always)]
fn activate4(act: u32, x: v128, k: &ExpConsts) -> v128 {
    match act {
        0 => x,
        1 => f32x4_pmax(x, f32x4_splat(0.0)),
        2 => f32x4_mul(x, sigmoid4(x, k)),
        7 => f32x4_mul(f32x4_mul(x, sigmoid4(x, k)), f32x4_splat(SSILU)),
        _ => sigmoid4(x, k),
    }
}

/// Applies `act` to every element of `v` in place, four lanes at a time except for softplus, sin
/// and exp.
pub fn activate_slice(act: u32, v: &mut [f32]) {
    if act == 0 {
        return;
    }
    if !has_simd(act) {
        v.iter_mut().for_each(|x| *x = activate(act, *x));
        return;
    }
    let k = exp_consts();
    let mut chunks = v.chunks_exact_mut(4);
    {
        for c in &mut chunks {
            let p = c.as_mut_ptr() as *mut v128;
            // SAFETY: a chunk is four consecutive f32 (unaligned access is allowed).
            unsafe {
                v128_store(p, activate4(act, v128_load(p), &k));
            }
        }
    }
    for x in chunks.into_remainder() {
        *x = activate(act, *x);
    }
}

/// `g · act′(x)` on four lanes for the activations of `has_simd`.
#[inline(always)]
fn grad4(act: u32, g: v128, x: v128, k: &ExpConsts) -> v128 {
    match act {
        0 => g,
        1 => v128_and(g, f32x4_gt(x, f32x4_splat(0.0))),
        2 => {
            // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x)))
            let s = sigmoid4(x, k);
            f32x4_mul(g, f32x4_mul(s, f32x4_add(k[12], f32x4_mul(x, f32x4_sub(k[12], s)))))
        }
        7 => {
            let s = sigmoid4(x, k);
            let d = f32x4_mul(s, f32x4_add(k[12], f32x4_mul(x, f32x4_sub(k[12], s))));
            f32x4_mul(g, f32x4_mul(d, f32x4_splat(SSILU)))
        }
        _ => {
            let s = sigmoid4(x, k);
            f32x4_mul(g, f32x4_mul(s, f32x4_sub(k[12], s)))
        }
    }
}

/// `out = g · act′(x)`, four lanes at a time for the activations with a vector form (the
/// backward of every fused SiLU is here, so the scalar `exp` would dominate training).
pub fn activate_grad_slice(act: u32, g: &[f32], x: &[f32], out: &mut [f32]) {
    let n = out.len().min(g.len()).min(x.len());
    let mut i = 0;
    if has_simd(act) {
        let k = exp_consts();
        while i + 4 <= n {
            // SAFETY: i + 4 ≤ n, the length of all three slices (unaligned access is allowed).
            unsafe {
                let gv = v128_load(g.as_ptr().add(i) as *const v128);
                let xv = v128_load(x.as_ptr().add(i) as *const v128);
                v128_store(out.as_mut_ptr().add(i) as *mut v128, grad4(act, gv, xv, &k));
            }
            i += 4;
        }
    }
    for j in i..n {
        out[j] = g[j] * activate_grad(act, x[j]);
    }
}
