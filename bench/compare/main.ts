// `npm run bench`: kiln against peer tools (plain Node, mawk, coreutils, GNU sort and
// grep, DuckDB), one child process per run, outputs checked equal first, medians of N
// alternating runs; prints the table and writes bench/RESULTS.md. Policy: this file
// only reads options and walks the cases; case.ts runs one, tools.ts says how each
// tool runs, normalize.ts when outputs are equal, table.ts and report.ts what is shown.
//
//   npm run bench                                   all tasks, default corpora, 5 runs
//   npm run bench -- --task wordcount --size 43m    one task, one generated size
//   npm run bench -- --file big.txt --runs 3        your own file (every task)
//   npm run bench -- --tools kiln,mawk              a subset of tools (kiln always runs)
//   npm run bench -- --out -                        do not write RESULTS.md
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCase } from './case.js';
import { describeMachine, loadAverage } from './machine.js';
import { renderReport, updateReadme, withCacheSection } from './report.js';
import { memoryProbe } from './runner.js';
import { renderTable, type Row } from './table.js';
import { DEFAULT_PATTERN, TASKS, TASK_NAMES, parseBytes, type Task } from './tasks.js';
import { toolsFor } from './tools.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEFAULT_OUT = join(ROOT, 'bench', 'RESULTS.md');
const FAMILIES = ['kiln', 'node', 'mawk', 'coreutils', 'duckdb', 'sort', 'grep'];

const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv,
  options: {
    task: { type: 'string', multiple: true },
    size: { type: 'string', multiple: true },
    file: { type: 'string', multiple: true },
    runs: { type: 'string', default: '5' },
    tools: { type: 'string' },
    pattern: { type: 'string', default: DEFAULT_PATTERN },
    threads: { type: 'string', default: '2' },
    out: { type: 'string', default: DEFAULT_OUT },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`usage: npm run bench -- [--task ${TASK_NAMES.join('|')}] [--size 43m,430m] [--file PATH] [--runs N] [--tools ${FAMILIES.join(',')}] [--pattern STR] [--threads N] [--out PATH|-]`);
  process.exit(0);
}
const list = (xs: string[] | undefined): string[] | undefined => xs?.flatMap((x) => x.split(',')).filter(Boolean);
const taskNames = list(values.task);
for (const t of taskNames ?? []) if (!(TASK_NAMES as readonly string[]).includes(t)) throw new Error(`unknown task ${t}; tasks: ${TASK_NAMES.join(', ')}`);
const families = list(values.tools === undefined ? undefined : [values.tools]);
for (const f of families ?? []) if (!FAMILIES.includes(f)) throw new Error(`unknown tool ${f}; tools: ${FAMILIES.join(', ')}`);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const threads = Number(values.threads);
const sizes = list(values.size)?.map(parseBytes);
const files = list(values.file)?.map((f) => resolve(f));

const tasks = TASKS.filter((t) => !taskNames || taskNames.includes(t.name));
const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const machine = describeMachine();
const loadBefore = loadAverage();
const startedAt = new Date();
const workDir = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
// Outputs can be gigabytes: an interrupted run still removes them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  });
}

/** The inputs of a task: the user's files, or generated corpora of the chosen sizes. */
async function inputsOf(task: Task): Promise<{ path: string; name: string; bytes: number }[]> {
  if (files) return files.map((path) => ({ path, name: basename(path), bytes: statSync(path).size }));
  const out = [];
  for (const bytes of sizes ?? task.sizes) {
    log(`${task.name}: preparing a ${bytes}-byte corpus (generated once, cached in bench/data)`);
    const path = await task.corpus(bytes);
    out.push({ path, name: basename(path), bytes: statSync(path).size });
  }
  return out;
}

const rows: Row[] = [];
try {
  for (const task of tasks) {
    const tools = toolsFor(task.name, { pattern: values.pattern!, threads }).filter((t) => t.reference || !families || families.includes(t.family));
    for (const input of await inputsOf(task)) {
      rows.push(...(await runCase({ task, input: input.path, inputName: input.name, inputBytes: input.bytes, tools, runs, workDir, log })));
    }
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

const table = renderTable(rows);
console.log(`\n${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; medians of ${runs} runs; load ${loadBefore}\n`);
console.log(table);
const usedStub = rows.some((r) => r.tool.includes('(API stub)'));
const caseLoads = [...new Map(rows.map((r) => [`${r.task} ${r.inputName}`, `${r.task} ${r.inputName}: ${r.load.toFixed(2)}`])).values()];
const phases = rows.filter((r) => r.phases).map((r) => `${r.task}, ${r.inputName}, ${r.tool}: ${r.phases}`);
if (phases.length > 0) console.log(`\nWhere kiln's time goes (one --metrics run each):\n${phases.map((p) => `- ${p}`).join('\n')}`);
if (values.out !== '-') {
  const report = { machine, command, runs, loadBefore, loadAfter: loadAverage(), startedAt, minutes: (Date.now() - startedAt.getTime()) / 60_000, memoryProbe, table, usedStub, phases, caseLoads };
  writeFileSync(values.out!, withCacheSection(values.out!, renderReport(report)));
  log(`wrote ${values.out}`);
  const fullRun = !taskNames && !sizes && !files && !families && resolve(values.out!) === DEFAULT_OUT;
  const summary = `Medians of ${runs} runs on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, load average ${loadBefore} at the start${Number(loadBefore.split(',')[0]) > 0.5 ? ' (a shared machine: noisy)' : ''}; from [bench/RESULTS.md](bench/RESULTS.md), which lists the tool versions and how each peer was made to compute the same result.`;
  if (fullRun && updateReadme(join(ROOT, 'README.md'), table, summary)) log('updated the Performance table in README.md');
}
process.exitCode = rows.some((r) => r.status.kind === 'failed' || r.status.kind === 'differs') ? 1 : 0;
