// The event log reader. Policy: a log is read in large chunks and cut at newlines by
// hand (Buffer.indexOf), one JSON.parse per line — the fastest way Node has to replay
// a log of a gigabyte (bench/history.ts). A last line without its newline is a log cut
// short by a killed process: it is dropped if it does not parse and the log loads up
// to its last complete event, as Spark's history server does with an in-progress log.
// A bad line anywhere else is damage: the error names the file and line.
import { closeSync, openSync, readSync } from 'node:fs';
import { KilnError } from '../errors.js';
import type { SparkEvent } from './events.js';

/** How a log read went. */
export interface ReadSummary {
  /** Events read. */
  readonly events: number;
  /** Whether the last line was cut short (and dropped). */
  readonly truncated: boolean;
  readonly bytes: number;
}

const CHUNK = 16 << 20;

/** Reads the events of `path` in order, calling `onEvent` for each. */
export function readEventLog(path: string, onEvent: (event: SparkEvent) => void): ReadSummary {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new KilnError('usage', `cannot read the event log ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  let events = 0;
  let line = 0;
  let bytes = 0;
  let carry: Buffer = Buffer.alloc(0);
  const parse = (text: string): void => {
    line++;
    if (text.length === 0) return;
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (e) {
      throw new KilnError('usage', `${path}:${line}: not a JSON event (${(e as Error).message}); the log is damaged before its last line — remove the file or the line`, { file: path });
    }
    if (typeof event !== 'object' || event === null || typeof (event as SparkEvent).Event !== 'string') {
      throw new KilnError('usage', `${path}:${line}: not an event (no "Event" field); is this a kiln or Spark event log?`, { file: path });
    }
    events++;
    onEvent(event as SparkEvent);
  };
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, null);
      if (n === 0) break;
      bytes += n;
      const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        parse(buf.toString('utf8', start, nl));
        start = nl + 1;
      }
      // Copied: `chunk` is reused by the next read.
      carry = Buffer.from(buf.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
  let truncated = false;
  if (carry.length > 0) {
    const text = carry.toString('utf8');
    try {
      JSON.parse(text);
      parse(text);
    } catch {
      truncated = true;
    }
  }
  return { events, truncated, bytes };
}
