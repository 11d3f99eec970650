// The monitor: Spark-format events, the event log, the status store and diagnosis.
export type { SparkEvent, StageInfoJson, TaskInfoJson, TaskMetricsJson } from './events.js';
export { EventLogWriter, IN_PROGRESS } from './event-log-writer.js';
export { readEventLog, type ReadSummary } from './event-log-reader.js';
export { EventRecorder, type AppDescription } from './recorder.js';
export { StatusStore, restDate, DEFAULT_QUANTILES } from './status-store.js';
export { diagnoseStage, type Finding, type StageFacts } from './diagnosis.js';
export { Monitor, chainListeners, type MonitorOptions } from './monitor.js';
export { HistoryProvider } from './history.js';
