/**
 * Composition validity as CDVAE computes it: `smact_validity` of `scripts/eval_utils.py` (commit
 * f857f59) with SMACT 2.2.1, `use_pauling_test=True`, `include_alloys=True`
 * (cdvae-reference-details.md §5.2). In order:
 *
 * 1. a crystal of one element is valid;
 * 2. a crystal whose elements are all in SMACT's `metals` list is valid (the paper's appendix D.2);
 * 3. otherwise it is valid when some choice of one oxidation state per element (SMACT's default
 *    list) is charge neutral, Σ oxᵢ·cᵢ = 0, and passes SMACT's `eneg_states_test`: every cation
 *    (ox > 0) has a strictly lower Pauling electronegativity than every anion (ox < 0).
 *
 * SMACT's own tables are used, electronegativities included: they differ from pymatgen's for 17
 * elements (SMACT's Zr is 0.33), see `data/elements/electronegativity.json`.
 *
 * Where the reference crashes, this module gives a defined answer with a reason (audit O12): an
 * atomic number outside 1–118, no atoms, and Rf–Og (SMACT has no data beyond Lr; `smact.Element`
 * raises `NameError`) are invalid.
 *
 * @module
 */

import oxidationTable from "../../data/elements/oxidation_states.json" with { type: "json" };
import enegTable from "../../data/elements/electronegativity.json" with { type: "json" };
import { ELEMENT_SYMBOLS } from "../crystal/elements.ts";
import { elementCounts, gcdAll, isElement } from "./composition.ts";

/** Why a composition is valid or invalid; one code per branch of the check. */
export type SmactCode =
  | "empty"
  | "unknown-element"
  | "no-smact-data"
  | "single-element"
  | "all-metals"
  | "no-oxidation-states"
  | "charge-balanced"
  | "not-charge-balanced"
  | "electronegativity";

/** The outcome of {@linkcode smactCheck}. */
export interface SmactResult {
  /** Whether the composition passes CDVAE's composition-validity test. */
  valid: boolean;
  /** Which rule decided. */
  code: SmactCode;
  /** One sentence for people, naming the elements or the oxidation states involved. */
  reason: string;
  /** For `"charge-balanced"`: the oxidation state found for each element, keyed by symbol. */
  oxidationStates?: Record<string, number>;
}

/** Options of {@linkcode smactCheck}. */
export interface SmactOptions {
  /** Reuse and store results per composition (default true). */
  cache?: boolean;
}

/** SMACT's default oxidation states by atomic number; `null` where SMACT has no element data (Z > 103). */
const OXIDATION_STATES: readonly (readonly number[] | null)[] = [null, ...oxidationTable.oxidationStates];
/** SMACT's Pauling electronegativities by atomic number; `null` where SMACT has none. */
const PAULING: readonly (number | null)[] = [null, ...enegTable.pauling];
/** SMACT's `metals` list, as a lookup by atomic number. */
const IS_METAL: readonly boolean[] = (() => {
  const m = new Array<boolean>(ELEMENT_SYMBOLS.length).fill(false);
  for (const z of oxidationTable.metals) m[z] = true;
  return m;
})();

/** Entries kept in the per-composition cache before it is cleared (bounds memory on long runs). */
const CACHE_LIMIT = 200_000;
const cache = new Map<string, SmactResult>();

/**
 * Composition validity with the rule that decided it.
 *
 * @param numbers Atomic numbers of the atoms (one per site; order and multiplicity as in the cell)
 * @param options Caching
 * @returns `valid`, a `code` and a `reason`
 * @example Valid, invalid, and the reference's crash cases
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const fe2o3 = smactCheck([26, 26, 8, 8, 8]);
 * assertEquals([fe2o3.valid, fe2o3.code, fe2o3.oxidationStates], [true, "charge-balanced", { O: -2, Fe: 3 }]);
 * assertEquals(smactCheck([3, 3, 9]).code, "not-charge-balanced"); // Li₂F
 * assertEquals(smactCheck([11, 11, 17]).code, "electronegativity"); // Na₂Cl only as Na⁻ Cl²⁺
 * assertEquals(smactCheck([2, 9, 9]).code, "no-oxidation-states"); // HeF₂
 * assertEquals(smactCheck([104, 8]).valid, false); // Rf: no SMACT data
 * ```
 */
export function smactCheck(numbers: Uint8Array | readonly number[], options: SmactOptions = {}): SmactResult {
  const { numbers: zs, counts } = elementCounts(numbers, "sorted");
  if (zs.length === 0) return { valid: false, code: "empty", reason: "No atoms" };
  for (const z of zs) {
    if (!isElement(z)) {
      return {
        valid: false,
        code: "unknown-element",
        reason: `Atomic number "${z}" is not an element (1–${ELEMENT_SYMBOLS.length - 1})`,
      };
    }
  }
  const g = gcdAll(counts);
  const reduced = counts.map((c) => c / g);
  const useCache = options.cache ?? true;
  const key = useCache ? zs.map((z, i) => `${z}:${reduced[i]}`).join(",") : "";
  if (useCache) {
    const hit = cache.get(key);
    if (hit) return hit;
  }
  const result = deepFreeze(check(zs, reduced));
  if (useCache) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, result);
  }
  return result;
}

/**
 * Composition validity, as CDVAE's `smact_validity`; see {@linkcode smactCheck} for the reason.
 *
 * @param numbers Atomic numbers of the atoms
 * @returns Whether the composition is valid
 * @example
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * assert(smactValid(new Uint8Array([38, 22, 8, 8, 8]))); // SrTiO₃
 * assert(smactValid([26, 28, 28])); // FeNi₂: all metals
 * assert(!smactValid([11, 11, 17])); // Na₂Cl
 * ```
 */
export function smactValid(numbers: Uint8Array | readonly number[]): boolean {
  return smactCheck(numbers).valid;
}

function check(zs: number[], counts: number[]): SmactResult {
  const symbols = zs.map((z) => ELEMENT_SYMBOLS[z]);
  const missing = zs.filter((z) => OXIDATION_STATES[z] === null);
  if (missing.length > 0) {
    return {
      valid: false,
      code: "no-smact-data",
      reason: `SMACT has no data for ${
        missing.map((z) => ELEMENT_SYMBOLS[z]).join(", ")
      } (the reference raises)`,
    };
  }
  if (zs.length === 1) return { valid: true, code: "single-element", reason: `Single element ${symbols[0]}` };
  if (zs.every((z) => IS_METAL[z])) {
    return {
      valid: true,
      code: "all-metals",
      reason: `All elements are SMACT metals: ${symbols.join(", ")}`,
    };
  }
  const states = zs.map((z) => OXIDATION_STATES[z] ?? []);
  const stateless = zs.filter((_, i) => states[i].length === 0);
  if (stateless.length > 0) {
    return {
      valid: false,
      code: "no-oxidation-states",
      reason: `SMACT lists no oxidation states for ${stateless.map((z) => ELEMENT_SYMBOLS[z]).join(", ")}`,
    };
  }
  const enegs = zs.map((z) => PAULING[z]);
  const found = enegs.every((e) => e !== null)
    ? searchByCut(states, counts, enegs as number[])
    : findNeutral(states, counts, (ox) => paulingTest(ox, enegs));
  if (found) {
    const ox: Record<string, number> = {};
    symbols.forEach((s, i) => ox[s] = found[i]);
    const text = symbols.map((s, i) => `${s}${found[i] > 0 ? "+" : ""}${found[i]}`).join(" ");
    return {
      valid: true,
      code: "charge-balanced",
      reason: `Charge balanced as ${text}`,
      oxidationStates: ox,
    };
  }
  if (findNeutral(states, counts) === null) {
    return {
      valid: false,
      code: "not-charge-balanced",
      reason: `No combination of SMACT oxidation states of ${symbols.join(", ")} is charge neutral`,
    };
  }
  return {
    valid: false,
    code: "electronegativity",
    reason: `Every charge-neutral combination of ${symbols.join(", ")} puts a cation at or above an anion ` +
      "in Pauling electronegativity",
  };
}

/**
 * The fast path when every element has an electronegativity. `eneg_states_test` then says: every
 * element with a positive state is strictly less electronegative than every element with a negative
 * one (SMACT's lists hold no 0). So the cations are the elements below some cut in electronegativity
 * and the anions those at or above it; with k elements there are at most k − 1 cuts that give both
 * signs (one sign alone cannot be neutral), and for each the question is whether Σ oxᵢ·cᵢ = 0 is
 * reachable with states of the required signs.
 */
function searchByCut(
  states: readonly (readonly number[])[],
  counts: number[],
  enegs: number[],
): number[] | null {
  const cuts = [...new Set(enegs)].sort((a, b) => a - b).slice(1);
  for (const cut of cuts) {
    const signs = enegs.map((e) => (e < cut ? 1 : -1));
    const allowed = states.map((s, i) => s.filter((ox) => Math.sign(ox) === signs[i]));
    if (allowed.some((s) => s.length === 0)) continue;
    const found = findNeutral(allowed, counts);
    if (found) return found;
  }
  return null;
}

/**
 * Finds one choice of states with Σ oxᵢ·cᵢ = 0, by depth-first search over the elements with the
 * set of sums the remaining elements can still reach (so every branch taken leads to a solution).
 * `accept`, when given, is asked about each complete choice (in `itertools.product` order); the
 * search goes on while it refuses. Without electronegativities for every element (Pm, Rn, Lr) the
 * check passes {@linkcode paulingTest} as `accept`, which visits every neutral combination.
 */
function findNeutral(
  states: readonly (readonly number[])[],
  counts: number[],
  accept?: (ox: number[]) => boolean,
): number[] | null {
  const k = states.length;
  // reach[i] = sums Σ_{j ≥ i} oxⱼ·cⱼ that elements i..k-1 can make.
  const reach: Set<number>[] = new Array(k + 1);
  reach[k] = new Set([0]);
  for (let i = k - 1; i >= 0; i--) {
    const next = new Set<number>();
    for (const ox of states[i]) for (const r of reach[i + 1]) next.add(ox * counts[i] + r);
    reach[i] = next;
  }
  if (!reach[0].has(0)) return null;
  const chosen = new Array<number>(k);
  const dfs = (i: number, sum: number): boolean => {
    if (i === k) return accept ? accept(chosen) : true;
    for (const ox of states[i]) {
      const s = sum + ox * counts[i];
      if (!reach[i + 1].has(-s)) continue;
      chosen[i] = ox;
      if (dfs(i + 1, s)) return true;
    }
    return false;
  };
  return dfs(0, 0) ? chosen.slice() : null;
}

/**
 * SMACT 2.2.1 `eneg_states_test` over the pairs in `itertools.combinations` order, as CDVAE calls it:
 * comparing a missing electronegativity (`None`) with a number raises `TypeError`, which
 * `smact_validity` catches and counts as a pass; a pair without opposite signs that involves a
 * missing electronegativity fails.
 *
 * @param ox One oxidation state per element
 * @param enegs Their Pauling electronegativities, `null` where SMACT has none
 * @returns Whether the combination passes
 * @example
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * assert(paulingTest([3, -2], [1.83, 3.44])); // Fe³⁺ O²⁻
 * assert(!paulingTest([-2, 3], [1.83, 3.44])); // Fe²⁻ O³⁺
 * assert(paulingTest([3, -1], [null, 3.98])); // Pm³⁺ F⁻: TypeError in SMACT, a pass in CDVAE
 * assert(!paulingTest([3, 2, -1], [null, 1.0, 3.98])); // Pm and Ca both cations: a fail
 * ```
 */
export function paulingTest(ox: readonly number[], enegs: readonly (number | null)[]): boolean {
  for (let a = 0; a < ox.length; a++) {
    for (let b = a + 1; b < ox.length; b++) {
      const ea = enegs[a], eb = enegs[b];
      if (ox[a] > 0 && ox[b] < 0) {
        if (ea === null || eb === null) return true; // TypeError, caught by smact_validity
        if (ea >= eb) return false;
      } else if (ox[a] < 0 && ox[b] > 0) {
        if (ea === null || eb === null) return true;
        if (ea <= eb) return false;
      } else if (ea === null || eb === null) {
        return false;
      }
    }
  }
  return true;
}

function deepFreeze(r: SmactResult): SmactResult {
  if (r.oxidationStates) Object.freeze(r.oxidationStates);
  return Object.freeze(r);
}
