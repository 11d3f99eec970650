// kiln's public API. Re-exports only.
export * from './kernels/index.js';
export { RegionAllocator, OutOfMemoryError } from './memory/allocator.js';
export type { Region } from './memory/region.js';
