/**
 * A dependency-free SVG line chart (log-scaled y) for loss curves.
 *
 * @module
 */

/** One named series of (x, y) points; non-finite or non-positive y values are skipped. */
export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/**
 * Renders series as an SVG line chart with a log10 y axis.
 *
 * @example
 * ```ts
 * import { lossCurveSvg } from "./plot.ts";
 * import { assert } from "../../tests/_assert.ts";
 * const svg = lossCurveSvg([{ name: "loss", points: [[1, 10], [2, 5], [3, 2]] }]);
 * assert(svg.startsWith("<svg") && svg.includes("polyline"));
 * ```
 */
export function lossCurveSvg(series: Series[], width = 640, height = 360): string {
  const pts = series.flatMap((s) => s.points.filter(([, y]) => Number.isFinite(y) && y > 0));
  const pad = { l: 60, r: 20, t: 20, b: 40 };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (pts.length === 0) {
    return out.concat(`<text x="${width / 2}" y="${height / 2}">no data yet</text>`, "</svg>").join("\n") +
      "\n";
  }
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => Math.log10(p[1]));
  const [x0, x1] = [
    Math.min(...xs),
    Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs),
  ];
  let [y0, y1] = [Math.floor(Math.min(...ys)), Math.ceil(Math.max(...ys))];
  if (y0 === y1) y1 = y0 + 1;
  const sx = (x: number) => pad.l + (x - x0) / (x1 - x0) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - (y - y0) / (y1 - y0) * (height - pad.t - pad.b);
  out.push(`<g stroke="#ccc">`);
  for (let e = y0; e <= y1; e++) {
    out.push(`<line x1="${pad.l}" x2="${width - pad.r}" y1="${sy(e)}" y2="${sy(e)}"/>`);
  }
  out.push(`</g>`);
  for (let e = y0; e <= y1; e++) {
    out.push(`<text x="${pad.l - 8}" y="${sy(e) + 4}" text-anchor="end">1e${e}</text>`);
  }
  out.push(`<text x="${pad.l}" y="${height - 12}">${x0}</text>`);
  out.push(`<text x="${width - pad.r}" y="${height - 12}" text-anchor="end">${x1} (epoch)</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const p = s.points.filter(([, y]) => Number.isFinite(y) && y > 0)
      .map(([x, y]) => `${sx(x).toFixed(1)},${sy(Math.log10(y)).toFixed(1)}`).join(" ");
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${p}"/>`);
    out.push(`<text x="${pad.l + 10}" y="${pad.t + 14 * (i + 1)}" fill="${c}">${s.name}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
