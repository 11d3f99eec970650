// Lineage: what a dataset is, as data (Spark's RDD properties: partitions,
// dependencies, partitioner, how to compute a partition). Policy (STYLE.md 1, 2):
// building lineage does no work; the dependency kind is the only stage boundary; the
// functions here answer the scheduler's questions by switching on the lineage kind.
import type { FileSplit, InputPartition } from '../../executor/io/index.js';
import type { AggregatorSpec, BlockFormat, LineSearch, NodeSpec, OpSpec } from '../../common/protocol/protocol.js';
import type { PartitionerSpec } from '../../common/protocol/partitioner.js';
import type { TextEncoding } from '../../common/io/text-encoding.js';
import type { JoinPlan, WherePlan } from '../join/types.js';
import { cartesianNode, joinDependencies, joinLabel, joinPartitions, joinTaskNode, whereDependencies, whereLabel, wherePartitions, whereTaskNode } from '../join/lineage.js';

/** The part of a dataset the planner needs (the Dataset class implements it). */
export interface LineageNode {
  readonly id: number;
  readonly lineage: Lineage;
}

/** A shuffle dependency: a stage boundary (Spark's ShuffleDependency). */
export interface ShuffleDependency {
  readonly kind: 'shuffle';
  readonly shuffleId: number;
  readonly parent: LineageNode;
  /** Resolved before the map stage runs (a range partitioner samples its input first). */
  partitioner: PartitionerSpec | undefined;
  readonly resolvePartitioner?: () => Promise<PartitionerSpec>;
  readonly partitions: number;
  readonly aggregator?: AggregatorSpec;
  readonly mapSideCombine: boolean;
  readonly keyed: boolean;
  readonly format: BlockFormat;
  /** Format 'keyed' under a hash partitioner: the order each partition is sorted in (default ascending). */
  readonly ascending?: boolean;
  /** The operator the shuffle serves, named in errors about its records (a join's). */
  readonly operator?: string;
}

/** A narrow dependency: pipelined inside the child's task. */
export interface NarrowDependency {
  readonly kind: 'narrow';
  readonly parent: LineageNode;
}

/** A dependency between datasets. */
export type Dependency = NarrowDependency | ShuffleDependency;

/** What a dataset is. */
export type Lineage =
  | { readonly kind: 'text'; readonly partitions: readonly InputPartition[]; readonly label: string; readonly encoding: TextEncoding }
  | { readonly kind: 'words'; readonly partitions: readonly InputPartition[]; readonly lowercase: boolean; readonly nonAlnum: boolean; readonly label: string; readonly encoding: TextEncoding }
  /** Candidate lines of a search (or, with `count`, one count per partition): engine/executor/runtime/grep-source.ts. */
  | { readonly kind: 'grep'; readonly partitions: readonly InputPartition[]; readonly find: LineSearch; readonly count: boolean; readonly label: string; readonly encoding: TextEncoding }
  | { readonly kind: 'slices'; readonly slices: readonly (readonly unknown[])[] }
  | { readonly kind: 'op'; readonly op: OpSpec; readonly parent: LineageNode; readonly keepsPartitioner: boolean }
  | { readonly kind: 'shuffled'; readonly dep: ShuffleDependency }
  | { readonly kind: 'union'; readonly parents: readonly LineageNode[] }
  | { readonly kind: 'coalesce'; readonly parent: LineageNode; readonly groups: readonly (readonly number[])[] }
  /** zip: partition i pairs the records of both parents' partition i (narrow on both; engine/driver/api/shape.ts). */
  | { readonly kind: 'zip'; readonly parents: readonly [LineageNode, LineageNode] }
  /** Spark's CoGroupedRDD: one dependency per parent, narrow when co-partitioned. */
  | { readonly kind: 'cogroup'; readonly deps: readonly Dependency[]; readonly partitioner: PartitionerSpec; readonly operator: string }
  /** An equi-join, its strategy decided at run time (engine/driver/join/). */
  | { readonly kind: 'join'; readonly plan: JoinPlan }
  /** A non-equi join (joinWhere). */
  | { readonly kind: 'where'; readonly plan: WherePlan }
  /** Every pair of records (Spark's CartesianRDD: partitions m x n). */
  | { readonly kind: 'cartesian'; readonly left: LineageNode; readonly right: LineageNode }
  /** A checkpointed dataset: its partitions read from record-codec files, no parents (engine/driver/api/checkpoints.ts). */
  | { readonly kind: 'checkpoint'; readonly files: readonly CheckpointFile[]; readonly dir: string; readonly reliable: boolean; readonly partitioner: PartitionerSpec | undefined };

/** One partition of a checkpoint: its file and record count. */
export interface CheckpointFile {
  readonly path: string;
  readonly bytes: number;
  readonly records: number;
}

/** Number of partitions of a dataset. */
export function partitionCount(node: LineageNode): number {
  const l = node.lineage;
  switch (l.kind) {
    case 'text':
    case 'words':
    case 'grep':
      return l.partitions.length;
    case 'slices':
      return l.slices.length;
    case 'op':
      return partitionCount(l.parent);
    case 'shuffled':
      return l.dep.partitioner?.partitions ?? l.dep.partitions;
    case 'union':
      return l.parents.reduce((n, p) => n + partitionCount(p), 0);
    case 'coalesce':
      return l.groups.length;
    case 'zip':
      return partitionCount(l.parents[0]);
    case 'cogroup':
      return l.partitioner.partitions;
    case 'join':
      return joinPartitions(l.plan);
    case 'where':
      return wherePartitions(l.plan);
    case 'cartesian':
      return partitionCount(l.left) * partitionCount(l.right);
    case 'checkpoint':
      return l.files.length;
  }
}

/** The dataset's dependencies on its parents. */
export function dependencies(node: LineageNode): Dependency[] {
  const l = node.lineage;
  switch (l.kind) {
    case 'text':
    case 'words':
    case 'grep':
    case 'slices':
    case 'checkpoint':
      return [];
    case 'op':
    case 'coalesce':
      return [{ kind: 'narrow', parent: l.parent }];
    case 'shuffled':
      return [l.dep];
    case 'union':
    case 'zip':
      return l.parents.map((parent) => ({ kind: 'narrow', parent }));
    case 'cogroup':
      return [...l.deps];
    case 'join':
      return joinDependencies(l.plan);
    case 'where':
      return whereDependencies(l.plan);
    case 'cartesian':
      return [
        { kind: 'narrow', parent: l.left },
        { kind: 'narrow', parent: l.right },
      ];
  }
}

/** The partitioner of a dataset's output, when it is known (after a shuffle, kept by key-preserving ops). */
export function partitionerOf(node: LineageNode): PartitionerSpec | undefined {
  const l = node.lineage;
  if (l.kind === 'shuffled') return l.dep.partitioner;
  if (l.kind === 'op' && l.keepsPartitioner) return partitionerOf(l.parent);
  // A cogroup's output is partitioned by key. A join's is not declared: its strategy,
  // and so how its output is partitioned, is decided when it runs.
  if (l.kind === 'cogroup') return l.partitioner;
  if (l.kind === 'checkpoint') return l.partitioner;
  return undefined;
}

/** Where the input of a partition comes from, for error messages. */
export function inputSplits(node: LineageNode, partition: number): readonly FileSplit[] {
  const l = node.lineage;
  switch (l.kind) {
    case 'text':
    case 'words':
    case 'grep':
      return l.partitions[partition]?.splits ?? [];
    case 'op':
      return inputSplits(l.parent, partition);
    case 'union': {
      const [parent, p] = unionParent(l.parents, partition);
      return inputSplits(parent, p);
    }
    case 'coalesce':
      return l.groups[partition]!.flatMap((p) => inputSplits(l.parent, p));
    case 'zip':
      return [...inputSplits(l.parents[0], partition), ...inputSplits(l.parents[1], partition)];
    case 'cartesian':
      return inputSplits(l.left, Math.floor(partition / partitionCount(l.right)));
    default:
      return [];
  }
}

/** Resolves union partition `partition` to (parent, parent partition). */
export function unionParent(parents: readonly LineageNode[], partition: number): [LineageNode, number] {
  let p = partition;
  for (const parent of parents) {
    const n = partitionCount(parent);
    if (p < n) return [parent, p];
    p -= n;
  }
  throw new RangeError(`union has no partition ${partition}`);
}

/**
 * Builds the compute tree of one partition, down to sources and shuffle reads.
 * `shuffleRead` supplies the blocks of a finished shuffle (from the map-output tracker).
 */
export function taskNode(node: LineageNode, partition: number, shuffleRead: (dep: ShuffleDependency, partition: number, blocks?: readonly [number, number]) => NodeSpec, persisted?: PersistedNode): NodeSpec {
  const task = (n: LineageNode, p: number): NodeSpec => taskNode(n, p, shuffleRead, persisted);
  if (persisted) {
    const stored = persisted(node, partition, () => computedNode(node, partition, shuffleRead, task));
    if (stored) return stored;
  }
  return computedNode(node, partition, shuffleRead, task);
}

/**
 * How the scheduler resolves a persisted dataset's partition: a read of its stored
 * block, or `compute()` wrapped to store it; undefined when the dataset is not persisted.
 */
export type PersistedNode = (node: LineageNode, partition: number, compute: () => NodeSpec) => NodeSpec | undefined;

function computedNode(node: LineageNode, partition: number, shuffleRead: (dep: ShuffleDependency, partition: number, blocks?: readonly [number, number]) => NodeSpec, task: (n: LineageNode, p: number) => NodeSpec): NodeSpec {
  const l = node.lineage;
  switch (l.kind) {
    case 'text':
      return { t: 'text', splits: l.partitions[partition]!.splits, encoding: l.encoding };
    case 'words':
      return { t: 'words', splits: l.partitions[partition]!.splits, lowercase: l.lowercase, nonAlnum: l.nonAlnum, encoding: l.encoding };
    case 'grep':
      return { t: 'grep', splits: l.partitions[partition]!.splits, find: l.find, count: l.count, encoding: l.encoding };
    case 'slices':
      return { t: 'slice', data: l.slices[partition]! };
    case 'op': {
      const op = l.op.kind === 'mapPartitionsWithIndex' || l.op.kind === 'mapWithIndex' ? { ...l.op, index: partition } : l.op;
      return { t: 'op', op, parent: task(l.parent, partition) };
    }
    case 'shuffled':
      return shuffleRead(l.dep, partition);
    case 'union': {
      const [parent, p] = unionParent(l.parents, partition);
      return task(parent, p);
    }
    case 'coalesce':
      return { t: 'concat', parts: l.groups[partition]!.map((p) => task(l.parent, p)) };
    case 'zip':
      return { t: 'zip', parts: [task(l.parents[0], partition), task(l.parents[1], partition)] };
    case 'cogroup':
      // A narrow parent has the target partitioner: its partition p holds exactly these keys.
      return { t: 'cogroup', parts: l.deps.map((d) => (d.kind === 'shuffle' ? shuffleRead(d, partition) : task(d.parent, partition))), operator: l.operator };
    case 'join':
      return joinTaskNode(l.plan, partition, task, shuffleRead);
    case 'where':
      return whereTaskNode(l.plan, partition, task);
    case 'cartesian':
      return cartesianNode(l.left, l.right, partition, task);
    case 'checkpoint': {
      const f = l.files[partition]!;
      return { t: 'cached', datasetId: node.id, partition, location: { kind: 'file', path: f.path, len: f.bytes }, records: f.records };
    }
  }
}

/** Operator label for explain(), and the kernels it runs. */
export function describe(node: LineageNode): { label: string; kernels: string[] } {
  const l = node.lineage;
  switch (l.kind) {
    case 'text':
      return { label: `textFile(${l.label})`, kernels: [] };
    case 'words':
      return { label: `textFile(${l.label}).words(${l.lowercase ? 'lowercase' : ''}${l.nonAlnum ? ' nonalnum' : ''})`, kernels: ['tokenize'] };
    case 'grep':
    {
      const { literal, range, match } = l.find;
      const what = [
        match ? `/${match.source}/${match.flags}` : '',
        literal ? `literal ${JSON.stringify(literal.text)}${literal.ignoreCase ? ' (ignore case)' : ''}` : '',
        range ? `byte range ${range.lo}-${range.hi}` : '',
      ].filter(Boolean).join(', ');
      const name = match ? (l.count ? 'countLinesMatching' : 'linesMatching') : 'countLinesContaining';
      return { label: `textFile(${l.label}).${name}(${what})`, kernels: literal ? ['grep literal search'] : range ? ['grep byte-range search'] : [] };
    }
    case 'slices':
      return { label: 'parallelize', kernels: [] };
    case 'op':
      return { label: l.op.kind, kernels: [] };
    case 'shuffled': {
      const agg = l.dep.aggregator;
      if (agg?.kind === 'lines') {
        const how = [agg.keyBytes !== undefined ? `keyBytes ${agg.keyBytes}` : '', agg.reverse ? 'reverse' : '', agg.unique ? 'unique' : ''].filter(Boolean).join(', ');
        return { label: `shuffle read #${l.dep.shuffleId}: sortLines merge${how ? ` (${how})` : ''}`, kernels: ['line split', 'partitioned sort', 'gather'] };
      }
      const kernels = agg?.kind === 'builtin' ? ['combiner (merge)'] : l.dep.format === 'keyed' ? ['partitioned sort'] : [];
      return { label: `shuffle read #${l.dep.shuffleId}${agg ? ` (${agg.kind === 'builtin' ? agg.op : agg.kind} aggregate)` : ''}`, kernels };
    }
    case 'union':
      return { label: 'union', kernels: [] };
    case 'coalesce':
      return { label: `coalesce(${l.groups.length})`, kernels: [] };
    case 'zip':
      return { label: 'zip', kernels: [] };
    case 'cogroup':
      return { label: `${l.operator}(${l.deps.map((d) => (d.kind === 'shuffle' ? `shuffle read #${d.shuffleId}` : 'co-partitioned, no shuffle')).join(' | ')})`, kernels: [] };
    case 'join': {
      const d = l.plan.decision;
      return { label: joinLabel(l.plan), kernels: d?.strategy === 'sortMerge' ? ['partitioned sort'] : [] };
    }
    case 'where':
      return { label: whereLabel(l.plan), kernels: [] };
    case 'cartesian':
      return { label: 'cartesian', kernels: [] };
    case 'checkpoint':
      return { label: `${l.reliable ? 'ReliableCheckpoint' : 'LocalCheckpoint'}(${l.dir})`, kernels: [] };
  }
}
