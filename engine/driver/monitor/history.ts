// The history provider (Spark's FsHistoryProvider): the applications of an event-log
// directory, each replayed into its own StatusStore. Policy: every regular file whose
// name does not start with "." or "_" is a log (a finished one, or ".inprogress");
// refresh() reloads only files whose size or modification time changed, so a running
// application's log is picked up as it grows; a log that cannot be read is reported,
// not fatal, as Spark's history server lists the rest.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../common/errors.js';
import { readEventLog } from './event-log-reader.js';
import { StatusStore } from './status-store.js';

/** A loaded log. */
interface Loaded {
  readonly size: number;
  readonly mtimeMs: number;
  readonly store: StatusStore;
  readonly truncated: boolean;
}

/** The applications of one event-log directory. */
export class HistoryProvider {
  private readonly loaded = new Map<string, Loaded>();
  /** Logs that failed to load, with why (file: message). */
  readonly problems = new Map<string, string>();
  /** Tells the history server it lists applications. */
  readonly history = true;

  constructor(readonly dir: string) {
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    } catch (e) {
      throw new KilnError('usage', `cannot read the event-log directory ${dir}: ${(e as Error).message}; pass the directory given to --event-log`, { file: dir }, { cause: e });
    }
  }

  /** Loads new and changed logs; drops deleted ones. Returns how many were (re)loaded. */
  refresh(): number {
    let count = 0;
    const seen = new Set<string>();
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith('.') || name.startsWith('_')) continue;
      const path = join(this.dir, name);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      seen.add(path);
      const had = this.loaded.get(path);
      if (had && had.size === st.size && had.mtimeMs === st.mtimeMs) continue;
      const store = new StatusStore();
      try {
        const summary = readEventLog(path, (e) => store.apply(e));
        this.loaded.set(path, { size: st.size, mtimeMs: st.mtimeMs, store, truncated: summary.truncated });
        this.problems.delete(path);
        count++;
      } catch (e) {
        this.problems.set(path, (e as Error).message);
        this.loaded.delete(path);
      }
    }
    for (const path of this.loaded.keys()) if (!seen.has(path)) this.loaded.delete(path);
    return count;
  }

  /** Every application, newest first. */
  list(): readonly StatusStore[] {
    return [...this.loaded.values()].map((l) => l.store).sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0));
  }

  /** One application by id. */
  get(id: string): StatusStore | undefined {
    for (const l of this.loaded.values()) if (l.store.id === id) return l.store;
    return undefined;
  }
}
