import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import {
  PickleError,
  PickleObject,
  readTorchFile,
  stateDictOf,
  TorchFileError,
  type TorchTensor,
  UnsafePickleError,
} from "../../../src/model/torch/checkpoint.ts";
import { pickleAttributes } from "../../../src/model/torch/pickle.ts";
import { ZipArchive } from "../../../src/model/torch/zip.ts";

const DIR = new URL("../../fixtures/torch/", import.meta.url);
const read = (name: string) => Deno.readFile(new URL(name, DIR));

function tensor(sd: Map<string, TorchTensor>, name: string): TorchTensor {
  const t = sd.get(name);
  assert(t, `no tensor ${name}`);
  return t;
}

Deno.test("readTorchFile() reads every tensor flavour of torch.save's format", async (t) => {
  for (
    const file of [
      "tiny_state_dict.pt",
      "tiny_state_dict_protocol5.pt",
      "tiny_state_dict_big_endian.pt",
      "tiny_state_dict_deflated.pt",
    ]
  ) {
    await t.step(file, async () => {
      const f = readTorchFile(await read(file), file);
      assertEquals(f.archive, "archive");
      assertEquals(f.version, "3");
      const sd = stateDictOf(f.value, file);
      assertEquals([...sd.keys()], ["w", "wt", "tail", "d", "n", "h", "p", "bf"]);
      assertEquals(tensor(sd, "w").shape, [2, 3]);
      assertEquals(tensor(sd, "w").data, new Float32Array([0, 0.5, 1, 1.5, 2, 2.5]));
      // The transposed view (stride [1, 3]) is copied out in row-major order.
      assertEquals(tensor(sd, "wt").data, new Float32Array([0, 1.5, 0.5, 2, 1, 2.5]));
      assertEquals(tensor(sd, "tail").data, new Float32Array([3, 3.5]));
      assertEquals(tensor(sd, "d").data, new Float64Array([1e-300, -2.5, 1 / 3]));
      assertEquals(tensor(sd, "n").data, new BigInt64Array([-1n, 2n ** 40n, 7n]));
      assertEquals(tensor(sd, "h").data, new Float32Array([1, -0.5, 65504]));
      assertEquals([tensor(sd, "p").shape, tensor(sd, "p").requiresGrad], [[], true]);
      assertEquals(tensor(sd, "p").data, new Float32Array([42]));
      assertEquals([tensor(sd, "bf").dtype, tensor(sd, "bf").data], ["bfloat16", new Float32Array([1, -2])]);
      assertEquals(tensor(sd, "w").requiresGrad, false);
      // The state_dict's `_metadata` attribute arrives through BUILD and is kept beside the map.
      const sdMap = f.value as Map<string, unknown>;
      assertEquals(
        pickleAttributes(sdMap),
        new Map([["_metadata", new Map([["", new Map([["version", 1]])]])]]),
      );
    });
  }
});

Deno.test("readTorchFile() reads a real torch.save file (the CDVAE authors' Perov-5 property scaler)", async () => {
  const f = readTorchFile(await read("prop_scaler_perovskite.pt"), "prop_scaler_perovskite.pt");
  assert(f.value instanceof PickleObject);
  assertEquals([f.value.type, f.value.called], ["cdvae.common.data_utils.StandardScalerTorch", false]);
  const state = f.value.state as Map<string, TorchTensor>;
  const means = state.get("means")!, stds = state.get("stds")!;
  assertEquals([means.dtype, means.shape, stds.shape], ["float32", [], []]); // 0-d tensors
  // The values our config records for Perov-5's heat_ref (src/model/config.ts).
  assert(
    Math.abs(means.data[0] as number - 1.4032214) < 1e-6 &&
      Math.abs(stds.data[0] as number - 0.6802187) < 1e-6,
  );
});

Deno.test("readTorchFile() refuses pickles that reach for code, naming the global", async (t) => {
  const cases: [string, string][] = [
    ["hostile_os_system.pt", "posix.system"],
    ["hostile_builtins_eval.pt", "__builtin__.eval"],
    ["hostile_subprocess_popen.pt", "subprocess.Popen"],
  ];
  for (const [file, global] of cases) {
    await t.step(file, async () => {
      const bytes = await read(file);
      const e = assertThrows(() => readTorchFile(bytes, file), UnsafePickleError);
      assert(e.message.includes(`global ${global} is refused`), e.message);
      assert(e.message.includes(file), e.message);
    });
  }
});

Deno.test("stateDictOf() refuses an entry made by calling an unknown global, naming it", async () => {
  const f = readTorchFile(await read("unknown_call.pt"), "unknown_call.pt"); // reading alone runs nothing
  const w = (f.value as Map<string, unknown>).get("w");
  assert(w instanceof PickleObject && w.called && w.type === "mylib.weights.make_weight");
  assertEquals(w.args, [3]);
  const e = assertThrows(() => stateDictOf(f.value, "unknown_call.pt"), TorchFileError);
  assert(e.message.includes('entry "w" would need a call of mylib.weights.make_weight'), e.message);
});

Deno.test("readTorchFile() gives a clear error for every truncation of a file", async () => {
  const bytes = await read("tiny_state_dict.pt");
  for (let n = 0; n < bytes.length; n++) {
    try {
      readTorchFile(bytes.subarray(0, n), "cut.pt");
    } catch (e) {
      assert(e instanceof TorchFileError || e instanceof PickleError, `cut at ${n}: ${e}`);
      assert((e as Error).message.includes("cut.pt"), `cut at ${n}: ${(e as Error).message}`);
      continue;
    }
    throw new Error(`A file cut to ${n} of ${bytes.length} bytes was read without an error`);
  }
});

Deno.test("readTorchFile() turns damaged bytes into errors of its own (CRC, pickle), never a crash", async () => {
  const bytes = await read("tiny_state_dict.pt");
  const seed = 20;
  let state = seed;
  const rand = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let trial = 0; trial < 300; trial++) {
    const damaged = bytes.slice();
    for (let k = 0; k < 1 + trial % 4; k++) {
      damaged[Math.floor(rand() * damaged.length)] ^= 1 << Math.floor(rand() * 8);
    }
    try {
      readTorchFile(damaged, "damaged.pt");
    } catch (e) {
      assert(e instanceof TorchFileError || e instanceof PickleError, `seed ${seed} trial ${trial}: ${e}`);
    }
  }
});

Deno.test("readTorchFile() names the formats it does not read", async (t) => {
  await t.step("legacy (pre-1.6) torch.save", () => {
    const legacy = new Uint8Array([
      0x80,
      0x02,
      0x8a,
      0x0a,
      0x6c,
      0xfc,
      0x9c,
      0x46,
      0xf9,
      0x20,
      0x6a,
      0xa8,
      0x50,
      0x19,
      0x2e,
    ]);
    const e = assertThrows(() => readTorchFile(legacy, "old.pt"), TorchFileError);
    assert(e.message.includes("legacy torch.save format"), e.message);
  });
  await t.step("not a zip", () => {
    const e = assertThrows(() => readTorchFile(new TextEncoder().encode("hello"), "x.pt"), TorchFileError);
    assert(e.message.includes('Cannot read "x.pt" as a PyTorch file'), e.message);
  });
  await t.step("a zip without data.pkl", async () => {
    const zip = await read("tiny_state_dict.pt");
    // Rename the entry in the central directory and local header: "data.pkl" → "data.pkX".
    const renamed = zip.slice();
    const name = new TextEncoder().encode("archive/data.pkl");
    for (let i = 0; i + name.length <= renamed.length; i++) {
      if (name.every((b, j) => renamed[i + j] === b)) renamed[i + name.length - 1] = 0x58;
    }
    const e = assertThrows(() => readTorchFile(renamed, "y.pt"), TorchFileError);
    assert(e.message.includes("no <archive>/data.pkl"), e.message);
  });
});

Deno.test("ZipArchive reports a damaged entry by its CRC", async () => {
  const bytes = (await read("tiny_state_dict.pt")).slice();
  const zip = new ZipArchive(bytes, "z.pt");
  const e = zip.entries.get("archive/byteorder")!;
  const start = e.localOffset + 30 + "archive/byteorder".length +
    new DataView(bytes.buffer).getUint16(e.localOffset + 28, true);
  bytes[start] ^= 1;
  const err = assertThrows(() => new ZipArchive(bytes, "z.pt").read("archive/byteorder"));
  assert((err as Error).message.includes("CRC-32"), (err as Error).message);
});

Deno.test("readTorchFile() reads what torch.save 2.5.1 itself wrote, as PyTorch reads it", async (t) => {
  const fx = JSON.parse(await Deno.readTextFile(new URL("real_torch_2.5.1.json", DIR)));
  const asNumbers = (d: ArrayLike<number | bigint>) => Array.from(d, Number);
  for (const file of ["real_torch_2.5.1.pt", "real_torch_2.5.1_protocol4.pt"]) {
    await t.step(file, async () => {
      const { value } = readTorchFile(await read(file), file);
      const v = value as Map<string, unknown>;
      const sd = stateDictOf(v, file);
      for (
        const [k, e] of Object.entries(
          fx.expected.state_dict as Record<string, { shape: number[]; values: number[] }>,
        )
      ) {
        assertEquals([[...tensor(sd, k).shape], asNumbers(tensor(sd, k).data)], [e.shape, e.values], k);
      }
      for (
        const [k, e] of Object.entries(fx.expected as Record<string, { shape: number[]; values: number[] }>)
      ) {
        if (k === "state_dict") continue;
        const got = v.get(k) as TorchTensor;
        assertEquals([[...got.shape], asNumbers(got.data)], [e.shape, e.values], k);
      }
      assertEquals((v.get("weight_parameter") as TorchTensor).requiresGrad, true);
      assertEquals(
        v.get("meta"),
        new Map<string, unknown>([["epoch", 3], ["name", "tiny"], ["lr", 1e-3], ["list", [1, 2]], ["tuple", [
          1,
          "a",
        ]]]),
      );
    });
  }
  await t.step("real_torch_2.5.1_legacy.pt (_use_new_zipfile_serialization=False)", async () => {
    const bytes = await read("real_torch_2.5.1_legacy.pt");
    const e = assertThrows(() => readTorchFile(bytes, "legacy.pt"), TorchFileError);
    assert(e.message.includes('"legacy.pt": it is in the legacy torch.save format'), e.message);
  });
});

Deno.test("ZipArchive inflates no more than the directory declares", async () => {
  const bytes = (await read("tiny_state_dict_deflated.pt")).slice();
  const e = new ZipArchive(bytes, "bomb.pt").entries.get("archive/data.pkl")!;
  assertEquals(e.method, 8);
  // Find the entry's central-directory record and declare a 16-byte uncompressed size.
  const dv = new DataView(bytes.buffer);
  let p = bytes.length - 22;
  p = dv.getUint32(p + 16, true);
  while (
    new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + dv.getUint16(p + 28, true))) !==
      "archive/data.pkl"
  ) {
    p += 46 + dv.getUint16(p + 28, true) + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
  }
  dv.setUint32(p + 24, 16, true);
  const err = assertThrows(() => new ZipArchive(bytes, "bomb.pt").read("archive/data.pkl"));
  assert(
    /Cannot inflate "bomb\.pt" entry "archive\/data\.pkl": .*16 bytes/.test((err as Error).message),
    (err as Error).message,
  );
});
