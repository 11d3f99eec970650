// The kernel module's entry: everything exported here is a WASM export.
// Policy: kernels are pure functions over (pointer, length) regions of the one imported
// shared memory; they never allocate, so the AS heap and static data are never written
// after instantiation (each instance re-writes static data when it starts).
export * from "./status";
export { xxh64, xxh64Batch, xxh64Fixed, xxh64Partitions } from "./hash";
export * from "./lines";
export * from "./tokenize";
export * from "./combiner";
export * from "./sort";
export * from "./grep";
export * from "./hll";
export * from "./stats";

/** First byte after the module's static data; TypeScript's allocator starts above it. */
export function heapBase(): usize {
  return __heap_base;
}
