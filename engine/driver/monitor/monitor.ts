// A context's monitoring: the recorder, the status store, the event log and the UI
// server, wired together. Policy: each event goes to the log first (so a crash loses
// at most what had not happened yet), then to the store the UI reads. Nothing here
// starts unless asked: without eventLog and ui a context has no monitor at all.
import type { SparkEvent } from './events.js';
import { EventLogWriter } from './event-log-writer.js';
import { EventRecorder, type AppDescription } from './recorder.js';
import { StatusStore } from './status-store.js';
import type { UiOptions, UiServer } from '../ui/server.js';
import type { JobListener } from '../plan/dag-scheduler.js';

/** What to monitor with. */
export interface MonitorOptions {
  /** Directory of event logs. */
  readonly eventLog?: string | undefined;
  /** Serve the UI (true: 127.0.0.1:4040, or the next free port). */
  readonly ui?: boolean | UiOptions | undefined;
}

/** A started monitor. */
export class Monitor {
  private constructor(
    readonly recorder: EventRecorder,
    readonly store: StatusStore,
    private readonly log: EventLogWriter | undefined,
    private server: UiServer | undefined,
  ) {}

  /** Starts what `options` ask for; undefined when they ask for nothing. */
  static async start(options: MonitorOptions, app: AppDescription): Promise<Monitor | undefined> {
    const uiOptions = options.ui === true ? {} : options.ui || undefined;
    if (!options.eventLog && !uiOptions) return undefined;
    const store = new StatusStore();
    const log = options.eventLog ? new EventLogWriter(options.eventLog, app.id) : undefined;
    const emit = (e: SparkEvent): void => {
      log?.write(e);
      store.apply(e);
    };
    const recorder = new EventRecorder(emit, app);
    recorder.start();
    const monitor = new Monitor(recorder, store, log, undefined);
    if (uiOptions) {
      const { UiServer } = await import('../ui/server.js');
      try {
        monitor.server = await UiServer.start({ list: () => [store], get: (id) => (id === store.id ? store : undefined), history: false }, uiOptions);
      } catch (e) {
        monitor.close();
        throw e;
      }
    }
    return monitor;
  }

  /** The listener the scheduler calls. */
  get listener(): JobListener {
    return this.recorder;
  }

  /** The UI's URL, with its token when it needs one. */
  get uiUrl(): string | undefined {
    return this.server?.url;
  }

  /** Where the event log is being written. */
  get eventLogPath(): string | undefined {
    return this.log?.path;
  }

  /** Ends the application: the last event, the log's final name, the server stopped. */
  async close(): Promise<void> {
    this.recorder.end();
    this.log?.close();
    await this.server?.close();
    this.server = undefined;
  }
}

const EVENTS = ['onJobStart', 'onJobEnd', 'onStageSubmitted', 'onStageCompleted', 'onTaskStart', 'onTaskEnd'] as const;

/** A listener that calls `first` then `second` for every event (either may be absent). */
export function chainListeners(first: JobListener | undefined, second: JobListener | undefined): JobListener | undefined {
  if (!first || !second) return first ?? second;
  const out: Record<string, (...args: unknown[]) => void> = {};
  for (const e of EVENTS) {
    out[e] = (...args: unknown[]) => {
      (first[e] as ((...a: unknown[]) => void) | undefined)?.apply(first, args);
      (second[e] as ((...a: unknown[]) => void) | undefined)?.apply(second, args);
    };
  }
  return out as JobListener;
}
