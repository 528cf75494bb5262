/**
 * The 3D unit-cell view of a result card, drawn with 3Dmol.js (loaded by the page as the global
 * `$3Dmol` from `web/3Dmol-min.js`, copied from the npm package at build time). Atoms are spheres
 * coloured by element (Jmol colours) and sized by 3Dmol's van der Waals radii; the cell's twelve
 * edges are thin cylinders; an atom on a face, edge or corner of the cell is drawn at every
 * equivalent position on the cell's boundary, as crystallographic viewers do.
 *
 * @module
 */

import { boundaryImages } from "./cell.ts";

/** The part of 3Dmol.js this file uses. */
export interface Viewer3D {
  addModel(data: string, format: string): unknown;
  setStyle(sel: object, style: object): void;
  addCylinder(spec: object): void;
  zoomTo(): void;
  zoom(factor: number): void;
  rotate(degrees: number, axis: string): void;
  render(): void;
  resize(): void;
  pngURI(): string;
}

interface ThreeDmol {
  createViewer(el: HTMLElement, config: object): Viewer3D;
  elementColors: { Jmol: Record<string, number> };
}

declare const $3Dmol: ThreeDmol;

/** Cartesian coordinates of fractional ones (rows of `lattice` are the cell vectors). */
function cart(lattice: ArrayLike<number>, f: ArrayLike<number>, i: number): [number, number, number] {
  const [u, v, w] = [f[3 * i], f[3 * i + 1], f[3 * i + 2]];
  return [0, 1, 2].map((k) => u * lattice[k] + v * lattice[3 + k] + w * lattice[6 + k]) as [
    number,
    number,
    number,
  ];
}

/**
 * Draws a crystal's unit cell into `el` and returns the viewer (mouse: rotate, zoom, pan).
 *
 * @param symbols Element symbol of each atomic number (index = Z)
 */
export function drawCell(
  el: HTMLElement,
  crystal: { lattice9: ArrayLike<number>; frac: ArrayLike<number>; numbers: ArrayLike<number> },
  symbols: readonly string[],
): Viewer3D {
  const viewer = $3Dmol.createViewer(el, { backgroundColor: "white", antialias: true });
  const { frac, numbers } = boundaryImages(crystal.frac, crystal.numbers);
  const lines = [String(numbers.length), "cdvae"];
  for (let i = 0; i < numbers.length; i++) {
    lines.push(
      `${symbols[numbers[i]]} ${cart(crystal.lattice9, frac, i).map((x) => x.toFixed(5)).join(" ")}`,
    );
  }
  viewer.addModel(lines.join("\n") + "\n", "xyz");
  viewer.setStyle({}, { sphere: { scale: 0.4, colorscheme: "Jmol" } });
  const corner = (a: number, b: number, c: number) => {
    const [x, y, z] = cart(crystal.lattice9, [a, b, c], 0);
    return { x, y, z };
  };
  for (const [a, b] of CELL_EDGES) {
    viewer.addCylinder({
      start: corner(...a),
      end: corner(...b),
      radius: 0.05,
      color: "#444444",
      fromCap: 1,
      toCap: 1,
    });
  }
  // A slightly oblique view shows the cell as a box rather than a square.
  viewer.rotate(-25, "y");
  viewer.rotate(20, "x");
  viewer.zoomTo();
  viewer.zoom(1.2);
  viewer.render();
  return viewer;
}

type Corner = [number, number, number];
/** The 12 edges of the unit cube, in fractional corners. */
const CELL_EDGES: [Corner, Corner][] = (() => {
  const edges: [Corner, Corner][] = [];
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 2; b++) {
      edges.push([[0, a, b], [1, a, b]], [[a, 0, b], [a, 1, b]], [[a, b, 0], [a, b, 1]]);
    }
  }
  return edges;
})();

/** The CSS colour 3Dmol gives an element (Jmol scheme), for the card's legend. */
export function elementColor(symbol: string): string {
  const c = typeof $3Dmol === "undefined" ? undefined : $3Dmol.elementColors.Jmol[symbol];
  return c === undefined ? "#ff1493" : `#${c.toString(16).padStart(6, "0")}`;
}
