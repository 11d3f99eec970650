// The diagnosis box: what is wrong with a stage, and the setting or call to change,
// with the numbers behind it. Policy: a finding is made only from recorded facts
// (task metrics, the effective settings, broadcast sizes, kernel hints), with
// thresholds that say "clearly" rather than "maybe": skew is a slowest task over 3x
// the median that is also at least SKEW_MIN_MS long (a 3 ms task next to 1 ms ones is
// noise, not skew); tiny partitions are many tasks whose median reads under 1 MiB and
// runs under 20 ms; a broadcast is too large past 64 MiB, because every worker thread
// deserializes its own copy onto its JS heap.

/** One finding. */
export interface Finding {
  /** skew | spill | tiny-partitions | large-broadcast | js-path */
  readonly kind: 'skew' | 'spill' | 'tiny-partitions' | 'large-broadcast' | 'js-path';
  /** The problem, with its numbers. */
  readonly problem: string;
  /** What to change. */
  readonly advice: string;
}

/** The facts of one finished (or running) stage attempt that the rules read. */
export interface StageFacts {
  readonly stageId: number;
  /** Successful tasks: partition, run time, bytes read (input + shuffle), spill. */
  readonly tasks: readonly { partition: number; runMs: number; readBytes: number; spillBytes: number }[];
  readonly kernelHints: readonly { Problem: string; Advice: string }[];
  /** Broadcasts alive when the stage ran: id and serialized bytes. */
  readonly broadcasts: readonly { id: number; bytes: number }[];
  /** Effective settings: worker threads and shuffle memory in bytes (if known). */
  readonly workers: number;
  readonly memoryBytes: number | undefined;
}

/** Slowest task below this is never called skew. */
export const SKEW_MIN_MS = 100;
/** Max over median above this is skew (the 3x). */
export const SKEW_RATIO = 3;
/** A broadcast larger than this is flagged. */
export const LARGE_BROADCAST_BYTES = 64 << 20;
const TINY_BYTES = 1 << 20;
const TINY_MS = 20;

/** Findings for one stage attempt. */
export function diagnoseStage(f: StageFacts): Finding[] {
  const out: Finding[] = [];
  const n = f.tasks.length;
  if (n >= 2) {
    const byTime = [...f.tasks].sort((a, b) => a.runMs - b.runMs);
    const median = byTime[Math.floor((n - 1) / 2)]!;
    const max = byTime[n - 1]!;
    if (max.runMs >= SKEW_MIN_MS && max.runMs > SKEW_RATIO * Math.max(median.runMs, 1)) {
      out.push({
        kind: 'skew',
        problem: `skew: partition ${max.partition} ran ${ms(max.runMs)}, ${(max.runMs / Math.max(median.runMs, 1)).toFixed(1)}x the median task (${ms(median.runMs)}) of ${n}; it read ${bytes(max.readBytes)} against a median of ${bytes(median.readBytes)}`,
        advice: 'spread the keys: more shuffle partitions (reduceByKey(fn, n), partitionBy, repartition(n), --partitions), or salt a hot key; for one large input split, a smaller maxPartitionBytes (--split-size)',
      });
    }
  }
  const spilled = f.tasks.filter((t) => t.spillBytes > 0);
  if (spilled.length > 0) {
    const total = spilled.reduce((s, t) => s + t.spillBytes, 0);
    const now = f.memoryBytes !== undefined ? ` (now ${bytes(f.memoryBytes)})` : '';
    out.push({
      kind: 'spill',
      problem: `spill: ${spilled.length} of ${n} tasks spilled ${bytes(total)} of shuffle output to disk`,
      advice: `give the shuffle more memory${now}: Kiln.start({ memory: '${suggestMemory(f.memoryBytes, total)}' }) or --memory ${suggestMemory(f.memoryBytes, total)} (KILN_MEMORY)`,
    });
  }
  const workers = Math.max(1, f.workers);
  if (n >= Math.max(8, 4 * workers)) {
    const medianOf = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    const medBytes = medianOf(f.tasks.map((t) => t.readBytes));
    const medMs = medianOf(f.tasks.map((t) => t.runMs));
    if (medBytes < TINY_BYTES && medMs < TINY_MS) {
      const target = 2 * workers;
      out.push({
        kind: 'tiny-partitions',
        problem: `many tiny partitions: ${n} tasks on ${workers} worker${workers > 1 ? 's' : ''}, the median task read ${bytes(medBytes)} in ${ms(medMs)}, so per-task overhead dominates`,
        advice: `use fewer, larger partitions: coalesce(${target}) or fewer shuffle partitions (--partitions ${target}, shufflePartitions), or a larger maxPartitionBytes for many small files`,
      });
    }
  }
  for (const b of f.broadcasts) {
    if (b.bytes > LARGE_BROADCAST_BYTES) {
      out.push({
        kind: 'large-broadcast',
        problem: `broadcast ${b.id} is ${bytes(b.bytes)} serialized; each of ${workers} worker thread${workers > 1 ? 's' : ''} deserializes its own copy (${bytes(b.bytes * workers)} in all)`,
        advice: `keep broadcasts under ${bytes(LARGE_BROADCAST_BYTES)}: join the large side with a shuffle instead, or broadcast only the keys the job needs; call broadcast.destroy() when done`,
      });
    }
  }
  for (const hint of f.kernelHints) {
    out.push({ kind: 'js-path', problem: `slow JS path: ${hint.Problem}`, advice: hint.Advice });
  }
  return out;
}

function suggestMemory(now: number | undefined, spilled: number): string {
  const want = (now ?? 0) + spilled;
  const gib = Math.ceil((want * 1.25) / 2 ** 30);
  return gib >= 1 ? `${gib}g` : `${Math.ceil((want * 1.25) / 2 ** 20)}m`;
}

/** Bytes for a person. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}
