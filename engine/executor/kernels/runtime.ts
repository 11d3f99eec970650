// A kernel runtime: one instance of the kernel module in this thread, over the shared
// memory, with views that follow memory growth and the allocator of this thread's span.
// Policy: instantiate once per thread; every wrapper takes a runtime, never its own
// instance. Views are re-fetched after growth because memory.grow hands out a new
// SharedArrayBuffer and old views keep their old length.
import { RegionAllocator } from '../memory/allocator.js';
import type { KernelExports } from './exports.js';
import { createSharedMemory, kernelModule } from './module.js';
import { STATUS_CODES } from './status.js';

/** Options for {@link KernelRuntime.create}. */
export interface RuntimeOptions {
  /** Existing shared memory (in a worker); a new one is made when omitted. */
  memory?: WebAssembly.Memory;
  /** Initial memory size in bytes for a new memory (default 64 MiB). */
  initialBytes?: number;
  /** Span this thread allocates in; defaults to everything above the module's data. */
  span?: { base: number; limit?: number };
  /** Compiled module (in a worker, from workerData); compiled here when omitted. */
  module?: WebAssembly.Module;
}

/** One thread's kernel instance, memory views and allocator. */
export class KernelRuntime {
  private u8View: Uint8Array;
  private dvView: DataView;

  private constructor(
    /** The raw kernel exports. */
    readonly exports: KernelExports,
    /** The shared memory every instance uses. */
    readonly memory: WebAssembly.Memory,
    /** Allocator of this thread's span. */
    readonly allocator: RegionAllocator,
  ) {
    this.u8View = new Uint8Array(memory.buffer);
    this.dvView = new DataView(memory.buffer);
  }

  /** Instantiates the kernel module over a (new or given) shared memory. */
  static create(options: RuntimeOptions = {}): KernelRuntime {
    const memory = options.memory ?? createSharedMemory(options.initialBytes ?? 64 << 20);
    const instance = new WebAssembly.Instance(options.module ?? kernelModule(), { env: { memory, abort } });
    const exports = instance.exports as unknown as KernelExports;
    checkStatusCodes(exports);
    const base = options.span?.base ?? exports.heapBase() >>> 0;
    const allocator = new RegionAllocator(memory, { base, ...(options.span?.limit !== undefined ? { limit: options.span.limit } : {}) });
    return new KernelRuntime(exports, memory, allocator);
  }

  /** Byte view of the whole memory (current after growth). */
  get u8(): Uint8Array {
    if (this.u8View.byteLength !== this.memory.buffer.byteLength) this.refresh();
    return this.u8View;
  }

  /** DataView of the whole memory (current after growth). */
  get dv(): DataView {
    if (this.dvView.byteLength !== this.memory.buffer.byteLength) this.refresh();
    return this.dvView;
  }

  /** A Uint32Array over `count` u32s at `ptr` (4-byte aligned). */
  u32(ptr: number, count: number): Uint32Array {
    return new Uint32Array(this.u8.buffer, ptr, count);
  }

  /** A BigUint64Array over `count` u64s at `ptr` (8-byte aligned). */
  u64(ptr: number, count: number): BigUint64Array {
    return new BigUint64Array(this.u8.buffer, ptr, count);
  }

  private refresh(): void {
    this.u8View = new Uint8Array(this.memory.buffer);
    this.dvView = new DataView(this.memory.buffer);
  }
}

function abort(): never {
  // Kernels are built with --noAssert and never abort; reaching this is a kernel bug.
  throw new Error('kernel aborted: this is a bug in kiln, please report it');
}

function checkStatusCodes(exports: KernelExports): void {
  const ok =
    exports.STATUS_OK.value === STATUS_CODES.ok &&
    exports.STATUS_GROW.value === STATUS_CODES.grow &&
    exports.STATUS_FULL.value === STATUS_CODES.full &&
    exports.STATUS_INVALID.value === STATUS_CODES.invalid;
  if (!ok) throw new Error('kernel module and engine disagree on status codes: rebuild with `npm run build`');
}
