// `npm run bench:history`: how long `kiln history` takes to load a 1 GB event log
// (the goal: under 10 s; Spark's history server takes minutes to hours).
// Policy: the log is made from a real job's events — a 2-stage job of 64 + 64 tasks
// run with eventLog on — repeated with renumbered job, stage and task ids and shifted
// times until it holds 1 GB, then cached under bench/data/eventlog-1g/. Timed, in one
// process, alternating, 3 runs each: the floor (read the file and cut its lines, no
// parse) and the history server's whole load (HistoryProvider.refresh: read, parse,
// build the status store). Reported: medians, the load/floor ratio, GB/s, peak RSS.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kiln } from '../engine/index.js';
import { HistoryProvider } from '../engine/driver/monitor/history.js';

const TARGET = Number(process.env.KILN_BENCH_LOG_BYTES ?? 1e9);
const RUNS = 3;
const DIR = join(fileURLToPath(new URL('../../bench/data', import.meta.url)), `eventlog-${TARGET}`);

/** The events of one real job (and the application's header), as parsed objects. */
async function templateEvents(): Promise<Record<string, any>[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'kiln-bench-log-'));
  const kiln = await Kiln.start({ workers: 2, eventLog: tmp });
  try {
    const data = Array.from({ length: 64_000 }, (_, i) => `key${i % 5000}`);
    await kiln.parallelize(data, 64).map((w): [string, number] => [w, 1]).reduceByKey('sum', 64).collect();
  } finally {
    await kiln.stop();
  }
  const file = join(tmp, readdirSync(tmp)[0]!);
  const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  rmSync(tmp, { recursive: true, force: true });
  return events;
}

/** Writes the cached log of TARGET bytes, if missing. */
async function ensureLog(): Promise<string> {
  const path = join(DIR, 'kiln-bench-app');
  if (existsSync(path) && statSync(path).size >= TARGET) return path;
  mkdirSync(DIR, { recursive: true });
  const events = await templateEvents();
  const jobStart = events.findIndex((e) => e.Event === 'SparkListenerJobStart');
  const jobEnd = events.findIndex((e) => e.Event === 'SparkListenerJobEnd');
  const head = events.slice(0, jobStart).filter((e) => e.Event !== 'SparkListenerExecutorAdded');
  const executors = events.filter((e) => e.Event === 'SparkListenerExecutorAdded');
  const block = events.slice(jobStart, jobEnd + 1).filter((e) => e.Event !== 'SparkListenerExecutorAdded');
  const stagesPerJob = 2;
  const tasksPerJob = block.filter((e) => e.Event === 'SparkListenerTaskStart').length;
  const span = block[block.length - 1]!['Completion Time'] - block[0]!['Submission Time'] + 1;
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  let written = 0;
  let pending: string[] = [];
  let pendingBytes = 0;
  const put = (e: unknown): void => {
    const line = `${JSON.stringify(e)}\n`;
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes > 8 << 20) flush();
  };
  const flush = (): void => {
    const buf = Buffer.from(pending.join(''));
    writeSync(fd, buf);
    written += buf.length;
    pending = [];
    pendingBytes = 0;
  };
  for (const e of head) put({ ...e, 'App ID': e['App ID'] !== undefined ? 'kiln-bench-app' : undefined });
  for (const e of executors) put(e);
  for (let k = 0; written + pendingBytes < TARGET; k++) {
    const dt = k * span;
    const sid = (id: number): number => id + k * stagesPerJob;
    for (const e of block) {
      const c = structuredClone(e);
      switch (c.Event) {
        case 'SparkListenerJobStart':
          c['Job ID'] = k;
          c['Submission Time'] += dt;
          c['Stage IDs'] = c['Stage IDs'].map(sid);
          for (const s of c['Stage Infos']) {
            s['Stage ID'] = sid(s['Stage ID']);
            s['Parent IDs'] = s['Parent IDs'].map(sid);
          }
          break;
        case 'SparkListenerJobEnd':
          c['Job ID'] = k;
          c['Completion Time'] += dt;
          break;
        case 'SparkListenerStageSubmitted':
        case 'SparkListenerStageCompleted': {
          const s = c['Stage Info'];
          s['Stage ID'] = sid(s['Stage ID']);
          s['Parent IDs'] = s['Parent IDs'].map(sid);
          if (s['Submission Time'] !== undefined) s['Submission Time'] += dt;
          if (s['Completion Time'] !== undefined) s['Completion Time'] += dt;
          break;
        }
        case 'SparkListenerTaskStart':
        case 'SparkListenerTaskEnd': {
          c['Stage ID'] = sid(c['Stage ID']);
          const t = c['Task Info'];
          t['Task ID'] += k * tasksPerJob;
          t['Launch Time'] += dt;
          if (t['Finish Time']) t['Finish Time'] += dt;
          break;
        }
      }
      put(c);
    }
  }
  put({ Event: 'SparkListenerApplicationEnd', Timestamp: head[1]!.Timestamp + 1e9 });
  flush();
  closeSync(fd);
  renameSync(tmp, path);
  return path;
}

/** The floor: read the file in 16 MiB chunks and find every newline. */
function floor(path: string): number {
  const fd = openSync(path, 'r');
  const chunk = Buffer.allocUnsafe(16 << 20);
  let lines = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    for (let i = chunk.indexOf(10, 0); i >= 0 && i < n; i = chunk.indexOf(10, i + 1)) lines++;
  }
  closeSync(fd);
  return lines;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const path = await ensureLog();
const bytes = statSync(path).size;
console.log(`event log: ${path}, ${(bytes / 1e9).toFixed(2)} GB; ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}; load average ${loadavg().map((x) => x.toFixed(2)).join(', ')}`);
const floorMs: number[] = [];
const loadMs: number[] = [];
let tasks = 0;
for (let r = 0; r < RUNS; r++) {
  let t = performance.now();
  const lines = floor(path);
  floorMs.push(performance.now() - t);
  t = performance.now();
  const history = new HistoryProvider(DIR);
  history.refresh();
  loadMs.push(performance.now() - t);
  const app = history.list()[0]!;
  tasks = app.jobList().reduce((n, j) => n + (j.numCompletedTasks as number), 0);
  console.log(`run ${r + 1}: floor ${(floorMs[r]! / 1000).toFixed(2)} s (${lines} lines), history load ${(loadMs[r]! / 1000).toFixed(2)} s (${app.jobList().length} jobs, ${tasks} tasks)`);
  (globalThis as { gc?: () => void }).gc?.();
}
const load = median(loadMs);
console.log(`median: history load ${(load / 1000).toFixed(2)} s = ${(bytes / 1e9 / (load / 1000)).toFixed(2)} GB/s; floor ${(median(floorMs) / 1000).toFixed(2)} s; load/floor ${(load / median(floorMs)).toFixed(1)}x; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; load average after ${loadavg().map((x) => x.toFixed(2)).join(', ')}`);
