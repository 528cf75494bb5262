/**
 * cdvae: crystal structures with the Crystal Diffusion Variational Autoencoder (Xie et al., ICLR
 * 2022) in Deno — a trained model that generates, reconstructs and optimises crystals, the file
 * formats and datasets around it, a Rust→wasm geometry core and the paper's metrics.
 *
 * - **Crystals**: the {@linkcode Crystal} type, lattice ⇄ parameters, fractional ⇄ Cartesian,
 *   elements and formulas.
 * - **File formats**: CIF ({@linkcode readCif}, {@linkcode writeCif}), POSCAR, extended XYZ and
 *   pymatgen's `Structure.as_dict()` JSON; {@linkcode FORMATS} picks one by file name.
 * - **Datasets**: the paper's Perov-5, Carbon-24 and MP-20 CSVs ({@linkcode loadDataset}).
 * - **Geometry** (wasm, f64, batch forms end in `Many`): Niggli reduction, neighbour lists (also
 *   on worker threads, {@linkcode NeighborListPool}), minimum-image distances, volume, density,
 *   CrystalNN neighbours and fingerprints.
 * - **Evaluation**: SMACT and structure validity, Magpie fingerprints, the StructureMatcher and
 *   the paper's generation, reconstruction, coverage and property-optimisation metrics.
 * - **Model**: {@linkcode CDVAE} (load, generate, encode, reconstruct), its configs, property
 *   optimisation in latent space, the property model and a compute backend ({@linkcode getBackend}).
 * - **Training**: {@linkcode train} and {@linkcode trainPropertyModel} on a dataset or your own
 *   crystals.
 * - **PyTorch checkpoints**: a pickle reader that never runs code ({@linkcode readTorchFile}) and
 *   a state-dict writer.
 *
 * Run as a CLI: `deno run -A mod.ts --help`.
 *
 * @example Read a POSCAR and write it as CIF
 * ```ts
 * import { readPoscar, writeCif } from "./mod.ts";
 * import assert from "node:assert";
 * const poscar = "NaCl\n1.0\n4 0 0\n0 4 0\n0 0 4\nNa Cl\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n";
 * assert.match(writeCif(readPoscar(poscar)), /_chemical_formula_sum +'Na1 Cl1'/);
 * ```
 * @module
 */

// Crystals
export { atomCount, cloneCrystal, formula, validateCrystal } from "./src/crystal/crystal.ts";
export type { Crystal } from "./src/crystal/crystal.ts";
export {
  cartToFrac,
  fracToCart,
  latticeFromParameters,
  latticeParameters,
  latticeVolume,
  wrapFrac,
} from "./src/crystal/lattice.ts";
export type { LatticeParameters } from "./src/crystal/lattice.ts";
export { atomicNumber, ELEMENT_SYMBOLS, elementSymbol } from "./src/crystal/elements.ts";

// File formats
export { CrystalParseError } from "./src/crystal/errors.ts";
export type { ReadOptions, SourceLocation } from "./src/crystal/errors.ts";
export { readCif } from "./src/crystal/cif.ts";
export type { CifReadOptions, CifWriteOptions } from "./src/crystal/cif.ts";
export { writeCif } from "./src/core/symmetry_cif.ts";
export type { SymmetricCifWriteOptions } from "./src/core/symmetry_cif.ts";
export { readPoscar, writePoscar } from "./src/crystal/poscar.ts";
export type { WritePoscarOptions } from "./src/crystal/poscar.ts";
export { readExtxyz, writeExtxyz } from "./src/crystal/extxyz.ts";
export { fromPymatgenDict, toPymatgenDict } from "./src/crystal/pymatgen_json.ts";
export type {
  PymatgenLattice,
  PymatgenSite,
  PymatgenSpecies,
  PymatgenStructureDict,
} from "./src/crystal/pymatgen_json.ts";
export { formatFromPath, FORMATS, readCrystalFolder } from "./src/crystal/formats.ts";
export type { CrystalFolder, CrystalFormat, FormatName } from "./src/crystal/formats.ts";
export { MAX_ATOMS, MAX_CELL_LENGTH, MAX_LINE_LENGTH, MIN_CELL_VOLUME } from "./src/crystal/limits.ts";

// Datasets
export { CsvParseError } from "./src/data/csv.ts";
export { DatasetNotFoundError, DATASETS, loadDataset, readDatasetCsv } from "./src/data/datasets.ts";
export { DatasetChecksumError, DownloadInterruptedError, fetchDataset } from "./src/data/fetch.ts";
export type { DownloadOptions, FetchDatasetOptions, FetchedSplit } from "./src/data/fetch.ts";
export { PUBLISHED_FILES } from "./src/data/dataset_sources.ts";
export type { PublishedFile, PublishedTable } from "./src/data/dataset_sources.ts";
export type {
  Dataset,
  DatasetEntry,
  DatasetInfo,
  DatasetName,
  ReadDatasetOptions,
  Split,
} from "./src/data/datasets.ts";

// Geometry (the wasm core)
export {
  GeometryError,
  isNiggliReduced,
  latticeParametersMany,
  niggliReduce,
  niggliReduceLatticeMany,
  niggliReduceMany,
  wasmCoreVersion,
} from "./src/core/lattice.ts";
export type { GeometryErrorKind, NiggliOptions, NiggliResult } from "./src/core/lattice.ts";
export {
  cellVolume,
  cellVolumeMany,
  density,
  densityMany,
  minDistance,
  minDistanceMany,
  minImageDisplacement,
  minImageDisplacementMany,
  neighborList,
  neighborListMany,
} from "./src/core/geometry.ts";
export type {
  ImageSearch,
  MinDistanceOptions,
  MinImageOptions,
  NeighborList,
  NeighborListBatch,
  NeighborOptions,
} from "./src/core/geometry.ts";
export { NeighborListPool } from "./src/core/neighbor_pool.ts";
export type { NeighborListPoolOptions } from "./src/core/neighbor_pool.ts";
export {
  DEFAULT_SYMPREC,
  spaceGroup,
  spaceGroupMany,
  spaceGroupNumberMany,
  spaceGroupOfHall,
  spaceGroupSymbol,
  symmetrize,
  symmetrizeMany,
} from "./src/core/symmetry.ts";
export type {
  CellTransform,
  SpaceGroupResult,
  SpaceGroupType,
  SymmetryOptions,
} from "./src/core/symmetry.ts";
export {
  crystalNNFingerprint,
  crystalNNFingerprintMany,
  crystalNNNeighbors,
  crystalNNNeighborsMany,
  FINGERPRINT_LABELS,
  FINGERPRINT_LENGTH,
} from "./src/core/crystalnn.ts";
export type { CrystalNNNeighbors, CrystalNNOptions, FingerprintManyOptions } from "./src/core/crystalnn.ts";

// Evaluation
export { smactCheck, smactValid } from "./src/eval/smact.ts";
export type { SmactCode, SmactOptions, SmactResult } from "./src/eval/smact.ts";
export { structureValidity } from "./src/eval/validity.ts";
export type { StructureValidity } from "./src/eval/validity.ts";
export {
  MAGPIE_LABELS,
  MAGPIE_LENGTH,
  magpieFingerprint,
  magpieFingerprintScaled,
} from "./src/eval/magpie.ts";
export { matchMany, matchStructures } from "./src/eval/matcher.ts";
export type { MatchOptions, MatchResult } from "./src/eval/matcher.ts";
export { pymatgenCifOrder, pymatgenSortPermutation } from "./src/eval/site_order.ts";
export {
  COV_CUTOFFS,
  coverageFingerprintMany,
  coverageMetrics,
  crystalValidity,
  generationMetrics,
  optimizationMetrics,
  reconstructionMetrics,
  SR_PERCENTILES,
  successRates,
} from "./src/eval/metrics.ts";
export type {
  CoverageFingerprint,
  CoverageMetrics,
  CrystalValidity,
  GenerationMetrics,
  OptimizationMetrics,
  ReconstructionMetrics,
} from "./src/eval/metrics.ts";
export {
  compareSpaceGroups,
  spaceGroupEmd,
  spaceGroupKept,
  spaceGroupNumbersOrNull,
} from "./src/eval/space_groups.ts";
export type { SpaceGroupComparison, SpaceGroupRow, SpaceGroupShares } from "./src/eval/space_groups.ts";

// Pictures
export { cellAtoms, crystalSvg } from "./src/viz/crystal_svg.ts";
export type { CrystalSvgOptions, DrawnAtom, ViewAxis } from "./src/viz/crystal_svg.ts";
export { elementColor, elementRadius } from "./src/viz/element_style.ts";

// Model
export { getBackend } from "./src/compute/backend.ts";
export type { Backend, BackendOptions } from "./src/compute/backend.ts";
export { CDVAE, DEFAULT_MODEL_URL, modelFolderUrl, SHIPPED_MODELS } from "./src/model/cdvae.ts";
export type { GenerateOptions, ReconstructOptions, ShippedModel } from "./src/model/cdvae.ts";
export { defaultConfig, isPresetName, PRESET_NAMES, type PresetName, PRESETS } from "./src/model/config.ts";
export { checkCDVAEConfig, ConfigError } from "./src/model/config_check.ts";
export type { CDVAEConfig, DecoderConfig, EncoderConfig } from "./src/model/config.ts";
export type { DimeNetConfig } from "./src/nn/dimenet.ts";
export type { TripletRule } from "./src/nn/dimenet_graph.ts";
export type { BasisPrecision } from "./src/nn/bases.ts";
export type { GemNetTConfig } from "./src/nn/gemnet.ts";
export type { Scaler } from "./src/data/preprocess.ts";
export type { GeneratedCrystal, LangevinOptions } from "./src/model/sampler.ts";
export type { SamplerStats } from "./src/model/host_dynamics.ts";
export {
  decoderCalls,
  SAMPLING_SCHEDULES,
  type SamplingSchedule,
  type SamplingScheduleName,
  type StepRule,
} from "./src/model/schedules.ts";
export { decodeSchedule, optimizeLatents, propertyHeadGradient } from "./src/model/optimize.ts";
export type { OptimizationDecode, OptimizationResult, OptimizeOptions } from "./src/model/optimize.ts";
export { PropertyModel } from "./src/model/property.ts";
export type { PropertyModelConfig } from "./src/model/property.ts";

// Training
export { loadCustomData, loadTrainingData, train } from "./src/train/trainer.ts";
export type {
  CustomData,
  CustomDataOptions,
  TrainingData,
  TrainOptions,
  TrainSummary,
} from "./src/train/trainer.ts";
export { SCHEDULES } from "./src/train/schedule.ts";
export type { ScheduleKind } from "./src/train/schedule.ts";
export { preprocessCrystals } from "./src/data/preprocess.ts";
export type { CrystalRecord } from "./src/data/preprocess.ts";
export { trainPropertyModel } from "./src/train/property.ts";
export type { PropertyTrainOptions } from "./src/train/property.ts";

// PyTorch checkpoints
export {
  PickleError,
  PickleGlobal,
  PickleObject,
  readTorchFile,
  stateDictOf,
  TorchFileError,
  TorchTensor,
  UnsafePickleError,
} from "./src/model/torch/checkpoint.ts";
export type { TorchDtype, TorchFile } from "./src/model/torch/checkpoint.ts";
export type { TorchData } from "./src/model/torch/tensor.ts";
export { encodeTorchStateDict } from "./src/model/torch/writer.ts";
export type { StateDictTensor } from "./src/model/torch/writer.ts";

if (import.meta.main) {
  const { main } = await import("./src/cli/main.ts");
  Deno.exit(await main(Deno.args));
}
