// A region: a byte range of the shared WebAssembly memory that one owner uses.
// Policy: regions are plain (ptr, size) values so they cross postMessage unchanged.

/** A byte range [ptr, ptr + size) of the shared memory. */
export interface Region {
  readonly ptr: number;
  readonly size: number;
}

/** WebAssembly page size in bytes. */
export const PAGE_BYTES = 65536;

/** Largest shared memory a wasm32 module can address: 65536 pages, 4 GiB. */
export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;

/** Rounds `n` up to a multiple of `align` (a power of two). */
export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
