// Cluster timing settings. Policy: Spark's defaults (executor heartbeat every 10 s;
// kiln's timeout is 3 intervals, 30 s, tighter than Spark's 120 s network timeout
// because kiln's executors are its own processes, not a shared cluster's), chosen by
// the driver and sent to each executor when it registers, so one place sets them.
// Tests pass shorter ones.

/** Heartbeat and loss timing. */
export interface ClusterTiming {
  /** Milliseconds between an executor's heartbeats (default 10 000). */
  readonly heartbeatIntervalMs: number;
  /** Milliseconds without a heartbeat (driver side) or its reply (executor side) before the peer is lost (default 30 000). */
  readonly heartbeatTimeoutMs: number;
}

/** Defaults of {@link ClusterTiming}. */
export const DEFAULT_TIMING: ClusterTiming = { heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 30_000 };

/** Fills and checks `timing`. */
export function resolveTiming(timing: Partial<ClusterTiming> = {}): ClusterTiming {
  const heartbeatIntervalMs = timing.heartbeatIntervalMs ?? DEFAULT_TIMING.heartbeatIntervalMs;
  const heartbeatTimeoutMs = timing.heartbeatTimeoutMs ?? Math.max(DEFAULT_TIMING.heartbeatTimeoutMs, 3 * heartbeatIntervalMs);
  if (!(heartbeatIntervalMs > 0)) throw new RangeError(`heartbeatIntervalMs must be > 0 (got ${heartbeatIntervalMs})`);
  if (!(heartbeatTimeoutMs > heartbeatIntervalMs)) throw new RangeError(`heartbeatTimeoutMs (${heartbeatTimeoutMs}) must exceed heartbeatIntervalMs (${heartbeatIntervalMs})`);
  return { heartbeatIntervalMs, heartbeatTimeoutMs };
}
