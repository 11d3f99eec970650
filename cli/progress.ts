// The console progress bar, after Spark's ConsoleProgressBar: one stderr line such as
// `[Stage 1:=========>        (12 + 2) / 40] 183.2 MB/s`. Policy, Spark's: a stage is
// shown only after it has run for SHOW_AFTER_MS (short jobs print nothing) and only if
// it has more than one task; at most MAX_STAGES stages share the line, each getting an
// equal part of the width; the line is redrawn every REFRESH_MS and only when its text
// changed, and erased with spaces when the job ends, so results and the summary start
// on a clean line. Whether a bar is drawn at all (a TTY, or --progress always) is
// decided by the caller; this class only draws. No colour is used, so NO_COLOR holds.
import type { JobListener, Stage, TaskMetrics } from '../engine/index.js';

/** A stage is shown after it has run this long (Spark: 500 ms). */
export const SHOW_AFTER_MS = 500;
/** Redraw period (Spark: 200 ms). */
export const REFRESH_MS = 200;
/** Stages shown side by side at most (Spark: 3). */
export const MAX_STAGES = 3;

/** What the bar draws on and how it tells time (injectable for tests). */
export interface ProgressTarget {
  write(text: string): void;
  /** Line width in columns. */
  readonly columns: number;
  now(): number;
}

interface StageState {
  readonly id: number;
  readonly total: number;
  readonly startedAt: number;
  completed: number;
  active: number;
  bytes: number;
}

/** A JobListener that draws the progress line. Call `start()` once and `finish()` at the end. */
export class ConsoleProgress implements JobListener {
  private readonly stages = new Map<number, StageState>();
  private shown = '';
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly target: ProgressTarget) {}

  /** Starts redrawing every REFRESH_MS (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  /** Stops redrawing and erases the line. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stages.clear();
    this.clear();
  }

  onStageSubmitted(stage: Stage, tasks: number): void {
    this.stages.set(stage.id, { id: stage.id, total: tasks, startedAt: this.target.now(), completed: 0, active: 0, bytes: 0 });
  }

  onTaskStart(stageId: number): void {
    const s = this.stages.get(stageId);
    if (s) s.active++;
  }

  onTaskEnd(stageId: number, _partition: number, metrics: TaskMetrics, ok: boolean): void {
    const s = this.stages.get(stageId);
    if (!s) return;
    s.active = Math.max(0, s.active - 1);
    if (ok) {
      s.completed++;
      s.bytes += metrics.inputBytes + metrics.shuffleReadBytes;
    }
  }

  onStageCompleted(stage: Stage): void {
    this.stages.delete(stage.id);
    // Redraw now: the finished stage leaves the line, and if no stage is left to show
    // the line is erased before the next job's output.
    if (this.shown !== '') this.refresh();
  }

  /** Redraws if the line changed (called by the timer; public for tests). */
  refresh(): void {
    const line = this.render();
    if (line === this.shown) return;
    if (line === '') {
      this.clear();
      return;
    }
    // Pad over the tail of a longer previous line.
    this.target.write(`\r${line.padEnd(this.shown.length, ' ')}`);
    this.shown = line;
  }

  /** The line for the current state ('' when nothing is to be shown). */
  render(): string {
    const now = this.target.now();
    const visible = [...this.stages.values()]
      .filter((s) => s.total > 1 && now - s.startedAt >= SHOW_AFTER_MS)
      .sort((a, b) => a.id - b.id)
      .slice(0, MAX_STAGES);
    if (visible.length === 0) return '';
    const seconds = (now - Math.min(...visible.map((s) => s.startedAt))) / 1000;
    const bytes = visible.reduce((sum, s) => sum + s.bytes, 0);
    const rate = ` ${formatRate(bytes, seconds)}`;
    // The last column stays free: writing into it makes some terminals wrap.
    const width = Math.max(20, this.target.columns - 1 - rate.length);
    const each = Math.floor(width / visible.length);
    return visible.map((s) => bar(s, each)).join('') + rate;
  }

  private clear(): void {
    if (this.shown === '') return;
    this.target.write(`\r${' '.repeat(this.shown.length)}\r`);
    this.shown = '';
  }
}

/** One stage's bar in `width` columns: `[Stage 3:====>     (12 + 2) / 40]`. */
function bar(s: StageState, width: number): string {
  const header = `[Stage ${s.id}:`;
  const tailer = `(${s.completed} + ${s.active}) / ${s.total}]`;
  const w = width - header.length - tailer.length;
  if (w <= 0) return header + tailer;
  const done = Math.floor((w * s.completed) / s.total);
  const body = done > 0 ? `${'='.repeat(done - 1)}>${' '.repeat(w - done)}` : ' '.repeat(w);
  return header + body + tailer;
}

/** Bytes per second as "183.2 MB/s" (decimal megabytes, as disks and networks count). */
export function formatRate(bytes: number, seconds: number): string {
  if (!(seconds > 0)) return '0.0 MB/s';
  return `${(bytes / 1e6 / seconds).toFixed(1)} MB/s`;
}
