/**
 * The table of bench/recipes.sh's run: per recipe and snapshot, the CPU-hours spent training up to
 * it, validation loss, match rate and RMS of the first 100 test reconstructions, and COV-R and
 * validity of 200 samples. CPU-hours are the run's measured user + system time (`/usr/bin/time`),
 * apportioned to epochs by the run's own per-epoch wall clock (log.csv).
 *
 *   deno run -A bench/recipes_report.ts out/recipes
 *
 * @module
 */

/** One snapshot of one recipe. */
export interface RecipeRow {
  recipe: string;
  epoch: number;
  cpuHours: number;
  valLoss: number;
  match: number;
  rms: number;
  covR: number;
  valid: number;
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/** log.csv as rows keyed by its header. */
async function readLog(path: string): Promise<Record<string, number>[]> {
  const [head, ...lines] = (await Deno.readTextFile(path)).trim().split("\n");
  const keys = head.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [keys[i], Number(v)])));
}

/** Sum of the "user system" lines /usr/bin/time appended (one per training session). */
async function cpuSeconds(path: string): Promise<number> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").map((l) => l.trim().split(/\s+/).map(Number)).filter((p) =>
    p.length === 2 && p.every(Number.isFinite)
  ).reduce((s, [u, sys]) => s + u + sys, 0);
}

async function rowsOf(dir: string, recipe: string): Promise<RecipeRow[]> {
  const log = await readLog(`${dir}/run/log.csv`);
  const cpu = await cpuSeconds(`${dir}/train.cpu`);
  const lastWall = log.at(-1)?.seconds ?? NaN;
  const rows: RecipeRow[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const m = /^snap_e(\d+)$/.exec(entry.name);
    if (!m) continue;
    const epoch = Number(m[1]);
    const line = log.find((r) => r.epoch === epoch);
    const rec = (await readJson(`${dir}/rec_e${epoch}/eval/metrics.json`))?.metrics as
      | Record<string, number>
      | undefined;
    const gen = (await readJson(`${dir}/gen_e${epoch}/eval/metrics.json`))?.metrics as
      | Record<string, number>
      | undefined;
    rows.push({
      recipe,
      epoch,
      cpuHours: line ? cpu * (line.seconds / lastWall) / 3600 : NaN,
      valLoss: line?.val_loss ?? NaN,
      match: rec?.matchRate ?? NaN,
      rms: rec?.meanRms ?? NaN,
      covR: gen?.covRecall ?? NaN,
      valid: gen?.valid ?? NaN,
    });
  }
  return rows.sort((a, b) => a.epoch - b.epoch);
}

const pct = (x: number) => Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : "—";
const num = (x: number, d: number) => Number.isFinite(x) ? x.toFixed(d) : "—";

/** Every recipe folder under `root` (bench/recipes.sh's OUT), by name, each snapshot by epoch. */
export async function recipeRows(root: string): Promise<RecipeRow[]> {
  const rows: RecipeRow[] = [];
  for (const entry of [...Deno.readDirSync(root)].sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory) rows.push(...await rowsOf(`${root}/${entry.name}`, entry.name));
  }
  return rows;
}

/** The rows as a Markdown table ("—" where a figure is missing). */
export function recipeTable(rows: readonly RecipeRow[]): string {
  const lines = [
    "| recipe | epoch | CPU-hours | val loss | match@100 | RMS@100 | COV-R@200 | valid@200 |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.recipe} | ${r.epoch} | ${num(r.cpuHours, 2)} | ${num(r.valLoss, 3)} | ${pct(r.match)} | ` +
      `${num(r.rms, 3)} | ${pct(r.covR)} | ${pct(r.valid)} |`
    ),
  ];
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  console.log(recipeTable(await recipeRows(Deno.args[0] ?? "out/recipes")));
}
