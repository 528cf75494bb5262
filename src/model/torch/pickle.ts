/**
 * A Python pickle reader (protocols 0–5) that never runs code. A pickle is a program for a stack
 * machine whose only dangerous instructions are the ones that look up a global (`GLOBAL`,
 * `STACK_GLOBAL`, `INST`, `OBJ`) and call it (`REDUCE`, `NEWOBJ`, `BUILD`). Here:
 *
 * 1. Globals that exist to run code or touch the system (`os.*`, `subprocess.*`, `builtins.eval`,
 *    `builtins.getattr`, …; {@linkcode isRefusedGlobal}) are refused when the pickle names them,
 *    with an {@linkcode UnsafePickleError} naming the global.
 * 2. Builtin containers and numbers (`builtins.dict/list/set/int/…`, `collections.OrderedDict`,
 *    `collections.defaultdict`, `_codecs.encode`, `copyreg._reconstructor`) are built here in
 *    TypeScript; the caller adds its own allow-listed callables (`options.calls`, e.g. PyTorch's
 *    `_rebuild_tensor_v2`).
 * 3. Any other global becomes an inert {@linkcode PickleObject} holding its name, arguments and
 *    state (Lightning callbacks, omegaconf nodes); nothing is called. A `REDUCE` of such a global
 *    gives a `PickleObject` with `called: true`, and code that needs its value (a state_dict
 *    entry) must refuse it by name (`checkpoint.ts` does).
 *
 * Values: None → `null`, bool → boolean, int → number (bigint past 2^53), float → number,
 * str → string, bytes/bytearray → Uint8Array, list → array, tuple → frozen array, dict → `Map`,
 * set/frozenset → `Set`. Every read is bounds-checked and every opcode advances, so a truncated
 * or malformed pickle ends in a {@linkcode PickleError}, never in a hang.
 *
 * @module
 */

/** A pickle that cannot be read. */
export class PickleError extends Error {
  /** The class name, for messages. */
  override name = "PickleError";
}

/** A pickle that names a global which can run code; it is refused, never run. */
export class UnsafePickleError extends PickleError {
  /** The class name, for messages. */
  override name = "UnsafePickleError";
}

/** A global named by the pickle (`module.name`), kept as a value, never imported. */
export class PickleGlobal {
  /**
   * A global as the pickle names it.
   *
   * @param module Python module
   * @param name Name within the module
   */
  constructor(readonly module: string, readonly name: string) {}
  /** `module.name`. */
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object of a class this reader does not know, recorded with what would have built it. */
export class PickleObject {
  /** Attribute state given by `BUILD` (usually a `Map`), if any. */
  state: unknown = undefined;
  /** Items added by `APPEND(S)` (list subclasses). */
  readonly items: unknown[] = [];
  /** Items added by `SETITEM(S)` (dict subclasses). */
  readonly entries: Map<unknown, unknown> = new Map();

  /**
   * An object as the pickle describes it.
   *
   * @param type `module.name` of the class or callable
   * @param args Arguments of the constructor or call
   * @param called True when the pickle asked to call `type` (REDUCE, INST, OBJ) rather than to
   *   create an instance of it (NEWOBJ): such a value is the unevaluated result of a call
   */
  constructor(readonly type: string, readonly args: readonly unknown[], readonly called: boolean) {}
}

/** A callable this reader evaluates (in TypeScript), by `module.name`. */
export type PickleCallable = (args: readonly unknown[]) => unknown;

/** Options of {@linkcode unpickle}. */
export interface UnpickleOptions {
  /** How messages name the pickle (e.g. `"model.ckpt/data.pkl"`). */
  label?: string;
  /** Resolves a persistent id (`PERSID`/`BINPERSID`; PyTorch's storages). Without it they are refused. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Allow-listed callables by `module.name`, in addition to the builtin containers. */
  calls?: Record<string, PickleCallable>;
}

/** Modules a pickle may not name at all (prefix match on dotted module paths). */
const REFUSED_MODULES = [
  "os",
  "posix",
  "nt",
  "posixpath",
  "ntpath",
  "subprocess",
  "sys",
  "shutil",
  "socket",
  "importlib",
  "imp",
  "runpy",
  "code",
  "codeop",
  "ctypes",
  "pickle",
  "_pickle",
  "cPickle",
  "marshal",
  "pty",
  "commands",
  "webbrowser",
  "multiprocessing",
  "signal",
  "threading",
  "_thread",
  "asyncio",
  "pathlib",
  "io",
  "_io",
  "tempfile",
  "glob",
  "urllib",
  "http",
  "ftplib",
  "smtplib",
  "telnetlib",
  "requests",
  "types",
  "functools",
  "operator",
  "inspect",
  "timeit",
  "pdb",
  "bdb",
  "trace",
  "profile",
  "cProfile",
  "pip",
  "ensurepip",
  "setuptools",
  "distutils",
  "venv",
  "zipimport",
  "sysconfig",
  "platform",
  "torch.hub",
  "torch.ops",
  "torch.jit",
  "numpy.testing",
];

/** The only names of `builtins` (`__builtin__` in Python 2 pickles) a pickle may use. */
const SAFE_BUILTINS = new Set([
  "dict",
  "list",
  "tuple",
  "set",
  "frozenset",
  "int",
  "long",
  "float",
  "complex",
  "bool",
  "str",
  "unicode",
  "bytes",
  "bytearray",
  "slice",
  "range",
  "object",
  "NoneType",
  "Ellipsis",
]);

/**
 * Whether a pickle naming `module.name` is refused outright.
 *
 * @example
 * ```ts
 * import { isRefusedGlobal } from "./pickle.ts";
 * import { assert } from "../../../tests/_assert.ts";
 * assert(isRefusedGlobal("os", "system") && isRefusedGlobal("builtins", "eval"));
 * assert(!isRefusedGlobal("collections", "OrderedDict"));
 * ```
 */
export function isRefusedGlobal(module: string, name: string): boolean {
  if (module === "builtins" || module === "__builtin__") return !SAFE_BUILTINS.has(name);
  return REFUSED_MODULES.some((m) => module === m || module.startsWith(m + "."));
}

/** A dict that also remembers attributes a `BUILD` gave it (an `OrderedDict`'s `_metadata`). */
const ATTRIBUTES = new WeakMap<object, unknown>();

/** The `BUILD` state of a container value (e.g. a state_dict's `_metadata`), if it got one. */
export function pickleAttributes(value: object): unknown {
  return ATTRIBUTES.get(value);
}

const OPNAMES: Record<number, string> = {
  0x28: "MARK",
  0x2e: "STOP",
  0x30: "POP",
  0x31: "POP_MARK",
  0x32: "DUP",
  0x46: "FLOAT",
  0x49: "INT",
  0x4a: "BININT",
  0x4b: "BININT1",
  0x4c: "LONG",
  0x4d: "BININT2",
  0x4e: "NONE",
  0x50: "PERSID",
  0x51: "BINPERSID",
  0x52: "REDUCE",
  0x53: "STRING",
  0x54: "BINSTRING",
  0x55: "SHORT_BINSTRING",
  0x56: "UNICODE",
  0x58: "BINUNICODE",
  0x61: "APPEND",
  0x62: "BUILD",
  0x63: "GLOBAL",
  0x64: "DICT",
  0x7d: "EMPTY_DICT",
  0x65: "APPENDS",
  0x67: "GET",
  0x68: "BINGET",
  0x69: "INST",
  0x6a: "LONG_BINGET",
  0x6c: "LIST",
  0x5d: "EMPTY_LIST",
  0x6f: "OBJ",
  0x70: "PUT",
  0x71: "BINPUT",
  0x72: "LONG_BINPUT",
  0x73: "SETITEM",
  0x74: "TUPLE",
  0x29: "EMPTY_TUPLE",
  0x75: "SETITEMS",
  0x47: "BINFLOAT",
  0x80: "PROTO",
  0x81: "NEWOBJ",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x85: "TUPLE1",
  0x86: "TUPLE2",
  0x87: "TUPLE3",
  0x88: "NEWTRUE",
  0x89: "NEWFALSE",
  0x8a: "LONG1",
  0x8b: "LONG4",
  0x42: "BINBYTES",
  0x43: "SHORT_BINBYTES",
  0x8c: "SHORT_BINUNICODE",
  0x8d: "BINUNICODE8",
  0x8e: "BINBYTES8",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x92: "NEWOBJ_EX",
  0x93: "STACK_GLOBAL",
  0x94: "MEMOIZE",
  0x95: "FRAME",
  0x96: "BYTEARRAY8",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

/** Highest pickle protocol this reader knows. */
export const HIGHEST_PROTOCOL = 5;

/**
 * Reads one pickled value.
 *
 * @param bytes The pickle
 * @param options Persistent-id loader, extra allow-listed callables, the name for messages
 * @returns The value (see the module doc for the mapping of Python types)
 * @throws {UnsafePickleError} When the pickle names a refused global (`os.system`, `builtins.eval`…)
 * @throws {PickleError} When it is truncated or malformed, or uses an unsupported feature
 *
 * @example A protocol-2 dict
 * ```ts
 * import { unpickle } from "./pickle.ts";
 * import { assertEquals } from "../../../tests/_assert.ts";
 * // pickle.dumps({"a": 1}, protocol=2)
 * const bytes = new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4b, 1, 0x73, 0x2e]);
 * assertEquals(unpickle(bytes), new Map([["a", 1]]));
 * ```
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): unknown {
  return new Machine(bytes, options).run();
}

class Machine {
  private pos = 0;
  private stack: unknown[] = [];
  private marks: number[] = [];
  private memo = new Map<number, unknown>();
  private readonly dv: DataView;
  private readonly label: string;
  private opStart = 0;
  private op = 0;

  constructor(private readonly bytes: Uint8Array, private readonly options: UnpickleOptions) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.label = options.label ?? "pickle";
  }

  private fail(why: string, unsafe = false): PickleError {
    const where = `Cannot unpickle "${this.label}" at byte ${this.opStart} (${OPNAMES[this.op] ?? "opcode"})`;
    return unsafe ? new UnsafePickleError(`${where}: ${why}`) : new PickleError(`${where}: ${why}`);
  }

  run(): unknown {
    try {
      for (;;) {
        this.opStart = this.pos;
        this.op = this.u8();
        if (this.op === 0x2e) { // STOP
          if (this.stack.length !== 1 || this.marks.length) {
            throw this.fail(`the stack holds ${this.stack.length} values at STOP (expected 1)`);
          }
          return this.stack[0];
        }
        this.step(this.op);
      }
    } catch (e) {
      if (e instanceof PickleError) throw e;
      // A malformed pickle may make a step fail in a way no check anticipated (e.g. appending to
      // a frozen tuple): report it as this file's problem, with the position.
      throw this.fail((e as Error).message);
    }
  }

  // --- reading -------------------------------------------------------------------------------

  private need(n: number): number {
    if (!(n >= 0) || this.pos + n > this.bytes.length) {
      throw this.fail(
        `needs ${n} more bytes at ${this.pos}, the pickle has ${this.bytes.length} (truncated?)`,
      );
    }
    const p = this.pos;
    this.pos += n;
    return p;
  }
  private u8(): number {
    return this.bytes[this.need(1)];
  }
  private u16(): number {
    return this.dv.getUint16(this.need(2), true);
  }
  private u32(): number {
    return this.dv.getUint32(this.need(4), true);
  }
  private u64(): number {
    const v = this.dv.getBigUint64(this.need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`length ${v} is impossible`);
    return Number(v);
  }
  private take(n: number): Uint8Array {
    const p = this.need(n);
    return this.bytes.subarray(p, p + n);
  }
  private utf8(n: number): string {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.take(n));
    } catch (e) {
      if (e instanceof PickleError) throw e;
      throw this.fail("string is not valid UTF-8");
    }
  }
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.fail("text argument has no end of line (truncated?)");
    const s = latin1(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  // --- stack ---------------------------------------------------------------------------------

  private push(v: unknown): void {
    this.stack.push(v);
  }
  private pop(): unknown {
    if (this.stack.length === 0 || this.stack.length <= (this.marks.at(-1) ?? -1)) {
      throw this.fail("the stack is empty");
    }
    return this.stack.pop();
  }
  private top(): unknown {
    if (this.stack.length === 0) throw this.fail("the stack is empty");
    return this.stack[this.stack.length - 1];
  }
  private popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) throw this.fail("no MARK to pop to");
    return this.stack.splice(m);
  }

  // --- globals and calls -----------------------------------------------------------------------

  private global(module: string, name: string): PickleGlobal {
    if (isRefusedGlobal(module, name)) {
      throw this.fail(
        `global ${module}.${name} is refused: a pickle can run code through it (this reader never runs code)`,
        true,
      );
    }
    return new PickleGlobal(module, name);
  }

  private call(callee: unknown, args: unknown): unknown {
    if (!Array.isArray(args)) throw this.fail("call arguments are not a tuple");
    if (!(callee instanceof PickleGlobal)) {
      // The result of another inert call used as a callable: still nothing to run.
      if (callee instanceof PickleObject) return new PickleObject(`${callee.type}(…)`, args, true);
      throw this.fail(`cannot call a ${describe(callee)}`);
    }
    const own = this.options.calls?.[callee.qualified];
    if (own) return own(args);
    const builtin = BUILTIN_CALLS[callee.qualified.replace(/^__builtin__\./, "builtins.")];
    if (builtin) return builtin(args, (why) => this.fail(why));
    return new PickleObject(callee.qualified, args, true);
  }

  private instantiate(cls: unknown, args: unknown, kwargs?: unknown): unknown {
    if (!(cls instanceof PickleGlobal)) throw this.fail(`cannot instantiate a ${describe(cls)}`);
    if (!Array.isArray(args)) throw this.fail("NEWOBJ arguments are not a tuple");
    const q = cls.qualified.replace(/^__builtin__\./, "builtins.");
    if (EMPTY_CONTAINERS[q]) return EMPTY_CONTAINERS[q]();
    const o = new PickleObject(cls.qualified, args, false);
    if (kwargs !== undefined) o.state = kwargs instanceof Map ? new Map([["__kwargs__", kwargs]]) : kwargs;
    return o;
  }

  private build(obj: unknown, state: unknown): void {
    if (obj instanceof PickleObject) {
      obj.state = state;
    } else if (obj !== null && typeof obj === "object") {
      ATTRIBUTES.set(obj, state);
    } else throw this.fail(`cannot set the state of a ${describe(obj)}`);
  }

  private setItems(target: unknown, kv: unknown[]): void {
    if (kv.length % 2) throw this.fail("odd number of items for a dict");
    const map = target instanceof Map ? target : target instanceof PickleObject ? target.entries : undefined;
    if (!map) throw this.fail(`cannot set items of a ${describe(target)}`);
    for (let i = 0; i < kv.length; i += 2) map.set(kv[i], kv[i + 1]);
  }

  private appendItems(target: unknown, items: unknown[]): void {
    if (Array.isArray(target) && !Object.isFrozen(target)) target.push(...items);
    else if (target instanceof PickleObject) target.items.push(...items);
    else throw this.fail(`cannot append to a ${describe(target)}`);
  }

  // --- the opcodes -----------------------------------------------------------------------------

  private step(op: number): void {
    switch (op) {
      case 0x80: { // PROTO
        const p = this.u8();
        if (p > HIGHEST_PROTOCOL) throw this.fail(`protocol ${p} is newer than ${HIGHEST_PROTOCOL}`);
        return;
      }
      case 0x95: // FRAME: frames are inline, only the length to skip
        this.u64();
        return;
      case 0x28: // MARK
        this.marks.push(this.stack.length);
        return;
      case 0x30: // POP
        this.pop();
        return;
      case 0x31: // POP_MARK
        this.popMark();
        return;
      case 0x32: // DUP
        this.push(this.top());
        return;
      case 0x4e: // NONE
        return this.push(null);
      case 0x88: // NEWTRUE
        return this.push(true);
      case 0x89: // NEWFALSE
        return this.push(false);
      case 0x4a: // BININT
        return this.push(this.dv.getInt32(this.need(4), true));
      case 0x4b: // BININT1
        return this.push(this.u8());
      case 0x4d: // BININT2
        return this.push(this.u16());
      case 0x8a: // LONG1
        return this.push(longFromBytes(this.take(this.u8())));
      case 0x8b: { // LONG4
        const n = this.dv.getInt32(this.need(4), true);
        if (n < 0) throw this.fail("negative LONG4 length");
        return this.push(longFromBytes(this.take(n)));
      }
      case 0x47: // BINFLOAT (big-endian)
        return this.push(this.dv.getFloat64(this.need(8), false));
      case 0x49: { // INT (text; "00"/"01" are False/True)
        const s = this.line();
        if (s === "00" || s === "01") return this.push(s === "01");
        return this.push(parseIntText(s, this.fail.bind(this)));
      }
      case 0x4c: // LONG (text, trailing L)
        return this.push(parseIntText(this.line().replace(/L$/, ""), this.fail.bind(this)));
      case 0x46: { // FLOAT (text)
        const s = this.line(), v = Number(s);
        if (s.trim() === "" || (Number.isNaN(v) && !/nan/i.test(s))) throw this.fail(`bad float "${s}"`);
        return this.push(v);
      }
      case 0x58: // BINUNICODE
        return this.push(this.utf8(this.u32()));
      case 0x8c: // SHORT_BINUNICODE
        return this.push(this.utf8(this.u8()));
      case 0x8d: // BINUNICODE8
        return this.push(this.utf8(this.u64()));
      case 0x56: // UNICODE (raw-unicode-escape line)
        return this.push(rawUnicodeEscape(this.line()));
      case 0x53: // STRING (Python repr in quotes)
        return this.push(pythonStringLiteral(this.line(), this.fail.bind(this)));
      case 0x54: { // BINSTRING (Python 2 str: bytes, read as latin-1 text as Python 3 does)
        const n = this.dv.getInt32(this.need(4), true);
        if (n < 0) throw this.fail("negative BINSTRING length");
        return this.push(latin1(this.take(n)));
      }
      case 0x55: // SHORT_BINSTRING
        return this.push(latin1(this.take(this.u8())));
      case 0x42: // BINBYTES
        return this.push(this.take(this.u32()).slice());
      case 0x43: // SHORT_BINBYTES
        return this.push(this.take(this.u8()).slice());
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        return this.push(this.take(this.u64()).slice());
      case 0x97: // NEXT_BUFFER
        throw this.fail("out-of-band buffers (protocol 5 NEXT_BUFFER) are not supported");
      case 0x98: // READONLY_BUFFER: read-only-ness does not matter here
        this.top();
        return;
      case 0x5d: // EMPTY_LIST
        return this.push([]);
      case 0x29: // EMPTY_TUPLE
        return this.push(Object.freeze([]));
      case 0x7d: // EMPTY_DICT
        return this.push(new Map());
      case 0x8f: // EMPTY_SET
        return this.push(new Set());
      case 0x85: // TUPLE1
        return this.push(Object.freeze([this.pop()]));
      case 0x86: { // TUPLE2
        const b = this.pop(), a = this.pop();
        return this.push(Object.freeze([a, b]));
      }
      case 0x87: { // TUPLE3
        const c = this.pop(), b = this.pop(), a = this.pop();
        return this.push(Object.freeze([a, b, c]));
      }
      case 0x74: // TUPLE
        return this.push(Object.freeze(this.popMark()));
      case 0x6c: // LIST
        return this.push(this.popMark());
      case 0x64: { // DICT
        const m = new Map();
        this.setItems(m, this.popMark());
        return this.push(m);
      }
      case 0x91: // FROZENSET
        return this.push(new Set(this.popMark()));
      case 0x61: { // APPEND
        const v = this.pop();
        return this.appendItems(this.top(), [v]);
      }
      case 0x65: { // APPENDS
        const items = this.popMark();
        return this.appendItems(this.top(), items);
      }
      case 0x73: { // SETITEM
        const v = this.pop(), k = this.pop();
        return this.setItems(this.top(), [k, v]);
      }
      case 0x75: { // SETITEMS
        const kv = this.popMark();
        return this.setItems(this.top(), kv);
      }
      case 0x90: { // ADDITEMS
        const items = this.popMark(), s = this.top();
        if (!(s instanceof Set)) throw this.fail(`cannot add items to a ${describe(s)}`);
        for (const v of items) s.add(v);
        return;
      }
      case 0x71: // BINPUT
        this.memo.set(this.u8(), this.top());
        return;
      case 0x72: // LONG_BINPUT
        this.memo.set(this.u32(), this.top());
        return;
      case 0x70: // PUT
        this.memo.set(parseIndex(this.line(), this.fail.bind(this)), this.top());
        return;
      case 0x94: // MEMOIZE
        this.memo.set(this.memo.size, this.top());
        return;
      case 0x68: // BINGET
        return this.push(this.memoGet(this.u8()));
      case 0x6a: // LONG_BINGET
        return this.push(this.memoGet(this.u32()));
      case 0x67: // GET
        return this.push(this.memoGet(parseIndex(this.line(), this.fail.bind(this))));
      case 0x63: { // GLOBAL
        const module = this.line(), name = this.line();
        return this.push(this.global(module, name));
      }
      case 0x93: { // STACK_GLOBAL
        const name = this.pop(), module = this.pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw this.fail("STACK_GLOBAL needs two strings");
        }
        return this.push(this.global(module, name));
      }
      case 0x52: { // REDUCE
        const args = this.pop(), callee = this.pop();
        return this.push(this.call(callee, args));
      }
      case 0x81: { // NEWOBJ
        const args = this.pop(), cls = this.pop();
        return this.push(this.instantiate(cls, args));
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = this.pop(), args = this.pop(), cls = this.pop();
        return this.push(this.instantiate(cls, args, kwargs));
      }
      case 0x69: { // INST: module and name lines, arguments since the mark; a call of the class
        const module = this.line(), name = this.line();
        const cls = this.global(module, name);
        return this.push(this.call(cls, Object.freeze(this.popMark())));
      }
      case 0x6f: { // OBJ: class and arguments since the mark; a call of the class
        const [cls, ...args] = this.popMark();
        return this.push(this.call(cls, Object.freeze(args)));
      }
      case 0x62: { // BUILD
        const state = this.pop();
        return this.build(this.top(), state);
      }
      case 0x51: // BINPERSID
        return this.push(this.persistent(this.pop()));
      case 0x50: // PERSID
        return this.push(this.persistent(this.line()));
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        throw this.fail("extension-registry codes (copyreg) are not supported", true);
      default:
        throw this.fail(`unknown opcode 0x${op.toString(16).padStart(2, "0")} (not a pickle, or damaged)`);
    }
  }

  private memoGet(i: number): unknown {
    if (!this.memo.has(i)) throw this.fail(`memo key ${i} is not set`);
    return this.memo.get(i);
  }

  private persistent(pid: unknown): unknown {
    if (!this.options.persistentLoad) throw this.fail("persistent ids are not expected in this pickle");
    return this.options.persistentLoad(pid);
  }
}

// --- builtins built here ---------------------------------------------------------------------

type Fail = (why: string) => PickleError;

const EMPTY_CONTAINERS: Record<string, () => unknown> = {
  "builtins.dict": () => new Map(),
  "builtins.list": () => [],
  "builtins.set": () => new Set(),
  "builtins.object": () => new PickleObject("builtins.object", [], false),
  "collections.OrderedDict": () => new Map(),
  "collections.defaultdict": () => new Map(),
};

function pairsToMap(v: unknown, fail: Fail): Map<unknown, unknown> {
  if (v instanceof Map) return new Map(v);
  if (!Array.isArray(v)) throw fail(`expected key/value pairs, found a ${describe(v)}`);
  return new Map(v.map((p) => {
    if (!Array.isArray(p) || p.length !== 2) throw fail("expected key/value pairs");
    return [p[0], p[1]] as const;
  }));
}

const BUILTIN_CALLS: Record<string, (args: readonly unknown[], fail: Fail) => unknown> = {
  "builtins.dict": (a, f) => a.length ? pairsToMap(a[0], f) : new Map(),
  "builtins.list": (a) => a.length ? [...asIterable(a[0])] : [],
  "builtins.tuple": (a) => Object.freeze(a.length ? [...asIterable(a[0])] : []),
  "builtins.set": (a) => new Set(a.length ? asIterable(a[0]) : []),
  "builtins.frozenset": (a) => new Set(a.length ? asIterable(a[0]) : []),
  "builtins.int": (a, f) => a.length ? (typeof a[0] === "string" ? parseIntText(a[0], f) : a[0]) : 0,
  "builtins.long": (a, f) => a.length ? (typeof a[0] === "string" ? parseIntText(a[0], f) : a[0]) : 0,
  "builtins.float": (a) => a.length ? Number(a[0]) : 0,
  "builtins.bool": (a) => a.length ? Boolean(a[0]) : false,
  "builtins.str": (a) => a.length ? String(a[0]) : "",
  "builtins.unicode": (a) => a.length ? String(a[0]) : "",
  "builtins.bytes": (a) => Uint8Array.from(a.length ? asIterable(a[0]) as Iterable<number> : []),
  "builtins.bytearray": (a, f) => {
    // Protocol 2 writes bytearray(b) as bytearray(str, "latin-1").
    if (typeof a[0] === "string") return encodeText(a[0], String(a[1] ?? "latin-1"), f);
    return Uint8Array.from(a.length ? asIterable(a[0]) as Iterable<number> : []);
  },
  "builtins.slice": (a) => new PickleObject("builtins.slice", a, true),
  "builtins.complex": (a) => new PickleObject("builtins.complex", a, true),
  "builtins.range": (a) => new PickleObject("builtins.range", a, true),
  "collections.OrderedDict": (a, f) => a.length ? pairsToMap(a[0], f) : new Map(),
  // The default factory is recorded as the map's attribute state; the map is what matters.
  "collections.defaultdict": (_a) => new Map(),
  // Protocol 2 pickles bytes as _codecs.encode(text, "latin1").
  "_codecs.encode": (a, f) => {
    if (typeof a[0] !== "string") throw f("_codecs.encode needs a string");
    return encodeText(a[0], String(a[1] ?? "utf-8"), f);
  },
  // Protocol 0/1 objects: copyreg._reconstructor(cls, base, state) = an instance of cls.
  "copyreg._reconstructor": (a, f) => {
    if (!(a[0] instanceof PickleGlobal)) throw f("copyreg._reconstructor needs a class");
    if (isRefusedGlobal(a[0].module, a[0].name)) throw f(`global ${a[0].qualified} is refused`);
    const o = new PickleObject(a[0].qualified, [], false);
    o.state = a[2] ?? undefined;
    return o;
  },
};
BUILTIN_CALLS["copy_reg._reconstructor"] = BUILTIN_CALLS["copyreg._reconstructor"];

function asIterable(v: unknown): Iterable<unknown> {
  if (Array.isArray(v) || v instanceof Set || typeof v === "string" || v instanceof Uint8Array) return v;
  if (v instanceof Map) return v.keys();
  throw new PickleError(`expected an iterable, found a ${describe(v)}`);
}

function encodeText(s: string, encoding: string, fail: Fail): Uint8Array {
  const e = encoding.toLowerCase().replace(/[-_]/g, "");
  if (e === "latin1" || e === "iso88591") {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) throw fail("latin-1 text has a character above U+00FF");
      out[i] = c;
    }
    return out;
  }
  if (e === "utf8") return new TextEncoder().encode(s);
  throw fail(`text encoding "${encoding}" is not supported`);
}

// --- scalars ---------------------------------------------------------------------------------

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** Little-endian two's-complement integer (LONG1/LONG4), a number when safe, else a bigint. */
function longFromBytes(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIntText(s: string, fail: Fail): number | bigint {
  if (!/^\s*[-+]?\d+\s*$/.test(s)) throw fail(`bad integer "${s}"`);
  const v = BigInt(s.trim());
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIndex(s: string, fail: Fail): number {
  const v = parseIntText(s, fail);
  if (typeof v !== "number" || v < 0) throw fail(`bad memo index "${s}"`);
  return v;
}

function rawUnicodeEscape(s: string): string {
  return s.replace(
    /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
    (_, a, b) => String.fromCodePoint(parseInt(a ?? b, 16)),
  );
}

function pythonStringLiteral(s: string, fail: Fail): string {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) {
    throw fail(`bad STRING literal ${s}`);
  }
  const body = s.slice(1, -1);
  const simple: Record<string, string> = {
    n: "\n",
    t: "\t",
    r: "\r",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "0": "\0",
  };
  return body.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e[0] === "x" && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e in simple) return simple[e];
    throw fail(`unsupported escape \\${e} in STRING literal`);
  });
}

/** A short description of a value's kind for messages. */
export function describe(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof PickleGlobal) return `global ${v.qualified}`;
  if (v instanceof PickleObject) return `${v.type} ${v.called ? "call result" : "object"}`;
  if (Array.isArray(v)) return Object.isFrozen(v) ? "tuple" : "list";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  if (v instanceof Uint8Array) return "bytes";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}
