// Re-exports function shipping and broadcast variables.
export * from './shipped.js';
export * from './revive.js';
export * from './broadcast.js';
export * from './compose.js';
