import { assert, assertEquals } from "../_assert.ts";
import { parseXml } from "../_xml.ts";
import { GENERATED_COLOR, niceTicks, REFERENCE_COLOR } from "../../src/viz/chart.ts";
import { histogramSvg } from "../../src/eval/plots.ts";
import { lossCurveSvg } from "../../src/train/plot.ts";

const ticks = (svg: string, axis: "x" | "y") => parseXml(svg).filter((e) => e.attrs.class === `tick-${axis}`);
const texts = (svg: string) => parseXml(svg).filter((e) => e.name === "text").map((e) => e.text);

Deno.test("niceTicks() steps by 1, 2 or 5 × 10^k inside the range", () => {
  assertEquals(niceTicks(0.13, 0.92, 5), [0.2, 0.4, 0.6, 0.8]);
  assertEquals(niceTicks(-3, 3, 7), [-3, -2, -1, 0, 1, 2, 3]);
  assertEquals(niceTicks(2, 2), [2]);
});

Deno.test("histogramSvg() has ticks and labels on both axes and the legend right of the data", () => {
  const svg = histogramSvg("Density", [2.1, 3.5, 3.6, 4.2], [3, 3.3, 5.9], {
    names: ["generated (valid)", "mp_20 test"],
    xLabel: "density (g/cm³)",
  });
  assert(ticks(svg, "x").length >= 3 && ticks(svg, "y").length >= 3);
  const t = texts(svg);
  assert(t.includes("density (g/cm³)") && t.includes("fraction of crystals"));
  assert(t.includes("generated (valid) (n = 4)") && t.includes("mp_20 test (n = 3)"));
  // Legend text starts right of the rightmost x tick (the end of the plot area).
  const els = parseXml(svg);
  const plotRight = Math.max(...ticks(svg, "x").map((e) => Number(e.attrs.x1)));
  const legend = els.find((e) => e.name === "text" && e.text.startsWith("generated"))!;
  assert(Number(legend.attrs.x) > plotRight);
  assert(svg.includes(GENERATED_COLOR) && svg.includes(REFERENCE_COLOR));
});

Deno.test("histogramSvg() with integer counts: one tick and one bar pair per integer", () => {
  const svg = histogramSvg("Elements", [1, 2, 2, 3, 5], [1, 1, 2, 4], { integer: true, xLabel: "count" });
  const xt = ticks(svg, "x");
  assertEquals(xt.length, 5);
  const labels = texts(svg);
  for (const k of ["1", "2", "3", "4", "5"]) assert(labels.includes(k), `tick label ${k}`);
  const bars = parseXml(svg).filter((e) => e.name === "rect" && e.attrs["fill-opacity"] === "0.75");
  assertEquals(bars.length, 10);
  // Each tick sits between its two bars.
  const x = (e: { attrs: Record<string, string> }) => Number(e.attrs.x);
  const tick2 = Number(xt[1].attrs.x1);
  const gen2 = bars.filter((b) => b.attrs.fill === GENERATED_COLOR)[1];
  const ref2 = bars.filter((b) => b.attrs.fill === REFERENCE_COLOR)[1];
  assert(x(gen2) < tick2 && Math.abs(x(ref2) - tick2) < 0.2);
});

Deno.test("lossCurveSvg() labels the epoch axis and a log-scaled loss axis", () => {
  const pts = (f: (i: number) => number) =>
    Array.from({ length: 20 }, (_, i) => [i + 1, f(i)] as [number, number]);
  const svg = lossCurveSvg([
    { name: "train loss", points: pts((i) => 50 / (i + 1)) },
    { name: "val loss", points: pts((i) => 60 / (i + 1)) },
  ]);
  const t = texts(svg);
  assert(t.includes("epoch") && t.includes("loss (log scale)") && t.includes("train loss"));
  assert(ticks(svg, "x").length >= 3 && ticks(svg, "y").length >= 3);
  assert(t.includes("10"), "a decade tick is labelled");
  assert(!svg.includes(GENERATED_COLOR), "loss curves do not borrow the generated colour");
});

Deno.test("plots without data are still well-formed", () => {
  parseXml(histogramSvg("x", [], []));
  parseXml(lossCurveSvg([]));
});

Deno.test("lossCurveSvg() after two epochs: integer epoch ticks, several loss ticks, visible points", () => {
  const svg = lossCurveSvg([{ name: "train loss", points: [[1, 73.7], [2, 32.7]] }]);
  const els = parseXml(svg);
  const xLabels = els.filter((e) => e.name === "text" && e.attrs["text-anchor"] === "middle").map((e) =>
    e.text
  );
  assert(xLabels.includes("1") && xLabels.includes("2") && !xLabels.includes("1.5"));
  assert(ticks(svg, "y").length >= 4);
  assertEquals(els.filter((e) => e.name === "circle").length, 2);
});
