// The vocabulary of joins: join types, strategies, what each type allows, and the
// decision a join records once its sizes are known. Policy (Spark's JoinSelection and
// PairRDDFunctions, SPARK-NOTES.md "Joins"): broadcast hash never serves a full outer
// join and builds only the side whose unmatched rows the join type does not keep;
// shuffle hash and sort-merge serve every type. Everything here is plain data.
import type { ShippedFunction } from '../../common/functions/index.js';
import type { Dependency, LineageNode } from '../plan/lineage.js';
import type { PartitionerSpec } from '../../common/protocol/partitioner.js';

/** Equi-join types (Spark SQL's names: semi and anti are LEFT SEMI and LEFT ANTI). */
export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

/** Join strategies a user may force, or 'auto' (chosen at run time from map-output sizes). */
export type JoinStrategy = 'auto' | 'broadcast' | 'shuffleHash' | 'sortMerge';

/** The strategy a join runs with. */
export type ChosenStrategy = Exclude<JoinStrategy, 'auto'>;

/** A side of a join. */
export type JoinSideName = 'left' | 'right';

/** Options of join, leftOuterJoin, ..., cogroup. */
export interface JoinOptions {
  /** Partitions of the shuffled sides (default: the context's shufflePartitions, else the larger side's partition count). */
  partitions?: number;
  /** Force a strategy; 'auto' (default) decides at run time. */
  strategy?: JoinStrategy;
  /**
   * Partition both sides with this partitioner instead (e.g. a range partitioner from
   * Kiln.rangePartitioner, for output ordered by key across partitions). The join then
   * keeps it: a broadcast join shuffles its stream side too.
   */
  partitioner?: PartitionerSpec;
  /**
   * Emit each partition ordered by key bytes, equal keys left-major in input order
   * (kiln join's output order). Every task then merges sorted key bytes, whatever the
   * strategy; the strategy still decides what is shuffled and what is broadcast.
   */
  ordered?: boolean;
}

/** Strategies each join type allows. */
export function allowedStrategies(type: JoinType): ChosenStrategy[] {
  return type === 'full' ? ['shuffleHash', 'sortMerge'] : ['broadcast', 'shuffleHash', 'sortMerge'];
}

/**
 * Sides a broadcast hash join may build: the side whose unmatched rows are not kept
 * (left outer, semi and anti build the right side; right outer builds the left).
 */
export function broadcastBuildSides(type: JoinType): JoinSideName[] {
  switch (type) {
    case 'inner':
      return ['left', 'right'];
    case 'left':
    case 'semi':
    case 'anti':
      return ['right'];
    case 'right':
      return ['left'];
    case 'full':
      return [];
  }
}

/** Sizes a decision was made from: map-output bytes per side (undefined: not measured). */
export interface SideSizes {
  readonly left?: number | undefined;
  readonly right?: number | undefined;
  /** Largest reduce partition of each side, in bytes. */
  readonly leftMaxPartition?: number | undefined;
  readonly rightMaxPartition?: number | undefined;
}

/** What a join runs with, recorded on its lineage once decided. */
export interface JoinDecision {
  readonly strategy: ChosenStrategy;
  /** The hash table's side (broadcast, shuffle hash); undefined for sort-merge. */
  readonly build: JoinSideName | undefined;
  readonly sizes: SideSizes;
  /** True when the sizes came from map stages that had run (auto). */
  readonly atRunTime: boolean;
  /** Why: one line for explain(). */
  readonly reason: string;
  /**
   * Broadcast only: the stream side is read unshuffled (a narrow dependency); false
   * when its map stage had already run and its shuffle output is read instead.
   */
  readonly streamNarrow: boolean;
  /** Sub-partitions of skewed reduce partitions (shuffle hash and sort-merge only). */
  readonly tasks?: readonly JoinTaskRange[];
}

/**
 * One task of a shuffled join: reduce partition `partition`, reading map blocks
 * [from, to) of the split side (all blocks of the other). A partition that is not
 * split is one range covering every block.
 */
export interface JoinTaskRange {
  readonly partition: number;
  readonly split?: { readonly side: JoinSideName; readonly from: number; readonly to: number };
}

/** One side of a join in the lineage. */
export interface JoinSide {
  readonly parent: LineageNode;
  /** Narrow when the parent already has the join's partitioner; else a keyed hash shuffle. */
  readonly dep: Dependency;
}

/** A join, as lineage (the 'join' kind of engine/driver/plan/lineage.ts). */
export interface JoinPlan {
  readonly type: JoinType;
  readonly requested: JoinStrategy;
  readonly partitioner: PartitionerSpec;
  readonly left: JoinSide;
  readonly right: JoinSide;
  /** Set at run time (or at once for a forced strategy that needs no sizes). */
  decision: JoinDecision | undefined;
  /** The operator's name, for errors and explain. */
  readonly operator: string;
  /** Partitions are emitted in key order (JoinOptions.ordered). */
  readonly ordered: boolean;
}

/** A non-equi join of whole records (joinWhere), as lineage. */
export interface WherePlan {
  /** A full joinWhere is a 'left' one plus a 'rightUnmatched' one (right rows matching nothing). */
  readonly type: 'inner' | 'left' | 'right' | 'leftUnmatched' | 'rightUnmatched';
  readonly requested: 'auto' | 'broadcast' | 'cartesian';
  readonly left: LineageNode;
  readonly right: LineageNode;
  readonly predicate: ShippedFunction;
  decision: WhereDecision | undefined;
}

/** How a joinWhere runs. */
export interface WhereDecision {
  readonly strategy: 'broadcastNestedLoop' | 'cartesian';
  /** The side every task holds whole (broadcast nested loop). */
  readonly build: JoinSideName;
  readonly sizes: SideSizes;
  readonly reason: string;
}
