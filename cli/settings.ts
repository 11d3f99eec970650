// Engine settings from the command line and the environment. Policy: a flag wins over
// its environment variable (KILN_WORKERS, KILN_MEMORY), which wins over the engine's
// default. One exception to the engine's default of one worker per CPU: when neither
// flag nor variable sets the worker count and the inputs are small, the CLI starts
// fewer workers (one per SMALL_INPUT_BYTES of input), because starting a worker
// thread costs tens of milliseconds and a one-line file should not wait for them; a
// directory counts by the size of its files (20 000 tiny files run inline).
import { availableParallelism } from 'node:os';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isHiddenName } from '../engine/common/io/files.js';
import type { KilnOptions } from '../engine/index.js';
import { choice, nonNegativeInt, positiveInt, type OptionValues } from './args.js';
import { UsageError } from './errors.js';

/** Input bytes per worker below which the CLI starts fewer workers than CPUs. */
export const SMALL_INPUT_BYTES = 8 << 20;

/** How results are printed. */
export type OutputFormat = 'text' | 'tsv' | 'json';

/** When the progress bar is drawn. */
export type ProgressMode = 'auto' | 'always' | 'never';

/** Everything the CLI needs besides the command's own flags. */
export interface CliSettings {
  readonly engine: KilnOptions;
  /** Whether the worker count was chosen by the user (flag or environment). */
  readonly workersChosen: boolean;
  readonly format: OutputFormat;
  readonly output: string | undefined;
  readonly overwrite: boolean;
  readonly quiet: boolean;
  readonly progress: ProgressMode;
  readonly metrics: string | undefined;
  readonly debug: boolean;
  /** --ui-wait: keep serving the UI after the job until Ctrl-C. */
  readonly uiWait: boolean;
}

/** Reads the global flags and environment; throws UsageError for a bad value. */
export function settingsFrom(flags: OptionValues, env: NodeJS.ProcessEnv): CliSettings {
  const engine: KilnOptions = {};
  const workers = nonNegativeInt(flags.workers, 'workers') ?? envInt(env, 'KILN_WORKERS');
  if (workers !== undefined) engine.workers = workers;
  const master = str(flags.master) ?? nonEmpty(env.KILN_MASTER);
  if (master !== undefined) engine.master = master;
  const memory = str(flags.memory) ?? nonEmpty(env.KILN_MEMORY);
  if (memory !== undefined) engine.memory = checkSize(memory, flags.memory !== undefined ? '--memory' : 'KILN_MEMORY');
  const workerMemory = str(flags['worker-memory']) ?? nonEmpty(env.KILN_WORKER_MEMORY);
  if (workerMemory !== undefined) engine.workerMemory = checkSize(workerMemory, flags['worker-memory'] !== undefined ? '--worker-memory' : 'KILN_WORKER_MEMORY');
  const split = str(flags['split-size']);
  if (split !== undefined) engine.maxPartitionBytes = checkSize(split, '--split-size');
  const partitions = positiveInt(flags.partitions, 'partitions');
  if (partitions !== undefined) engine.shufflePartitions = partitions;
  const maxRecord = str(flags['max-record-bytes']);
  if (maxRecord !== undefined) engine.maxRecordBytes = checkSize(maxRecord, '--max-record-bytes');
  if (flags.io !== undefined) engine.io = choice(flags.io, 'io', ['read', 'mmap'] as const, 'read');
  const eventLog = str(flags['event-log']) ?? nonEmpty(env.KILN_EVENT_LOG);
  if (eventLog !== undefined) engine.eventLog = eventLog;
  const uiPort = flags['ui-port'] === '0' ? 0 : positiveInt(flags['ui-port'], 'ui-port');
  const uiHost = str(flags['ui-host']);
  const wantUi = flags.ui === true || flags['ui-wait'] === true || uiPort !== undefined || uiHost !== undefined;
  if (wantUi) engine.ui = { ...(uiPort !== undefined ? { port: uiPort } : {}), ...(uiHost !== undefined ? { host: uiHost } : {}) };
  return {
    engine,
    workersChosen: workers !== undefined || master !== undefined,
    format: choice(flags.format, 'format', ['text', 'tsv', 'json'] as const, 'text'),
    output: str(flags.output),
    overwrite: flags.overwrite === true,
    quiet: flags.quiet === true,
    progress: choice(flags.progress, 'progress', ['auto', 'always', 'never'] as const, 'auto'),
    metrics: str(flags.metrics),
    debug: flags.debug === true,
    uiWait: flags['ui-wait'] === true,
  };
}

/**
 * Below this many input bytes the job runs inline in the CLI's own thread (engine
 * `workers: 0`): the kernels get through it faster than a worker thread starts.
 */
export const INLINE_INPUT_BYTES = 1 << 20;

/**
 * The worker count for inputs totalling `bytes` when the user did not choose one:
 * none (inline) below INLINE_INPUT_BYTES, else one worker per SMALL_INPUT_BYTES, at
 * least one, at most one per CPU.
 */
export function workersForInput(bytes: number): number {
  if (bytes < INLINE_INPUT_BYTES) return 0;
  return Math.max(1, Math.min(availableParallelism(), Math.ceil(bytes / SMALL_INPUT_BYTES)));
}

/**
 * Total size of the files among `paths`, as far as it matters for choosing workers:
 * plain files by stat, a directory by its listed files (hidden names skipped, as the
 * engine does), counted only up to `enough` bytes (past that every CPU is used, so the
 * listing stops). Globs count as large: expanding them here would list them twice.
 * Missing paths count as 0; the engine reports them properly when the job is built.
 */
export function plainInputBytes(paths: readonly string[], enough = SMALL_INPUT_BYTES * availableParallelism()): number {
  let total = 0;
  for (const p of paths) {
    if (total > enough) break;
    try {
      const st = statSync(p);
      if (st.isFile()) total += st.size;
      else if (st.isDirectory()) total += directoryBytes(p, enough - total);
      else total = Number.POSITIVE_INFINITY;
    } catch {
      // Reported by the engine with the right wording.
      if (/[*?[\]{}]/.test(p)) total = Number.POSITIVE_INFINITY;
    }
  }
  return total;
}

/** Bytes of a directory's input files, stopping once past `limit`. */
function directoryBytes(dir: string, limit: number): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    if (isHiddenName(name)) continue;
    try {
      const st = statSync(join(dir, name));
      if (st.isFile()) total += st.size;
    } catch {
      // The engine's listing reports it.
    }
    if (total > limit) return total;
  }
  return total;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = nonEmpty(env[name]);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`${name} must be a whole number (0 runs the job inline), got "${v}"`);
  return Number(v);
}

function checkSize(value: string, where: string): string {
  // The engine's parseSize accepts these; checked here to blame the right flag.
  if (!/^\s*\d+(\.\d+)?\s*[kmgt]?(i?b)?\s*$/i.test(value)) {
    throw new UsageError(`${where} must be a size such as 512m, 2g or 1048576, got "${value}"`);
  }
  return value;
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}
