// Result sinks: what the last stage's task does with its partition (Spark's
// ResultTask function). Policy: do as much as possible in the worker — count, fold,
// keep the top n, sample keys — so only small results cross back to the driver.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { compareKeys, encodeKey } from '../../common/codec/index.js';
import { compute, pair, StopTask, type Emit } from './compute.js';
import { seededRandom } from '../../common/seeded-random.js';
import { collectTable } from '../shuffle/reader.js';
import type { NodeSpec, SinkSpec } from '../../common/protocol/protocol.js';
import { writeSortedLines } from '../shuffle/line-sort-reader.js';
import type { TaskContext } from './task-context.js';
import { formatRecord } from './text-format.js';
import { hllSink } from './hll-sink.js';
import { statsSink } from './stats-sink.js';
import { saveRecords } from '../storage/checkpoint-sink.js';
import { GZIP_EXTENSION, gzipMember } from '../io/gzip.js';

/** Runs a result task: computes `node` into `sink`; returns what goes back to the driver. */
export function runResultSink(node: NodeSpec, sink: Exclude<SinkSpec, { t: 'shuffleWrite' }>, ctx: TaskContext): unknown {
  switch (sink.t) {
    case 'collect': {
      if (sink.limit === undefined && node.t === 'shuffle') {
        const batch = collectTable(node.read, ctx);
        if (batch) return batch;
      }
      const out: unknown[] = [];
      const limit = sink.limit ?? Infinity;
      if (limit <= 0) return out;
      run(node, ctx, (x) => {
        out.push(x);
        if (out.length >= limit) throw new StopTask();
      });
      return out;
    }
    case 'count': {
      // A stored block knows its record count: no record is decoded (engine/executor/storage/).
      if (node.t === 'cached') return node.records;
      let n = 0;
      run(node, ctx, () => void n++);
      return n;
    }
    case 'fold': {
      const f = ctx.fn<(a: unknown, b: unknown) => unknown>(sink.fn);
      let acc: unknown = sink.zero ? structuredClone(sink.zero.value) : undefined;
      let empty = !sink.zero;
      run(node, ctx, (x) => {
        if (empty) {
          acc = x;
          empty = false;
        } else acc = f(acc, x);
      });
      return empty ? { empty: true } : { value: acc };
    }
    case 'foreach': {
      const f = ctx.fn<(x: unknown) => unknown>(sink.fn);
      if (!sink.perPartition) {
        run(node, ctx, (x) => void f(x));
        return null;
      }
      const records: unknown[] = [];
      run(node, ctx, (x) => records.push(x));
      f(records[Symbol.iterator]());
      return null;
    }
    case 'takeOrdered': {
      if (sink.key) {
        // Spark's key function: each record's key computed once, kept beside it.
        const key = ctx.fn<(x: unknown) => unknown>(sink.key);
        const byKey = (a: unknown, b: unknown): number => compareKeys((a as [unknown, unknown])[0], (b as [unknown, unknown])[0]);
        const order = sink.descending ? (a: unknown, b: unknown) => byKey(b, a) : byKey;
        return takeOrdered(node, ctx, sink.n, order, (x) => [key(x), x]).map((kx) => (kx as [unknown, unknown])[1]);
      }
      const cmp = sink.compare ? ctx.fn<(a: unknown, b: unknown) => number>(sink.compare) : compareKeys;
      const order = sink.descending ? (a: unknown, b: unknown) => cmp(b, a) : cmp;
      return takeOrdered(node, ctx, sink.n, order);
    }
    case 'sampleKeys': {
      // Reservoir sample of keys (Spark's RangePartitioner sketch), with the count so
      // the driver can weight partitions of different sizes.
      const sample: Uint8Array[] = [];
      const rand = seededRandom(sink.seed ^ Math.imul(ctx.spec.partition + 1, 0x85ebca6b));
      let seen = 0;
      run(node, ctx, (x) => {
        const key = pair(x, 'sortByKey')[0];
        seen++;
        if (sample.length < sink.size) sample.push(encodeKey(key));
        else {
          const j = Math.floor(rand() * seen);
          if (j < sink.size) sample[j] = encodeKey(key);
        }
      });
      return { sample, seen };
    }
    case 'stats':
      return statsSink(node, sink.update, ctx);
    case 'hll':
      return hllSink(node, sink.precision, ctx);
    case 'saveText': {
      const name = `part-${String(ctx.spec.partition).padStart(5, '0')}${sink.compression === 'gzip' ? GZIP_EXTENSION : ''}`;
      return saveText(node, join(sink.dir, name), ctx, sink.compression === 'gzip' ? gzipMember : undefined);
    }
    case 'saveRecords':
      return saveRecords(join(sink.dir, `part-${String(ctx.spec.partition).padStart(5, '0')}`), (emit) => run(node, ctx, emit));
    case 'writeLines':
      return writeSortedLines(node, sink.target, ctx);
  }
}

function run(node: NodeSpec, ctx: TaskContext, emit: Emit): void {
  try {
    compute(node, ctx, (x) => {
      ctx.metrics.resultRecords++;
      emit(x);
    });
  } catch (e) {
    if (!(e instanceof StopTask)) throw e;
  }
}

function takeOrdered(node: NodeSpec, ctx: TaskContext, n: number, cmp: (a: unknown, b: unknown) => number, decorate?: (x: unknown) => unknown): unknown[] {
  if (n <= 0) return [];
  // Keep at most 2n, trimming to n when full: O(records + records/n * n log n).
  let keep: unknown[] = [];
  run(node, ctx, (x) => {
    keep.push(decorate ? decorate(x) : x);
    if (keep.length >= 2 * n) keep = keep.sort(cmp).slice(0, n);
  });
  return keep.sort(cmp).slice(0, n);
}

function saveText(node: NodeSpec, path: string, ctx: TaskContext, encode?: (bytes: Uint8Array) => Uint8Array): number {
  const fd = openSync(path, 'w');
  let buffered: string[] = [];
  let size = 0;
  let written = 0;
  const flush = (): void => {
    if (buffered.length === 0) return;
    const text = Buffer.from(buffered.join(''), 'utf8');
    const bytes = encode ? encode(text) : text;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    written += bytes.length;
    buffered = [];
    size = 0;
  };
  try {
    run(node, ctx, (x) => {
      const line = `${formatRecord(x)}\n`;
      buffered.push(line);
      size += line.length;
      if (size > 1 << 20) flush();
    });
    flush();
  } finally {
    closeSync(fd);
  }
  return written;
}

/** How saveAsTextFile writes a record (engine/executor/runtime/text-format.ts). */
export { formatRecord };
