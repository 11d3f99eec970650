// Joins in a worker: one partition of a cogroup, an equi-join, a joinWhere or a
// cartesian product. Policy: each side is loaded once as rows of (key bytes, key,
// value). Key bytes are the canonical encoding (engine/common/codec/key-codec.ts), taken as
// they lie from a keyed shuffle read and encoded here for unshuffled sides, so keys
// are equal exactly when their bytes are, and the bytes' order is the key order. Hash
// joins look key bytes up in a Map; merge joins sort each side's key bytes with the
// partitioned-sort kernel (stable: equal keys keep their input order) and pair equal
// runs left-major. Only output rows become JS objects beyond the side rows.
import { ByteReader, ByteWriter, readKey, readValue, writeKey } from '../../common/codec/index.js';
import { compute, pair, type Emit } from '../runtime/compute.js';
import type { JoinTaskSpec, NodeSpec } from '../../common/protocol/protocol.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from '../runtime/task-context.js';
import { KilnError } from '../../common/errors.js';
import { PartitionedSorter } from '../kernels/sort.js';
import type { Region } from '../memory/region.js';
import { locateSegments } from '../shuffle/reader.js';
import type { ShippedFunction } from '../../common/functions/index.js';

/** One side of a join partition, as parallel arrays. */
export interface SideRows {
  /** Canonical key bytes as a Latin-1 string (one char per byte: `<` is byte order). */
  readonly kb: string[];
  readonly keys: unknown[];
  readonly values: unknown[];
}

function emptyRows(): SideRows {
  return { kb: [], keys: [], values: [] };
}

/** Receives one row of a side: key bytes (Latin-1 string), key, value. */
export type RowVisitor = (kb: string, key: unknown, value: unknown) => void;

/** Visits the rows of a side in order: keyed shuffle reads directly, anything else computed and encoded. */
export function eachRow(node: NodeSpec, ctx: TaskContext, operator: string, visit: RowVisitor): void {
  if (node.t === 'concat') {
    for (const part of node.parts) eachRow(part, ctx, operator, visit);
    return;
  }
  if (node.t === 'shuffle' && node.read.format === 'keyed') return eachKeyedRow(node, ctx, visit);
  const w = new ByteWriter(64);
  let n = 0;
  compute(node, ctx, (rec) => {
    const [k, v] = pair(rec, operator);
    w.reset();
    try {
      writeKey(w, k);
    } catch (e) {
      if (e instanceof KilnError && e.kind === 'usage') throw new KilnError('usage', `${operator}: ${e.message}`, { operator }, { cause: e });
      throw e;
    }
    if (++n % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
    visit(w.buf.toString('latin1', 0, w.pos), k, v);
  });
}

/** Loads the rows of a side. */
export function readSide(node: NodeSpec, ctx: TaskContext, operator: string): SideRows {
  const rows = emptyRows();
  eachRow(node, ctx, operator, (kb, key, value) => {
    rows.kb.push(kb);
    rows.keys.push(key);
    rows.values.push(value);
  });
  return rows;
}

/** Visits the (varint key length, key bytes, value) records of a keyed shuffle read. */
function eachKeyedRow(node: Extract<NodeSpec, { t: 'shuffle' }>, ctx: TaskContext, visit: RowVisitor): void {
  const scratch: Region[] = [];
  let n = 0;
  try {
    const u8 = ctx.rt.u8;
    const buf = Buffer.from(u8.buffer, u8.byteOffset, u8.length);
    for (const s of locateSegments(node.read, ctx, scratch)) {
      ctx.metrics.shuffleReadBytes += s.len;
      const end = s.ptr + s.len;
      const r = new ByteReader(u8, s.ptr, end);
      while (!r.done) {
        // Varint key length, the key's canonical bytes, then one encoded value.
        const len = r.readVarUint();
        const at = r.offset;
        const kb = buf.toString('latin1', at, at + len);
        const key = readKey(r, at + len);
        const value = readValue(r);
        if (++n % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
        visit(kb, key, value);
      }
    }
  } finally {
    ctx.metrics.shuffleReadRecords += n;
    for (const region of scratch) ctx.rt.allocator.release(region);
  }
}

/**
 * Emits the records of one partition of an equi-join. A hash join loads only its
 * build side and streams the other through the table; a merge join loads both.
 */
export function computeJoin(spec: JoinTaskSpec, ctx: TaskContext, emit: Emit): void {
  if (spec.algorithm === 'merge') {
    const left = readSide(spec.left, ctx, spec.operator);
    const right = readSide(spec.right, ctx, spec.operator);
    ctx.checkCancelled();
    return mergeJoin(spec.type, left, right, ctx, emit);
  }
  const build = readSide(spec.build === 'left' ? spec.left : spec.right, ctx, spec.operator);
  ctx.checkCancelled();
  const stream = (visit: RowVisitor): void => eachRow(spec.build === 'left' ? spec.right : spec.left, ctx, spec.operator, visit);
  return hashJoin(spec.type, spec.build, build, stream, emit);
}

/** What a join emits for a matched pair and for unmatched rows of each side. */
interface Output {
  readonly pair: (l: number, r: number) => void;
  readonly leftOnly: ((l: number) => void) | undefined;
  readonly rightOnly: ((r: number) => void) | undefined;
}

function outputOf(type: JoinTaskSpec['type'], left: SideRows, right: SideRows, emit: Emit): Output {
  const keepLeft = type === 'left' || type === 'full';
  const keepRight = type === 'right' || type === 'full';
  return {
    pair: (l, r) => emit([left.keys[l], [left.values[l], right.values[r]]]),
    leftOnly: keepLeft ? (l) => emit([left.keys[l], [left.values[l], null]]) : undefined,
    rightOnly: keepRight ? (r) => emit([right.keys[r], [null, right.values[r]]]) : undefined,
  };
}

/**
 * Hash join: a table of the build side's key bytes, probed by the other side's rows
 * in their order as `stream` visits them.
 */
export function hashJoin(type: JoinTaskSpec['type'], build: 'left' | 'right', b: SideRows, stream: (visit: RowVisitor) => void, emit: Emit): void {
  // A key's rows: one index as a number (the common case, no array), or an array of them.
  const table = new Map<string, number | number[]>();
  for (let i = 0; i < b.kb.length; i++) {
    const k = b.kb[i]!;
    const had = table.get(k);
    if (had === undefined) table.set(k, i);
    else if (typeof had === 'number') table.set(k, [had, i]);
    else had.push(i);
  }
  const keepLeft = type === 'left' || type === 'full';
  const keepRight = type === 'right' || type === 'full';
  if (type === 'semi' || type === 'anti') {
    const want = type === 'semi';
    if (build === 'right') {
      stream((kb, key, value) => {
        if (table.has(kb) === want) emit([key, value]);
      });
      return;
    }
    const matched = new Uint8Array(b.kb.length);
    stream((kb) => {
      const list = table.get(kb);
      if (typeof list === 'number') matched[list] = 1;
      else if (list) for (const l of list) matched[l] = 1;
    });
    for (let l = 0; l < b.kb.length; l++) if ((matched[l] === 1) === want) emit([b.keys[l], b.values[l]]);
    return;
  }
  const streamKeeps = build === 'right' ? keepLeft : keepRight;
  const buildKeeps = build === 'right' ? keepRight : keepLeft;
  const matched = buildKeeps ? new Uint8Array(b.kb.length) : undefined;
  const bv = b.values;
  stream((kb, key, value) => {
    const list = table.get(kb);
    if (list === undefined) {
      if (streamKeeps) emit(build === 'right' ? [key, [value, null]] : [key, [null, value]]);
    } else if (typeof list === 'number') {
      if (matched) matched[list] = 1;
      emit(build === 'right' ? [key, [value, bv[list]]] : [b.keys[list], [bv[list], value]]);
    } else {
      for (const j of list) {
        if (matched) matched[j] = 1;
        emit(build === 'right' ? [key, [value, bv[j]]] : [b.keys[j], [bv[j], value]]);
      }
    }
  });
  if (matched) {
    for (let j = 0; j < b.kb.length; j++) {
      if (matched[j] === 0) emit(build === 'right' ? [b.keys[j], [null, bv[j]]] : [b.keys[j], [bv[j], null]]);
    }
  }
}

/** The permutation that orders a side by key bytes (partitioned-sort kernel, stable). */
function sortedOrder(rows: SideRows, ctx: TaskContext): Uint32Array {
  const n = rows.kb.length;
  if (n === 0) return new Uint32Array(0);
  let total = 0;
  for (const k of rows.kb) total += k.length;
  const keys = ctx.rt.allocator.alloc(Math.max(1, total));
  const offsets = ctx.rt.allocator.alloc(4 * (n + 1));
  const sorter = new PartitionedSorter(ctx.rt);
  try {
    // A view of just the key region: Buffer.write into a view of the whole (> 2 GiB)
    // memory wrote nothing and returned 0 on Node 20.
    const buf = Buffer.from(ctx.rt.u8.buffer, keys.ptr, Math.max(1, total));
    const offs = ctx.rt.u32(offsets.ptr, n + 1);
    let at = 0;
    for (let i = 0; i < n; i++) {
      offs[i] = at;
      at += buf.write(rows.kb[i]!, at, 'latin1');
    }
    offs[n] = at;
    if (at !== total) throw new KilnError('internal', `join: wrote ${at} of ${total} key bytes for the sort`);
    return sorter.sort({ keys: keys.ptr, offsets: offsets.ptr, n, numPartitions: 1 }).slice();
  } finally {
    sorter.release();
    ctx.rt.allocator.release(keys);
    ctx.rt.allocator.release(offsets);
  }
}

/** Sort-merge join: both sides ordered by key bytes, runs of equal keys paired left-major in input order. */
export function mergeJoin(type: JoinTaskSpec['type'], left: SideRows, right: SideRows, ctx: TaskContext, emit: Emit): void {
  const lo = sortedOrder(left, ctx);
  const ro = sortedOrder(right, ctx);
  const semi = type === 'semi';
  const anti = type === 'anti';
  const out = outputOf(type, left, right, emit);
  let i = 0;
  let j = 0;
  const nl = lo.length;
  const nr = ro.length;
  while (i < nl || j < nr) {
    const lk = i < nl ? left.kb[lo[i]!]! : undefined;
    const rk = j < nr ? right.kb[ro[j]!]! : undefined;
    if (rk === undefined || (lk !== undefined && lk < rk)) {
      // A left run with no match.
      let e = i + 1;
      while (e < nl && left.kb[lo[e]!] === lk) e++;
      for (let x = i; x < e; x++) {
        if (anti) emit([left.keys[lo[x]!], left.values[lo[x]!]]);
        else out.leftOnly?.(lo[x]!);
      }
      i = e;
    } else if (lk === undefined || rk < lk) {
      let e = j + 1;
      while (e < nr && right.kb[ro[e]!] === rk) e++;
      if (out.rightOnly && !semi && !anti) for (let y = j; y < e; y++) out.rightOnly(ro[y]!);
      j = e;
    } else {
      let ei = i + 1;
      while (ei < nl && left.kb[lo[ei]!] === lk) ei++;
      let ej = j + 1;
      while (ej < nr && right.kb[ro[ej]!] === rk) ej++;
      if (semi) for (let x = i; x < ei; x++) emit([left.keys[lo[x]!], left.values[lo[x]!]]);
      else if (!anti) for (let x = i; x < ei; x++) for (let y = j; y < ej; y++) out.pair(lo[x]!, ro[y]!);
      i = ei;
      j = ej;
    }
  }
}

/** Emits the [key, [values of each part]] groups of one cogroup partition. */
export function computeCogroup(parts: readonly NodeSpec[], operator: string, ctx: TaskContext, emit: Emit): void {
  const groups = new Map<string, [unknown, unknown[][]]>();
  parts.forEach((part, side) => {
    const rows = readSide(part, ctx, operator);
    for (let i = 0; i < rows.kb.length; i++) {
      let g = groups.get(rows.kb[i]!);
      if (!g) {
        g = [rows.keys[i], parts.map(() => [])];
        groups.set(rows.kb[i]!, g);
      }
      g[1][side]!.push(rows.values[i]);
    }
  });
  for (const g of groups.values()) emit(g);
}

/** Records of a node, in order. */
function records(node: NodeSpec, ctx: TaskContext): unknown[] {
  const out: unknown[] = [];
  compute(node, ctx, (x) => out.push(x));
  return out;
}

/** Every (x, y) of left x right (kept when the predicate holds), left-major. */
export function computeCartesian(left: NodeSpec, right: NodeSpec, predicate: ShippedFunction | undefined, ctx: TaskContext, emit: Emit): void {
  const ys = records(right, ctx);
  const keep = predicate ? ctx.fn<(x: unknown, y: unknown) => unknown>(predicate) : undefined;
  let n = 0;
  compute(left, ctx, (x) => {
    for (const y of ys) {
      if (++n % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
      if (!keep || keep(x, y)) emit([x, y]);
    }
  });
}

/**
 * joinWhere by nested loop over a whole build side. Unmatched stream rows are padded
 * with null for the outer side the join keeps; 'leftUnmatched' / 'rightUnmatched'
 * emit only the stream rows that match nothing (the second half of a full join).
 */
export function computeNestedLoop(spec: Extract<NodeSpec, { t: 'nestedLoop' }>, ctx: TaskContext, emit: Emit): void {
  const pred = ctx.fn<(x: unknown, y: unknown) => unknown>(spec.predicate);
  const buildLeft = spec.build === 'left';
  const whole = records(buildLeft ? spec.left : spec.right, ctx);
  const type = spec.type;
  const keepStream = buildLeft ? type === 'right' || type === 'rightUnmatched' : type === 'left' || type === 'leftUnmatched';
  const onlyUnmatched = type === 'leftUnmatched' || type === 'rightUnmatched';
  let n = 0;
  compute(buildLeft ? spec.right : spec.left, ctx, (s) => {
    let matched = false;
    for (const b of whole) {
      if (++n % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
      const [x, y] = buildLeft ? [b, s] : [s, b];
      if (pred(x, y)) {
        matched = true;
        if (onlyUnmatched) break;
        emit([x, y]);
      }
    }
    if (!matched && keepStream) emit(buildLeft ? [null, s] : [s, null]);
  });
}
