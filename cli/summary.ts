// What a command did, in numbers. Policy: the recorder listens to every task of every
// job the command runs (a sort runs a sampling job before the sort itself), sums the
// metrics of successful attempts, and keeps each job's JobMetrics as the engine
// reports them. After the command, one stderr line summarises input bytes, records,
// shuffle and spill bytes, wall time and throughput (silenced by --quiet); --metrics
// FILE writes everything as JSON for tools.
import { writeFile } from 'node:fs/promises';
import type { JobListener, JobMetrics, Kiln, Stage, TaskMetrics } from '../engine/index.js';

/** Totals over the successful tasks of all jobs. */
export interface Totals {
  inputBytes: number;
  inputRecords: number;
  shuffleWriteBytes: number;
  shuffleReadBytes: number;
  spillBytes: number;
  tasks: number;
  failedAttempts: number;
}

/** Listens to tasks and collects job metrics. */
export class MetricsRecorder implements JobListener {
  /** Sums over successful task attempts. */
  readonly totals: Totals = { inputBytes: 0, inputRecords: 0, shuffleWriteBytes: 0, shuffleReadBytes: 0, spillBytes: 0, tasks: 0, failedAttempts: 0 };
  private readonly jobs = new Map<number, JobMetrics>();
  private kiln: Kiln | undefined;

  /** Sets the context whose finished jobs are recorded. */
  attach(kiln: Kiln): void {
    this.kiln = kiln;
  }

  onStageSubmitted(_stage: Stage, _tasks: number): void {
    // A job's metrics appear when it ends; a new stage is the moment to pick up a job
    // that ended before it (the sampling job of a sort ends inside the sort's job).
    this.capture();
  }

  onTaskEnd(_stageId: number, _partition: number, m: TaskMetrics, ok: boolean): void {
    if (!ok) {
      this.totals.failedAttempts++;
      return;
    }
    const t = this.totals;
    t.inputBytes += m.inputBytes;
    t.inputRecords += m.inputRecords;
    t.shuffleWriteBytes += m.shuffleWriteBytes;
    t.shuffleReadBytes += m.shuffleReadBytes;
    t.spillBytes += m.spillBytes;
    t.tasks++;
  }

  /** Records the context's last finished job if it is new. */
  capture(): void {
    const last = this.kiln?.lastJobMetrics;
    if (last && !this.jobs.has(last.jobId)) this.jobs.set(last.jobId, last);
  }

  /** The jobs recorded so far, in job order. */
  jobMetrics(): JobMetrics[] {
    this.capture();
    return [...this.jobs.values()].sort((a, b) => a.jobId - b.jobId);
  }

  /** The summary line: input, records, shuffle, spill, wall time, throughput. */
  summary(wallMs: number): string {
    const t = this.totals;
    const seconds = wallMs / 1000;
    const parts = [
      `read ${formatBytes(t.inputBytes)}`,
      `${t.inputRecords.toLocaleString('en-US')} records`,
      `shuffle ${formatBytes(t.shuffleWriteBytes)}`,
      `spill ${formatBytes(t.spillBytes)}`,
      `${seconds.toFixed(2)} s`,
      `${(t.inputBytes / 1e6 / Math.max(seconds, 1e-9)).toFixed(1)} MB/s`,
    ];
    if (t.failedAttempts > 0) parts.push(`${t.failedAttempts} failed task attempts retried`);
    return `kiln: ${parts.join(', ')}`;
  }

  /** Writes the --metrics JSON file. */
  async write(path: string, info: { command: string; wallMs: number }): Promise<void> {
    const body = { command: info.command, wallMs: info.wallMs, totals: this.totals, jobs: this.jobMetrics() };
    await writeFile(path, `${JSON.stringify(body, null, 2)}\n`);
  }
}

/** Bytes in decimal units: "0 B", "12.3 kB", "4.5 MB", "1.2 GB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
