/**
 * `datasets fetch|list` and `--download`, end to end in a child process, against a loopback server
 * (`$CDVAE_DATASETS_URL` / `--base-url`); `$CDVAE_DATA_DIR` is a fresh folder each time, so the
 * user's cache is never touched and no test reaches the internet.
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { cli } from "./_cli.ts";
import { patternBytes, serveFiles } from "../data/_loopback.ts";
import { PUBLISHED_FILES } from "../../src/data/dataset_sources.ts";
import { sha256File } from "../../src/data/fetch.ts";
import { FULL_DATA_DIR } from "../_datasets.ts";

const VAL = PUBLISHED_FILES.carbon_24.val;

async function entries(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

/** Lines of stderr that are errors (progress lines are not). */
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("Error:"));

Deno.test("datasets fetch refuses a corrupted file: one error line, exit 1, nothing in the data folder", async () => {
  const server = serveFiles({ "/carbon_24/val.csv": patternBytes(VAL.size, 5) });
  const dir = await Deno.makeTempDir();
  try {
    const r = await cli(["datasets", "fetch", "carbon_24", "--split", "val", "--base-url", server.base], {
      env: { CDVAE_DATA_DIR: dir },
    });
    assertEquals(r.code, 1);
    assertEquals(errorLines(r.stderr).length, 1);
    assertMatch(
      errorLines(r.stderr)[0],
      /^Error: Refused ".*\/carbon_24\/val\.csv": its SHA-256 [0-9a-f]{64} is not the published/,
    );
    assert(!/\n\s+at /.test(r.stderr), "no stack trace");
    // Progress was reported on stderr while the bytes came (plain lines: stderr is not a terminal).
    assertMatch(
      r.stderr,
      new RegExp(`downloading carbon_24/val\\.csv \\(bytes\\) \\[#+\\] ${VAL.size}/${VAL.size}`),
    );
    assertEquals(await entries(dir), []);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("datasets: $CDVAE_DATASETS_URL replaces the server; usage errors suggest what was meant", async () => {
  const server = serveFiles({});
  const dir = await Deno.makeTempDir();
  try {
    const env = { CDVAE_DATA_DIR: dir, CDVAE_DATASETS_URL: server.base };
    const missing = await cli(["datasets", "fetch", "mp_20", "--split", "test"], { env });
    assertEquals(missing.code, 1);
    assertMatch(
      missing.stderr,
      /Error: Cannot download "http:\/\/127\.0\.0\.1:\d+\/mp_20\/test\.csv": HTTP 404/,
    );
    assertEquals(server.ranges, [null]);
    assertEquals(await entries(dir), []);

    const typo = await cli(["datasets", "fetch", "carbn_24"], { env });
    assertEquals(typo.code, 2);
    assertMatch(typo.stderr, /Unknown dataset "carbn_24" \(did you mean carbon_24\?\)/);
    const action = await cli(["datasets", "lst"], { env });
    assertEquals(action.code, 2);
    assertMatch(action.stderr, /Unknown action "lst" \(did you mean list\?\)/);

    // Without --download a missing split says how to get it.
    const convert = await cli(["convert", "dataset:carbon_24:val", `${dir}/out/`], { env });
    assertEquals(convert.code, 1);
    assertMatch(convert.stderr, /run "deno run -A mod.ts datasets fetch carbon_24" \(or pass --download\)/);
    assertEquals(server.ranges.length, 1, "no download without --download");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

const realVal = FULL_DATA_DIR ? `${FULL_DATA_DIR}/carbon_24/val.csv` : undefined;
const haveRealVal = realVal !== undefined &&
  (await Deno.stat(realVal).then(() => true, () => false)) &&
  (await sha256File(realVal)) === VAL.sha256;

// Needs the published carbon_24/val.csv (in CDVAE_DATA_DIR) to serve: no other bytes have its hash.
Deno.test({
  name:
    "datasets fetch downloads a published file, list reports it verified, --download fetches on first use",
  ignore: !haveRealVal,
  async fn() {
    const server = serveFiles({ "/carbon_24/val.csv": await Deno.readFile(realVal!) });
    const dir = await Deno.makeTempDir();
    try {
      const env = { CDVAE_DATA_DIR: dir, CDVAE_DATASETS_URL: server.base };
      const convert = await cli([
        "convert",
        "dataset:carbon_24:val",
        `${dir}/out/`,
        "--limit",
        "2",
        "--download",
      ], {
        env,
      });
      assertEquals(convert.code, 0, convert.stderr);
      assertMatch(
        convert.stderr,
        new RegExp(`downloading carbon_24/val\\.csv \\(bytes\\) .* ${VAL.size}/${VAL.size}`),
      );
      assertEquals((await entries(`${dir}/out`)).length, 2);
      assertEquals(await sha256File(`${dir}/carbon_24/val.csv`), VAL.sha256);

      const again = await cli(["datasets", "fetch", "carbon_24", "--split", "val"], { env });
      assertEquals(again.code, 0, again.stderr);
      assertMatch(again.stdout, /carbon_24\/val\.csv: already present, verified/);
      assertEquals(server.ranges.length, 1, "nothing downloaded twice");

      const list = await cli(["datasets", "list"], { env });
      assertEquals(list.code, 0, list.stderr);
      assertMatch(list.stdout, new RegExp(`carbon_24/val\\.csv +${VAL.size} bytes, verified: `));
      assertMatch(list.stdout, /mp_20\/train\.csv +missing \(datasets fetch mp_20: 34975028 bytes\)/);
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
