use super::voronoi::{solid_angle, voronoi_cell, CellScratch};
use super::*;
use crate::geometry::Batch;

fn view<'a>(lattice: &'a [f64], frac: &'a [f64], offsets: &'a [u32]) -> CrystalView<'a> {
    Batch::new(lattice, frac, offsets).unwrap().crystal(0).unwrap()
}

#[test]
fn round3_is_pythons_round() {
    assert_eq!(round3(0.0625), 0.062);
    assert_eq!(round3(0.1875), 0.188);
    assert_eq!(round3(0.4375), 0.438);
    assert_eq!(round3(0.8125), 0.812);
    assert_eq!(round3(0.0004999), 0.0);
    assert_eq!(round3(1.0), 1.0);
}

#[test]
fn element_facts_load() {
    assert_eq!(default_radius(6), Some(0.73));
    assert_eq!(default_radius(97), None);
    assert_eq!(electronegativity(18), None);
    assert_eq!(electronegativity(9), Some(3.98));
}

#[test]
fn cube_cell_of_simple_cubic_points() {
    let mut pts = vec![];
    for x in -2i32..=2 {
        for y in -2i32..=2 {
            for z in -2i32..=2 {
                if (x, y, z) != (0, 0, 0) {
                    pts.push([x as f64 * 2.0, y as f64 * 2.0, z as f64 * 2.0]);
                }
            }
        }
    }
    pts.sort_by(|a, b| dot(a, a).total_cmp(&dot(b, b)));
    let faces = voronoi_cell(&pts, 7.0, &mut CellScratch::default()).unwrap();
    assert_eq!(faces.len(), 6, "{faces:?}");
    for f in &faces {
        assert!((f.solid_angle - 4.0 * std::f64::consts::PI / 6.0).abs() < 1e-12);
        assert!((f.area - 4.0).abs() < 1e-12);
    }
}

#[test]
fn unbounded_cell_is_reported() {
    let pts = vec![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]];
    assert_eq!(voronoi_cell(&pts, 7.0, &mut CellScratch::default()), Err(voronoi::CellError::Unbounded));
}

#[test]
fn solid_angle_of_a_cube_face() {
    let f = [[1.0, -1.0, -1.0], [1.0, 1.0, -1.0], [1.0, 1.0, 1.0], [1.0, -1.0, 1.0]];
    assert!((solid_angle(&f) - 4.0 * std::f64::consts::PI / 6.0).abs() < 1e-14);
}

#[test]
fn fcc_and_bcc_one_atom_cells() {
    let a = 3.6;
    let fcc = [0.0, a / 2.0, a / 2.0, a / 2.0, 0.0, a / 2.0, a / 2.0, a / 2.0, 0.0];
    let frac = [0.0; 3];
    let offsets = [0u32, 1];
    let c = view(&fcc, &frac, &offsets);
    let mut cnn = CrystalNN::new(&c, &[29]).unwrap();
    let d = cnn.nn_data(0, &CnnOptions::fingerprint()).unwrap();
    assert_eq!(d.nn.len(), 12);
    assert_eq!(d.cn_weights, vec![(12, 1.0)]);
    let mut fp = [0.0; FINGERPRINT_LEN];
    site_fingerprint(&d, &mut fp);
    assert_eq!(fp[44], 1.0);
    assert!((fp[45] - 1.0).abs() < 1e-9, "cuboct_max {}", fp[45]);
    let h = 1.435;
    let bcc = [-h, h, h, h, -h, h, h, h, -h];
    let c = view(&bcc, &frac, &offsets);
    let mut cnn = CrystalNN::new(&c, &[26]).unwrap();
    let d = cnn.nn_data(0, &CnnOptions::fingerprint()).unwrap();
    assert_eq!(d.nn.len(), 14);
    assert_eq!(d.cn_weights.iter().map(|c| c.0).collect::<Vec<_>>(), vec![8, 14]);
    assert_eq!(d.selected().len(), 8);
}

#[test]
fn ideal_motifs_give_one() {
    let oct = [[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, -1.0]];
    let v = ops::order_parameter(&ops::OCT_MAX, &oct).unwrap();
    assert!((v - 1.0).abs() < 1e-12, "{v}");
    let t = 1.0 / 3f64.sqrt();
    let tet = [[t, t, t], [t, -t, -t], [-t, t, -t], [-t, -t, t]];
    let v = ops::order_parameter(&ops::TET_MAX, &tet).unwrap();
    assert!((v - 1.0).abs() < 1e-9, "{v}");
    let cube: Vec<[f64; 3]> = (0..8)
        .map(|i| [if i & 1 == 0 { t } else { -t }, if i & 2 == 0 { t } else { -t }, if i & 4 == 0 { t } else { -t }])
        .collect();
    let v = ops::order_parameter(&ops::BCC, &cube).unwrap();
    assert!((v - 1.0).abs() < 1e-9, "{v}");
}

