/**
 * A loopback HTTP server for the download tests: serves byte arrays by path, can honour or ignore
 * Range requests, drop the connection after some bytes, or pause mid-body. Never leaves 127.0.0.1.
 */

/** How the server answers one request. */
export interface Behaviour {
  /** Answer Range requests with 206 (true) or ignore the header and send the whole file (false). */
  honourRange: boolean;
  /** Stop sending after this many bytes of the body and drop the connection. */
  dropAfter?: number;
  /** Send this many bytes, then wait for `resume` before sending the rest. */
  pauseAfter?: number;
  /** Answer with this status and no body instead (e.g. 503). */
  status?: number;
}

/** A running server. */
export interface Loopback {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The Range header of each request, in order (null when none). */
  ranges: (string | null)[];
  /** The Accept-Encoding header of each request, in order (null when none). */
  encodings: (string | null)[];
  /** Sets how the next requests are answered (by default: honour Range, no drops). */
  behave(next: (requestIndex: number) => Behaviour): void;
  /** Lets a paused body go on. */
  resume(): void;
  /** Resolves when a paused body has sent its first part. */
  paused: Promise<void>;
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/** Reads the request head (up to the blank line) from a connection. */
async function readHead(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(8192);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) break;
    head += new TextDecoder().decode(buf.subarray(0, n));
  }
  return head;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/**
 * Serves `files` (path → bytes, e.g. `/perov_5/val.csv`) on a free loopback port. It speaks just
 * enough HTTP/1.1 itself (one request per connection), so that a drop is a real connection closed
 * mid-body, as a failing network gives.
 */
export function serveFiles(files: Record<string, Uint8Array>): Loopback {
  let behaviour: (i: number) => Behaviour = () => ({ honourRange: true });
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  let markPaused!: () => void;
  const paused = new Promise<void>((r) => markPaused = r);
  const ranges: (string | null)[] = [], encodings: (string | null)[] = [];
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();

  async function answer(conn: Deno.Conn): Promise<void> {
    const head = await readHead(conn);
    const path = /^GET (\S+) HTTP\/1\.[01]\r\n/.exec(head)?.[1] ?? "";
    const range = /\r\nrange: *([^\r]*)/i.exec(head)?.[1] ?? null;
    const index = ranges.length;
    ranges.push(range);
    encodings.push(/\r\naccept-encoding: *([^\r]*)/i.exec(head)?.[1] ?? null);
    const bytes = files[path];
    const send = (status: string, headers: string[], body: Uint8Array) =>
      writeAll(
        conn,
        encoder.encode(
          [`HTTP/1.1 ${status}`, `content-length: ${body.length}`, "connection: close", ...headers, "", ""]
            .join("\r\n"),
        ),
      );
    if (!bytes) {
      await send("404 Not Found", [], new Uint8Array());
      return;
    }
    const how = behaviour(index);
    if (how.status !== undefined) {
      await send(`${how.status} Test Status`, [], new Uint8Array());
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(range ?? "");
    let start = 0, status = "200 OK";
    const headers: string[] = [];
    if (m && how.honourRange) {
      start = Number(m[1]);
      if (start >= bytes.length) {
        await send("416 Range Not Satisfiable", [`content-range: bytes */${bytes.length}`], new Uint8Array());
        return;
      }
      status = "206 Partial Content";
      headers.push(`content-range: bytes ${start}-${bytes.length - 1}/${bytes.length}`);
    }
    const body = bytes.subarray(start);
    await send(status, headers, body);
    const cut = how.dropAfter ?? how.pauseAfter ?? body.length;
    await writeAll(conn, body.subarray(0, cut));
    if (how.dropAfter !== undefined) return; // closed with the body unfinished
    if (how.pauseAfter !== undefined) {
      markPaused();
      await released;
    }
    await writeAll(conn, body.subarray(cut));
  }

  const serving = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      answer(conn).catch(() => {}).finally(() => {
        open.delete(conn);
        conn.close();
      });
    }
  })().catch(() => {});

  return {
    base: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    ranges,
    encodings,
    behave(next) {
      behaviour = next;
    },
    resume: () => release(),
    paused,
    async close() {
      release();
      listener.close();
      for (const conn of open) conn.close();
      await serving;
    },
  };
}

/** `n` bytes of a fixed pseudo-random pattern (many chunks' worth; not all one value). */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Lower-case hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
