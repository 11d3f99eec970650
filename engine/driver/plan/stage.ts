// Stages: a job cut at shuffle dependencies (Spark's Stage.scala). Policy: a stage is
// a chain of narrow dependencies ending at a dataset; a ShuffleMapStage writes the map
// output of one shuffle and is cached by shuffle id for the life of the context, so a
// later job over the same lineage finds its output and skips it.
import { dependencies, describe, partitionCount, type LineageNode, type ShuffleDependency } from './lineage.js';

/** A stage of a job. */
export interface Stage {
  readonly id: number;
  readonly kind: 'shuffleMap' | 'result';
  /** The last dataset of the stage's narrow chain. */
  readonly node: LineageNode;
  readonly parents: readonly Stage[];
  /** For shuffle map stages: the shuffle it writes. */
  readonly shuffle?: ShuffleDependency;
}

/**
 * Builds stages for a job. A shuffle's map stage keeps its id across jobs; its
 * parents are planned afresh each time, because a join's dependencies change once
 * its strategy is decided at run time (engine/driver/join/lineage.ts). Within one plan a
 * shared map stage is one object.
 */
export class StagePlanner {
  private nextId = 0;
  private readonly mapStageIds = new Map<number, number>();

  /** The result stage of a job ending at `node`, with all parent stages. */
  resultStage(node: LineageNode): Stage {
    return { id: this.nextId++, kind: 'result', node, parents: this.parentStages(node, new Map()) };
  }

  /** The map stage that writes `dep`'s shuffle, with its parent stages. */
  mapStageOf(dep: ShuffleDependency): Stage {
    return this.mapStage(dep, new Map());
  }

  /** Forgets a shuffle's stage (its output was dropped). */
  forget(shuffleId: number): void {
    this.mapStageIds.delete(shuffleId);
  }

  private mapStage(dep: ShuffleDependency, planned: Map<number, Stage>): Stage {
    let stage = planned.get(dep.shuffleId);
    if (stage) return stage;
    let id = this.mapStageIds.get(dep.shuffleId);
    if (id === undefined) {
      id = this.nextId++;
      this.mapStageIds.set(dep.shuffleId, id);
    }
    stage = { id, kind: 'shuffleMap', node: dep.parent, parents: this.parentStages(dep.parent, planned), shuffle: dep };
    planned.set(dep.shuffleId, stage);
    return stage;
  }

  /** Shuffle dependencies reachable through narrow ones become parent stages. */
  private parentStages(node: LineageNode, planned: Map<number, Stage>): Stage[] {
    const parents: Stage[] = [];
    const seen = new Set<number>();
    const visit = (n: LineageNode): void => {
      if (seen.has(n.id)) return;
      seen.add(n.id);
      for (const dep of dependencies(n)) {
        if (dep.kind === 'shuffle') {
          const s = this.mapStage(dep, planned);
          if (!parents.includes(s)) parents.push(s);
        } else visit(dep.parent);
      }
    };
    visit(node);
    return parents;
  }
}

/** The operators of a stage's narrow chain, source first (for explain and progress). */
export function stageOperators(stage: Stage): { label: string; kernels: string[] }[] {
  const ops: { label: string; kernels: string[] }[] = [];
  const seen = new Set<number>();
  const visit = (n: LineageNode): void => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    for (const dep of dependencies(n)) if (dep.kind === 'narrow') visit(dep.parent);
    ops.push(describe(n));
  };
  visit(stage.node);
  if (stage.shuffle) {
    const agg = stage.shuffle.aggregator;
    const combine = stage.shuffle.mapSideCombine && agg;
    ops.push({
      label: `shuffle write #${stage.shuffle.shuffleId}${combine ? ' (map-side combine)' : ''}`,
      kernels: agg?.kind === 'builtin' ? ['combiner', 'xxh64'] : agg?.kind === 'lines' ? ['line split', 'partitioned sort', 'gather'] : ['xxh64'],
    });
  }
  return ops;
}

/** Stage count of the job's partitions: for display. */
export function stagePartitions(stage: Stage): number {
  return partitionCount(stage.node);
}
