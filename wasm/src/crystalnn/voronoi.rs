//! The Voronoi cell of one point among a finite point set, by half-space clipping in f64.
//!
//! pymatgen's `VoronoiNN` runs Qhull on the site and every periodic image within the search cutoff
//! and reads the site's cell from that finite tessellation (metrics-reference-crystalnn.md §2).
//! Here the cell is built directly: the centre sits at the origin, and a large cube is clipped by
//! the bisector half-space {x : x·p ≤ |p|²/2} of each other point p, nearest first. Once every
//! vertex of the cell is closer than half the distance to the next point, no later point can cut
//! it, so the loop stops. A cube face that survives all cuts means the cell is unbounded (Qhull's
//! "infinite vertex"); the cube is first 2× the cutoff (a cell with all vertices within half the
//! cutoff is the usual case) and, only if a face survives, 1000× larger, to tell a large bounded
//! cell from an unbounded one.
//!
//! Degenerate contacts (a bisector plane that only touches a vertex or an edge, common in exactly
//! symmetric crystals) give no face, as Qhull reports no ridge for them: vertices within
//! [`ON_PLANE`] of a plane count as on it and are kept, and a cap needs three distinct vertices.

use crate::geometry::{cross, dot, norm};

/// Vertices this close to a cutting plane (Å) count as on it.
const ON_PLANE: f64 = 1e-10;
/// Cap vertices closer than this (Å) are one vertex.
const SAME_VERTEX: f64 = 1e-12;
/// Plane ids of the six faces of the starting cube (`usize::MAX - k`).
const BOX_ID: usize = usize::MAX - 8;

/// One face of the centre's cell: the shared facet with `point` (an index into the input points).
#[derive(Clone, Debug, PartialEq)]
pub struct Face {
    pub point: usize,
    /// Solid angle (sr) the facet subtends at the centre (Van Oosterom–Strackee, as pymatgen).
    pub solid_angle: f64,
    /// Facet area (Å²), as pymatgen: 3·volume / face_dist.
    pub area: f64,
    /// Volume of the pyramid from the centre to the facet (Å³).
    pub volume: f64,
    /// Distance from the centre to the facet (half the distance to `point`).
    pub face_dist: f64,
    /// Number of facet vertices.
    pub n_verts: usize,
}

/// Why the cell could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellError {
    /// The cell is unbounded: the centre lies on the hull of the points (too few or flat).
    Unbounded,
}

#[derive(Clone, Debug, Default)]
struct PolyFace {
    id: usize,
    verts: Vec<u32>,
}

/// A convex polyhedron as faces over a vertex list (rebuilt at every cut).
#[derive(Default)]
pub struct CellScratch {
    verts: Vec<[f64; 3]>,
    faces: Vec<PolyFace>,
    spare: Vec<PolyFace>,
    new_verts: Vec<[f64; 3]>,
    remap: Vec<u32>,
    side: Vec<f64>,
    cuts: Vec<(u32, u32, u32)>,
    cap: Vec<u32>,
    order: Vec<(f64, u32)>,
}

impl CellScratch {
    fn reset_cube(&mut self, h: f64) {
        self.verts.clear();
        for i in 0..8 {
            let s = |b: usize| if i & b != 0 { h } else { -h };
            self.verts.push([s(1), s(2), s(4)]);
        }
        let quads: [[u32; 4]; 6] = [
            [0, 2, 6, 4],
            [1, 3, 7, 5],
            [0, 1, 5, 4],
            [2, 3, 7, 6],
            [0, 1, 3, 2],
            [4, 5, 7, 6],
        ];
        self.spare.append(&mut self.faces);
        for (k, q) in quads.iter().enumerate() {
            let mut f = self.spare.pop().unwrap_or_default();
            f.id = BOX_ID + k;
            f.verts.clear();
            f.verts.extend_from_slice(q);
            self.faces.push(f);
        }
    }

    fn max_r2(&self) -> f64 {
        self.verts.iter().map(|v| dot(v, v)).fold(0.0, f64::max)
    }

    /// Clips by {x : n·x ≤ h} (n not normalised, `scale` = |n|), the new face getting `id`.
    /// Returns false when the plane does not cut.
    fn clip(&mut self, n: &[f64; 3], h: f64, scale: f64, id: usize) -> bool {
        let tol = ON_PLANE * scale;
        self.side.clear();
        let mut any_out = false;
        for v in &self.verts {
            let s = dot(n, v) - h;
            any_out |= s > tol;
            self.side.push(s);
        }
        if !any_out {
            return false;
        }
        // Keep inside/on vertices (renumbered), then add one cut point per crossing edge.
        self.new_verts.clear();
        self.remap.clear();
        self.cap.clear();
        for (i, v) in self.verts.iter().enumerate() {
            if self.side[i] > tol {
                self.remap.push(u32::MAX);
            } else {
                let k = self.new_verts.len() as u32;
                self.remap.push(k);
                self.new_verts.push(*v);
                if self.side[i] >= -tol {
                    self.cap.push(k);
                }
            }
        }
        self.cuts.clear();
        let mut kept = Vec::with_capacity(self.faces.len());
        let faces = std::mem::take(&mut self.faces);
        for mut f in faces {
            let m = f.verts.len();
            let mut out: Vec<u32> = Vec::with_capacity(m + 1);
            for t in 0..m {
                let a = f.verts[t] as usize;
                let b = f.verts[(t + 1) % m] as usize;
                let (sa, sb) = (self.side[a], self.side[b]);
                if sa <= tol {
                    out.push(self.remap[a]);
                }
                if (sa < -tol && sb > tol) || (sa > tol && sb < -tol) {
                    out.push(self.cut_point(a, b));
                }
            }
            if out.len() >= 3 {
                f.verts = out;
                kept.push(f);
            } else {
                f.verts.clear();
                self.spare.push(f);
            }
        }
        self.faces = kept;
        std::mem::swap(&mut self.verts, &mut self.new_verts);
        self.add_cap(n, id);
        true
    }

    /// The cut point on edge (a, b) (old indices), shared by the two faces of the edge.
    fn cut_point(&mut self, a: usize, b: usize) -> u32 {
        let key = (a.min(b) as u32, a.max(b) as u32);
        if let Some(&(_, _, k)) = self.cuts.iter().find(|c| (c.0, c.1) == key) {
            return k;
        }
        // Interpolate from the inside end, so both faces get the same bits.
        let (i, o) = if self.side[a] < 0.0 { (a, b) } else { (b, a) };
        let (si, so) = (self.side[i], self.side[o]);
        let t = si / (si - so);
        let (vi, vo) = (self.verts[i], self.verts[o]);
        let p = [
            vi[0] + t * (vo[0] - vi[0]),
            vi[1] + t * (vo[1] - vi[1]),
            vi[2] + t * (vo[2] - vi[2]),
        ];
        let k = self.new_verts.len() as u32;
        self.new_verts.push(p);
        self.cuts.push((key.0, key.1, k));
        self.cap.push(k);
        k
    }

    /// Adds the face on the cutting plane: the on-plane vertices and cut points, in angular order.
    fn add_cap(&mut self, n: &[f64; 3], id: usize) {
        if self.cap.len() < 3 {
            return;
        }
        let mut c = [0.0; 3];
        for &k in &self.cap {
            let v = self.verts[k as usize];
            c = [c[0] + v[0], c[1] + v[1], c[2] + v[2]];
        }
        let inv = 1.0 / self.cap.len() as f64;
        c = [c[0] * inv, c[1] * inv, c[2] * inv];
        // In-plane basis.
        let nn = norm(n);
        let u = [n[0] / nn, n[1] / nn, n[2] / nn];
        let helper = if u[0].abs() < 0.9 { [1.0, 0.0, 0.0] } else { [0.0, 1.0, 0.0] };
        let e1 = cross(&u, &helper);
        let l1 = norm(&e1);
        let e1 = [e1[0] / l1, e1[1] / l1, e1[2] / l1];
        let e2 = cross(&u, &e1);
        self.order.clear();
        for &k in &self.cap {
            let v = self.verts[k as usize];
            let d = [v[0] - c[0], v[1] - c[1], v[2] - c[2]];
            self.order.push((dot(&d, &e2).atan2(dot(&d, &e1)), k));
        }
        self.order.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut f = self.spare.pop().unwrap_or_default();
        f.id = id;
        f.verts.clear();
        for &(_, k) in &self.order {
            let v = self.verts[k as usize];
            let dup = |j: u32| {
                let w = self.verts[j as usize];
                norm(&[v[0] - w[0], v[1] - w[1], v[2] - w[2]]) < SAME_VERTEX
            };
            if f.verts.last().is_some_and(|&j| dup(j)) || f.verts.first().is_some_and(|&j| dup(j)) {
                continue;
            }
            f.verts.push(k);
        }
        if f.verts.len() >= 3 {
            self.faces.push(f);
        } else {
            f.verts.clear();
            self.spare.push(f);
        }
    }

    /// Clips the cube of half-size `h` by every point's bisector (points sorted by distance).
    fn build(&mut self, points: &[[f64; 3]], h: f64) {
        self.reset_cube(h);
        let mut max_r = self.max_r2().sqrt();
        for (k, p) in points.iter().enumerate() {
            let d2 = dot(p, p);
            let d = d2.sqrt();
            if 0.5 * d > max_r + ON_PLANE {
                break;
            }
            if self.clip(p, 0.5 * d2, d, k) {
                max_r = self.max_r2().sqrt();
            }
        }
    }

    fn bounded(&self) -> bool {
        self.faces.iter().all(|f| f.id < BOX_ID)
    }
}

/// The Voronoi cell of the origin among `points` (positions relative to the centre, the centre
/// itself and points coinciding with it excluded, sorted by distance ascending), within a starting cube of half-size
/// `2·cutoff` (then `1000·cutoff`). Faces come in no particular order.
pub fn voronoi_cell(points: &[[f64; 3]], cutoff: f64, scratch: &mut CellScratch) -> Result<Vec<Face>, CellError> {
    scratch.build(points, 2.0 * cutoff.max(1.0));
    if !scratch.bounded() {
        scratch.build(points, 1000.0 * cutoff.max(1.0));
        if !scratch.bounded() {
            return Err(CellError::Unbounded);
        }
    }
    let mut faces = Vec::with_capacity(scratch.faces.len());
    for f in &scratch.faces {
        let p = points[f.id];
        let verts: Vec<[f64; 3]> = f.verts.iter().map(|&k| scratch.verts[k as usize]).collect();
        let solid_angle = solid_angle(&verts);
        let mut volume = 0.0;
        for j in 1..verts.len() - 1 {
            volume += vol_tetra(&[0.0; 3], &verts[0], &verts[j], &verts[j + 1]);
        }
        let face_dist = 0.5 * norm(&p);
        faces.push(Face {
            point: f.id,
            solid_angle,
            area: 3.0 * volume / face_dist,
            volume,
            face_dist,
            n_verts: verts.len(),
        });
    }
    Ok(faces)
}

/// Solid angle at the origin of the polygon `coords` (cyclic order), pymatgen's fan of
/// Van Oosterom–Strackee triangles. A fan triangle with zero triple product adds nothing (pymatgen
/// would add 2π there, but Qhull never hands it such a polygon; see the module comment).
pub fn solid_angle(coords: &[[f64; 3]]) -> f64 {
    let n = [norm(&coords[0]), 0.0, 0.0];
    let r0 = coords[0];
    let mut angle = 0.0;
    for i in 1..coords.len() - 1 {
        let (ri, rj) = (coords[i], coords[i + 1]);
        let (ni, nj) = (norm(&ri), norm(&rj));
        let tp = dot(&r0, &cross(&ri, &rj)).abs();
        if tp == 0.0 {
            continue;
        }
        let de = n[0] * ni * nj + nj * dot(&r0, &ri) + ni * dot(&r0, &rj) + n[0] * dot(&ri, &rj);
        let a = if de == 0.0 { std::f64::consts::FRAC_PI_2 } else { (tp / de).atan() };
        angle += 2.0 * if a > 0.0 { a } else { a + std::f64::consts::PI };
    }
    angle
}

/// Volume of the tetrahedron (a, b, c, d), pymatgen's `vol_tetra`: |(a − d)·((b − d) × (c − d))|/6.
pub fn vol_tetra(a: &[f64; 3], b: &[f64; 3], c: &[f64; 3], d: &[f64; 3]) -> f64 {
    let sub = |x: &[f64; 3]| [x[0] - d[0], x[1] - d[1], x[2] - d[2]];
    dot(&sub(a), &cross(&sub(b), &sub(c))).abs() / 6.0
}
