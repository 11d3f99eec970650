// Combiner aggregation: an open-addressing hash table in caller-provided memory.
// Keys are byte strings of any length, copied into a caller-provided key arena.
// Per key it keeps count, sum, min and max of the values (as i64 or f64).
// ABI (owned by engine/kernels/combiner.ts): see TABLE_* offsets and ENTRY_* below.
//
// Table header (TABLE_HEADER_BYTES at `tbl`, all u32):
//   indexPtr   u64[indexMask + 1] slots: 0 = empty, else (hash >> 32) << 32 | (entry + 1)
//   indexMask  slot count - 1 (a power of two, kept >= 2 * entryCap by the caller)
//   entriesPtr Entry[entryCap], dense, in insertion order
//   entryCap, entryCount
//   arenaPtr, arenaCap, arenaUsed: key bytes; an entry's keyOff is relative to arenaPtr
//   valueKind  VALUE_I64 | VALUE_F64
//   resume     written on STATUS_GROW: where to call again from (record index or byte offset)
// Entry (ENTRY_BYTES): hash u64, keyOff u32, keyLen u32, count i64, sum, min, max (i64|f64).
//
// Kernels (all return STATUS_OK, or STATUS_GROW with header.resume set):
//   tableInsert(tbl, data, offsets, hashes, values, n, start)
//     keys as in xxh64Batch; hashes u64[n] or 0 to hash here; values (i64|f64)[n] or 0 for 1 each.
//   wordCount(tbl, src, len, flags) : tokenize (+ lowercase in place) + hash + count,
//     value 1 per word; header.resume is the byte offset to continue from (also on OK:
//     bytes consumed, which without FLAG_FINAL stops before a trailing partial word).
//   tableRebuildIndex(tbl): clear the index and re-insert every entry (after the caller
//     moved entries/arena or gave a larger index).
//   tableMerge(dst, src, start): upsert src's entries [start, count) into dst, combining.
//   tableEmitSize(tbl): bytes tableEmit needs.
//   tableEmit(tbl, partitions, out, outCap, offsets): records grouped by partition
//     (hash % partitions, u64), offsets u32[partitions + 1]. Record: keyLen u32, key bytes,
//     hash u64, count i64, sum, min, max (8 bytes each) = BLOCK_RECORD_OVERHEAD + keyLen.
//   tableInsertBlock(tbl, block, len, start): upsert emitted records [start, len) of a
//     block segment, combining aggregates; header.resume is a byte offset.
import { STATUS_OK } from "./status";

export const TABLE_HEADER_BYTES: u32 = 64;
export const ENTRY_BYTES: u32 = 48;
export const BLOCK_RECORD_OVERHEAD: u32 = 44;
export const VALUE_I64: u32 = 0;
export const VALUE_F64: u32 = 1;

export function tableInsert(tbl: usize, data: usize, offsets: usize, hashes: usize, values: usize, n: u32, start: u32): i32 {
  return STATUS_OK;
}

export function wordCount(tbl: usize, src: usize, len: u32, flags: u32): i32 {
  return STATUS_OK;
}

export function tableRebuildIndex(tbl: usize): i32 {
  return STATUS_OK;
}

export function tableMerge(dst: usize, src: usize, start: u32): i32 {
  return STATUS_OK;
}

export function tableEmitSize(tbl: usize): u32 {
  return 0;
}

export function tableEmit(tbl: usize, partitions: u32, out: usize, outCap: u32, offsets: usize): i32 {
  return STATUS_OK;
}

export function tableInsertBlock(tbl: usize, block: usize, len: u32, start: u32): i32 {
  return STATUS_OK;
}
