/**
 * `serve`'s handler without sampling for real: a stand-in model whose `generate` steps when the test
 * says so, to check the job queue (one at a time, a bounded wait, 503 with Retry-After), that a client
 * who disconnects cancels its job (queued or running), that only GET runs /generate, the static
 * site's files and the request log. Real sampling through the handler is in model_commands_test.ts.
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { makeHandler, serve, staticSite, withRequestLog, workerSampler } from "../../src/cli/serve.ts";
import type { CDVAE } from "../../src/model/cdvae.ts";
import type { GenerateOptions } from "../../src/model/cdvae.ts";

/** A model whose every job takes `steps` steps, each released by `tick()`. */
function steppedModel(steps: number) {
  const started: number[] = [];
  let release: () => void = () => {};
  let gate = new Promise<void>((r) => release = r);
  const tick = () => {
    release();
    gate = new Promise<void>((r) => release = r);
  };
  const model = {
    async generate(opts: GenerateOptions) {
      started.push(opts.seed ?? 0);
      for (let k = 1; k <= steps; k++) {
        await gate;
        opts.onStep?.(k, steps);
      }
      const lattice = new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]);
      return Array.from({ length: opts.n }, () => ({
        lattice,
        frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
        numbers: new Uint8Array([38, 8]),
      }));
    },
  } as unknown as CDVAE;
  return { model, started, tick };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

Deno.test("serve: one job at a time, a bounded queue answers 503 with Retry-After", async () => {
  const { model, started, tick } = steppedModel(1);
  const handle = makeHandler(model, { queue: 1 });
  const first = handle(new Request("http://x/generate?n=1&seed=1"));
  const second = handle(new Request("http://x/generate?n=1&seed=2"));
  await settle();
  assertEquals(started, [1]); // the second waits
  const third = await handle(new Request("http://x/generate?n=1&seed=3"));
  assertEquals(third.status, 503);
  assertMatch(third.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
  assertMatch((await third.json()).error, /Busy/);
  tick();
  const r1 = await first;
  assertEquals(r1.status, 200);
  const body = await r1.json();
  // The formula in the CIF's order, as the heading shows it.
  assertEquals([body.crystals[0].summary.formula, body.crystals[0].summary.formulaSum], ["SrO", "Sr1 O1"]);
  await settle();
  assertEquals(started, [1, 2]);
  tick();
  assertEquals((await second).status, 200);
});

Deno.test("serve: a client that disconnects cancels its running or queued job", async () => {
  const { model, started, tick } = steppedModel(3);
  const handle = makeHandler(model, { queue: 2 });
  const gone = new AbortController(), waiting = new AbortController();
  const running = handle(new Request("http://x/generate?n=1&seed=1", { signal: gone.signal }));
  const queued = handle(new Request("http://x/generate?n=1&seed=2", { signal: waiting.signal }));
  const kept = handle(new Request("http://x/generate?n=1&seed=3"));
  await settle();
  tick(); // step 1 of the running job
  await settle();
  gone.abort();
  waiting.abort();
  tick(); // step 2: the running job sees its client gone and stops
  assertEquals((await running).status, 499);
  assertEquals((await queued).status, 499);
  await settle();
  assertEquals(started, [1, 3]); // the queued job never started
  for (let i = 0; i < 3; i++) {
    tick();
    await settle();
  }
  assertEquals((await kept).status, 200);
});

Deno.test("serve: only GET runs /generate; the site's files with their types; no way out of the folder", async () => {
  const site = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${site}/web`);
    await Deno.writeTextFile(`${site}/index.html`, "<!doctype html><p>demo</p>");
    await Deno.writeFile(`${site}/web/x.wasm`, new Uint8Array([0, 97, 115, 109]));
    const { model, started } = steppedModel(1);
    const handle = makeHandler(model, { site });
    const post = await handle(new Request("http://x/generate?n=1", { method: "POST" }));
    assertEquals([post.status, post.headers.get("allow")], [405, "GET"]);
    assertEquals(started, []);
    const index = await handle(new Request("http://x/"));
    assertEquals(index.headers.get("content-type"), "text/html; charset=utf-8");
    assertEquals(await index.text(), "<!doctype html><p>demo</p>");
    const wasm = await handle(new Request("http://x/web/x.wasm"));
    assertEquals([wasm.headers.get("content-type"), (await wasm.bytes()).length], ["application/wasm", 4]);
    assertEquals(
      (await handle(new Request("http://x/web/x.wasm", { method: "HEAD" }))).headers.get("content-length"),
      "4",
    );
    for (const path of ["/%2e%2e/etc/passwd", "/web/%2E%2E/%2E%2E/x", "/.hidden", "/nope.js"]) {
      const res = await handle(new Request(`http://x${path}`));
      assertEquals(res.status, 404, path);
      await res.body?.cancel();
    }
    assertEquals(await staticSite(site)(new Request("http://x/index.html", { method: "PUT" })), undefined);
    assertEquals((await handle(new Request("http://x/index.html", { method: "PUT" }))).status, 405);
  } finally {
    await Deno.remove(site, { recursive: true });
  }
});

Deno.test("serve: one log line per request; listens on 127.0.0.1 unless told otherwise", async () => {
  const lines: string[] = [];
  const handle = withRequestLog(
    () => Promise.resolve(new Response("ok", { status: 201 })),
    (l) => lines.push(l),
  );
  const info = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 5000 },
  } as Deno.ServeHandlerInfo;
  await handle(new Request("http://x/generate?n=1"), info);
  await handle(new Request("http://x/health"), info);
  assertEquals(lines.length, 2);
  assertMatch(lines[0], /^\d{4}-\d\d-\d\dT\S+ 127\.0\.0\.1 GET \/generate\?n=1 201 \d+ ms$/);
  assert(lines[1].includes(" GET /health 201 "));
  assertEquals(serve.options.hostname.default, "127.0.0.1");
});

Deno.test("serve: over a real connection, a client that hangs up stops its job at the next step", async () => {
  const { model, tick } = steppedModel(1000);
  const lines: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    withRequestLog(makeHandler(model), (l) => lines.push(l)),
  );
  try {
    const client = new AbortController();
    const req = fetch(`http://127.0.0.1:${server.addr.port}/generate?n=1`, { signal: client.signal });
    await new Promise((r) => setTimeout(r, 100));
    tick();
    client.abort();
    await req.catch(() => {});
    for (let i = 0; i < 50 && lines.length === 0; i++) {
      tick();
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals(lines.length, 1);
    assertMatch(lines[0], / GET \/generate\?n=1 499 \d+ ms \(client gone\)$/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve: the shipped model on its sampling thread; the server answers meanwhile and a hang-up stops the job", async () => {
  const sampler = await workerSampler("default", "wasm");
  const lines: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    withRequestLog(makeHandler(sampler), (l) => lines.push(l)),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    const client = new AbortController();
    const long = fetch(`${url}/generate?n=2&steps=100`, { signal: client.signal }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    // The server's thread is free while the job samples: /health answers at once.
    const t0 = performance.now();
    assertEquals(await (await fetch(`${url}/health`)).text(), "ok");
    assert(performance.now() - t0 < 1000, `health took ${performance.now() - t0} ms`);
    client.abort();
    await long;
    for (let i = 0; i < 200 && !lines.some((l) => l.includes("/generate?n=2")); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assertMatch(lines.find((l) => l.includes("/generate?n=2")) ?? "", / 499 \d+ ms \(client gone\)$/);
    // The thread goes on with the next job.
    const res = await fetch(`${url}/generate?n=1&steps=1&seed=4`);
    assertEquals(res.status, 200);
    assertEquals((await res.json()).crystals.length, 1);
  } finally {
    await server.shutdown();
    sampler.close();
  }
});
