// The optional mmap binding (@riaskov/mmap-io, a native addon). Policy: it is loaded
// once per thread, on first use (a synchronous require inside try/catch), so a machine
// where it did not build (it is an optionalDependency) still runs every job through
// positional reads; the reason it failed is kept for the user. The addon file that
// node-gyp built is loaded directly (3-8 ms); the package's own entry goes through
// @mapbox/node-pre-gyp's locator first (100-130 ms, measured), which is only the
// fallback. Besides mapping files, the binding's advise() marks kernel memory for
// transparent huge pages (engine/executor/memory/huge-pages.ts). Its limits, measured
// (DESIGN.md): it takes offsets and sizes as C `int`, so a mapping must start below
// 2 GiB and be smaller than 2 GiB (errno 75, EOVERFLOW, otherwise); a mapping is
// unmapped only when its Buffer is garbage-collected.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The part of the binding kiln uses. */
export interface MmapBinding {
  map(size: number, protection: number, flags: number, fd: number, offset?: number, advise?: number): Buffer;
  /** madvise(2) on [offset, offset + length) of the buffer's memory; throws on failure. */
  advise(buffer: Buffer, offset: number, length: number, advice: number): void;
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
    const require = createRequire(import.meta.url);
    let candidate: MmapBinding & { default?: MmapBinding };
    try {
      candidate = require(join(dirname(require.resolve(`${PACKAGE}/package.json`)), 'build', 'Release', 'mmap_io.node')) as MmapBinding;
    } catch {
      candidate = require(PACKAGE) as MmapBinding & { default?: MmapBinding };
    }
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
