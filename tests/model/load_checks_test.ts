// Model-loading findings of issue #18: safetensors headers and configs are validated fully, and
// a truncated checkpoint names its file.
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from "../../src/model/safetensors.ts";
import { checkCDVAEConfig, ConfigError } from "../../src/model/config_check.ts";
import { defaultConfig, PRESETS } from "../../src/model/config.ts";
import { readConfig } from "../../src/train/checkpoint.ts";

/** A config edited freely to break it (the point of these tests). */
// deno-lint-ignore no-explicit-any
type Loose = any;

/** A file with two F32 tensors whose header entries `edit` rewrites. */
function withHeader(
  edit: (h: Record<string, { data_offsets: number[]; shape: number[] }>) => void,
): Uint8Array {
  const bytes = encodeSafetensors({
    a: { shape: [2], data: new Float32Array([1, 2]) },
    b: { shape: [2], data: new Float32Array([3, 4]) },
  });
  const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header).padEnd(len));
  assertEquals(json.length, len, "edited header keeps its length");
  const out = bytes.slice();
  out.set(json, 8);
  return out;
}

Deno.test("safetensors: negative, out-of-range and overlapping offsets are refused", () => {
  assertEquals([...decodeSafetensors(withHeader(() => {})).tensors.get("b")!.data], [3, 4]);
  const cases: [string, (h: Record<string, { data_offsets: number[]; shape: number[] }>) => void, RegExp][] =
    [
      ["negative", (h) => (h.a.data_offsets = [-8, 0]), /data_offsets \[-8,0\] are not two non-negative/],
      ["past the end", (h) => (h.b.data_offsets = [8, 24], h.b.shape = [4]), /lie outside the 16 data bytes/],
      ["reversed", (h) => (h.b.data_offsets = [8, 0]), /lie outside/],
      ["overlapping", (h) => (h.b.data_offsets = [4, 12]), /tensors "a" and "b" overlap/],
      ["fractional", (h) => (h.a.data_offsets = [0.5, 8.5]), /not two non-negative integers/],
      ["bad shape", (h) => (h.a.shape = [-2]), /shape \[-2\] is not a list/],
    ];
  for (const [what, edit, re] of cases) {
    const e = assertThrows(
      () => decodeSafetensors(withHeader(edit), "m.safetensors"),
      SafetensorsError,
      re,
      what,
    );
    assert(e.message.includes('"m.safetensors"'), what);
  }
});

Deno.test("safetensors: a truncated last.safetensors names the file", () => {
  const bytes = encodeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
  assertThrows(
    () => decodeSafetensors(bytes.subarray(0, bytes.length - 3), "run/last.safetensors"),
    SafetensorsError,
    /^Cannot read safetensors "run\/last\.safetensors": .*truncated/,
  );
  assertThrows(
    () => decodeSafetensors(bytes.subarray(0, 20), "run/last.safetensors"),
    SafetensorsError,
    /"run\/last\.safetensors".*truncated/,
  );
});

Deno.test("config: wrong lattice scaler length, negative latentDim and other bad values are refused", () => {
  const good = defaultConfig("perov_5");
  assertEquals(checkCDVAEConfig(structuredClone(good), "c.json").latentDim, 256);
  const bad: [string, (c: Loose) => void, RegExp][] = [
    [
      "scaler length",
      (c) => c.scalers.lattice.mean.pop(),
      /scalers\.lattice\.mean is .*expected an array of 6/,
    ],
    ["scaler std 0", (c) => (c.scalers.lattice.std[2] = 0), /scalers\.lattice\.std\[2\] is 0/],
    ["latentDim", (c) => (c.latentDim = -5), /latentDim is -5, expected an integer in 1–65536/],
    ["numTypes", (c) => (c.numTypes = 500), /numTypes/],
    ["encoder", (c) => (c.encoder.hiddenChannels = 1.5), /encoder\.hiddenChannels is 1\.5/],
    ["cutoff", (c) => (c.decoder.cutoff = "7"), /decoder\.cutoff/],
    ["graph", (c) => (c.encoder.graph = "knn"), /encoder\.graph/],
    ["sigma", (c) => (c.sigmaEnd = NaN), /sigmaEnd/],
    ["property scaler", (c) => delete c.scalers.property, /scalers\.property/],
  ];
  for (const [what, edit, re] of bad) {
    const c = structuredClone(good) as Loose;
    edit(c);
    assertThrows(() => checkCDVAEConfig(c, "c.json"), ConfigError, re, what);
  }
});

Deno.test("config: a run folder's config is checked on --resume", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({ ...defaultConfig("perov_5"), latentDim: -5 }),
    );
    await assertRejects(() => readConfig(dir), Error, /config\.json": latentDim is -5/);
    await Deno.writeTextFile(`${dir}/config.json`, "{");
    await assertRejects(() => readConfig(dir), Error, /Cannot read config ".*config\.json"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CDVAE.load refuses a bad config before building the model, and names a bad weights file", async () => {
  const { CDVAE } = await import("../../src/model/cdvae.ts");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({ ...defaultConfig("perov_5"), latentDim: -5 }),
    );
    await Deno.writeFile(`${dir}/weights.safetensors`, new Uint8Array(4));
    await assertRejects(() => CDVAE.load(dir), ConfigError, /latentDim is -5/);
    const config = defaultConfig("perov_5");
    config.scalers.lattice.std = config.scalers.lattice.std.slice(0, 5);
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
    await assertRejects(
      () => CDVAE.load(dir),
      Error,
      /scalers\.lattice\.std is .*expected an array of 6 numbers/,
    );
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(PRESETS.small("perov_5")));
    await assertRejects(
      () => CDVAE.load(dir),
      SafetensorsError,
      /weights\.safetensors": not a safetensors file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
