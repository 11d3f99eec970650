// The raw WASM exports of kernels/index.ts, typed. Policy: this file is the single
// description of the kernel ABI on the TypeScript side; pointers and sizes are u32
// byte offsets into the shared memory (pass them as numbers; results that are
// pointers must be read with `>>> 0`). Layout details live in each kernel's header
// comment in kernels/*.ts and in the wrapper that owns it.

/** The functions and constants the kernel module exports. */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  readonly STATUS_OK: WebAssembly.Global;
  readonly STATUS_GROW: WebAssembly.Global;
  readonly STATUS_FULL: WebAssembly.Global;
  readonly STATUS_INVALID: WebAssembly.Global;

  // kernels/hash.ts
  xxh64(ptr: number, len: number, seed: bigint): bigint;
  xxh64Batch(data: number, offsets: number, n: number, out: number, seed: number): number;
  xxh64Fixed(data: number, width: number, n: number, out: number, seed: number): number;
  xxh64Partitions(data: number, offsets: number, n: number, partitions: number, out: number): number;

  // kernels/lines.ts
  lineSplit(src: number, len: number, flags: number, out: number, cap: number, ctl: number): number;

  // kernels/tokenize.ts
  lowercaseAscii(src: number, len: number, dst: number): number;
  tokenize(src: number, len: number, flags: number, out: number, cap: number, ctl: number): number;
  tokenizeHash(src: number, len: number, flags: number, out: number, hashes: number, cap: number, ctl: number): number;

  // kernels/combiner.ts
  readonly TABLE_HEADER_BYTES: WebAssembly.Global;
  readonly ENTRY_BYTES: WebAssembly.Global;
  readonly BLOCK_RECORD_OVERHEAD: WebAssembly.Global;
  readonly VALUE_I64: WebAssembly.Global;
  readonly VALUE_F64: WebAssembly.Global;
  readonly WORD_SLOT_BYTES: WebAssembly.Global;
  tableInsert(tbl: number, data: number, offsets: number, hashes: number, values: number, n: number, start: number): number;
  wordCount(tbl: number, src: number, len: number, flags: number): number;
  tableRebuildIndex(tbl: number): number;
  tableSettle(tbl: number): number;
  tableRebuildWords(tbl: number): number;
  tableMerge(dst: number, src: number, start: number): number;
  tableEmitSize(tbl: number): number;
  tableEmit(tbl: number, partitions: number, out: number, outCap: number, offsets: number): number;
  tableInsertBlock(tbl: number, block: number, len: number, start: number): number;
  tableInsertRecords(tbl: number, buf: number, len: number, start: number, passes: number, pass: number, divisor: number): number;

  // kernels/sort.ts
  readonly SORT_ENTRY_BYTES: WebAssembly.Global;
  readonly SORT_CTL_BYTES: WebAssembly.Global;
  sortPrepare(parts: number, keys: number, offsets: number, n: number, partBits: number, entries: number): number;
  radixSort(entries: number, tmp: number, n: number, ctl: number): number;
  sortTieBreak(entries: number, n: number, keys: number, offsets: number, scratch: number): number;
  sortPermutation(entries: number, n: number, out: number): number;
  sortGather(entries: number, n: number, data: number, offsets: number, dst: number, dstOffsets: number): number;

  // kernels/grep.ts
  readonly GREP_ICASE: WebAssembly.Global;
  readonly GREP_COUNT: WebAssembly.Global;
  grepScan(src: number, len: number, needle: number, nlen: number, flags: number, out: number, cap: number, ctl: number): number;
  grepRange(src: number, len: number, lo: number, hi: number, out: number, cap: number, ctl: number): number;
  hasByte(src: number, len: number, b: number): number;

  // kernels/hll.ts
  hllAddBatch(regs: number, data: number, offsets: number, n: number, p: number, seed: number): number;
  hllAddPairs(regs: number, base: number, pairs: number, n: number, p: number, seed: number): number;

  // kernels/stats.ts
  statsLines(src: number, len: number, state: number, ctl: number): number;
}

/** Flags shared by the scanning kernels (kernels/ascii.ts). */
export const SCAN_FLAGS = {
  /** Lowercase ASCII letters of the input region in place first. */
  lowercase: 1,
  /** Split on every ASCII byte that is not [0-9A-Za-z] instead of on whitespace. */
  nonAlnum: 2,
  /** The region ends the input: a trailing unterminated token or line is complete. */
  final: 4,
} as const;
