// One timed child process. Policy: every tool, kiln included, runs as a fresh child
// process whose stdout goes to a file, timed by wall clock from spawn to exit, so
// start-up, reading the input and writing the result are all inside the figure. Peak
// memory comes from GNU time (`/usr/bin/time -f %M`, the kernel's rusage of the whole
// waited-for process tree) when it is installed, else from polling /proc.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';

/** Where GNU time lives on Debian/Ubuntu; `-f %M -o FILE` writes peak RSS in KiB. */
const GNU_TIME = '/usr/bin/time';

/** How peak memory is measured on this machine (printed in RESULTS.md). */
export type MemoryProbe = 'gnu-time' | 'proc-poll';

/** The probe used by {@link runTimed}: GNU time if present, else /proc polling. */
export const memoryProbe: MemoryProbe = existsSync(GNU_TIME) ? 'gnu-time' : 'proc-poll';

/** A command line and its environment. `argv[0]` is looked up on PATH. */
export interface Command {
  argv: string[];
  /** Extra environment variables (merged over the parent's). */
  env?: Record<string, string>;
}

/** What one run measured. */
export interface RunResult {
  /** Wall-clock milliseconds from spawn to exit. */
  wallMs: number;
  /** Peak resident set size in KiB (the largest process of a pipeline), or undefined if not measurable. */
  peakKiB: number | undefined;
  /** Exit code (or -1 when killed by a signal). */
  code: number;
  /** The last 2 KB of stderr, for failure messages. */
  stderr: string;
}

/**
 * Runs `cmd` with stdout written to `outPath` and returns its wall time and peak memory.
 * Never throws for a failing command: the caller decides what a non-zero exit means.
 */
export async function runTimed(cmd: Command, outPath: string, memPath: string): Promise<RunResult> {
  const argv = memoryProbe === 'gnu-time' ? [GNU_TIME, '-f', '%M', '-o', memPath, '--', ...cmd.argv] : cmd.argv;
  const out = openSync(outPath, 'w');
  let stderr = '';
  let peakPolled = 0;
  const start = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...cmd.env }, stdio: ['ignore', out, 'pipe'] });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    stderr = (stderr + s).slice(-2048);
  });
  // The /proc fallback samples the tree every 20 ms: a short-lived peak can be missed.
  const poll = memoryProbe === 'proc-poll' && child.pid !== undefined ? setInterval(() => (peakPolled = Math.max(peakPolled, treePeakKiB(child.pid!))), 20) : undefined;
  const code = await new Promise<number>((resolve) => {
    child.on('error', (err) => {
      stderr += String(err);
      resolve(127);
    });
    child.on('close', (c) => resolve(c ?? -1));
  });
  const wallMs = performance.now() - start;
  if (poll) clearInterval(poll);
  closeSync(out);
  return { wallMs, peakKiB: memoryProbe === 'gnu-time' ? readGnuTime(memPath) : peakPolled || undefined, code, stderr };
}

/** GNU time writes "Command exited with non-zero status N" before the figure on failure: read the last line. */
function readGnuTime(memPath: string): number | undefined {
  if (!existsSync(memPath)) return undefined;
  const lines = readFileSync(memPath, 'utf8').trim().split('\n');
  rmSync(memPath, { force: true });
  const kib = Number(lines[lines.length - 1]);
  return Number.isFinite(kib) && kib > 0 ? kib : undefined;
}

/** The largest VmHWM (peak RSS, KiB) of `pid` and its descendants, read from /proc. */
function treePeakKiB(pid: number): number {
  let peak = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (hwm) peak = Math.max(peak, Number(hwm[1]));
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids) stack.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // The process exited between listing and reading: nothing to add.
    }
  }
  return peak;
}
