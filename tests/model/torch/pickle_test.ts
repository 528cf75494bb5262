import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { PickleError, PickleObject, unpickle, UnsafePickleError } from "../../../src/model/torch/pickle.ts";
import { viewOfStorage } from "../../../src/model/torch/tensor.ts";

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("unpickle() reads the same value from protocols 0 to 5", async (t) => {
  const fx = JSON.parse(
    await Deno.readTextFile(new URL("../../fixtures/torch/plain_pickles.json", import.meta.url)),
  );
  const expected = new Map<unknown, unknown>([
    ["a", [1, -2, 2.5, "xé", null, true, false]],
    ["b", [1]],
    ["big", 2n ** 70n],
    ["neg", -(2n ** 70n)],
    ["s", new Set([1, 2])],
    ["by", new Uint8Array([0, 255])],
  ]);
  for (const [protocol, b64] of Object.entries(fx.protocols as Record<string, string>)) {
    await t.step(`protocol ${protocol}`, () => {
      const v = unpickle(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))) as Map<string, unknown>;
      assertEquals(v, expected);
      assert(
        Object.isFrozen(v.get("b")) && !Object.isFrozen(v.get("a")),
        "tuples are frozen arrays, lists are not",
      );
    });
  }
});

Deno.test("unpickle() refuses globals that run code, in every opcode that names one", async (t) => {
  const cases: [string, Uint8Array, string][] = [
    ["GLOBAL os.system", enc("cos\nsystem\n(S'echo'\ntR."), "os.system"],
    ["GLOBAL nt.system", enc("cnt\nsystem\n(S'echo'\ntR."), "nt.system"],
    ["INST os.system", enc("(S'echo'\nios\nsystem\n."), "os.system"],
    [
      "STACK_GLOBAL builtins.getattr",
      enc("\x80\x04\x8c\x08builtins\x8c\x07getattr\x93."),
      "builtins.getattr",
    ],
    ["STACK_GLOBAL builtins.exec", enc("\x80\x04\x8c\x08builtins\x8c\x04exec\x93."), "builtins.exec"],
    ["GLOBAL __builtin__.__import__", enc("c__builtin__\n__import__\n."), "__builtin__.__import__"],
    ["GLOBAL subprocess.check_output", enc("csubprocess\ncheck_output\n."), "subprocess.check_output"],
    ["GLOBAL os.path.join (a submodule)", enc("cos.path\njoin\n."), "os.path.join"],
  ];
  for (const [name, bytes, global] of cases) {
    await t.step(name, () => {
      const e = assertThrows(() => unpickle(bytes, { label: "evil.pkl" }), UnsafePickleError);
      assert(e.message.includes(`global ${global} is refused`) && e.message.includes("evil.pkl"), e.message);
    });
  }
  await t.step("EXT1 (a global by extension-registry code)", () => {
    assertThrows(() => unpickle(enc("\x80\x02\x82\x01.")), UnsafePickleError);
  });
});

Deno.test("unpickle() keeps unknown classes and calls as inert records", () => {
  // NEWOBJ + BUILD of an unknown class, then REDUCE of an unknown function.
  const obj = unpickle(enc("\x80\x02cmy.mod\nThing\n)\x81}X\x01\x00\x00\x00aK\x01sb.")) as PickleObject;
  assert(obj instanceof PickleObject && !obj.called);
  assertEquals([obj.type, obj.state], ["my.mod.Thing", new Map([["a", 1]])]);
  const call = unpickle(enc("\x80\x02cmy.mod\nmake\nK\x05\x85R.")) as PickleObject;
  assertEquals([call.type, call.args, call.called], ["my.mod.make", [5], true]);
});

Deno.test("unpickle() reports malformed pickles with the position", async (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(), /needs 1 more bytes/],
    ["no STOP", enc("\x80\x02K\x01"), /needs 1 more bytes/],
    ["unknown opcode", enc("\x80\x02\xff."), /unknown opcode 0xff/],
    ["newer protocol", enc("\x80\x06K\x01."), /protocol 6/],
    ["unset memo", enc("\x80\x02h\x07."), /memo key 7 is not set/],
    ["pop of an empty stack", enc("0."), /stack is empty/],
    ["two values at STOP", enc("K\x01K\x02."), /holds 2 values/],
    ["string past the end", enc("X\xff\xff\x00\x00ab."), /needs 65535 more bytes/],
    [
      "BINUNICODE8 of 2^62 bytes",
      enc("\x8d\x00\x00\x00\x00\x00\x00\x00\x40."),
      /length 4611686018427387904 is impossible/,
    ],
    ["append to a tuple", enc(")K\x01a."), /cannot append to a tuple/],
    ["bad UTF-8", enc("X\x01\x00\x00\x00\xff."), /not valid UTF-8/],
    ["persistent id without a loader", enc("K\x01Q."), /persistent ids are not expected/],
    ["out-of-band buffer", enc("\x80\x05\x97."), /out-of-band/],
  ];
  for (const [name, bytes, re] of cases) {
    await t.step(name, () => {
      const e = assertThrows(() => unpickle(bytes, { label: "bad.pkl" }), PickleError);
      assert(re.test(e.message) && e.message.startsWith('Cannot unpickle "bad.pkl" at byte'), e.message);
    });
  }
});

Deno.test("unpickle() ends every random byte string with a value or a PickleError", () => {
  let state = 7;
  const rand = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  // Bias towards real opcodes so the machine gets deep before failing.
  const ops = enc(
    "(.0125FIJKLMNPQRSTUVXabcdegh}ijl]opqrst)uG\x80\x81\x85\x86\x87\x88\x89\x8a\x8c\x8f\x90\x91\x93\x94\x95",
  );
  for (let trial = 0; trial < 3000; trial++) {
    const n = 1 + Math.floor(rand() * 40);
    const bytes = Uint8Array.from(
      { length: n },
      () => rand() < 0.6 ? ops[Math.floor(rand() * ops.length)] : Math.floor(rand() * 256),
    );
    try {
      unpickle(bytes, { label: "fuzz" });
    } catch (e) {
      assert(e instanceof PickleError, `seed 7 trial ${trial} [${bytes}]: ${e}`);
    }
  }
});

Deno.test("viewOfStorage() copies an expanded (stride-0) view and refuses a huge one", () => {
  const storage = {
    key: "0",
    dtype: "float32" as const,
    bytes: new Uint8Array(new Float32Array([7]).buffer),
    littleEndian: true,
  };
  assertEquals(viewOfStorage(storage, "float32", 0, [2, 3], [0, 0], false).data, new Float32Array(6).fill(7));
  assertThrows(() => viewOfStorage(storage, "float32", 0, [2 ** 16, 2 ** 16], [0, 0], false), RangeError);
  assertThrows(() => viewOfStorage(storage, "float32", 1, [1], [1], false), RangeError);
});
