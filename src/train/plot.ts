/**
 * A dependency-free SVG line chart (log-scaled y) for loss curves, in the project's chart frame.
 *
 * @module
 */

import { chartSvg, emptyChartSvg, niceTicks, OTHER_COLORS, px } from "../viz/chart.ts";

/** One named series of (x, y) points; non-finite or non-positive y values are skipped. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** Series with at most this many points get a marker on each. */
const MARKED_POINTS = 40;

/** Tick label of 10^e: plain decimals near 1, powers of ten elsewhere. */
function powerLabel(v: number): string {
  return v >= 1e-3 && v < 1e5 ? String(+v.toPrecision(3)) : v.toExponential(0).replace("e+", "e");
}

/**
 * Log-axis ticks over [lo, hi] (log10 values): every decade, plus 2× and 5× (or every multiple,
 * within one decade) when the range is short enough that decades alone would leave the axis bare.
 */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const steps = hi - lo <= 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : hi - lo <= 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const m of steps) {
      const t = e + Math.log10(m);
      if (t >= lo - 1e-9 && t <= hi + 1e-9) out.push(t);
    }
  }
  return out;
}

/**
 * Renders series as an SVG line chart with a log10 y axis and the epoch on x.
 *
 * @example
 * ```ts
 * import { lossCurveSvg } from "./plot.ts";
 * import { assert } from "../../tests/_assert.ts";
 * const svg = lossCurveSvg([{ name: "loss", points: [[1, 10], [2, 5], [3, 2]] }]);
 * assert(svg.startsWith("<svg") && svg.includes("polyline") && svg.includes(">epoch</text>"));
 * ```
 */
export function lossCurveSvg(series: Series[], width = 720, height = 360): string {
  const keep = (s: Series) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && y > 0);
  const pts = series.flatMap(keep);
  if (pts.length === 0) return emptyChartSvg("Training loss", "no data yet", width, height);
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => Math.log10(p[1]));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x1 === x0) x1 = x0 + 1;
  // Whole decades at the ends when the data spans several; otherwise a snug range with 2/5 ticks.
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 > 2) [y0, y1] = [Math.floor(y0), Math.ceil(y1)];
  else [y0, y1] = [Math.floor(y0 * 10) / 10 - 0.05, Math.ceil(y1 * 10) / 10 + 0.05];
  const yTicks = logTicks(y0, y1);
  // Epochs are whole numbers: integer ticks only.
  let xTicks = niceTicks(x0, x1, 8).filter(Number.isInteger);
  if (xTicks.length < 2) xTicks = [Math.ceil(x0), Math.floor(x1)].filter((t, i, a) => a.indexOf(t) === i);
  return chartSvg({
    title: "Training loss",
    width,
    height,
    x: { lo: x0, hi: x1, ticks: xTicks, label: "epoch" },
    y: {
      lo: y0,
      hi: y1,
      ticks: yTicks,
      labels: yTicks.map((t) => powerLabel(10 ** t)),
      label: "loss (log scale)",
    },
    legend: series.map((s, i) => ({
      label: s.name,
      color: OTHER_COLORS[i % OTHER_COLORS.length],
      kind: "line",
    })),
    marks: (sx, sy) =>
      series.flatMap((s, i) => {
        const color = OTHER_COLORS[i % OTHER_COLORS.length];
        const xy = keep(s).map(([x, y]) => [sx(x), sy(Math.log10(y))]);
        const line = `<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${
          xy.map(([x, y]) => `${px(x)},${px(y)}`).join(" ")
        }"/>`;
        // Markers while points are few: one epoch is otherwise invisible, a few read as a trend only.
        const dots = xy.length <= MARKED_POINTS
          ? xy.map(([x, y]) => `<circle cx="${px(x)}" cy="${px(y)}" r="2.5" fill="${color}"/>`)
          : [];
        return [line, ...dots];
      }),
  });
}
