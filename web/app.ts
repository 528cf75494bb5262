/**
 * The one script of the demo site (bundled to `web/cdvae.js` by `deno task build:web`): in the page
 * it runs the page; loaded as a module Web Worker by that page (the same file), it runs generation.
 *
 * @module
 */

import { runWorker } from "./worker.ts";
import { runPage } from "./page.ts";

if (typeof document === "undefined") {
  runWorker(globalThis as unknown as Parameters<typeof runWorker>[0]);
} else {
  runPage().catch((e) => {
    const s = document.getElementById("status");
    if (s) s.textContent = `The page failed to start: ${e instanceof Error ? e.message : e}`;
    throw e;
  });
}
