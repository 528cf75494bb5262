/**
 * `evaluate`: the paper's metrics for a folder written by `generate` or `reconstruct`, against a
 * dataset split: JSON (summary and one row per crystal), a Markdown table beside the paper's
 * CDVAE row, SVG histograms of density and number of elements, and the space-group distribution of
 * the valid generated crystals against the split (table and SVG bars).
 *
 * @module
 */

import { type Command, counted, intFlag, type OptionSpec, seedFlag, UsageError } from "./command.ts";
import { DOWNLOAD_OPTION, ensureDatasetInput, ensureSplits } from "./datasets.ts";
import { checkOutputDir, replaceOutputDir } from "./output_dir.ts";
import { writeTextAtomic } from "./_io.ts";
import type { Crystal } from "../crystal/crystal.ts";
import { readCrystalSet } from "./crystal_sets.ts";
import { readCrystalInput } from "./reconstruct.ts";
import {
  type DatasetName,
  DATASETS,
  isDatasetName,
  loadDataset,
  type Split,
  SPLITS,
} from "../data/datasets.ts";
import {
  COV_CUTOFFS,
  coverageFingerprintMany,
  coverageMetrics,
  generationMetrics,
  reconstructionMetrics,
} from "../eval/metrics.ts";
import { compositionKept, sameComposition } from "../eval/composition_kept.ts";
import { histogramSvg } from "../eval/plots.ts";
import {
  compareSpaceGroups,
  type SpaceGroupComparison,
  spaceGroupKept,
  spaceGroupNumbersOrNull,
} from "../eval/space_groups.ts";
import { printedSymbol, spaceGroupBarsSvg } from "../eval/space_group_plot.ts";
import { spaceGroupNumbersInWorkers } from "../eval/space_group_workers.ts";
import { REPORT_SYMPREC, symprecFlag } from "./generate.ts";
import { progressCallback } from "./progress.ts";
import { densityOrNaN, wasserstein1 } from "../eval/metrics.ts";
import { PropertyModel } from "../model/property.ts";

/**
 * The property model the flag names: "reference" (also "default"): the CDVAE authors' evaluator of
 * the dataset, converted from PyTorch (`data/models/<dataset>-prop-reference/`), which makes the
 * property metrics the paper's; "ours": the one we trained (`data/models/<dataset>-prop/`); a
 * folder or a reference `.ckpt`; or "none". The shipped choices give undefined for a dataset
 * without one (no property EMD); a path that cannot be read is an error.
 */
export async function loadPropertyModel(flag: string, dataset: string): Promise<PropertyModel | undefined> {
  if (flag === "none") return undefined;
  const shipped = flag === "reference" || flag === "default" || flag === "ours";
  const source = flag === "ours" ? "default" : flag === "default" ? "reference" : flag;
  try {
    return await PropertyModel.load(source, { dataset });
  } catch (e) {
    if (shipped) return undefined; // nothing shipped for this dataset: no property EMD
    throw e;
  }
}

/** `--property-model` of the commands that score crystals with {@linkcode loadPropertyModel}. */
export const PROPERTY_MODEL_OPTION: OptionSpec = {
  type: "string",
  value: "reference|ours|DIR|none",
  default: "reference",
  description:
    "Independent property predictor: the paper's (the CDVAE authors' model, data/models/<dataset>-prop-reference/), ours (data/models/<dataset>-prop/), a folder or .ckpt, or none",
};

/** The paper's CDVAE rows (Tables 2 and 3), in per cent where a rate. */
export const PAPER: Record<
  DatasetName,
  {
    match: number;
    rms: number;
    struct: number;
    comp: number | null;
    covR: number;
    covP: number;
    emdProperty: number;
    emdDensity: number;
    emdElements: number | null;
  }
> = {
  perov_5: {
    match: 97.52,
    rms: 0.0156,
    struct: 100,
    comp: 98.59,
    covR: 99.45,
    covP: 98.46,
    emdProperty: 0.0264,
    emdDensity: 0.1258,
    emdElements: 0.0628,
  },
  carbon_24: {
    match: 55.22,
    rms: 0.1251,
    struct: 100,
    comp: null,
    covR: 99.8,
    covP: 83.08,
    emdProperty: 0.285,
    emdDensity: 0.1407,
    emdElements: null,
  },
  mp_20: {
    match: 45.43,
    rms: 0.0356,
    struct: 100,
    comp: 86.7,
    covR: 99.15,
    covP: 99.49,
    emdProperty: 0.2778,
    emdDensity: 0.6875,
    emdElements: 1.432,
  },
};

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(2) : "—");
const num = (
  x: number | null | undefined,
  d = 4,
) => (x !== null && x !== undefined && Number.isFinite(x) ? x.toFixed(d) : "—");

/**
 * The Markdown section on space groups: per set the crystals, P1 share, share above number 15 and
 * failed searches, the EMD of the numbers, and the most common groups.
 */
function spaceGroupLines(sg: SpaceGroupComparison, names: [string, string], symprec: number): string[] {
  const set = (name: string, s: SpaceGroupComparison["generated"]) =>
    `| ${name} | ${s.count} | ${pct(s.p1)} | ${pct(s.orthorhombicOrHigher)} | ${s.failed} |`;
  return [
    `## Space groups (symprec ${symprec} Å)`,
    "",
    "| | crystals | P1 % | number > 15 % | search failed |",
    "| --- | --- | --- | --- | --- |",
    set(names[0], sg.generated),
    set(names[1], sg.reference),
    "",
    `EMD of the space-group numbers: ${num(sg.wdistSpaceGroup, 2)}`,
    "",
    `| space group | number | ${names[0]} % | ${names[1]} % |`,
    "| --- | --- | --- | --- |",
    ...sg.top.map((r) =>
      `| ${printedSymbol(r.symbol)} | ${r.number} | ${pct(r.generated)} | ${pct(r.reference)} |`
    ),
    ...(sg.others.groups > 0
      ? [`| ${sg.others.groups} other groups | | ${pct(sg.others.generated)} | ${pct(sg.others.reference)} |`]
      : []),
  ];
}

export const evaluate: Command = {
  name: "evaluate",
  summary: "Compute the paper's metrics for generated or reconstructed crystals against a dataset split",
  usage: "DIR [DIR…]",
  description:
    "DIR is a folder written by `generate` (generation metrics: validity, EMD of density and of the " +
    "number of elements on up to 1 000 valid samples) or by `reconstruct` (match rate and RMS against the " +
    "originals named in its summary.json), coverage COV-R/COV-P with the reference's cutoffs. Writes " +
    "OUT/metrics.json, metrics.md and SVG plots. For generation, also the space-group distribution of the " +
    "valid crystals against the split at --symprec: share of P1, share above number 15, the most common " +
    "groups, EMD of the numbers (space_groups.svg); for reconstruction, the shares that keep the original's " +
    "space group and its composition (atom count, elements, every element's count; the match rate among those). The property EMD uses an independent property model (--property-model). Several folders are one set (the shards of `generate --shard`, or reconstructions " +
    "of one input); a crystal that would be in it twice (overlapping shards, the same seed twice) is refused.",
  options: {
    dataset: {
      type: "string",
      value: "NAME",
      default: "perov_5",
      description: `Reference dataset: ${Object.keys(DATASETS).join(", ")}`,
    },
    split: { type: "string", value: "SPLIT", default: "test", description: "Reference split" },
    out: {
      type: "string",
      value: "DIR",
      description: "Report folder (default: DIR/eval; required with several folders)",
    },
    samples: {
      type: "string",
      value: "N",
      default: "1000",
      description: "Valid samples used for the distribution distances",
    },
    seed: { type: "string", value: "N", default: "0", description: "Seed of the sample choice" },
    "property-model": PROPERTY_MODEL_OPTION,
    download: DOWNLOAD_OPTION,
    symprec: {
      type: "string",
      value: "Å",
      default: String(REPORT_SYMPREC),
      description:
        "Distance tolerance of the space groups (generated crystals and the split; reconstructions)",
    },
  },
  async run(args) {
    const dirs = args.positionals, dir = dirs.join(", ");
    if (dirs.length === 0) throw new UsageError("Give the folder to evaluate");
    if (dirs.length > 1 && args.values.out === undefined) {
      throw new UsageError("Give --out for the report on several folders");
    }
    const dataset = String(args.values.dataset), split = String(args.values.split);
    if (!isDatasetName(dataset)) throw new UsageError(`Unknown dataset "${dataset}"`);
    if (!SPLITS.includes(split as Split)) throw new UsageError(`Unknown split "${split}"`);
    const samples = intFlag(args, "samples", { min: 1 })!, seed = seedFlag(args);
    const symprec = symprecFlag(args);
    const outDir = String(args.values.out ?? `${dir}/eval`);
    const { crystals, ids: files, summary, note } = await readCrystalSet(dirs);
    if (crystals.length === 0) throw new Error(`No crystal files in "${dir}"`);
    if (note) console.error(`Note: ${note}`);
    await checkOutputDir(outDir, "metrics.json");
    /** The report's files, written together at the end (an earlier report is replaced whole). */
    const reportFiles = new Map<string, string>();
    const paper = PAPER[dataset];
    const isRecon = typeof summary.input === "string" && Array.isArray(summary.ids);
    const lines = [`# Evaluation of ${dir} against ${dataset} ${split}`, ""];
    let report: Record<string, unknown>;
    if (isRecon) {
      const m = /^dataset:([a-z0-9_]+):([a-z]+)$/.exec(summary.input as string);
      // From a dataset, only as many rows as reconstructed are needed (reconstruct took the first ones).
      await ensureDatasetInput(summary.input, args);
      const source = await readCrystalInput(summary.input as string, m ? crystals.length : undefined);
      const byId = new Map(source.ids.map((id, i) => [id, source.crystals[i]]));
      const originals = (summary.ids as string[]).map((id) => byId.get(id));
      if (originals.some((c) => !c)) {
        throw new Error(
          `Some originals of "${dir}" are not in ${summary.input} (recorded in its summary.json)`,
        );
      }
      const { metrics, rms } = reconstructionMetrics(crystals, originals as Crystal[]);
      const recSg = spaceGroupNumbersOrNull(crystals, symprec);
      const origSg = spaceGroupNumbersOrNull(originals as Crystal[], symprec);
      const kept = spaceGroupKept(recSg, origSg);
      const originalNumbers = (originals as Crystal[]).map((c) => c.numbers);
      const comp = compositionKept(
        crystals.map((c) => c.numbers),
        originalNumbers,
        rms.map((r) => r !== null),
      );
      report = {
        task: "reconstruction",
        input: summary.input,
        metrics: { ...metrics, compositionKept: comp, spaceGroupKept: { symprec, ...kept } },
        crystals: files.map((f, i) => ({
          file: f,
          id: (summary.ids as string[])[i],
          rms: rms[i],
          sameComposition: sameComposition(crystals[i].numbers, originalNumbers[i]),
          spaceGroup: recSg[i],
          originalSpaceGroup: origSg[i],
        })),
      };
      lines.push(
        "| | match rate % | RMSE |",
        "| --- | --- | --- |",
        `| this model (${metrics.count} crystals) | ${pct(metrics.matchRate)} | ${num(metrics.meanRms)} |`,
        `| CDVAE paper | ${paper.match} | ${paper.rms} |`,
        "",
        `Composition kept: the same atom count ${pct(comp.atomCount)} %, the same elements ${
          pct(comp.elements)
        } %, the same count of every element ${pct(comp.composition)} %; structure match among the last ${
          pct(comp.matchGivenComposition)
        } %`,
        "",
        `Space group kept (symprec ${symprec} Å): ${pct(kept.share)} % of ${
          counted(kept.pairs, "pair")
        } whose two searches succeeded`,
      );
      console.log(
        `match rate ${pct(metrics.matchRate)} %, RMSE ${num(metrics.meanRms)} over ${
          counted(metrics.count, "crystal")
        }; composition kept ${pct(comp.composition)} % (match among them ${
          pct(comp.matchGivenComposition)
        } %); space group kept ${pct(kept.share)} % (symprec ${symprec} Å)`,
      );
    } else {
      await ensureSplits(dataset, [split as Split], args);
      const ref = (await loadDataset(dataset, split as Split)).entries.map((e) => e.crystal);
      const { metrics, perCrystal, sampleIndices } = generationMetrics(crystals, ref, { samples, seed });
      let wdistProperty = NaN, propertyName = "";
      const propModel = await loadPropertyModel(String(args.values["property-model"]), dataset);
      if (propModel) {
        try {
          propertyName = propModel.config.property;
          const [p, q] = [
            await propModel.predict(sampleIndices.map((i) => crystals[i])),
            await propModel.predict(ref),
          ];
          wdistProperty = wasserstein1([...p], [...q]);
        } finally {
          propModel.dispose();
        }
      }
      // The split's space groups on workers while this thread computes the fingerprints (their
      // progress shows once this thread waits for them).
      const refSgPending = spaceGroupNumbersInWorkers(ref, symprec, {
        onProgress: progressCallback(`space groups (${dataset} ${split})`),
      });
      refSgPending.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
      const genFps = coverageFingerprintMany(crystals, progressCallback("fingerprints (generated)"));
      const cov = coverageMetrics(
        genFps,
        coverageFingerprintMany(ref, progressCallback(`fingerprints (${dataset} ${split})`)),
        COV_CUTOFFS[dataset],
        progressCallback("coverage"),
      );
      const validIdx = perCrystal.map((v, i) => (v.valid ? i : -1)).filter((i) => i >= 0);
      const genSg = spaceGroupNumbersOrNull(
        validIdx.map((i) => crystals[i]),
        symprec,
        progressCallback("space groups (generated)"),
      );
      const sg = compareSpaceGroups(genSg, await refSgPending);
      const sgOf = new Map(validIdx.map((i, k) => [i, genSg[k]]));
      report = {
        task: "generation",
        reference: `${dataset}:${split}`,
        metrics: {
          ...metrics,
          ...cov,
          wdistProperty: Number.isFinite(wdistProperty) ? wdistProperty : null,
          property: propertyName || null,
          propertyModel: propertyName ? String(args.values["property-model"]) : null,
          spaceGroups: { symprec, of: "valid crystals", ...sg },
        },
        crystals: files.map((f, i) => ({
          file: f,
          ...perCrystal[i],
          fingerprint: genFps[i] !== null,
          ...(sgOf.has(i) ? { spaceGroup: sgOf.get(i) } : {}),
        })),
      };
      const ours = [
        `this model (${counted(metrics.count, "crystal")})`,
        pct(metrics.structValid),
        pct(metrics.compValid),
        pct(metrics.distinctCompositions),
        pct(cov.covRecall),
        pct(cov.covPrecision),
        `${num(cov.amsdRecall)} / ${num(cov.amcdRecall)}`,
        num(metrics.wdistDensity),
        num(metrics.wdistNumElements),
        num(wdistProperty),
        `${metrics.samples} valid`,
      ];
      const theirs = [
        "CDVAE paper (10 000 / 1 000)",
        paper.struct,
        paper.comp ?? "—",
        "—",
        paper.covR,
        paper.covP,
        "",
        paper.emdDensity,
        paper.emdElements ?? "—",
        paper.emdProperty,
        "",
      ];
      lines.push(
        "| | validity struct % | validity comp % | distinct comp. % | COV-R % | COV-P % | AMSD-R / AMCD-R | EMD ρ | EMD #elem | EMD prop | samples |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        `| ${ours.join(" | ")} |`,
        `| ${theirs.join(" | ")} |`,
      );
      const names: [string, string] = ["generated (valid)", `${dataset} ${split}`];
      lines.push("", ...spaceGroupLines(sg, names, symprec));
      const dens = (cs: readonly Crystal[]) => cs.map(densityOrNaN);
      const valid = validIdx.map((i) => crystals[i]);
      reportFiles.set(
        "density.svg",
        histogramSvg("Density", dens(valid), dens(ref), { names, xLabel: "density (g/cm³)" }),
      );
      reportFiles.set(
        "num_elements.svg",
        histogramSvg(
          "Number of elements per crystal",
          valid.map((c) => new Set(c.numbers).size),
          ref.map((c) => new Set(c.numbers).size),
          { names, integer: true, xLabel: "distinct elements (count)" },
        ),
      );
      reportFiles.set("space_groups.svg", spaceGroupBarsSvg(sg, names, symprec));
      console.log(
        `validity: structural ${pct(metrics.structValid)} %, composition ${pct(metrics.compValid)} %; ` +
          `distinct compositions ${pct(metrics.distinctCompositions)} %; ` +
          `COV-R ${pct(cov.covRecall)} %, COV-P ${pct(cov.covPrecision)} %; ` +
          `EMD density ${num(metrics.wdistDensity)}, #elements ${num(metrics.wdistNumElements)}` +
          (propertyName ? `, ${propertyName} ${num(wdistProperty)}` : "") +
          ` (${metrics.samples} valid samples)`,
      );
      console.log(
        `space groups (symprec ${symprec} Å, ${counted(sg.generated.count, "valid crystal")}): ` +
          `P1 ${pct(sg.generated.p1)} % (${dataset} ${split} ${pct(sg.reference.p1)} %), ` +
          `number > 15 ${pct(sg.generated.orthorhombicOrHigher)} % (${
            pct(sg.reference.orthorhombicOrHigher)
          } %), ` +
          `EMD of numbers ${num(sg.wdistSpaceGroup, 2)}`,
      );
    }
    reportFiles.set("metrics.json", JSON.stringify(report, null, 1) + "\n");
    reportFiles.set("metrics.md", lines.join("\n") + "\n");
    await replaceOutputDir(outDir, "metrics.json", async (tmp) => {
      for (const [name, text] of reportFiles) await writeTextAtomic(`${tmp}/${name}`, text);
    });
    console.error(`Wrote:\n${[...reportFiles.keys()].map((f) => `  ${outDir}/${f}`).join("\n")}`);
    return 0;
  },
};
