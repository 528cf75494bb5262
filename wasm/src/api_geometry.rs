//! wasm-bindgen exports for cell geometry and neighbour lists.
//!
//! ABI as `api_lattice`: many crystals per call, lattices flat `[9·M]` (rows = vectors, Å), atoms
//! CSR (`frac` `[3·N_total]`, `atom_offsets` `[M+1]`), one status code per crystal (0 = success,
//! see `error.rs`), the number of failed crystals returned (negative code for a malformed call),
//! `last_error_message()` for the first failure. Fixed-size outputs are preallocated by the caller;
//! the neighbour list, whose size only the search knows, comes back as a [`NeighborListResult`].
//! Edge convention: receiver i, sender j, image S, `r_ij = x_j − x_i + S·L`. Only `src/core/` calls
//! these.

use wasm_bindgen::prelude::*;

use crate::error::{call_failed, expect_len, run_batch, GeomError};
use crate::geometry::{self, Batch, ImageSearch};
use crate::neighbors::{self, NeighborBuilder, NeighborList, NeighborOptions};

/// A neighbour list in CSR form by receiver (global atom indices), owned by wasm until taken.
/// Each `take_*` moves one array out (a second call returns an empty array); call `free()` after.
#[wasm_bindgen]
pub struct NeighborListResult {
    list: NeighborList,
    failures: i32,
}

#[wasm_bindgen]
impl NeighborListResult {
    /// Number of crystals that failed (their atoms have no edges), or a negative code when the
    /// whole call was malformed (then every array is empty).
    #[wasm_bindgen(getter)]
    pub fn failures(&self) -> i32 {
        self.failures
    }

    /// `[N_total + 1]`: receiver i owns edges `offsets[i]..offsets[i + 1]`.
    pub fn take_offsets(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.list.offsets)
    }

    /// `[E]`: global atom index of each edge's sender.
    pub fn take_senders(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.list.senders)
    }

    /// `[3·E]`: image S of each edge's sender.
    pub fn take_images(&mut self) -> Vec<i32> {
        std::mem::take(&mut self.list.images).into_flattened()
    }

    /// `[E]`: |r_ij| in Å.
    pub fn take_distances(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.list.distances)
    }

    /// `[3·E]`: r_ij = x_j − x_i + S·L in Å (empty when vectors were not asked for).
    pub fn take_vectors(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.list.vectors).into_flattened()
    }

    /// Where the five arrays lie in linear memory (see [`wasm_memory`]): byte address and length
    /// in elements of offsets (u32), senders (u32), images (i32, 3 per edge), distances (f64)
    /// and vectors (f64, 3 per edge). A worker copies them straight into the caller's shared
    /// buffers, one copy instead of `take_*` plus another. Valid until the next call into wasm.
    pub fn layout(&self) -> Vec<u32> {
        let l = &self.list;
        let addr = |p: *const u8| p as usize as u32;
        vec![
            addr(l.offsets.as_ptr().cast()),
            l.offsets.len() as u32,
            addr(l.senders.as_ptr().cast()),
            l.senders.len() as u32,
            addr(l.images.as_ptr().cast()),
            3 * l.images.len() as u32,
            addr(l.distances.as_ptr().cast()),
            l.distances.len() as u32,
            addr(l.vectors.as_ptr().cast()),
            3 * l.vectors.len() as u32,
        ]
    }

    /// Adds `atom_base` to every sender and `edge_base` to every offset: the list of one part of
    /// a batch renumbered for its place in the whole batch.
    pub fn shift(&mut self, atom_base: u32, edge_base: u32) {
        self.list.senders.iter_mut().for_each(|j| *j += atom_base);
        self.list.offsets.iter_mut().for_each(|o| *o += edge_base);
    }
}

/// The linear memory of this instance, for reading a [`NeighborListResult`] in place by its
/// [`NeighborListResult::layout`].
#[wasm_bindgen]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Neighbour lists of `M = status.len()` crystals within `cutoff` Å. `max_neighbors < 0` keeps
/// every neighbour; otherwise the nearest `max_neighbors` per receiver (nearest first, ties by
/// sender then image). `adjacent_images` restricts the search to the 27 images S ∈ {−1, 0, 1}³ as CDVAE (see
/// `neighbors`). More than `max_edges` edges in total fails the crystal that crosses the limit.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn neighbor_lists(
    lattices: &[f64],
    frac: &[f64],
    atom_offsets: &[u32],
    cutoff: f64,
    max_neighbors: i32,
    adjacent_images: bool,
    max_edges: u32,
    vectors: bool,
    status: &mut [i32],
) -> NeighborListResult {
    let opts = NeighborOptions {
        cutoff,
        max_neighbors: usize::try_from(max_neighbors).ok(),
        images: if adjacent_images {
            ImageSearch::Adjacent27
        } else {
            ImageSearch::All
        },
        max_edges: max_edges as usize,
        vectors,
    };
    let prepared = expect_len("atom_offsets", atom_offsets.len(), status.len() + 1)
        .and_then(|_| neighbors::check_options(&opts))
        .and_then(|_| Batch::new(lattices, frac, atom_offsets));
    let batch = match prepared {
        Ok(b) => b,
        Err(e) => {
            return NeighborListResult {
                list: NeighborList::default(),
                failures: call_failed(e),
            }
        }
    };
    let mut builder = NeighborBuilder::default();
    builder.reserve_for(&batch, &opts);
    builder.list.offsets.push(0);
    let failures = run_batch(status, |b| match batch.crystal(b) {
        Ok(c) => builder.append(&c, &opts),
        Err(e) => {
            builder.skip(batch.atoms(b).len());
            Err(e)
        }
    });
    NeighborListResult {
        list: builder.list,
        failures,
    }
}

/// Per atom, the shortest (x_b + S·L) − x_a between `frac_a` and `frac_b` (same layout) into
/// `out` (`[3·N_total]`, Å). CDVAE's coordinate target is `(noisy, true)`. `adjacent_images`:
/// only S ∈ {−1, 0, 1}³ as the reference; otherwise the exact minimum over every image.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn min_image_displacements(
    lattices: &[f64],
    frac_a: &[f64],
    frac_b: &[f64],
    atom_offsets: &[u32],
    adjacent_images: bool,
    out: &mut [f64],
    status: &mut [i32],
) -> i32 {
    let prepared = expect_len("atom_offsets", atom_offsets.len(), status.len() + 1)
        .and(expect_len("frac_b", frac_b.len(), frac_a.len()))
        .and(expect_len("out", out.len(), frac_a.len()))
        .and_then(|_| Batch::new(lattices, frac_a, atom_offsets));
    let batch = match prepared {
        Ok(b) => b,
        Err(e) => return call_failed(e),
    };
    let images = if adjacent_images {
        ImageSearch::Adjacent27
    } else {
        ImageSearch::All
    };
    run_batch(status, |b| {
        let c = batch.crystal(b)?;
        let r = 3 * c.first..3 * (c.first + c.n_atoms());
        geometry::min_image_displacement(&c, &frac_b[r.clone()], images, &mut out[r])
    })
}

/// Smallest interatomic distance (Å) of each crystal into `out` (`[M]`); `self_images` counts an
/// atom's own periodic images (otherwise a 1-atom crystal gives +∞).
#[wasm_bindgen]
pub fn min_distances(
    lattices: &[f64],
    frac: &[f64],
    atom_offsets: &[u32],
    self_images: bool,
    out: &mut [f64],
    status: &mut [i32],
) -> i32 {
    let prepared = expect_len("atom_offsets", atom_offsets.len(), status.len() + 1)
        .and(expect_len("out", out.len(), status.len()))
        .and_then(|_| Batch::new(lattices, frac, atom_offsets));
    let batch = match prepared {
        Ok(b) => b,
        Err(e) => return call_failed(e),
    };
    run_batch(status, |b| {
        out[b] = geometry::min_distance(&batch.crystal(b)?, self_images);
        Ok(())
    })
}

/// Cell volume |det L| (Å³) of each lattice into `out` (`[M]`).
#[wasm_bindgen]
pub fn cell_volumes(lattices: &[f64], out: &mut [f64], status: &mut [i32]) -> i32 {
    let shapes = expect_len("lattices", lattices.len(), 9 * status.len()).and(expect_len(
        "out",
        out.len(),
        status.len(),
    ));
    if let Err(e) = shapes {
        return call_failed(e);
    }
    run_batch(status, |b| {
        let mut l = [0.0; 9];
        l.copy_from_slice(&lattices[9 * b..9 * b + 9]);
        out[b] = crate::lattice::check_lattice(&l)?.abs();
        Ok(())
    })
}

/// Density (g/cm³, as pymatgen's `Structure.density`) of each crystal into `out` (`[M]`);
/// `numbers` holds one atomic number per atom, CSR by `atom_offsets`.
#[wasm_bindgen]
pub fn densities(
    lattices: &[f64],
    numbers: &[u8],
    atom_offsets: &[u32],
    out: &mut [f64],
    status: &mut [i32],
) -> i32 {
    let m = status.len();
    let shapes = expect_len("lattices", lattices.len(), 9 * m)
        .and(expect_len("atom_offsets", atom_offsets.len(), m + 1))
        .and(expect_len("out", out.len(), m));
    if let Err(e) = shapes {
        return call_failed(e);
    }
    let n = numbers.len();
    if atom_offsets[0] != 0 || atom_offsets[m] as usize != n || atom_offsets.windows(2).any(|w| w[1] < w[0]) {
        return call_failed(GeomError::BadShape {
            what: "atom_offsets (end value)",
            got: atom_offsets[m] as usize,
            expected: n,
        });
    }
    run_batch(status, |b| {
        let mut l = [0.0; 9];
        l.copy_from_slice(&lattices[9 * b..9 * b + 9]);
        let atoms = atom_offsets[b] as usize..atom_offsets[b + 1] as usize;
        out[b] = geometry::density(&l, &numbers[atoms])?;
        Ok(())
    })
}

/// Atomic masses (u) of elements 1..=118 (index z − 1), as pymatgen's `Element.atomic_mass`.
#[wasm_bindgen]
pub fn atomic_masses() -> Vec<f64> {
    (1..=118u8)
        .map(|z| geometry::atomic_mass(z).unwrap_or(f64::NAN))
        .collect()
}
