/**
 * `serve`: the demo over HTTP. `GET /` and every other path serve the static site that
 * `deno task build:web` writes (`--site`, default `out/web/`; the page generates in the browser),
 * or a small form over the JSON API when that folder is missing. The JSON API samples on the server:
 * `GET /generate?n=2&steps=20&seed=1` answers formula, summary facts and the CIF of each crystal;
 * `GET /health` answers "ok". One model, loaded once on a sampling thread of its own (so that the
 * server keeps answering while it samples); one sampling job runs at a time, a few wait (a full
 * queue answers 503 with Retry-After), and a client that disconnects cancels its job. One log line
 * per request goes to stderr.
 *
 * @module
 */

import { type Command, intFlag, UsageError } from "./command.ts";
import { describeCrystal } from "./generate.ts";
import { pymatgenFormulas, writeCif } from "../crystal/cif.ts";
import type { GeneratedCrystal } from "../model/sampler.ts";
import type { FromSampler, ToSampler } from "./_serve_worker.ts";

/** Shown at `/` when the static site has not been built. */
const API_PAGE = `<!doctype html><meta charset="utf-8"><title>cdvae</title>
<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}pre{background:#f4f4f4;padding:1em;overflow:auto}</style>
<h1>CDVAE crystal generator (server API)</h1>
<p>The in-browser demo with 3D views is not built here: run <code>deno task build:web</code> and restart
<code>serve</code> (or pass <code>--site DIR</code>). Meanwhile this form calls the server's JSON API.</p>
<form id="f">n <input name="n" type="number" min="1" max="8" value="2"> steps per level
<input name="steps" type="number" min="1" max="100" value="20"> seed <input name="seed" type="number" min="0" value="0">
<button id="b">generate</button></form><div id="out"></div>
<script>
f.onsubmit = async (e) => {
  e.preventDefault();
  b.disabled = true;
  out.textContent = "sampling on the server…";
  try {
    const r = await fetch("generate?" + new URLSearchParams(new FormData(f)));
    const j = await r.json();
    out.innerHTML = "";
    if (!r.ok) { out.textContent = j.error; return; }
    for (const c of j.crystals) {
      const h = document.createElement("h3"); h.textContent = c.summary.formula + (c.summary.structurallyValid ? "" : " (invalid)");
      const p = document.createElement("pre"); p.textContent = c.cif;
      out.append(h, p);
    }
  } finally { b.disabled = false; }
};
</script>`;

/** Content types of the files the built site holds. */
const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  wasm: "application/wasm",
  wgsl: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  safetensors: "application/octet-stream",
  png: "image/png",
  css: "text/css; charset=utf-8",
};

/** Limits of {@linkcode makeHandler}. */
export interface ServeLimits {
  /** Largest n a request may ask for (default 8). */
  n?: number;
  /** Largest steps per level (default 100). */
  steps?: number;
  /** Jobs that may wait behind the running one before requests get 503 (default 4). */
  queue?: number;
}

/** Options of {@linkcode makeHandler}. */
export interface HandlerOptions extends ServeLimits {
  /** Folder of the static site (`deno task build:web`); without it `/` is the API form. */
  site?: string;
}

/** Why a job did not run: the client went away. */
class ClientGone extends Error {
  constructor() {
    super("the client disconnected");
    this.name = "ClientGone";
  }
}

/**
 * One job at a time and at most `capacity` waiting: `run` resolves with the job's result, or throws
 * `ClientGone` when `signal` aborts before or while the job runs.
 */
class JobQueue {
  #tail: Promise<unknown> = Promise.resolve();
  /** Jobs running or waiting. */
  pending = 0;
  /** Mean seconds of the finished jobs, for Retry-After. */
  #meanSeconds = 10;
  #finished = 0;

  constructor(readonly capacity: number) {}

  /** Whether another job fits. */
  get full(): boolean {
    return this.pending > this.capacity;
  }

  /** Seconds until a place is likely free. */
  retryAfter(): number {
    return Math.max(1, Math.ceil(this.#meanSeconds * (this.pending - this.capacity)));
  }

  run<T>(signal: AbortSignal, job: (check: () => void) => Promise<T>): Promise<T> {
    this.pending++;
    const check = () => {
      if (signal.aborted) throw new ClientGone();
    };
    const result = this.#tail.then(async () => {
      check(); // left while waiting: never start
      const t0 = performance.now();
      try {
        return await job(check);
      } finally {
        const s = (performance.now() - t0) / 1000;
        this.#meanSeconds = (this.#meanSeconds * this.#finished + s) / ++this.#finished;
      }
    }).finally(() => this.pending--);
    this.#tail = result.catch(() => {});
    return result;
  }
}

/** A file of the site for a URL path, or undefined (outside the folder, missing, or a folder without index.html). */
async function siteFile(site: string, pathname: string): Promise<{ path: string; size: number } | undefined> {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (
    rel.split("/").some((part) => part === ".." || part.startsWith(".") && part !== "") || rel.includes("\0")
  ) {
    return undefined;
  }
  let path = `${site}${rel}`;
  try {
    let info = await Deno.stat(path);
    if (info.isDirectory) {
      path = `${path.replace(/\/$/, "")}/index.html`;
      info = await Deno.stat(path);
    }
    return info.isFile ? { path, size: info.size } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A handler for the files of a static site folder (GET and HEAD): undefined when the path names no
 * file there (or leaves the folder), so that the caller answers it.
 *
 * @param site The folder (`deno task build:web` writes `out/web`)
 */
export function staticSite(site: string): (req: Request) => Promise<Response | undefined> {
  const root = site.replace(/\/$/, "");
  return async (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") return undefined;
    const file = await siteFile(root, new URL(req.url).pathname);
    if (!file) return undefined;
    const ext = file.path.slice(file.path.lastIndexOf(".") + 1);
    const headers = {
      "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
      "content-length": String(file.size),
    };
    if (req.method === "HEAD") return new Response(null, { headers });
    return new Response((await Deno.open(file.path)).readable, { headers });
  };
}

/** What the handler samples with: a loaded `CDVAE`, or {@linkcode workerSampler}'s thread. */
export interface Sampler {
  /** As `CDVAE.generate`; an exception thrown by `onStep` stops the job and rejects with it. */
  generate(opts: {
    n: number;
    seed: number;
    stepsPerLevel: number;
    onStep?: (done: number, total: number) => void;
  }): Promise<GeneratedCrystal[]>;
}

/**
 * A model loaded on a sampling thread of its own (`_serve_worker.ts`). Jobs run there one at a time;
 * each step is reported back, and when the job's `onStep` throws here, a flag in shared memory
 * stops the job there after its current step.
 *
 * @param model Model folder, URL or "default"
 * @param backend webgpu, wasm or reference (default: the fastest there)
 * @returns The sampler, once the model is loaded; `close()` ends the thread
 */
export async function workerSampler(model: string, backend?: string): Promise<Sampler & { close(): void }> {
  const worker = new Worker(new URL("./_serve_worker.ts", import.meta.url), { type: "module" });
  const post = (m: ToSampler) => worker.postMessage(m);
  interface Job {
    resolve(c: GeneratedCrystal[]): void;
    reject(e: unknown): void;
    onStep?: (done: number, total: number) => void;
    stop: Int32Array;
    /** What `onStep` threw (the job then ends with it). */
    reason?: unknown;
  }
  const jobs = new Map<number, Job>();
  const ready = Promise.withResolvers<void>();
  let nextId = 1;
  worker.onmessage = (e: MessageEvent<FromSampler>) => {
    const m = e.data;
    if (m.type === "started") return post({ type: "init", model, ...(backend ? { backend } : {}) });
    if (m.type === "ready") return ready.resolve();
    if (m.type === "error" && m.id === undefined) return ready.reject(new Error(m.message));
    const job = jobs.get(m.id!);
    if (!job) return;
    if (m.type === "step") {
      try {
        job.onStep?.(m.done, m.total);
      } catch (err) {
        job.reason ??= err;
        Atomics.store(job.stop, 0, 1);
      }
      return;
    }
    jobs.delete(m.id!);
    if (m.type === "done") job.resolve(m.crystals);
    else job.reject(job.reason ?? new Error(m.message));
  };
  worker.onerror = (e) => {
    e.preventDefault();
    const err = new Error(`The sampling thread failed: ${e.message}`);
    ready.reject(err);
    for (const job of jobs.values()) job.reject(err);
    jobs.clear();
  };
  try {
    await ready.promise;
  } catch (e) {
    worker.terminate();
    throw e;
  }
  return {
    generate(opts) {
      const id = nextId++;
      const stop = new Int32Array(new SharedArrayBuffer(4));
      const { promise, resolve, reject } = Promise.withResolvers<GeneratedCrystal[]>();
      jobs.set(id, { resolve, reject, onStep: opts.onStep, stop });
      post({ type: "job", id, n: opts.n, seed: opts.seed, stepsPerLevel: opts.stepsPerLevel, stop });
      return promise;
    },
    close: () => worker.terminate(),
  };
}

/**
 * The request handler (exported for tests): the static site, the API form and the JSON API over one
 * loaded model.
 *
 * @param model The model (loaded once by the caller): a `CDVAE`, or {@linkcode workerSampler}'s thread
 * @param opts Limits and the site folder
 */
export function makeHandler(
  model: Sampler,
  opts: HandlerOptions = {},
): (req: Request) => Promise<Response> {
  const limits = { n: opts.n ?? 8, steps: opts.steps ?? 100 };
  const queue = new JobQueue(opts.queue ?? 4);
  const files = opts.site === undefined ? undefined : staticSite(opts.site);
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
  return async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname !== "/generate") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return json({ error: `Method ${req.method} not allowed` }, 405, { allow: "GET, HEAD" });
      }
      const file = await files?.(req);
      if (file) return file;
      if (url.pathname === "/" && files === undefined) {
        return new Response(API_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      return json({ error: `No route ${url.pathname}` }, 404);
    }
    // Sampling is expensive and not idempotent in cost: only GET (a link, a test) starts it.
    if (req.method !== "GET") {
      return json({ error: `Use GET for /generate, not ${req.method}` }, 405, { allow: "GET" });
    }
    const int = (name: string, def: number, max: number) => {
      const raw = url.searchParams.get(name);
      const v = raw === null || raw === "" ? def : Number(raw);
      if (!Number.isInteger(v) || v < (name === "seed" ? 0 : 1) || v > max) {
        throw new RangeError(
          `"${name}" must be an integer in ${name === "seed" ? 0 : 1}..${max}, got "${raw}"`,
        );
      }
      return v;
    };
    let n: number, steps: number, seed: number;
    try {
      [n, steps, seed] = [int("n", 2, limits.n), int("steps", 20, limits.steps), int("seed", 0, 2 ** 31)];
    } catch (e) {
      return json({ error: (e as Error).message }, 400);
    }
    if (queue.full) {
      const wait = queue.retryAfter();
      return json({ error: `Busy: ${queue.pending} sampling jobs queued; retry in ${wait} s` }, 503, {
        "retry-after": String(wait),
      });
    }
    try {
      // Sampling is CPU/GPU bound: jobs run one after another; a client that leaves (its request's
      // signal aborts) is dropped from the queue, or stops its running job at the next step.
      const crystals = await queue.run(
        req.signal,
        (check) => model.generate({ n, seed, stepsPerLevel: steps, onStep: check }),
      );
      return json({
        n,
        steps,
        seed,
        crystals: crystals.map((c, i) => {
          const f = pymatgenFormulas(c.numbers);
          return {
            // The CIF's order (pymatgen's reduced formula and its formula sum) everywhere.
            summary: { ...describeCrystal(c, `gen_${i}.cif`), formula: f.reduced, formulaSum: f.sum },
            cif: writeCif({ ...c, name: `gen_${i}` }),
          };
        }),
      });
    } catch (e) {
      if (e instanceof ClientGone) return json({ error: "Cancelled: the client disconnected" }, 499);
      return json({ error: `Sampling failed: ${(e as Error).message}` }, 500);
    }
  };
}

/** Wraps a handler so that each request logs one line: time, client, method, path, status, ms. */
export function withRequestLog(
  handler: (req: Request) => Promise<Response>,
  log: (line: string) => void = console.error,
): (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response> {
  return async (req, info) => {
    const t0 = performance.now();
    const url = new URL(req.url);
    const addr = info.remoteAddr as Deno.NetAddr;
    let status = 500;
    try {
      const res = await handler(req);
      status = res.status;
      return res;
    } finally {
      log(
        `${new Date().toISOString()} ${
          addr.hostname ?? "?"
        } ${req.method} ${url.pathname}${url.search} ${status} ${(performance.now() - t0).toFixed(0)} ms${
          req.signal.aborted ? " (client gone)" : ""
        }`,
      );
    }
  };
}

export const serve: Command = {
  name: "serve",
  summary:
    "Serve the demo: the in-browser site (deno task build:web) and GET /generate?n=&steps=&seed= answering crystals as JSON",
  usage: "",
  options: {
    port: { type: "string", value: "N", default: "8000", description: "Port" },
    hostname: {
      type: "string",
      value: "ADDR",
      default: "127.0.0.1",
      description: "Interface to listen on (0.0.0.0 for every interface)",
    },
    site: {
      type: "string",
      value: "DIR",
      default: "out/web",
      description: "Folder of the static site written by deno task build:web",
    },
    queue: {
      type: "string",
      value: "N",
      default: "4",
      description: "Sampling jobs that may wait (then 503)",
    },
    model: {
      type: "string",
      value: "NAME|DIR|URL",
      default: "default",
      description: "A shipped model (perov_5, mp_20, carbon_24), a model folder or URL",
    },
    backend: {
      type: "string",
      value: "NAME",
      description: "webgpu, wasm or reference (default: fastest here)",
    },
  },
  async run(args) {
    const port = intFlag(args, "port", { min: 0, max: 65535 })!;
    const queue = intFlag(args, "queue", { min: 0, max: 1000 })!;
    const hostname = String(args.values.hostname);
    let site: string | undefined = String(args.values.site);
    if (!(await Deno.stat(`${site}/index.html`).then((i) => i.isFile, () => false))) {
      console.error(
        `No built site in "${site}" (run deno task build:web): serving the API form at / instead`,
      );
      site = undefined;
    }
    const backend = args.values.backend === undefined ? undefined : String(args.values.backend);
    if (backend !== undefined && !["webgpu", "wasm", "reference"].includes(backend)) {
      throw new UsageError(`Unknown backend "${backend}": expected webgpu, wasm or reference`);
    }
    const model = await workerSampler(String(args.values.model), backend);
    const server = Deno.serve({
      port,
      hostname,
      onListen: ({ hostname, port }) => {
        const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
        console.error(`Listening on http://${shown}:${port}/`);
      },
    }, withRequestLog(makeHandler(model, { queue, ...(site ? { site } : {}) })));
    await server.finished;
    return 0;
  },
};
