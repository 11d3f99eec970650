// Building join datasets (the Dataset methods are thin wrappers of these). Policy
// (Spark's PairRDDFunctions and CoGroupedRDD): a cogroup or join gets one dependency
// per parent: narrow when the parent already has the target partitioner, else a
// keyed hash shuffle that writes each record's canonical key bytes, which the join
// tasks hash or sort as they lie. The target partitioner is Spark's
// defaultPartitioner: the partitions asked for, else a parent's hash partitioner when
// it has at least a tenth of the largest parent's partitions, else a new one over the
// context's shufflePartitions or the largest parent's partition count. Forced
// strategies are checked here, so a wrong one fails when the join is written.
import { KilnError } from '../../common/errors.js';
import { shipFunction } from '../../common/functions/index.js';
import { partitionCount, partitionerOf, type Dependency, type LineageNode, type ShuffleDependency } from '../plan/lineage.js';
import { checkPartitions, hashPartitioner, samePartitioner, type PartitionerSpec } from '../../common/protocol/partitioner.js';
import type { Dataset } from '../api/dataset.js';
import type { Kiln } from '../api/kiln.js';
import { allowedStrategies, type JoinOptions, type JoinPlan, type JoinStrategy, type JoinType, type WherePlan } from './types.js';

/** Options of joinWhere. */
export interface JoinWhereOptions {
  /** inner (default), left, right or full. */
  type?: 'inner' | 'left' | 'right' | 'full';
  /** 'auto' (default): broadcast nested loop when a side is small, cartesian for large inner joins. */
  strategy?: 'auto' | 'broadcast' | 'cartesian';
}

/** Makes datasets of a context (Dataset's constructor, passed in to keep this module free of the class). */
export type MakeDataset = <T>(lineage: LineageNode['lineage']) => Dataset<T>;

const STRATEGIES: readonly JoinStrategy[] = ['auto', 'broadcast', 'shuffleHash', 'sortMerge'];

/** Spark's defaultPartitioner over the parents, or hash(partitions) when asked. */
export function targetPartitioner(kiln: Kiln, parents: readonly LineageNode[], partitions: number | undefined): PartitionerSpec {
  if (partitions !== undefined) {
    checkPartitions(partitions);
    return hashPartitioner(partitions);
  }
  const most = Math.max(1, ...parents.map((p) => partitionCount(p)));
  const existing = parents
    .map((p) => partitionerOf(p))
    .filter((p): p is PartitionerSpec => p?.kind === 'hash' && p.keyFormat === 'key')
    .sort((a, b) => b.partitions - a.partitions)[0];
  if (existing && existing.partitions * 10 >= most) return existing;
  return hashPartitioner(kiln.options.shufflePartitions ?? most);
}

/** A parent's dependency: narrow when co-partitioned, else a keyed hash shuffle. */
function sideDependency(kiln: Kiln, parent: LineageNode, partitioner: PartitionerSpec, operator: string): Dependency {
  if (samePartitioner(partitionerOf(parent), partitioner)) return { kind: 'narrow', parent };
  const dep: ShuffleDependency = {
    kind: 'shuffle',
    shuffleId: kiln.newShuffleId(),
    parent,
    partitioner,
    partitions: partitioner.partitions,
    keyed: true,
    mapSideCombine: false,
    format: 'keyed',
    operator,
  };
  return dep;
}

/** Registers a dataset's shuffles so their output is dropped with it. */
function track<T>(kiln: Kiln, ds: Dataset<T>, deps: readonly Dependency[]): Dataset<T> {
  for (const d of deps) if (d.kind === 'shuffle') kiln.trackShuffle(ds, d.shuffleId);
  return ds;
}

function checkOptions(options: JoinOptions | undefined, operator: string, type?: JoinType): JoinStrategy {
  const strategy = options?.strategy ?? 'auto';
  if (!STRATEGIES.includes(strategy)) throw new KilnError('usage', `${operator}: unknown strategy '${String(strategy)}'; use ${STRATEGIES.map((s) => `'${s}'`).join(', ')}`);
  if (type && strategy !== 'auto' && !allowedStrategies(type).includes(strategy)) {
    throw new KilnError('usage', `${operator}: strategy '${strategy}' cannot run a ${type} join; it allows ${allowedStrategies(type).map((s) => `'${s}'`).join(', ')} (or 'auto')`);
  }
  return strategy;
}

/** a.cogroup(b, c, ...): [k, [vs, ws, ...]] for every key of any parent. */
export function cogroupOf(kiln: Kiln, make: MakeDataset, parents: readonly LineageNode[], options: JoinOptions | undefined, operator = 'cogroup'): Dataset<[unknown, unknown[][]]> {
  if (options?.strategy !== undefined && options.strategy !== 'auto') throw new KilnError('usage', `${operator} has no join strategy: it groups every parent's values by key (use join for strategies)`);
  const partitioner = targetPartitioner(kiln, parents, options?.partitions);
  const deps = parents.map((p) => sideDependency(kiln, p, partitioner, operator));
  return track(kiln, make<[unknown, unknown[][]]>({ kind: 'cogroup', deps, partitioner, operator }), deps);
}

/** An equi-join of two pair datasets. */
export function joinOf<T>(kiln: Kiln, make: MakeDataset, left: LineageNode, right: LineageNode, type: JoinType, options: JoinOptions | undefined, operator: string): Dataset<T> {
  const requested = checkOptions(options, operator, type);
  const partitioner = options?.partitioner ?? targetPartitioner(kiln, [left, right], options?.partitions);
  const plan: JoinPlan = {
    type,
    requested,
    partitioner,
    left: { parent: left, dep: sideDependency(kiln, left, partitioner, operator) },
    right: { parent: right, dep: sideDependency(kiln, right, partitioner, operator) },
    decision: undefined,
    operator,
    ordered: options?.ordered === true,
  };
  return track(kiln, make<T>({ kind: 'join', plan }), [plan.left.dep, plan.right.dep]);
}

/** joinWhere: a non-equi join of whole records; a full one is a left one plus the right rows that match nothing. */
export function joinWhereOf<T>(kiln: Kiln, make: MakeDataset, left: LineageNode, right: LineageNode, predicate: (x: never, y: never) => unknown, options: JoinWhereOptions = {}): Dataset<T> {
  if (typeof predicate !== 'function') throw new KilnError('usage', `joinWhere needs a predicate function (x, y) => boolean, got ${typeof predicate}`);
  const type = options.type ?? 'inner';
  if (!['inner', 'left', 'right', 'full'].includes(type)) throw new KilnError('usage', `joinWhere: unknown type '${String(type)}'; use 'inner', 'left', 'right' or 'full'`);
  const requested = options.strategy ?? 'auto';
  if (!['auto', 'broadcast', 'cartesian'].includes(requested)) throw new KilnError('usage', `joinWhere: unknown strategy '${String(requested)}'; use 'auto', 'broadcast' or 'cartesian'`);
  if (requested === 'cartesian' && type !== 'inner') throw new KilnError('usage', `joinWhere: strategy 'cartesian' runs only inner joins; a ${type} join allows 'broadcast' (or 'auto')`);
  const shipped = shipFunction(predicate, 'joinWhere');
  const where = (t: WherePlan['type']): Dataset<T> => make<T>({ kind: 'where', plan: { type: t, requested, left, right, predicate: shipped, decision: undefined } });
  if (type !== 'full') return where(type);
  return where('left').union(where('rightUnmatched'));
}
