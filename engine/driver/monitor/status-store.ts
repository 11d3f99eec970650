// The application status store (Spark's AppStatusListener + AppStatusStore): the
// state of one application, rebuilt from its events, and the REST API's answers in
// Spark's shapes (api.scala: ApplicationInfo, JobData, StageData, TaskData,
// TaskMetricDistributions, ExecutorSummary, ApplicationEnvironmentInfo). Policy: the
// store is fed only events — live from the recorder, or replayed from a log by the
// history server — so a live UI and the history server answer alike for the same
// application. Unknown events are ignored (Spark's rule), so newer logs still load.
// Per task it keeps one small row, which is what bounds memory on a large log.
import type { RddStorageJson, SparkEvent, StageInfoJson, StorageLevelJson, TaskInfoJson, TaskMetricsJson } from './events.js';
import { diagnoseStage, type Finding } from './diagnosis.js';

/** Spark's REST date format ("2015-02-03T16:42:40.000GMT"). */
export function restDate(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString().replace('Z', 'GMT');
}

/** One task attempt: compact, since a log holds millions. */
interface TaskRow {
  taskId: number;
  index: number;
  attempt: number;
  launchTime: number;
  finishTime: number;
  executorId: string;
  status: 'RUNNING' | 'SUCCESS' | 'FAILED' | 'KILLED';
  runMs: number;
  inputBytes: number;
  inputRecords: number;
  shuffleReadBytes: number;
  shuffleReadRecords: number;
  shuffleWriteBytes: number;
  shuffleWriteRecords: number;
  memorySpilled: number;
  diskSpilled: number;
  peakMemory: number;
  resultRecords: number;
  reason: string | undefined;
}

type StageStatus = 'PENDING' | 'ACTIVE' | 'COMPLETE' | 'FAILED' | 'SKIPPED';

interface StageAttempt {
  stageId: number;
  attemptId: number;
  info: StageInfoJson;
  status: StageStatus;
  submissionTime: number | undefined;
  completionTime: number | undefined;
  failureReason: string | undefined;
  jobIds: Set<number>;
  tasks: TaskRow[];
  byTaskId: Map<number, TaskRow>;
}

interface Job {
  jobId: number;
  name: string;
  submissionTime: number;
  completionTime: number | undefined;
  stageIds: number[];
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  error: string | undefined;
  /** Stage attempts submitted while this job ran: "stageId:attempt". */
  ran: Set<string>;
}

interface Executor {
  id: string;
  addTime: number;
  activeTasks: number;
  failedTasks: number;
  completedTasks: number;
  totalDuration: number;
  totalInputBytes: number;
  totalShuffleRead: number;
  totalShuffleWrite: number;
  spilled: number;
}

/** Query of a task list (Spark's taskList parameters). */
export interface TaskListQuery {
  offset?: number;
  length?: number;
  sortBy?: string;
  status?: string;
}

/** The default quantiles of taskSummary (Spark's). */
export const DEFAULT_QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];

/** One application's state. */
export class StatusStore {
  id = 'unknown';
  name = 'kiln';
  user = 'unknown';
  version = '';
  startTime: number | undefined;
  endTime: number | undefined;
  lastUpdated = 0;
  private env: SparkEvent | undefined;
  private readonly jobs = new Map<number, Job>();
  /** Jobs not yet ended: a stage submitted now belongs to those that list it (kept apart: a log may hold thousands of jobs). */
  private readonly runningJobs = new Set<Job>();
  private readonly stages = new Map<number, StageAttempt[]>();
  private readonly executors = new Map<string, Executor>();
  private readonly broadcasts: { id: number; bytes: number; time: number }[] = [];
  /** The persisted datasets as the last KilnStorageStatus listed them. */
  private storage: RddStorageJson[] = [];
  /** Bumped on every event: clients poll it to know whether to re-read. */
  revision = 0;

  /** Applies one event. */
  apply(e: SparkEvent): void {
    this.revision++;
    const f = e as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    switch (e.Event) {
      case 'SparkListenerLogStart':
        this.version = String(f['Spark Version'] ?? '');
        break;
      case 'SparkListenerApplicationStart':
        this.id = String(f['App ID'] ?? this.id);
        this.name = String(f['App Name'] ?? this.name);
        this.user = String(f.User ?? this.user);
        this.startTime = f.Timestamp;
        this.touch(f.Timestamp);
        break;
      case 'SparkListenerApplicationEnd':
        this.endTime = f.Timestamp;
        this.touch(f.Timestamp);
        break;
      case 'SparkListenerEnvironmentUpdate':
        this.env = e;
        break;
      case 'SparkListenerExecutorAdded':
        if (!this.executors.has(f['Executor ID'])) {
          this.executors.set(f['Executor ID'], { id: f['Executor ID'], addTime: f.Timestamp, activeTasks: 0, failedTasks: 0, completedTasks: 0, totalDuration: 0, totalInputBytes: 0, totalShuffleRead: 0, totalShuffleWrite: 0, spilled: 0 });
        }
        break;
      case 'KilnStorageStatus':
        this.storage = Array.isArray(f['RDD Storage Info']) ? f['RDD Storage Info'] : [];
        this.touch(f.Timestamp);
        break;
      case 'KilnBroadcastCreated':
        this.broadcasts.push({ id: f['Broadcast ID'], bytes: f['Size In Bytes'], time: f.Timestamp });
        break;
      case 'SparkListenerJobStart': {
        const job: Job = { jobId: f['Job ID'], name: String(f['Kiln Call Site'] ?? f.Properties?.['callSite.short'] ?? f['Kiln Action'] ?? `job ${f['Job ID']}`), submissionTime: f['Submission Time'], completionTime: undefined, stageIds: f['Stage IDs'] ?? [], status: 'RUNNING', error: undefined, ran: new Set() };
        this.jobs.set(job.jobId, job);
        this.runningJobs.add(job);
        for (const info of (f['Stage Infos'] ?? []) as StageInfoJson[]) {
          const attempts = this.stages.get(info['Stage ID']);
          if (!attempts) this.stages.set(info['Stage ID'], [newAttempt(info, 'PENDING')]);
          for (const a of this.stages.get(info['Stage ID'])!) a.jobIds.add(job.jobId);
        }
        this.touch(job.submissionTime);
        break;
      }
      case 'SparkListenerJobEnd': {
        const job = this.jobs.get(f['Job ID']);
        if (!job) break;
        this.runningJobs.delete(job);
        job.completionTime = f['Completion Time'];
        const result = f['Job Result'] ?? {};
        job.status = result.Result === 'JobSucceeded' ? 'SUCCEEDED' : 'FAILED';
        job.error = result.Exception?.Message;
        // Spark: stages of the job that never ran are skipped.
        for (const id of job.stageIds) for (const a of this.stages.get(id) ?? []) if (a.status === 'PENDING') a.status = 'SKIPPED';
        this.touch(job.completionTime);
        break;
      }
      case 'SparkListenerStageSubmitted': {
        const info = f['Stage Info'] as StageInfoJson;
        const attempt = this.attempt(info);
        attempt.status = 'ACTIVE';
        attempt.submissionTime = info['Submission Time'];
        for (const job of this.runningJobs) {
          if (job.stageIds.includes(info['Stage ID'])) {
            job.ran.add(`${info['Stage ID']}:${info['Stage Attempt ID']}`);
            attempt.jobIds.add(job.jobId);
          }
        }
        this.touch(attempt.submissionTime);
        break;
      }
      case 'SparkListenerStageCompleted': {
        const info = f['Stage Info'] as StageInfoJson;
        const attempt = this.attempt(info);
        attempt.completionTime = info['Completion Time'];
        attempt.failureReason = info['Failure Reason'];
        attempt.status = info['Failure Reason'] !== undefined ? 'FAILED' : 'COMPLETE';
        this.touch(attempt.completionTime);
        break;
      }
      case 'SparkListenerTaskStart': {
        const attempt = this.attemptOf(f['Stage ID'], f['Stage Attempt ID']);
        const info = f['Task Info'] as TaskInfoJson;
        if (!attempt) break;
        const row = taskRow(info);
        attempt.tasks.push(row);
        attempt.byTaskId.set(row.taskId, row);
        const ex = this.executors.get(info['Executor ID']);
        if (ex) ex.activeTasks++;
        this.touch(info['Launch Time']);
        break;
      }
      case 'SparkListenerTaskEnd': {
        const attempt = this.attemptOf(f['Stage ID'], f['Stage Attempt ID']);
        if (!attempt) break;
        const info = f['Task Info'] as TaskInfoJson;
        let row = attempt.byTaskId.get(info['Task ID']);
        const wasRunning = row !== undefined && row.status === 'RUNNING';
        const startedOn = row?.executorId;
        if (!row) {
          row = taskRow(info);
          attempt.tasks.push(row);
          attempt.byTaskId.set(row.taskId, row);
        }
        const reason = f['Task End Reason'] ?? {};
        const killed = info.Killed === true || reason.Reason === 'TaskKilled';
        const failed = !killed && (info.Failed || reason.Reason !== 'Success');
        row.status = killed ? 'KILLED' : failed ? 'FAILED' : 'SUCCESS';
        row.finishTime = info['Finish Time'];
        row.executorId = info['Executor ID'];
        row.reason = killed ? String(reason['Kill Reason'] ?? 'killed') : failed ? String(reason.Description ?? reason.Reason ?? 'failed') : undefined;
        const m = f['Task Metrics'] as TaskMetricsJson | undefined;
        if (m) setMetrics(row, m);
        if (wasRunning && startedOn !== undefined) {
          const was = this.executors.get(startedOn);
          if (was) was.activeTasks = Math.max(0, was.activeTasks - 1);
        }
        const ex = this.executors.get(row.executorId);
        if (ex) {
          if (failed) ex.failedTasks++;
          else if (!killed) ex.completedTasks++;
          ex.totalDuration += row.finishTime - row.launchTime;
          ex.totalInputBytes += row.inputBytes;
          ex.totalShuffleRead += row.shuffleReadBytes;
          ex.totalShuffleWrite += row.shuffleWriteBytes;
          ex.spilled += row.diskSpilled;
        }
        this.touch(row.finishTime);
        break;
      }
      default:
        // Spark's rule: events a reader does not know are skipped.
        break;
    }
  }

  private touch(t: number | undefined): void {
    if (typeof t === 'number' && t > this.lastUpdated) this.lastUpdated = t;
  }

  private attempt(info: StageInfoJson): StageAttempt {
    const id = info['Stage ID'];
    const list = this.stages.get(id) ?? [];
    this.stages.set(id, list);
    let a = list.find((x) => x.attemptId === info['Stage Attempt ID']);
    if (!a) {
      a = newAttempt(info, 'PENDING');
      for (const j of list[0]?.jobIds ?? []) a.jobIds.add(j);
      list.push(a);
    }
    a.info = { ...a.info, ...info };
    return a;
  }

  private attemptOf(stageId: number, attemptId: number): StageAttempt | undefined {
    return this.stages.get(stageId)?.find((a) => a.attemptId === attemptId);
  }

  // ---- REST answers (api/v1), Spark's field names ----

  /** ApplicationInfo. */
  application(): Record<string, unknown> {
    const end = this.endTime;
    return {
      id: this.id,
      name: this.name,
      attempts: [
        {
          startTime: restDate(this.startTime),
          endTime: restDate(end ?? -1) ?? '1969-12-31T23:59:59.999GMT',
          lastUpdated: restDate(this.lastUpdated),
          duration: end !== undefined && this.startTime !== undefined ? end - this.startTime : 0,
          sparkUser: this.user,
          completed: end !== undefined,
          appSparkVersion: this.version,
          startTimeEpoch: this.startTime ?? 0,
          endTimeEpoch: end ?? -1,
          lastUpdatedEpoch: this.lastUpdated,
        },
      ],
    };
  }

  /** JobData of every job, newest first (Spark's order); `status` filters. */
  jobList(status?: readonly string[]): Record<string, unknown>[] {
    return [...this.jobs.values()]
      .filter((j) => !status || status.length === 0 || status.includes(j.status))
      .sort((a, b) => b.jobId - a.jobId)
      // The list leaves the diagnosis out: it reads every task, and pages poll lists.
      .map((j) => this.jobData(j, false));
  }

  /** JobData of one job, or undefined. */
  job(id: number): Record<string, unknown> | undefined {
    const j = this.jobs.get(id);
    return j ? this.jobData(j, true) : undefined;
  }

  private jobData(j: Job, diagnose: boolean): Record<string, unknown> {
    let numTasks = 0;
    let active = 0;
    let completed = 0;
    let failed = 0;
    let killed = 0;
    let skippedTasks = 0;
    let activeStages = 0;
    let completedStages = 0;
    let failedStages = 0;
    let skippedStages = 0;
    const indices = new Set<string>();
    const skippedIds: number[] = [];
    for (const id of j.stageIds) {
      const attempts = this.stages.get(id) ?? [];
      const ran = attempts.filter((a) => j.ran.has(`${id}:${a.attemptId}`));
      const last = ran[ran.length - 1];
      const total = (last ?? attempts[attempts.length - 1])?.info['Number of Tasks'] ?? 0;
      if (!last) {
        if (j.status !== 'RUNNING') {
          skippedStages++;
          skippedTasks += total;
          skippedIds.push(id);
        }
        numTasks += total;
        continue;
      }
      numTasks += total;
      if (last.status === 'ACTIVE') activeStages++;
      else if (last.status === 'COMPLETE') completedStages++;
      else if (last.status === 'FAILED') failedStages++;
      for (const a of ran) {
        for (const t of a.tasks) {
          if (t.status === 'RUNNING') active++;
          else if (t.status === 'SUCCESS') {
            completed++;
            indices.add(`${id}:${t.index}`);
          } else if (t.status === 'KILLED') killed++;
          else failed++;
        }
      }
    }
    return {
      jobId: j.jobId,
      name: j.name,
      description: j.name,
      submissionTime: restDate(j.submissionTime),
      completionTime: restDate(j.completionTime),
      stageIds: j.stageIds,
      jobTags: [],
      status: j.status,
      numTasks,
      numActiveTasks: active,
      numCompletedTasks: completed,
      numSkippedTasks: skippedTasks,
      numFailedTasks: failed,
      numKilledTasks: killed,
      numCompletedIndices: indices.size,
      numActiveStages: activeStages,
      numCompletedStages: completedStages,
      numSkippedStages: skippedStages,
      numFailedStages: failedStages,
      killedTasksSummary: {},
      ...(j.error !== undefined ? { kilnError: j.error } : {}),
      kilnSkippedStageIds: skippedIds,
      ...(diagnose ? { kilnDiagnosis: this.jobDiagnosis(j) } : {}),
    };
  }

  /** Findings of a job: those of each stage attempt it ran, named by stage. */
  private jobDiagnosis(j: Job): Finding[] {
    const out: Finding[] = [];
    for (const id of j.stageIds) {
      for (const a of this.stages.get(id) ?? []) {
        if (!j.ran.has(`${id}:${a.attemptId}`)) continue;
        for (const f of this.diagnosis(a)) out.push({ ...f, problem: `stage ${id}: ${f.problem}` });
      }
    }
    return out;
  }

  /** StageData of every stage attempt, newest first. */
  stageList(status?: readonly string[]): Record<string, unknown>[] {
    const all = [...this.stages.values()].flat();
    return all
      .filter((a) => !status || status.length === 0 || status.includes(a.status))
      .sort((a, b) => b.stageId - a.stageId || b.attemptId - a.attemptId)
      .map((a) => this.stageData(a, false, false));
  }

  /** StageData of every attempt of one stage. */
  stage(id: number, details: boolean): Record<string, unknown>[] | undefined {
    const list = this.stages.get(id);
    return list?.map((a) => this.stageData(a, details));
  }

  /** StageData of one attempt, with its tasks (Spark: stages/ID/ATTEMPT). */
  stageAttempt(id: number, attempt: number, details = true): Record<string, unknown> | undefined {
    const a = this.attemptOf(id, attempt);
    return a ? this.stageData(a, details) : undefined;
  }

  /** TaskData of an attempt's tasks. */
  taskList(id: number, attempt: number, q: TaskListQuery = {}): Record<string, unknown>[] | undefined {
    const a = this.attemptOf(id, attempt);
    if (!a) return undefined;
    let rows = a.tasks;
    if (q.status) rows = rows.filter((t) => t.status === q.status!.toUpperCase());
    const sorted = [...rows];
    switch (q.sortBy) {
      case 'runtime':
        sorted.sort((x, y) => x.runMs - y.runMs);
        break;
      case '-runtime':
        sorted.sort((x, y) => y.runMs - x.runMs);
        break;
      default:
        sorted.sort((x, y) => x.taskId - y.taskId);
    }
    const offset = q.offset ?? 0;
    const length = q.length ?? 20;
    return sorted.slice(offset, offset + length).map((t) => taskData(t));
  }

  /** TaskMetricDistributions over an attempt's successful tasks. */
  taskSummary(id: number, attempt: number, quantiles: readonly number[] = DEFAULT_QUANTILES): Record<string, unknown> | undefined {
    const a = this.attemptOf(id, attempt);
    if (!a) return undefined;
    const done = a.tasks.filter((t) => t.status === 'SUCCESS');
    const dist = (pick: (t: TaskRow) => number): number[] => {
      const values = done.map(pick).sort((x, y) => x - y);
      // Spark's AppStatusStore: index min(q * n, n - 1) of the sorted values.
      return quantiles.map((q) => (values.length === 0 ? 0 : values[Math.min(Math.floor(q * values.length), values.length - 1)]!));
    };
    const zeros = quantiles.map(() => 0);
    return {
      quantiles,
      duration: dist((t) => t.finishTime - t.launchTime),
      executorDeserializeTime: zeros,
      executorDeserializeCpuTime: zeros,
      executorRunTime: dist((t) => t.runMs),
      executorCpuTime: zeros,
      resultSize: zeros,
      jvmGcTime: zeros,
      resultSerializationTime: zeros,
      gettingResultTime: zeros,
      schedulerDelay: dist((t) => Math.max(0, t.finishTime - t.launchTime - t.runMs)),
      peakExecutionMemory: dist((t) => t.peakMemory),
      memoryBytesSpilled: dist((t) => t.memorySpilled),
      diskBytesSpilled: dist((t) => t.diskSpilled),
      inputMetrics: { bytesRead: dist((t) => t.inputBytes), recordsRead: dist((t) => t.inputRecords) },
      outputMetrics: { bytesWritten: zeros, recordsWritten: zeros },
      shuffleReadMetrics: {
        readBytes: dist((t) => t.shuffleReadBytes),
        readRecords: dist((t) => t.shuffleReadRecords),
        remoteBlocksFetched: zeros,
        localBlocksFetched: zeros,
        fetchWaitTime: zeros,
        remoteBytesRead: zeros,
        remoteBytesReadToDisk: zeros,
        totalBlocksFetched: zeros,
      },
      shuffleWriteMetrics: { writeBytes: dist((t) => t.shuffleWriteBytes), writeRecords: dist((t) => t.shuffleWriteRecords), writeTime: zeros },
    };
  }

  private stageData(a: StageAttempt, details: boolean, diagnose = true): Record<string, unknown> {
    const sum = (pick: (t: TaskRow) => number): number => a.tasks.reduce((s, t) => (t.status === 'RUNNING' ? s : s + pick(t)), 0);
    const count = (s: TaskRow['status']): number => a.tasks.reduce((n, t) => n + (t.status === s ? 1 : 0), 0);
    const completedIndices = new Set(a.tasks.filter((t) => t.status === 'SUCCESS').map((t) => t.index));
    const first = a.tasks.reduce((m, t) => Math.min(m, t.launchTime), Number.POSITIVE_INFINITY);
    const data: Record<string, unknown> = {
      status: a.status,
      stageId: a.stageId,
      attemptId: a.attemptId,
      numTasks: a.info['Number of Tasks'],
      numActiveTasks: count('RUNNING'),
      numCompleteTasks: count('SUCCESS'),
      numFailedTasks: count('FAILED'),
      numKilledTasks: count('KILLED'),
      numCompletedIndices: completedIndices.size,
      submissionTime: restDate(a.submissionTime),
      firstTaskLaunchedTime: Number.isFinite(first) ? restDate(first) : undefined,
      completionTime: restDate(a.completionTime),
      failureReason: a.failureReason,
      executorDeserializeTime: 0,
      executorDeserializeCpuTime: 0,
      executorRunTime: sum((t) => t.runMs),
      executorCpuTime: 0,
      resultSize: 0,
      jvmGcTime: 0,
      resultSerializationTime: 0,
      memoryBytesSpilled: sum((t) => t.memorySpilled),
      diskBytesSpilled: sum((t) => t.diskSpilled),
      peakExecutionMemory: sum((t) => t.peakMemory),
      inputBytes: sum((t) => t.inputBytes),
      inputRecords: sum((t) => t.inputRecords),
      outputBytes: 0,
      outputRecords: 0,
      shuffleRemoteBlocksFetched: 0,
      shuffleLocalBlocksFetched: 0,
      shuffleFetchWaitTime: 0,
      shuffleRemoteBytesRead: 0,
      shuffleRemoteBytesReadToDisk: 0,
      shuffleLocalBytesRead: sum((t) => t.shuffleReadBytes),
      shuffleReadBytes: sum((t) => t.shuffleReadBytes),
      shuffleReadRecords: sum((t) => t.shuffleReadRecords),
      shuffleWriteBytes: sum((t) => t.shuffleWriteBytes),
      shuffleWriteTime: 0,
      shuffleWriteRecords: sum((t) => t.shuffleWriteRecords),
      name: a.info['Stage Name'],
      description: a.info['Stage Name'],
      details: a.info.Details,
      schedulingPool: 'default',
      rddIds: a.info['RDD Info'].map((r) => r['RDD ID']),
      accumulatorUpdates: [],
      killedTasksSummary: {},
      resourceProfileId: 0,
      isShufflePushEnabled: false,
      shuffleMergersCount: 0,
      jobIds: [...a.jobIds],
      parentIds: a.info['Parent IDs'],
      kilnStageKind: a.info['Kiln Stage Kind'],
      kilnOperators: (a.info['Kiln Operators'] ?? []).map((o) => ({ label: o.Label, kernels: o.Kernels })),
      kilnRdds: a.info['RDD Info'].map((r) => ({ id: r['RDD ID'], name: r.Name, parentIds: r['Parent IDs'], partitions: r['Number of Partitions'], kernels: r['Kiln Kernels'] ?? [] })),
      ...(diagnose ? { kilnDiagnosis: this.diagnosis(a) } : {}),
    };
    if (details) data.tasks = Object.fromEntries(a.tasks.map((t) => [String(t.taskId), taskData(t)]));
    return data;
  }

  /** The diagnosis box of one stage attempt. */
  diagnosis(a: StageAttempt): Finding[] {
    const props = this.properties();
    const workers = Number(props.get('kiln.workers') ?? 1);
    const memory = props.get('kiln.memory');
    const end = a.completionTime ?? Number.POSITIVE_INFINITY;
    return diagnoseStage({
      stageId: a.stageId,
      tasks: a.tasks.filter((t) => t.status === 'SUCCESS').map((t) => ({ partition: t.index, runMs: t.runMs, readBytes: t.inputBytes + t.shuffleReadBytes, spillBytes: t.diskSpilled })),
      kernelHints: a.info['Kiln Kernel Hints'] ?? [],
      broadcasts: this.broadcasts.filter((b) => b.time <= end),
      workers,
      memoryBytes: memory !== undefined && Number.isFinite(Number(memory)) ? Number(memory) : undefined,
    });
  }

  /** ExecutorSummary of every executor (worker thread). */
  executorList(): Record<string, unknown>[] {
    return [...this.executors.values()].map((e) => ({
      id: e.id,
      hostPort: e.id === 'driver' ? 'localhost (driver thread)' : `localhost (worker thread ${e.id})`,
      isActive: this.endTime === undefined,
      rddBlocks: 0,
      memoryUsed: 0,
      diskUsed: 0,
      totalCores: 1,
      maxTasks: 1,
      activeTasks: e.activeTasks,
      failedTasks: e.failedTasks,
      completedTasks: e.completedTasks,
      totalTasks: e.activeTasks + e.failedTasks + e.completedTasks,
      totalDuration: e.totalDuration,
      totalGCTime: 0,
      totalInputBytes: e.totalInputBytes,
      totalShuffleRead: e.totalShuffleRead,
      totalShuffleWrite: e.totalShuffleWrite,
      isBlacklisted: false,
      isExcluded: false,
      maxMemory: 0,
      addTime: restDate(e.addTime),
      executorLogs: {},
      blacklistedInStages: [],
      excludedInStages: [],
      attributes: {},
      resources: {},
      resourceProfileId: 0,
      kilnDiskBytesSpilled: e.spilled,
    }));
  }

  /** RDDStorageInfo list (Spark's /storage/rdd): persisted datasets with at least one stored partition, by id. */
  storageRdds(): Record<string, unknown>[] {
    return this.storage
      .filter((r) => r['Number of Cached Partitions'] > 0)
      .sort((a, b) => a['RDD ID'] - b['RDD ID'])
      .map((r) => ({
        id: r['RDD ID'],
        name: r.Name,
        numPartitions: r['Number of Partitions'],
        numCachedPartitions: r['Number of Cached Partitions'],
        storageLevel: storageLevelDescription(r['Storage Level']),
        memoryUsed: r['Memory Size'],
        diskUsed: r['Disk Size'],
      }));
  }

  /** ApplicationEnvironmentInfo. */
  environment(): Record<string, unknown> {
    const f = (this.env ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const pairs = (o: unknown): [string, string][] => Object.entries((o ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
    const jvm = f['JVM Information'] ?? {};
    return {
      runtime: { javaVersion: jvm['Java Version'] ?? '', javaHome: jvm['Java Home'] ?? '', scalaVersion: jvm['Scala Version'] ?? '' },
      sparkProperties: pairs(f['Spark Properties']),
      hadoopProperties: pairs(f['Hadoop Properties']),
      systemProperties: pairs(f['System Properties']),
      metricsProperties: pairs(f['Metrics Properties']),
      classpathEntries: pairs(f['Classpath Entries']),
      resourceProfiles: [],
    };
  }

  private properties(): Map<string, string> {
    const f = (this.env ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    return new Map(Object.entries((f['Spark Properties'] ?? {}) as Record<string, string>));
  }
}

function newAttempt(info: StageInfoJson, status: StageStatus): StageAttempt {
  return { stageId: info['Stage ID'], attemptId: info['Stage Attempt ID'], info, status, submissionTime: undefined, completionTime: undefined, failureReason: undefined, jobIds: new Set(), tasks: [], byTaskId: new Map() };
}

function taskRow(info: TaskInfoJson): TaskRow {
  return {
    taskId: info['Task ID'],
    index: info.Index,
    attempt: info.Attempt,
    launchTime: info['Launch Time'],
    finishTime: info['Finish Time'],
    executorId: info['Executor ID'],
    status: 'RUNNING',
    runMs: 0,
    inputBytes: 0,
    inputRecords: 0,
    shuffleReadBytes: 0,
    shuffleReadRecords: 0,
    shuffleWriteBytes: 0,
    shuffleWriteRecords: 0,
    memorySpilled: 0,
    diskSpilled: 0,
    peakMemory: 0,
    resultRecords: 0,
    reason: undefined,
  };
}

function setMetrics(row: TaskRow, m: TaskMetricsJson): void {
  row.runMs = m['Executor Run Time'] ?? 0;
  row.inputBytes = m['Input Metrics']?.['Bytes Read'] ?? 0;
  row.inputRecords = m['Input Metrics']?.['Records Read'] ?? 0;
  const sr = m['Shuffle Read Metrics'];
  row.shuffleReadBytes = (sr?.['Local Bytes Read'] ?? 0) + (sr?.['Remote Bytes Read'] ?? 0);
  row.shuffleReadRecords = sr?.['Total Records Read'] ?? 0;
  row.shuffleWriteBytes = m['Shuffle Write Metrics']?.['Shuffle Bytes Written'] ?? 0;
  row.shuffleWriteRecords = m['Shuffle Write Metrics']?.['Shuffle Records Written'] ?? 0;
  row.memorySpilled = m['Memory Bytes Spilled'] ?? 0;
  row.diskSpilled = m['Disk Bytes Spilled'] ?? 0;
  row.peakMemory = m['Peak Execution Memory'] ?? 0;
  row.resultRecords = m['Kiln Result Records'] ?? 0;
}

/** Spark's TaskData of one row. */
function taskData(t: TaskRow): Record<string, unknown> {
  const running = t.status === 'RUNNING';
  return {
    taskId: t.taskId,
    index: t.index,
    attempt: t.attempt,
    partitionId: t.index,
    launchTime: restDate(t.launchTime),
    ...(running ? {} : { duration: t.finishTime - t.launchTime }),
    executorId: t.executorId,
    host: 'localhost',
    status: t.status,
    taskLocality: 'PROCESS_LOCAL',
    speculative: false,
    accumulatorUpdates: [],
    ...(t.reason !== undefined ? { errorMessage: t.reason } : {}),
    ...(running
      ? {}
      : {
          taskMetrics: {
            executorDeserializeTime: 0,
            executorDeserializeCpuTime: 0,
            executorRunTime: t.runMs,
            executorCpuTime: 0,
            resultSize: 0,
            jvmGcTime: 0,
            resultSerializationTime: 0,
            memoryBytesSpilled: t.memorySpilled,
            diskBytesSpilled: t.diskSpilled,
            peakExecutionMemory: t.peakMemory,
            inputMetrics: { bytesRead: t.inputBytes, recordsRead: t.inputRecords },
            outputMetrics: { bytesWritten: 0, recordsWritten: 0 },
            shuffleReadMetrics: { remoteBlocksFetched: 0, localBlocksFetched: 0, fetchWaitTime: 0, remoteBytesRead: 0, remoteBytesReadToDisk: 0, localBytesRead: t.shuffleReadBytes, recordsRead: t.shuffleReadRecords, remoteReqsDuration: 0 },
            shuffleWriteMetrics: { bytesWritten: t.shuffleWriteBytes, writeTime: 0, recordsWritten: t.shuffleWriteRecords },
            kilnResultRecords: t.resultRecords,
          },
        }),
    executorLogs: {},
    schedulerDelay: running ? 0 : Math.max(0, t.finishTime - t.launchTime - t.runMs),
    gettingResultTime: 0,
  };
}

/** Spark's StorageLevel.description, e.g. "Disk Memory Serialized 1x Replicated". */
function storageLevelDescription(l: StorageLevelJson): string {
  return `${l['Use Disk'] ? 'Disk ' : ''}${l['Use Memory'] ? (l['Use Off Heap'] ? 'Memory (off heap) ' : 'Memory ') : ''}${l.Deserialized ? 'Deserialized' : 'Serialized'} ${l.Replication}x Replicated`;
}
