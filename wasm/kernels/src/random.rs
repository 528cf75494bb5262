//! Counter-based random numbers: Philox4x32-10 (Salmon et al. 2011), as the WGSL kernels and
//! `_cpu.ts` compute them. Element i comes from counter `[i/4, offset, 0, 0]` under the key
//! `(seed_lo, seed_hi)`, so every backend draws the same numbers for one seed.

/// Philox4x32-10 of counter `c` under key `(k0, k1)`.
pub fn philox(c: [u32; 4], mut k0: u32, mut k1: u32) -> [u32; 4] {
    let [mut x0, mut x1, mut x2, mut x3] = c;
    for _ in 0..10 {
        let p0 = 0xd251_1f53u64 * x0 as u64;
        let p1 = 0xcd9e_8d57u64 * x2 as u64;
        let (h0, l0) = ((p0 >> 32) as u32, p0 as u32);
        let (h1, l1) = ((p1 >> 32) as u32, p1 as u32);
        (x0, x1, x2, x3) = (h1 ^ x1 ^ k0, l1, h0 ^ x3 ^ k1, l0);
        k0 = k0.wrapping_add(0x9e37_79b9);
        k1 = k1.wrapping_add(0xbb67_ae85);
    }
    [x0, x1, x2, x3]
}

/// u32 → [0, 1) from the top 24 bits (exact).
fn unit(x: u32) -> f64 {
    (x >> 8) as f64 / 16_777_216.0
}

/// `out[i] = lo + (hi − lo)·u`, u uniform in [0, 1).
pub fn rand_uniform(out: &mut [f32], seed: (u32, u32), offset: u32, lo: f32, hi: f32) {
    let (lo, hi) = (lo as f64, hi as f64);
    for (g, chunk) in out.chunks_mut(4).enumerate() {
        let x = philox([g as u32, offset, 0, 0], seed.0, seed.1);
        for (o, xj) in chunk.iter_mut().zip(x) {
            *o = (lo + (hi - lo) * unit(xj)) as f32;
        }
    }
}

/// `out[i] = mean + std·z`, z standard normal by Box–Muller on the same stream.
pub fn rand_normal(out: &mut [f32], seed: (u32, u32), offset: u32, mean: f32, std: f32) {
    let (mean, std) = (mean as f64, std as f64);
    for (g, chunk) in out.chunks_mut(4).enumerate() {
        let x = philox([g as u32, offset, 0, 0], seed.0, seed.1);
        let mut z = [0f64; 4];
        for j in [0, 2] {
            let u1 = ((x[j] >> 8) + 1) as f64 / 16_777_216.0;
            let r = (-2.0 * u1.ln()).sqrt();
            let th = 2.0 * core::f64::consts::PI * unit(x[j + 1]);
            z[j] = r * th.cos();
            z[j + 1] = r * th.sin();
        }
        for (o, zj) in chunk.iter_mut().zip(z) {
            *o = (mean + std * zj) as f32;
        }
    }
}
