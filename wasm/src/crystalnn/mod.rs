//! pymatgen's `CrystalNN` (2022.11.7, the maths unchanged since 2019) and matminer's
//! `CrystalNNFingerprint.from_preset("ops")` (0.8.0), as CDVAE uses them
//! (docs: metrics-reference-crystalnn.md).
//!
//! Per site n:
//! 1. the candidate set P: every periodic image of every atom within the search cutoff (7 Å) of
//!    the centre's stored position (pymatgen's `get_sites_in_sphere`, d² ≤ r² + 1e-8);
//! 2. the Voronoi cell of the centre among P ([`voronoi`]); an unbounded cell doubles the cutoff,
//!    capped at the longest body diagonal + 0.011 Å, and fails the crystal there;
//! 3. per face: weight Ω/Ω_max; then CrystalNN's porous adjustment (×Ω/area), electronegativity
//!    factor, renormalisation, distance cutoffs on covalent radii, rounding to 3 decimals (exact,
//!    ties to even, as Python's `round`) and the semicircle integral over the distinct weights,
//!    giving the probability of each coordination number;
//! 4. the encoder graph takes the neighbours of the most probable CN; the fingerprint weights the
//!    order parameters of each CN ([`ops`]) by its probability (61 values per site).
//!
//! Atoms that coincide with the centre are left out of its tessellation, as Qhull drops the later
//! of two duplicate points.

pub mod ops;
pub mod voronoi;

#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use crate::error::GeomError;
use crate::geometry::{dot, frac_to_cart, image_shift, norm, CrystalView};
use crate::neighbors::SphereFrame;
use voronoi::{voronoi_cell, CellError, CellScratch};

/// Length of the fingerprint of one site (and of the structure mean).
pub const FINGERPRINT_LEN: usize = 61;
/// Largest coordination number the fingerprint covers.
pub const MAX_FP_CN: usize = 24;
/// Largest number of candidate points one site's tessellation may use (refused above it).
pub const MAX_CANDIDATES: usize = 1 << 20;

/// The facts CrystalNN reads per element, embedded from data/elements/crystalnn.json.
const ELEMENTS_JSON: &str = include_str!("../../../data/elements/crystalnn.json");

struct ElementFacts {
    radius: Vec<Option<f64>>,
    x: Vec<Option<f64>>,
}

fn parse_list(text: &str, key: &str) -> Vec<Option<f64>> {
    let start = text.find(key).expect("key in crystalnn.json") + key.len();
    let rest = &text[start..];
    let body = &rest[rest.find('[').unwrap() + 1..rest.find(']').unwrap()];
    body.split(',')
        .map(|s| match s.trim() {
            "null" => None,
            v => Some(v.parse().expect("a number in crystalnn.json")),
        })
        .collect()
}

fn facts() -> &'static ElementFacts {
    static TABLE: OnceLock<ElementFacts> = OnceLock::new();
    TABLE.get_or_init(|| ElementFacts {
        radius: parse_list(ELEMENTS_JSON, "\"radius\":"),
        x: parse_list(ELEMENTS_JSON, "\"x\":"),
    })
}

/// pymatgen's `_get_default_radius` for a plain element: Cordero covalent radius, else the atomic
/// radius, else None.
pub fn default_radius(z: u8) -> Option<f64> {
    (z as usize).checked_sub(1).and_then(|i| facts().radius.get(i).copied().flatten())
}

/// Pauling electronegativity (pymatgen `Element.X`); None where pymatgen gives NaN.
pub fn electronegativity(z: u8) -> Option<f64> {
    (z as usize).checked_sub(1).and_then(|i| facts().x.get(i).copied().flatten())
}

/// CrystalNN's parameters (pymatgen's names).
#[derive(Clone, Debug)]
pub struct CnnOptions {
    /// (lo, hi) in Å added to the radius sum, or None to skip the distance step.
    pub distance_cutoffs: Option<(f64, f64)>,
    /// Electronegativity weight; the step runs only when > 0.
    pub x_diff_weight: f64,
    pub porous_adjustment: bool,
    /// Starting search cutoff of the Voronoi candidates (Å).
    pub search_cutoff: f64,
}

impl CnnOptions {
    /// `CrystalNN()`: what the fingerprint uses.
    pub fn fingerprint() -> Self {
        CnnOptions {
            distance_cutoffs: Some((0.5, 1.0)),
            x_diff_weight: 3.0,
            porous_adjustment: true,
            search_cutoff: 7.0,
        }
    }

    /// CDVAE's encoder graph: `CrystalNN(distance_cutoffs=None, x_diff_weight=-1, porous_adjustment=False)`.
    pub fn encoder() -> Self {
        CnnOptions {
            distance_cutoffs: None,
            x_diff_weight: -1.0,
            porous_adjustment: false,
            search_cutoff: 7.0,
        }
    }

    pub fn check(&self) -> Result<(), GeomError> {
        if !(self.search_cutoff.is_finite() && self.search_cutoff > 0.0 && self.search_cutoff <= 100.0) {
            return Err(GeomError::BadParameter { name: "searchCutoff", value: self.search_cutoff });
        }
        if !self.x_diff_weight.is_finite() {
            return Err(GeomError::BadParameter { name: "xDiffWeight", value: self.x_diff_weight });
        }
        if let Some((lo, hi)) = self.distance_cutoffs {
            if !(lo.is_finite() && hi.is_finite() && hi > lo) {
                return Err(GeomError::BadParameter { name: "distanceCutoffs (need lo < hi)", value: hi });
            }
        }
        Ok(())
    }
}

/// One neighbour kept by CrystalNN: structure site index, image (relative to the site's stored
/// fractional coordinates), rounded weight, and the Cartesian vector from the centre.
#[derive(Clone, Debug, PartialEq)]
pub struct NnEntry {
    pub site: u32,
    pub image: [i32; 3],
    pub weight: f64,
    pub vec: [f64; 3],
}

/// `get_nn_data`: the kept neighbours by descending rounded weight, and the CN probabilities in
/// pymatgen's dict order (ascending CN, CN 0 last). `cn_nninfo[cn]` is `nn[..cn]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NnData {
    pub nn: Vec<NnEntry>,
    pub cn_weights: Vec<(usize, f64)>,
}

impl NnData {
    /// `get_nn_info` with `weighted_cn=False`: the CN of largest probability (first in dict
    /// order on ties); its neighbours.
    pub fn selected(&self) -> &[NnEntry] {
        let mut best: Option<(usize, f64)> = None;
        for &(cn, w) in &self.cn_weights {
            if best.is_none_or(|(_, b)| w > b) {
                best = Some((cn, w));
            }
        }
        match best {
            Some((cn, _)) => &self.nn[..cn],
            None => &[],
        }
    }

    pub fn cn_weight(&self, cn: usize) -> f64 {
        self.cn_weights.iter().find(|c| c.0 == cn).map_or(0.0, |c| c.1)
    }
}

/// Python's `round(x, 3)` (exact decimal rounding of the binary value, ties to even).
pub fn round3(x: f64) -> f64 {
    format!("{x:.3}").parse().unwrap_or(x)
}

/// The area under the unit circle from `bins[idx + 1]` to `bins[idx]`, over π/4.
fn semicircle_integral(x1: f64, x2: f64) -> f64 {
    let f = |x: f64| 0.5 * (x * (1.0 - x * x).sqrt() + (x / (1.0 - x * x).sqrt()).atan());
    let a1 = if x1 == 1.0 { 0.25 * std::f64::consts::PI } else { f(x1) };
    (a1 - f(x2)) / (0.25 * std::f64::consts::PI)
}

struct Candidate {
    d2: f64,
    v: [f64; 3],
    j: u32,
    s: [i32; 3],
}

/// A crystal prepared for per-site CrystalNN queries.
pub struct CrystalNN<'a> {
    lattice: [f64; 9],
    frac: &'a [f64],
    numbers: &'a [u8],
    cart: Vec<[f64; 3]>,
    /// Per atom, the first atom it is a periodic image of (pymatgen's `_get_original_site`).
    original: Vec<u32>,
    max_cutoff: f64,
    frames: Vec<(f64, SphereFrame)>,
    cands: Vec<Candidate>,
    points: Vec<[f64; 3]>,
    scratch: CellScratch,
}

impl<'a> CrystalNN<'a> {
    /// Checks atomic numbers (1–118) and prepares `c`.
    pub fn new(c: &CrystalView<'a>, numbers: &'a [u8]) -> Result<Self, GeomError> {
        if let Some(&z) = numbers.iter().find(|&&z| z == 0 || z > 118) {
            return Err(GeomError::BadParameter { name: "atomic number", value: z as f64 });
        }
        let l = c.lattice;
        let n = c.n_atoms();
        let mut original = Vec::with_capacity(n);
        for j in 0..n {
            let fj = &c.frac[3 * j..3 * j + 3];
            let first = (0..j)
                .find(|&i| {
                    numbers[i] == numbers[j]
                        && (0..3).all(|k| {
                            let d = fj[k] - c.frac[3 * i + k];
                            (d - d.round()).abs() <= 1e-8
                        })
                })
                .unwrap_or(j);
            original.push(first as u32);
        }
        let corners = [[1.0, 1.0, 1.0], [-1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [1.0, 1.0, -1.0]];
        let max_cutoff = corners.iter().map(|f| norm(&frac_to_cart(f, &l))).fold(0.0, f64::max) + 0.01;
        Ok(CrystalNN {
            lattice: l,
            frac: c.frac,
            numbers,
            cart: c.cart(),
            original,
            max_cutoff,
            frames: Vec::new(),
            cands: Vec::new(),
            points: Vec::new(),
            scratch: CellScratch::default(),
        })
    }

    pub fn n_atoms(&self) -> usize {
        self.numbers.len()
    }

    /// Fills `self.cands` with every image within `r` of atom `n` (coincident ones excluded),
    /// nearest first.
    fn candidates(&mut self, n: usize, r: f64) -> Result<(), GeomError> {
        let l = self.lattice;
        if !self.frames.iter().any(|f| f.0 == r) {
            self.frames.push((r, SphereFrame::new(&l, r)));
        }
        let frame = &self.frames.iter().find(|f| f.0 == r).unwrap().1;
        // A cheap bound on the work before enumerating.
        let vol = crate::geometry::volume(&l);
        let expected = self.cart.len() as f64 * (4.0 / 3.0 * std::f64::consts::PI * r * r * r / vol + 1.0);
        if expected > MAX_CANDIDATES as f64 || frame.point_bound(r) * self.cart.len() as f64 > 64.0 * MAX_CANDIDATES as f64 {
            return Err(GeomError::TooLarge {
                what: "Voronoi candidates of one site (the search cutoff had to grow too far)",
                value: expected,
                max: MAX_CANDIDATES as f64,
            });
        }
        self.cands.clear();
        let c = self.cart[n];
        let r2 = r * r + crate::neighbors::PYMATGEN_TOL;
        for (j, xj) in self.cart.iter().enumerate() {
            let d = [xj[0] - c[0], xj[1] - c[1], xj[2] - c[2]];
            let cands = &mut self.cands;
            frame.for_each(&d, r, |s| {
                let sh = image_shift(s, &l);
                let v = [d[0] + sh[0], d[1] + sh[1], d[2] + sh[2]];
                let d2 = dot(&v, &v);
                if d2 <= r2 && d2 >= 1e-20 {
                    cands.push(Candidate { d2, v, j: j as u32, s });
                }
                true
            });
        }
        self.cands.sort_by(|a, b| a.d2.total_cmp(&b.d2));
        Ok(())
    }

    /// The faces of site `n`'s Voronoi cell as (candidate index, Ω, area), after the cutoff loop.
    fn faces(&mut self, n: usize, search_cutoff: f64) -> Result<Vec<(usize, f64, f64)>, GeomError> {
        let mut cutoff = search_cutoff;
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.candidates(n, cutoff)?;
            self.points.clear();
            self.points.extend(self.cands.iter().map(|c| c.v));
            match voronoi_cell(&self.points, cutoff, &mut self.scratch) {
                Ok(faces) => {
                    return Ok(faces
                        .iter()
                        .filter(|f| f.area > 1e-12)
                        .map(|f| (f.point, f.solid_angle, f.area))
                        .collect())
                }
                Err(CellError::Unbounded) => {
                    if cutoff >= self.max_cutoff {
                        return Err(GeomError::NoConvergence {
                            algorithm: "VoronoiNN (a site's Voronoi cell stays unbounded up to the longest cell diagonal, \
                                        pymatgen's \"max cutoff exceeded\")",
                            steps: attempts,
                        });
                    }
                    cutoff = (2.0 * cutoff).min(self.max_cutoff + 0.001);
                }
            }
        }
    }

    /// `CrystalNN.get_nn_data(structure, n)` with `opts`.
    pub fn nn_data(&mut self, n: usize, opts: &CnnOptions) -> Result<NnData, GeomError> {
        let faces = self.faces(n, opts.search_cutoff)?;
        let max_sa = faces.iter().map(|f| f.1).fold(f64::NEG_INFINITY, f64::max);
        // VoronoiNN: weight Ω/Ω_max for faces with Ω > 0.
        let mut nn: Vec<(f64, usize)> = faces
            .iter()
            .filter(|f| f.1 > 0.0)
            .map(|&(k, sa, area)| {
                let mut w = sa / max_sa;
                if opts.porous_adjustment {
                    w *= sa / area;
                }
                (w, k)
            })
            .collect();
        if nn.is_empty() {
            return Err(GeomError::BadParameter {
                name: "site without Voronoi neighbours (pymatgen: \"No Voronoi neighbors found\")",
                value: n as f64,
            });
        }
        let zc = self.numbers[n];
        if opts.x_diff_weight > 0.0 {
            let x1 = electronegativity(zc);
            for e in nn.iter_mut() {
                let x2 = electronegativity(self.numbers[self.cands[e.1].j as usize]);
                if let (Some(x1), Some(x2)) = (x1, x2) {
                    e.0 *= 1.0 + opts.x_diff_weight * ((x1 - x2).abs() / 3.3).sqrt();
                }
            }
        }
        let empty = || NnData { nn: Vec::new(), cn_weights: vec![(0, 1.0)] };
        nn.sort_by(|a, b| b.0.total_cmp(&a.0));
        if nn[0].0 == 0.0 {
            return Ok(empty());
        }
        let top = nn[0].0;
        for e in nn.iter_mut() {
            e.0 /= top;
        }
        if let Some((lo_off, hi_off)) = opts.distance_cutoffs {
            let r1 = default_radius(zc).ok_or(GeomError::BadParameter {
                name: "atomic number without a covalent or atomic radius (CrystalNN distance cutoffs)",
                value: zc as f64,
            })?;
            for e in nn.iter_mut() {
                let zj = self.numbers[self.cands[e.1].j as usize];
                let r2 = default_radius(zj).ok_or(GeomError::BadParameter {
                    name: "atomic number without a covalent or atomic radius (CrystalNN distance cutoffs)",
                    value: zj as f64,
                })?;
                let d = r1 + r2;
                let dist = self.cands[e.1].d2.sqrt();
                let (lo, hi) = (d + lo_off, d + hi_off);
                let dw = if dist <= lo {
                    1.0
                } else if dist < hi {
                    (((dist - lo) / (hi - lo) * std::f64::consts::PI).cos() + 1.0) * 0.5
                } else {
                    0.0
                };
                e.0 *= dw;
            }
            nn.sort_by(|a, b| b.0.total_cmp(&a.0));
            if nn[0].0 == 0.0 {
                return Ok(empty());
            }
        }
        let mut out = NnData::default();
        for &(w, k) in &nn {
            let w = round3(w);
            if w > 0.0 {
                let c = &self.cands[k];
                let orig = self.original[c.j as usize] as usize;
                let image = if orig == c.j as usize {
                    c.s
                } else {
                    let f = |x: usize| {
                        (self.frac[3 * c.j as usize + x] + c.s[x] as f64 - self.frac[3 * orig + x]).round() as i32
                    };
                    [f(0), f(1), f(2)]
                };
                out.nn.push(NnEntry { site: orig as u32, image, weight: w, vec: c.v });
            }
        }
        let mut total = 0.0;
        let mut i = 0;
        while i < out.nn.len() {
            let w = out.nn[i].weight;
            let mut end = i;
            while end < out.nn.len() && out.nn[end].weight == w {
                end += 1;
            }
            let next = out.nn.get(end).map_or(0.0, |e| e.weight);
            let s = semicircle_integral(w, next);
            out.cn_weights.push((end, s));
            total += s;
            i = end;
        }
        let cn0 = 1.0 - total;
        if cn0 > 0.0 {
            out.cn_weights.push((0, cn0));
        }
        Ok(out)
    }

    /// matminer's `CrystalNNFingerprint.from_preset("ops").featurize(structure, n)`, into `out`
    /// (61 values).
    pub fn fingerprint_site(&mut self, n: usize, out: &mut [f64]) -> Result<(), GeomError> {
        let data = self.nn_data(n, &CnnOptions::fingerprint())?;
        site_fingerprint(&data, out);
        Ok(())
    }
}

/// The 61 features of one site from its `get_nn_data`.
pub fn site_fingerprint(data: &NnData, out: &mut [f64]) {
    let mut at = 0;
    let mut vecs: Vec<[f64; 3]> = Vec::new();
    for cn in 1..=MAX_FP_CN {
        let wt = data.cn_weight(cn);
        out[at] = wt;
        at += 1;
        let ops = ops::ops_for_cn(cn);
        if wt != 0.0 && !ops.is_empty() {
            vecs.clear();
            vecs.extend(data.nn[..cn].iter().map(|e| e.vec));
        }
        for op in ops {
            out[at] = if wt == 0.0 { 0.0 } else { wt * ops::order_parameter(op, &vecs).unwrap_or(0.0) };
            at += 1;
        }
    }
    debug_assert_eq!(at, FINGERPRINT_LEN);
}

/// The structure fingerprint CDVAE uses: the mean over sites of the 61 site features.
pub fn structure_fingerprint(c: &CrystalView, numbers: &[u8], out: &mut [f64]) -> Result<(), GeomError> {
    let mut cnn = CrystalNN::new(c, numbers)?;
    let n = cnn.n_atoms();
    let mut site = [0.0; FINGERPRINT_LEN];
    out[..FINGERPRINT_LEN].fill(0.0);
    for i in 0..n {
        cnn.fingerprint_site(i, &mut site)?;
        for (o, s) in out.iter_mut().zip(site.iter()) {
            *o += s;
        }
    }
    for o in out[..FINGERPRINT_LEN].iter_mut() {
        *o /= n as f64;
    }
    Ok(())
}
