// The event recorder: turns the scheduler's listener calls into Spark events. Policy:
// it only observes — every call returns at once after handing one event to `emit`
// (the event log and the status store), so monitoring never changes how a job runs.
// Task ids, attempts and executors are kept here: the scheduler reports (stage,
// partition) per attempt, so the n-th start of a stage's partition is attempt n-1;
// an executor (a worker thread; "driver" for inline tasks) is announced with
// SparkListenerExecutorAdded the first time one of its tasks ends.
import { hostname, userInfo } from 'node:os';
import type { TaskMetrics } from '../../common/protocol/protocol.js';
import { dependencies, describe, partitionCount, type LineageNode } from '../plan/lineage.js';
import { stageOperators, type Stage } from '../plan/stage.js';
import type { JobListener } from '../plan/dag-scheduler.js';
import { KilnError } from '../../common/errors.js';
import { LOG_FORMAT_VERSION, type RddInfoJson, type RddStorageJson, type SparkEvent, type StageInfoJson, type TaskInfoJson, type TaskMetricsJson } from './events.js';
import { kernelHints } from './kernel-hints.js';

/** What the recorder says about the application when it starts. */
export interface AppDescription {
  readonly id: string;
  readonly name: string;
  /** Effective settings (the Environment page), as [name, value] pairs. */
  readonly properties: readonly (readonly [string, string])[];
  /** Worker threads (0: tasks run inline in the driver's thread). */
  readonly workers: number;
}

/** Host name shown for every executor (one machine). */
const HOST = 'localhost';

/** A started task attempt. */
interface Running {
  readonly info: TaskInfoJson;
}

/** Records a context's life as Spark events. */
export class EventRecorder implements JobListener {
  private nextTaskId = 0;
  private readonly attempts = new Map<string, number>();
  private readonly running = new Map<string, Running[]>();
  private readonly executors = new Set<string>();
  /** Stage attempt per stage id (a stage re-run after its output was dropped is a new attempt). */
  private readonly stageAttempts = new Map<number, number>();
  private readonly stageJob = new Map<number, number>();
  private ended = false;

  constructor(
    private readonly emit: (event: SparkEvent) => void,
    private readonly app: AppDescription,
    private readonly now: () => number = Date.now,
  ) {}

  /** Emits the log header, application start and environment. */
  start(): void {
    const t = this.now();
    this.emit({ Event: 'SparkListenerLogStart', 'Spark Version': LOG_FORMAT_VERSION });
    this.emit({ Event: 'SparkListenerApplicationStart', 'App Name': this.app.name, 'App ID': this.app.id, Timestamp: t, User: safeUser() });
    this.emit({
      Event: 'SparkListenerEnvironmentUpdate',
      'JVM Information': { 'Java Version': `Node.js ${process.version}`, 'Java Home': process.execPath, 'Scala Version': `V8 ${process.versions.v8}` },
      'Spark Properties': Object.fromEntries(this.app.properties),
      'Hadoop Properties': {},
      'System Properties': { 'os.name': process.platform, 'os.arch': process.arch, 'host.name': hostname(), 'process.pid': String(process.pid) },
      'Metrics Properties': {},
      'Classpath Entries': {},
    });
    if (this.app.workers === 0) this.executorSeen('driver', t);
  }

  /** Emits the application end (once). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit({ Event: 'SparkListenerApplicationEnd', Timestamp: this.now() });
  }

  /** Records the storage of every persisted dataset now (kiln's own event; see RddStorageJson). */
  storageStatus(rdds: RddStorageJson[]): void {
    this.emit({ Event: 'KilnStorageStatus', 'RDD Storage Info': rdds, Timestamp: this.now() });
  }

  /** Records a new broadcast variable and its serialized size (kiln's own event). */
  broadcastCreated(id: number, bytes: number): void {
    this.emit({ Event: 'KilnBroadcastCreated', 'Broadcast ID': id, 'Size In Bytes': bytes, Timestamp: this.now() });
  }

  /** SparkListenerJobStart, with the StageInfo of every stage the job may run. */
  onJobStart(jobId: number, result: Stage, action: string, callSite?: string): void {
    const stages = allStages(result);
    for (const s of stages) this.stageJob.set(s.id, jobId);
    this.emit({
      Event: 'SparkListenerJobStart',
      'Job ID': jobId,
      'Submission Time': this.now(),
      'Stage Infos': stages.map((s) => this.stageInfo(s, this.stageAttempts.get(s.id) ?? 0)),
      'Stage IDs': stages.map((s) => s.id),
      Properties: { 'callSite.short': callSite ?? action },
      'Kiln Action': action,
      ...(callSite ? { 'Kiln Call Site': callSite } : {}),
    });
  }

  /** SparkListenerJobEnd: JobSucceeded, or JobFailed with the error's message. */
  onJobEnd(jobId: number, error?: Error): void {
    this.emit({
      Event: 'SparkListenerJobEnd',
      'Job ID': jobId,
      'Completion Time': this.now(),
      'Job Result': error ? { Result: 'JobFailed', Exception: { Message: error.message } } : { Result: 'JobSucceeded' },
    });
  }

  /** SparkListenerStageSubmitted; a stage submitted again is its next attempt. */
  onStageSubmitted(stage: Stage, tasks: number, jobId?: number): void {
    const previous = this.stageAttempts.get(stage.id);
    const attempt = previous === undefined ? 0 : previous + 1;
    this.stageAttempts.set(stage.id, attempt);
    if (jobId !== undefined) this.stageJob.set(stage.id, jobId);
    const info = { ...this.stageInfo(stage, attempt), 'Number of Tasks': tasks, 'Submission Time': this.now() };
    this.emit({ Event: 'SparkListenerStageSubmitted', 'Stage Info': info, Properties: {} });
  }

  /** SparkListenerStageCompleted, with the Failure Reason when its task set failed. */
  onStageCompleted(stage: Stage, error?: Error): void {
    const attempt = this.stageAttempts.get(stage.id) ?? 0;
    const info: StageInfoJson = { ...this.stageInfo(stage, attempt), 'Completion Time': this.now() };
    if (error) info['Failure Reason'] = error.message;
    this.emit({ Event: 'SparkListenerStageCompleted', 'Stage Info': info });
  }

  /** SparkListenerTaskStart: a new task id; the n-th start of a partition is attempt n-1. */
  onTaskStart(stageId: number, partition: number): void {
    const key = `${stageId}:${this.stageAttempts.get(stageId) ?? 0}:${partition}`;
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    const info: TaskInfoJson = {
      'Task ID': this.nextTaskId++,
      Index: partition,
      Attempt: attempt,
      'Partition ID': partition,
      'Launch Time': this.now(),
      'Executor ID': this.app.workers === 0 ? 'driver' : 'pending',
      Host: HOST,
      Locality: 'PROCESS_LOCAL',
      Speculative: false,
      'Getting Result Time': 0,
      'Finish Time': 0,
      Failed: false,
      Killed: false,
      Accumulables: [],
    };
    const list = this.running.get(key) ?? [];
    list.push({ info });
    this.running.set(key, list);
    this.emit({ Event: 'SparkListenerTaskStart', 'Stage ID': stageId, 'Stage Attempt ID': this.stageAttempts.get(stageId) ?? 0, 'Task Info': info });
  }

  /** SparkListenerTaskEnd with Task Metrics; announces the task's executor the first time. */
  onTaskEnd(stageId: number, partition: number, metrics: TaskMetrics, ok: boolean, error?: Error): void {
    const stageAttempt = this.stageAttempts.get(stageId) ?? 0;
    const key = `${stageId}:${stageAttempt}:${partition}`;
    const started = this.running.get(key)?.shift();
    const t = this.now();
    // With zero workers every task runs in the driver (inline, or on its user-code thread: exec/user-code.ts), as Spark's local mode.
    const executor = this.app.workers === 0 || metrics.threadId === undefined || metrics.threadId === 0 ? 'driver' : String(metrics.threadId);
    this.executorSeen(executor, started?.info['Launch Time'] ?? t);
    // A cancelled attempt (the stage failed or the job was stopped) is Spark's "killed", not a failure.
    const killed = !ok && error instanceof KilnError && error.kind === 'aborted';
    const info: TaskInfoJson = { ...(started?.info ?? this.orphanInfo(partition, t)), 'Executor ID': executor, 'Finish Time': t, Failed: !ok && !killed, Killed: killed };
    this.emit({
      Event: 'SparkListenerTaskEnd',
      'Stage ID': stageId,
      'Stage Attempt ID': stageAttempt,
      'Task Type': this.isResultStage(stageId) ? 'ResultTask' : 'ShuffleMapTask',
      'Task End Reason': ok
        ? { Reason: 'Success' }
        : killed
          ? { Reason: 'TaskKilled', 'Kill Reason': error!.message }
          : { Reason: 'ExceptionFailure', 'Class Name': error?.name ?? 'Error', Description: error?.message ?? 'task failed', 'Stack Trace': [] },
      'Task Info': info,
      'Task Metrics': taskMetricsJson(metrics),
    });
  }

  private readonly resultStages = new Set<number>();

  private isResultStage(stageId: number): boolean {
    return this.resultStages.has(stageId);
  }

  private orphanInfo(partition: number, t: number): TaskInfoJson {
    return { 'Task ID': this.nextTaskId++, Index: partition, Attempt: 0, 'Partition ID': partition, 'Launch Time': t, 'Executor ID': 'driver', Host: HOST, Locality: 'PROCESS_LOCAL', Speculative: false, 'Getting Result Time': 0, 'Finish Time': t, Failed: false, Killed: false, Accumulables: [] };
  }

  private executorSeen(id: string, t: number): void {
    if (this.executors.has(id)) return;
    this.executors.add(id);
    this.emit({ Event: 'SparkListenerExecutorAdded', Timestamp: t, 'Executor ID': id, 'Executor Info': { Host: HOST, 'Total Cores': 1, 'Log Urls': {}, Attributes: {}, Resources: {} } });
  }

  private stageInfo(stage: Stage, attempt: number): StageInfoJson {
    if (stage.kind === 'result') this.resultStages.add(stage.id);
    const rdds = stageRdds(stage);
    const ops = stageOperators(stage);
    const info: StageInfoJson = {
      'Stage ID': stage.id,
      'Stage Attempt ID': attempt,
      'Stage Name': ops[ops.length - 1]?.label ?? `stage ${stage.id}`,
      'Number of Tasks': partitionCount(stage.node),
      'RDD Info': rdds,
      'Parent IDs': stage.parents.map((p) => p.id),
      Details: ops.map((o) => `${o.label}${o.kernels.length ? `  [WASM kernel: ${o.kernels.join(', ')}]` : '  [JS]'}`).join('\n'),
      Accumulables: [],
      'Kiln Stage Kind': stage.kind === 'result' ? 'ResultStage' : 'ShuffleMapStage',
      'Kiln Operators': ops.map((o) => ({ Label: o.label, Kernels: o.kernels })),
    };
    const hints = kernelHints(stage);
    if (hints.length) info['Kiln Kernel Hints'] = hints;
    return info;
  }
}

/** The stage and its ancestors, parents first. */
function allStages(result: Stage): Stage[] {
  const out: Stage[] = [];
  const seen = new Set<number>();
  const visit = (s: Stage): void => {
    if (seen.has(s.id)) return;
    seen.add(s.id);
    for (const p of s.parents) visit(p);
    out.push(s);
  };
  visit(result);
  return out;
}

/** The datasets of a stage's narrow chain (Spark's RDD Info), sources first. */
function stageRdds(stage: Stage): RddInfoJson[] {
  const out: RddInfoJson[] = [];
  const seen = new Set<number>();
  const visit = (n: LineageNode): void => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    const deps = dependencies(n);
    for (const d of deps) if (d.kind === 'narrow') visit(d.parent);
    const { label, kernels } = describe(n);
    out.push({
      'RDD ID': n.id,
      Name: label,
      'Parent IDs': deps.map((d) => d.parent.id),
      'Number of Partitions': partitionCount(n),
      'Number of Cached Partitions': 0,
      'Memory Size': 0,
      'Disk Size': 0,
      Callsite: label,
      'Kiln Kernels': kernels,
    });
  };
  visit(stage.node);
  return out;
}

/** Spark's "Task Metrics" from kiln's. kiln reads shuffle blocks in place, so every read is local. */
export function taskMetricsJson(m: TaskMetrics): TaskMetricsJson {
  return {
    'Executor Deserialize Time': 0,
    'Executor Deserialize CPU Time': 0,
    'Executor Run Time': Math.round(m.runMs),
    'Executor CPU Time': 0,
    'Peak Execution Memory': m.peakMemoryBytes ?? 0,
    'Result Size': 0,
    'JVM GC Time': 0,
    'Result Serialization Time': 0,
    'Memory Bytes Spilled': m.spillBytes,
    'Disk Bytes Spilled': m.spillBytes,
    'Shuffle Read Metrics': {
      'Remote Blocks Fetched': 0,
      'Local Blocks Fetched': 0,
      'Fetch Wait Time': 0,
      'Remote Bytes Read': 0,
      'Remote Bytes Read To Disk': 0,
      'Local Bytes Read': m.shuffleReadBytes,
      'Total Records Read': m.shuffleReadRecords,
    },
    'Shuffle Write Metrics': { 'Shuffle Bytes Written': m.shuffleWriteBytes, 'Shuffle Write Time': 0, 'Shuffle Records Written': m.shuffleWriteRecords },
    'Input Metrics': { 'Bytes Read': m.inputBytes, 'Records Read': m.inputRecords },
    'Output Metrics': { 'Bytes Written': 0, 'Records Written': 0 },
    'Updated Blocks': [],
    'Kiln Result Records': m.resultRecords,
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
