/**
 * Progress reporting on stderr: a redrawn bar on a terminal, sparse plain lines otherwise
 * (logs, CI), so long work is visible without flooding files.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A progress bar for `total` units of work (or an open-ended counter when `total` is unknown). */
export class Progress {
  #done = 0;
  #start = performance.now();
  #lastDraw = 0;
  #lastPlainPercent = -1;
  readonly #tty = Deno.stderr.isTerminal();

  constructor(readonly label: string, readonly total?: number) {}

  /** Advances by `n` units and redraws at most ~10 times a second. */
  tick(n = 1): void {
    this.#done += n;
    const now = performance.now();
    if (now - this.#lastDraw < 100 && this.#done !== this.total) return;
    this.#lastDraw = now;
    this.#draw(false);
  }

  /** Sets the absolute amount done. */
  set(done: number): void {
    this.tick(done - this.#done);
  }

  /** Finishes the bar with a final line. */
  finish(note = ""): void {
    this.#draw(true, note);
  }

  #draw(final: boolean, note = ""): void {
    const secs = (performance.now() - this.#start) / 1000;
    const rate = secs > 0 ? this.#done / secs : 0;
    const t = this.total;
    let text: string;
    if (t !== undefined && t > 0) {
      const frac = Math.min(1, this.#done / t);
      const width = 30;
      const fill = Math.round(frac * width);
      const eta = rate > 0 ? (t - this.#done) / rate : 0;
      text = `${this.label} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${this.#done}/${t} ` +
        `${(frac * 100).toFixed(0)}% ${rate.toFixed(1)}/s` +
        (final ? ` ${secs.toFixed(1)} s` : ` eta ${eta.toFixed(0)} s`);
      if (!this.#tty && !final) {
        const pct = Math.floor(frac * 10) * 10;
        if (pct === this.#lastPlainPercent) return;
        this.#lastPlainPercent = pct;
      }
    } else {
      text = `${this.label} ${this.#done} done, ${rate.toFixed(1)}/s` +
        (final ? ` in ${secs.toFixed(1)} s` : "");
      if (!this.#tty && !final) return;
    }
    if (note) text += ` ${note}`;
    const out = this.#tty ? `\r\x1b[2K${text}${final ? "\n" : ""}` : `${text}\n`;
    Deno.stderr.writeSync(encoder.encode(out));
  }
}

/**
 * A `(done, total)` callback that draws a {@linkcode Progress} bar: created on the first call,
 * finished when `done` reaches `total`.
 */
export function progressCallback(label: string): (done: number, total: number) => void {
  let bar: Progress | undefined;
  return (done, total) => {
    bar ??= new Progress(label, total);
    bar.set(done);
    if (done === total) bar.finish();
  };
}
