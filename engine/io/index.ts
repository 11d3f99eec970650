// Re-exports the input/output layer: input listing, split planning, the split reader and
// the output committer.
export * from './files.js';
export * from './splits.js';
export * from './split-reader.js';
export * from './commit.js';
export * from './gzip.js';
export * from './compressed.js';
