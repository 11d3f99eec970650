// kiln's public API. Re-exports only.
export { Kiln, compareKeys, type KilnOptions, type ResolvedOptions } from './api/kiln.js';
export { Dataset, TextDataset, type ActionOptions, type Captures, type ShuffleOptions, type WordsOptions, type MatchOptions } from './api/dataset.js';
export { StatCounter, type StatState } from './api/stat-counter.js';
export type { Histogram } from './api/numeric.js';
export type { OrderOptions } from './api/ordering.js';
export type { AggregateOptions } from './api/aggregates.js';
export type { BoundedDouble } from './api/approx.js';
export { SortedLines, type SortLinesOptions, type WriteSummary } from './api/sorted-lines.js';
export { Broadcast } from './functions/index.js';
export { KilnError, type ErrorKind, type ErrorContext } from './errors.js';
export type { JobListener, JobMetrics } from './plan/dag-scheduler.js';
export type { Stage } from './plan/stage.js';
export type { TaskMetrics, BuiltinAgg } from './exec/protocol.js';
export type { PartitionerSpec } from './shuffle/partitioner.js';
export { parseSize } from './memory/budget.js';
export * as kernels from './kernels/index.js';
export type { UiOptions } from './ui/server.js';
export type { SparkEvent } from './monitor/events.js';
