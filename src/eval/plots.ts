/**
 * Dependency-free SVG histograms: two distributions (generated vs reference) on shared bins,
 * as normalised frequencies.
 *
 * @module
 */

/**
 * Two overlaid histograms.
 *
 * @param title Chart title
 * @param a First sample (drawn filled)
 * @param b Second sample (drawn as an outline)
 * @param opts Series names, bin count, integer bins for counts
 * @returns The SVG text
 *
 * @example
 * ```ts
 * import { histogramSvg } from "./plots.ts";
 * import { assert } from "../../tests/_assert.ts";
 * const svg = histogramSvg("density", [1, 2, 2, 3], [2, 3, 3], { names: ["generated", "test"] });
 * assert(svg.startsWith("<svg") && svg.includes("generated"));
 * ```
 */
export function histogramSvg(
  title: string,
  a: readonly number[],
  b: readonly number[],
  opts: { names?: [string, string]; bins?: number; integer?: boolean } = {},
): string {
  const [na, nb] = opts.names ?? ["generated", "reference"];
  const all = [...a, ...b].filter(Number.isFinite);
  const W = 640, H = 320, pad = { l: 50, r: 20, t: 30, b: 40 };
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle">${title}</text>`,
  ];
  if (all.length === 0) {
    return out.concat(`<text x="${W / 2}" y="${H / 2}">no data</text>`, "</svg>").join("\n") + "\n";
  }
  let lo = Math.min(...all), hi = Math.max(...all);
  let bins = opts.bins ?? 30;
  if (opts.integer) {
    lo = Math.floor(lo) - 0.5;
    hi = Math.ceil(hi) + 0.5;
    bins = Math.max(1, Math.round(hi - lo));
  } else if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const freq = (xs: readonly number[]) => {
    const f = new Array(bins).fill(0);
    const good = xs.filter(Number.isFinite);
    for (const x of good) f[Math.min(bins - 1, Math.max(0, Math.floor((x - lo) / width)))]++;
    return f.map((c) => c / Math.max(1, good.length));
  };
  const fa = freq(a), fb = freq(b);
  const top = Math.max(...fa, ...fb, 1e-9);
  const sx = (x: number) => pad.l + (x - lo) / (hi - lo) * (W - pad.l - pad.r);
  const sy = (y: number) => H - pad.b - y / top * (H - pad.t - pad.b);
  for (let i = 0; i < bins; i++) {
    const x0 = sx(lo + i * width), x1 = sx(lo + (i + 1) * width);
    out.push(
      `<rect x="${x0.toFixed(1)}" y="${sy(fa[i]).toFixed(1)}" width="${(x1 - x0).toFixed(1)}" height="${
        (sy(0) - sy(fa[i])).toFixed(1)
      }" fill="#1f77b4" fill-opacity="0.5"/>`,
    );
  }
  const outline = fb.flatMap((
    f,
    i,
  ) => [
    `${sx(lo + i * width).toFixed(1)},${sy(f).toFixed(1)}`,
    `${sx(lo + (i + 1) * width).toFixed(1)},${sy(f).toFixed(1)}`,
  ]);
  out.push(`<polyline fill="none" stroke="#d62728" stroke-width="1.5" points="${outline.join(" ")}"/>`);
  out.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${sy(0)}" y2="${sy(0)}" stroke="#333"/>`);
  out.push(`<text x="${pad.l}" y="${H - 15}">${+lo.toPrecision(4)}</text>`);
  out.push(`<text x="${W - pad.r}" y="${H - 15}" text-anchor="end">${+hi.toPrecision(4)}</text>`);
  out.push(`<text x="${W - pad.r - 150}" y="${pad.t + 10}" fill="#1f77b4">■ ${na} (${a.length})</text>`);
  out.push(`<text x="${W - pad.r - 150}" y="${pad.t + 26}" fill="#d62728">— ${nb} (${b.length})</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
