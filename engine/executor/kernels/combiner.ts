// The combiner table: kiln's map-side-combine and reduce-side aggregation, a hash table
// of byte-string keys with count/sum/min/max per key, living in kernel memory.
// Policy: the table owns four regions (header, index, entries, key arena) taken from
// one KernelRuntime's allocator, plus a fifth, the word index, made on the
// first countWords (word counting's one-cache-line hot path; tables that never count
// words do not pay for it). It starts small and grows by doubling when a kernel
// reports GROW, then calls again from where the kernel stopped, so no call ever loses
// input. Word counts wait in the word index until something reads values: the kernels
// that read them settle by themselves, and so does every reader here.
// The index is kept at <= 0.5 load and sized to the entries actually held, because the
// table's speed is cache-bound (DESIGN.md: 335 MB/s with a 4 MiB table, 159 with 64 MiB).
// `clear()` keeps every region: re-touching memory is ~75x cheaper than first touch.
// Concurrency: a table is used by one thread at a time; another thread may read it
// (merge from it) by header pointer once its builder has finished.
// Layout of header, entries and blocks: kernels/combiner.ts.
import type { Region } from '../memory/region.js';
import type { KernelRuntime } from './runtime.js';
import { SCAN_FLAGS } from './exports.js';
import { KernelError, decodeStatus, unreachable } from './status.js';

/** How a table stores the values it aggregates. */
export type ValueKind = 'i64' | 'f64';

/** A value of kind K as JS sees it: i64 as bigint (exact), f64 as number. */
export type ValueOf<K extends ValueKind> = K extends 'i64' ? bigint : number;

/** Options of a {@link CombinerTable}. */
export interface CombinerOptions<K extends ValueKind = 'i64'> {
  /** Storage of sum/min/max (default 'i64'). Tables merge only with tables of their kind. */
  valueKind?: K;
  /** Distinct keys to make room for up front (default 1024); the table grows past it. */
  expectedKeys?: number;
  /** Key bytes to make room for up front (default 16 per expected key). */
  expectedKeyBytes?: number;
}

/** Options of {@link CombinerTable.countWords}. */
export interface WordOptions {
  /** Lowercase ASCII letters in place before counting. */
  lowercase?: boolean;
  /** Split on every ASCII byte that is not [0-9A-Za-z] (default: ASCII whitespace). */
  nonAlnum?: boolean;
  /** The range ends the input: a trailing word is counted (else left for the next chunk). */
  final?: boolean;
}

/** A batch of keys in kernel memory: key i is bytes [offsets[i], offsets[i+1]) of `data`. */
export interface KeyBatch {
  /** Pointer to the key bytes. */
  data: number;
  /** Pointer to u32[n + 1] offsets relative to `data`. */
  offsets: number;
  /** Number of keys. */
  n: number;
  /** Pointer to u64[n] XXH64 (seed 0) hashes of the keys; hashed by the kernel when omitted. */
  hashes?: number;
  /** Pointer to n values (i64 or f64, as the table's kind); 1 each when omitted. */
  values?: number;
}

/** One key's aggregate, read from the table's entries. */
export interface CombinerEntry<K extends ValueKind = 'i64', Key = Uint8Array> {
  key: Key;
  /** XXH64 (seed 0) of the key bytes. */
  hash: bigint;
  count: number;
  sum: ValueOf<K>;
  min: ValueOf<K>;
  max: ValueOf<K>;
}

/** A table's entries as columns (see {@link CombinerTable.columns}). */
export interface TableColumns {
  /** Start of the key arena; key i is bytes [arenaPtr + keyOffsets[i], + keyLengths[i]). */
  arenaPtr: number;
  /** Bytes of keys in the arena. */
  arenaBytes: number;
  keyOffsets: Uint32Array;
  keyLengths: Uint32Array;
  values: Float64Array;
}

/** A shuffle block written by {@link CombinerTable.emit}; the caller owns both regions. */
export interface EmittedBlock {
  /** Records grouped by partition (layout: kernels/combiner.ts). */
  block: Region;
  /** u32[partitions + 1]: partition p is bytes [offsets[p], offsets[p+1]) of the block. */
  offsets: Region;
  /** Bytes written to the block. */
  bytes: number;
  partitions: number;
}

// Header field offsets (u32 each), as in kernels/combiner.ts.
const H = { index: 0, mask: 4, entries: 8, cap: 12, count: 16, arena: 20, arenaCap: 24, arenaUsed: 28, kind: 32, resume: 36, need: 40, words: 48, wordMask: 52, pending: 56, wordsSeen: 60 } as const;
const HEADER_BYTES = 64;
const ENTRY_BYTES = 64;
const KIND_CODE: Readonly<Record<ValueKind, number>> = { i64: 0, f64: 1 };
/** Largest entry count whose entries region stays addressable (u32 offsets, 4 GiB memory). */
const MAX_ENTRIES = 2 ** 26;

/** A hash table of byte-string keys aggregating count, sum, min and max per key. */
export class CombinerTable<K extends ValueKind = 'i64'> {
  /** The table's header in kernel memory (hand it to another thread to merge from). */
  readonly header: number;
  /** Value storage of sum/min/max. */
  readonly valueKind: K;
  private headerRegion: Region;
  private index: Region;
  private entriesRegion: Region;
  private arena: Region;
  private wordIndex: Region | undefined;
  private freed = false;
  /** Words counted by {@link countWords} since the table was made (clear() keeps it). */
  wordsCounted = 0;

  constructor(private readonly rt: KernelRuntime, options: CombinerOptions<K> = {}) {
    this.valueKind = (options.valueKind ?? 'i64') as K;
    const keys = Math.min(MAX_ENTRIES, Math.max(16, nextPow2(options.expectedKeys ?? 1024)));
    const keyBytes = Math.max(1024, options.expectedKeyBytes ?? 16 * keys);
    const { allocator } = rt;
    this.headerRegion = allocator.alloc(HEADER_BYTES);
    this.header = this.headerRegion.ptr;
    this.entriesRegion = allocator.alloc(keys * ENTRY_BYTES);
    this.index = allocator.alloc(2 * keys * 8);
    this.arena = allocator.alloc(keyBytes);
    rt.u8.fill(0, this.header, this.header + HEADER_BYTES);
    this.set(H.kind, KIND_CODE[this.valueKind]);
    this.layout(keys);
    rt.u8.fill(0, this.index.ptr, this.index.ptr + this.index.size);
  }

  /** Distinct keys held. */
  get size(): number {
    return this.get(H.count);
  }

  /** Bytes of kernel memory the table holds (all its regions). */
  get bytesHeld(): number {
    return this.headerRegion.size + this.index.size + this.entriesRegion.size + this.arena.size + (this.wordIndex?.size ?? 0);
  }

  /** Adds one value per key (or 1 each) for a batch of keys already in kernel memory. */
  insert(batch: KeyBatch): void {
    const { data, offsets, n } = batch;
    const hashes = batch.hashes ?? 0;
    const values = batch.values ?? 0;
    let start = 0;
    for (;;) {
      const code = this.rt.exports.tableInsert(this.header, data, offsets, hashes, values, n, start);
      const status = decodeStatus('tableInsert', code, () => this.sizes({ n, start }));
      switch (status) {
        case 'ok':
          return;
        case 'grow':
          start = this.get(H.resume);
          this.grow('tableInsert');
          break;
        case 'full':
          throw new KernelError('tableInsert', 'reported FULL, which it never should', this.sizes({ n }));
        default:
          unreachable(status, 'tableInsert');
      }
    }
  }

  /**
   * Counts the words of `len` bytes at `ptr` (value 1 per word). Returns the bytes
   * consumed: without `final`, a word touching the end is left for the caller to carry
   * into the next chunk, and the result stops at its first byte.
   * With `lowercase` the range is lowercased in place.
   */
  countWords(ptr: number, len: number, options: WordOptions = {}): number {
    const flags =
      (options.lowercase ? SCAN_FLAGS.lowercase : 0) |
      (options.nonAlnum ? SCAN_FLAGS.nonAlnum : 0) |
      (options.final ? SCAN_FLAGS.final : 0);
    if (!this.wordIndex) this.makeWordIndex(this.get(H.cap));
    let done = 0;
    for (;;) {
      const code = this.rt.exports.wordCount(this.header, ptr + done, len - done, flags);
      this.wordsCounted += this.get(H.wordsSeen);
      this.set(H.wordsSeen, 0);
      const status = decodeStatus('wordCount', code, () => this.sizes({ len, done }));
      switch (status) {
        case 'ok':
          return done + this.get(H.resume);
        case 'grow':
          done += this.get(H.resume);
          this.grow('wordCount');
          break;
        case 'full':
          throw new KernelError('wordCount', 'reported FULL, which it never should', this.sizes({ len }));
        default:
          unreachable(status, 'wordCount');
      }
    }
  }

  /**
   * Combines every entry of `other` into this table. `other` may be a table of another
   * thread, given by its header pointer in the same memory; its builder must be done.
   */
  mergeFrom(other: CombinerTable<K> | { header: number }): void {
    if (other instanceof CombinerTable && other.valueKind !== this.valueKind) {
      throw new KernelError('tableMerge', `cannot merge a ${other.valueKind} table into a ${this.valueKind} table`);
    }
    let start = 0;
    for (;;) {
      const code = this.rt.exports.tableMerge(this.header, other.header, start);
      const status = decodeStatus('tableMerge', code, () => this.sizes({ src: other.header, start }));
      switch (status) {
        case 'ok':
          return;
        case 'grow':
          start = this.get(H.resume);
          this.grow('tableMerge');
          break;
        case 'full':
          throw new KernelError('tableMerge', 'reported FULL, which it never should', this.sizes({ start }));
        default:
          unreachable(status, 'tableMerge');
      }
    }
  }

  /**
   * Writes the table as a shuffle block: records grouped by partition
   * (`hash % partitions`, unsigned), with u32[partitions + 1] offsets. Pass a previous
   * block to reuse its regions (they are enlarged when too small).
   */
  emit(partitions: number, reuse?: EmittedBlock): EmittedBlock {
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new KernelError('tableEmit', `partitions must be a positive integer, got ${partitions}`);
    }
    const { allocator, exports } = this.rt;
    const bytes = exports.tableEmitSize(this.header) >>> 0;
    const block = reuse ? allocator.resize(reuse.block, bytes, 0) : allocator.alloc(bytes);
    const offsets = reuse ? allocator.resize(reuse.offsets, 4 * (partitions + 1), 0) : allocator.alloc(4 * (partitions + 1));
    const code = exports.tableEmit(this.header, partitions, block.ptr, block.size, offsets.ptr);
    const status = decodeStatus('tableEmit', code, () => this.sizes({ partitions, bytes, outCap: block.size }));
    if (status !== 'ok') throw new KernelError('tableEmit', `reported ${status} for a block of tableEmitSize bytes`, this.sizes({ partitions, bytes }));
    return { block, offsets, bytes, partitions };
  }

  /** Combines emitted records (a whole block or one partition's segment) into this table. */
  insertBlock(ptr: number, len: number): void {
    let start = 0;
    for (;;) {
      const code = this.rt.exports.tableInsertBlock(this.header, ptr, len, start);
      const status = decodeStatus('tableInsertBlock', code, () => this.sizes({ len, start }));
      switch (status) {
        case 'ok':
          return;
        case 'grow':
          start = this.get(H.resume);
          this.grow('tableInsertBlock');
          break;
        case 'full':
          throw new KernelError('tableInsertBlock', 'reported FULL, which it never should', this.sizes({ len }));
        default:
          unreachable(status, 'tableInsertBlock');
      }
    }
  }

  /**
   * Combines the complete emitted records at the start of [ptr, ptr + len) — a chunk
   * that may end inside a record — keeping only those of pass `pass` of `passes`
   * ((hash / divisor) % passes, see kernels/combiner.ts); returns the bytes consumed
   * (the incomplete tail is the caller's to carry).
   */
  insertRecords(ptr: number, len: number, passes = 1, pass = 0, divisor = 1): number {
    let start = 0;
    for (;;) {
      const code = this.rt.exports.tableInsertRecords(this.header, ptr, len, start, passes, pass, divisor);
      const status = decodeStatus('tableInsertRecords', code, () => this.sizes({ len, start, passes, pass, divisor }));
      switch (status) {
        case 'ok':
          return this.get(H.resume);
        case 'grow':
          start = this.get(H.resume);
          this.grow('tableInsertRecords');
          break;
        case 'full':
          throw new KernelError('tableInsertRecords', 'reported FULL, which it never should', this.sizes({ len }));
        default:
          unreachable(status, 'tableInsertRecords');
      }
    }
  }

  /**
   * Every entry in insertion order, keys as copied bytes (default), decoded UTF-8
   * strings ('utf8'; a leading U+FEFF is kept: it is part of the key) or latin1
   * strings, one char per byte ('latin1').
   */
  entries(keys?: 'bytes'): IterableIterator<CombinerEntry<K, Uint8Array>>;
  entries(keys: 'utf8' | 'latin1'): IterableIterator<CombinerEntry<K, string>>;
  *entries(keys: 'bytes' | 'utf8' | 'latin1' = 'bytes'): IterableIterator<CombinerEntry<K, Uint8Array | string>> {
    this.settle();
    // ignoreBOM: TextDecoder would otherwise drop a BOM that starts a key, merging
    // "\uFEFFhello" into "hello" when printed.
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const n = this.size;
    const f64 = this.valueKind === 'f64';
    for (let i = 0; i < n; i++) {
      // Re-read views each step: the consumer may grow memory between steps.
      const dv = this.rt.dv;
      const e = this.get(H.entries) + i * ENTRY_BYTES;
      const keyPtr = this.get(H.arena) + dv.getUint32(e + 8, true);
      const bytes = this.rt.u8.slice(keyPtr, keyPtr + dv.getUint32(e + 12, true));
      const value = (at: number): ValueOf<K> => (f64 ? dv.getFloat64(e + at, true) : dv.getBigInt64(e + at, true)) as ValueOf<K>;
      yield {
        key: keys === 'utf8' ? decoder.decode(bytes) : keys === 'latin1' ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') : bytes,
        hash: dv.getBigUint64(e, true),
        count: Number(dv.getBigInt64(e + 32, true)),
        sum: value(40),
        min: value(48),
        max: value(56),
      };
    }
  }

  /**
   * Every entry as columns, in insertion order: where its key lies in the key arena
   * and one aggregate per entry as a float. One pass, no object per key — for handing
   * a whole table to the driver.
   */
  columns(value: 'count' | 'sum' | 'min' | 'max'): TableColumns {
    this.settle();
    const n = this.size;
    const dv = this.rt.dv;
    const entries = this.get(H.entries);
    const keyOffsets = new Uint32Array(n);
    const keyLengths = new Uint32Array(n);
    const values = new Float64Array(n);
    const at = { count: 32, sum: 40, min: 48, max: 56 }[value];
    const f64 = this.valueKind === 'f64' && value !== 'count';
    for (let i = 0, e = entries; i < n; i++, e += ENTRY_BYTES) {
      keyOffsets[i] = dv.getUint32(e + 8, true);
      keyLengths[i] = dv.getUint32(e + 12, true);
      values[i] = f64 ? dv.getFloat64(e + at, true) : Number(dv.getBigInt64(e + at, true));
    }
    return { arenaPtr: this.get(H.arena), arenaBytes: this.get(H.arenaUsed), keyOffsets, keyLengths, values };
  }

  /**
   * Checks that every entry's key bytes in the arena start with the copy of the key's
   * first 16 bytes the entry keeps: a tripwire for memory corruption, cheap next to
   * building the table (one pass over the entries). See engine/executor/shuffle/writer.ts.
   */
  keysConsistent(): boolean {
    const n = this.size;
    const u8 = this.rt.u8;
    const dv = this.rt.dv;
    const arena = this.get(H.arena);
    for (let i = 0, e = this.get(H.entries); i < n; i++, e += ENTRY_BYTES) {
      const key = arena + dv.getUint32(e + 8, true);
      const len = dv.getUint32(e + 12, true);
      const m = len < 16 ? len : 16;
      for (let j = 0; j < m; j++) if (u8[key + j] !== u8[e + 16 + j]) return false;
    }
    return true;
  }

  /** Empties the table, keeping its regions for reuse. */
  clear(): void {
    this.set(H.count, 0);
    this.set(H.arenaUsed, 0);
    this.set(H.pending, 0);
    this.rt.u8.fill(0, this.index.ptr, this.index.ptr + (this.get(H.mask) + 1) * 8);
    if (this.wordIndex) this.rt.u8.fill(0, this.wordIndex.ptr, this.wordIndex.ptr + this.wordIndex.size);
  }

  /** Moves counts waiting in the word index into the entries (done before any read). */
  settle(): void {
    if (this.get(H.pending) !== 0) decodeStatus('tableSettle', this.rt.exports.tableSettle(this.header), () => this.sizes({}));
  }

  /** Returns the table's regions to the allocator; the table is unusable afterwards. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const r of [this.headerRegion, this.index, this.entriesRegion, this.arena]) this.rt.allocator.release(r);
    if (this.wordIndex) this.rt.allocator.release(this.wordIndex);
    this.wordIndex = undefined;
  }

  /**
   * Makes room after a GROW: doubles the entries when they ran out, else enlarges the
   * arena to at least twice its size and the pending key; then re-sizes the index to
   * keep load <= 0.5 and rebuilds it (entries keep their numbers and key offsets).
   */
  private grow(kernel: string): void {
    const { allocator, exports } = this.rt;
    const count = this.get(H.count);
    const cap = this.get(H.cap);
    if (count >= cap) {
      if (cap >= MAX_ENTRIES) throw new KernelError(kernel, 'table is at its largest entry count', this.sizes({}));
      const next = cap * 2;
      this.entriesRegion = allocator.resize(this.entriesRegion, next * ENTRY_BYTES, count * ENTRY_BYTES);
      const slots = 2 * next;
      if (this.index.size < slots * 8) this.index = allocator.resize(this.index, slots * 8, 0);
      this.layout(next);
      decodeStatus('tableRebuildIndex', exports.tableRebuildIndex(this.header), () => this.sizes({}));
      if (this.wordIndex) this.makeWordIndex(next);
    } else {
      const used = this.get(H.arenaUsed);
      const want = Math.max(2 * this.arena.size, used + this.get(H.need));
      if (want > 2 ** 32 - 65536) throw new KernelError(kernel, 'key arena would exceed 4 GiB', this.sizes({ want }));
      this.arena = allocator.resize(this.arena, want, used);
      this.layout(cap);
    }
  }

  /**
   * Gives the word index 2 x `cap` slots (load <= 0.5, as the main index) and fills it
   * from the entries; pending counts are settled into the entries first.
   */
  private makeWordIndex(cap: number): void {
    const { allocator, exports } = this.rt;
    const bytes = 2 * cap * (exports.WORD_SLOT_BYTES.value as number);
    this.settle();
    if (!this.wordIndex) this.wordIndex = allocator.alloc(bytes, 64);
    else if (this.wordIndex.size < bytes) this.wordIndex = allocator.resize(this.wordIndex, bytes, 0);
    this.set(H.words, this.wordIndex.ptr);
    this.set(H.wordMask, 2 * cap - 1);
    decodeStatus('tableRebuildWords', exports.tableRebuildWords(this.header), () => this.sizes({}));
  }

  /** Writes region pointers and capacities into the header for `cap` entries. */
  private layout(cap: number): void {
    this.set(H.index, this.index.ptr);
    this.set(H.mask, 2 * cap - 1);
    this.set(H.entries, this.entriesRegion.ptr);
    this.set(H.cap, cap);
    this.set(H.arena, this.arena.ptr);
    this.set(H.arenaCap, this.arena.size);
  }

  private get(field: number): number {
    return this.rt.dv.getUint32(this.header + field, true);
  }

  private set(field: number, value: number): void {
    this.rt.dv.setUint32(this.header + field, value, true);
  }

  private sizes(extra: Record<string, number>): Record<string, number> {
    return {
      ...extra,
      entries: this.get(H.count),
      entryCap: this.get(H.cap),
      arenaUsed: this.get(H.arenaUsed),
      arenaCap: this.get(H.arenaCap),
    };
  }
}

function nextPow2(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}
