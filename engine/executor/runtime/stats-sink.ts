// stats()'s result task. Policy: fold the partition's numbers into a Welford state
// (engine/driver/api/stat-counter.ts) in one pass. When the partition is exactly
// `textFile(...).map(Number)` over plain files, the lines are parsed and folded by
// the stats kernel (kernels/stats.ts) straight from the split buffer, with no JS
// string or number per line; the lines it does not parse come back here for JS
// Number() and the same update, in order, so both paths give the same bits. Anything
// else runs the shipped update over the computed records.
import { Buffer } from 'node:buffer';
import { builtinSource } from '../../common/functions/builtins.js';
import type { ShippedFunction } from '../../common/functions/index.js';
import { isCompressedPath } from '../io/compressed.js';
import { STATS_BLOCK_BYTES, statsLines } from '../kernels/stats.js';
import { compute, StopTask } from './compute.js';
import type { NodeSpec } from '../../common/protocol/protocol.js';
import type { TaskContext } from './task-context.js';

/** The fold state (as engine/driver/api/stat-counter.ts's StatState). */
interface State {
  n: number;
  mu: number;
  m2: number;
  max: number;
  min: number;
}

/** Source of map(Number) as shipped (engine/common/functions/builtins.ts). */
const NUMBER_SOURCE = builtinSource(Number);

/** Folds the partition with `update` (Welford, with its number check); returns the state. */
export function statsSink(node: NodeSpec, update: ShippedFunction, ctx: TaskContext): State {
  const f = ctx.fn<(s: State, x: unknown) => State>(update);
  let s: State = { n: 0, mu: 0, m2: 0, max: -Infinity, min: Infinity };
  if (node.t === 'op' && node.op.kind === 'map' && node.op.fn.source === NUMBER_SOURCE && !node.op.fn.captures && node.parent.t === 'text' && !node.parent.splits.some((sp) => isCompressedPath(sp.path))) {
    return statsOfLines(node.parent, f, ctx);
  }
  try {
    compute(node, ctx, (x) => {
      ctx.metrics.resultRecords++;
      s = f(s, x);
    });
  } catch (e) {
    if (!(e instanceof StopTask)) throw e;
  }
  return s;
}

function statsOfLines(text: Extract<NodeSpec, { t: 'text' }>, f: (s: State, x: unknown) => State, ctx: TaskContext): State {
  const rt = ctx.rt;
  const block = rt.allocator.alloc(STATS_BLOCK_BYTES, 8);
  try {
    const state = new Float64Array(rt.memory.buffer, block.ptr, 5);
    state.set([0, 0, 0, -Infinity, Infinity]);
    for (const split of text.splits) {
      const { bytesRead } = ctx.reader.read(split, (ptr, len) => {
        ctx.checkCancelled();
        const lines = statsLines(rt, ptr, len, block.ptr, (start, end) => {
          // The JS path's value of this line: its text (as the line reader decodes it), Number().
          const bytes = Buffer.from(rt.memory.buffer, ptr + start, end - start);
          const line = text.encoding === 'latin1' ? bytes.toString('latin1') : bytes.toString('utf8');
          const v = new Float64Array(rt.memory.buffer, block.ptr, 5);
          const s = f({ n: v[0]!, mu: v[1]!, m2: v[2]!, max: v[3]!, min: v[4]! }, Number(line));
          v.set([s.n, s.mu, s.m2, s.max, s.min]);
        });
        ctx.metrics.inputRecords += lines;
        ctx.metrics.resultRecords += lines;
      });
      ctx.metrics.inputBytes += bytesRead;
    }
    const v = new Float64Array(rt.memory.buffer, block.ptr, 5);
    return { n: v[0]!, mu: v[1]!, m2: v[2]!, max: v[3]!, min: v[4]! };
  } finally {
    rt.allocator.release(block);
  }
}
