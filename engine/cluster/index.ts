// Cluster mode's public surface. Re-exports only.
export { parseMaster, type Master } from './master-url.js';
export { LocalCluster, type LocalClusterOptions } from './launcher.js';
export { DriverEndpoint, type DriverEndpointOptions } from './driver-endpoint.js';
export { runExecutor, parseHostPort, type ExecutorOptions, type ExecutorExit, type RunningExecutor } from './executor-process.js';
export { ExecutorRegistry, type ExecutorEntry, type ExecutorInfo, type LossReason } from './executor-registry.js';
export { DEFAULT_TIMING, resolveTiming, type ClusterTiming } from './settings.js';
export { newSecret, readSecret, parseSecret, secretText, SECRET_ENV } from './secret.js';
