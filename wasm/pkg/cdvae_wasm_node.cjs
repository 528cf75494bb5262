/* @ts-self-types="./cdvae_wasm.d.ts" */

/**
 * Neighbours per atom (CSR over all atoms of the batch) and CN probabilities per atom.
 */
class CrystalNNResult {
    static __wrap(ptr) {
        const obj = Object.create(CrystalNNResult.prototype);
        obj.__wbg_ptr = ptr;
        CrystalNNResultFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        CrystalNNResultFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_crystalnnresult_free(ptr, 0);
    }
    /**
     * Number of failed crystals, or a negative code for a malformed call.
     * @returns {number}
     */
    get failures() {
        const ret = wasm.crystalnnresult_failures(this.__wbg_ptr);
        return ret;
    }
    /**
     * @returns {Uint32Array}
     */
    take_cn_numbers() {
        const ret = wasm.crystalnnresult_take_cn_numbers(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * `[N + 1]`: atom i owns CN entries `cn_offsets[i]..cn_offsets[i + 1]`.
     * @returns {Uint32Array}
     */
    take_cn_offsets() {
        const ret = wasm.crystalnnresult_take_cn_offsets(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * @returns {Float64Array}
     */
    take_cn_weights() {
        const ret = wasm.crystalnnresult_take_cn_weights(this.__wbg_ptr);
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
    /**
     * 3 integers per neighbour.
     * @returns {Int32Array}
     */
    take_images() {
        const ret = wasm.crystalnnresult_take_images(this.__wbg_ptr);
        var v1 = getArrayI32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * `[N + 1]`: atom i (global index) owns neighbours `offsets[i]..offsets[i + 1]`.
     * @returns {Uint32Array}
     */
    take_offsets() {
        const ret = wasm.crystalnnresult_take_offsets(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Neighbour site index, local to its crystal.
     * @returns {Uint32Array}
     */
    take_sites() {
        const ret = wasm.crystalnnresult_take_sites(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * CrystalNN's rounded weight per neighbour.
     * @returns {Float64Array}
     */
    take_weights() {
        const ret = wasm.crystalnnresult_take_weights(this.__wbg_ptr);
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
}
if (Symbol.dispose) CrystalNNResult.prototype[Symbol.dispose] = CrystalNNResult.prototype.free;
exports.CrystalNNResult = CrystalNNResult;

/**
 * A neighbour list in CSR form by receiver (global atom indices), owned by wasm until taken.
 * Each `take_*` moves one array out (a second call returns an empty array); call `free()` after.
 */
class NeighborListResult {
    static __wrap(ptr) {
        const obj = Object.create(NeighborListResult.prototype);
        obj.__wbg_ptr = ptr;
        NeighborListResultFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        NeighborListResultFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_neighborlistresult_free(ptr, 0);
    }
    /**
     * Number of crystals that failed (their atoms have no edges), or a negative code when the
     * whole call was malformed (then every array is empty).
     * @returns {number}
     */
    get failures() {
        const ret = wasm.neighborlistresult_failures(this.__wbg_ptr);
        return ret;
    }
    /**
     * Where the five arrays lie in linear memory (see [`wasm_memory`]): byte address and length
     * in elements of offsets (u32), senders (u32), images (i32, 3 per edge), distances (f64)
     * and vectors (f64, 3 per edge). A worker copies them straight into the caller's shared
     * buffers, one copy instead of `take_*` plus another. Valid until the next call into wasm.
     * @returns {Uint32Array}
     */
    layout() {
        const ret = wasm.neighborlistresult_layout(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Adds `atom_base` to every sender and `edge_base` to every offset: the list of one part of
     * a batch renumbered for its place in the whole batch.
     * @param {number} atom_base
     * @param {number} edge_base
     */
    shift(atom_base, edge_base) {
        wasm.neighborlistresult_shift(this.__wbg_ptr, atom_base, edge_base);
    }
    /**
     * `[E]`: |r_ij| in Å.
     * @returns {Float64Array}
     */
    take_distances() {
        const ret = wasm.neighborlistresult_take_distances(this.__wbg_ptr);
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
    /**
     * `[3·E]`: image S of each edge's sender.
     * @returns {Int32Array}
     */
    take_images() {
        const ret = wasm.neighborlistresult_take_images(this.__wbg_ptr);
        var v1 = getArrayI32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * `[N_total + 1]`: receiver i owns edges `offsets[i]..offsets[i + 1]`.
     * @returns {Uint32Array}
     */
    take_offsets() {
        const ret = wasm.neighborlistresult_take_offsets(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * `[E]`: global atom index of each edge's sender.
     * @returns {Uint32Array}
     */
    take_senders() {
        const ret = wasm.neighborlistresult_take_senders(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * `[3·E]`: r_ij = x_j − x_i + S·L in Å (empty when vectors were not asked for).
     * @returns {Float64Array}
     */
    take_vectors() {
        const ret = wasm.neighborlistresult_take_vectors(this.__wbg_ptr);
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
}
if (Symbol.dispose) NeighborListResult.prototype[Symbol.dispose] = NeighborListResult.prototype.free;
exports.NeighborListResult = NeighborListResult;

/**
 * Atomic masses (u) of elements 1..=118 (index z − 1), as pymatgen's `Element.atomic_mass`.
 * @returns {Float64Array}
 */
function atomic_masses() {
    const ret = wasm.atomic_masses();
    var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
    wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
    return v1;
}
exports.atomic_masses = atomic_masses;

/**
 * Cell volume |det L| (Å³) of each lattice into `out` (`[M]`).
 * @param {Float64Array} lattices
 * @param {Float64Array} out
 * @param {Int32Array} status
 * @returns {number}
 */
function cell_volumes(lattices, out, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    var ptr1 = passArrayF64ToWasm0(out, wasm.__wbindgen_malloc);
    var len1 = WASM_VECTOR_LEN;
    var ptr2 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len2 = WASM_VECTOR_LEN;
    const ret = wasm.cell_volumes(ptr0, len0, ptr1, len1, out, ptr2, len2, status);
    return ret;
}
exports.cell_volumes = cell_volumes;

/**
 * matminer's `CrystalNNFingerprint.from_preset("ops")`: 61 values per crystal (the mean over its
 * sites, as CDVAE) or, with `per_site`, per atom. A failed crystal's rows are NaN.
 * @param {Float64Array} lattices
 * @param {Float64Array} frac
 * @param {Uint8Array} numbers
 * @param {Uint32Array} atom_offsets
 * @param {boolean} per_site
 * @param {Float64Array} out
 * @param {Int32Array} status
 * @returns {number}
 */
function crystalnn_fingerprints(lattices, frac, numbers, atom_offsets, per_site, out, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray8ToWasm0(numbers, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    const ptr3 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len3 = WASM_VECTOR_LEN;
    var ptr4 = passArrayF64ToWasm0(out, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    var ptr5 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len5 = WASM_VECTOR_LEN;
    const ret = wasm.crystalnn_fingerprints(ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, per_site, ptr4, len4, out, ptr5, len5, status);
    return ret;
}
exports.crystalnn_fingerprints = crystalnn_fingerprints;

/**
 * CrystalNN neighbours of every atom. `distance_lo`/`distance_hi` both NaN skip the distance
 * step. With `selected`, each atom's neighbours are `get_nn_info`'s (the most probable CN);
 * otherwise every neighbour `get_nn_data` keeps. Weights are the rounded CrystalNN weights.
 * @param {Float64Array} lattices
 * @param {Float64Array} frac
 * @param {Uint8Array} numbers
 * @param {Uint32Array} atom_offsets
 * @param {number} distance_lo
 * @param {number} distance_hi
 * @param {number} x_diff_weight
 * @param {boolean} porous
 * @param {number} search_cutoff
 * @param {boolean} selected
 * @param {Int32Array} status
 * @returns {CrystalNNResult}
 */
function crystalnn_neighbors(lattices, frac, numbers, atom_offsets, distance_lo, distance_hi, x_diff_weight, porous, search_cutoff, selected, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray8ToWasm0(numbers, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    const ptr3 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len3 = WASM_VECTOR_LEN;
    var ptr4 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    const ret = wasm.crystalnn_neighbors(ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, distance_lo, distance_hi, x_diff_weight, porous, search_cutoff, selected, ptr4, len4, status);
    return CrystalNNResult.__wrap(ret);
}
exports.crystalnn_neighbors = crystalnn_neighbors;

/**
 * Density (g/cm³, as pymatgen's `Structure.density`) of each crystal into `out` (`[M]`);
 * `numbers` holds one atomic number per atom, CSR by `atom_offsets`.
 * @param {Float64Array} lattices
 * @param {Uint8Array} numbers
 * @param {Uint32Array} atom_offsets
 * @param {Float64Array} out
 * @param {Int32Array} status
 * @returns {number}
 */
function densities(lattices, numbers, atom_offsets, out, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArray8ToWasm0(numbers, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    var ptr3 = passArrayF64ToWasm0(out, wasm.__wbindgen_malloc);
    var len3 = WASM_VECTOR_LEN;
    var ptr4 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    const ret = wasm.densities(ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, out, ptr4, len4, status);
    return ret;
}
exports.densities = densities;

/**
 * The symmetry operations of Hall number `hall_number` (1–530) on fractional coordinates of its
 * standardised conventional cell (the `conventional` cell of `space_group_datasets`), centring
 * translations included: operation k is `out[12·k .. 12·k + 12]`, the rotation R row-major then
 * the translation t in [0, 1), so x' = R·x + t. `out` holds room for `MAX_OPERATIONS` (192).
 * Returns the number of operations, or a negative code for a Hall number outside 1–530 or a
 * wrong `out` length.
 * @param {number} hall_number
 * @param {Float64Array} out
 * @returns {number}
 */
function hall_operations(hall_number, out) {
    var ptr0 = passArrayF64ToWasm0(out, wasm.__wbindgen_malloc);
    var len0 = WASM_VECTOR_LEN;
    const ret = wasm.hall_operations(hall_number, ptr0, len0, out);
    return ret;
}
exports.hall_operations = hall_operations;

/**
 * The Hall-symbol table: line `h − 1` is "number<TAB>short Hermann–Mauguin symbol<TAB>Hall
 * symbol" of Hall number `h` (1–530), e.g. line 524 is "227\tFd-3m\tF 4d 2 3 -1d".
 * @returns {string}
 */
function hall_symbol_table() {
    let deferred1_0;
    let deferred1_1;
    try {
        const ret = wasm.hall_symbol_table();
        deferred1_0 = ret[0];
        deferred1_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
}
exports.hall_symbol_table = hall_symbol_table;

/**
 * Whether each lattice satisfies the Niggli conditions to within `eps` (relative): 1 or 0 in `out`.
 * @param {Float64Array} lattices
 * @param {number} eps
 * @param {Uint8Array} out
 * @returns {number}
 */
function is_niggli_reduced_many(lattices, eps, out) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    var ptr1 = passArray8ToWasm0(out, wasm.__wbindgen_malloc);
    var len1 = WASM_VECTOR_LEN;
    const ret = wasm.is_niggli_reduced_many(ptr0, len0, eps, ptr1, len1, out);
    return ret;
}
exports.is_niggli_reduced_many = is_niggli_reduced_many;

/**
 * The message of the first failure of the latest batch call ("" when it had none); clears it.
 * @returns {string}
 */
function last_error_message() {
    let deferred1_0;
    let deferred1_1;
    try {
        const ret = wasm.last_error_message();
        deferred1_0 = ret[0];
        deferred1_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
}
exports.last_error_message = last_error_message;

/**
 * Lattice parameters `[a, b, c, α, β, γ]` (Å, degrees) of each lattice, into `out` (`[6·M]`).
 * @param {Float64Array} lattices
 * @param {Float64Array} out
 * @param {Int32Array} status
 * @returns {number}
 */
function lattice_params_many(lattices, out, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    var ptr1 = passArrayF64ToWasm0(out, wasm.__wbindgen_malloc);
    var len1 = WASM_VECTOR_LEN;
    var ptr2 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len2 = WASM_VECTOR_LEN;
    const ret = wasm.lattice_params_many(ptr0, len0, ptr1, len1, out, ptr2, len2, status);
    return ret;
}
exports.lattice_params_many = lattice_params_many;

/**
 * Matches `P = status.len()` pairs. `numbers` holds each atom's atomic number (same layout as the
 * atoms of `frac`). Writes `out[2p] = rms`, `out[2p + 1] = max distance` (both in units of
 * (V/N)^(1/3)), or NaN for both when the pair does not match.
 * @param {Float64Array} lattices
 * @param {Float64Array} frac
 * @param {Uint8Array} numbers
 * @param {Uint32Array} atom_offsets
 * @param {number} ltol
 * @param {number} stol
 * @param {number} angle_tol
 * @param {number} flags
 * @param {Float64Array} out
 * @param {Int32Array} status
 * @returns {number}
 */
function match_structures_many(lattices, frac, numbers, atom_offsets, ltol, stol, angle_tol, flags, out, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray8ToWasm0(numbers, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    const ptr3 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len3 = WASM_VECTOR_LEN;
    var ptr4 = passArrayF64ToWasm0(out, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    var ptr5 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len5 = WASM_VECTOR_LEN;
    const ret = wasm.match_structures_many(ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, ltol, stol, angle_tol, flags, ptr4, len4, out, ptr5, len5, status);
    return ret;
}
exports.match_structures_many = match_structures_many;

/**
 * Size of the linear memory in bytes (for tests that check memory stays flat).
 * @returns {number}
 */
function memory_bytes() {
    const ret = wasm.memory_bytes();
    return ret;
}
exports.memory_bytes = memory_bytes;

/**
 * Smallest interatomic distance (Å) of each crystal into `out` (`[M]`); `self_images` counts an
 * atom's own periodic images (otherwise a 1-atom crystal gives +∞).
 * @param {Float64Array} lattices
 * @param {Float64Array} frac
 * @param {Uint32Array} atom_offsets
 * @param {boolean} self_images
 * @param {Float64Array} out
 * @param {Int32Array} status
 * @returns {number}
 */
function min_distances(lattices, frac, atom_offsets, self_images, out, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    var ptr3 = passArrayF64ToWasm0(out, wasm.__wbindgen_malloc);
    var len3 = WASM_VECTOR_LEN;
    var ptr4 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    const ret = wasm.min_distances(ptr0, len0, ptr1, len1, ptr2, len2, self_images, ptr3, len3, out, ptr4, len4, status);
    return ret;
}
exports.min_distances = min_distances;

/**
 * Per atom, the shortest (x_b + S·L) − x_a between `frac_a` and `frac_b` (same layout) into
 * `out` (`[3·N_total]`, Å). CDVAE's coordinate target is `(noisy, true)`. `adjacent_images`:
 * only S ∈ {−1, 0, 1}³ as the reference; otherwise the exact minimum over every image.
 * @param {Float64Array} lattices
 * @param {Float64Array} frac_a
 * @param {Float64Array} frac_b
 * @param {Uint32Array} atom_offsets
 * @param {boolean} adjacent_images
 * @param {Float64Array} out
 * @param {Int32Array} status
 * @returns {number}
 */
function min_image_displacements(lattices, frac_a, frac_b, atom_offsets, adjacent_images, out, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac_a, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArrayF64ToWasm0(frac_b, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    const ptr3 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len3 = WASM_VECTOR_LEN;
    var ptr4 = passArrayF64ToWasm0(out, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    var ptr5 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len5 = WASM_VECTOR_LEN;
    const ret = wasm.min_image_displacements(ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, adjacent_images, ptr4, len4, out, ptr5, len5, status);
    return ret;
}
exports.min_image_displacements = min_image_displacements;

/**
 * Neighbour lists of `M = status.len()` crystals within `cutoff` Å. `max_neighbors < 0` keeps
 * every neighbour; otherwise the nearest `max_neighbors` per receiver (nearest first, ties by
 * sender then image). `adjacent_images` restricts the search to the 27 images S ∈ {−1, 0, 1}³ as CDVAE (see
 * `neighbors`). More than `max_edges` edges in total fails the crystal that crosses the limit.
 * @param {Float64Array} lattices
 * @param {Float64Array} frac
 * @param {Uint32Array} atom_offsets
 * @param {number} cutoff
 * @param {number} max_neighbors
 * @param {boolean} adjacent_images
 * @param {number} max_edges
 * @param {boolean} vectors
 * @param {Int32Array} status
 * @returns {NeighborListResult}
 */
function neighbor_lists(lattices, frac, atom_offsets, cutoff, max_neighbors, adjacent_images, max_edges, vectors, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    var ptr3 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len3 = WASM_VECTOR_LEN;
    const ret = wasm.neighbor_lists(ptr0, len0, ptr1, len1, ptr2, len2, cutoff, max_neighbors, adjacent_images, max_edges, vectors, ptr3, len3, status);
    return NeighborListResult.__wrap(ret);
}
exports.neighbor_lists = neighbor_lists;

/**
 * Niggli-reduces `M = lattices.len() / 9` lattices with relative tolerance `eps`. Writes the reduced
 * lattices (`[9·M]`) and transforms (`[9·M]`, row-major, `reduced = T · input`).
 * @param {Float64Array} lattices
 * @param {number} eps
 * @param {Float64Array} out_lattices
 * @param {Int32Array} out_transforms
 * @param {Int32Array} status
 * @returns {number}
 */
function niggli_reduce_lattices(lattices, eps, out_lattices, out_transforms, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    var ptr1 = passArrayF64ToWasm0(out_lattices, wasm.__wbindgen_malloc);
    var len1 = WASM_VECTOR_LEN;
    var ptr2 = passArray32ToWasm0(out_transforms, wasm.__wbindgen_malloc);
    var len2 = WASM_VECTOR_LEN;
    var ptr3 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len3 = WASM_VECTOR_LEN;
    const ret = wasm.niggli_reduce_lattices(ptr0, len0, eps, ptr1, len1, out_lattices, ptr2, len2, out_transforms, ptr3, len3, status);
    return ret;
}
exports.niggli_reduce_lattices = niggli_reduce_lattices;

/**
 * Niggli-reduces `M` structures (CSR atoms): reduced lattices and transforms as
 * [`niggli_reduce_lattices`], and fractional coordinates in the new basis wrapped into [0, 1)
 * (`out_frac`, same layout as `frac`). Crystals without atoms fail with code 3.
 * @param {Float64Array} lattices
 * @param {Float64Array} frac
 * @param {Uint32Array} atom_offsets
 * @param {number} eps
 * @param {Float64Array} out_lattices
 * @param {Int32Array} out_transforms
 * @param {Float64Array} out_frac
 * @param {Int32Array} status
 * @returns {number}
 */
function niggli_reduce_structures(lattices, frac, atom_offsets, eps, out_lattices, out_transforms, out_frac, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    var ptr3 = passArrayF64ToWasm0(out_lattices, wasm.__wbindgen_malloc);
    var len3 = WASM_VECTOR_LEN;
    var ptr4 = passArray32ToWasm0(out_transforms, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    var ptr5 = passArrayF64ToWasm0(out_frac, wasm.__wbindgen_malloc);
    var len5 = WASM_VECTOR_LEN;
    var ptr6 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len6 = WASM_VECTOR_LEN;
    const ret = wasm.niggli_reduce_structures(ptr0, len0, ptr1, len1, ptr2, len2, eps, ptr3, len3, out_lattices, ptr4, len4, out_transforms, ptr5, len5, out_frac, ptr6, len6, status);
    return ret;
}
exports.niggli_reduce_structures = niggli_reduce_structures;

/**
 * Full datasets. Per crystal: `out_ints [5·M]` = number, Hall number, operation count, atoms of
 * the conventional cell, atoms of the primitive cell; `out_symprec [M]`; `out_lattices [18·M]` =
 * conventional then primitive lattice (rows); `out_transforms [24·M]` = P (9, row-major) and p (3)
 * of input → conventional, then of input → primitive. Per atom: the conventional cell of crystal
 * `b` is written from atom `4·atom_offsets[b]` on (`out_conv_frac [12·N]`, `out_conv_numbers
 * [4·N]`: at most 4 sites per input atom), its primitive cell from `atom_offsets[b]` on
 * (`out_prim_frac [3·N]`, `out_prim_numbers [N]`), and `out_sites [3·N]` gives each input atom's
 * primitive site, orbit representative and Wyckoff letter (ASCII).
 * @param {Float64Array} lattices
 * @param {Float64Array} frac
 * @param {Uint32Array} atom_offsets
 * @param {Uint8Array} numbers
 * @param {number} symprec
 * @param {number} angle_tolerance
 * @param {Int32Array} out_ints
 * @param {Float64Array} out_symprec
 * @param {Float64Array} out_lattices
 * @param {Float64Array} out_transforms
 * @param {Float64Array} out_conv_frac
 * @param {Uint8Array} out_conv_numbers
 * @param {Float64Array} out_prim_frac
 * @param {Uint8Array} out_prim_numbers
 * @param {Uint32Array} out_sites
 * @param {Int32Array} status
 * @returns {number}
 */
function space_group_datasets(lattices, frac, atom_offsets, numbers, symprec, angle_tolerance, out_ints, out_symprec, out_lattices, out_transforms, out_conv_frac, out_conv_numbers, out_prim_frac, out_prim_numbers, out_sites, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    const ptr3 = passArray8ToWasm0(numbers, wasm.__wbindgen_malloc);
    const len3 = WASM_VECTOR_LEN;
    var ptr4 = passArray32ToWasm0(out_ints, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    var ptr5 = passArrayF64ToWasm0(out_symprec, wasm.__wbindgen_malloc);
    var len5 = WASM_VECTOR_LEN;
    var ptr6 = passArrayF64ToWasm0(out_lattices, wasm.__wbindgen_malloc);
    var len6 = WASM_VECTOR_LEN;
    var ptr7 = passArrayF64ToWasm0(out_transforms, wasm.__wbindgen_malloc);
    var len7 = WASM_VECTOR_LEN;
    var ptr8 = passArrayF64ToWasm0(out_conv_frac, wasm.__wbindgen_malloc);
    var len8 = WASM_VECTOR_LEN;
    var ptr9 = passArray8ToWasm0(out_conv_numbers, wasm.__wbindgen_malloc);
    var len9 = WASM_VECTOR_LEN;
    var ptr10 = passArrayF64ToWasm0(out_prim_frac, wasm.__wbindgen_malloc);
    var len10 = WASM_VECTOR_LEN;
    var ptr11 = passArray8ToWasm0(out_prim_numbers, wasm.__wbindgen_malloc);
    var len11 = WASM_VECTOR_LEN;
    var ptr12 = passArray32ToWasm0(out_sites, wasm.__wbindgen_malloc);
    var len12 = WASM_VECTOR_LEN;
    var ptr13 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len13 = WASM_VECTOR_LEN;
    const ret = wasm.space_group_datasets(ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, symprec, angle_tolerance, ptr4, len4, out_ints, ptr5, len5, out_symprec, ptr6, len6, out_lattices, ptr7, len7, out_transforms, ptr8, len8, out_conv_frac, ptr9, len9, out_conv_numbers, ptr10, len10, out_prim_frac, ptr11, len11, out_prim_numbers, ptr12, len12, out_sites, ptr13, len13, status);
    return ret;
}
exports.space_group_datasets = space_group_datasets;

/**
 * Space-group numbers only (the fast path for reports): `out_numbers [M]` (1–230),
 * `out_hall [M]` (1–530) and `out_symprec [M]`, the tolerance moyo finally used.
 * @param {Float64Array} lattices
 * @param {Float64Array} frac
 * @param {Uint32Array} atom_offsets
 * @param {Uint8Array} numbers
 * @param {number} symprec
 * @param {number} angle_tolerance
 * @param {Int32Array} out_numbers
 * @param {Int32Array} out_hall
 * @param {Float64Array} out_symprec
 * @param {Int32Array} status
 * @returns {number}
 */
function space_group_numbers(lattices, frac, atom_offsets, numbers, symprec, angle_tolerance, out_numbers, out_hall, out_symprec, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    const ptr3 = passArray8ToWasm0(numbers, wasm.__wbindgen_malloc);
    const len3 = WASM_VECTOR_LEN;
    var ptr4 = passArray32ToWasm0(out_numbers, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    var ptr5 = passArray32ToWasm0(out_hall, wasm.__wbindgen_malloc);
    var len5 = WASM_VECTOR_LEN;
    var ptr6 = passArrayF64ToWasm0(out_symprec, wasm.__wbindgen_malloc);
    var len6 = WASM_VECTOR_LEN;
    var ptr7 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len7 = WASM_VECTOR_LEN;
    const ret = wasm.space_group_numbers(ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, symprec, angle_tolerance, ptr4, len4, out_numbers, ptr5, len5, out_hall, ptr6, len6, out_symprec, ptr7, len7, status);
    return ret;
}
exports.space_group_numbers = space_group_numbers;

/**
 * Idealises each crystal to the space group found at `symprec`: `out_lattices [9·M]` and
 * `out_frac [3·N]` (same atoms, same order), and the group's number in `out_numbers [M]`.
 * @param {Float64Array} lattices
 * @param {Float64Array} frac
 * @param {Uint32Array} atom_offsets
 * @param {Uint8Array} numbers
 * @param {number} symprec
 * @param {number} angle_tolerance
 * @param {Float64Array} out_lattices
 * @param {Float64Array} out_frac
 * @param {Int32Array} out_numbers
 * @param {Int32Array} status
 * @returns {number}
 */
function symmetrize_structures(lattices, frac, atom_offsets, numbers, symprec, angle_tolerance, out_lattices, out_frac, out_numbers, status) {
    const ptr0 = passArrayF64ToWasm0(lattices, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ptr1 = passArrayF64ToWasm0(frac, wasm.__wbindgen_malloc);
    const len1 = WASM_VECTOR_LEN;
    const ptr2 = passArray32ToWasm0(atom_offsets, wasm.__wbindgen_malloc);
    const len2 = WASM_VECTOR_LEN;
    const ptr3 = passArray8ToWasm0(numbers, wasm.__wbindgen_malloc);
    const len3 = WASM_VECTOR_LEN;
    var ptr4 = passArrayF64ToWasm0(out_lattices, wasm.__wbindgen_malloc);
    var len4 = WASM_VECTOR_LEN;
    var ptr5 = passArrayF64ToWasm0(out_frac, wasm.__wbindgen_malloc);
    var len5 = WASM_VECTOR_LEN;
    var ptr6 = passArray32ToWasm0(out_numbers, wasm.__wbindgen_malloc);
    var len6 = WASM_VECTOR_LEN;
    var ptr7 = passArray32ToWasm0(status, wasm.__wbindgen_malloc);
    var len7 = WASM_VECTOR_LEN;
    const ret = wasm.symmetrize_structures(ptr0, len0, ptr1, len1, ptr2, len2, ptr3, len3, symprec, angle_tolerance, ptr4, len4, out_lattices, ptr5, len5, out_frac, ptr6, len6, out_numbers, ptr7, len7, status);
    return ret;
}
exports.symmetrize_structures = symmetrize_structures;

/**
 * Traps on purpose (`kind` 0: `unreachable`, otherwise a Rust panic), so tests can check that a
 * trap becomes a typed JS error and that the core recovers. Not part of the public API.
 * @param {number} kind
 */
function trap_for_tests(kind) {
    wasm.trap_for_tests(kind);
}
exports.trap_for_tests = trap_for_tests;

/**
 * The crate version (`Cargo.toml`), so callers can tell which core they loaded.
 * @returns {string}
 */
function version() {
    let deferred1_0;
    let deferred1_1;
    try {
        const ret = wasm.version();
        deferred1_0 = ret[0];
        deferred1_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
}
exports.version = version;

/**
 * The linear memory of this instance, for reading a [`NeighborListResult`] in place by its
 * [`NeighborListResult::layout`].
 * @returns {any}
 */
function wasm_memory() {
    const ret = wasm.wasm_memory();
    return ret;
}
exports.wasm_memory = wasm_memory;
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg___wbindgen_copy_to_typed_array_88899a52af046901: function(arg0, arg1, arg2) {
            new Uint8Array(arg2.buffer, arg2.byteOffset, arg2.byteLength).set(getArrayU8FromWasm0(arg0, arg1));
        },
        __wbg___wbindgen_memory_caa4a6165639c8b5: function() {
            const ret = wasm.memory;
            return ret;
        },
        __wbg___wbindgen_throw_41e9ee4f547fc59a: function(arg0, arg1) {
            throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            const offset = table.grow(4);
            table.set(0, undefined);
            table.set(offset + 0, undefined);
            table.set(offset + 1, null);
            table.set(offset + 2, true);
            table.set(offset + 3, false);
        },
    };
    return {
        __proto__: null,
        "./cdvae_wasm_bg.js": import0,
    };
}

const CrystalNNResultFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_crystalnnresult_free(ptr, 1));
const NeighborListResultFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_neighborlistresult_free(ptr, 1));

function getArrayF64FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getFloat64ArrayMemory0().subarray(ptr / 8, ptr / 8 + len);
}

function getArrayI32FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getInt32ArrayMemory0().subarray(ptr / 4, ptr / 4 + len);
}

function getArrayU32FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint32ArrayMemory0().subarray(ptr / 4, ptr / 4 + len);
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

let cachedFloat64ArrayMemory0 = null;
function getFloat64ArrayMemory0() {
    if (cachedFloat64ArrayMemory0 === null || cachedFloat64ArrayMemory0.byteLength === 0) {
        cachedFloat64ArrayMemory0 = new Float64Array(wasm.memory.buffer);
    }
    return cachedFloat64ArrayMemory0;
}

let cachedInt32ArrayMemory0 = null;
function getInt32ArrayMemory0() {
    if (cachedInt32ArrayMemory0 === null || cachedInt32ArrayMemory0.byteLength === 0) {
        cachedInt32ArrayMemory0 = new Int32Array(wasm.memory.buffer);
    }
    return cachedInt32ArrayMemory0;
}

function getStringFromWasm0(ptr, len) {
    return decodeText(ptr >>> 0, len);
}

let cachedUint32ArrayMemory0 = null;
function getUint32ArrayMemory0() {
    if (cachedUint32ArrayMemory0 === null || cachedUint32ArrayMemory0.byteLength === 0) {
        cachedUint32ArrayMemory0 = new Uint32Array(wasm.memory.buffer);
    }
    return cachedUint32ArrayMemory0;
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function passArray32ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 4, 4) >>> 0;
    getUint32ArrayMemory0().set(arg, ptr / 4);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passArray8ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 1, 1) >>> 0;
    getUint8ArrayMemory0().set(arg, ptr / 1);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passArrayF64ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 8, 8) >>> 0;
    getFloat64ArrayMemory0().set(arg, ptr / 8);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
cachedTextDecoder.decode();
function decodeText(ptr, len) {
    return cachedTextDecoder.decode(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let WASM_VECTOR_LEN = 0;

const wasmPath = `${__dirname}/cdvae_wasm_bg.wasm`;
const wasmBytes = require('fs').readFileSync(wasmPath);
const wasmModule = new WebAssembly.Module(wasmBytes);
let wasmInstance = new WebAssembly.Instance(wasmModule, __wbg_get_imports());
let wasm = wasmInstance.exports;
wasm.__wbindgen_start();
