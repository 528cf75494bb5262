/**
 * The space-group plot of `evaluate`: horizontal bars of the most common space groups, generated
 * beside the reference split, in the project's chart frame (same colours as the other plots; the
 * legend and the P1 / number > 15 / EMD figures in the right margin, outside the data).
 *
 * @module
 */

import { chartSvg, emptyChartSvg, GENERATED_COLOR, niceTicks, px, REFERENCE_COLOR } from "../viz/chart.ts";
import { LAST_MONOCLINIC, type SpaceGroupComparison } from "./space_groups.ts";

/** Unicode subscript digits, for the screw axes of Hermann–Mauguin symbols. */
const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";

/**
 * A Hermann–Mauguin symbol as printed: spglib's "_1" screw-axis notation as a subscript.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(printedSymbol("P4_32_12"), "P4₃2₁2");
 * ```
 */
export function printedSymbol(symbol: string): string {
  return symbol.replace(/_(\d)/g, (_, d: string) => SUBSCRIPTS[Number(d)]);
}

/** Half the height of one bar, in category units (two bars fill 0.76 of a row: a gap between rows). */
const BAR = 0.38;

const pct1 = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : "—");

/**
 * Bars of the most common space groups (the comparison's `top` rows, then all others together):
 * per row the generated share (upper bar) and the reference share (lower bar), labelled with the
 * symbol and number. The margin beside the legend gives the P1 share, the share above number 15
 * and the EMD of the numbers, generated first.
 *
 * @param cmp The comparison from `compareSpaceGroups`
 * @param names Legend names of the generated and the reference set
 * @param symprec The tolerance the groups were found with (Å), for the title
 * @returns The SVG text
 * @example
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * import { compareSpaceGroups } from "./space_groups.ts";
 * const svg = spaceGroupBarsSvg(compareSpaceGroups([1, 1, 14], [14, 225]), ["generated", "test"], 0.1);
 * assert(svg.includes("P2₁/c (14)") && svg.includes('class="tick-y"'));
 * ```
 */
export function spaceGroupBarsSvg(
  cmp: SpaceGroupComparison,
  names: [string, string],
  symprec: number,
): string {
  const title = `Most common space groups (symprec ${symprec} Å)`;
  if (cmp.generated.count === 0 && cmp.reference.count === 0) return emptyChartSvg(title, "no space groups");
  const rows = cmp.top.map((r) => ({
    label: `${printedSymbol(r.symbol)} (${r.number})`,
    generated: r.generated,
    reference: r.reference,
  }));
  if (cmp.others.groups > 0) {
    rows.push({ label: `${cmp.others.groups} other groups`, ...cmp.others });
  }
  // Row i (0 = most common) sits at y = n − i, so the list reads top-down.
  const n = rows.length, yOf = (i: number) => n - i;
  const top = 100 * Math.max(...rows.flatMap((r) => [r.generated, r.reference]), 1e-9);
  const xTicks = niceTicks(0, top, 6);
  const step = xTicks.length > 1 ? xTicks[1] - xTicks[0] : top;
  while (xTicks[xTicks.length - 1] < top - 1e-9) {
    xTicks.push(+(xTicks[xTicks.length - 1] + step).toPrecision(12));
  }
  const xHi = xTicks[xTicks.length - 1];
  const g = cmp.generated, r = cmp.reference;
  const notes = [
    `${names[0]} / ${names[1]}:`,
    `P1: ${pct1(g.p1)} / ${pct1(r.p1)}`,
    `number > ${LAST_MONOCLINIC}: ${pct1(g.orthorhombicOrHigher)} / ${pct1(r.orthorhombicOrHigher)}`,
    `EMD of numbers: ${Number.isFinite(cmp.wdistSpaceGroup) ? cmp.wdistSpaceGroup.toFixed(2) : "—"}`,
  ];
  return chartSvg({
    title,
    width: 760,
    height: Math.max(360, 86 + 30 * n),
    x: { lo: 0, hi: xHi, ticks: xTicks, label: "share of crystals (%)" },
    y: {
      lo: 0.5,
      hi: n + 0.5,
      ticks: rows.map((_, i) => yOf(i)),
      labels: rows.map((row) => row.label),
      label: "space group (number)",
    },
    notes,
    legend: [
      { label: `${names[0]} (n = ${g.count})`, color: GENERATED_COLOR, kind: "fill" },
      { label: `${names[1]} (n = ${r.count})`, color: REFERENCE_COLOR, kind: "fill" },
    ],
    marks: (sx, sy) => {
      const out = xTicks.slice(1).map((t) =>
        `<line x1="${px(sx(t))}" x2="${px(sx(t))}" y1="${px(sy(0.5))}" y2="${
          px(sy(n + 0.5))
        }" stroke="#eee"/>`
      );
      rows.forEach((row, i) => {
        const bars: [number, string, number][] = [
          [row.generated, GENERATED_COLOR, yOf(i) + BAR],
          [row.reference, REFERENCE_COLOR, yOf(i)],
        ];
        for (const [share, color, yTop] of bars) {
          const w = sx(100 * share) - sx(0), y = sy(yTop), h = sy(yTop - BAR) - y;
          const value = (100 * share).toFixed(1);
          // The value after the bar, or inside its end when it would run past the plot area.
          const inside = sx(0) + w + 4 + 6 * value.length > sx(xHi);
          out.push(
            `<rect x="${px(sx(0))}" y="${px(y)}" width="${px(w)}" height="${
              px(h)
            }" fill="${color}" fill-opacity="0.75"/>`,
            `<text x="${px(sx(0) + w + (inside ? -3 : 3))}" y="${px(y + h / 2 + 3.5)}" font-size="10" fill="${
              inside ? "white" : color
            }"${inside ? ' text-anchor="end"' : ""}>${value}</text>`,
          );
        }
      });
      return out;
    },
  });
}
