// Computing one partition in a worker: the NodeSpec tree, run push-style. Policy:
// narrow operators are pipelined inside the task as nested callbacks — one function
// call per operator per record, no intermediate arrays or generators — because this
// loop is the JS path's hot loop. Sources push records; operators that need the whole
// partition as an iterator (mapPartitions) buffer their parent partition.
// An `emit` returns nothing; a consumer that has had enough (take) throws StopTask.
import { Buffer, isAscii } from 'node:buffer';
import { KilnError } from '../../common/errors.js';
import { compareKeys } from '../../common/codec/index.js';
import type { FileSplit } from '../io/index.js';
import { isCompressedPath, readCompressedChunks } from '../io/compressed.js';
import { readWholeFile } from '../io/whole-file.js';
import { runPipe } from './pipe.js';
import { readShuffle } from '../shuffle/reader.js';
import { readGrep } from './grep-source.js';
import { computeCartesian, computeCogroup, computeJoin, computeNestedLoop } from '../join/compute.js';
import type { NodeSpec, OpSpec } from '../../common/protocol/protocol.js';
import { seededRandom } from '../../common/seeded-random.js';
import { computeAndStore, readStoredBlock } from '../storage/block-io.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from './task-context.js';
import type { TextEncoding } from '../../common/io/text-encoding.js';

import type { Emit } from '../../common/emit.js';
export type { Emit };

/** Thrown by a consumer to end the partition early (take, first). */
export class StopTask extends Error {
  constructor() {
    super('stop');
  }
}

/** Pushes every record of `node` to `emit`. */
export function compute(node: NodeSpec, ctx: TaskContext, emit: Emit): void {
  switch (node.t) {
    case 'text':
      for (const split of node.splits) readLines(split, node.encoding, ctx, emit);
      return;
    case 'words':
      for (const split of node.splits) readWords(split, node.lowercase, node.nonAlnum, node.encoding, ctx, emit);
      return;
    case 'grep':
      readGrep(node, ctx, emit);
      return;
    case 'slice': {
      let i = 0;
      for (const x of node.data) {
        if (++i % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
        emit(x);
      }
      ctx.metrics.inputRecords += node.data.length;
      return;
    }
    case 'empty':
      return;
    case 'cached':
      readStoredBlock(node, ctx, emit);
      return;
    case 'persist':
      computeAndStore(node, ctx, (n, e) => compute(n, ctx, e), emit);
      return;
    case 'shuffle':
      readShuffle(node.read, ctx, emit);
      return;
    case 'concat':
      for (const part of node.parts) compute(part, ctx, emit);
      return;
    case 'zip': {
      const a: unknown[] = [];
      const b: unknown[] = [];
      compute(node.parts[0], ctx, (x) => a.push(x));
      compute(node.parts[1], ctx, (x) => b.push(x));
      if (a.length !== b.length) {
        throw new KilnError('usage', `zip needs the same number of records in each partition, got ${a.length} and ${b.length} in partition ${ctx.spec.partition}; zipWithIndex() and a join pair records of datasets cut differently`);
      }
      for (let i = 0; i < a.length; i++) emit([a[i], b[i]]);
      return;
    }
    case 'op':
      applyOp(node.op, node.parent, ctx, emit);
      return;
    case 'join':
      return computeJoin(node.join, ctx, emit);
    case 'cogroup':
      return computeCogroup(node.parts, node.operator, ctx, emit);
    case 'cartesian':
      return computeCartesian(node.left, node.right, node.predicate, ctx, emit);
    case 'nestedLoop':
      return computeNestedLoop(node, ctx, emit);
  }
}

function applyOp(op: OpSpec, parent: NodeSpec, ctx: TaskContext, emit: Emit): void {
  switch (op.kind) {
    case 'map': {
      const f = ctx.fn<(x: unknown) => unknown>(op.fn);
      return compute(parent, ctx, (x) => emit(f(x)));
    }
    case 'keyBy': {
      const f = ctx.fn<(x: unknown) => unknown>(op.fn);
      return compute(parent, ctx, (x) => emit([f(x), x]));
    }
    case 'filter': {
      const f = ctx.fn<(x: unknown) => unknown>(op.fn);
      return compute(parent, ctx, (x) => {
        if (f(x)) emit(x);
      });
    }
    case 'flatMap': {
      const f = ctx.fn<(x: unknown) => Iterable<unknown>>(op.fn);
      return compute(parent, ctx, (x) => {
        const out = f(x);
        if (Array.isArray(out)) for (let i = 0; i < out.length; i++) emit(out[i]);
        else for (const y of iterableOf(out, 'flatMap')) emit(y);
      });
    }
    case 'mapValues': {
      const f = ctx.fn<(v: unknown) => unknown>(op.fn);
      return compute(parent, ctx, (x) => {
        const [k, v] = pair(x, 'mapValues');
        emit([k, f(v)]);
      });
    }
    case 'flatMapValues': {
      const f = ctx.fn<(v: unknown) => Iterable<unknown>>(op.fn);
      return compute(parent, ctx, (x) => {
        const [k, v] = pair(x, 'flatMapValues');
        for (const y of iterableOf(f(v), 'flatMapValues')) emit([k, y]);
      });
    }
    case 'keys':
      return compute(parent, ctx, (x) => emit(pair(x, 'keys')[0]));
    case 'sortPartition': {
      const keyfunc = ctx.fn<(k: unknown) => unknown>(op.keyfunc);
      const decorated: [unknown, unknown][] = [];
      compute(parent, ctx, (x) => decorated.push([keyfunc(pair(x, 'repartitionAndSortWithinPartitions')[0]), x]));
      // Array.prototype.sort is stable: equal keys keep their order.
      decorated.sort(op.ascending ? (a, b) => compareKeys(a[0], b[0]) : (a, b) => compareKeys(b[0], a[0]));
      for (const d of decorated) emit(d[1]);
      return;
    }
    case 'readWholeFile':
      return compute(parent, ctx, (path) => emit([path, readWholeFile(path as string)]));
    case 'pipe': {
      const records: unknown[] = [];
      compute(parent, ctx, (x) => records.push(x));
      for (const line of runPipe(op.command, op.env, records, ctx)) emit(line);
      return;
    }
    case 'values':
      return compute(parent, ctx, (x) => emit(pair(x, 'values')[1]));
    case 'mapPartitions': {
      const records: unknown[] = [];
      compute(parent, ctx, (x) => records.push(x));
      const out = ctx.fn<(it: Iterator<unknown>) => Iterable<unknown>>(op.fn)(records[Symbol.iterator]());
      for (const y of iterableOf(out, op.kind)) emit(y);
      return;
    }
    case 'mapWithIndex': {
      const f = ctx.fn<(x: unknown, partition: number, i: number) => unknown>(op.fn);
      const p = op.index;
      let i = 0;
      return compute(parent, ctx, (x) => emit(f(x, p, i++)));
    }
    case 'mapPartitionsWithIndex': {
      const records: unknown[] = [];
      compute(parent, ctx, (x) => records.push(x));
      const out = ctx.fn<(i: number, it: Iterator<unknown>) => Iterable<unknown>>(op.fn)(op.index, records[Symbol.iterator]());
      for (const y of iterableOf(out, op.kind)) emit(y);
      return;
    }
    case 'sample': {
      const rand = seededRandom(op.seed ^ Math.imul(ctx.spec.partition + 1, 0x9e3779b1));
      return compute(parent, ctx, (x) => {
        if (!op.withReplacement) {
          if (rand() < op.fraction) emit(x);
          return;
        }
        // Poisson(fraction) copies, as Spark's PoissonSampler.
        const l = Math.exp(-op.fraction);
        let k = 0;
        let p = rand();
        while (p > l) {
          k++;
          p *= rand();
        }
        for (let i = 0; i < k; i++) emit(x);
      });
    }
  }
}

/**
 * Lines of a split, decoded as UTF-8, without their "\n" or "\r\n". A chunk is decoded
 * to one string and each line is sliced out just before it is emitted, not split into
 * an array of lines first: an array holding a 4 MiB chunk's ~50 000 lines keeps them
 * all alive across the young-generation collections that the operators' own garbage
 * triggers, so each collection copies (and soon promotes) the chunk's remaining lines
 * (process CPU 3.77 s -> 3.44 s on 43 MB; bench/README.md, "Engine (end to end)").
 */
function readLines(split: FileSplit, encoding: TextEncoding, ctx: TaskContext, emit: Emit): void {
  if (isCompressedPath(split.path)) {
    // Whole file, one task (engine/executor/io/compressed.ts): .gz, .zst and .bz2 are not split.
    ctx.metrics.inputBytes += readCompressedChunks(split.path, (bytes) => {
      ctx.checkCancelled();
      ctx.metrics.inputRecords += emitLines(decodeChunk(bytes, encoding), emit);
    });
    return;
  }
  const rt = ctx.rt;
  const { bytesRead } = ctx.reader.read(split, (ptr, len) => {
    ctx.checkCancelled();
    ctx.metrics.inputRecords += emitLines(decodeChunk(Buffer.from(rt.memory.buffer, ptr, len), encoding), emit);
  });
  ctx.metrics.inputBytes += bytesRead;
}

/**
 * Emits the lines of a chunk's text (whole lines: each ends in "\n" except possibly
 * the file's last) and returns their count. The loop is a function of its own, with
 * nothing after it but the return, because V8 compiles it on-stack (OSR) while it runs
 * over the first chunk: code after the loop has not run yet then, so it compiles to a
 * deoptimization. With the metrics update after the loop, every chunk of a task's
 * first split left the optimized code at the loop's end and started the next chunk
 * interpreted (~25 deoptimizations per 108 MB split, that split ~30% slower; see
 * bench/README.md, "Engine (end to end)").
 */
export function emitLines(text: string, emit: Emit): number {
  const end = text.length;
  let n = 0;
  for (let from = 0; from < end; n++) {
    let nl = text.indexOf('\n', from);
    if (nl < 0) nl = end;
    const stop = nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    emit(text.slice(from, stop));
    from = nl + 1;
  }
  return n;
}

/**
 * A chunk's text. ASCII (checked with SIMD, ~1 ms per 4 MiB here) is decoded as Latin-1,
 * which gives the same string: a copy of the bytes, where V8's UTF-8 decoder took
 * ~14 ms per 4 MiB (bench/README.md, "Engine (end to end)"); anything else as UTF-8.
 */
export function decodeChunk(bytes: Buffer, encoding: TextEncoding): string {
  return encoding === 'latin1' || isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** Words of a split (tokenizer kernel), decoded to strings for JS operators. */
function readWords(split: FileSplit, lowercase: boolean, nonAlnum: boolean, encoding: TextEncoding, ctx: TaskContext, emit: Emit): void {
  const rt = ctx.rt;
  const tokenizer = ctx.tokenizer(lowercase, nonAlnum);
  const { bytesRead } = ctx.reader.read(split, (ptr, len) => {
    ctx.checkCancelled();
    const buf = Buffer.from(rt.memory.buffer);
    // Chunks hold whole lines, so every word in one is complete (final).
    tokenizer.scan(ptr, len, true, (count, offset) => {
      const pairs = tokenizer.pairs;
      const base = ptr + offset;
      // A word ends at an ASCII byte, which no multi-byte sequence holds: decoding each
      // word alone gives exactly the strings of splitting the decoded line.
      for (let i = 0; i < count; i++) emit(buf.toString(encoding, base + pairs[2 * i]!, base + pairs[2 * i + 1]!));
      ctx.metrics.inputRecords += count;
    });
  });
  ctx.metrics.inputBytes += bytesRead;
}

/** Checks a pair-dataset record. */
export function pair(x: unknown, operator: string): [unknown, unknown] {
  if (!Array.isArray(x) || x.length !== 2) {
    throw new KilnError('usage', `${operator} needs [key, value] pairs, got ${describeValue(x)}; map records to [key, value] first`, { operator });
  }
  return x as [unknown, unknown];
}

function iterableOf(x: unknown, operator: string): Iterable<unknown> {
  if (x != null && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function') return x as Iterable<unknown>;
  throw new KilnError('usage', `the function passed to ${operator} must return an iterable (e.g. an array), got ${describeValue(x)}`, { operator });
}

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  return typeof x === 'string' ? `the string ${JSON.stringify(x.slice(0, 40))}` : typeof x;
}
