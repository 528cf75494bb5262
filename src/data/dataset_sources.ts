/**
 * Where the benchmark CSVs are published and what each file must hash to: the table
 * `datasets fetch` verifies every download against.
 *
 * The files are those of the public CDVAE repository, txie-93/cdvae, `data/<name>/<split>.csv`,
 * pinned to one commit so the URLs never change under the hashes. How the hashes were obtained
 * (the stored copy of that repository leaves out every file of 4 MiB or more):
 *
 * - Perov-5 val/test and Carbon-24 val/test: `git show <commit>:data/<name>/<split>.csv | sha256sum`
 *   on the repository itself; the same bytes as `../shared/data`.
 * - The other five (train splits, MP-20 val/test): the Git LFS pointers (`oid sha256:…`, `size …`)
 *   of the fork gabeguo/cdvae_xrd (`data/<name>/no_xrd/` and `data/mp_20_oldSplit/no_xrd/`), whose
 *   four pointers for the files above agree byte for byte with the originals. MP-20 train, val and
 *   test are confirmed by two more projects that download or list txie-93/cdvae's files with the
 *   same sha256.
 *
 * @module
 */

import type { DatasetName, Split } from "./datasets.ts";

/** The repository the CSVs come from. */
export const DATASETS_REPOSITORY = "txie-93/cdvae";

/** The commit of {@linkcode DATASETS_REPOSITORY} the URLs are pinned to (its `data/` last changed in 65c98702). */
export const DATASETS_COMMIT = "f857f598d6f6cca5dc1ea0582d228f12dcc2c2ea";

/** Base URL of the files: `<base>/<name>/<split>.csv`. */
export const DEFAULT_DATASETS_URL =
  `https://raw.githubusercontent.com/${DATASETS_REPOSITORY}/${DATASETS_COMMIT}/data`;

/** The environment variable that replaces {@linkcode DEFAULT_DATASETS_URL} (a mirror, or a test server). */
export const DATASETS_URL_VARIABLE = "CDVAE_DATASETS_URL";

/** What one published file must be. */
export interface PublishedFile {
  /** Length in bytes. */
  size: number;
  /** Lower-case hex SHA-256 of the whole file. */
  sha256: string;
}

/** The published files of each dataset, by split. */
export type PublishedTable = Readonly<Record<string, Readonly<Partial<Record<Split, PublishedFile>>>>>;

/** Every file of txie-93/cdvae `data/` at {@linkcode DATASETS_COMMIT}: size and SHA-256. */
export const PUBLISHED_FILES: Readonly<Record<DatasetName, Readonly<Record<Split, PublishedFile>>>> = {
  perov_5: {
    train: { size: 11_017_473, sha256: "99cc012c21f5670a3d70d53781e1c4f20a9748a2f54945012db7bec5b563af4c" },
    val: { size: 3_673_814, sha256: "326f401219901270374b71e2faff63df3a29a99fd26f469993b9f476b693daf2" },
    test: { size: 3_671_842, sha256: "a85878c685037f0a578257f6d4fcdde00e968dbab73c5f1e90ecef65218513f6" },
  },
  carbon_24: {
    train: { size: 6_969_022, sha256: "de142c40617954a8b56c66a98bffb1a541abba69c79020067083c74dc445fa5f" },
    val: { size: 2_321_923, sha256: "36c00689cd63073c954a58bc6ed6e2adb7aeed5a630c994970959a1babffd50e" },
    test: { size: 2_319_350, sha256: "386b17c08816f434818d51e46687bf72ff3f92348f3ba24823e4758f1fe8a969" },
  },
  mp_20: {
    train: { size: 34_975_028, sha256: "133bab58dba02d316f9f91174839f17802dce648be4e8659d1a42b32b97fa01d" },
    val: { size: 11_617_279, sha256: "7b5f4085464b3eac9fd2123acee97ec372214004ce7e983b535b33395abc3e29" },
    test: { size: 11_599_133, sha256: "dd605c7543cf95a13e150aed630d0915e74edc8dea17e85301ee6fbfeb7f500a" },
  },
};
