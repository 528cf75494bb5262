/**
 * The structure matcher against pymatgen 2022.11.7's `StructureMatcher(ltol=0.3, stol=0.5,
 * angle_tol=10).get_rms_dist` on real model outputs: reconstructions of Perov-5 test crystals by the
 * shipped model, paired with their test crystals (tests/fixtures/matcher_recon.json, written by
 * tools/make_matcher_recon_fixtures.py). These near-cubic cells often sit near a threshold, and
 * pymatgen's answer there depends on the ground truth's site order (its first rarest-species site
 * anchors the search), so the fixture holds each ground truth twice: in the order of its CIF and as
 * CDVAE's dataset holds it (pymatgen's CIF parser sorts by electronegativity). Both must agree
 * exactly, and the reconstruction metric must put file-order originals into CDVAE's order.
 */
import { assert, assertEquals } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { readCif } from "../../src/crystal/cif.ts";
import { matchMany, type MatchResult } from "../../src/eval/matcher.ts";
import { crystalValidity, reconstructionMetrics } from "../../src/eval/metrics.ts";
import { pymatgenCifOrder, pymatgenSortPermutation } from "../../src/eval/site_order.ts";

interface FixtureCrystal {
  lattice: number[];
  frac: number[];
  numbers: number[];
}
type Rms = [number, number] | null;
interface ReconFixture {
  header: Record<string, unknown>;
  pairs: {
    name: string;
    pred: FixtureCrystal;
    gtFile: FixtureCrystal;
    gt: FixtureCrystal;
    rms: Rms;
    rmsFileOrder: Rms;
  }[];
  disagreements: { name: string; predCif: string; gtCif: string; rms: Rms }[];
  siteOrder: { numbers: number[]; order: number[] }[];
}

const FIXTURE: ReconFixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/matcher_recon.json", import.meta.url)),
);

const crystal = (c: FixtureCrystal): Crystal => ({
  lattice: new Float64Array(c.lattice),
  frac: new Float64Array(c.frac),
  numbers: new Uint8Array(c.numbers),
});

/**
 * The same algorithm in f64 on both sides; what differs is summation order and the 3×3 inverse, which
 * move RMS values by ~1e-15. The issue asks for 1e-6 on every pair.
 */
const RMS_TOL = 1e-6;

/** Pairs whose decision or [rms, max] differ from pymatgen's, with the worst RMS difference. */
function compare(got: MatchResult[], want: Rms[], names: string[]): { diffs: string[]; worst: number } {
  const diffs: string[] = [];
  let worst = 0;
  want.forEach((w, i) => {
    const g = got[i];
    const ours = g.match ? `[${g.rms}, ${g.maxDist}]` : "none";
    if (g.match !== (w !== null)) {
      diffs.push(`${names[i]}: ours ${ours}, pymatgen ${w ?? "none"}`);
      return;
    }
    if (!w) return;
    const d = Math.max(Math.abs(g.rms! - w[0]), Math.abs(g.maxDist! - w[1]));
    worst = Math.max(worst, d);
    if (d > RMS_TOL) diffs.push(`${names[i]}: ours ${ours}, pymatgen [${w}]`);
  });
  return { diffs, worst };
}

const names = FIXTURE.pairs.map((p) => p.name);

Deno.test("matchMany() agrees with pymatgen on reconstructions against CDVAE's ground truths", () => {
  const got = matchMany(FIXTURE.pairs.map((p) => [crystal(p.pred), crystal(p.gt)]));
  const { diffs, worst } = compare(got, FIXTURE.pairs.map((p) => p.rms), names);
  assertEquals(diffs, [], `${diffs.length} of ${names.length} pairs differ (worst RMS difference ${worst})`);
  // Model outputs of both kinds, and some near the threshold, or the fixture proves little.
  const rms = FIXTURE.pairs.map((p) => p.rms?.[0]).filter((r): r is number => r !== undefined);
  assert(rms.length > 20 && names.length - rms.length > 10, `${rms.length} matches of ${names.length}`);
  assert(rms.filter((r) => r > 0.4).length >= 3, "no matches near stol");
});

Deno.test("matchMany() agrees with pymatgen on reconstructions against ground truths in file order", () => {
  const got = matchMany(FIXTURE.pairs.map((p) => [crystal(p.pred), crystal(p.gtFile)]));
  const { diffs, worst } = compare(got, FIXTURE.pairs.map((p) => p.rmsFileOrder), names);
  assertEquals(diffs, [], `${diffs.length} of ${names.length} pairs differ (worst RMS difference ${worst})`);
  // The site order of the ground truth must matter somewhere, or this fixture would not catch its loss.
  assert(FIXTURE.pairs.some((p) => JSON.stringify(p.rms) !== JSON.stringify(p.rmsFileOrder)));
});

Deno.test("pymatgenCifOrder() turns file-order ground truths into CDVAE's answers", () => {
  for (const p of FIXTURE.pairs) {
    assertEquals([...pymatgenCifOrder(crystal(p.gtFile)).numbers], p.gt.numbers, p.name);
  }
  const got = matchMany(FIXTURE.pairs.map((p) => [crystal(p.pred), pymatgenCifOrder(crystal(p.gtFile))]));
  const { diffs, worst } = compare(got, FIXTURE.pairs.map((p) => p.rms), names);
  assertEquals(diffs, [], `${diffs.length} of ${names.length} pairs differ (worst RMS difference ${worst})`);
});

Deno.test("reconstructionMetrics() scores file-order originals as CDVAE does", () => {
  const preds = FIXTURE.pairs.map((p) => crystal(p.pred));
  const { rms } = reconstructionMetrics(preds, FIXTURE.pairs.map((p) => crystal(p.gtFile)));
  const diffs: string[] = [];
  FIXTURE.pairs.forEach((p, i) => {
    // CDVAE counts an invalid reconstruction as a miss whatever the matcher says.
    const want = crystalValidity(preds[i]).valid ? p.rms?.[0] ?? null : null;
    const ok = want === null ? rms[i] === null : rms[i] !== null && Math.abs(rms[i]! - want) <= RMS_TOL;
    if (!ok) diffs.push(`${p.name}: ours ${rms[i]}, CDVAE ${want}`);
  });
  assertEquals(diffs, []);
});

Deno.test("reconstructionMetrics() agrees with pymatgen on the recorded disagreements", async (t) => {
  assertEquals(FIXTURE.disagreements.length, 3);
  for (const c of FIXTURE.disagreements) {
    await t.step(c.name, () => {
      const [pred] = readCif(c.predCif), [gt] = readCif(c.gtCif);
      const { rms } = reconstructionMetrics([pred], [gt]);
      const [got] = matchMany([[pred, pymatgenCifOrder(gt)]]);
      const { diffs } = compare([got], [c.rms], [c.name]);
      assertEquals(diffs, []);
      assertEquals(rms[0] === null, c.rms === null);
      if (c.rms) assert(Math.abs(rms[0]! - c.rms[0]) <= RMS_TOL, `${rms[0]} vs ${c.rms[0]}`);
      // In file order the anchor is another site and the answer another: the cause of the disagreement.
      const [fileOrder] = matchMany([[pred, gt]]);
      assert(fileOrder.match !== got.match || Math.abs(fileOrder.rms! - got.rms!) > 0.05);
    });
  }
});

Deno.test("pymatgenSortPermutation() is Python's sorted() with pymatgen's Site.__lt__", () => {
  const diffs: string[] = [];
  for (const c of FIXTURE.siteOrder) {
    const got = pymatgenSortPermutation(c.numbers);
    if (JSON.stringify(got) !== JSON.stringify(c.order)) diffs.push(`${c.numbers}: ${got} vs ${c.order}`);
  }
  assertEquals(diffs, []);
  // Noble gases (no electronegativity) and lists of 64 sites or more are both covered.
  assert(FIXTURE.siteOrder.some((c) => c.numbers.includes(18) && c.numbers.length > 2));
  assert(FIXTURE.siteOrder.some((c) => c.numbers.length >= 64));
});
