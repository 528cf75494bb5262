/**
 * The objective's batch of a list of crystals: packed host arrays, the encoder's graph and the
 * scaled lattice and property targets.
 *
 * @module
 */

import type { CrystalRecord } from "../data/preprocess.ts";
import type { CDVAE } from "../model/cdvae.ts";
import { encoderGraph, packHost } from "../model/graphs.ts";
import { scaledTargets, type TrainBatch } from "../model/losses.ts";
import type { EncoderInputCache } from "./encoder_cache.ts";

/**
 * Builds the objective's batch from records; with `cache`, the encoder's inputs are joined from
 * its per-crystal parts (the same values as building them for the batch).
 */
export function makeBatch(
  model: CDVAE,
  records: readonly CrystalRecord[],
  cache?: EncoderInputCache,
): TrainBatch {
  const host = packHost(records.map((r) => ({ lattice: r.lattice, frac: r.frac, numbers: r.numbers })));
  const enc = model.config.encoder;
  const t = scaledTargets(model, records);
  return {
    host,
    encoderGraph: cache ? cache.batch(records) : encoderGraph(host, enc),
    latticeTargets: t.lattice,
    property: model.config.predictProperty ? t.property : undefined,
  };
}
