/**
 * The messages between the demo page (`page.ts`) and its generation worker (`worker.ts`).
 *
 * @module
 */

/** What the page asks for. */
export interface GenerateRequest {
  type: "generate";
  /** Asset root (the site's URL). */
  base: string;
  model: string;
  n: number;
  /** Langevin steps per noise level. */
  steps: number;
  /** Noise levels used (of the model's 50). */
  levels: number;
  seed: number;
  prefer?: "webgpu" | "wasm";
}

/** Everything a result card shows about one crystal. */
export interface CrystalSummary {
  index: number;
  /** pymatgen's reduced formula (the CIF's `_chemical_formula_structural`), e.g. "SrTiO3". */
  formula: string;
  /** Elements with counts in the CIF's `_chemical_formula_sum` order, e.g. "Sr1 Ti1 O3". */
  formulaSum: string;
  atoms: number;
  lattice: { a: number; b: number; c: number; alpha: number; beta: number; gamma: number };
  volume: number;
  /** g/cm³ (NaN when undefined). */
  density: number;
  /** Shortest interatomic distance, Å (Infinity for one atom in a large cell). */
  minDistance: number;
  structurallyValid: boolean;
  invalidBecause?: string;
  smactValid: boolean;
  /** Why the crystal is degenerate, if it is. */
  problem?: string;
  lattice9: number[];
  frac: number[];
  numbers: number[];
  cif: string;
  poscar: string;
}

/** What the worker posts back. */
export type WorkerMessage =
  | { type: "backend"; name: string; detail: string; note?: string }
  | { type: "progress"; done: number; total: number; seconds: number }
  | {
    type: "done";
    crystals: CrystalSummary[];
    seconds: number; /** All crystals as one extended XYZ file. */
    extxyz: string;
  }
  | { type: "error"; message: string };
