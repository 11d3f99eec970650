// Re-exports function shipping, broadcast variables and accumulators.
export * from './shipped.js';
export * from './revive.js';
export * from './broadcast.js';
export * from './compose.js';
export * from './accumulator.js';
