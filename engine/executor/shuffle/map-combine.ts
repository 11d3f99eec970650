// The map side of a JS combiner (reduceByKey(fn), aggregateByKey, combineByKey,
// foldByKey, distinct), bounded. Policy: records fold into a KeyedMap whose estimated
// size is reserved as it grows (combiner-memory.ts). A map-side combine need not be
// complete — the reduce side merges combiners anyway — so:
//  - when a reservation is refused, the map's contents are written to the shuffle
//    output as a block of their own, as they are, and the map starts over (no disk
//    runs, no merge on the map side);
//  - when combining does not pay — after PARTIAL_CHECK records the map holds more than
//    PARTIAL_RATIO entries per record, as with mostly-distinct keys — the map is
//    written out and the rest of the records pass through as [key, create(value)]
//    without a table (Spark SQL's partial-aggregation skip rule; the 100 000-record
//    and 0.5 figures are Spark's defaults). Not yet measured against flushing alone
//    here (bench/js-aggregation.ts is the script); KILN_MAP_COMBINE=flush turns the
//    rule off, to measure the other way.
import type { AggregatorSpec, BlockSpec, NodeSpec } from '../../common/protocol/protocol.js';
import { compute, pair } from '../runtime/compute.js';
import type { TaskContext } from '../runtime/task-context.js';
import { CombinerMemory, combinerLimit, trackedUpdate } from './combiner-memory.js';
import { combinerFunctions, KeyedMap } from './keyed-map.js';
import { writePartitioned, type ShuffleWriteSink } from './writer.js';

/** Records combined before the partial-aggregation rule is checked. */
const PARTIAL_CHECK = 100_000;
/** Entries per record above which combining stops. */
const PARTIAL_RATIO = 0.5;
/** Records between reservation checks. */
const CHECK_EVERY = 1024;

/** Runs a map task with a JS map-side combine; returns its blocks (one, or more when the map was emitted early). */
export function writeCombined(node: NodeSpec, sink: ShuffleWriteSink, agg: Exclude<AggregatorSpec, { kind: 'builtin' | 'lines' }>, ctx: TaskContext): BlockSpec[] {
  const first = agg.kind === 'first';
  const none = (): null => null;
  const { create, merge } = agg.kind === 'first' ? { create: none, merge: none } : combinerFunctions(agg, ctx);
  const operator = first ? 'distinct' : 'reduceByKey';
  const mode = first ? 'key' : 'pair';
  const memory = new CombinerMemory(combinerLimit(ctx));
  const skipRule = process.env['KILN_MAP_COMBINE'] !== 'flush';
  const blocks: BlockSpec[] = [];
  let map = new KeyedMap();
  // Entries written by earlier emits: the partial-aggregation rule counts them too.
  let emitted = 0;
  const emitMap = (): void => {
    if (map.size === 0) return;
    emitted += map.size;
    ctx.metrics.shuffleWriteRecords += map.size;
    blocks.push(writePartitioned(first ? map.keys() : map.pairs(), sink.partitioner, ctx, mode, operator, blocks.length + 1));
    map = new KeyedMap();
    memory.reset();
  };
  let combining = true;
  let seen = 0;
  // Passed-through records go into block 0, written as they come; emitted maps are blocks 1, 2, ...
  const through = writePartitioned(
    (push) => {
      compute(node, ctx, (rec) => {
        if (!combining) {
          if (first) push(rec);
          else {
            const [k, v] = pair(rec, operator);
            push([k, create(v)]);
          }
          return;
        }
        if (first) {
          const before = map.size;
          map.add(rec, none);
          if (map.size !== before) memory.added(rec, null);
        } else {
          const [k, v] = pair(rec, operator);
          trackedUpdate(map, memory, k, v, create, merge);
        }
        if (++seen % CHECK_EVERY !== 0) return;
        if (skipRule && seen === Math.ceil(PARTIAL_CHECK / CHECK_EVERY) * CHECK_EVERY && emitted + map.size > PARTIAL_RATIO * seen) {
          combining = false;
          ctx.metrics.combineBypasses = (ctx.metrics.combineBypasses ?? 0) + 1;
          emitMap();
          return;
        }
        if (!memory.reserve()) emitMap();
      });
      emitMap();
    },
    sink.partitioner,
    ctx,
    mode,
    operator,
    0,
  );
  return [through, ...blocks];
}
