//! wasm-bindgen exports of CrystalNN (pymatgen) and the "ops" CrystalNN fingerprint (matminer).
//!
//! ABI as `api_geometry`: crystals packed as one CSR batch, `numbers` holding each atom's atomic
//! number, one status code per crystal (0 = success, see `error.rs`); the failure count is returned
//! (negative code for a malformed call) and `last_error_message()` explains the first failure. A
//! failed crystal's atoms get empty neighbour ranges and NaN fingerprints. Only `src/eval/`
//! wrappers call this.

use wasm_bindgen::prelude::*;

use crate::crystalnn::{CnnOptions, CrystalNN, FINGERPRINT_LEN};
use crate::error::{call_failed, expect_len, run_batch, GeomError};
use crate::geometry::Batch;

/// Neighbours per atom (CSR over all atoms of the batch) and CN probabilities per atom.
#[wasm_bindgen]
#[derive(Default)]
pub struct CrystalNNResult {
    offsets: Vec<u32>,
    sites: Vec<u32>,
    images: Vec<i32>,
    weights: Vec<f64>,
    cn_offsets: Vec<u32>,
    cn_numbers: Vec<u32>,
    cn_weights: Vec<f64>,
    failures: i32,
}

#[wasm_bindgen]
impl CrystalNNResult {
    /// Number of failed crystals, or a negative code for a malformed call.
    #[wasm_bindgen(getter)]
    pub fn failures(&self) -> i32 {
        self.failures
    }

    /// `[N + 1]`: atom i (global index) owns neighbours `offsets[i]..offsets[i + 1]`.
    pub fn take_offsets(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.offsets)
    }

    /// Neighbour site index, local to its crystal.
    pub fn take_sites(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.sites)
    }

    /// 3 integers per neighbour.
    pub fn take_images(&mut self) -> Vec<i32> {
        std::mem::take(&mut self.images)
    }

    /// CrystalNN's rounded weight per neighbour.
    pub fn take_weights(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.weights)
    }

    /// `[N + 1]`: atom i owns CN entries `cn_offsets[i]..cn_offsets[i + 1]`.
    pub fn take_cn_offsets(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.cn_offsets)
    }

    pub fn take_cn_numbers(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.cn_numbers)
    }

    pub fn take_cn_weights(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.cn_weights)
    }
}

fn options(distance_lo: f64, distance_hi: f64, x_diff_weight: f64, porous: bool, search_cutoff: f64) -> CnnOptions {
    CnnOptions {
        distance_cutoffs: if distance_lo.is_nan() && distance_hi.is_nan() {
            None
        } else {
            Some((distance_lo, distance_hi))
        },
        x_diff_weight,
        porous_adjustment: porous,
        search_cutoff,
    }
}

/// CrystalNN neighbours of every atom. `distance_lo`/`distance_hi` both NaN skip the distance
/// step. With `selected`, each atom's neighbours are `get_nn_info`'s (the most probable CN);
/// otherwise every neighbour `get_nn_data` keeps. Weights are the rounded CrystalNN weights.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn crystalnn_neighbors(
    lattices: &[f64],
    frac: &[f64],
    numbers: &[u8],
    atom_offsets: &[u32],
    distance_lo: f64,
    distance_hi: f64,
    x_diff_weight: f64,
    porous: bool,
    search_cutoff: f64,
    selected: bool,
    status: &mut [i32],
) -> CrystalNNResult {
    let opts = options(distance_lo, distance_hi, x_diff_weight, porous, search_cutoff);
    let prepared = expect_len("atom_offsets", atom_offsets.len(), status.len() + 1)
        .and_then(|_| expect_len("numbers", numbers.len(), frac.len() / 3))
        .and_then(|_| opts.check())
        .and_then(|_| Batch::new(lattices, frac, atom_offsets));
    let batch = match prepared {
        Ok(b) => b,
        Err(e) => {
            return CrystalNNResult {
                failures: call_failed(e),
                ..Default::default()
            }
        }
    };
    let mut r = CrystalNNResult {
        offsets: vec![0],
        cn_offsets: vec![0],
        ..Default::default()
    };
    r.failures = run_batch(status, |b| {
        let (n0, c0) = (r.sites.len(), r.cn_numbers.len());
        let atoms = batch.atoms(b);
        let result = (|| -> Result<(), GeomError> {
            let c = batch.crystal(b)?;
            let mut cnn = CrystalNN::new(&c, &numbers[atoms.clone()])?;
            for i in 0..atoms.len() {
                let d = cnn.nn_data(i, &opts)?;
                let nn = if selected { d.selected() } else { &d.nn[..] };
                for e in nn {
                    r.sites.push(e.site);
                    r.images.extend_from_slice(&e.image);
                    r.weights.push(e.weight);
                }
                r.offsets.push(r.sites.len() as u32);
                for &(cn, w) in &d.cn_weights {
                    r.cn_numbers.push(cn as u32);
                    r.cn_weights.push(w);
                }
                r.cn_offsets.push(r.cn_numbers.len() as u32);
            }
            Ok(())
        })();
        if result.is_err() {
            let keep = atoms.start + 1;
            r.offsets.truncate(keep);
            r.cn_offsets.truncate(keep);
            r.sites.truncate(n0);
            r.images.truncate(3 * n0);
            r.weights.truncate(n0);
            r.cn_numbers.truncate(c0);
            r.cn_weights.truncate(c0);
            r.offsets.extend(std::iter::repeat_n(n0 as u32, atoms.len()));
            r.cn_offsets.extend(std::iter::repeat_n(c0 as u32, atoms.len()));
        }
        result
    });
    r
}

/// matminer's `CrystalNNFingerprint.from_preset("ops")`: 61 values per crystal (the mean over its
/// sites, as CDVAE) or, with `per_site`, per atom. A failed crystal's rows are NaN.
#[wasm_bindgen]
pub fn crystalnn_fingerprints(
    lattices: &[f64],
    frac: &[f64],
    numbers: &[u8],
    atom_offsets: &[u32],
    per_site: bool,
    out: &mut [f64],
    status: &mut [i32],
) -> i32 {
    let m = status.len();
    let rows = if per_site { frac.len() / 3 } else { m };
    let prepared = expect_len("atom_offsets", atom_offsets.len(), m + 1)
        .and_then(|_| expect_len("numbers", numbers.len(), frac.len() / 3))
        .and_then(|_| expect_len("out", out.len(), FINGERPRINT_LEN * rows))
        .and_then(|_| Batch::new(lattices, frac, atom_offsets));
    let batch = match prepared {
        Ok(b) => b,
        Err(e) => return call_failed(e),
    };
    run_batch(status, |b| {
        let atoms = batch.atoms(b);
        let range = if per_site {
            FINGERPRINT_LEN * atoms.start..FINGERPRINT_LEN * atoms.end
        } else {
            FINGERPRINT_LEN * b..FINGERPRINT_LEN * (b + 1)
        };
        let result = (|| -> Result<(), GeomError> {
            let c = batch.crystal(b)?;
            let mut cnn = CrystalNN::new(&c, &numbers[atoms.clone()])?;
            let n = atoms.len();
            let dst = &mut out[range.clone()];
            dst.fill(0.0);
            let mut site = [0.0; FINGERPRINT_LEN];
            for i in 0..n {
                cnn.fingerprint_site(i, &mut site)?;
                let row = if per_site { i } else { 0 };
                for (o, s) in dst[FINGERPRINT_LEN * row..FINGERPRINT_LEN * (row + 1)].iter_mut().zip(site.iter()) {
                    *o += s;
                }
            }
            if !per_site {
                for o in dst.iter_mut() {
                    *o /= n as f64;
                }
            }
            Ok(())
        })();
        if result.is_err() {
            out[range].fill(f64::NAN);
        }
        result
    })
}
