// Re-exports the TypeScript side of the kernels.
export * from './status.js';
export * from './exports.js';
export * from './module.js';
export * from './runtime.js';
export * from './hash.js';
export * from './lines.js';
export * from './tokenizer.js';
export * from './sort.js';
export * from './combiner.js';
export * from './grep.js';
export * from './hll.js';
export * from './stats.js';
