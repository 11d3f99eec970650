// One benchmark case: one task on one input with every selected tool. Policy: first an
// untimed run of each tool whose output is checked against kiln's (it also warms the
// page cache); only tools whose output is equal are timed. Timed runs alternate the
// tools round by round (A B C, B C A, C A B, ...) so slow drifts in machine load fall
// on every tool alike rather than on whichever ran last. Last, kiln runs once more
// with --metrics (untimed) to say where its time goes.
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { compareOutputs } from './normalize.js';
import { describePhases } from './phases.js';
import { runTimed } from './runner.js';
import type { Row, RowStatus } from './table.js';
import type { Task } from './tasks.js';
import type { Tool } from './tools.js';

/** What a case needs. */
export interface CaseSpec {
  task: Task;
  input: string;
  inputName: string;
  inputBytes: number;
  /** Tools in table order; exactly one is the reference (kiln). */
  tools: Tool[];
  runs: number;
  /** A scratch directory for outputs (emptied of this case's files at the end). */
  workDir: string;
  /** Progress lines (stderr). */
  log(line: string): void;
}

/** Runs a case and returns its table rows, one per tool. */
export async function runCase(spec: CaseSpec): Promise<Row[]> {
  const { task, tools, workDir, log } = spec;
  const status = new Map<Tool, RowStatus>();
  const outPath = (t: Tool): string => join(workDir, `${task.name}-${t.id}.out`);
  const memPath = join(workDir, 'peak-kib.txt');
  const where = `${task.name} ${spec.inputName}`;
  const reference = tools.find((t) => t.reference)!;
  const load = loadavg()[0]!;

  // Check runs: kiln first, then each peer against it.
  for (const tool of tools) {
    if (tool.missing) {
      status.set(tool, { kind: 'missing', reason: tool.missing });
      continue;
    }
    const refStatus = status.get(reference);
    if (tool !== reference && refStatus?.kind === 'failed') {
      status.set(tool, { kind: 'failed', reason: 'not checked: kiln failed' });
      continue;
    }
    log(`${where}: checking ${tool.label}`);
    const r = await runTimed(tool.command(spec.input), outPath(tool), memPath);
    if (r.code !== 0) {
      status.set(tool, { kind: 'failed', reason: `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` });
      continue;
    }
    // kiln's word counts are checked for form too (parseable, sorted by count); its
    // other outputs have no form to check against themselves.
    const selfCheck = tool !== reference || task.output === 'word-counts';
    const diff = !selfCheck ? undefined : await compareOutputs(task.output, { path: outPath(reference), layout: reference.layout }, { path: outPath(tool), layout: tool.layout });
    if (diff !== undefined) status.set(tool, tool === reference ? { kind: 'failed', reason: `kiln's output: ${diff}` } : { kind: 'differs', reason: diff });
    else status.set(tool, { kind: 'timed', wallMs: [], peakKiB: [] });
  }

  // Timed runs, alternating.
  const timed = tools.filter((t) => status.get(t)?.kind === 'timed');
  for (let round = 0; round < spec.runs; round++) {
    for (let i = 0; i < timed.length; i++) {
      const tool = timed[(i + round) % timed.length]!;
      const s = status.get(tool)!;
      if (s.kind !== 'timed') continue;
      const r = await runTimed(tool.command(spec.input), outPath(tool), memPath);
      if (r.code !== 0) {
        status.set(tool, { kind: 'failed', reason: `timed run ${round + 1} exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}` });
        continue;
      }
      s.wallMs.push(r.wallMs);
      s.peakKiB.push(r.peakKiB);
      log(`${where}: ${tool.label} run ${round + 1}/${spec.runs}: ${(r.wallMs / 1000).toFixed(2)} s, ${r.peakKiB === undefined ? '?' : Math.round(r.peakKiB / 1024)} MiB`);
    }
  }

  // One more kiln run with --metrics, untimed, to say where kiln's time goes.
  const phases = new Map<Tool, string>();
  for (const tool of timed) {
    if (!tool.withMetrics || status.get(tool)?.kind !== 'timed') continue;
    const metricsPath = join(workDir, 'metrics.json');
    const r = await runTimed(tool.withMetrics(spec.input, metricsPath), outPath(tool), memPath);
    try {
      if (r.code === 0) phases.set(tool, describePhases(readFileSync(metricsPath, 'utf8'), r.wallMs));
    } catch (err) {
      log(`${where}: ${tool.label}: unreadable --metrics output (${(err as Error).message})`);
    }
    rmSync(metricsPath, { force: true });
  }

  for (const tool of tools) for (const suffix of ['', '.sorted']) rmSync(outPath(tool) + suffix, { force: true });
  return tools.map((tool) => ({
    task: task.title,
    inputName: spec.inputName,
    inputBytes: spec.inputBytes,
    tool: tool.label,
    reference: tool.reference ?? false,
    status: status.get(tool)!,
    load,
    phases: phases.get(tool),
  }));
}
