/**
 * The demo page (web/index.html): a form whose values also come from the URL
 * (`?model=&n=&steps=&levels=&seed=&backend=&run=1`), generation in a Web Worker (`worker.ts`) with
 * progress and Cancel, and one result card per crystal with a rotatable 3D view, the facts of
 * the crystal, its CIF folded away and downloads.
 *
 * @module
 */

import { assetBase, listModels } from "./assets.ts";
import { type Field, LIMITS, paramValue } from "./params.ts";
import { ELEMENT_SYMBOLS } from "../src/crystal/elements.ts";
import type { CrystalSummary, GenerateRequest, WorkerMessage } from "./protocol.ts";
import { drawCell, elementColor, type Viewer3D } from "./viewer.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Exposed for the browser test: the viewers of the current cards. */
const demo = { viewers: [] as Viewer3D[], runs: 0 };
(globalThis as { cdvaeDemo?: typeof demo }).cdvaeDemo = demo;

/** Starts the page: fills the form, wires the buttons, runs at once with `run=1`. */
export async function runPage(): Promise<void> {
  const base = assetBase();
  const form = $<HTMLFormElement>("form");
  const go = $<HTMLButtonElement>("generate"), cancel = $<HTMLButtonElement>("cancel");
  const params = new URLSearchParams(location.search);
  for (const f of Object.keys(LIMITS) as Field[]) {
    const input = form.elements.namedItem(f) as HTMLInputElement;
    input.min = String(LIMITS[f].min);
    input.max = String(LIMITS[f].max);
    input.value = String(paramValue(f, params.get(f)));
  }
  const select = form.elements.namedItem("model") as HTMLSelectElement;
  try {
    for (const m of await listModels({ base })) {
      select.add(new Option(`${m.name} (${m.dataset}, up to ${m.maxAtoms} atoms)`, m.name));
    }
  } catch (e) {
    setStatus(`Cannot list the models: ${(e as Error).message}`, true);
    return;
  }
  // The URL's model, else the best-trained shipped one (perov_5, the CLI's default), else the first listed.
  const wanted = params.get("model") ?? "perov_5";
  if ([...select.options].some((o) => o.value === wanted)) select.value = wanted;
  const backendSelect = form.elements.namedItem("backend") as HTMLSelectElement;
  const wantedBackend = params.get("backend");
  if (wantedBackend === "webgpu" || wantedBackend === "wasm") backendSelect.value = wantedBackend;

  let worker: Worker | undefined;
  const finish = () => {
    go.disabled = false;
    cancel.disabled = true;
    form.classList.remove("running");
  };
  cancel.onclick = () => {
    worker?.terminate(); // the only way to stop a busy wasm/WebGPU loop; the next run starts a fresh worker
    worker = undefined;
    finish();
    setStatus("Cancelled.");
  };
  form.onsubmit = (ev) => {
    ev.preventDefault();
    if (!form.reportValidity()) return;
    const values = Object.fromEntries(
      (Object.keys(LIMITS) as Field[]).map((
        f,
      ) => [f, paramValue(f, (form.elements.namedItem(f) as HTMLInputElement).value)]),
    ) as Record<Field, number>;
    const prefer = backendSelect.value === "webgpu" || backendSelect.value === "wasm"
      ? backendSelect.value
      : undefined;
    const req: GenerateRequest = {
      type: "generate",
      base: base.href,
      model: select.value,
      ...values,
      ...(prefer ? { prefer } : {}),
    };
    const share = new URLSearchParams({
      model: req.model,
      ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])),
      ...(prefer ? { backend: prefer } : {}),
    });
    history.replaceState(null, "", `?${share}`);
    $<HTMLAnchorElement>("share").href = `?${share}&run=1`;
    go.disabled = true;
    cancel.disabled = false;
    form.classList.add("running");
    $("results").replaceChildren();
    $("downloads").hidden = true;
    setProgress(0, 1);
    setStatus("Loading the model and the compute backend…");
    worker ??= new Worker(import.meta.url, { type: "module" });
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => onMessage(e.data, req, finish);
    worker.onerror = (e) => {
      finish();
      setStatus(`The worker failed: ${e.message}`, true);
    };
    worker.postMessage(req);
  };
  if (params.get("run") === "1") form.requestSubmit();
}

function onMessage(m: WorkerMessage, req: GenerateRequest, finish: () => void): void {
  if (m.type === "backend") {
    $("backend").textContent = `${m.name} (${m.detail})`;
    $("note").textContent = m.note ?? "";
    $("note").hidden = !m.note;
  } else if (m.type === "progress") {
    setProgress(m.done, m.total);
    const perLevel = req.steps, levels = Math.min(req.levels, 50);
    const inBatch = (m.done - 1) % (perLevel * levels);
    const left = m.done > 0 ? (m.seconds / m.done) * (m.total - m.done) : NaN;
    setStatus(
      `Noise level ${Math.floor(inBatch / perLevel) + 1}/${levels} · step ${
        (inBatch % perLevel) + 1
      }/${perLevel} · ` +
        `${m.done}/${m.total} steps · ${Number.isFinite(left) ? `${left.toFixed(0)} s left` : ""}`,
    );
  } else if (m.type === "done") {
    finish();
    setProgress(1, 1);
    const valid = m.crystals.filter((c) => c.structurallyValid).length;
    setStatus(
      `${m.crystals.length} crystal${m.crystals.length === 1 ? "" : "s"} in ${
        m.seconds.toFixed(1)
      } s (${valid} structurally valid).`,
    );
    showResults(m.crystals, m.extxyz);
    demo.runs++;
  } else {
    finish();
    setStatus(`Generation failed: ${m.message}`, true);
  }
}

function setStatus(text: string, error = false): void {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", error);
}

function setProgress(done: number, total: number): void {
  const p = $<HTMLProgressElement>("progress");
  p.max = total;
  p.value = done;
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "—";
}

function download(name: string, text: string, type = "text/plain"): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function showResults(crystals: CrystalSummary[], extxyz: string): void {
  const results = $("results");
  demo.viewers = [];
  for (const c of crystals) results.append(card(c));
  const dl = $("downloads");
  dl.hidden = false;
  $<HTMLButtonElement>("all-cif").onclick = () =>
    download("cdvae_generated.cif", crystals.map((c) => c.cif).join("\n"));
  $<HTMLButtonElement>("all-xyz").onclick = () => download("cdvae_generated.extxyz", extxyz);
  $<HTMLButtonElement>("all-json").onclick = () =>
    download(
      "cdvae_generated.json",
      JSON.stringify(crystals.map(({ cif: _c, poscar: _p, ...rest }) => rest), null, 1),
      "application/json",
    );
  // Draw after the cards are in the document, so that the viewers know their size.
  crystals.forEach((c, i) => {
    const host = results.children[i].querySelector<HTMLElement>(".view")!;
    demo.viewers.push(drawCell(host, c, ELEMENT_SYMBOLS as readonly string[]));
  });
}

function card(c: CrystalSummary): HTMLElement {
  const l = c.lattice;
  const badge = (ok: boolean, yes: string, no: string) =>
    el("span", { className: ok ? "ok" : "bad" }, ok ? yes : no);
  const elements = [...new Set(c.formulaSum.split(" ").map((p) => p.replace(/\d+$/, "")))];
  const legend = el(
    "div",
    { className: "legend" },
    ...elements.map((s) =>
      el(
        "span",
        {},
        el("i", { style: `background:${elementColor(s)}` } as unknown as Partial<HTMLElement>),
        s,
      )
    ),
  );
  const facts = el(
    "table",
    {},
    ...([
      ["atoms", String(c.atoms)],
      ["a, b, c", `${fmt(l.a, 3)}, ${fmt(l.b, 3)}, ${fmt(l.c, 3)} Å`],
      ["α, β, γ", `${fmt(l.alpha, 2)}°, ${fmt(l.beta, 2)}°, ${fmt(l.gamma, 2)}°`],
      ["volume", `${fmt(c.volume, 2)} Å³`],
      ["density", `${fmt(c.density, 3)} g/cm³`],
      ["min. distance", `${fmt(c.minDistance, 3)} Å`],
    ] as const).map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))),
    el(
      "tr",
      {},
      el("th", {}, "structure"),
      el(
        "td",
        {},
        badge(c.structurallyValid, "valid", `invalid${c.invalidBecause ? `: ${c.invalidBecause}` : ""}`),
      ),
    ),
    el(
      "tr",
      {},
      el("th", {}, "composition"),
      el("td", {}, badge(c.smactValid, "SMACT-valid", "not SMACT-valid")),
    ),
  );
  const name = `gen_${c.index}_${c.formula}`;
  const button = (label: string, f: () => void) => {
    const b = el("button", { type: "button" }, label);
    b.onclick = f;
    return b;
  };
  return el(
    "article",
    { className: "card" },
    el("h3", {}, `${c.index + 1}. ${c.formula}`, el("small", {}, ` ${c.formulaSum}`)),
    el("div", { className: "view" }),
    legend,
    ...(c.problem ? [el("p", { className: "bad" }, c.problem)] : []),
    facts,
    el("details", {}, el("summary", {}, "CIF"), el("pre", {}, c.cif)),
    el(
      "div",
      { className: "actions" },
      button("CIF", () => download(`${name}.cif`, c.cif)),
      button("POSCAR", () => download(`${name}.vasp`, c.poscar)),
    ),
  );
}
