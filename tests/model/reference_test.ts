/**
 * The whole CDVAE model against the reference PyTorch implementation (txie-93/cdvae) on the
 * committed fixture (tests/fixtures/cdvae_reference/, see its README): the reference's weights
 * loaded by name, the encoder on the reference's CrystalNN graph (with per-block intermediates),
 * z from the reference's ε, the four heads, and the training objective with the reference's
 * recorded draws replayed (noisy coordinates, decoder outputs and all seven loss terms).
 *
 * Set CDVAE_REFERENCE_VERBOSE=1 to print the measured deviations.
 */

import { getBackend } from "../../src/compute/backend.ts";
import { HostRng } from "../../src/compute/host_rng.ts";
import { Tape } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { CDVAE } from "../../src/model/cdvae.ts";
import { decoderGraphOptions, defaultConfig } from "../../src/model/config.ts";
import { minImageDisplacementMany } from "../../src/core/geometry.ts";
import { cdvaeObjective, type LossTerm, scaledTargets, type TrainBatch } from "../../src/model/losses.ts";
import { buildGraph, packHost } from "../../src/model/graphs.ts";
import { loadIntoStore } from "../../src/model/safetensors.ts";
import { buildDecoderGraph } from "../../src/nn/gemnet_graph.ts";
import { assert, assertAllClose, assertEquals, type Deviation } from "../_assert.ts";
import {
  type Any,
  DATASETS,
  encoderGraph,
  fixtureCrystals,
  flat,
  gemnetCentres,
  inputs,
  matchEdges,
  outputs,
  present,
  rawDecoderGraph,
  referenceWeights,
} from "./_reference_fixture.ts";

const verbose = present && Deno.env.get("CDVAE_REFERENCE_VERBOSE") === "1";

/** `assertAllClose` relative to the tensor's scale, printing the measured deviation when verbose. */
function check(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  atol: number,
  rtol: number,
  msg: string,
): Deviation {
  const d = assertAllClose(a, b, { atol, rtol, atolOfMax: true }, msg);
  if (verbose) {
    console.log(`  ${msg}: max|Δ| ${d.maxAbs.toExponential(2)}, /max|ref| ${d.maxRel.toExponential(2)}`);
  }
  return d;
}

/** Σ over the features of each row (`rows` given by index into a `[R, width]` array). */
function rowSums(x: ArrayLike<number>, width: number, rows: ArrayLike<number>): number[] {
  return Array.from(rows, (r) => {
    let s = 0;
    for (let k = 0; k < width; k++) s += x[r * width + k];
    return s;
  });
}

/** Rows `rows` of a `[R, width]` array, concatenated. */
function pickRows(x: ArrayLike<number>, width: number, rows: ArrayLike<number>): number[] {
  return Array.from(rows).flatMap((r) => Array.from({ length: width }, (_, k) => x[r * width + k]));
}

// Tolerances: `atol` is relative to the largest reference magnitude of each tensor, `rtol` per
// element. Both sides compute in f32 with different summation orders (wasm blocked matmuls vs
// torch), and the reference computes the geometry (lattice matrix, Cartesian and noisy
// fractional coordinates, distances) in f32 too, while we do it in f64 from the same crystals,
// so its inputs carry ~1e-6 relative noise. Measured (CDVAE_REFERENCE_VERBOSE=1), worst of the
// two batches, as max|Δ| / max|ref|:
// - encoder rbf 2.9e-6 (mp_20: the reference's f32 distances, times Bessel frequencies up to 6π);
// - every encoder activation (embedding, each interaction block, each output block), the hidden
//   vector, μ, log σ², z and all four heads ≤ 1.5e-6. The DimeNet++ spherical basis
//   ("reference-f32": the reference's sympy closed forms in f32, audit O4) shows no high-l
//   cancellation difference on these bonds, so the encoder needs no looser bound than f32 noise;
//   1e-5 is a 3–7× margin.
// - our decoder on the reference's decoder graph: scores 3.4e-6, type logits 3.7e-6; losses
//   3.1e-6 relative (coord) or better.
// - our decoder on our own graph (mp_20, same edges): scores 2.6e-5, type logits 5.1e-6. The
//   noisy coordinates are then ours (f64) rather than the reference's f32 ones (Δ ≤ 1.1e-6),
//   which GemNet's narrow Gaussian rbf (width c/127 ≈ 0.055 Å) and three blocks amplify; the same
//   bound as tests/nn/gemnet_reference_test.ts.
const ENC = { atol: 1e-5, rtol: 1e-4 };
const DEC_REF = { atol: 2e-5, rtol: 1e-4 };
const DEC_OWN = { atol: 1e-4, rtol: 1e-3, loss: 1e-5 };
/** Relative tolerance of the loss scalars (measured ≤ 3.1e-6). */
const LOSS = 2e-5;
/**
 * perov_5 on our own decoder graph, which differs from the reference's in self-image edges at the
 * 20-NN cap (see `GRAPH_DIFFERENCE`): those edges change the scores and logits of the affected
 * atoms at O(1) of one edge's F_st. Measured: scores 3.8e-2 and type logits 3.4e-2 of scale;
 * coord_loss 8.1e-4, type_loss 5.3e-4, total 5.6e-5 relative. The bound is ~2.5× that (it still
 * catches any decoder or loss bug of that size); the exact check is the run on the reference graph.
 */
const OWN_GRAPH_LOOSE = { atol: 0.1, rtol: 0, loss: 2e-3 };
/**
 * [edges only in ours, edges only in the reference's] decoder graph: self-images at the 20-NN cap
 * chosen differently among equidistant ones (audit O7), measured.
 */
const GRAPH_DIFFERENCE: Record<string, [number, number]> = { perov_5: [14, 4], mp_20: [0, 0] };

/** The loss terms that do not depend on the decoder, and the weights of all terms in the total. */
const HEAD_TERMS = [
  "num_atom_loss",
  "lattice_loss",
  "composition_loss",
  "kld_loss",
  "property_loss",
] as const;
const WEIGHTS: Record<LossTerm, number> = {
  num_atom_loss: 1,
  lattice_loss: 10,
  composition_loss: 1,
  coord_loss: 10,
  type_loss: 1,
  kld_loss: 0.01,
  property_loss: 1,
};

/**
 * The reference's coord and type losses (f64 on the host) from decoder outputs: per crystal the
 * mean over atoms of ½‖d/σ² − s/σ‖²σ² and of CE(logits, Z − 1)/σ_A, then the mean over crystals.
 */
function decoderLosses(
  scores: ArrayLike<number>,
  logits: ArrayLike<number>,
  target: ArrayLike<number>,
  c: { atomOffsets: Uint32Array; numbers: Uint8Array },
  sigma: ArrayLike<number>,
  typeSigma: ArrayLike<number>,
  types: number,
): { coord: number; type: number } {
  const B = c.atomOffsets.length - 1;
  let coord = 0, type = 0;
  for (let b = 0; b < B; b++) {
    const a0 = c.atomOffsets[b], a1 = c.atomOffsets[b + 1];
    let cb = 0, tb = 0;
    for (let i = a0; i < a1; i++) {
      for (let k = 0; k < 3; k++) {
        const d = target[3 * i + k] / sigma[b] ** 2 - scores[3 * i + k] / sigma[b];
        cb += 0.5 * d * d * sigma[b] ** 2;
      }
      const row = Array.from({ length: types }, (_, k) => logits[i * types + k]);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      tb += (lse - row[c.numbers[i] - 1]) / typeSigma[b];
    }
    coord += cb / (a1 - a0) / B;
    type += tb / (a1 - a0) / B;
  }
  return { coord, type };
}

for (const ds of DATASETS) {
  Deno.test({
    name: `CDVAE reproduces the reference PyTorch model on the ${ds} fixture batch`,
    ignore: !present,
    fn: async (t) => {
      const inp = inputs[ds], out = outputs[ds], tf = out.training_forward;
      const be = await getBackend({ prefer: "wasm" });
      const config = defaultConfig(ds);
      const s = inp.scalers;
      config.scalers = {
        lattice: { mean: s.lattice_mean, std: s.lattice_std },
        property: { mean: [s.prop_mean], std: [s.prop_std] },
      };
      assertEquals([config.maxAtoms, config.predictProperty], [20, true]);
      const model = new CDVAE(be, config, 0);
      const tape = new Tape();
      if (verbose) console.log(`\n${ds}`);
      try {
        await t.step(
          "weights load by name; the extra keys are the seq_energy aliases and the rbf centres",
          async () => {
            const tensors = await referenceWeights();
            const extra = loadIntoStore(model.store, tensors); // strict: every parameter is in the file
            const centres = gemnetCentres(tensors);
            model.decoder.rbfCenters = centres.rbf;
            model.decoder.cbfRbfCenters = centres.cbf;
            const alias = /^decoder\.gemnet\.out_blocks\.\d\.seq_energy\./;
            const offsets = [
              "decoder.gemnet.radial_basis.rbf.offset",
              "decoder.gemnet.cbf_basis3.radial_basis.rbf.offset",
            ];
            assertEquals(extra.filter((n) => !alias.test(n)).sort(), offsets.sort(), "unexpected extra keys");
            for (const n of extra.filter((n) => alias.test(n))) {
              const twin = tensors.get(n.replace(".seq_energy.", ".layers."))!;
              assertEquals(tensors.get(n)!.data, twin.data, `${n} is not an alias of its layers twin`);
            }
            assertEquals(model.store.count(), outputs.meta.n_params, "parameter count");
            // Our σ tables are computed in f64; the reference's are the f32 values in the file.
            check(model.sigmas, tensors.get("sigmas")!.data, 0, 2e-7, "sigmas");
            check(model.typeSigmas, tensors.get("type_sigmas")!.data, 0, 2e-7, "type_sigmas");
          },
        );

        const { g, perm } = encoderGraph(inp);
        const crystals = fixtureCrystals(inp);
        const nCrystals = crystals.lattices.length;
        let mu!: Tensor, logVar!: Tensor, z!: Tensor;

        await t.step("encoder on the CrystalNN graph: bases, every block, hidden, μ and log σ²", async () => {
          const enc = out.intermediates.encoder;
          const E = g.senders.length, E0: number = enc.first_crystal_num_edges;
          assertEquals(E, enc.num_edges);
          const inv = new Uint32Array(E);
          perm.forEach((e, k) => inv[e] = k);
          const first = inv.subarray(0, E0); // our indices of the reference's crystal-0 edges, its order
          const enc_ = model.encoder;
          const r = tape.record(() => {
            const prep = enc_.prepare(g);
            const rbf = enc_.radialBasis(prep);
            const ms = [enc_.emb.forward(prep, rbf)];
            const ps = [enc_.outputBlocks[0].forward(ms[0], rbf, prep)];
            enc_.interactionBlocks.forEach((block, b) => {
              ms.push(block.forward(ms[b], rbf, prep));
              ps.push(enc_.outputBlocks[b + 1].forward(ms[b + 1], rbf, prep));
            });
            const hidden = enc_.forward(prep);
            const { mu, logVar } = model.encodeGraph(g);
            return { prep, rbf, ms, ps, hidden, mu, logVar };
          });
          assertEquals(r.prep.numTriplets, enc.num_triplets, "DimeNet triplet count");
          assertEquals(enc.sbf_shape, [enc.num_triplets, 42]);
          check(pickRows(await r.rbf.read(), 6, inv), flat(enc.rbf), ENC.atol, ENC.rtol, "encoder rbf");
          const H = 128;
          const m0 = await r.ms[0].read();
          check(
            pickRows(m0, H, first),
            flat(enc.embedding_block_first_crystal),
            ENC.atol,
            ENC.rtol,
            "embedding m",
          );
          check(
            rowSums(m0, H, inv),
            flat(enc.embedding_block_row_sums),
            ENC.atol,
            ENC.rtol,
            "embedding row sums",
          );
          for (let b = 1; b < r.ms.length; b++) {
            const m = await r.ms[b].read();
            const name = `interaction block ${b - 1}`;
            check(
              pickRows(m, H, first),
              flat(enc.interaction_blocks_first_crystal[b - 1]),
              ENC.atol,
              ENC.rtol,
              name,
            );
            check(
              rowSums(m, H, inv),
              flat(enc.interaction_blocks_row_sums[b - 1]),
              ENC.atol,
              ENC.rtol,
              `${name} sums`,
            );
          }
          for (let b = 0; b < r.ps.length; b++) {
            check(await r.ps[b].read(), flat(enc.output_blocks[b]), ENC.atol, ENC.rtol, `output block ${b}`);
          }
          check(await r.hidden.read(), flat(out.encoder_hidden), ENC.atol, ENC.rtol, "encoder_hidden");
          check(await r.mu.read(), flat(out.mu), ENC.atol, ENC.rtol, "mu");
          check(await r.logVar.read(), flat(out.log_var), ENC.atol, ENC.rtol, "log_var");
          ({ mu, logVar } = r);
        });

        await t.step("z from the reference's ε, and the four heads", async () => {
          const D = config.latentDim;
          const r = tape.record(() => {
            const eps = Tensor.from(be, Float32Array.from(flat(out.eps)), [nCrystals, D]);
            const z = model.reparameterize(mu, logVar, eps);
            return { z, heads: model.heads(z, crystals.atomOffsets) };
          });
          z = r.z;
          check(await z.read(), flat(out.z), ENC.atol, ENC.rtol, "z");
          check(
            await r.heads.numAtoms.read(),
            flat(out.num_atoms_logits),
            ENC.atol,
            ENC.rtol,
            "num_atoms logits",
          );
          check(await r.heads.lattice.read(), flat(out.lattice_standardized), ENC.atol, ENC.rtol, "lattice");
          check(
            await r.heads.composition.read(),
            flat(out.composition_logits),
            ENC.atol,
            ENC.rtol,
            "composition",
          );
          check(
            await r.heads.property!.read(),
            flat(out.property_standardized),
            ENC.atol,
            ENC.rtol,
            "property",
          );
        });

        await t.step(
          "training forward with the reference's draws: noisy coordinates, decoder, losses",
          async () => {
            const records = inp.crystals.map((c: Any) => ({
              numbers: Uint8Array.from(c.atom_types),
              lengths: c.lengths,
              angles: c.angles,
              property: c.property,
            }));
            const targets = scaledTargets(model, records);
            check(targets.property!, flat(inp.batch.y), 0, 1e-6, "standardised property y");
            const batch: TrainBatch = {
              host: packHost(crystals.lattices.map((lattice, b) => ({
                lattice,
                frac: crystals.frac.subarray(3 * crystals.atomOffsets[b], 3 * crystals.atomOffsets[b + 1]),
                numbers: crystals.numbers.subarray(crystals.atomOffsets[b], crystals.atomOffsets[b + 1]),
              }))),
              encoderGraph: g,
              latticeTargets: targets.lattice,
              property: targets.property,
            };
            const res = await cdvaeObjective(model, batch, tape, {
              teacherForcing: true,
              rng: new HostRng(12345),
              inject: {
                eps: Float32Array.from(flat(out.eps)),
                levels: Uint32Array.from(tf.noise_level),
                typeLevels: Uint32Array.from(tf.type_noise_level),
                noisyTypes: Uint8Array.from(tf.noisy_atom_types),
                coordNoise: Float64Array.from(flat(tf.coord_noise_std_normal)),
              },
            });
            assertEquals(res.latticeFallbacks, 0);
            const sig = Array.from(tf.noise_level as number[], (l) => model.sigmas[l]);
            check(sig, tf.sigma_per_crystal, 0, 2e-7, "σ per crystal");
            const tsig = Array.from(tf.type_noise_level as number[], (l) => model.typeSigmas[l]);
            check(tsig, tf.type_sigma_per_crystal, 0, 2e-7, "σ_A per crystal");
            // Noisy fractional coordinates, compared modulo 1 (the reference wraps with % 1 in f32).
            const refFrac = flat(tf.noisy_frac_coords);
            const wrapped = Array.from(
              res.noisyFrac,
              (v, k) => refFrac[k] + (v - refFrac[k] - Math.round(v - refFrac[k])),
            );
            check(wrapped, refFrac, 5e-6, 0, "noisy frac coords");

            const loss = async (x: Tensor) => (await x.read())[0];
            const L = tf.losses;
            for (const term of HEAD_TERMS) check([await loss(res.terms[term])], [L[term]], 0, LOSS, term);
            const target = minImageDisplacementMany(
              batch.host.lattices,
              res.noisyFrac,
              batch.host.frac,
              batch.host.atomOffsets,
            );
            check(target, flat(tf.coord_target_cart_diff), 1e-5, 0, "coord target (true − noisy, min image)");

            // Our decoder on the reference's own decoder graph: exact agreement, and the loss terms
            // that depend on the decoder recomputed from those outputs.
            const onRef = tape.record(() => model.decode(z, rawDecoderGraph(inp, tf).g));
            const refScores = await onRef.scores.read(), refLogits = await onRef.typeLogits.read();
            check(
              refScores,
              flat(tf.pred_cart_coord_diff),
              DEC_REF.atol,
              DEC_REF.rtol,
              "scores (reference graph)",
            );
            check(
              refLogits,
              flat(tf.pred_atom_type_logits),
              DEC_REF.atol,
              DEC_REF.rtol,
              "type logits (reference graph)",
            );
            const hostLoss = decoderLosses(
              refScores,
              refLogits,
              target,
              crystals,
              Array.from(res.noise.levels, (l) => model.sigmas[l]),
              Array.from(res.noise.typeLevels, (l) => model.typeSigmas[l]),
              config.numTypes,
            );
            check([hostLoss.coord], [L.coord_loss], 0, LOSS, "coord_loss (reference graph)");
            check([hostLoss.type], [L.type_loss], 0, LOSS, "type_loss (reference graph)");
            let total = 10 * hostLoss.coord + hostLoss.type;
            for (const term of HEAD_TERMS) total += WEIGHTS[term] * await loss(res.terms[term]);
            check([total], [L.total], 0, LOSS, "total (reference graph)");

            // Our own decoder graph (what training uses). It differs from the reference's only in
            // self-image edges at the 20-neighbour cap: in a cubic cell the ±a, ±b, ±c self-images of
            // an atom are all at exactly a, noise or not, and our tie-break keeps a different subset
            // than torch's unstable sort did (audit O7; D2's symmetrisation then drops unpaired ones).
            const own = buildDecoderGraph(
              buildGraph(
                { ...batch.host, numbers: res.noise.noisyTypes, frac: res.noisyFrac },
                decoderGraphOptions(config.decoder),
              ),
            );
            const refGraph = tf.decoder_graph;
            const map = matchEdges(own, refGraph);
            const matched = new Set(map);
            // [source, target, distance] of the edges in one graph only.
            const missing: number[][] = [];
            map.forEach((e, k) => {
              if (e < 0) {
                missing.push([refGraph.edge_index[0][k], refGraph.edge_index[1][k], refGraph.D_st[k]]);
              }
            });
            const extra: number[][] = [];
            own.sources.forEach((s, e) => {
              if (!matched.has(e)) extra.push([s, own.targets[e], own.distances[e]]);
            });
            if (verbose) {
              console.log(
                `  own decoder graph: ${own.sources.length} edges, ${extra.length} extra, ${missing.length} missing`,
              );
            }
            assertEquals(
              [extra.length, missing.length],
              GRAPH_DIFFERENCE[ds],
              "edges in one decoder graph only",
            );
            for (const [src, tgt, d] of [...extra, ...missing]) {
              assertEquals(src, tgt, `edge ${src}→${tgt} in one graph only is not a self-image`);
              const b = crystals.atomOffsets.findIndex((_, c) => tgt < crystals.atomOffsets[c + 1]);
              const lat = crystals.lattices[b];
              const lengths = [0, 3, 6].map((r) => Math.hypot(lat[r], lat[r + 1], lat[r + 2]));
              assert(
                lengths.some((a) => Math.abs(d - a) < 1e-6 * a),
                `self-image edge of ${src} is not at a cell length`,
              );
            }
            const tolOwn = extra.length + missing.length ? OWN_GRAPH_LOOSE : DEC_OWN;
            check(
              await res.scores.read(),
              flat(tf.pred_cart_coord_diff),
              tolOwn.atol,
              tolOwn.rtol,
              "scores (our graph)",
            );
            check(
              await res.typeLogits.read(),
              flat(tf.pred_atom_type_logits),
              tolOwn.atol,
              tolOwn.rtol,
              "type logits (our graph)",
            );
            for (const term of ["coord_loss", "type_loss"] as const) {
              check([await loss(res.terms[term])], [L[term]], 0, tolOwn.loss, `${term} (our graph)`);
            }
            check([await loss(res.total)], [L.total], 0, tolOwn.loss, "total (our graph)");
          },
        );
      } finally {
        tape.dispose();
        model.dispose();
      }
    },
  });
}
