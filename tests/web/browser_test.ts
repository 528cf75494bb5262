/**
 * The built demo site in a real browser: `deno task build:web`'s output, served from a loopback
 * server, opened in headless Chromium (Debian's `chromium`, driven by puppeteer-core) with URL
 * parameters that generate 2 crystals on wasm with a short schedule. Checks the backend shown, the
 * cards and their facts, that every 3D view drew a picture (not a blank canvas), that Cancel stops
 * a run and frees the button, and saves a screenshot in the test's temp folder (path printed).
 *
 * Chromium is required: set CDVAE_CHROMIUM to its path, or install it (`apt-get install chromium`,
 * as .ci/run does). Without it this test fails, saying so.
 */

import puppeteer, { type Browser } from "puppeteer-core";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { buildSite } from "../../web/build.ts";
import { staticSite } from "../../src/cli/serve.ts";
import { readCif } from "../../src/crystal/cif.ts";
import { readExtxyz } from "../../src/crystal/extxyz.ts";

/**
 * The page's DOM as the functions that run in the page (`$eval`, `waitForFunction`, `evaluate`) see
 * it: Deno's type library has no DOM, and these few members are all they use.
 */
interface PageNode {
  textContent: string | null;
  hidden: boolean;
  value: string;
  disabled: boolean;
  open: boolean;
  querySelector(sel: string): PageNode | null;
  querySelectorAll(sel: string): PageNode[];
}
declare const document: PageNode;
declare class Image {
  src: string;
  width: number;
  height: number;
  decode(): Promise<void>;
}
declare class OffscreenCanvas {
  constructor(w: number, h: number);
  getContext(kind: "2d"): {
    drawImage(img: Image, x: number, y: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

async function findChromium(): Promise<string> {
  const fromEnv = Deno.env.get("CDVAE_CHROMIUM");
  for (const path of fromEnv ? [fromEnv] : CANDIDATES) {
    if (await Deno.stat(path).then((i) => i.isFile, () => false)) return path;
  }
  throw new Error(
    `Cannot run the browser test: no Chromium at ${fromEnv ?? CANDIDATES.join(", ")}. ` +
      "Install it (apt-get install chromium) or set CDVAE_CHROMIUM to its path.",
  );
}

/** Pixels that are not the white background, and distinct colours, of each viewer's picture. */
function viewerPixels(): Promise<{ nonWhite: number; colours: number; total: number }[]> {
  type Demo = { viewers: { pngURI(): string }[] };
  const demo = (globalThis as unknown as { cdvaeDemo: Demo }).cdvaeDemo;
  return Promise.all(demo.viewers.map(async (v) => {
    const img = new Image();
    img.src = v.pngURI();
    await img.decode();
    const canvas = new OffscreenCanvas(img.width, img.height);
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, img.width, img.height).data;
    let nonWhite = 0;
    const colours = new Set<number>();
    for (let i = 0; i < px.length; i += 4) {
      if (px[i] < 245 || px[i + 1] < 245 || px[i + 2] < 245) nonWhite++;
      colours.add((px[i] >> 4) << 8 | (px[i + 1] >> 4) << 4 | px[i + 2] >> 4);
    }
    return { nonWhite, colours: colours.size, total: px.length / 4 };
  }));
}

Deno.test({
  name: "browser: the built site generates 2 crystals on wasm from URL parameters and draws them in 3D",
  // puppeteer keeps its DevTools socket and timers to itself; they are closed with the browser.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const chromium = await findChromium();
    const dir = await Deno.makeTempDir({ prefix: "cdvae-browser-test-" });
    const site = `${dir}/site`;
    await buildSite(new URL(`file://${site}/`));
    const files = staticSite(site);
    const requests: string[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const res = await files(req) ?? new Response("not found", { status: 404 });
      requests.push(`${res.status} ${new URL(req.url).pathname}`);
      return res;
    });
    let browser: Browser | undefined;
    try {
      browser = await puppeteer.launch({
        executablePath: chromium,
        headless: true,
        // --no-sandbox: CI runs as root. SwiftShader gives WebGL and, with --enable-unsafe-webgpu, a
        // WebGPU adapter that is a fallback adapter, which the page must pass over for wasm.
        args: [
          "--no-sandbox",
          "--enable-unsafe-swiftshader",
          "--use-angle=swiftshader",
          "--enable-unsafe-webgpu",
        ],
      });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.setViewport({ width: 1200, height: 900 });
      const t0 = performance.now();
      await page.goto(
        `http://127.0.0.1:${server.addr.port}/?model=perov_5&n=2&steps=2&levels=10&seed=1&run=1`,
      );
      await page.waitForFunction(
        () => document.querySelectorAll(".card").length === 2 || document.querySelector("#status.error"),
        { timeout: 180_000 },
      );
      const seconds = (performance.now() - t0) / 1000;
      const status = await page.$eval("#status", (e) => e.textContent ?? "");
      assertMatch(status, /^2 crystals in /, status);
      assertEquals(errors, []);
      assertEquals(requests.filter((r) => !r.startsWith("200")), []);
      // The only adapter is SwiftShader's fallback: the page picks wasm and says why, and that it runs on one thread.
      assertMatch(await page.$eval("#backend", (e) => e.textContent ?? ""), /^wasm/);
      const note = await page.$eval(
        "#note",
        (e) => ({ text: e.textContent ?? "", hidden: (e as unknown as PageNode).hidden }),
      );
      assert(!note.hidden && /fallback/.test(note.text) && /one thread/.test(note.text), note.text);
      // The form shows the URL's values, and the finished run frees the buttons.
      assertEquals(await page.$eval("input[name=n]", (e) => (e as unknown as PageNode).value), "2");
      assertEquals(await page.$eval("#generate", (e) => (e as unknown as PageNode).disabled), false);
      assertEquals(await page.$eval("#cancel", (e) => (e as unknown as PageNode).disabled), true);

      const cards = await page.$$eval(".card", (cs) =>
        cs.map((c) => ({
          title: c.querySelector("h3")?.textContent ?? "",
          facts: Object.fromEntries(
            [...c.querySelectorAll("tr")].map((
              r,
            ) => [r.querySelector("th")?.textContent, r.querySelector("td")?.textContent]),
          ),
          cif: c.querySelector("details pre")?.textContent ?? "",
          cifOpen: (c as unknown as PageNode).querySelector("details")?.open,
          buttons: [...c.querySelectorAll(".actions button")].map((b) => b.textContent),
          canvas: c.querySelectorAll(".view canvas").length,
        })));
      assertEquals(cards.length, 2);
      for (const c of cards) {
        // One formula order: the heading's reduced formula and sum are the CIF's.
        const [, reduced, sum] = c.title.match(/^\d+\. (\S+) (.+)$/) ?? [];
        assert(reduced && sum, c.title);
        assert(c.cif.includes(`_chemical_formula_structural   ${reduced}`), c.cif.slice(0, 600));
        assert(
          c.cif.includes(`_chemical_formula_sum   '${sum}'`) ||
            c.cif.includes(`_chemical_formula_sum   ${sum}`),
          sum,
        );
        assertMatch(c.facts["a, b, c"], /^\d+\.\d{3}, \d+\.\d{3}, \d+\.\d{3} Å$/);
        assertMatch(c.facts["density"], /g\/cm³$/);
        assertMatch(c.facts["min. distance"], /Å$/);
        assertMatch(c.facts["structure"], /valid/);
        assertMatch(c.facts["composition"], /SMACT/);
        assertEquals(c.cifOpen, false);
        assertEquals(c.buttons, ["CIF", "POSCAR"]);
        assertEquals(c.canvas, 1);
      }
      for (const p of await page.evaluate(viewerPixels)) {
        // Atoms and cell edges cover a good part of the view, in several colours.
        assert(p.nonWhite > 0.01 * p.total && p.colours >= 4, JSON.stringify(p));
      }
      // Downloads: a card's CIF and all crystals as extended XYZ, read back by this package's readers.
      const cdp = await page.createCDPSession();
      await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: dir });
      await page.click(".card .actions button");
      await page.click("#all-xyz");
      const waitFile = async (name: string) => {
        for (let i = 0; i < 100; i++) {
          const text = await Deno.readTextFile(`${dir}/${name}`).catch(() => undefined);
          if (text) return text;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`No download ${name} in ${dir}`);
      };
      const [title] = cards[0].title.match(/^\d+\. (\S+)/)!.slice(1);
      assertEquals(
        readCif(await waitFile(`gen_0_${title}.cif`))[0].numbers.length,
        Number(cards[0].facts["atoms"]),
      );
      assertEquals(readExtxyz(await waitFile("cdvae_generated.extxyz")).length, 2);

      const shot = `${dir}/demo.png`;
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`browser test: 2 crystals in ${seconds.toFixed(1)} s; screenshot ${shot}`);

      // A long run: the button is disabled while it runs, Cancel stops it and frees the button.
      await page.$eval("input[name=steps]", (e) => (e as unknown as PageNode).value = "100");
      await page.click("#generate");
      await page.waitForFunction(() =>
        /Noise level/.test(document.querySelector("#status")?.textContent ?? "")
      );
      assertEquals(await page.$eval("#generate", (e) => (e as unknown as PageNode).disabled), true);
      await page.click("#cancel");
      assertEquals(await page.$eval("#status", (e) => e.textContent), "Cancelled.");
      assertEquals(await page.$eval("#generate", (e) => (e as unknown as PageNode).disabled), false);
      assertMatch(page.url(), /[?&]steps=100(&|$)/);
    } finally {
      await browser?.close();
      await server.shutdown();
      await Deno.remove(site, { recursive: true });
    }
  },
});
