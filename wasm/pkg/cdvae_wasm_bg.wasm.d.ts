/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const __wbg_neighborlistresult_free: (a: number, b: number) => void;
export const atomic_masses: () => [number, number];
export const cdvae_lattice_targets: (a: number, b: number, c: number, d: number, e: number, f: number, g: any, h: number, i: number, j: any) => number;
export const cell_volumes: (a: number, b: number, c: number, d: number, e: any, f: number, g: number, h: any) => number;
export const densities: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: any, j: number, k: number, l: any) => number;
export const is_niggli_reduced_many: (a: number, b: number, c: number, d: number, e: number, f: any) => number;
export const last_error_message: () => [number, number];
export const lattice_params_many: (a: number, b: number, c: number, d: number, e: any, f: number, g: number, h: any) => number;
export const memory_bytes: () => number;
export const min_distances: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: any, k: number, l: number, m: any) => number;
export const min_image_displacements: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: any, m: number, n: number, o: any) => number;
export const neighbor_lists: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number, n: any) => number;
export const neighborlistresult_failures: (a: number) => number;
export const neighborlistresult_take_distances: (a: number) => [number, number];
export const neighborlistresult_take_images: (a: number) => [number, number];
export const neighborlistresult_take_offsets: (a: number) => [number, number];
export const neighborlistresult_take_senders: (a: number) => [number, number];
export const neighborlistresult_take_vectors: (a: number) => [number, number];
export const niggli_reduce_lattices: (a: number, b: number, c: number, d: number, e: number, f: any, g: number, h: number, i: any, j: number, k: number, l: any) => number;
export const niggli_reduce_structures: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: any, k: number, l: number, m: any, n: number, o: number, p: any, q: number, r: number, s: any) => number;
export const trap_for_tests: (a: number) => void;
export const version: () => [number, number];
export const __wbindgen_externrefs: WebAssembly.Table;
export const __wbindgen_free: (a: number, b: number, c: number) => void;
export const __wbindgen_malloc: (a: number, b: number) => number;
export const __wbindgen_start: () => void;
