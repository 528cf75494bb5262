/** Helpers of the CLI tests: capture a command's console output; whether the Perov-5 test split is here. */

import { dataDir } from "../../src/data/datasets.ts";

/** Whether `$CDVAE_DATA_DIR/perov_5/test.csv` exists (tests that need it are skipped otherwise). */
export const hasPerovTest: boolean = await Deno.stat(`${dataDir()}/perov_5/test.csv`).then(
  () => true,
  () => false,
);

/** Runs `fn` with console.log / console.error captured. */
export async function quiet<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const [log, error] = [console.log, console.error];
  let out = "", err = "";
  console.log = (...a: unknown[]) => out += a.join(" ") + "\n";
  console.error = (...a: unknown[]) => err += a.join(" ") + "\n";
  try {
    return { value: await fn(), out, err };
  } finally {
    [console.log, console.error] = [log, error];
  }
}
