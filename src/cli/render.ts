/**
 * `render`: one SVG picture per crystal (see {@linkcode crystalSvg}) of a crystal file or of every
 * crystal file in a folder.
 *
 * @module
 */

import { type Command, counted, intFlag, type ParsedArgs, UsageError } from "./command.ts";
import { writeTextAtomic } from "./_io.ts";
import type { Crystal } from "../crystal/crystal.ts";
import { formatFromPath, FORMATS, readCrystalFolder } from "../crystal/formats.ts";
import { crystalSvg, type CrystalSvgOptions, type ViewAxis } from "../viz/crystal_svg.ts";

/**
 * Reads `--axis`: a, b, c or a lattice direction "u,v,w".
 *
 * @throws {UsageError} If the value is neither
 */
export function parseAxis(raw: string): ViewAxis {
  if (raw === "a" || raw === "b" || raw === "c") return raw;
  const parts = raw.split(",").map((s) => s.trim());
  const v = parts.map(Number);
  if (
    parts.length !== 3 || parts.some((s) => s === "") || !v.every(Number.isFinite) || v.every((x) => x === 0)
  ) {
    throw new UsageError(
      `Invalid --axis "${raw}": expected a, b, c or a non-zero direction u,v,w (e.g. 1,1,0)`,
    );
  }
  return [v[0], v[1], v[2]];
}

/** The crystals of a file or folder, each with the file stem its picture gets. */
async function readForRender(path: string): Promise<{ crystals: Crystal[]; stems: string[]; dir: string }> {
  const stat = await Deno.stat(path).catch((e) => {
    if (e instanceof Deno.errors.NotFound) throw new Error(`Cannot render "${path}": no such file or folder`);
    throw e;
  });
  const stemOf = (name: string) => name.replace(/\.[^.]*$/, "");
  if (stat.isDirectory) {
    const { crystals, ids } = await readCrystalFolder(path, "render");
    if (crystals.length === 0) throw new Error(`Cannot render "${path}": no crystal files in the folder`);
    // "x.cif#2" (third crystal of a file holding several) → "x_2".
    const stems = ids.map((id) => {
      const [file, k] = id.split("#");
      return k === undefined ? stemOf(file) : `${stemOf(file)}_${k}`;
    });
    return { crystals, stems, dir: path };
  }
  const fmt = formatFromPath(path);
  if (!fmt) {
    throw new UsageError(
      `Cannot tell the format of "${path}" from its name: expected .cif, .vasp/POSCAR/CONTCAR, .xyz/.extxyz or .json`,
    );
  }
  const name = path.split(/[\\/]/).pop()!;
  const crystals = FORMATS[fmt].read(await Deno.readTextFile(path), { name: path });
  if (crystals.length === 0) throw new Error(`Cannot render "${path}": it holds no crystal`);
  const stems = crystals.map((_, i) => crystals.length === 1 ? stemOf(name) : `${stemOf(name)}_${i}`);
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return { crystals, stems, dir: slash < 0 ? "." : path.slice(0, slash) || "/" };
}

/**
 * Draws every crystal of a file or folder into `out` (default: beside the input) as `<stem>.svg`.
 *
 * @returns The paths written, in input order
 */
export async function renderPath(
  path: string,
  opts: CrystalSvgOptions & { out?: string } = {},
): Promise<string[]> {
  const { crystals, stems, dir } = await readForRender(path);
  const out = opts.out ?? dir;
  await Deno.mkdir(out, { recursive: true });
  const written: string[] = [];
  for (let i = 0; i < crystals.length; i++) {
    const file = `${out}/${stems[i]}.svg`;
    // Titled by the file (what the user knows the crystal by), not by a CIF data block name.
    await writeTextAtomic(file, crystalSvg({ ...crystals[i], name: stems[i] }, opts));
    written.push(file);
  }
  return written;
}

/** The drawing options given by the flags of `render` (shared with `generate --render`). */
export function renderFlags(args: ParsedArgs): CrystalSvgOptions {
  const scale = Number(args.values["radius-scale"] ?? 0.5);
  if (!(scale > 0 && scale <= 2)) {
    throw new UsageError(
      `Invalid --radius-scale "${args.values["radius-scale"]}": expected a number in (0, 2]`,
    );
  }
  return {
    axis: parseAxis(String(args.values.axis ?? "c")),
    size: intFlag(args, "size", { min: 100, max: 10000 }) ?? 480,
    radiusScale: scale,
  };
}

export const render: Command = {
  name: "render",
  summary: "Draw crystals as SVG pictures (orthographic view of the unit cell)",
  usage: "FILE|DIR [FILE|DIR…]",
  description: [
    "Writes one SVG per crystal: <stem>.svg beside the input (or in --out), <stem>_<k>.svg for the k-th",
    "crystal of a file that holds several. The view looks down a lattice direction; atoms are coloured",
    "as in Jmol and sized by covalent radius; atoms on faces, edges and corners are drawn at every image",
    "on the cell's boundary. Prints the path of every picture written.",
  ].join("\n"),
  options: {
    out: {
      type: "string",
      value: "DIR",
      description: "Folder for the pictures (default: beside each input)",
    },
    axis: {
      type: "string",
      value: "a|b|c|U,V,W",
      default: "c",
      description: "View down this lattice vector or lattice direction [uvw]",
    },
    size: { type: "string", value: "PX", default: "480", description: "Side of the drawing in pixels" },
    "radius-scale": {
      type: "string",
      value: "X",
      default: "0.5",
      description: "Drawn radius = covalent radius × X",
    },
  },
  async run(args) {
    if (args.positionals.length === 0) throw new UsageError("Give a crystal file or folder to render");
    const opts = renderFlags(args);
    const out = args.values.out === undefined ? undefined : String(args.values.out);
    let total = 0;
    for (const path of args.positionals) {
      const written = await renderPath(path, { ...opts, out });
      for (const f of written) console.log(f);
      total += written.length;
    }
    console.error(`Wrote ${counted(total, "picture")}`);
    return 0;
  },
};
