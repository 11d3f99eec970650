// Runs the real `kiln` binary (dist/cli/main.js) as a child process, as a user would.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Path of the built CLI entry. */
export const KILN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** What a run of kiln produced. */
export interface KilnRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Options of a run. */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  uid?: number;
  gid?: number;
  /** Bytes on the child's standard input (default: an empty pipe). */
  input?: Uint8Array;
}

/** The child's environment: no colours (the test runner may set FORCE_COLOR). */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.FORCE_COLOR;
  return env;
}

/** Runs `kiln args...` to completion (stdout as bytes, stderr as text). */
export function kiln(args: readonly string[], options: RunOptions = {}): KilnRun {
  const r = spawnSync(process.execPath, [KILN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    maxBuffer: 1 << 30,
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** Starts `kiln args...` without waiting (for signals). */
export function kilnChild(args: readonly string[], options: RunOptions = {}) {
  return spawn(process.execPath, [KILN, ...args], { cwd: options.cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The exit status a shell reports for a child that ended with `code` or by `signal`
 * (128 + the signal's number): kiln ends by the signal after a signal's clean-up.
 */
export function shellStatus(code: number | null, signal: NodeJS.Signals | null): number | null {
  if (code !== null) return code;
  return signal ? 128 + (osConstants.signals[signal] ?? 0) : null;
}

/** Runs a Unix tool with LC_ALL=C and `input` on stdin; its stdout as bytes. */
export function tool(command: string, args: readonly string[], input?: Uint8Array): Buffer {
  const r = spawnSync(command, args, { input, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 1 << 30 });
  return r.stdout;
}

/** A fresh temporary directory, readable by every user (for the permission case). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kiln-${prefix}-`));
  chmodSync(dir, 0o755);
  if (tempDirs.size === 0) process.once('exit', () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  tempDirs.add(dir);
  return dir;
}

/** Every tempDir made; removed when the suite's process exits, so repeated runs leave nothing in $TMPDIR. */
const tempDirs = new Set<string>();
