/**
 * Tabulates and plots the runs of bench/schedules.sh: for each schedule, decoder calls per batch
 * and the reconstruction and generation metrics with their sampling noise (binomial standard error
 * of each rate, standard error of the mean RMS), as a markdown table (OUT/table.md), JSON
 * (OUT/results.json) and two charts of quality against decoder calls (SVG, plus PNG where
 * rsvg-convert exists).
 *
 *   deno run -A bench/schedules_report.ts OUT DATASET [CHART_PREFIX]
 *
 * CHART_PREFIX defaults to docs/schedules_DATASET (…_quality.svg, …_rmse.svg).
 *
 * @module
 */

import { chartSvg, escapeXml, OTHER_COLORS, px } from "../src/viz/chart.ts";
import { readCrystalSet } from "../src/cli/crystal_sets.ts";
import { HostRng } from "../src/compute/host_rng.ts";
import type { Crystal } from "../src/crystal/crystal.ts";
import { type DatasetName, isDatasetName, loadDataset } from "../src/data/datasets.ts";
import { crystalValidity, densityOrNaN, wasserstein1 } from "../src/eval/metrics.ts";
import { formatStepsByLevel } from "../src/model/schedules.ts";

const [outDir, dataset = "perov_5", prefix = `docs/schedules_${dataset}`] = Deno.args;
if (!outDir) throw new Error("usage: schedules_report.ts OUT DATASET [CHART_PREFIX]");

interface Run {
  calls: number;
  seconds?: number;
  count: number;
  metrics: Record<string, number>;
  rms: number[];
  /** Per crystal (reconstruction): matched or not, in input order. */
  matched: boolean[];
  /** Per crystal: RMS of the match, or null. */
  rmsAll: (number | null)[];
}

interface Row {
  tag: string;
  schedule: string;
  rec?: Run;
  gen?: Run;
  /** Bootstrap standard deviations of the generation's EMDs (density, #elements). */
  emdSd?: { density: number; numElements: number };
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/** The sampler's knobs as recorded in summary.json, in the words of the CLI. */
function describe(s: Record<string, unknown>): string {
  const byLevel = s.stepsByLevel as number[] | undefined;
  const parts = [
    byLevel
      ? formatStepsByLevel(byLevel).replaceAll("x", " × ").replaceAll(",", " then ")
      : `${s.levels} × ${s.stepsPerLevel}`,
  ];
  if (s.stepRule === "matched") parts.push("matched step");
  if (s.predictor) parts.push("predictor");
  if (s.snr) parts.push(`snr ${s.snr}`);
  if (s.settle) parts.push(`early exit ${s.settle} Å`);
  if (s.noiseScale) parts.push(`noise × ${s.noiseScale}`);
  if (s.denoise) parts.push("+ denoise");
  return parts.join(", ");
}

async function readRun(dir: string): Promise<{ run: Run; summary: Record<string, unknown> } | undefined> {
  const summary = await readJson(`${dir}/summary.json`), ev = await readJson(`${dir}/eval/metrics.json`);
  if (!summary || !ev) return undefined;
  const crystals = (ev.crystals ?? []) as { rms?: number | null }[];
  return {
    summary,
    run: {
      calls: Number(summary.decoderCalls) / Number(summary.batches ?? 1),
      seconds: typeof summary.seconds === "number" ? summary.seconds : undefined,
      count: Number(summary.count),
      metrics: ev.metrics as Record<string, number>,
      rms: crystals.map((c) => c.rms).filter((r): r is number => typeof r === "number"),
      matched: crystals.map((c) => typeof c.rms === "number"),
      rmsAll: crystals.map((c) => typeof c.rms === "number" ? c.rms : null),
    },
  };
}

const tags = new Set<string>();
for await (const e of Deno.readDir(outDir)) {
  const m = /^(.*)\.(rec|gen)$/.exec(e.name);
  if (m && e.isDirectory) tags.add(m[1]);
}
const rows: Row[] = [];
for (const tag of tags) {
  const rec = await readRun(`${outDir}/${tag}.rec`), gen = await readRun(`${outDir}/${tag}.gen`);
  if (!rec && !gen) continue;
  rows.push({ tag, schedule: describe((rec ?? gen)!.summary), rec: rec?.run, gen: gen?.run });
}
/**
 * The sampling noise of a generation's EMDs: the standard deviation of each EMD over bootstrap
 * resamples (with replacement, same size) of its valid crystals against the fixed test split — what
 * another draw of as many samples from the same model would move them by.
 */
const BOOTSTRAPS = 200;
if (!isDatasetName(dataset)) throw new Error(`unknown dataset "${dataset}"`);
const reference = (await loadDataset(dataset as DatasetName, "test")).entries.map((e) => e.crystal);
const numElements = (c: Crystal) => new Set(c.numbers).size;
const refDensity = reference.map(densityOrNaN).filter(Number.isFinite),
  refElements = reference.map(numElements);
async function emdNoise(dir: string): Promise<{ density: number; numElements: number }> {
  const valid = (await readCrystalSet([dir])).crystals.filter((c) => crystalValidity(c).valid);
  const dens = valid.map(densityOrNaN), elems = valid.map(numElements), rng = new HostRng(7);
  const sd = (xs: number[]) => meanSe(xs)[1] * Math.sqrt(xs.length); // sample SD
  const d: number[] = [], e: number[] = [];
  for (let k = 0; k < BOOTSTRAPS; k++) {
    const pick = valid.map(() => rng.int(valid.length));
    d.push(wasserstein1(pick.map((i) => dens[i]).filter(Number.isFinite), refDensity));
    e.push(wasserstein1(pick.map((i) => elems[i]), refElements));
  }
  return { density: sd(d), numElements: sd(e) };
}
for (const r of rows) if (r.gen) r.emdSd = await emdNoise(`${outDir}/${r.tag}.gen`);

const callsOf = (r: Row) => r.rec?.calls ?? r.gen?.calls ?? 0;
rows.sort((a, b) => callsOf(b) - callsOf(a) || a.tag.localeCompare(b.tag));

/** Binomial standard error of a rate p over n. */
const se = (p: number, n: number) => Math.sqrt(p * (1 - p) / n);
const pct = (p: number | undefined, n?: number) =>
  p === undefined || !Number.isFinite(p)
    ? "—"
    : `${(100 * p).toFixed(1)}${n ? ` ± ${(100 * se(p, n)).toFixed(1)}` : ""}`;
const num = (x: number | undefined, d = 3) => x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(d);
const withSd = (x: number | undefined, sd: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? "—" : sd === undefined ? num(x) : `${num(x)} ± ${num(sd)}`;
function meanSe(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1);
  return [m, Math.sqrt(v / xs.length)];
}

/**
 * Difference in match rate against the paper's schedule on the crystals both reconstructed (the
 * first n: crystal i has the same latent and draws at any count), ± its paired standard error
 * sqrt(b + c − (b − c)²/n)/n (b, c: crystals matched by only one of the two).
 */
function pairedDelta(a?: Run, ref?: Run): string {
  if (!a || !ref || a === ref) return "—";
  const n = Math.min(a.matched.length, ref.matched.length);
  let b = 0, c = 0;
  for (let i = 0; i < n; i++) {
    if (a.matched[i] && !ref.matched[i]) b++;
    if (!a.matched[i] && ref.matched[i]) c++;
  }
  const d = (b - c) / n, e = Math.sqrt(b + c - (b - c) ** 2 / n) / n;
  return `${d >= 0 ? "+" : ""}${(100 * d).toFixed(1)} ± ${(100 * e).toFixed(1)} (${n})`;
}
/** Match rate and RMSE of `a` on the first n crystals, n those of `ref`. */
function onPrefix(a?: Run, ref?: Run): string {
  if (!a || !ref) return "—";
  const part = a.rmsAll.slice(0, ref.rmsAll.length), hit = part.filter((r): r is number => r !== null);
  if (!hit.length) return `0 / —`;
  return `${(100 * hit.length / part.length).toFixed(1)} / ${meanSe(hit)[0].toFixed(4)}`;
}
// The paired comparisons are against the paper's schedule, or `fast` where the paper's was not run.
const paper = rows.find((r) => r.tag === "paper") ?? rows.find((r) => r.tag === "fast");

const head = [
  "tag",
  "schedule",
  "decoder calls (rec / gen)",
  "match rate %",
  `Δ match vs ${paper?.tag} (paired; n)`,
  `match % / RMSE on ${paper?.tag}'s crystals`,
  "RMSE",
  "struct. valid %",
  "comp. valid %",
  "COV-R %",
  "COV-P %",
  "EMD ρ",
  "EMD #elem",
  "EMD property",
  "wall s (rec / gen)",
];
const lines = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
for (const r of rows) {
  const rm = r.rec?.metrics, gm = r.gen?.metrics, n = r.gen?.count;
  const [rmse, rmseSe] = r.rec && r.rec.rms.length ? meanSe(r.rec.rms) : [NaN, NaN];
  const calls = [r.rec?.calls, r.gen?.calls].map((c) => c === undefined ? "—" : String(Math.round(c)));
  lines.push(
    `| ${
      [
        r.tag,
        r.schedule,
        calls.join(" / "),
        pct(rm?.matchRate, r.rec?.count),
        pairedDelta(r.rec, paper?.rec),
        onPrefix(r.rec, paper?.rec),
        Number.isFinite(rmse) ? `${rmse.toFixed(4)} ± ${rmseSe.toFixed(4)}` : "—",
        pct(gm?.structValid, n),
        pct(gm?.compValid, n),
        pct(gm?.covRecall),
        pct(gm?.covPrecision, gm ? Math.round(gm.valid * (n ?? 0)) : undefined),
        withSd(gm?.wdistDensity, r.emdSd?.density),
        withSd(gm?.wdistNumElements, r.emdSd?.numElements),
        num(gm?.wdistProperty),
        [r.rec?.seconds, r.gen?.seconds].map((s) => s === undefined ? "—" : s.toFixed(0)).join(" / "),
      ].join(" | ")
    } |`,
  );
}
const table = lines.join("\n") + "\n";
await Deno.writeTextFile(`${outDir}/table.md`, table);
await Deno.writeTextFile(`${outDir}/results.json`, JSON.stringify(rows, null, 1) + "\n");
console.log(table);

// Charts: log-scale decoder calls on x.
const allCalls = rows.map(callsOf).filter((c) => c > 0);
const xlo = Math.log10(Math.min(100, ...allCalls) * 0.8), xhi = Math.log10(Math.max(...allCalls) * 1.25);
const xTicks = [100, 200, 500, 1000, 2000, 5000, 10000].filter((t) =>
  Math.log10(t) >= xlo && Math.log10(t) <= xhi
);
const x = {
  lo: xlo,
  hi: xhi,
  ticks: xTicks.map(Math.log10),
  labels: xTicks.map(String),
  label: "decoder calls per batch (log scale)",
};

/** One plotted quantity: its value per schedule and, optionally, its error bar's half-length. */
interface Series {
  label: string;
  value: (r: Row) => number | undefined;
  err?: (r: Row) => number;
}

function pointsChart(
  title: string,
  yLabel: string,
  series: Series[],
  y: { lo: number; hi: number },
): string {
  const colors = ["#1f77b4", ...OTHER_COLORS];
  return chartSvg({
    title,
    width: 900,
    height: 460,
    x,
    y: { ...y, label: yLabel },
    legend: series.map((s, i) => ({ label: s.label, color: colors[i], kind: "line" as const })),
    marks: (sx, sy) =>
      series.flatMap((s, i) =>
        rows.flatMap((r) => {
          const v = s.value(r), c = callsOf(r);
          if (v === undefined || !Number.isFinite(v) || c <= 0) return [];
          // Series side by side (±6 px) so that bars at the same cost stay apart.
          const cx = sx(Math.log10(c)) + 4 * (i - (series.length - 1) / 2), e = s.err?.(r) ?? 0;
          const out = [];
          if (e > 0) {
            out.push(
              `<line x1="${px(cx)}" x2="${px(cx)}" y1="${px(sy(v - e))}" y2="${px(sy(v + e))}" stroke="${
                colors[i]
              }" stroke-opacity="0.6"/>`,
            );
          }
          out.push(`<circle cx="${px(cx)}" cy="${px(sy(v))}" r="4" fill="${colors[i]}"/>`);
          if (i === 0) {
            out.push(
              `<text x="${px(cx + 6)}" y="${px(sy(v) - 6)}" font-size="9" fill="#444">${
                escapeXml(r.tag)
              }</text>`,
            );
          }
          return out;
        })
      ),
  });
}

const quality = pointsChart(
  `Sampling schedules on ${dataset}: quality vs decoder calls (bars: ±1 standard error)`,
  "%",
  [
    {
      label: "reconstruction match",
      value: (r) => r.rec && 100 * r.rec.metrics.matchRate,
      err: (r) => r.rec ? 100 * se(r.rec.metrics.matchRate, r.rec.count) : 0,
    },
    {
      label: "comp. valid",
      value: (r) => r.gen && 100 * r.gen.metrics.compValid,
      err: (r) => r.gen ? 100 * se(r.gen.metrics.compValid, r.gen.count) : 0,
    },
    { label: "COV-R", value: (r) => r.gen && 100 * r.gen.metrics.covRecall },
    {
      label: "COV-P",
      value: (r) => r.gen && 100 * r.gen.metrics.covPrecision,
      err: (r) =>
        r.gen ? 100 * se(r.gen.metrics.covPrecision, Math.round(r.gen.metrics.valid * r.gen.count)) : 0,
    },
  ],
  { lo: 0, hi: 100 },
);
// The axis reaches the top of the highest error bar, so no bar is cut off.
const errorSeries: Series[] = [
  {
    label: "reconstruction RMSE",
    value: (r) => r.rec?.rms.length ? meanSe(r.rec.rms)[0] : undefined,
    err: (r) => r.rec?.rms.length ? meanSe(r.rec.rms)[1] : 0,
  },
  { label: "EMD density", value: (r) => r.gen?.metrics.wdistDensity, err: (r) => r.emdSd?.density ?? 0 },
  {
    label: "EMD #elements",
    value: (r) => r.gen?.metrics.wdistNumElements,
    err: (r) => r.emdSd?.numElements ?? 0,
  },
  { label: "EMD property", value: (r) => r.gen?.metrics.wdistProperty },
];
const barTops = rows.flatMap((r) =>
  errorSeries.map((s) => (s.value(r) ?? NaN) + (s.err?.(r) ?? 0)).filter(Number.isFinite)
);
const rmse = pointsChart(
  `Schedules on ${dataset}: RMSE and EMDs vs decoder calls (bars: ±1 SE or bootstrap SD)`,
  "RMSE (normalised) / EMD",
  errorSeries,
  { lo: 0, hi: 1.1 * Math.max(0.05, ...barTops) },
);
for (const [name, svg] of [["quality", quality], ["rmse", rmse]]) {
  const path = `${prefix}_${name}.svg`;
  await Deno.writeTextFile(path, svg);
  // `deno task ci` checks the formatting of SVG files too.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", path] }).output();
  const png = path.replace(/\.svg$/, ".png");
  const ok = await svgToPng(path, png);
  console.error(
    `Wrote ${path}${ok ? ` and ${png}` : " (no PNG: rsvg-convert, from librsvg2-bin, is missing or failed)"}`,
  );
}

/** Converts an SVG file with rsvg-convert; false where it fails or is not installed (spawning a
 * missing program throws before the promise exists, so the call sits inside try). */
async function svgToPng(svg: string, png: string): Promise<boolean> {
  try {
    return (await new Deno.Command("rsvg-convert", { args: ["-o", png, svg] }).output()).success;
  } catch {
    return false;
  }
}
