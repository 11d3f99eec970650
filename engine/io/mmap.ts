// The optional mmap binding (@riaskov/mmap-io, a native addon). Policy: it is loaded
// once per thread, on first use (a synchronous require inside try/catch: loading it
// costs ~70 ms, which every CLI start and worker would pay otherwise), so a machine
// where it did not build (it is an optionalDependency) still runs every job through
// positional reads; the reason it failed is kept for the user. Its limits, measured
// (DESIGN.md): it takes offsets and sizes as C `int`, so a mapping must start below
// 2 GiB and be smaller than 2 GiB (errno 75, EOVERFLOW, otherwise); a mapping is
// unmapped only when its Buffer is garbage-collected.

import { createRequire } from 'node:module';

/** The part of the binding kiln uses. */
export interface MmapBinding {
  map(size: number, protection: number, flags: number, fd: number, offset?: number, advise?: number): Buffer;
  readonly PROT_READ: number;
  readonly MAP_SHARED: number;
  readonly MADV_SEQUENTIAL: number;
  readonly PAGESIZE: number;
}

/** Mappings must start below this offset and be at most this long (the binding's C int). */
export const MMAP_LIMIT_BYTES = 2 ** 31;

const PACKAGE = '@riaskov/mmap-io';

let binding: MmapBinding | undefined;
let failure = '';
let tried = false;

function load(): void {
  if (tried) return;
  tried = true;
  try {
    const candidate = createRequire(import.meta.url)(PACKAGE) as MmapBinding & { default?: MmapBinding };
    const b = candidate.default ?? candidate;
    if (typeof b.map !== 'function') throw new Error('the module has no map() function');
    binding = b;
  } catch (error) {
    failure = `${PACKAGE} did not load (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); reading with positional reads instead`;
  }
}

/** The loaded binding, or undefined when it is not available in this thread. */
export function mmapBinding(): MmapBinding | undefined {
  load();
  return binding;
}

/** Whether the mmap backend loaded in this thread, and why not if not. */
export function mmapAvailable(): { ok: true } | { ok: false; reason: string } {
  load();
  return binding ? { ok: true } : { ok: false, reason: failure };
}
