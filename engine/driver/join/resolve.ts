// Deciding a join when its job runs (kiln's answer to Spark's AQE). Policy: kiln
// knows a side's map-output bytes once its map stage has run, so an auto join runs
// the map stage of the side it could broadcast first (the smaller by input estimate)
// and broadcasts it when it is small: the other side is then read unshuffled. When
// it is not, the remaining sides' map stages run concurrently and shuffle hash or
// sort-merge is chosen from both sizes (engine/driver/join/choose.ts), with skewed
// partitions split (engine/driver/join/skew.ts). joinWhere decides from input estimates:
// nothing can be measured without running one side whole in every task anyway.
import { KilnError } from '../../common/errors.js';
import { type LineageNode, type ShuffleDependency } from '../plan/lineage.js';
import { chooseStrategy } from './choose.js';
import { skewTasks, type SkewSettings } from './skew.js';
import { broadcastBuildSides, type JoinDecision, type JoinPlan, type JoinSideName, type SideSizes, type WhereDecision, type WherePlan } from './types.js';

/** What deciding a join needs from the scheduler. */
export interface JoinEnvironment {
  /** autoBroadcastJoinThreshold (bytes; negative: off). */
  readonly threshold: number;
  readonly skew: SkewSettings;
  /** Worker threads (tasks that hold a hash table at once). */
  readonly concurrency: number;
  /** The memory budget in bytes (for messages). */
  readonly budget: number;
  /** Runs a shuffle's map stage (no-op when its output is available). */
  runMapStage(dep: ShuffleDependency): Promise<void>;
  /** True when the shuffle's map output is available. */
  isAvailable(dep: ShuffleDependency): boolean;
  /** Bytes of reduce partition p in each map block: [p][block]. */
  blockBytes(dep: ShuffleDependency): number[][];
  /** Reserves memory for a hash table until the job ends; false when refused. */
  reserve(bytes: number): boolean;
  /** Estimated input bytes of a dataset (its sources), for ordering map stages. */
  estimate(node: LineageNode): number;
}

function other(side: JoinSideName): JoinSideName {
  return side === 'left' ? 'right' : 'left';
}

function shuffleOf(plan: JoinPlan, side: JoinSideName): ShuffleDependency | undefined {
  const dep = plan[side].dep;
  return dep.kind === 'shuffle' ? dep : undefined;
}

/** Measured sizes of the sides whose map output is available. */
function measure(plan: JoinPlan, env: JoinEnvironment): { sizes: SideSizes; blocks: { left?: number[][]; right?: number[][] } } {
  const out: { left?: number; right?: number; leftMaxPartition?: number; rightMaxPartition?: number } = {};
  const blocks: { left?: number[][]; right?: number[][] } = {};
  for (const side of ['left', 'right'] as const) {
    const dep = shuffleOf(plan, side);
    if (!dep || !env.isAvailable(dep)) continue;
    const b = env.blockBytes(dep);
    const parts = b.map((xs) => xs.reduce((a, x) => a + x, 0));
    blocks[side] = b;
    out[side] = parts.reduce((a, x) => a + x, 0);
    out[side === 'left' ? 'leftMaxPartition' : 'rightMaxPartition'] = Math.max(0, ...parts);
  }
  return { sizes: out, blocks };
}

/** Decides `plan` (running map stages as needed) and records the decision on it. */
export async function resolveJoin(plan: JoinPlan, env: JoinEnvironment): Promise<JoinDecision> {
  if (plan.decision) return plan.decision;
  const reserve = (bytes: number): boolean => env.reserve(bytes);
  const choose = (sizes: SideSizes) =>
    chooseStrategy({ type: plan.type, requested: plan.requested, operator: plan.operator, threshold: env.threshold, sizes, reserve, concurrency: env.concurrency, budget: env.budget });
  const atRunTime = plan.requested === 'auto';

  // Broadcast first: measure the side that could be built before shuffling the other.
  const wantsBroadcast = plan.requested === 'broadcast' || (plan.requested === 'auto' && env.threshold >= 0);
  if (wantsBroadcast) {
    const candidates = broadcastBuildSides(plan.type).filter((s) => shuffleOf(plan, s) !== undefined);
    candidates.sort((a, b) => env.estimate(plan[a].parent) - env.estimate(plan[b].parent));
    const first = candidates[0];
    if (first) {
      await env.runMapStage(shuffleOf(plan, first)!);
      const { sizes } = measure(plan, env);
      const fits = plan.requested === 'broadcast' || sizes[first]! <= env.threshold;
      if (fits && (plan.requested === 'broadcast' || candidates.length === 1 || !env.isAvailable(shuffleOf(plan, other(first))!))) {
        const choice = choose(sizes);
        if (choice.strategy === 'broadcast') {
          // A join told its partitioner keeps it: its stream side is shuffled too.
          const stream = shuffleOf(plan, other(choice.build!));
          if (plan.partitioner.kind !== 'hash' && stream) await env.runMapStage(stream);
          return decide(plan, choice.strategy, choice.build, sizes, atRunTime, choice.reason, env);
        }
      }
    }
  }
  await Promise.all((['left', 'right'] as const).map((s) => shuffleOf(plan, s)).filter((d): d is ShuffleDependency => d !== undefined).map((d) => env.runMapStage(d)));
  const { sizes, blocks } = measure(plan, env);
  const choice = choose(sizes);
  const decision = decide(plan, choice.strategy, choice.build, sizes, atRunTime, choice.reason, env);
  if (choice.strategy === 'broadcast') return decision;
  const tasks = skewTasks(plan.type, blocks, env.skew);
  if (tasks) plan.decision = { ...decision, tasks };
  return plan.decision!;
}

function decide(plan: JoinPlan, strategy: JoinDecision['strategy'], build: JoinSideName | undefined, sizes: SideSizes, atRunTime: boolean, reason: string, env: JoinEnvironment): JoinDecision {
  let streamNarrow = false;
  if (strategy === 'broadcast') {
    const streamDep = plan[other(build!)].dep;
    // An unshuffled stream side is read as it is; one whose shuffle already ran is read from its output.
    streamNarrow = streamDep.kind === 'narrow' || !env.isAvailable(streamDep);
  }
  plan.decision = { strategy, build, sizes, atRunTime, reason, streamNarrow };
  return plan.decision;
}

/** Decides a joinWhere from input estimates. */
export function resolveWhere(plan: WherePlan, env: JoinEnvironment): WhereDecision {
  if (plan.decision) return plan.decision;
  const sizes = { left: env.estimate(plan.left), right: env.estimate(plan.right) };
  const buildable: JoinSideName[] = plan.type === 'inner' ? ['left', 'right'] : plan.type === 'left' || plan.type === 'leftUnmatched' ? ['right'] : ['left'];
  if (plan.requested === 'cartesian') {
    if (plan.type !== 'inner') throw new KilnError('usage', `joinWhere: strategy 'cartesian' runs only inner joins; a ${plan.type === 'leftUnmatched' || plan.type === 'rightUnmatched' ? 'full' : plan.type} join allows 'broadcast' (or 'auto')`);
    plan.decision = { strategy: 'cartesian', build: 'right', sizes, reason: 'forced' };
    return plan.decision;
  }
  const build = buildable.length === 1 ? buildable[0]! : sizes.left < sizes.right ? 'left' : 'right';
  if (plan.requested === 'broadcast') {
    plan.decision = { strategy: 'broadcastNestedLoop', build, sizes, reason: 'forced' };
  } else if (env.threshold >= 0 && sizes[build] <= env.threshold) {
    plan.decision = { strategy: 'broadcastNestedLoop', build, sizes, reason: `${build} side's estimated input <= autoBroadcastJoinThreshold` };
  } else if (plan.type === 'inner') {
    plan.decision = { strategy: 'cartesian', build, sizes, reason: 'no side small enough to broadcast' };
  } else {
    plan.decision = { strategy: 'broadcastNestedLoop', build, sizes, reason: 'an outer non-equi join has no other strategy (it may run out of memory)' };
  }
  return plan.decision;
}

/** Estimated input bytes of a dataset: its files' bytes, or 32 bytes per parallelized record. */
export function estimateInput(node: LineageNode, seen = new Set<number>()): number {
  if (seen.has(node.id)) return 0;
  seen.add(node.id);
  const l = node.lineage;
  switch (l.kind) {
    case 'text':
    case 'words':
    case 'grep':
      return l.partitions.reduce((a, p) => a + p.splits.reduce((b, s) => b + s.length, 0), 0);
    case 'slices':
      return 32 * l.slices.reduce((a, s) => a + s.length, 0);
    case 'checkpoint':
      return l.files.reduce((a, f) => a + f.bytes, 0);
    case 'op':
    case 'coalesce':
      return estimateInput(l.parent, seen);
    case 'shuffled':
      return estimateInput(l.dep.parent, seen);
    case 'union':
      return l.parents.reduce((a, p) => a + estimateInput(p, seen), 0);
    case 'cogroup':
      return l.deps.reduce((a, d) => a + estimateInput(d.parent, seen), 0);
    case 'join':
      return estimateInput(l.plan.left.parent, seen) + estimateInput(l.plan.right.parent, seen);
    case 'zip':
      return estimateInput(l.parents[0], seen) + estimateInput(l.parents[1], seen);
    case 'where':
      return estimateInput(l.plan.left, seen) + estimateInput(l.plan.right, seen);
    case 'cartesian':
      return estimateInput(l.left, seen) + estimateInput(l.right, seen);
  }
}
