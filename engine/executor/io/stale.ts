// Clean-up of what dead processes left behind. Policy: kiln's temporary directories
// carry the pid of the process that made them — spill directories
// `kiln-<pid>-<suffix>` (Kiln.start) and output directories
// `.<name>.kiln-tmp-<pid>-<hex>` / `.<name>.kiln-old-<pid>-<hex>` (OutputCommitter). A
// process killed by SIGKILL, or a machine that lost power, cannot remove its own. A
// later run removes such a directory when no process with that pid exists any more
// (kill(pid, 0) fails with ESRCH); a live pid — even one reused by another program —
// keeps its directory, so a running job's files are never touched.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A directory removed because its process is gone. */
export interface StaleDirectory {
  readonly path: string;
  /** The pid in its name, which no longer runs. */
  readonly pid: number;
}

const SPILL_NAME = /^kiln-(\d+)-[0-9a-z]+$/;
const OUTPUT_NAME = /^\..+\.kiln-(?:tmp|old)-(\d+)-[0-9a-f]+$/;

/** Whether a process with `pid` exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes, from directory `dir`, kiln's temporary directories whose process is dead:
 * spill directories (`kind: 'spill'`, in the spill base) or temporary output
 * directories (`kind: 'output'`, next to an output). Returns what it removed; a
 * directory it cannot read or remove is left alone.
 */
export function sweepStale(dir: string, kind: 'spill' | 'output'): StaleDirectory[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const pattern = kind === 'spill' ? SPILL_NAME : OUTPUT_NAME;
  const removed: StaleDirectory[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    const path = join(dir, name);
    try {
      if (!statSync(path).isDirectory()) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push({ path, pid });
    } catch {
      // Not ours to fight over: leave it.
    }
  }
  return removed;
}
