//! Periodic neighbour lists for batches of crystals, in CSR form grouped by receiver.
//!
//! Convention (as vesin): for receiver i, sender j and image S (3 integers) the edge vector is
//! `r_ij = x_j − x_i + S·L` (Cartesian, Å, lattice rows = vectors) and the distance is |r_ij|.
//! Self-images (i, i, S ≠ 0) are edges; (i, i, 0) never is.
//!
//! Two image searches:
//! - [`ImageSearch::All`]: every image within the cutoff, on any cell (1-atom, skewed, thin).
//!   A pair is kept when d² ≤ r² + 1e-8 Å² (pymatgen's `numerical_tol`, applied to d² as
//!   pymatgen's `find_points_in_spheres` does), so the triples equal pymatgen's
//!   `Structure.get_neighbor_list(r)`. Images come from the lattice-point enumeration in
//!   [`sphere`], whose cost is bounded by the cell's perpendicular heights.
//! - [`ImageSearch::Adjacent27`]: CDVAE's `radius_graph_pbc`: only S ∈ {−1, 0, 1}³ around the
//!   coordinates as given, kept when 1e-4 Å² < d² ≤ r² (which also drops coincident atoms).
//!
//! Order within a receiver: without a cap, by sender; a sender's images in a fixed order that
//! depends only on the lattice and cutoff (lexicographic in the enumeration axes; an atom's own
//! images as one of each ±S pair, then their negations). Each pair i < j is enumerated once and
//! mirrored into receiver j (image −S, vector −v), and the ±S symmetry halves the self-images. With
//! `max_neighbors = k`, the k nearest, nearest first, ties broken by (distance, sender, image)
//! where distances within [`TIE_TOL`] of each other count as equal (so that 1-ulp rounding in
//! symmetric crystals never decides), as the reference's top-k of `radius_graph_pbc` (whose own
//! tie order is an unstable GPU sort, see cdvae-reference-audit.md O7).

mod search;
mod select;
mod sphere;

pub use sphere::SphereFrame;

use crate::error::GeomError;
pub use crate::geometry::ImageSearch;
use crate::geometry::{Batch, CrystalView};

/// Distances closer than this (Å) count as tied when choosing the k nearest neighbours.
pub const TIE_TOL: f64 = 1e-8;

/// pymatgen's `numerical_tol`: [`ImageSearch::All`] keeps pairs with d² ≤ r² + this (Å²).
pub const PYMATGEN_TOL: f64 = 1e-8;

/// CDVAE's `radius_graph_pbc` drops pairs with d² at or below this (Å²): the atom itself and
/// coincident atoms.
pub const CDVAE_MIN_D2: f64 = 1e-4;

/// Upper bound on (s_C, s_B) lines visited per crystal (about a second of work); above it the
/// cell is too thin for the cutoff (or the cutoff absurd) and the search refuses at once.
pub const MAX_LINES: f64 = (1u64 << 30) as f64;

/// Largest cutoff accepted (Å); the decoder uses 7.
pub const MAX_CUTOFF: f64 = 1e4;

/// Default cap on the edges one call may return (48 bytes each, about 800 MB).
pub const DEFAULT_MAX_EDGES: usize = 1 << 24;

/// What to search for.
#[derive(Clone, Debug)]
pub struct NeighborOptions {
    /// Radius in Å, finite and ≥ 0.
    pub cutoff: f64,
    /// Keep at most this many nearest neighbours per receiver.
    pub max_neighbors: Option<usize>,
    pub images: ImageSearch,
    /// Refuse (with [`GeomError::TooLarge`]) when more edges than this would be made.
    pub max_edges: usize,
    /// Also return the edge vectors (24 bytes per edge; off when only distances are needed).
    pub vectors: bool,
}

/// A neighbour list in CSR form: receiver i (global atom index) owns edges
/// `offsets[i]..offsets[i + 1]`; `senders` are global atom indices; `images` and `vectors`
/// (r_ij as in the module comment) 3 numbers per edge, `distances` 1 per edge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NeighborList {
    pub offsets: Vec<u32>,
    pub senders: Vec<u32>,
    pub images: Vec<[i32; 3]>,
    pub distances: Vec<f64>,
    pub vectors: Vec<[f64; 3]>,
}

impl NeighborList {
    /// Appends one edge with its squared length in `distances` (see [`Self::sqrt_distances`]).
    #[inline(always)]
    pub(crate) fn push_edge<const V: bool>(&mut self, sender: u32, s: [i32; 3], v: [f64; 3], d2: f64) {
        self.senders.push(sender);
        self.images.push(s);
        self.distances.push(d2);
        if V {
            self.vectors.push(v);
        }
    }

    /// Appends edges `a..b` of this list seen from the other end of their pair: sender `sender`,
    /// image −S, vector −v, the same distance.
    #[inline]
    pub(crate) fn extend_mirrored<const VECTORS: bool>(&mut self, sender: u32, a: usize, b: usize) {
        self.extend_within::<VECTORS, true>(sender, a, b);
    }

    /// Appends edges `a..b` of this list again with sender `sender` (same images, vectors and
    /// distances).
    #[inline]
    pub(crate) fn extend_copied<const VECTORS: bool>(&mut self, sender: u32, a: usize, b: usize) {
        self.extend_within::<VECTORS, false>(sender, a, b);
    }

    /// Copies edges `a..b` to the end with sender `sender`, negating images and vectors when
    /// NEGATE: one loop over the edges. Blocks are short (~13 edges on average), and in wasm each
    /// bulk copy (`memory.copy`) is a call out of the module, which cost more than the copy.
    #[inline(always)]
    fn extend_within<const VECTORS: bool, const NEGATE: bool>(&mut self, sender: u32, a: usize, b: usize) {
        assert!(a <= b && b <= self.senders.len());
        let (len, m) = (self.senders.len(), b - a);
        let sign = if NEGATE { -1 } else { 1 };
        self.senders.reserve(m);
        // One more image: each is moved as 16 bytes, the last 4 landing in the next slot.
        self.images.reserve(m + 1);
        self.distances.reserve(m);
        if VECTORS {
            self.vectors.reserve(m);
        }
        let (sp, ip, dp, vp) = (
            self.senders.as_mut_ptr(),
            self.images.as_mut_ptr(),
            self.distances.as_mut_ptr(),
            self.vectors.as_mut_ptr(),
        );
        // SAFETY: every array holds `len` edges (vectors too when VECTORS) and has room for `m`
        // more after the reserves; sources `a..b` lie below `len`, destinations at or above it.
        unsafe {
            if m > 0 {
                // Initialise slot `len`: the 16-byte load of the last source may read into it.
                ip.add(len).write([0; 3]);
            }
            for k in 0..m {
                *sp.add(len + k) = sender;
                // 16 bytes from slot a + k (< len, so the next slot is in the list or slot
                // `len`) to slot len + k (the next slot is room): one vector load and store
                // instead of three each; the 4th lane is never kept.
                let s = ip.add(a + k).cast::<[i32; 4]>().read_unaligned();
                ip.add(len + k).cast::<[i32; 4]>().write_unaligned(s.map(|x| sign * x));
                *dp.add(len + k) = *dp.add(a + k);
                if VECTORS {
                    let v = *vp.add(a + k);
                    let f = sign as f64;
                    *vp.add(len + k) = [f * v[0], f * v[1], f * v[2]];
                }
            }
            self.senders.set_len(len + m);
            self.images.set_len(len + m);
            self.distances.set_len(len + m);
            if VECTORS {
                self.vectors.set_len(len + m);
            }
        }
    }

    /// Runs `f` with room for up to `m` more edges and keeps the edges it wrote: one capacity check
    /// per array for a whole pair of atoms, instead of one per edge and array (in wasm each push
    /// reloads the vector's length and capacity from memory after every store).
    #[inline(always)]
    pub(crate) fn with_writer<const VECTORS: bool, F>(&mut self, m: usize, f: F)
    where
        F: FnOnce(&mut EdgeWriter<'_, VECTORS>),
    {
        self.senders.reserve(m);
        self.images.reserve(m);
        self.distances.reserve(m);
        let m_vectors = if VECTORS { m } else { 0 };
        self.vectors.reserve(m_vectors);
        let mut w = EdgeWriter {
            senders: &mut self.senders.spare_capacity_mut()[..m],
            images: &mut self.images.spare_capacity_mut()[..m],
            distances: &mut self.distances.spare_capacity_mut()[..m],
            vectors: &mut self.vectors.spare_capacity_mut()[..m_vectors],
            len: 0,
        };
        f(&mut w);
        let k = w.len;
        // SAFETY: `EdgeWriter::push`, the only writer, initialised the first `k` spare slots of
        // every array, of `vectors` too when VECTORS (and only then does its length grow).
        unsafe {
            self.senders.set_len(self.senders.len() + k);
            self.images.set_len(self.images.len() + k);
            self.distances.set_len(self.distances.len() + k);
            if VECTORS {
                self.vectors.set_len(self.vectors.len() + k);
            }
        }
    }

    /// Replaces the squared lengths from edge `start` on by lengths (correctly rounded either
    /// way, so the same bits as a square root per edge).
    #[inline]
    pub(crate) fn sqrt_distances(&mut self, start: usize) {
        self.sqrt_range(start, self.distances.len());
    }

    /// [`Self::sqrt_distances`] on edges `start..end` only.
    #[inline]
    pub(crate) fn sqrt_range(&mut self, start: usize, end: usize) {
        self.distances[start..end].iter_mut().for_each(|d| *d = d.sqrt());
    }
}

/// Room for the edges of one pair of atoms in the spare capacity of a [`NeighborList`] (see
/// [`NeighborList::with_writer`]); `vectors` is empty unless VECTORS.
pub(crate) struct EdgeWriter<'a, const VECTORS: bool> {
    senders: &'a mut [std::mem::MaybeUninit<u32>],
    images: &'a mut [std::mem::MaybeUninit<[i32; 3]>],
    distances: &'a mut [std::mem::MaybeUninit<f64>],
    vectors: &'a mut [std::mem::MaybeUninit<[f64; 3]>],
    len: usize,
}

impl<const VECTORS: bool> EdgeWriter<'_, VECTORS> {
    /// Edges written so far.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Writes one edge, its squared length as distance; panics past the room asked for.
    #[inline(always)]
    pub(crate) fn push(&mut self, sender: u32, s: [i32; 3], v: [f64; 3], d2: f64) {
        let k = self.len;
        self.senders[k].write(sender);
        self.images[k].write(s);
        self.distances[k].write(d2);
        if VECTORS {
            self.vectors[k].write(v);
        }
        self.len = k + 1;
    }
}

/// One candidate edge of a receiver (sender index local to the crystal); its vector is
/// recomputed for the few that are kept.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge {
    pub d2: f64,
    pub j: u32,
    pub s: [i32; 3],
}

/// Checks the options that apply to the whole call.
pub fn check_options(opts: &NeighborOptions) -> Result<(), GeomError> {
    if !opts.cutoff.is_finite() || opts.cutoff < 0.0 {
        return Err(GeomError::BadParameter {
            name: "cutoff",
            value: opts.cutoff,
        });
    }
    if opts.cutoff > MAX_CUTOFF {
        return Err(GeomError::TooLarge {
            what: "cutoff (Å)",
            value: opts.cutoff,
            max: MAX_CUTOFF,
        });
    }
    Ok(())
}

/// Builds one [`NeighborList`] crystal by crystal, reusing its scratch buffers between crystals.
#[derive(Default)]
pub struct NeighborBuilder {
    /// The list so far (offsets start with 0 once a crystal was appended).
    pub list: NeighborList,
    scratch: search::PairScratch,
    cands: Vec<Edge>,
    keys: Vec<u64>,
}

impl NeighborBuilder {
    /// Appends crystal `c`'s edges (one offsets entry per atom). On failure the list is left as
    /// if the crystal had no edges (its atoms get empty ranges), so later crystals still line up.
    pub fn append(&mut self, c: &CrystalView, opts: &NeighborOptions) -> Result<(), GeomError> {
        let out = &mut self.list;
        if out.offsets.is_empty() {
            out.offsets.push(0);
        }
        let (n_offsets, n_edges) = (out.offsets.len(), out.senders.len());
        let result = self.append_edges(c, opts);
        if result.is_err() {
            let out = &mut self.list;
            out.offsets.truncate(n_offsets);
            out.senders.truncate(n_edges);
            out.images.truncate(n_edges);
            out.distances.truncate(n_edges);
            out.vectors.truncate(n_edges);
            out.offsets
                .extend(std::iter::repeat_n(n_edges as u32, c.n_atoms()));
        }
        result
    }

    /// Reserves room for about the number of edges `batch` will give, so that the output arrays
    /// grow once instead of by doubling (each doubling re-copies everything written so far, which
    /// cost ~15 % of a 340-crystal call in wasm).
    pub fn reserve_for(&mut self, batch: &Batch, opts: &NeighborOptions) {
        let edges = estimate_edges(batch, opts).min(opts.max_edges as f64) as usize;
        let out = &mut self.list;
        out.offsets.reserve(batch.frac.len() / 3 + 1);
        out.senders.reserve(edges);
        out.images.reserve(edges);
        out.distances.reserve(edges);
        if opts.vectors {
            out.vectors.reserve(edges);
        }
    }

    /// Appends `n_atoms` receivers without edges (a crystal that could not be searched).
    pub fn skip(&mut self, n_atoms: usize) {
        let out = &mut self.list;
        if out.offsets.is_empty() {
            out.offsets.push(0);
        }
        out.offsets
            .extend(std::iter::repeat_n(out.senders.len() as u32, n_atoms));
    }

    fn append_edges(&mut self, c: &CrystalView, opts: &NeighborOptions) -> Result<(), GeomError> {
        let max_edges = opts.max_edges.min(u32::MAX as usize);
        let search = search::CrystalSearch::new(c, opts)?;
        let first = c.first as u32;
        match opts.max_neighbors {
            None if opts.images == ImageSearch::All && opts.vectors => {
                search.all_direct::<true>(&mut self.list, first, max_edges, &mut self.scratch)
            }
            None if opts.images == ImageSearch::All => {
                search.all_direct::<false>(&mut self.list, first, max_edges, &mut self.scratch)
            }
            k => self.k_nearest(c, &search, k.unwrap_or(usize::MAX), opts.vectors, max_edges),
        }
    }

    /// Per receiver, the `k` nearest candidates (all of them, unordered, when k is `usize::MAX`).
    fn k_nearest(
        &mut self,
        c: &CrystalView,
        search: &search::CrystalSearch,
        k: usize,
        vectors: bool,
        max_edges: usize,
    ) -> Result<(), GeomError> {
        let (out, cands, keys) = (&mut self.list, &mut self.cands, &mut self.keys);
        let first = c.first as u32;
        for i in 0..c.n_atoms() {
            cands.clear();
            search.receiver(i, cands);
            if k != usize::MAX {
                select::nearest_first(cands, k, keys);
            }
            if out.senders.len() + cands.len() > max_edges {
                return Err(too_many((out.senders.len() + cands.len()) as f64, max_edges));
            }
            for e in cands.iter() {
                out.senders.push(first + e.j);
                out.images.push(e.s);
                out.distances.push(e.d2.sqrt());
                if vectors {
                    out.vectors.push(search.vector(i, e.j as usize, e.s));
                }
            }
            out.offsets.push(out.senders.len() as u32);
        }
        Ok(())
    }
}

/// About the number of edges of `batch` (5 % over the average density of lattice points in the
/// sphere, which is what an ordinary crystal gets; the output still grows if it is exceeded).
/// Unusable lattices, and cells whose estimate alone exceeds `max_edges` (needle-thin cells the
/// search refuses), count as no edges, so a call that fails reserves nothing for them.
fn estimate_edges(batch: &Batch, opts: &NeighborOptions) -> f64 {
    let sphere = 4.0 / 3.0 * std::f64::consts::PI * opts.cutoff.powi(3);
    let mut total = 0.0;
    for b in 0..batch.len() {
        let n = batch.atoms(b).len() as f64;
        let mut l = [0.0; 9];
        l.copy_from_slice(&batch.lattices[9 * b..9 * b + 9]);
        let mut per_atom = n * sphere / crate::geometry::volume(&l);
        if opts.images == ImageSearch::Adjacent27 {
            per_atom = per_atom.min(27.0 * n);
        }
        if let Some(k) = opts.max_neighbors {
            per_atom = per_atom.min(k as f64);
        }
        if n * per_atom <= opts.max_edges as f64 {
            total += n * per_atom;
        }
    }
    1.05 * total
}

pub(crate) fn too_many(value: f64, max_edges: usize) -> GeomError {
    GeomError::TooLarge {
        what: "number of neighbour edges (option maxEdges)",
        value,
        max: max_edges as f64,
    }
}

#[cfg(test)]
mod tests;
