//! Neighbour search within one crystal: the all-images list written straight into the output
//! (each pair i < j enumerated once and mirrored, self-images by ±S halves), and per-receiver
//! candidates (all images, or CDVAE's 27) for the top-k selection.

use super::{too_many, Edge, ImageSearch, NeighborList, NeighborOptions, SphereFrame};
use super::{CDVAE_MIN_D2, MAX_LINES, PYMATGEN_TOL};
use crate::error::GeomError;
use crate::geometry::{image_shift, norm, CrystalView, Lattice};

/// Above this many atoms per crystal, [`CrystalSearch::all_direct`] enumerates each pair from
/// both ends instead of keeping an n²/2 table of mirrored blocks.
const MAX_MIRRORED_ATOMS: usize = 512;

/// Where the edges of the pairs i < j of one crystal lie in the output, for mirroring into
/// receiver j: pair k (order (0,1), (0,2), …, (1,2), …) owns edges `blocks[k].0..blocks[k].1`.
#[derive(Default)]
pub(super) struct PairScratch {
    blocks: Vec<(usize, usize)>,
}

/// Largest image bound per pair for which [`CrystalSearch::all_direct`] reserves a pair's room at
/// once (a 4 Å cube at 7 Å: ~170); thinner cells write edge by edge.
const MAX_PAIR_ROOM: usize = 1 << 14;

/// Largest room (edges) reserved at once for all the searched pairs of one receiver; above it,
/// pair by pair.
const MAX_RECEIVER_ROOM: usize = 1 << 16;

/// One crystal prepared for neighbour search.
pub(super) struct CrystalSearch {
    lattice: Lattice,
    cart: Vec<[f64; 3]>,
    /// Atom positions in the enumeration frame (differences give projected displacements).
    proj: Vec<[f64; 3]>,
    frame: SphereFrame,
    images: ImageSearch,
    /// Inclusion bound on d² (see the module comment of `neighbors`).
    r2: f64,
    /// Enumeration radius, padded for rounding.
    r_enum: f64,
    /// Upper bound on the images one pair visits ([`SphereFrame::point_bound`], plus slack),
    /// when small enough to reserve for every pair.
    pair_room: Option<usize>,
    /// The 27 shifts S·L for [`ImageSearch::Adjacent27`] by component (x, y, z), S lexicographic
    /// as in [`SHIFTS27`].
    t27: [[f64; 27]; 3],
}

impl CrystalSearch {
    pub fn new(c: &CrystalView, opts: &NeighborOptions) -> Result<Self, GeomError> {
        let l = &c.lattice;
        let cart = c.cart();
        let frame = SphereFrame::new(l, opts.cutoff);
        let proj: Vec<[f64; 3]> = cart.iter().map(|x| frame.project(x)).collect();
        let n = cart.len() as f64;
        let (lo, hi) = bounding_box(&cart);
        let d_max = norm(&[hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]]);
        let mut search = CrystalSearch {
            lattice: *l,
            cart,
            proj,
            frame,
            images: opts.images,
            r2: opts.cutoff * opts.cutoff,
            r_enum: 0.0,
            pair_room: None,
            t27: [[0.0; 27]; 3],
        };
        match opts.images {
            ImageSearch::All => {
                search.r2 += PYMATGEN_TOL;
                search.r_enum = SphereFrame::padded_radius(search.r2.sqrt(), d_max);
                let bound = search.frame.point_bound(search.r_enum);
                if bound <= MAX_PAIR_ROOM as f64 {
                    search.pair_room = Some(bound as usize + 8);
                }
                let lines = n * n * search.frame.line_bound(search.r_enum);
                if !(lines <= MAX_LINES) {
                    return Err(GeomError::TooLarge {
                        what: "rows of periodic images to search (cell too thin for the cutoff)",
                        value: lines,
                        max: MAX_LINES,
                    });
                }
                // Cheap box bound first; only a cell that might exceed the edge budget pays for
                // an exact count (lines only), so a needle-thin cell is refused before allocating.
                if n * n * search.frame.point_bound(search.r_enum) > opts.max_edges as f64 {
                    let total = search.count_all();
                    if total > opts.max_edges as u64 + search.cart.len() as u64 {
                        return Err(too_many(total as f64, opts.max_edges));
                    }
                }
            }
            ImageSearch::Adjacent27 => {
                for (k, s) in SHIFTS27.iter().enumerate() {
                    let t = image_shift(*s, l);
                    (0..3).for_each(|x| search.t27[x][k] = t[x]);
                }
            }
        }
        Ok(search)
    }

    fn count_all(&self) -> u64 {
        let mut total = 0u64;
        for pi in &self.proj {
            for pj in &self.proj {
                let p = [pj[0] - pi[0], pj[1] - pi[1], pj[2] - pi[2]];
                self.frame.for_lines(&p, self.r_enum, |_, _, lo, hi| {
                    total += (hi - lo + 1) as u64;
                    true
                });
            }
        }
        total
    }

    /// The edge vector x_j − x_i + S·L.
    pub fn vector(&self, i: usize, j: usize, s: [i32; 3]) -> [f64; 3] {
        let (xi, xj, t) = (self.cart[i], self.cart[j], image_shift(s, &self.lattice));
        [xj[0] - xi[0] + t[0], xj[1] - xi[1] + t[1], xj[2] - xi[2] + t[2]]
    }

    /// Adds every edge into receiver `i` to `cands`, by sender.
    pub fn receiver(&self, i: usize, cands: &mut Vec<Edge>) {
        match self.images {
            ImageSearch::All => {
                for j in 0..self.cart.len() {
                    self.pair(i, j, |s, _, d2| cands.push(Edge { d2, j: j as u32, s }));
                }
            }
            ImageSearch::Adjacent27 => self.receiver_27(i, cands),
        }
    }

    /// Calls `emit(S, v, d²)` for every image S of atom j within the cutoff of atom i
    /// (v = x_j − x_i + S·L), except (i, i, 0).
    #[inline(always)]
    fn pair<F: FnMut([i32; 3], [f64; 3], f64)>(&self, i: usize, j: usize, emit: F) {
        let (xi, xj, pi, pj) = (self.cart[i], self.cart[j], self.proj[i], self.proj[j]);
        let d = [xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]];
        let p = [pj[0] - pi[0], pj[1] - pi[1], pj[2] - pi[2]];
        self.points::<false, F>(&p, &d, i == j, emit);
    }

    /// Calls `emit(S, v, d²)` for one of each ±S pair of atom i's own images within the cutoff
    /// (v = S·L); the others are (−S, −v).
    #[inline(always)]
    fn self_half<F: FnMut([i32; 3], [f64; 3], f64)>(&self, emit: F) {
        self.points::<true, F>(&[0.0; 3], &[0.0; 3], false, emit);
    }

    /// The images on the lines of [`SphereFrame::for_lines`] around projected displacement `p`
    /// (Cartesian `d`; HALF: [`SphereFrame::for_half_lines`], own images, v = S·L) that pass the
    /// exact test, skipping S = 0 when `same`.
    #[inline(always)]
    fn points<const HALF: bool, F: FnMut([i32; 3], [f64; 3], f64)>(
        &self,
        p: &[f64; 3],
        d: &[f64; 3],
        same: bool,
        mut emit: F,
    ) {
        let f = &self.frame;
        let [ra, rb, rc] = f.rows;
        let ua = f.units[0];
        let line = |sc: i32, sb: i32, lo: i32, hi: i32| {
            let (fc, fb, fa) = (sc as f64, sb as f64, lo as f64);
            // v = d + S·L at the start of the line, then step by A (own images: S·L alone, with
            // no d = 0 added, which would turn a −0 component into +0).
            let mut v = if HALF {
                [
                    fc * rc[0] + fb * rb[0] + fa * ra[0],
                    fc * rc[1] + fb * rb[1] + fa * ra[1],
                    fc * rc[2] + fb * rb[2] + fa * ra[2],
                ]
            } else {
                [
                    d[0] + fc * rc[0] + fb * rb[0] + fa * ra[0],
                    d[1] + fc * rc[1] + fb * rb[1] + fa * ra[1],
                    d[2] + fc * rc[2] + fb * rb[2] + fa * ra[2],
                ]
            };
            let mut s = f.image(sc, sb, lo);
            let skip_origin = same && sc == 0 && sb == 0;
            for sa in lo..hi + 1 {
                let d2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                if d2 <= self.r2 && !(skip_origin && sa == 0) {
                    emit(s, v, d2);
                }
                v = [v[0] + ra[0], v[1] + ra[1], v[2] + ra[2]];
                s = [s[0] + ua[0], s[1] + ua[1], s[2] + ua[2]];
            }
            true
        };
        if HALF {
            f.for_half_lines(self.r_enum, line);
        } else {
            f.for_lines(p, self.r_enum, line);
        }
    }

    /// Every edge of the crystal (all images, no cap) straight into `out`, receivers in order.
    /// Up to [`MAX_MIRRORED_ATOMS`] atoms, each pair i < j is enumerated once: receiver i takes
    /// its edges as found, receiver j later copies them from the output mirrored (sender i, image
    /// −S, vector −v). An atom's own images are searched for the first atom only and copied into
    /// the others. Distances are written as d² and square-rooted once a receiver is complete, in
    /// one pass the compiler vectorises (a square root per edge in the search loop stalled it).
    pub fn all_direct<const VECTORS: bool>(
        &self,
        out: &mut NeighborList,
        first: u32,
        max_edges: usize,
        scratch: &mut PairScratch,
    ) -> Result<(), GeomError> {
        let n = self.cart.len();
        let mirror = n <= MAX_MIRRORED_ATOMS;
        scratch.blocks.clear();
        // Every atom's own images are the same lattice points S (vector S·L, whatever the atom):
        // the first receiver searches them, the others copy its finished block.
        let mut own: Option<(usize, usize)> = None;
        for i in 0..n {
            if mirror {
                // Block of pair (j, i), j < i: index j·n − j(j+1)/2 + (i − j − 1).
                for j in 0..i {
                    let k = j * n - j * (j + 1) / 2 + (i - j - 1);
                    let (a, b) = scratch.blocks[k];
                    out.extend_mirrored::<VECTORS>(first + j as u32, a, b);
                }
            }
            let mut searched = out.senders.len();
            // With mirroring and room for them, the pairs j > i go through one writer below.
            let batched = match self.pair_room {
                Some(room) if mirror && (n - i) * room <= MAX_RECEIVER_ROOM => Some(room),
                _ => None,
            };
            let senders = match (mirror, batched) {
                (false, _) => 0..n,
                (true, None) => i..n,
                (true, Some(_)) => i..i + 1,
            };
            for j in senders {
                let start = out.senders.len();
                let sender = first + j as u32;
                if i == j {
                    if let Some((a, b)) = own {
                        // Already square-rooted: finish what this receiver searched before it
                        // (nothing, with mirroring), copy it, and go on searching after it.
                        out.sqrt_range(searched, start);
                        out.extend_copied::<VECTORS>(sender, a, b);
                        searched = out.senders.len();
                        continue;
                    }
                    // Self-images come in ±S pairs: enumerate half, emit both.
                    self.emit_pair::<VECTORS, true>(out, i, i, sender);
                    out.extend_mirrored::<VECTORS>(sender, start, out.senders.len());
                    own = Some((start, out.senders.len()));
                    continue;
                }
                self.emit_pair::<VECTORS, false>(out, i, j, sender);
                if mirror && j > i {
                    scratch.blocks.push((start, out.senders.len()));
                }
            }
            if let Some(room) = batched {
                // The pairs (i, j > i) through one writer for the whole receiver: one capacity
                // check per array, not one per pair.
                let base = out.senders.len();
                out.with_writer::<VECTORS, _>((n - i - 1) * room, |w| {
                    for j in i + 1..n {
                        let (start, sender) = (w.len(), first + j as u32);
                        self.pair(i, j, |s, v, d2| w.push(sender, s, v, d2));
                        scratch.blocks.push((base + start, base + w.len()));
                    }
                });
            }
            out.sqrt_distances(searched);
            let len = out.senders.len();
            if len > max_edges {
                return Err(too_many(len as f64, max_edges));
            }
            out.offsets.push(len as u32);
        }
        Ok(())
    }

    /// Appends the edges of pair (i, j) (SELF: one of each ±S pair of atom i's own images) with
    /// sender `sender` and d² as distance: through one [`NeighborList::with_writer`] when the
    /// pair's image bound is small (every ordinary cell), else edge by edge.
    #[inline(always)]
    fn emit_pair<const VECTORS: bool, const SELF: bool>(
        &self,
        out: &mut NeighborList,
        i: usize,
        j: usize,
        sender: u32,
    ) {
        if let Some(room) = self.pair_room {
            out.with_writer::<VECTORS, _>(room, |w| {
                let emit = |s, v, d2| w.push(sender, s, v, d2);
                if SELF {
                    self.self_half(emit)
                } else {
                    self.pair(i, j, emit)
                }
            });
        } else {
            let emit = |s, v, d2| out.push_edge::<VECTORS>(sender, s, v, d2);
            if SELF {
                self.self_half(emit)
            } else {
                self.pair(i, j, emit)
            }
        }
    }

    fn receiver_27(&self, i: usize, cands: &mut Vec<Edge>) {
        let xi = self.cart[i];
        let [tx, ty, tz] = &self.t27;
        for (j, xj) in self.cart.iter().enumerate() {
            let d = [xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]];
            // All 27 squared lengths first (a loop the compiler vectorises), then the keepers.
            let mut d2 = [0.0; 27];
            for k in 0..27 {
                let (x, y, z) = (d[0] + tx[k], d[1] + ty[k], d[2] + tz[k]);
                d2[k] = x * x + y * y + z * z;
            }
            for (k, &q) in d2.iter().enumerate() {
                if q > CDVAE_MIN_D2 && q <= self.r2 {
                    cands.push(Edge {
                        d2: q,
                        j: j as u32,
                        s: SHIFTS27[k],
                    });
                }
            }
        }
    }
}

/// The 27 images S ∈ {−1, 0, 1}³ in lexicographic order.
const SHIFTS27: [[i32; 3]; 27] = {
    let mut out = [[0; 3]; 27];
    let mut k = 0;
    while k < 27 {
        out[k] = [(k / 9) as i32 - 1, (k / 3 % 3) as i32 - 1, (k % 3) as i32 - 1];
        k += 1;
    }
    out
};

fn bounding_box(cart: &[[f64; 3]]) -> ([f64; 3], [f64; 3]) {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for x in cart {
        for k in 0..3 {
            lo[k] = lo[k].min(x[k]);
            hi[k] = hi[k].max(x[k]);
        }
    }
    (lo, hi)
}
