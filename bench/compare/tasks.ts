// The benchmark tasks. Policy: each task names its default inputs (deterministic
// corpora from bench/corpus.ts, regenerated when missing) and how its outputs are
// compared; which tools run it lives in tools.ts.
import { joinCorpus, sortCorpus, zipfCorpus } from '../corpus.js';
import type { OutputKind } from './normalize.js';

/** Task names, as given to `--task`. */
export const TASK_NAMES = ['wordcount', 'distinct', 'sort', 'grep', 'grep-e', 'grep-e-noliteral', 'join'] as const;

/** One of {@link TASK_NAMES}. */
export type TaskName = (typeof TASK_NAMES)[number];

/** A benchmark task. */
export interface Task {
  name: TaskName;
  /** What the table calls it. */
  title: string;
  /** How outputs are compared with kiln's. */
  output: OutputKind;
  /** Default input sizes in bytes. */
  sizes: number[];
  /** Path of the generated input of about `bytes` bytes. */
  corpus(bytes: number): Promise<string>;
}

/** The fixed string `grep` counts: a common English word that occurs in about 2 % of the corpus lines. */
export const DEFAULT_PATTERN = 'the';

/** The -E pattern of `grep-e`: its matches all hold the literal "th" (the grep kernel's prefilter). */
export const E_PATTERN = 'th[a-z]+e';

/** The -E pattern of `grep-e-noliteral`: no literal every match holds (issue 9's example). */
export const E_NOLITERAL_PATTERN = '[0-9]{5}';

/** All tasks, in table order. */
export const TASKS: readonly Task[] = [
  { name: 'wordcount', title: 'word count', output: 'word-counts', sizes: [43e6, 430e6], corpus: zipfCorpus },
  { name: 'distinct', title: 'distinct lines', output: 'line-set', sizes: [43e6, 430e6], corpus: zipfCorpus },
  { name: 'sort', title: 'sort lines', output: 'bytes', sizes: [1e9], corpus: async (bytes) => sortCorpus(bytes) },
  { name: 'grep', title: 'grep -c -F', output: 'count', sizes: [43e6, 430e6], corpus: zipfCorpus },
  { name: 'grep-e', title: `grep -c -E '${E_PATTERN}'`, output: 'count', sizes: [430e6], corpus: zipfCorpus },
  { name: 'grep-e-noliteral', title: `grep -c -E '${E_NOLITERAL_PATTERN}'`, output: 'count', sizes: [430e6], corpus: zipfCorpus },
  // The input is the fact CSV; its dimension CSV (one line per key) sits next to it
  // as NAME.dim.csv (bench/corpus.ts joinCorpus). 250 MB: 10M rows, 1M keys.
  { name: 'join', title: 'inner join (fact x dim)', output: 'line-set', sizes: [250e6], corpus: async (bytes) => joinCorpus(bytes) },
];

/** Parses a size such as "43m", "1g", "430MB" or "1000000" into bytes (decimal units). */
export function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(s.trim());
  if (!m) throw new Error(`not a size: ${JSON.stringify(s)} (use e.g. 43m, 430m, 1g)`);
  const unit = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * unit);
}

/** A size for the table: "43 MB", "1 GB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${+(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${+(bytes / 1e6).toFixed(1)} MB`;
  return `${+(bytes / 1e3).toFixed(1)} kB`;
}
