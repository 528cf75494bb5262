/**
 * The encoder's inputs of each training crystal, built once per run instead of once per epoch.
 *
 * The encoder sees the true structure, which never changes during training, so its graph
 * (CrystalNN, or the radius graph) and the DimeNet++ bases and triplets computed from it are the
 * same every epoch. Each crystal's part depends on that crystal alone, so a batch's inputs are the
 * parts of its crystals joined (`concatEncoderHostInputs`): bit for bit what building the batch's
 * graph and bases afresh gives, without the CrystalNN search and the Bessel functions.
 *
 * Memory: about 23 KB per Perov-5 crystal and 90 KB per MP-20 crystal (mostly the spherical basis,
 * 4 bytes × 42 per triplet). Parts are kept until `maxBytes` is reached; crystals after that are
 * built every time they are drawn (the cache never evicts, which would only thrash under a shuffled
 * order).
 *
 * @module
 */

import type { CDVAE } from "../model/cdvae.ts";
import { encoderGraph, packHost } from "../model/graphs.ts";
import type { CrystalRecord } from "../data/preprocess.ts";
import { concatEncoderHostInputs, type EncoderHostInputs, encoderHostInputs } from "../nn/dimenet_graph.ts";

/** Default bound of one cache's memory (bytes). */
export const ENCODER_CACHE_MAX_BYTES = 1 << 30;

/** Bytes of a part's arrays. */
function partBytes(h: EncoderHostInputs): number {
  return h.atomOffsets.byteLength + h.edgeOffsets.byteLength + h.receiverZ.byteLength +
    h.senderZ.byteLength + h.distScaled.byteLength + h.envelope.byteLength + h.triplets.kj.byteLength +
    h.triplets.ji.byteLength + h.triplets.offsets.byteLength + h.cosTheta.byteLength + h.sbf.byteLength;
}

/**
 * Per-crystal encoder inputs of one model's encoder settings, keyed by the record (the trainer's
 * records are fixed for the run, one object per dataset row).
 *
 * @example Built once, then reused
 * ```ts ignore
 * const cache = new EncoderInputCache(model);
 * const a = cache.batch(records); // builds every crystal's part
 * const b = cache.batch(records); // joins the kept parts
 * ```
 */
export class EncoderInputCache {
  readonly #parts = new WeakMap<CrystalRecord, EncoderHostInputs>();
  #bytes = 0;
  /** Parts built (misses) and reused (hits), for diagnostics. */
  readonly stats = { built: 0, reused: 0 };

  constructor(readonly model: CDVAE, readonly maxBytes: number = ENCODER_CACHE_MAX_BYTES) {}

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** One crystal's part (kept while the bound allows). */
  part(r: CrystalRecord): EncoderHostInputs {
    const kept = this.#parts.get(r);
    if (kept) {
      this.stats.reused++;
      return kept;
    }
    this.stats.built++;
    const host = packHost([{ lattice: r.lattice, frac: r.frac, numbers: r.numbers }]);
    const h = encoderHostInputs(encoderGraph(host, this.model.config.encoder), this.model.encoder.cfg);
    const bytes = partBytes(h);
    if (this.#bytes + bytes <= this.maxBytes) {
      this.#parts.set(r, h);
      this.#bytes += bytes;
    }
    return h;
  }

  /** The encoder's host inputs of a batch of records, in order. */
  batch(records: readonly CrystalRecord[]): EncoderHostInputs {
    return concatEncoderHostInputs(records.map((r) => this.part(r)));
  }
}
