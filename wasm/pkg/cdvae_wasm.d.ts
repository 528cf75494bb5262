/* tslint:disable */
/* eslint-disable */

/**
 * Neighbours per atom (CSR over all atoms of the batch) and CN probabilities per atom.
 */
export class CrystalNNResult {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    take_cn_numbers(): Uint32Array;
    /**
     * `[N + 1]`: atom i owns CN entries `cn_offsets[i]..cn_offsets[i + 1]`.
     */
    take_cn_offsets(): Uint32Array;
    take_cn_weights(): Float64Array;
    /**
     * 3 integers per neighbour.
     */
    take_images(): Int32Array;
    /**
     * `[N + 1]`: atom i (global index) owns neighbours `offsets[i]..offsets[i + 1]`.
     */
    take_offsets(): Uint32Array;
    /**
     * Neighbour site index, local to its crystal.
     */
    take_sites(): Uint32Array;
    /**
     * CrystalNN's rounded weight per neighbour.
     */
    take_weights(): Float64Array;
    /**
     * Number of failed crystals, or a negative code for a malformed call.
     */
    readonly failures: number;
}

/**
 * A neighbour list in CSR form by receiver (global atom indices), owned by wasm until taken.
 * Each `take_*` moves one array out (a second call returns an empty array); call `free()` after.
 */
export class NeighborListResult {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Where the five arrays lie in linear memory (see [`wasm_memory`]): byte address and length
     * in elements of offsets (u32), senders (u32), images (i32, 3 per edge), distances (f64)
     * and vectors (f64, 3 per edge). A worker copies them straight into the caller's shared
     * buffers, one copy instead of `take_*` plus another. Valid until the next call into wasm.
     */
    layout(): Uint32Array;
    /**
     * Adds `atom_base` to every sender and `edge_base` to every offset: the list of one part of
     * a batch renumbered for its place in the whole batch.
     */
    shift(atom_base: number, edge_base: number): void;
    /**
     * `[E]`: |r_ij| in Å.
     */
    take_distances(): Float64Array;
    /**
     * `[3·E]`: image S of each edge's sender.
     */
    take_images(): Int32Array;
    /**
     * `[N_total + 1]`: receiver i owns edges `offsets[i]..offsets[i + 1]`.
     */
    take_offsets(): Uint32Array;
    /**
     * `[E]`: global atom index of each edge's sender.
     */
    take_senders(): Uint32Array;
    /**
     * `[3·E]`: r_ij = x_j − x_i + S·L in Å (empty when vectors were not asked for).
     */
    take_vectors(): Float64Array;
    /**
     * Number of crystals that failed (their atoms have no edges), or a negative code when the
     * whole call was malformed (then every array is empty).
     */
    readonly failures: number;
}

/**
 * Atomic masses (u) of elements 1..=118 (index z − 1), as pymatgen's `Element.atomic_mass`.
 */
export function atomic_masses(): Float64Array;

/**
 * Cell volume |det L| (Å³) of each lattice into `out` (`[M]`).
 */
export function cell_volumes(lattices: Float64Array, out: Float64Array, status: Int32Array): number;

/**
 * matminer's `CrystalNNFingerprint.from_preset("ops")`: 61 values per crystal (the mean over its
 * sites, as CDVAE) or, with `per_site`, per atom. A failed crystal's rows are NaN.
 */
export function crystalnn_fingerprints(lattices: Float64Array, frac: Float64Array, numbers: Uint8Array, atom_offsets: Uint32Array, per_site: boolean, out: Float64Array, status: Int32Array): number;

/**
 * CrystalNN neighbours of every atom. `distance_lo`/`distance_hi` both NaN skip the distance
 * step. With `selected`, each atom's neighbours are `get_nn_info`'s (the most probable CN);
 * otherwise every neighbour `get_nn_data` keeps. Weights are the rounded CrystalNN weights.
 */
export function crystalnn_neighbors(lattices: Float64Array, frac: Float64Array, numbers: Uint8Array, atom_offsets: Uint32Array, distance_lo: number, distance_hi: number, x_diff_weight: number, porous: boolean, search_cutoff: number, selected: boolean, status: Int32Array): CrystalNNResult;

/**
 * Density (g/cm³, as pymatgen's `Structure.density`) of each crystal into `out` (`[M]`);
 * `numbers` holds one atomic number per atom, CSR by `atom_offsets`.
 */
export function densities(lattices: Float64Array, numbers: Uint8Array, atom_offsets: Uint32Array, out: Float64Array, status: Int32Array): number;

/**
 * The symmetry operations of Hall number `hall_number` (1–530) on fractional coordinates of its
 * standardised conventional cell (the `conventional` cell of `space_group_datasets`), centring
 * translations included: operation k is `out[12·k .. 12·k + 12]`, the rotation R row-major then
 * the translation t in [0, 1), so x' = R·x + t. `out` holds room for `MAX_OPERATIONS` (192).
 * Returns the number of operations, or a negative code for a Hall number outside 1–530 or a
 * wrong `out` length.
 */
export function hall_operations(hall_number: number, out: Float64Array): number;

/**
 * The Hall-symbol table: line `h − 1` is "number<TAB>short Hermann–Mauguin symbol<TAB>Hall
 * symbol" of Hall number `h` (1–530), e.g. line 524 is "227\tFd-3m\tF 4d 2 3 -1d".
 */
export function hall_symbol_table(): string;

/**
 * Whether each lattice satisfies the Niggli conditions to within `eps` (relative): 1 or 0 in `out`.
 */
export function is_niggli_reduced_many(lattices: Float64Array, eps: number, out: Uint8Array): number;

/**
 * The message of the first failure of the latest batch call ("" when it had none); clears it.
 */
export function last_error_message(): string;

/**
 * Lattice parameters `[a, b, c, α, β, γ]` (Å, degrees) of each lattice, into `out` (`[6·M]`).
 */
export function lattice_params_many(lattices: Float64Array, out: Float64Array, status: Int32Array): number;

/**
 * Matches `P = status.len()` pairs. `numbers` holds each atom's atomic number (same layout as the
 * atoms of `frac`). Writes `out[2p] = rms`, `out[2p + 1] = max distance` (both in units of
 * (V/N)^(1/3)), or NaN for both when the pair does not match.
 */
export function match_structures_many(lattices: Float64Array, frac: Float64Array, numbers: Uint8Array, atom_offsets: Uint32Array, ltol: number, stol: number, angle_tol: number, flags: number, out: Float64Array, status: Int32Array): number;

/**
 * Size of the linear memory in bytes (for tests that check memory stays flat).
 */
export function memory_bytes(): number;

/**
 * Smallest interatomic distance (Å) of each crystal into `out` (`[M]`); `self_images` counts an
 * atom's own periodic images (otherwise a 1-atom crystal gives +∞).
 */
export function min_distances(lattices: Float64Array, frac: Float64Array, atom_offsets: Uint32Array, self_images: boolean, out: Float64Array, status: Int32Array): number;

/**
 * Per atom, the shortest (x_b + S·L) − x_a between `frac_a` and `frac_b` (same layout) into
 * `out` (`[3·N_total]`, Å). CDVAE's coordinate target is `(noisy, true)`. `adjacent_images`:
 * only S ∈ {−1, 0, 1}³ as the reference; otherwise the exact minimum over every image.
 */
export function min_image_displacements(lattices: Float64Array, frac_a: Float64Array, frac_b: Float64Array, atom_offsets: Uint32Array, adjacent_images: boolean, out: Float64Array, status: Int32Array): number;

/**
 * Neighbour lists of `M = status.len()` crystals within `cutoff` Å. `max_neighbors < 0` keeps
 * every neighbour; otherwise the nearest `max_neighbors` per receiver (nearest first, ties by
 * sender then image). `adjacent_images` restricts the search to the 27 images S ∈ {−1, 0, 1}³ as CDVAE (see
 * `neighbors`). More than `max_edges` edges in total fails the crystal that crosses the limit.
 */
export function neighbor_lists(lattices: Float64Array, frac: Float64Array, atom_offsets: Uint32Array, cutoff: number, max_neighbors: number, adjacent_images: boolean, max_edges: number, vectors: boolean, status: Int32Array): NeighborListResult;

/**
 * Niggli-reduces `M = lattices.len() / 9` lattices with relative tolerance `eps`. Writes the reduced
 * lattices (`[9·M]`) and transforms (`[9·M]`, row-major, `reduced = T · input`).
 */
export function niggli_reduce_lattices(lattices: Float64Array, eps: number, out_lattices: Float64Array, out_transforms: Int32Array, status: Int32Array): number;

/**
 * Niggli-reduces `M` structures (CSR atoms): reduced lattices and transforms as
 * [`niggli_reduce_lattices`], and fractional coordinates in the new basis wrapped into [0, 1)
 * (`out_frac`, same layout as `frac`). Crystals without atoms fail with code 3.
 */
export function niggli_reduce_structures(lattices: Float64Array, frac: Float64Array, atom_offsets: Uint32Array, eps: number, out_lattices: Float64Array, out_transforms: Int32Array, out_frac: Float64Array, status: Int32Array): number;

/**
 * Full datasets. Per crystal: `out_ints [5·M]` = number, Hall number, operation count, atoms of
 * the conventional cell, atoms of the primitive cell; `out_symprec [M]`; `out_lattices [18·M]` =
 * conventional then primitive lattice (rows); `out_transforms [24·M]` = P (9, row-major) and p (3)
 * of input → conventional, then of input → primitive. Per atom: the conventional cell of crystal
 * `b` is written from atom `4·atom_offsets[b]` on (`out_conv_frac [12·N]`, `out_conv_numbers
 * [4·N]`: at most 4 sites per input atom), its primitive cell from `atom_offsets[b]` on
 * (`out_prim_frac [3·N]`, `out_prim_numbers [N]`), and `out_sites [3·N]` gives each input atom's
 * primitive site, orbit representative and Wyckoff letter (ASCII).
 */
export function space_group_datasets(lattices: Float64Array, frac: Float64Array, atom_offsets: Uint32Array, numbers: Uint8Array, symprec: number, angle_tolerance: number, out_ints: Int32Array, out_symprec: Float64Array, out_lattices: Float64Array, out_transforms: Float64Array, out_conv_frac: Float64Array, out_conv_numbers: Uint8Array, out_prim_frac: Float64Array, out_prim_numbers: Uint8Array, out_sites: Uint32Array, status: Int32Array): number;

/**
 * Space-group numbers only (the fast path for reports): `out_numbers [M]` (1–230),
 * `out_hall [M]` (1–530) and `out_symprec [M]`, the tolerance moyo finally used.
 */
export function space_group_numbers(lattices: Float64Array, frac: Float64Array, atom_offsets: Uint32Array, numbers: Uint8Array, symprec: number, angle_tolerance: number, out_numbers: Int32Array, out_hall: Int32Array, out_symprec: Float64Array, status: Int32Array): number;

/**
 * Idealises each crystal to the space group found at `symprec`: `out_lattices [9·M]` and
 * `out_frac [3·N]` (same atoms, same order), and the group's number in `out_numbers [M]`.
 */
export function symmetrize_structures(lattices: Float64Array, frac: Float64Array, atom_offsets: Uint32Array, numbers: Uint8Array, symprec: number, angle_tolerance: number, out_lattices: Float64Array, out_frac: Float64Array, out_numbers: Int32Array, status: Int32Array): number;

/**
 * Traps on purpose (`kind` 0: `unreachable`, otherwise a Rust panic), so tests can check that a
 * trap becomes a typed JS error and that the core recovers. Not part of the public API.
 */
export function trap_for_tests(kind: number): void;

/**
 * The crate version (`Cargo.toml`), so callers can tell which core they loaded.
 */
export function version(): string;

/**
 * The linear memory of this instance, for reading a [`NeighborListResult`] in place by its
 * [`NeighborListResult::layout`].
 */
export function wasm_memory(): any;
