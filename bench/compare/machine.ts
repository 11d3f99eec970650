// The machine a result was measured on. Policy: RESULTS.md names everything a reader
// needs to judge the figures (CPU, cores, memory, Node and every peer tool's version,
// the load average before and after), because the same command on a shared or a
// different machine gives different numbers.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { duckdbVersionCommand } from './tools.js';

/** A description of the machine and the tools' versions. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** Tool name -> first line of its version output, or "missing". */
  versions: Record<string, string>;
}

/** Describes this machine and the installed tools. */
export function describeMachine(): Machine {
  const first = (argv: string[]): string => {
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    if (r.error || r.status !== 0) return 'missing';
    return (r.stdout || r.stderr).trim().split('\n')[0] ?? 'unknown';
  };
  const duck = duckdbVersionCommand();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: first(['uname', '-srm']),
    versions: {
      mawk: first(['mawk', '-W', 'version']),
      sort: first(['sort', '--version']),
      grep: first(['grep', '--version']),
      tr: first(['tr', '--version']),
      DuckDB: duck ? `${first(duck.argv)} (@duckdb/node-api)` : 'missing',
    },
  };
}

/** The load averages (1, 5, 15 min) as `uptime` prints them. */
export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
}
