/**
 * Pictures of crystals: an orthographic SVG view of the unit cell along a lattice direction, with
 * atoms coloured (Jmol) and sized (covalent radius × a scale) by element, the cell edges, a legend,
 * a triad of the lattice vectors and a title with the formula and lattice parameters.
 *
 * Hidden parts are handled by the painter's algorithm: atoms and short pieces of the cell edges are
 * drawn from the back to the front, so nearer ones cover farther ones. Depth cueing fades far
 * things towards the background, which makes the front and back layers of a cell tell apart
 * without perspective. Atoms on a face, edge or corner of the cell are drawn at every periodic
 * image on the cell's boundary (a corner atom 8 times), as crystallographers draw a cell.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { formula } from "../crystal/crystal.ts";
import { elementSymbol } from "../crystal/elements.ts";
import { escapeXml, px } from "./chart.ts";
import { elementColor, elementRadius } from "./element_style.ts";

/** A view direction: a lattice vector's name or a lattice direction [u, v, w] (u·a + v·b + w·c). */
export type ViewAxis = "a" | "b" | "c" | readonly [number, number, number];

/** Options of {@linkcode crystalSvg}. */
export interface CrystalSvgOptions {
  /** Look down this lattice direction (it points at the viewer); default "c". */
  axis?: ViewAxis;
  /** Side of the square drawing area in px (default 480; legend and title come on top). */
  size?: number;
  /** Drawn radius = covalent radius × this (default 0.5: the cell's inside stays visible). */
  radiusScale?: number;
  /** First title line (default: the crystal's name, if any, and its formula). */
  title?: string;
  /** Fractional distance from a face within which an atom counts as on it (default 0.005). */
  boundaryTolerance?: number;
}

/** One atom as drawn: one periodic image inside or on the boundary of the cell. */
export interface DrawnAtom {
  /** Index of the site in the crystal. */
  site: number;
  /** Atomic number. */
  z: number;
  /** Fractional coordinates of this image (in [0, 1], up to the tolerance). */
  frac: [number, number, number];
  /** Cartesian position (Å). */
  cart: [number, number, number];
}

/** Share of the way to white that the farthest atoms and edges are faded by. */
const FOG = 0.5;
/** Number of distinct fog levels (one shading gradient per element and level). */
const FOG_LEVELS = 8;
/** Pieces each cell edge is cut into, so that atoms hide only the part of an edge behind them. */
const EDGE_PIECES = 12;

const dot = (p: readonly number[], q: readonly number[]) => p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
const cross = (p: readonly number[], q: readonly number[]): [number, number, number] => [
  p[1] * q[2] - p[2] * q[1],
  p[2] * q[0] - p[0] * q[2],
  p[0] * q[1] - p[1] * q[0],
];
const norm = (p: readonly number[]) => Math.hypot(p[0], p[1], p[2]);
const scaled = (p: readonly number[], s: number): [number, number, number] => [p[0] * s, p[1] * s, p[2] * s];

function row(lattice: Float64Array, i: number): [number, number, number] {
  return [lattice[3 * i], lattice[3 * i + 1], lattice[3 * i + 2]];
}

function fracToCart(lattice: Float64Array, f: readonly number[]): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < 3; k++) out[k] = f[0] * lattice[k] + f[1] * lattice[3 + k] + f[2] * lattice[6 + k];
  return out;
}

/**
 * The atoms a picture of the cell shows: every site wrapped into the cell, plus its images on the
 * opposite face for each coordinate within `tolerance` of 0 or 1.
 *
 * @example Rock salt's conventional cell shows 14 Na and 13 Cl
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const f = [0, 0, 0, 0, .5, .5, .5, 0, .5, .5, .5, 0, .5, 0, 0, 0, .5, 0, 0, 0, .5, .5, .5, .5];
 * const nacl = {
 *   lattice: new Float64Array([5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64]),
 *   frac: new Float64Array(f),
 *   numbers: new Uint8Array([11, 11, 11, 11, 17, 17, 17, 17]),
 * };
 * const atoms = cellAtoms(nacl);
 * assertEquals(atoms.filter((a) => a.z === 11).length, 14);
 * assertEquals(atoms.filter((a) => a.z === 17).length, 13);
 * ```
 */
export function cellAtoms(c: Crystal, tolerance = 0.005): DrawnAtom[] {
  const out: DrawnAtom[] = [];
  for (let i = 0; i < c.numbers.length; i++) {
    const choices = [0, 1, 2].map((k) => {
      let f = c.frac[3 * i + k];
      f -= Math.floor(f);
      if (f > 1 - tolerance) f -= 1; // 0.9999 is the 0 face
      return Math.abs(f) <= tolerance ? [f, f + 1] : [f];
    });
    for (const f0 of choices[0]) {
      for (const f1 of choices[1]) {
        for (const f2 of choices[2]) {
          const frac: [number, number, number] = [f0, f1, f2];
          out.push({ site: i, z: c.numbers[i], frac, cart: fracToCart(c.lattice, frac) });
        }
      }
    }
  }
  return out;
}

/** The lattice direction of a view axis, checked. */
function axisDirection(axis: ViewAxis): [number, number, number] {
  if (axis === "a") return [1, 0, 0];
  if (axis === "b") return [0, 1, 0];
  if (axis === "c") return [0, 0, 1];
  if (
    !Array.isArray(axis) || axis.length !== 3 || !axis.every(Number.isFinite) || axis.every((v) => v === 0)
  ) {
    throw new RangeError(`Cannot draw crystal: view axis "${String(axis)}" is not a non-zero [u, v, w]`);
  }
  return [axis[0], axis[1], axis[2]];
}

/** "[001]"-style label of a direction (integers), or the numbers as given. */
function axisLabel(axis: ViewAxis): string {
  if (typeof axis === "string") return axis;
  return axis.every(Number.isInteger)
    ? `[${axis.map((v) => (v < 0 ? `${-v}\u0305` : String(v))).join("")}]`
    : `[${axis.join(", ")}]`;
}

/**
 * The screen frame looking down `axis`: `toward` points at the viewer, `up` is the part of c (or,
 * when c is nearly along the view, of b) across the view, `right` completes a right-handed frame.
 */
function camera(lattice: Float64Array, axis: ViewAxis) {
  const [u, v, w] = axisDirection(axis);
  const dir = fracToCart(lattice, [u, v, w]);
  const toward = scaled(dir, 1 / norm(dir));
  let up: [number, number, number] = [0, 0, 0];
  for (const k of [2, 1, 0]) {
    const vec = row(lattice, k);
    const across = vec.map((x, j) => x - dot(vec, toward) * toward[j]);
    if (norm(across) > 0.3 * norm(vec)) {
      up = scaled(across, 1 / norm(across));
      break;
    }
  }
  const right = cross(up, toward);
  return { toward, up, right };
}

/** Mixes a `#RRGGBB` colour with white (`t` > 0) or black (`t` < 0). */
function shade(hex: string, t: number): string {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const target = t >= 0 ? 255 : 0, s = Math.abs(t);
  return "#" + rgb.map((x) => Math.round(x + (target - x) * s).toString(16).padStart(2, "0")).join("");
}

/** Formula with counts divided by their greatest common divisor: Na4Cl4 → NaCl. */
function reducedFormula(numbers: Uint8Array): string {
  const counts = new Map<number, number>();
  for (const z of numbers) counts.set(z, (counts.get(z) ?? 0) + 1);
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  const g = [...counts.values()].reduce(gcd, 0);
  if (g === 0) return "(no atoms)";
  return [...counts].map(([z, n]) => `${elementSymbol(z)}${n / g === 1 ? "" : n / g}`).join("");
}

/** a, b, c (Å) and α, β, γ (°) of a lattice, for the subtitle. */
function latticeLine(lattice: Float64Array): string {
  const [a, b, c] = [0, 1, 2].map((i) => row(lattice, i));
  const angle = (p: number[], q: number[]) => Math.acos(dot(p, q) / (norm(p) * norm(q))) * 180 / Math.PI;
  return `a ${norm(a).toFixed(3)} Å, b ${norm(b).toFixed(3)} Å, c ${norm(c).toFixed(3)} Å; ` +
    `α ${angle(b, c).toFixed(1)}°, β ${angle(a, c).toFixed(1)}°, γ ${angle(a, b).toFixed(1)}°`;
}

/**
 * Draws the unit cell of a crystal as SVG, viewed down a lattice direction (orthographic). Each
 * drawn atom is one `<circle class="atom">` with `data-element` and `data-depth` (Å behind the
 * front-most atom or cell corner); circles come in document order from back to front.
 *
 * @param c The crystal
 * @param opts View axis, size, radius scale, title, boundary tolerance
 * @returns The SVG text
 * @throws {RangeError} If the view axis is not a non-zero direction
 *
 * @example Rock salt, primitive cell, down c
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * const h = 2.82;
 * const nacl = {
 *   lattice: new Float64Array([0, h, h, h, 0, h, h, h, 0]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const svg = crystalSvg(nacl, { axis: "c" });
 * assert(svg.startsWith("<svg") && svg.includes("NaCl"));
 * assert(svg.match(/<circle class="atom"/g)!.length === 9); // Na on 8 corners, Cl inside
 * ```
 */
export function crystalSvg(c: Crystal, opts: CrystalSvgOptions = {}): string {
  const axis = opts.axis ?? "c";
  const size = opts.size ?? 480, radiusScale = opts.radiusScale ?? 0.5;
  const cam = camera(c.lattice, axis);
  const atoms = cellAtoms(c, opts.boundaryTolerance ?? 0.005);
  const corners: [number, number, number][] = [];
  for (let k = 0; k < 8; k++) corners.push(fracToCart(c.lattice, [k & 1, (k >> 1) & 1, (k >> 2) & 1]));
  const radius = (z: number) => elementRadius(z) * radiusScale;

  // Screen extent (Å) of everything drawn, then one scale for both screen axes.
  const sxA = (p: readonly number[]) => dot(p, cam.right), syA = (p: readonly number[]) => dot(p, cam.up);
  const xs: number[] = [], ys: number[] = [];
  for (const p of corners) xs.push(sxA(p)), ys.push(syA(p));
  for (const a of atoms) {
    const r = radius(a.z);
    xs.push(sxA(a.cart) - r, sxA(a.cart) + r), ys.push(syA(a.cart) - r, syA(a.cart) + r);
  }
  const [xmin, xmax, ymin, ymax] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const margin = 16, titleH = 52;
  const scale = (size - 2 * margin) / Math.max(xmax - xmin, ymax - ymin, 1e-6);
  const ox = margin + (size - 2 * margin - (xmax - xmin) * scale) / 2;
  const oy = titleH + margin + (size - 2 * margin - (ymax - ymin) * scale) / 2;
  const X = (p: readonly number[]) => ox + (sxA(p) - xmin) * scale;
  const Y = (p: readonly number[]) => oy + (ymax - syA(p)) * scale;

  // Depth: how far behind the front-most thing a point is (0 = front).
  const heights = [...corners, ...atoms.map((a) => a.cart)].map((p) => dot(p, cam.toward));
  const front = Math.max(...heights), back = Math.min(...heights);
  const depthOf = (p: readonly number[]) => front - dot(p, cam.toward);
  const fogLevel = (d: number) =>
    front - back < 1e-9 ? 0 : Math.min(FOG_LEVELS - 1, Math.floor(d / (front - back) * FOG_LEVELS));
  const fogShare = (level: number) => FOG * level / (FOG_LEVELS - 1);

  type Item = { depth: number; svg: string };
  const items: Item[] = [];
  const gradients = new Map<string, string>();
  for (const a of atoms) {
    const depth = depthOf(a.cart), level = fogLevel(depth);
    const id = `g${a.z}_${level}`;
    if (!gradients.has(id)) {
      const base = shade(elementColor(a.z), fogShare(level));
      gradients.set(
        id,
        `<radialGradient id="${id}" cx="0.35" cy="0.35" r="0.7">` +
          `<stop offset="0" stop-color="${shade(base, 0.7)}"/><stop offset="0.45" stop-color="${base}"/>` +
          `<stop offset="1" stop-color="${shade(base, -0.35)}"/></radialGradient>`,
      );
    }
    const stroke = shade(shade(elementColor(a.z), -0.55), fogShare(level));
    items.push({
      depth,
      svg: `<circle class="atom" data-element="${elementSymbol(a.z)}" data-depth="${depth.toFixed(3)}" ` +
        `cx="${px(X(a.cart))}" cy="${px(Y(a.cart))}" r="${px(radius(a.z) * scale)}" fill="url(#${id})" ` +
        `stroke="${stroke}" stroke-width="0.8"/>`,
    });
  }
  // The 12 edges: pairs of corners differing in one bit.
  for (let k = 0; k < 8; k++) {
    for (const bit of [1, 2, 4]) {
      if (k & bit) continue;
      const p = corners[k], q = corners[k | bit];
      for (let s = 0; s < EDGE_PIECES; s++) {
        const at = (t: number) => p.map((x, j) => x + (q[j] - x) * t);
        const p0 = at(s / EDGE_PIECES), p1 = at((s + 1) / EDGE_PIECES), mid = at((s + 0.5) / EDGE_PIECES);
        // Spheres against a line: a piece behind a ball's visible surface (or inside the ball, as
        // an edge through a corner atom) is hidden and not drawn; a piece over a ball's disc but in
        // front of its surface must come after that ball, whatever the centres' order says.
        const depth = depthOf(mid);
        let key = depth, hidden = false;
        for (let i = 0; i < atoms.length && !hidden; i++) {
          const a = atoms[i], r = radius(a.z);
          const rho = Math.hypot(sxA(a.cart) - sxA(mid), syA(a.cart) - syA(mid));
          if (rho >= r) continue;
          const surface = depthOf(a.cart) - Math.sqrt(r * r - rho * rho);
          if (depth > surface) hidden = true;
          else key = Math.min(key, depthOf(a.cart) - 1e-6);
        }
        if (hidden) continue;
        items.push({
          depth: key,
          svg: `<line class="edge" x1="${px(X(p0))}" y1="${px(Y(p0))}" x2="${px(X(p1))}" y2="${px(Y(p1))}" ` +
            `stroke="${
              shade("#333333", fogShare(fogLevel(depth)))
            }" stroke-width="1.6" stroke-linecap="round"/>`,
        });
      }
    }
  }
  items.sort((p, q) => q.depth - p.depth);

  // Legend (right of the drawing): one swatch per element with its count in the cell, then the
  // lattice-vector triad as seen in this view.
  const counts = new Map<number, number>();
  for (const z of c.numbers) counts.set(z, (counts.get(z) ?? 0) + 1);
  const legendX = size + 8;
  const legend: string[] = [];
  let ly = titleH + margin + 10;
  for (const [z, n] of counts) {
    const r = Math.min(11, Math.max(4, radius(z) * scale * 0.5));
    const id = `g${z}_0`;
    if (!gradients.has(id)) {
      const base = elementColor(z);
      gradients.set(
        id,
        `<radialGradient id="${id}" cx="0.35" cy="0.35" r="0.7">` +
          `<stop offset="0" stop-color="${shade(base, 0.7)}"/><stop offset="0.45" stop-color="${base}"/>` +
          `<stop offset="1" stop-color="${shade(base, -0.35)}"/></radialGradient>`,
      );
    }
    legend.push(
      `<circle class="legend-swatch" cx="${legendX + 12}" cy="${ly}" r="${px(r)}" fill="url(#${id})" ` +
        `stroke="${shade(elementColor(z), -0.55)}" stroke-width="0.8"/>`,
      `<text x="${legendX + 30}" y="${ly + 4}">${elementSymbol(z)} × ${n}</text>`,
    );
    ly += 26;
  }
  legend.push(
    `<text x="${legendX + 4}" y="${ly + 4}" font-size="11" fill="#555">r = covalent × ${radiusScale}</text>`,
  );
  const triadC = [legendX + 60, Math.max(ly + 80, titleH + size - 60)];
  const triadColors = ["#c0392b", "#27ae60", "#2e59c7"];
  const labelSpots: [number, number][] = [];
  ["a", "b", "c"].forEach((name, i) => {
    const v = row(c.lattice, i);
    const d = [sxA(v), syA(v)], len = norm(v);
    const [ex, ey] = [triadC[0] + d[0] / len * 36, triadC[1] - d[1] / len * 36];
    let [tx, ty] = [triadC[0] + d[0] / len * 48 - 4, triadC[1] - d[1] / len * 48 + 4];
    // A vector along the view shows as a point: its label goes beside the origin, not on it.
    if (Math.hypot(d[0], d[1]) < 0.2 * len) [tx, ty] = [triadC[0] - 18, triadC[1] + 16];
    // Vectors that project onto one direction (e.g. a and b seen along [11̄0]) get stacked labels.
    while (labelSpots.some(([x, y]) => Math.hypot(x - tx, y - ty) < 12)) ty += 14;
    labelSpots.push([tx, ty]);
    legend.push(
      `<line x1="${triadC[0]}" y1="${triadC[1]}" x2="${px(ex)}" y2="${px(ey)}" stroke="${triadColors[i]}" ` +
        `stroke-width="2"/>`,
      `<text x="${px(tx)}" y="${px(ty)}" ` +
        `fill="${triadColors[i]}" font-weight="bold">${name}</text>`,
    );
  });
  legend.push(`<circle cx="${triadC[0]}" cy="${triadC[1]}" r="2.5" fill="#333"/>`);

  const width = size + 150, height = size + titleH;
  const reduced = reducedFormula(c.numbers), full = formula(c.numbers);
  // A name that is itself a formula (CIF data blocks often are) would only repeat the formula.
  const named = c.name && !/^([A-Z][a-z]?\d*)+$/.test(c.name) ? `${c.name}: ` : "";
  const title = opts.title ?? `${named}${reduced}${full === reduced ? "" : ` (${full})`}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="13">`,
    `<defs>${[...gradients.values()].join("")}</defs>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${
      escapeXml(title)
    }</text>`,
    `<text x="${width / 2}" y="42" text-anchor="middle" font-size="11" fill="#444">${
      escapeXml(`view along ${axisLabel(axis)} · ${latticeLine(c.lattice)}`)
    }</text>`,
    ...items.map((it) => it.svg),
    ...legend,
    "</svg>",
  ].join("\n") + "\n";
}
