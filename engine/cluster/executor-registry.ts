// The driver's registry of executors. Policy: an executor is alive from its
// registration until either its connection closes or no heartbeat arrived for
// heartbeatTimeoutMs (Spark's HeartbeatReceiver: spark.network.timeout); then it is
// declared lost once, with the reason, and never comes back under that id (a
// restarted executor registers anew). The clock is passed in so tests of the rule need
// no sleeping.

/** What an executor reports when it registers. */
export interface ExecutorInfo {
  /** Host name or address the executor's block server is reachable on. */
  readonly host: string;
  /** Port of its block server. */
  readonly blockPort: number;
  readonly cores: number;
  /** Memory for its shuffle blocks, bytes. */
  readonly memoryBytes: number;
  /** Its process id (for logs and tests). */
  readonly pid: number;
}

/** A registered executor. */
export interface ExecutorEntry extends ExecutorInfo {
  readonly id: string;
  readonly registeredAt: number;
  lastHeartbeat: number;
  /** Set once when it is declared lost. */
  lost?: { readonly at: number; readonly reason: string };
}

/** Why an executor was lost. */
export type LossReason = 'connection closed' | 'heartbeat timeout' | 'driver stopped';

/** Executors by id, with the loss rule. */
export class ExecutorRegistry {
  private readonly entries = new Map<string, ExecutorEntry>();
  private nextId = 0;
  /** Called once per executor declared lost. */
  onLost: (entry: ExecutorEntry, reason: LossReason) => void = () => {};
  /** Called on each registration. */
  onAdded: (entry: ExecutorEntry) => void = () => {};

  constructor(
    /** Milliseconds without a heartbeat after which an executor is lost. */
    readonly heartbeatTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers an executor and returns its entry (with a fresh id). */
  register(info: ExecutorInfo): ExecutorEntry {
    const at = this.now();
    const entry: ExecutorEntry = { ...info, id: String(this.nextId++), registeredAt: at, lastHeartbeat: at };
    this.entries.set(entry.id, entry);
    this.onAdded(entry);
    return entry;
  }

  /** Records a heartbeat; false when the id is unknown or already lost (the executor should exit). */
  heartbeat(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry || entry.lost) return false;
    entry.lastHeartbeat = this.now();
    return true;
  }

  /** Declares `id` lost (no-op if unknown or already lost). */
  lose(id: string, reason: LossReason): void {
    const entry = this.entries.get(id);
    if (!entry || entry.lost) return;
    entry.lost = { at: this.now(), reason };
    this.onLost(entry, reason);
  }

  /** Declares lost every live executor whose last heartbeat is older than the timeout; returns their ids. */
  expire(): string[] {
    const now = this.now();
    const expired: string[] = [];
    for (const entry of this.entries.values()) {
      if (!entry.lost && now - entry.lastHeartbeat > this.heartbeatTimeoutMs) expired.push(entry.id);
    }
    for (const id of expired) this.lose(id, 'heartbeat timeout');
    return expired;
  }

  /** Live executors, in registration order. */
  alive(): ExecutorEntry[] {
    return [...this.entries.values()].filter((e) => !e.lost);
  }

  /** Every executor ever registered (live and lost). */
  all(): ExecutorEntry[] {
    return [...this.entries.values()];
  }
}
