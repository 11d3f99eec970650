// The DAG scheduler (Spark's DAGScheduler, kept thin): runs a job by submitting its
// stages parents-first. Policy: a shuffle map stage whose output the tracker already
// holds is skipped (its output is reused); otherwise only its missing map partitions
// run. A range partitioner is resolved (by its sampling job) just before its map
// stage. Independent parent stages run concurrently (each stage once per job, however
// many children share it). Joins are decided before the job is planned, parents
// first (engine/driver/join/resolve.ts): that may run some map stages early, which the plan
// then finds done. Task-level retries belong to the task scheduler, not here.
import { taskSortMemory } from '../../executor/sort/memory-plan.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BroadcastRegistry } from '../api/broadcasts.js';
import type { ErrorContext } from '../../common/errors.js';
import type { IoBackend } from '../../executor/io/index.js';
import type { NodeSpec, SinkSpec, TaskMetrics } from '../../common/protocol/protocol.js';
import type { TaskListener, TaskOutcome, TaskScheduler, TaskTemplate } from '../scheduler/task-scheduler.js';
import type { DatasetStorage, JobStorage, StorageManager } from '../storage/storage-manager.js';
import type { MapOutputTracker } from '../scheduler/map-output-tracker.js';
import { dependencies, inputSplits, partitionCount, taskNode, type LineageNode, type PersistedNode, type ShuffleDependency } from './lineage.js';
import { estimateInput, resolveJoin, resolveWhere, type JoinEnvironment } from '../join/resolve.js';
import type { SkewSettings } from '../join/skew.js';
import type { JoinDecision, WhereDecision } from '../join/types.js';
import { StagePlanner, stageOperators, type Stage } from './stage.js';
import { killPipes } from '../../executor/runtime/pipe.js';
import { stageAccumulables, type StageAccumulable } from '../../common/functions/accumulator.js';

/** Listener of job progress: the task listener plus job and stage events. */
export interface JobListener extends TaskListener {
  /** A job starts: its result stage (its ancestors hang off `parents`), the action that runs it (the sink kind) and where it was called. */
  onJobStart?(jobId: number, result: Stage, action: string, callSite?: string): void;
  /** A job ended; `error` when it failed. */
  onJobEnd?(jobId: number, error?: Error): void;
  onStageSubmitted?(stage: Stage, tasks: number, jobId?: number): void;
  /** A stage finished; `error` when its task set failed. */
  onStageCompleted?(stage: Stage, error?: Error): void;
}

/** Metrics of a finished job. */
export interface JobMetrics {
  readonly jobId: number;
  readonly wallMs: number;
  readonly stages: { id: number; kind: Stage['kind']; tasks: number; skipped: boolean; metrics: TaskMetrics[]; accumulables?: StageAccumulable[] }[];
  /** Joins decided in this job: strategy, sizes, and skewed partitions that were split. */
  readonly joins: JoinMetrics[];
  /** Persisted datasets this job touched: storage hits, misses, evictions, bytes held at its end. */
  readonly storage?: DatasetStorage[];
}

/** What a job recorded about one join it decided. */
export interface JoinMetrics {
  readonly operator: string;
  readonly decision: JoinDecision | WhereDecision;
  /** Reduce partitions split because they were skewed. */
  readonly skewedPartitions: number[];
  /** Tasks the join runs. */
  readonly tasks: number;
}

/** Options of one job. */
export interface JobOptions {
  signal?: AbortSignal | undefined;
  /** Partitions of the final dataset to compute (default all). */
  partitions?: readonly number[];
  listener?: JobListener | undefined;
  /** Where the action was called ("collect at app.mjs:12"), for the job's name in monitoring. */
  callSite?: string;
}

/** Settings the scheduler needs from the context. */
export interface SchedulerSettings {
  io: IoBackend;
  /** Longest input line accepted (issue 11's maxRecordBytes; default 2 GiB). */
  maxRecordBytes?: number;
  maxAttempts: number;
  spillDir: string;
  /** Join settings: autoBroadcastJoinThreshold (bytes; negative: off) and skew detection. */
  joins?: { threshold: number; skew: SkewSettings };
  /** Worker threads (how many hash tables a join holds at once). */
  workers?: number;
  /** Reserves memory for a join's hash tables; returns its release, or undefined when refused. */
  reserve?: (bytes: number) => (() => void) | undefined;
  /** The memory budget in bytes (for messages). */
  memoryBytes?: number;
  /** Persisted datasets' blocks (absent: nothing is ever persisted, as in planner tests). */
  storage?: StorageManager;
}

/** One running job's state: its map stages (each submitted once) and held reservations. */
interface JobRun {
  readonly jobId: number;
  readonly options: JobOptions;
  readonly metrics: JobMetrics;
  readonly submitted: Map<number, Promise<void>>;
  readonly releases: (() => void)[];
  /** Storage figures of this job, by dataset id. */
  readonly storage: JobStorage;
}

/** Runs jobs. */
export class DagScheduler {
  private nextJobId = 0;
  readonly planner = new StagePlanner();
  private readonly spillDir: string;
  /** Metrics of the last job. */
  lastJob: JobMetrics | undefined;

  constructor(
    private readonly tasks: TaskScheduler,
    private readonly tracker: MapOutputTracker,
    private readonly broadcasts: BroadcastRegistry,
    private readonly settings: SchedulerSettings,
  ) {
    this.spillDir = settings.spillDir || join(tmpdir(), `kiln-${process.pid}`);
  }

  /** Runs `sink` over every (or the given) partition of `node`; resolves with per-partition results. */
  async runJob(node: LineageNode, sink: SinkSpec, options: JobOptions = {}): Promise<unknown[]> {
    const jobId = this.nextJobId++;
    const started = performance.now();
    const metrics: JobMetrics = { jobId, wallMs: 0, stages: [], joins: [] };
    const run: JobRun = { jobId, options, metrics, submitted: new Map(), releases: [], storage: new Map() };
    // Blocks of persisted datasets this job reads are not evicted while it runs.
    const pinned = this.settings.storage ? persistedIn(node, this.settings.storage) : [];
    this.settings.storage?.pin(pinned);
    // The job starts with the plan as it looks before its joins are decided; it runs the
    // plan made after (a broadcast join reads its stream side unshuffled), under the same id.
    const planned = this.planner.resultStage(node);
    options.listener?.onJobStart?.(jobId, planned, sink.t, options.callSite);
    try {
      await this.resolveJoins(node, run, new Set());
      const result: Stage = { ...this.planner.resultStage(node), id: planned.id };
      await Promise.all(result.parents.map((p) => this.submitMapStage(p, run)));
      const partitions = options.partitions ?? range(partitionCount(node));
      const outcomes = await this.runStage(run, result, partitions, () => sink);
      (metrics as { wallMs: number }).wallMs = performance.now() - started;
      if (run.storage.size > 0) {
        this.settings.storage!.finish(run.storage);
        (metrics as { storage?: DatasetStorage[] }).storage = [...run.storage.values()];
      }
      this.lastJob = metrics;
      options.listener?.onJobEnd?.(jobId);
      return outcomes.map((o) => o.value);
    } catch (e) {
      options.listener?.onJobEnd?.(jobId, e instanceof Error ? e : new Error(String(e)));
      throw e;
    } finally {
      // pipe() commands of tasks whose threads were killed (engine/executor/runtime/pipe.ts).
      killPipes(this.spillDir, jobId);
      for (const release of run.releases) release();
      this.settings.storage?.unpin(pinned);
    }
  }

  /** The stages a job over `node` would run (nothing runs). */
  plan(node: LineageNode): Stage {
    return this.planner.resultStage(node);
  }

  /** Decides every undecided join under `node`, parents first. */
  private async resolveJoins(node: LineageNode, run: JobRun, seen: Set<number>): Promise<void> {
    if (seen.has(node.id)) return;
    seen.add(node.id);
    const l = node.lineage;
    // Every side, whatever the decision: a side's own joins are decided first.
    const children = l.kind === 'join' ? [l.plan.left.parent, l.plan.right.parent] : dependencies(node).map((d) => d.parent);
    for (const child of children) await this.resolveJoins(child, run, seen);
    if (l.kind === 'join' && !l.plan.decision) {
      const d = await resolveJoin(l.plan, this.joinEnvironment(run));
      const skewed = [...new Set((d.tasks ?? []).filter((t) => t.split).map((t) => t.partition))];
      run.metrics.joins.push({ operator: l.plan.operator, decision: d, skewedPartitions: skewed, tasks: partitionCount(node) });
    } else if (l.kind === 'where' && !l.plan.decision) {
      const d = resolveWhere(l.plan, this.joinEnvironment(run));
      run.metrics.joins.push({ operator: 'joinWhere', decision: d, skewedPartitions: [], tasks: partitionCount(node) });
    }
  }

  private joinEnvironment(run: JobRun): JoinEnvironment {
    const s = this.settings;
    return {
      threshold: s.joins?.threshold ?? 10 * 2 ** 20,
      skew: s.joins?.skew ?? { factor: 5, minBytes: 64 * 2 ** 20 },
      concurrency: Math.max(1, s.workers ?? 1),
      budget: s.memoryBytes ?? 0,
      runMapStage: (dep) => this.submitMapStage(this.planner.mapStageOf(dep), run),
      isAvailable: (dep) => this.tracker.isAvailable(dep.shuffleId),
      blockBytes: (dep) => this.tracker.blockBytes(dep.shuffleId, dep.partitioner?.partitions ?? dep.partitions),
      reserve: (bytes) => {
        if (!s.reserve) return true;
        const release = s.reserve(bytes);
        if (release) run.releases.push(release);
        return release !== undefined;
      },
      estimate: (node) => estimateInput(node),
    };
  }

  /** Submits a map stage once per job (children sharing it wait for the same run). */
  private submitMapStage(stage: Stage, run: JobRun): Promise<void> {
    const id = stage.shuffle!.shuffleId;
    let p = run.submitted.get(id);
    if (!p) {
      p = this.runMapStage(stage, run);
      run.submitted.set(id, p);
    }
    return p;
  }

  private async runMapStage(stage: Stage, run: JobRun): Promise<void> {
    const { jobId, options, metrics } = run;
    const dep = stage.shuffle!;
    if (this.tracker.isAvailable(dep.shuffleId)) {
      metrics.stages.push({ id: stage.id, kind: stage.kind, tasks: 0, skipped: true, metrics: [] });
      return;
    }
    await Promise.all(stage.parents.map((parent) => this.submitMapStage(parent, run)));
    if (!dep.partitioner) {
      if (!dep.resolvePartitioner) throw new Error(`shuffle ${dep.shuffleId} has no partitioner`);
      dep.partitioner = await dep.resolvePartitioner();
    }
    const maps = partitionCount(stage.node);
    this.tracker.register(dep.shuffleId, maps);
    const missing = this.tracker.missing(dep.shuffleId);
    const sinkFor = (p: number): SinkSpec => ({
      t: 'shuffleWrite',
      shuffleId: dep.shuffleId,
      mapId: p,
      partitioner: dep.partitioner!,
      ...(dep.aggregator ? { aggregator: dep.aggregator } : {}),
      mapSideCombine: dep.mapSideCombine,
      keyed: dep.keyed,
      ...(dep.format === 'keyed' && dep.partitioner!.kind !== 'range' ? { sortedKeys: true } : {}),
      ...(dep.operator ? { operator: dep.operator } : {}),
    });
    const outcomes = await this.runStage(run, stage, missing, sinkFor);
    for (const o of outcomes) this.tracker.put(dep.shuffleId, o.partition, { blocks: o.blocks ?? [], regions: o.regions });
  }

  private async runStage(run: JobRun, stage: Stage, partitions: readonly number[], sinkFor: (p: number) => SinkSpec) {
    const { jobId, options, metrics } = run;
    options.listener?.onStageSubmitted?.(stage, partitions.length, jobId);
    const broadcasts = this.broadcasts.snapshot();
    const storage = this.settings.storage;
    const build = (persisted: PersistedNode | undefined): TaskTemplate[] =>
      partitions.map((p) => ({
        jobId,
        stageId: stage.id,
        partition: p,
        node: taskNode(stage.node, p, (dep, rp, blocks) => this.shuffleRead(dep, rp, blocks), persisted),
        sink: sinkFor(p),
        io: this.settings.io,
        ...(this.settings.maxRecordBytes !== undefined ? { maxRecordBytes: this.settings.maxRecordBytes } : {}),
        spillDir: this.spillDir,
        sortMemory: taskSortMemory(this.settings.memoryBytes ?? 1 << 30, this.settings.workers ?? 1),
        broadcasts,
      }));
    // A persisted partition another job is computing now is waited for, then read (block lock).
    const locked = storage ? await storage.lockedBuild(run.storage, build) : { value: build(undefined), done: () => {} };
    const templates = locked.value;
    const context = (p: number): ErrorContext => splitContext(stage.node, p);
    let outcomes: TaskOutcome[];
    try {
      outcomes = await this.tasks.runTaskSet(templates, { signal: options.signal, maxAttempts: this.settings.maxAttempts, context, listener: options.listener });
    } catch (e) {
      locked.done();
      options.listener?.onStageCompleted?.(stage, e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
    // Blocks the tasks stored go to the storage manager; the other regions are shuffle output.
    if (storage) {
      outcomes = outcomes.map((o) => {
        storage.countReads(o.reads, run.storage);
        return o.stored ? { ...o, regions: storage.accept(o.stored, o.regions, run.storage, o.metrics.threadId ?? 0) } : o;
      });
    }
    locked.done();
    const accumulables = stageAccumulables(outcomes.map((o) => o.accumulators));
    metrics.stages.push({ id: stage.id, kind: stage.kind, tasks: partitions.length, skipped: false, metrics: outcomes.map((o) => o.metrics), ...(accumulables.length ? { accumulables } : {}) });
    options.listener?.onStageCompleted?.(stage);
    return outcomes;
  }

  private shuffleRead(dep: ShuffleDependency, partition: number, blocks?: readonly [number, number]): NodeSpec {
    const all = this.tracker.blocks(dep.shuffleId);
    return {
      t: 'shuffle',
      read: {
        shuffleId: dep.shuffleId,
        partition,
        format: dep.format,
        // A skewed join partition's sub-task reads a range of the map blocks.
        blocks: blocks ? all.slice(blocks[0], blocks[1]) : all,
        ...(dep.aggregator ? { aggregator: dep.aggregator } : {}),
        combined: dep.mapSideCombine,
        ...(dep.partitioner?.kind === 'range' ? { ascending: dep.partitioner.ascending } : dep.ascending !== undefined ? { ascending: dep.ascending } : {}),
      },
    };
  }
}

/** Explains a plan: stages parents-first, their partitions and kernel operators. */
export function explainStages(result: Stage, tracker?: MapOutputTracker): string {
  const lines: string[] = [];
  const seen = new Set<number>();
  const visit = (stage: Stage): void => {
    if (seen.has(stage.id)) return;
    seen.add(stage.id);
    for (const p of stage.parents) visit(p);
    const skipped = stage.shuffle && tracker?.isAvailable(stage.shuffle.shuffleId) ? ' (skipped: output reused)' : '';
    const kind = stage.kind === 'result' ? 'ResultStage' : 'ShuffleMapStage';
    const parents = stage.parents.length ? `, parents: ${stage.parents.map((p) => p.id).join(', ')}` : '';
    lines.push(`Stage ${stage.id} [${kind}, ${partitionCount(stage.node)} partitions${parents}]${skipped}`);
    for (const op of stageOperators(stage)) {
      lines.push(`  ${op.label}${op.kernels.length ? `  [WASM kernel: ${op.kernels.join(', ')}]` : '  [JS]'}`);
    }
  };
  visit(result);
  return lines.join('\n');
}

function splitContext(node: LineageNode, partition: number): ErrorContext {
  const splits = inputSplits(node, partition);
  if (splits.length === 0) return {};
  const s = splits[0]!;
  return { file: splits.length > 1 ? `${s.path} (+${splits.length - 1} more)` : s.path, range: [s.start, s.start + s.length] };
}

/** Ids of the persisted datasets in a job's lineage (joins' sides included). */
function persistedIn(node: LineageNode, storage: StorageManager): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const visit = (n: LineageNode): void => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    if (storage.levelOf(n.id)) out.push(n.id);
    const l = n.lineage;
    const parents = l.kind === 'join' ? [l.plan.left.parent, l.plan.right.parent] : dependencies(n).map((d) => d.parent);
    for (const p of parents) visit(p);
  };
  visit(node);
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
