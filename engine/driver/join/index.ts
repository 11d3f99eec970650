// Re-exports joins: types, strategy choice, skew splitting, run-time resolution.
export * from './types.js';
export * from './choose.js';
export * from './skew.js';
export { type JoinWhereOptions } from './datasets.js';
