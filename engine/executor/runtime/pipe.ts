// pipe(): one external process per partition (Spark's PipedRDD). Policy: the records
// are written as lines (PySpark's str(), engine/executor/runtime/text-format.ts) to a file that
// is the command's stdin, its stdout and stderr go to files, and the task waits for
// the exit status synchronously (compute is synchronous), sleeping on Atomics.wait
// between looks and checking the job's cancel flag. The command runs in a process
// group of its own (detached), under `sh -c` only to record its exit status; the
// command itself is an argument vector, never a shell string, as PySpark's
// shlex.split + Popen. A non-zero exit fails the task with the status and the tail of
// stderr. Each running command leaves its process-group id in
// <spillDir>/pipes/job-<jobId>/, so that when a job fails or is cancelled the driver
// kills what a killed worker thread could not (killPipes; a terminated thread runs
// no cleanup of its own).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../common/errors.js';
import { formatRecord } from './text-format.js';
import type { TaskContext } from './task-context.js';

/** How much of stderr an error quotes. */
const STDERR_TAIL = 2000;
/** Longest sleep between looks at the exit status, in ms. */
const MAX_POLL_MS = 20;

/** Where a job's running pipe commands are recorded. */
export function pipeDir(spillDir: string, jobId: number): string {
  return join(spillDir, 'pipes', `job-${jobId}`);
}

/** Runs `command` over `records`; returns its stdout lines. */
export function runPipe(command: readonly string[], env: Readonly<Record<string, string>> | undefined, records: readonly unknown[], ctx: TaskContext): string[] {
  const spec = ctx.spec;
  const jobDir = pipeDir(spec.spillDir, spec.jobId);
  mkdirSync(jobDir, { recursive: true });
  const dir = mkdtempSync(join(jobDir, `p${spec.partition}-a${spec.attempt}-`));
  const where = `pipe command ${JSON.stringify(command.join(' '))} (partition ${spec.partition})`;
  try {
    writeFileSync(join(dir, 'in'), records.map((r) => `${formatRecord(r)}\n`).join(''));
    const status = join(dir, 'status');
    const fds = [openSync(join(dir, 'in'), 'r'), openSync(join(dir, 'out'), 'w'), openSync(join(dir, 'err'), 'w')] as const;
    let pid: number | undefined;
    try {
      const child = spawn('/bin/sh', ['-c', 'status=$1; shift; "$@"; echo $? > "$status.tmp" && mv "$status.tmp" "$status"', 'sh', status, ...command], {
        stdio: [fds[0], fds[1], fds[2]],
        detached: true,
        env: { ...process.env, ...env },
      });
      // A failed spawn (no /bin/sh) reports asynchronously; pid is then undefined.
      child.on('error', () => undefined);
      pid = child.pid;
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    if (pid === undefined) throw new KilnError('execution', `${where} could not start /bin/sh`);
    const record = join(jobDir, `pgid-${pid}`);
    writeFileSync(record, String(pid));
    try {
      waitForStatus(status, pid, ctx, where);
    } finally {
      rmSync(record, { force: true });
    }
    const code = Number(readFileSync(status, 'utf8').trim());
    if (code !== 0) {
      const err = readFileSync(join(dir, 'err'));
      const tail = err.subarray(Math.max(0, err.length - STDERR_TAIL)).toString('utf8').trim();
      throw new KilnError('execution', `${where} exited with status ${code}${tail ? `; its stderr ends: ${tail}` : ' and wrote nothing to stderr'}`);
    }
    const out = readFileSync(join(dir, 'out'), 'utf8');
    if (out.length === 0) return [];
    const lines = out.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until the status file appears; on cancellation or a vanished process, kills the group and throws. */
function waitForStatus(status: string, pid: number, ctx: TaskContext, where: string): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let wait = 1;
  for (let looks = 0; !existsSync(status); looks++) {
    try {
      ctx.checkCancelled();
    } catch (e) {
      killGroup(pid);
      throw e;
    }
    // The wrapper shell was killed from outside (no status will come): a zombie or gone.
    if (looks % 16 === 15 && !alive(pid) && !existsSync(status)) throw new KilnError('execution', `${where} was killed before it finished`);
    Atomics.wait(sleeper, 0, 0, wait);
    wait = Math.min(MAX_POLL_MS, wait * 2);
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // No /proc entry: gone (or no /proc at all: then trust the status file only).
    return !existsSync('/proc/self/stat');
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Kills every pipe command a job left running and forgets them (driver side, after the job failed). */
export function killPipes(spillDir: string, jobId: number): void {
  const dir = pipeDir(spillDir, jobId);
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (name.startsWith('pgid-')) killGroup(Number(name.slice(5)));
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Splits a command line into arguments as PySpark's shlex.split does for the common
 * cases: whitespace separates, single quotes keep everything, double quotes keep
 * everything but backslash escapes of \\ " $ and `, a backslash outside quotes
 * escapes the next character.
 */
export function splitCommand(command: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new KilnError('usage', `pipe command has an unclosed single quote: ${command}`);
      cur += command.slice(i + 1, end);
      i = end;
      has = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === '\\' && '\\"$`'.includes(command[j + 1] ?? '')) j++;
        cur += command[j];
      }
      if (j >= command.length) throw new KilnError('usage', `pipe command has an unclosed double quote: ${command}`);
      i = j;
      has = true;
    } else if (c === '\\' && i + 1 < command.length) {
      cur += command[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}
