/**
 * Fuzzing harness for every reader (CIF, POSCAR, extxyz, pymatgen JSON, dataset CSV,
 * safetensors, model config): seed files, structured mutations of them, random inputs, and the
 * rule each reader must keep — every input ends in a value or the reader's own typed error
 * naming the file, never another exception, and within {@linkcode fuzzTimeLimitMs}.
 * `tests/crystal/readers_fuzz_test.ts` runs a bounded number of cases; `bench/fuzz_readers.ts` runs many.
 *
 * @module
 */

import fc from "fast-check";
import { readCif, writeCif } from "../src/crystal/cif.ts";
import { readPoscar, writePoscar } from "../src/crystal/poscar.ts";
import { readExtxyz, writeExtxyz } from "../src/crystal/extxyz.ts";
import { fromPymatgenDict, toPymatgenDict } from "../src/crystal/pymatgen_json.ts";
import { FORMATS } from "../src/crystal/formats.ts";
import { CrystalParseError } from "../src/crystal/errors.ts";
import type { Crystal } from "../src/crystal/crystal.ts";
import { CsvParseError, parseCsv } from "../src/data/csv.ts";
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from "../src/model/safetensors.ts";
import { checkCDVAEConfig, ConfigError } from "../src/model/config_check.ts";
import { defaultConfig } from "../src/model/config.ts";

/** Longest time one input may take (ms) on an idle machine before it counts as a hang. */
export const FUZZ_TIME_LIMIT_MS = 2000;

/** How many times its calibration workload an input may take, when that is more than the limit. */
const CALIBRATED_FACTOR = 200;

let calibratedLimit: number | undefined;

/**
 * The hang limit, scaled to how fast this process runs right now: the larger of
 * {@linkcode FUZZ_TIME_LIMIT_MS} and {@linkcode CALIBRATED_FACTOR} × the time of a fixed workload
 * (reading and writing a small CIF 100 times, ~10 ms on an idle core). A wall-clock limit alone
 * fails on a machine that is busy with other work (a niced test behind a training run took 5 s
 * for what takes 0.3 s idle); the scaled one still catches a reader that is quadratic in its input,
 * which takes minutes on the absurd inputs even on an idle machine. Measured once per process.
 */
export function fuzzTimeLimitMs(): number {
  if (calibratedLimit === undefined) {
    const c: Crystal = {
      lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
      frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
      numbers: new Uint8Array([11, 17]),
    };
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) readCif(writeCif(c, { name: "calibration" }));
    calibratedLimit = Math.max(FUZZ_TIME_LIMIT_MS, CALIBRATED_FACTOR * (performance.now() - t0));
  }
  return calibratedLimit;
}

/** The file name every target passes, so errors can be checked to name it. */
const FILE = "fuzz-input";

/** One reader under test. */
export interface FuzzTarget {
  name: string;
  /** Real files to mutate. */
  seeds: string[];
  /** Reads one input; returns normally or throws. */
  read(text: string): unknown;
  /** True when `e` is the reader's own typed error, naming the file. */
  typed(e: unknown): boolean;
}

const fixtures = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url))).items as {
    cif: string;
  }[];

/** Seed crystals: a few dataset CIFs, with and without symmetry operations. */
function seedCifs(): string[] {
  return [
    ...fixtures("pymatgen_cif_dataset.json").slice(0, 4),
    ...fixtures("pymatgen_cif_symmetrized.json").slice(0, 4),
  ]
    .map((x) => x.cif);
}

function seedCrystals(): Crystal[] {
  return seedCifs().slice(0, 4).map((t) => readCif(t)[0]);
}

const crystalError = (e: unknown) => e instanceof CrystalParseError && e.file === FILE;

/** Every reader, with its seeds. */
export function fuzzTargets(): FuzzTarget[] {
  const crystals = seedCrystals();
  const cifs = [...seedCifs(), writeCif(crystals[0])];
  const config = JSON.stringify(defaultConfig("perov_5"), null, 1);
  const csvRow = (c: string, i: number) => `${i},"${c.replaceAll('"', '""')}",-1.25`;
  return [
    {
      name: "CIF",
      seeds: cifs,
      read: (t) => readCif(t, { name: FILE, onSkippedBlock: () => {} }),
      typed: crystalError,
    },
    {
      name: "POSCAR",
      seeds: crystals.map((c) => writePoscar(c)),
      read: (t) => readPoscar(t, { name: FILE }),
      typed: crystalError,
    },
    {
      name: "extxyz",
      seeds: [writeExtxyz(crystals), writeExtxyz(crystals.slice(0, 1))],
      read: (t) => readExtxyz(t, { name: FILE }),
      typed: crystalError,
    },
    {
      name: "pymatgen JSON",
      seeds: [JSON.stringify(toPymatgenDict(crystals[0]), null, 1), FORMATS.json.write(crystals)],
      read: (t) => FORMATS.json.read(t, { name: FILE }),
      typed: (e) => crystalError(e) || (e instanceof CrystalParseError && e.file.startsWith(`${FILE}[`)),
    },
    {
      name: "pymatgen dict",
      seeds: [JSON.stringify(toPymatgenDict(crystals[1]))],
      read: (t) => fromPymatgenDict(t, { name: FILE }),
      typed: crystalError,
    },
    {
      name: "dataset CSV",
      seeds: ["material_id,cif,formation_energy_per_atom\n" + cifs.slice(0, 3).map(csvRow).join("\n") + "\n"],
      read: (t) => {
        const rows = parseCsv(t, FILE);
        for (const row of rows.slice(1)) {
          for (const f of row) if (f.includes("data_")) readCif(f, { name: FILE });
        }
        return rows;
      },
      typed: (e) => (e instanceof CsvParseError && e.file === FILE) || crystalError(e),
    },
    {
      // Safetensors bytes travel as latin-1 text so the same mutations apply.
      name: "safetensors",
      seeds: [
        latin1(encodeSafetensors({
          "a.weight": { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
          b: { shape: [1], data: new Float32Array([7]) },
        }, { epoch: "3" })),
      ],
      read: (t) => decodeSafetensors(fromLatin1(t), FILE),
      typed: (e) => e instanceof SafetensorsError && e.message.includes(`"${FILE}"`),
    },
    {
      name: "model config",
      seeds: [config],
      read: (t) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(t);
        } catch {
          return undefined; // not JSON: the JSON parser's SyntaxError, as readConfig reports it
        }
        return checkCDVAEConfig(parsed, FILE);
      },
      typed: (e) => e instanceof ConfigError && e.message.includes(`"${FILE}"`),
    },
  ];
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Tokens that break readers most often: edge numbers, CIF syntax, separators, huge values. */
const INTERESTING = [
  "0",
  "-1",
  "1e308",
  "-1e308",
  "1e-308",
  "NaN",
  "Infinity",
  "nan",
  "?",
  ".",
  "'",
  '"',
  ";",
  "#",
  "%",
  "_",
  "loop_",
  "data_x",
  "global_",
  "save_",
  "100000000000000000000",
  "1000000",
  "200001",
  "0.333333",
  "x,y,z",
  "'-x, y+1/2, z'",
  "Fe3+",
  "Xx",
  "",
  "\t",
  "[[",
  "]",
  "{",
  "}",
  ",",
  "=",
  "\\",
  "\u0000",
  'Lattice="1 0 0 0 1 0 0 0 1"',
  "0.75Si + 0.25Al",
  "-0",
  "1e-7",
  "90",
  "180",
  "0.001",
  '""',
  "null",
  "[]",
  "{}",
  "true",
  "-5",
  "1.5",
  "18446744073709551615",
];

/** One structured edit of a text. */
type Mutation =
  | { kind: "deleteLine" | "duplicateLine"; at: number }
  | { kind: "swapLines"; at: number; to: number }
  | { kind: "replaceToken" | "insertToken"; at: number; token: number; value: string }
  | { kind: "truncate" | "flip"; at: number; char: number }
  | { kind: "insertText"; at: number; value: string }
  | { kind: "repeatLine"; at: number; times: number }
  | { kind: "growNumber"; at: number; token: number; zeros: number };

const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom("deleteLine" as const, "duplicateLine" as const), at: fraction }),
  fc.record({ kind: fc.constant("swapLines" as const), at: fraction, to: fraction }),
  fc.record({
    kind: fc.constantFrom("replaceToken" as const, "insertToken" as const),
    at: fraction,
    token: fraction,
    value: fc.oneof(fc.constantFrom(...INTERESTING), fc.string({ maxLength: 8 })),
  }),
  fc.record({
    kind: fc.constantFrom("truncate" as const, "flip" as const),
    at: fraction,
    char: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.record({
    kind: fc.constant("insertText" as const),
    at: fraction,
    value: fc.string({ maxLength: 40, unit: "binary" }),
  }),
  fc.record({
    kind: fc.constant("repeatLine" as const),
    at: fraction,
    times: fc.integer({ min: 2, max: 2000 }),
  }),
  fc.record({
    kind: fc.constant("growNumber" as const),
    at: fraction,
    token: fraction,
    zeros: fc.integer({ min: 1, max: 30 }),
  }),
);

/** Applies one mutation. Fractions pick lines, tokens and characters, so any text takes any edit. */
export function mutate(text: string, m: Mutation): string {
  const lines = text.split("\n");
  const li = Math.floor(m.at * lines.length);
  switch (m.kind) {
    case "deleteLine":
      lines.splice(li, 1);
      return lines.join("\n");
    case "duplicateLine":
      lines.splice(li, 0, lines[li]);
      return lines.join("\n");
    case "repeatLine":
      lines.splice(li, 0, ...Array(m.times).fill(lines[li]));
      return lines.join("\n");
    case "swapLines": {
      const lj = Math.floor(m.to * lines.length);
      [lines[li], lines[lj]] = [lines[lj], lines[li]];
      return lines.join("\n");
    }
    case "replaceToken":
    case "insertToken": {
      const parts = lines[li].split(/(\s+)/);
      const k = Math.floor(m.token * parts.length);
      parts.splice(k, m.kind === "replaceToken" ? 1 : 0, m.kind === "insertToken" ? ` ${m.value} ` : m.value);
      lines[li] = parts.join("");
      return lines.join("\n");
    }
    case "growNumber": {
      // Counts, offsets and lengths times 10^zeros: the sizes that exhaust memory when trusted.
      // Whole-integer tokens (atom counts) first, else any token with digits.
      const integers = lines.flatMap((l, i) => (/(^|[\s,[:])\d+([\s,\]]|$)/.test(l) ? [i] : []));
      const pool = integers.length > 0 ? integers : lines.flatMap((l, i) => (/\d/.test(l) ? [i] : []));
      if (pool.length === 0) return text;
      const line = pool[Math.floor(m.at * pool.length)];
      const spots = [...lines[line].matchAll(/\d+/g)];
      const hit = spots[Math.floor(m.token * spots.length)];
      const end = hit.index + hit[0].length;
      lines[line] = lines[line].slice(0, end) + "0".repeat(m.zeros) + lines[line].slice(end);
      return lines.join("\n");
    }
    case "truncate":
      return text.slice(0, Math.floor(m.at * text.length));
    case "flip": {
      const p = Math.floor(m.at * text.length);
      return text.slice(0, p) + String.fromCharCode(m.char) + text.slice(p + 1);
    }
    case "insertText": {
      const p = Math.floor(m.at * text.length);
      return text.slice(0, p) + m.value + text.slice(p);
    }
  }
}

/** An input for a target: a seed under 1–4 mutations, or random text. */
export function fuzzInput(target: FuzzTarget): fc.Arbitrary<string> {
  const mutated = fc.tuple(
    fc.nat({ max: target.seeds.length - 1 }),
    fc.array(mutation, { minLength: 1, maxLength: 4 }),
  )
    .map(([s, ms]) => ms.reduce(mutate, target.seeds[s]));
  const random = fc.oneof(
    fc.string({ maxLength: 400, unit: "binary" }),
    fc.uint8Array({ maxLength: 400 }).map((b) => new TextDecoder().decode(b)),
    fc.array(fc.constantFrom(...INTERESTING, "\n", " ", "\n"), { maxLength: 60 }).map((t) => t.join(" ")),
  );
  return fc.oneof({ arbitrary: mutated, weight: 4 }, { arbitrary: random, weight: 1 });
}

/**
 * Reads one input and returns what went wrong (another exception type, an untyped error, or
 * more than {@linkcode fuzzTimeLimitMs}), or undefined when the reader behaved.
 */
export function fuzzProblem(target: FuzzTarget, input: string): string | undefined {
  const t0 = performance.now();
  let problem: string | undefined;
  try {
    target.read(input);
  } catch (e) {
    if (!target.typed(e)) problem = `${target.name}: threw ${e instanceof Error ? e.stack : String(e)}`;
  }
  const ms = performance.now() - t0;
  if (ms > fuzzTimeLimitMs()) problem ??= `${target.name}: took ${ms.toFixed(0)} ms`;
  return problem;
}

/** Inputs every reader must refuse early: huge counts and lines. */
export function absurdInputs(): string[] {
  const big = "9".repeat(50_000_000);
  return [
    `x\n1.0\n4 0 0\n0 4 0\n0 0 4\nNa\n1000000\nDirect\n0 0 0\n`,
    `1000000\nLattice="4 0 0 0 4 0 0 0 4"\nNa 0 0 0\n`,
    `data_x\n_cell_length_a ${big}\n`,
    big,
  ];
}
