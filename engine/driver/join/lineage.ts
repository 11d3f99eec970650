// How the join kinds of lineage answer the planner's questions (partitions,
// dependencies, partitioner, the compute tree of a partition, explain labels).
// Policy (Spark's CoGroupedRDD and AQE): each parent is its own dependency, narrow
// when it already has the target partitioner; an undecided join plans with every
// side shuffled, and once its sizes are known (engine/driver/join/resolve.ts) a broadcast
// join reads its stream side unshuffled and every partition of its build side, and a
// skewed reduce partition becomes several tasks over ranges of its map blocks.
import type { NodeSpec } from '../../common/protocol/protocol.js';
import { partitionCount, type Dependency, type LineageNode, type ShuffleDependency } from '../plan/lineage.js';
import type { JoinDecision, JoinPlan, JoinSide, JoinSideName, WherePlan } from './types.js';

/** Supplies a shuffle read of `partition` (map blocks [from, to) when given). */
export type ShuffleReadFn = (dep: ShuffleDependency, partition: number, blocks?: readonly [number, number]) => NodeSpec;

/** Builds a parent's compute tree for one of its partitions. */
export type TaskNodeFn = (node: LineageNode, partition: number) => NodeSpec;

/** A side's records for partition p of a shuffled (or co-partitioned) join. */
function sideNode(side: JoinSide, p: number, task: TaskNodeFn, read: ShuffleReadFn, blocks?: readonly [number, number]): NodeSpec {
  return side.dep.kind === 'shuffle' ? read(side.dep, p, blocks) : task(side.parent, p);
}

/** Every partition of a side, concatenated (a broadcast build side). */
function wholeSide(side: JoinSide, task: TaskNodeFn, read: ShuffleReadFn): NodeSpec {
  const dep = side.dep;
  if (dep.kind === 'shuffle') {
    const n = dep.partitioner?.partitions ?? dep.partitions;
    return { t: 'concat', parts: Array.from({ length: n }, (_, p) => read(dep, p)) };
  }
  return wholeNode(side.parent, task);
}

/** Every partition of a dataset, concatenated. */
export function wholeNode(node: LineageNode, task: TaskNodeFn): NodeSpec {
  return { t: 'concat', parts: Array.from({ length: partitionCount(node) }, (_, p) => task(node, p)) };
}

function other(side: JoinSideName): JoinSideName {
  return side === 'left' ? 'right' : 'left';
}

/** Partitions of a join: its stream parent's (broadcast, unshuffled), its tasks (skew split), or the partitioner's. */
export function joinPartitions(plan: JoinPlan): number {
  const d = plan.decision;
  if (d?.strategy === 'broadcast' && d.streamNarrow) return partitionCount(plan[other(d.build!)].parent);
  if (d?.tasks) return d.tasks.length;
  return plan.partitioner.partitions;
}

/** Dependencies of a join: both sides', except a broadcast's stream side, which is read unshuffled. */
export function joinDependencies(plan: JoinPlan): Dependency[] {
  const d = plan.decision;
  if (d?.strategy === 'broadcast' && d.streamNarrow) {
    const build = plan[d.build!];
    const stream = plan[other(d.build!)];
    return [{ kind: 'narrow', parent: stream.parent }, build.dep];
  }
  return [plan.left.dep, plan.right.dep];
}

/** The compute tree of partition p of a join. */
export function joinTaskNode(plan: JoinPlan, p: number, task: TaskNodeFn, read: ShuffleReadFn): NodeSpec {
  const d = plan.decision;
  if (!d) throw new Error(`${plan.operator} was not decided before it ran`);
  const algorithm = d.strategy === 'sortMerge' || plan.ordered ? 'merge' : 'hash';
  const build = d.build ?? 'right';
  if (d.strategy === 'broadcast') {
    const streamSide = plan[other(build)];
    const stream = d.streamNarrow ? task(streamSide.parent, p) : sideNode(streamSide, p, task, read);
    const whole = wholeSide(plan[build], task, read);
    const [left, right] = build === 'left' ? [whole, stream] : [stream, whole];
    return { t: 'join', join: { type: plan.type, algorithm, build, left, right, operator: plan.operator } };
  }
  const range = d.tasks?.[p] ?? { partition: p };
  const part = range.partition;
  const blocksOf = (side: JoinSideName): readonly [number, number] | undefined => (range.split?.side === side ? [range.split.from, range.split.to] : undefined);
  const left = sideNode(plan.left, part, task, read, blocksOf('left'));
  const right = sideNode(plan.right, part, task, read, blocksOf('right'));
  return { t: 'join', join: { type: plan.type, algorithm, build, left, right, operator: plan.operator } };
}

/** The explain() label of a join: strategy, build side, sizes, and whether it was decided at run time. */
export function joinLabel(plan: JoinPlan): string {
  const d = plan.decision;
  const name = `${plan.operator} [${plan.type}]`;
  if (!d) return `${name}: strategy ${plan.requested === 'auto' ? 'decided at run time from map-output sizes' : plan.requested}`;
  return `${name}: ${describeDecision(d)}`;
}

/** One line about a decision. */
export function describeDecision(d: JoinDecision): string {
  const sizes = [d.sizes.left !== undefined ? `left ${formatBytes(d.sizes.left)}` : 'left not measured', d.sizes.right !== undefined ? `right ${formatBytes(d.sizes.right)}` : 'right not measured'].join(', ');
  const build = d.build ? `, build ${d.build}` : '';
  const split = d.tasks && d.tasks.some((t) => t.split) ? `, skewed partitions split into ${d.tasks.length} tasks` : '';
  return `${d.strategy}${build} (${sizes}${d.atRunTime ? '; decided at run time' : ''}; ${d.reason})${split}`;
}

/** Bytes as "12.3 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 2 ** 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 2 ** 30) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

/** Partitions of a joinWhere: m x n (cartesian) or the stream side's (broadcast nested loop; undecided plans as that). */
export function wherePartitions(plan: WherePlan): number {
  const d = plan.decision;
  if (d?.strategy === 'cartesian') return partitionCount(plan.left) * partitionCount(plan.right);
  const build = d?.build ?? defaultWhereBuild(plan);
  return partitionCount(build === 'left' ? plan.right : plan.left);
}

/** The side a broadcast nested loop holds whole before sizes are known: the one whose unmatched rows are not kept. */
export function defaultWhereBuild(plan: WherePlan): JoinSideName {
  return plan.type === 'right' || plan.type === 'rightUnmatched' ? 'left' : 'right';
}

/** Dependencies of a joinWhere: both sides are narrow; a whole side is read in every task. */
export function whereDependencies(plan: WherePlan): Dependency[] {
  return [
    { kind: 'narrow', parent: plan.left },
    { kind: 'narrow', parent: plan.right },
  ];
}

/** The compute tree of partition p of a joinWhere. */
export function whereTaskNode(plan: WherePlan, p: number, task: TaskNodeFn): NodeSpec {
  const d = plan.decision;
  if (d?.strategy === 'cartesian') return cartesianNode(plan.left, plan.right, p, task, plan.predicate);
  const build = d?.build ?? defaultWhereBuild(plan);
  const stream = task(build === 'left' ? plan.right : plan.left, p);
  const whole = wholeNode(build === 'left' ? plan.left : plan.right, task);
  return { t: 'nestedLoop', type: plan.type, build, left: build === 'left' ? whole : stream, right: build === 'left' ? stream : whole, predicate: plan.predicate };
}

/** Partition p of left x right: left partition p / n with right partition p % n (Spark's CartesianRDD). */
export function cartesianNode(left: LineageNode, right: LineageNode, p: number, task: TaskNodeFn, predicate?: WherePlan['predicate']): NodeSpec {
  const n = partitionCount(right);
  return { t: 'cartesian', left: task(left, Math.floor(p / n)), right: task(right, p % n), ...(predicate ? { predicate } : {}) };
}

/** The explain() label of a joinWhere. */
export function whereLabel(plan: WherePlan): string {
  const d = plan.decision;
  if (!d) return `joinWhere [${plan.type}]: ${plan.requested === 'auto' ? 'broadcast nested loop or cartesian, decided at run time' : plan.requested}`;
  const sizes = `left ${d.sizes.left !== undefined ? formatBytes(d.sizes.left) : 'not measured'}, right ${d.sizes.right !== undefined ? formatBytes(d.sizes.right) : 'not measured'}`;
  return `joinWhere [${plan.type}]: ${d.strategy === 'cartesian' ? 'cartesian' : `broadcast nested loop, build ${d.build}`} (${sizes}; ${d.reason})`;
}
