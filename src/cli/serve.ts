/**
 * `serve`: a small HTTP demo in the style of a Deno Deploy app. `GET /` is a page with a form;
 * `GET /generate?n=2&steps=20&seed=1` samples crystals and answers JSON (formula, summary facts and
 * the CIF of each); `GET /health` answers "ok". One model, loaded once; one sampling job at a time.
 *
 * @module
 */

import { type Command, intFlag } from "./command.ts";
import { backendFromFlag, describeCrystal } from "./generate.ts";
import { writeCif } from "../crystal/cif.ts";
import { CDVAE } from "../model/cdvae.ts";

const PAGE = `<!doctype html><meta charset="utf-8"><title>cdvae</title>
<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}pre{background:#f4f4f4;padding:1em;overflow:auto}</style>
<h1>CDVAE crystal generator</h1>
<form id="f">n <input name="n" value="2" size="3"> steps per level <input name="steps" value="20" size="4">
seed <input name="seed" value="0" size="6"> <button>generate</button></form><div id="out"></div>
<script>
f.onsubmit = async (e) => {
  e.preventDefault();
  out.textContent = "sampling…";
  const r = await fetch("/generate?" + new URLSearchParams(new FormData(f)));
  const j = await r.json();
  out.innerHTML = "";
  if (!r.ok) { out.textContent = j.error; return; }
  for (const c of j.crystals) {
    const h = document.createElement("h3"); h.textContent = c.summary.formula + (c.summary.structurallyValid ? "" : " (invalid)");
    const p = document.createElement("pre"); p.textContent = c.cif;
    out.append(h, p);
  }
};
</script>`;

/**
 * The request handler (exported for tests): routes of the demo over one loaded model.
 *
 * @param model The model (loaded once by the caller)
 * @param limits Largest n and steps a request may ask for
 */
export function makeHandler(
  model: CDVAE,
  limits = { n: 8, steps: 100 },
): (req: Request) => Promise<Response> {
  let busy: Promise<unknown> = Promise.resolve();
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  return async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/") {
      return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname !== "/generate") return json({ error: `No route ${url.pathname}` }, 404);
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
    // Sampling is CPU/GPU bound: queue requests instead of running them side by side.
    const job = busy.then(() => model.generate({ n, seed, stepsPerLevel: steps }));
    busy = job.catch(() => {});
    try {
      const crystals = await job;
      return json({
        n,
        steps,
        seed,
        crystals: crystals.map((c, i) => ({
          summary: describeCrystal(c, `gen_${i}.cif`),
          cif: writeCif({ ...c, name: `gen_${i}` }),
        })),
      });
    } catch (e) {
      return json({ error: `Sampling failed: ${(e as Error).message}` }, 500);
    }
  };
}

export const serve: Command = {
  name: "serve",
  summary: "Serve a small web demo: a page and GET /generate?n=&steps=&seed= answering crystals as JSON",
  usage: "",
  options: {
    port: { type: "string", value: "N", default: "8000", description: "Port" },
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
    const model = await CDVAE.load(String(args.values.model), {
      backend: await backendFromFlag(args.values.backend),
    });
    const server = Deno.serve({
      port,
      onListen: ({ port }) => console.error(`Listening on http://localhost:${port}/`),
    }, makeHandler(model));
    await server.finished;
    return 0;
  },
};
