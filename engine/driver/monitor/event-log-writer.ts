// The event log writer. Policy (Spark's EventLoggingListener): one JSON Lines file per
// application in the event-log directory, named by the application id, with the
// suffix ".inprogress" while the application runs; each event is one write(2) of one
// complete line, so a killed process leaves a log that is readable up to its last
// complete event. close() renames the file to its final name (an atomic rename: a log
// without the suffix is a finished application's whole log).
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../common/errors.js';
import type { SparkEvent } from './events.js';

/** Suffix of a log being written (Spark's EventLogFileWriters.IN_PROGRESS). */
export const IN_PROGRESS = '.inprogress';

/** Appends events to `DIR/APP_ID.inprogress`; close() makes it `DIR/APP_ID`. */
export class EventLogWriter {
  private fd: number | undefined;
  /** Where the log is being written now. */
  readonly path: string;
  /** Where it will be once closed. */
  readonly finalPath: string;

  constructor(dir: string, appId: string) {
    this.finalPath = join(dir, appId);
    this.path = this.finalPath + IN_PROGRESS;
    try {
      mkdirSync(dir, { recursive: true });
      // 'wx': an application id is unique; never append to someone else's log.
      this.fd = openSync(this.path, 'wx', 0o640);
    } catch (e) {
      throw new KilnError('usage', `cannot write the event log in ${dir}: ${(e as Error).message}; pass a writable directory as eventLog (--event-log, KILN_EVENT_LOG)`, {}, { cause: e });
    }
  }

  /** Writes one event as one line. */
  write(event: SparkEvent): void {
    if (this.fd === undefined) return;
    const line = Buffer.from(`${JSON.stringify(event)}\n`);
    // One call per line, looping only on a short write (a full disk fails loudly).
    let off = 0;
    while (off < line.length) off += writeSync(this.fd, line, off, line.length - off);
  }

  /** Flushes, closes and renames the log to its final name. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fsyncSync(fd);
    closeSync(fd);
    renameSync(this.path, this.finalPath);
  }
}
