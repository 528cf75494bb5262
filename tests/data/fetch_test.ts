/**
 * `fetchDataset` against a loopback server: verified and atomic downloads, refusal of corrupted
 * files (nothing kept), resume with Range after an interruption, restart when the server ignores
 * Range, progress. No test reaches the internet: every URL is 127.0.0.1.
 */

import { assert, assertEquals, assertMatch, assertRejects } from "../_assert.ts";
import { DatasetChecksumError, DownloadInterruptedError, fetchDataset } from "../../src/data/fetch.ts";
import type { PublishedTable } from "../../src/data/dataset_sources.ts";
import { cacheDir, findSplit, loadDataset } from "../../src/data/datasets.ts";
import { patternBytes, serveFiles, sha256Hex } from "./_loopback.ts";

/** 300 kB: several chunks on the wire, so a drop or a pause falls mid-body. */
const VAL = patternBytes(300_000, 7);
const TEST = patternBytes(120_000, 9);
const TABLE: PublishedTable = {
  perov_5: {
    val: { size: VAL.length, sha256: await sha256Hex(VAL) },
    test: { size: TEST.length, sha256: await sha256Hex(TEST) },
  },
};

/** Everything under `dir`, as sorted relative paths (folders end with `/`). */
async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = `${prefix}${e.name}`;
    if (e.isDirectory) out.push(`${rel}/`, ...await listTree(dir, `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}

async function withServer(
  files: Record<string, Uint8Array>,
  fn: (server: ReturnType<typeof serveFiles>, dir: string) => Promise<void>,
): Promise<void> {
  const server = serveFiles(files);
  const dir = await Deno.makeTempDir({ prefix: "cdvae-fetch-" });
  try {
    await fn(server, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const FILES = { "/perov_5/val.csv": VAL, "/perov_5/test.csv": TEST };

Deno.test("fetchDataset() downloads, verifies and moves each file into place only when complete", async () => {
  await withServer(FILES, async (server, dir) => {
    server.behave((i) => ({ honourRange: true, pauseAfter: i === 0 ? 100_000 : undefined }));
    const progress: [string, number, number][] = [];
    const running = fetchDataset("perov_5", {
      dir,
      baseUrl: server.base,
      table: TABLE,
      onProgress: (file, done, total) => progress.push([file, done, total]),
    });
    // Mid-body: the bytes so far are in val.csv.part; val.csv itself does not exist yet.
    await server.paused;
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(await listTree(dir), ["perov_5/", "perov_5/val.csv.part"]);
    server.resume();
    const done = await running;
    assertEquals(done.map((s) => [s.split, s.status, s.bytes]), [
      ["val", "downloaded", VAL.length],
      ["test", "downloaded", TEST.length],
    ]);
    assertEquals(await listTree(dir), ["perov_5/", "perov_5/test.csv", "perov_5/val.csv"]);
    assertEquals(await Deno.readFile(`${dir}/perov_5/val.csv`), VAL);
    assertEquals(await Deno.readFile(`${dir}/perov_5/test.csv`), TEST);
    // Progress: per file, from 0, never backwards, ending at the file's size.
    for (
      const [file, size] of [["perov_5/val.csv", VAL.length], ["perov_5/test.csv", TEST.length]] as const
    ) {
      const mine = progress.filter(([f]) => f === file);
      assertEquals(mine[0][1], 0);
      assertEquals(mine.at(-1), [file, size, size]);
      assert(mine.every(([, d, t], k) => t === size && (k === 0 || d >= mine[k - 1][1])));
      assert(mine.length > 2, `progress reported only ${mine.length} times for ${file}`);
    }
    // A second call finds both verified and asks the server for nothing.
    const requests = server.ranges.length;
    const again = await fetchDataset("perov_5", { dir, baseUrl: server.base, table: TABLE });
    assertEquals(again.map((s) => s.status), ["present", "present"]);
    assertEquals(server.ranges.length, requests);
  });
});

Deno.test("fetchDataset() refuses a corrupted file with a one-line error and keeps nothing", async () => {
  const corrupted = VAL.slice();
  corrupted[150_000] ^= 1;
  await withServer({ "/perov_5/val.csv": corrupted }, async (server, dir) => {
    const err = await assertRejects(
      () => fetchDataset("perov_5", { dir, baseUrl: server.base, table: TABLE, splits: ["val"] }),
      DatasetChecksumError,
    );
    assertMatch(
      err.message,
      /^Refused "http:\/\/127\.0\.0\.1:\d+\/perov_5\/val\.csv": its SHA-256 [0-9a-f]{64} is not/,
    );
    assert(!err.message.includes("\n"));
    assertEquals(await listTree(dir), []);
  });
});

Deno.test("fetchDataset() refuses a file of the wrong size before writing it, and an unknown file (404)", async () => {
  await withServer({ "/perov_5/val.csv": patternBytes(VAL.length + 10, 7) }, async (server, dir) => {
    const err = await assertRejects(
      () => fetchDataset("perov_5", { dir, baseUrl: server.base, table: TABLE, splits: ["val"] }),
      DatasetChecksumError,
    );
    assertMatch(
      err.message,
      new RegExp(`offers ${VAL.length + 10} bytes, the published file has ${VAL.length}`),
    );
    const missing = await assertRejects(
      () => fetchDataset("perov_5", { dir, baseUrl: server.base, table: TABLE, splits: ["test"] }),
      Error,
    );
    assertMatch(missing.message, /HTTP 404/);
    assertEquals(await listTree(dir), []);
  });
});

Deno.test("an interrupted download keeps its .part and the next call resumes it with a Range request", async () => {
  await withServer(FILES, async (server, dir) => {
    server.behave((i) => ({ honourRange: true, dropAfter: i === 0 ? 100_000 : undefined }));
    const opts = { dir, baseUrl: server.base, table: TABLE, splits: ["val"] as const, retryDelayMs: 0 };
    const err = await assertRejects(
      () => fetchDataset("perov_5", { ...opts, attempts: 1 }),
      DownloadInterruptedError,
    );
    assertMatch(err.message, /interrupted after \d+ of 300000 bytes .*run the command again to resume/);
    const kept = (await Deno.stat(`${dir}/perov_5/val.csv.part`)).size;
    assert(kept > 0 && kept <= 100_000, `kept ${kept} bytes`);
    assertEquals(await listTree(dir), ["perov_5/", "perov_5/val.csv.part"]);

    const notes: string[] = [];
    const progress: number[] = [];
    const done = await fetchDataset("perov_5", {
      ...opts,
      onNote: (n) => notes.push(n),
      onProgress: (_, d) => progress.push(d),
    });
    assertEquals(done[0].status, "downloaded");
    assertEquals(server.ranges, [null, `bytes=${kept}-`]);
    // Offsets are the file's own bytes: no compressed transfer is asked for.
    assertEquals(server.encodings, ["identity", "identity"]);
    assertEquals(progress[0], kept, "progress starts at the bytes already on disk");
    assertMatch(notes.join("\n"), new RegExp(`resuming at byte ${kept} of 300000`));
    assertEquals(await Deno.readFile(`${dir}/perov_5/val.csv`), VAL);
    assertEquals(await listTree(dir), ["perov_5/", "perov_5/val.csv"]);
  });
});

Deno.test("a dropped connection is resumed within the same call", async () => {
  await withServer(FILES, async (server, dir) => {
    server.behave((i) => ({ honourRange: true, dropAfter: i < 2 ? 60_000 : undefined }));
    const notes: string[] = [];
    await fetchDataset("perov_5", {
      dir,
      baseUrl: server.base,
      table: TABLE,
      splits: ["val"],
      retryDelayMs: 0,
      onNote: (n) => notes.push(n),
    });
    assertEquals(server.ranges.length, 3);
    assertEquals(server.ranges[0], null);
    assertMatch(String(server.ranges[1]), /^bytes=\d+-$/);
    assertMatch(notes.join("\n"), /connection lost at byte \d+ .*retrying/);
    assertEquals(await Deno.readFile(`${dir}/perov_5/val.csv`), VAL);
  });
});

Deno.test("a busy server (503) is asked again within the same call", async () => {
  await withServer(FILES, async (server, dir) => {
    server.behave((i) => ({ honourRange: true, status: i === 0 ? 503 : undefined }));
    const notes: string[] = [];
    const opts = { dir, baseUrl: server.base, table: TABLE, splits: ["test"] as const, retryDelayMs: 0 };
    await fetchDataset("perov_5", { ...opts, onNote: (n) => notes.push(n) });
    assertMatch(notes.join("\n"), /HTTP 503 .*retrying/);
    assertEquals(await Deno.readFile(`${dir}/perov_5/test.csv`), TEST);
  });
});

Deno.test("when the server ignores Range the download starts over and still ends verified", async () => {
  await withServer(FILES, async (server, dir) => {
    server.behave((i) => ({ honourRange: false, dropAfter: i === 0 ? 100_000 : undefined }));
    const opts = { dir, baseUrl: server.base, table: TABLE, splits: ["val"] as const, retryDelayMs: 0 };
    await assertRejects(() => fetchDataset("perov_5", { ...opts, attempts: 1 }), DownloadInterruptedError);
    const notes: string[] = [];
    const done = await fetchDataset("perov_5", { ...opts, onNote: (n) => notes.push(n) });
    assertEquals(done[0].status, "downloaded");
    assertMatch(String(server.ranges[1]), /^bytes=\d+-$/, "it asked to resume");
    assertMatch(notes.join("\n"), /does not resume \(HTTP 200\); starting over/);
    assertEquals(await Deno.readFile(`${dir}/perov_5/val.csv`), VAL);
    assertEquals(await listTree(dir), ["perov_5/", "perov_5/val.csv"]);
  });
});

Deno.test("a .part that is not a prefix of the file is refused at the end, and the next call starts afresh", async () => {
  await withServer(FILES, async (server, dir) => {
    await Deno.mkdir(`${dir}/perov_5`);
    await Deno.writeFile(`${dir}/perov_5/val.csv.part`, patternBytes(50_000, 3));
    const opts = { dir, baseUrl: server.base, table: TABLE, splits: ["val"] as const };
    await assertRejects(() => fetchDataset("perov_5", opts), DatasetChecksumError);
    assertEquals(await listTree(dir), ["perov_5/"]);
    await fetchDataset("perov_5", opts);
    assertEquals(server.ranges, ["bytes=50000-", null]);
    assertEquals(await Deno.readFile(`${dir}/perov_5/val.csv`), VAL);
  });
});

Deno.test("a present file with another hash is left alone unless force replaces it", async () => {
  await withServer(FILES, async (server, dir) => {
    await Deno.mkdir(`${dir}/perov_5`);
    await Deno.writeTextFile(`${dir}/perov_5/val.csv`, "my own edit\n");
    const opts = { dir, baseUrl: server.base, table: TABLE, splits: ["val"] as const };
    assertEquals((await fetchDataset("perov_5", opts))[0].status, "differs");
    assertEquals(await Deno.readTextFile(`${dir}/perov_5/val.csv`), "my own edit\n");
    assertEquals(server.ranges.length, 0);
    assertEquals((await fetchDataset("perov_5", { ...opts, force: true }))[0].status, "downloaded");
    assertEquals(await Deno.readFile(`${dir}/perov_5/val.csv`), VAL);
  });
});

Deno.test("cacheDir() follows each platform's convention", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assertEquals(cacheDir(env({ HOME: "/h" }), "linux"), "/h/.cache/cdvae");
  assertEquals(cacheDir(env({ HOME: "/h", XDG_CACHE_HOME: "/x" }), "linux"), "/x/cdvae");
  assertEquals(cacheDir(env({ HOME: "/h", XDG_CACHE_HOME: "rel" }), "linux"), "/h/.cache/cdvae");
  assertEquals(cacheDir(env({ HOME: "/Users/a" }), "darwin"), "/Users/a/Library/Caches/cdvae");
  assertEquals(
    cacheDir(env({ LOCALAPPDATA: "C:\\Users\\a\\AppData\\Local" }), "windows"),
    "C:\\Users\\a\\AppData\\Local\\cdvae",
  );
});

Deno.test("the loader searches its folders in order and its missing-split error names datasets fetch", async () => {
  const [a, b] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    await Deno.mkdir(`${b}/carbon_24`);
    await Deno.writeTextFile(`${b}/carbon_24/val.csv`, "material_id,cif\n");
    assertEquals(await findSplit("carbon_24", "val", [a, b]), `${b}/carbon_24/val.csv`);
    assertEquals(await findSplit("carbon_24", "test", [a, b]), undefined);
    const err = await assertRejects(() => loadDataset("carbon_24", "test", { dir: a }));
    assertMatch(err.message, /datasets fetch carbon_24.*--download/);
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});
