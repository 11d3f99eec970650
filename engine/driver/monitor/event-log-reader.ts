// The event log reader. Policy: a log is read in large chunks and cut at newlines by
// hand (Buffer.indexOf), one JSON.parse per line — the fastest way Node has to replay
// a log of a gigabyte (bench/history.ts). A last line without its newline is a log cut
// short by a killed process: it is dropped if it does not parse and the log loads up
// to its last complete event, as Spark's history server does with an in-progress log.
// A bad line anywhere else is damage: the error names the file and line.
import { closeSync, openSync, readSync } from 'node:fs';
import { KilnError } from '../../common/errors.js';
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
    // The unfinished line of one read is moved to the front of the buffer and the next
    // read lands after it: no copy of the whole chunk. Each chunk's complete lines are
    // decoded as one string (a newline never falls inside a UTF-8 sequence) and cut
    // with indexOf; JSON.parse takes the slices.
    let buf = Buffer.allocUnsafe(CHUNK);
    let kept = 0;
    for (;;) {
      if (kept === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, kept);
        buf = bigger;
      }
      const n = readSync(fd, buf, kept, buf.length - kept, null);
      if (n === 0) break;
      bytes += n;
      const end = kept + n;
      const last = buf.lastIndexOf(10, end - 1);
      if (last < 0) {
        kept = end;
        continue;
      }
      const text = buf.toString('utf8', 0, last);
      let start = 0;
      for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
        parse(text.slice(start, nl));
        start = nl + 1;
      }
      parse(text.slice(start));
      kept = end - (last + 1);
      buf.copy(buf, 0, last + 1, end);
    }
    carry = Buffer.from(buf.subarray(0, kept));
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
