/**
 * Dependency-free SVG histograms: two distributions (generated vs reference) on shared bins, as
 * fractions of each sample, in the project's chart frame (ticks, axis labels, legend outside the
 * data, the same colours for "generated" and the reference in every plot).
 *
 * @module
 */

import {
  chartSvg,
  emptyChartSvg,
  GENERATED_COLOR,
  type LegendItem,
  niceTicks,
  px,
  REFERENCE_COLOR,
} from "../viz/chart.ts";

/** Options of {@linkcode histogramSvg}. */
export interface HistogramOptions {
  /** Legend names of the two samples (default "generated", "reference"). */
  names?: [string, string];
  /** Number of bins for continuous values (default 30). */
  bins?: number;
  /** Values are counts: one bin per integer, ticks on integers, the two samples side by side. */
  integer?: boolean;
  /** The x axis title with its unit (default: the chart title). */
  xLabel?: string;
}

/** Fractions of `xs` (finite values only) in `bins` equal bins from `lo` of width `width`. */
function fractions(xs: readonly number[], lo: number, width: number, bins: number): number[] {
  const f = new Array<number>(bins).fill(0);
  const good = xs.filter(Number.isFinite);
  for (const x of good) f[Math.min(bins - 1, Math.max(0, Math.floor((x - lo) / width)))]++;
  return f.map((c) => c / Math.max(1, good.length));
}

/** Ticks from 0 that reach at least `top`, so the tallest bar stays inside the frame. */
function fractionTicks(top: number): number[] {
  const t = niceTicks(0, top, 5);
  const step = t.length > 1 ? t[1] - t[0] : top;
  while (t[t.length - 1] < top - 1e-12) t.push(+(t[t.length - 1] + step).toPrecision(12));
  return t;
}

/**
 * Two histograms on shared bins: the first sample as filled bars (generated colour), the second as
 * an outline (reference colour); with `integer`, side-by-side bars per integer.
 *
 * @param title Chart title
 * @param a First sample (generated)
 * @param b Second sample (reference)
 * @param opts Series names, bin count, integer bins for counts, x axis title
 * @returns The SVG text
 *
 * @example
 * ```ts
 * import { histogramSvg } from "./plots.ts";
 * import { assert } from "../../tests/_assert.ts";
 * const svg = histogramSvg("density", [1, 2, 2, 3], [2, 3, 3], { names: ["generated", "test"] });
 * assert(svg.startsWith("<svg") && svg.includes("generated") && svg.includes('class="tick-y"'));
 * ```
 */
export function histogramSvg(
  title: string,
  a: readonly number[],
  b: readonly number[],
  opts: HistogramOptions = {},
): string {
  const [na, nb] = opts.names ?? ["generated", "reference"];
  const all = [...a, ...b].filter(Number.isFinite);
  if (all.length === 0) return emptyChartSvg(title, "no data");
  const countOf = (xs: readonly number[]) => xs.filter(Number.isFinite).length;
  const legend: LegendItem[] = [
    { label: `${na} (n = ${countOf(a)})`, color: GENERATED_COLOR, kind: "fill" },
    { label: `${nb} (n = ${countOf(b)})`, color: REFERENCE_COLOR, kind: opts.integer ? "fill" : "line" },
  ];
  let lo = Math.min(...all), hi = Math.max(...all);
  const xLabel = opts.xLabel ?? title;
  if (opts.integer) {
    lo = Math.round(lo);
    hi = Math.round(hi);
    const bins = hi - lo + 1;
    const fa = fractions(a, lo - 0.5, 1, bins), fb = fractions(b, lo - 0.5, 1, bins);
    const yTicks = fractionTicks(Math.max(...fa, ...fb, 1e-9));
    const xTicks = bins <= 16
      ? Array.from({ length: bins }, (_, i) => lo + i)
      : niceTicks(lo, hi, 10).filter(Number.isInteger);
    return chartSvg({
      title,
      x: { lo: lo - 0.5, hi: hi + 0.5, ticks: xTicks, labels: xTicks.map(String), label: xLabel },
      y: { lo: 0, hi: yTicks[yTicks.length - 1], ticks: yTicks, label: "fraction of crystals" },
      legend,
      marks: (sx, sy) =>
        [[fa, GENERATED_COLOR, -0.4], [fb, REFERENCE_COLOR, 0]].flatMap(([f, color, off]) =>
          (f as number[]).map((v, i) => {
            const x0 = sx(lo + i + (off as number)), x1 = sx(lo + i + (off as number) + 0.4);
            return `<rect x="${px(x0)}" y="${px(sy(v))}" width="${px(x1 - x0)}" height="${
              px(sy(0) - sy(v))
            }" fill="${color}" fill-opacity="0.75"/>`;
          })
        ),
    });
  }
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const bins = opts.bins ?? 30, width = (hi - lo) / bins;
  const fa = fractions(a, lo, width, bins), fb = fractions(b, lo, width, bins);
  const yTicks = fractionTicks(Math.max(...fa, ...fb, 1e-9));
  return chartSvg({
    title,
    x: { lo, hi, label: xLabel },
    y: { lo: 0, hi: yTicks[yTicks.length - 1], ticks: yTicks, label: "fraction of crystals" },
    legend,
    marks: (sx, sy) => {
      const bars = fa.map((v, i) => {
        const x0 = sx(lo + i * width), x1 = sx(lo + (i + 1) * width);
        return `<rect x="${px(x0)}" y="${px(sy(v))}" width="${px(x1 - x0)}" height="${
          px(sy(0) - sy(v))
        }" fill="${GENERATED_COLOR}" fill-opacity="0.55"/>`;
      });
      // The reference as a closed step outline, so it reads over the bars without hiding them.
      const steps = [`${px(sx(lo))},${px(sy(0))}`];
      fb.forEach((v, i) =>
        steps.push(`${px(sx(lo + i * width))},${px(sy(v))}`, `${px(sx(lo + (i + 1) * width))},${px(sy(v))}`)
      );
      steps.push(`${px(sx(hi))},${px(sy(0))}`);
      return [
        ...bars,
        `<polyline fill="none" stroke="${REFERENCE_COLOR}" stroke-width="2" points="${steps.join(" ")}"/>`,
      ];
    },
  });
}
