/**
 * The generation worker of the demo page: picks the backend, loads the chosen model once, runs
 * `generate` and posts progress and then one summary per crystal (with its CIF and POSCAR). It runs
 * in a dedicated Web Worker so that the page stays responsive and Cancel can simply terminate it.
 *
 * @module
 */

import {
  type Backend,
  type BackendChoice,
  type CDVAE,
  chooseBackend,
  density,
  type GeneratedCrystal,
  initCore,
  latticeParameters,
  latticeVolume,
  loadModel,
  pymatgenFormulas,
  smactValid,
  structureValidity,
  writeCif,
  writeExtxyz,
  writePoscar,
} from "./mod.ts";
import type { CrystalSummary, GenerateRequest, WorkerMessage } from "./protocol.ts";

export type { CrystalSummary, GenerateRequest, WorkerMessage } from "./protocol.ts";

/** Density in g/cm³, NaN for a degenerate cell (the geometry core refuses those). */
function densityOrNaN(c: GeneratedCrystal): number {
  try {
    return density(c);
  } catch {
    return NaN;
  }
}

/** One crystal's card data. */
export function summarize(c: GeneratedCrystal, index: number): CrystalSummary {
  const name = `gen_${index}`;
  const f = pymatgenFormulas(c.numbers);
  const p = latticeParameters(c.lattice);
  const v = structureValidity(c);
  return {
    index,
    formula: f.reduced,
    formulaSum: f.sum,
    atoms: c.numbers.length,
    lattice: { a: p.a, b: p.b, c: p.c, alpha: p.alpha, beta: p.beta, gamma: p.gamma },
    volume: Math.abs(latticeVolume(c.lattice)),
    density: densityOrNaN(c),
    minDistance: v.minDistance,
    structurallyValid: v.valid,
    ...(v.reason ? { invalidBecause: v.reason } : {}),
    smactValid: smactValid(c.numbers),
    ...(c.problem ? { problem: c.problem } : {}),
    lattice9: [...c.lattice],
    frac: [...c.frac],
    numbers: [...c.numbers],
    cif: writeCif({ ...c, name }),
    poscar: writePoscar({ ...c, name }),
  };
}

/** Serves generation requests on this worker's message port. */
export function runWorker(scope: { onmessage: unknown; postMessage(m: WorkerMessage): void }): void {
  const choices = new Map<string, Promise<BackendChoice>>();
  const models = new Map<string, Promise<CDVAE>>();
  const post = (m: WorkerMessage) => scope.postMessage(m);
  scope.onmessage = async (e: MessageEvent<GenerateRequest>) => {
    const req = e.data;
    const t0 = performance.now();
    try {
      await initCore({ base: req.base });
      const key = req.prefer ?? "auto";
      if (!choices.has(key)) {
        const c = chooseBackend({ base: req.base, prefer: req.prefer });
        c.catch(() => choices.delete(key));
        choices.set(key, c);
      }
      const { backend, name, detail, note } = await choices.get(key)!;
      post({ type: "backend", name, detail, ...(note ? { note } : {}) });
      const model = await modelFor(models, req, backend, name);
      const crystals = await model.generate({
        n: req.n,
        seed: req.seed,
        stepsPerLevel: req.steps,
        levels: req.levels,
        onStep: (done, total) =>
          post({ type: "progress", done, total, seconds: (performance.now() - t0) / 1000 }),
      });
      post({
        type: "done",
        crystals: crystals.map(summarize),
        seconds: (performance.now() - t0) / 1000,
        extxyz: writeExtxyz(crystals.map((c, i) => ({ ...c, name: `gen_${i}` }))),
      });
    } catch (err) {
      post({ type: "error", message: err instanceof Error ? err.message : String(err) });
    }
  };
}

function modelFor(
  models: Map<string, Promise<CDVAE>>,
  req: GenerateRequest,
  backend: Backend,
  backendName: string,
): Promise<CDVAE> {
  const key = `${req.model} on ${backendName}`;
  let m = models.get(key);
  if (!m) {
    m = loadModel(req.model, { base: req.base, backend });
    m.catch(() => models.delete(key));
    models.set(key, m);
  }
  return m;
}
