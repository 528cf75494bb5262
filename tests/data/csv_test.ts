import { assertEquals, assertThrows } from "../_assert.ts";
import fc from "fast-check";
import { CsvParseError, CsvTokenizer, parseCsv } from "../../src/data/csv.ts";

Deno.test("parseCsv() reads quoted fields with commas, quotes and newlines", () => {
  assertEquals(parseCsv('id,cif\n1,"a, ""b""\nc"\r\n2,plain\n'), [["id", "cif"], ["1", 'a, "b"\nc'], [
    "2",
    "plain",
  ]]);
});

Deno.test("parseCsv() keeps empty fields and skips blank lines", () => {
  assertEquals(parseCsv(",a,\n\n1,,3"), [["", "a", ""], ["1", "", "3"]]);
});

Deno.test("parseCsv() rejects an unterminated quote with the line it started on", () => {
  const err = assertThrows(() => parseCsv(`a\n"open\nstill open`), CsvParseError);
  assertEquals(err.line, 2);
});

Deno.test("parseCsv() rejects text after a closing quote", () => {
  assertThrows(() => parseCsv('"a"b,c'), CsvParseError);
});

Deno.test("CsvTokenizer gives the same records whatever the chunking (property)", () => {
  const field = fc.string({ unit: fc.constantFrom("a", "b", ",", '"', "\n", " ", "é") });
  const seed = 20261125;
  fc.assert(
    fc.property(
      fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(40), { maxLength: 8 }),
      (rows, cuts) => {
        // Quote every field so blank rows and embedded separators survive.
        const text = rows.map((r) => r.map((f) => `"${f.replaceAll('"', '""')}"`).join(",")).join("\n");
        const t = new CsvTokenizer();
        const out: string[][] = [];
        let pos = 0;
        for (const c of [...cuts].sort((a, b) => a - b)) {
          const end = Math.min(text.length, c);
          if (end > pos) {
            out.push(...t.push(text.slice(pos, end)).map((r) => r.fields));
            pos = end;
          }
        }
        out.push(...t.push(text.slice(pos)).map((r) => r.fields), ...t.finish().map((r) => r.fields));
        assertEquals(out, rows);
      },
    ),
    { seed, numRuns: 300 },
  );
});

Deno.test("CsvTokenizer treats CRLF split across chunks as one line end", () => {
  const t = new CsvTokenizer();
  const recs = [...t.push("a,b\r"), ...t.push("\nc,d\r\n"), ...t.finish()];
  assertEquals(recs.map((r) => [r.fields, r.line]), [[["a", "b"], 1], [["c", "d"], 2]]);
});
