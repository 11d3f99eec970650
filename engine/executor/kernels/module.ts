// Loading the kernel module. Policy: the .wasm is compiled once per process and the
// compiled WebAssembly.Module is handed to worker threads (it is structured-cloneable),
// so workers never recompile. One shared WebAssembly.Memory backs every instance.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { PAGE_BYTES, MAX_MEMORY_BYTES, alignUp } from '../memory/region.js';

/** Where the build (asc, see asconfig.json) writes the kernel module. */
export const KERNEL_WASM_URL = new URL('../../../kernels/kiln.wasm', import.meta.url);

let compiled: WebAssembly.Module | undefined;
let eagerTierSet = false;

/**
 * Asks V8 to compile WASM with its optimizing tier (TurboFan) up front instead of the
 * Liftoff baseline. A one-shot job runs most of its bytes before V8 would tier the
 * kernels up on its own (measured: 185 -> 259 MB/s for the first round of a word
 * count), and the module is small, so compiling it optimized costs a few ms.
 * Must run before the first compile in the process; later calls do nothing.
 */
export function preferOptimizedWasm(): void {
  if (eagerTierSet || compiled) return;
  setFlagsFromString('--no-liftoff');
  eagerTierSet = true;
}

/** The compiled kernel module (compiled on first use, then cached for the process). */
export function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    preferOptimizedWasm();
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(KERNEL_WASM_URL));
    } catch (cause) {
      throw new Error(`kernel module not found at ${KERNEL_WASM_URL.pathname}: run \`npm run build\``, { cause });
    }
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** A shared memory for the kernels of `bytes` (rounded up to pages), growable to 4 GiB. */
export function createSharedMemory(bytes: number): WebAssembly.Memory {
  const initial = Math.max(2, alignUp(bytes, PAGE_BYTES) / PAGE_BYTES);
  return new WebAssembly.Memory({ initial, maximum: MAX_MEMORY_BYTES / PAGE_BYTES, shared: true });
}
