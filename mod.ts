/**
 * cdvae: crystal structures with the Crystal Diffusion Variational Autoencoder (Xie et al., ICLR
 * 2022) in Deno — crystal file formats, the paper's datasets, a Rust→wasm geometry core, and
 * (in progress) the model, sampler and metrics.
 *
 * Run as a CLI: `deno run -A mod.ts --help`.
 *
 * @example Read a POSCAR and write it as CIF
 * ```ts ignore
 * import { readPoscar, writeCif } from "./mod.ts";
 * console.log(writeCif(readPoscar(await Deno.readTextFile("POSCAR"))));
 * ```
 * @module
 */

export * from "./src/crystal/crystal.ts";
export * from "./src/crystal/lattice.ts";
export * from "./src/crystal/elements.ts";
export * from "./src/crystal/errors.ts";
export * from "./src/crystal/cif.ts";
export * from "./src/crystal/poscar.ts";
export * from "./src/crystal/extxyz.ts";
export * from "./src/crystal/pymatgen_json.ts";
export * from "./src/crystal/formats.ts";
export * from "./src/data/csv.ts";
export * from "./src/data/datasets.ts";
export * from "./src/core/lattice.ts";
export * from "./src/core/geometry.ts";
export * from "./src/core/neighbor_pool.ts";
export * from "./src/core/symmetry.ts";
export * from "./src/eval/smact.ts";
export * from "./src/eval/magpie.ts";
export * from "./src/eval/validity.ts";
export * from "./src/eval/matcher.ts";
export * from "./src/core/crystalnn.ts";
export * from "./src/eval/metrics.ts";
export * from "./src/data/preprocess.ts";
export { getBackend } from "./src/compute/backend.ts";
export type { Backend, BackendOptions } from "./src/compute/backend.ts";
export { CDVAE, DEFAULT_MODEL_URL } from "./src/model/cdvae.ts";
export type { GenerateOptions, HeadOutputs } from "./src/model/cdvae.ts";
export * from "./src/model/config.ts";
export type { GeneratedCrystal, LangevinOptions } from "./src/model/sampler.ts";
export { decodeSchedule, optimizeLatents, propertyHeadGradient } from "./src/model/optimize.ts";
export type { OptimizationDecode, OptimizationResult, OptimizeOptions } from "./src/model/optimize.ts";
export { loadCustomData, loadTrainingData, train } from "./src/train/trainer.ts";
export { PropertyModel } from "./src/model/property.ts";
export type { PropertyModelConfig } from "./src/model/property.ts";
export { trainPropertyModel } from "./src/train/property.ts";
export type { TrainOptions, TrainSummary } from "./src/train/trainer.ts";

if (import.meta.main) {
  const { main } = await import("./src/cli/main.ts");
  Deno.exit(await main(Deno.args));
}
