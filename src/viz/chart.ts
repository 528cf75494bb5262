/**
 * The one frame every SVG chart of the project is drawn in: title, plot area with grid, tick marks
 * and tick labels on both axes, axis labels (with units), and a legend in the right margin, outside
 * the data. Charts supply only their marks, through the scale functions the frame hands them.
 * Colours of the recurring series are named here once, so "generated" and the reference split look
 * the same in every plot.
 *
 * @module
 */

/** Colour of generated crystals in every plot (blue). */
export const GENERATED_COLOR = "#1f77b4";
/** Colour of the reference split (e.g. "mp_20 test") in every plot (red). */
export const REFERENCE_COLOR = "#d62728";
/** Colours for other series (loss curves…): deliberately neither the generated nor the reference one. */
export const OTHER_COLORS: readonly string[] = ["#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/** Escapes text for SVG element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Rounds a coordinate to 0.1 px, which keeps SVG text short without visible effect. */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/**
 * "Nice" tick values (steps of 1, 2 or 5 × 10^k) covering [lo, hi] with about `target` ticks,
 * all inside the range.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
 * assertEquals(niceTicks(1, 7, 4), [2, 4, 6]);
 * ```
 */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [lo];
  const raw = (hi - lo) / Math.max(1, target - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The step whose tick count comes closest to the target (a plain "next step up" can leave two).
  const count = (s: number) => Math.floor(hi / s + 1e-9) - Math.ceil(lo / s - 1e-9) + 1;
  const step = [0.5, 1, 2, 5, 10].map((m) => m * mag)
    .reduce((best, s) => (Math.abs(count(s) - target) < Math.abs(count(best) - target) ? s : best));
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    out.push(+(k * step).toPrecision(12));
  }
  return out;
}

/** Tick labels: as few digits as tell neighbouring ticks apart. */
export function formatTicks(ticks: readonly number[]): string[] {
  for (let digits = 0; digits <= 8; digits++) {
    const labels = ticks.map((t) => (Math.abs(t) < 1e-12 ? 0 : t).toFixed(digits));
    if (new Set(labels).size === labels.length) return labels;
  }
  return ticks.map((t) => String(t));
}

/** One axis: its range, where the ticks go and what they say, and the label (with the unit). */
export interface Axis {
  /** Data value at the start of the axis. */
  lo: number;
  /** Data value at the end of the axis. */
  hi: number;
  /** Tick positions (data values); default {@linkcode niceTicks}. */
  ticks?: number[];
  /** Tick labels, one per tick; default {@linkcode formatTicks}. */
  labels?: string[];
  /** Axis title, with the unit in parentheses: "density (g/cm³)". */
  label: string;
}

/** One legend row: a filled square (bars) or a line (outlines, curves). */
export interface LegendItem {
  label: string;
  color: string;
  kind: "fill" | "line";
}

/** What {@linkcode chartSvg} draws besides the frame. */
export interface ChartSpec {
  title: string;
  x: Axis;
  y: Axis;
  legend?: LegendItem[];
  /** Lines of text under the legend, in the same margin (figures that sum up the chart). */
  notes?: string[];
  /** Canvas size in px (default 720 × 360). */
  width?: number;
  height?: number;
  /** The marks, in SVG, given the data → px scale functions of the plot area. */
  marks(sx: (x: number) => number, sy: (y: number) => number): string[];
}

/** Approximate width of `text` at 12 px sans-serif, for layout only. */
function textWidth(text: string): number {
  return text.length * 6.6;
}

/**
 * Draws a chart: frame, grid, ticks, labels, legend (right of the plot area) and the spec's marks.
 *
 * @returns The SVG text
 *
 * @example A line in a frame
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * const svg = chartSvg({
 *   title: "t",
 *   x: { lo: 0, hi: 10, label: "epoch" },
 *   y: { lo: 0, hi: 1, label: "loss" },
 *   marks: (sx, sy) => [`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(10)}" y2="${sy(1)}"/>`],
 * });
 * assert(svg.includes('class="tick-x"') && svg.includes(">epoch</text>"));
 * ```
 */
export function chartSvg(spec: ChartSpec): string {
  const W = spec.width ?? 720, H = spec.height ?? 360;
  const legend = spec.legend ?? [], notes = spec.notes ?? [];
  const legendWidth = legend.length || notes.length
    ? Math.max(...legend.map((l) => textWidth(l.label) + 20), ...notes.map(textWidth)) + 20
    : 0;
  const xTicks = spec.x.ticks ?? niceTicks(spec.x.lo, spec.x.hi);
  const yTicks = spec.y.ticks ?? niceTicks(spec.y.lo, spec.y.hi);
  const xLabels = spec.x.labels ?? formatTicks(xTicks);
  const yLabels = spec.y.labels ?? formatTicks(yTicks);
  const yLabelWidth = Math.max(...yLabels.map(textWidth), 10);
  const pad = { l: yLabelWidth + 36, r: legendWidth + 16, t: 36, b: 50 };
  const x0 = pad.l, x1 = W - pad.r, y0 = H - pad.b, y1 = pad.t;
  const span = (a: Axis) => (a.hi === a.lo ? 1 : a.hi - a.lo);
  const sx = (x: number) => x0 + (x - spec.x.lo) / span(spec.x) * (x1 - x0);
  const sy = (y: number) => y0 - (y - spec.y.lo) / span(spec.y) * (y0 - y1);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
    `font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${px((x0 + x1) / 2)}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${
      escapeXml(spec.title)
    }</text>`,
    `<g stroke="#e4e4e4">`,
    ...yTicks.map((t) => `<line x1="${px(x0)}" x2="${px(x1)}" y1="${px(sy(t))}" y2="${px(sy(t))}"/>`),
    `</g>`,
    ...spec.marks(sx, sy),
    `<g stroke="#333">`,
    `<line x1="${px(x0)}" x2="${px(x1)}" y1="${px(y0)}" y2="${px(y0)}"/>`,
    `<line x1="${px(x0)}" x2="${px(x0)}" y1="${px(y0)}" y2="${px(y1)}"/>`,
    ...xTicks.map((t) =>
      `<line class="tick-x" x1="${px(sx(t))}" x2="${px(sx(t))}" y1="${px(y0)}" y2="${px(y0 + 5)}"/>`
    ),
    ...yTicks.map((t) =>
      `<line class="tick-y" x1="${px(x0 - 5)}" x2="${px(x0)}" y1="${px(sy(t))}" y2="${px(sy(t))}"/>`
    ),
    `</g>`,
    ...xTicks.map((t, i) =>
      `<text x="${px(sx(t))}" y="${px(y0 + 18)}" text-anchor="middle">${escapeXml(xLabels[i])}</text>`
    ),
    ...yTicks.map((t, i) =>
      `<text x="${px(x0 - 8)}" y="${px(sy(t) + 4)}" text-anchor="end">${escapeXml(yLabels[i])}</text>`
    ),
    `<text x="${px((x0 + x1) / 2)}" y="${px(H - 10)}" text-anchor="middle">${escapeXml(spec.x.label)}</text>`,
    `<text transform="translate(14 ${px((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${
      escapeXml(spec.y.label)
    }</text>`,
  ];
  legend.forEach((item, i) => {
    const lx = x1 + 16, ly = y1 + 8 + 20 * i;
    out.push(
      item.kind === "fill"
        ? `<rect x="${px(lx)}" y="${
          px(ly - 6)
        }" width="14" height="12" fill="${item.color}" fill-opacity="0.6" stroke="${item.color}"/>`
        : `<line x1="${px(lx)}" x2="${px(lx + 14)}" y1="${px(ly)}" y2="${
          px(ly)
        }" stroke="${item.color}" stroke-width="2.5"/>`,
      `<text x="${px(lx + 20)}" y="${px(ly + 4)}">${escapeXml(item.label)}</text>`,
    );
  });
  notes.forEach((line, i) => {
    const ly = y1 + 8 + 20 * legend.length + 12 + 18 * i;
    out.push(`<text x="${px(x1 + 16)}" y="${px(ly + 4)}">${escapeXml(line)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** A chart-sized SVG that says there is nothing to draw (keeps report folders complete). */
export function emptyChartSvg(title: string, message: string, width = 720, height = 360): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${
      escapeXml(title)
    }</text>`,
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle">${escapeXml(message)}</text>`,
    "</svg>",
  ].join("\n") + "\n";
}
