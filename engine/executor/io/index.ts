// Re-exports the input/output layer: input listing, split planning, the split reader and
// the output committer.
export * from '../../common/io/files.js';
export * from '../../common/io/splits.js';
export * from './split-reader.js';
export * from './commit.js';
export * from './gzip.js';
export * from './compressed.js';
