/** Helpers of the CLI tests: capture a command's console output, or run the CLI in a process of its own. */

const MOD = new URL("../../mod.ts", import.meta.url).pathname;

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

/**
 * Runs `deno run -A mod.ts ...args` in a child process. Tests that need another `CDVAE_DATA_DIR`
 * use this: test files share one process environment, so setting the variable in-process would
 * race with the others.
 */
export async function cli(
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, ...args],
    env: { NO_COLOR: "1", ...opts.env },
    stdin: opts.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
