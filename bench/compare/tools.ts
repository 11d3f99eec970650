// The tools each task is run with. Policy: a tool is a command line that reads the
// input file and writes its result to stdout (DuckDB's COPY writes to /dev/stdout), run
// in the C locale so every tool sees bytes. Each tool says whether it is installed; a
// missing one stays in the table as "missing". kiln is always the first tool of a task
// and the reference its peers are checked and timed against.
//
// Tokenization of the shell tools is made to match kiln's countwords rules (split on
// ASCII whitespace space \t \n \v \f \r, lowercase ASCII letters only):
//  - mawk's default field splitting knows only space, tab and newline, so each record
//    first maps \v \f \r to spaces (gsub); in the C locale tolower() is ASCII-only.
//  - coreutils: `tr -s` maps all six whitespace bytes (newline included, so runs of
//    blanks and empty lines collapse) to one newline; the one empty token left when
//    the input starts with whitespace is removed by `grep -v -x ''`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from './runner.js';
import type { WordCountLayout } from './normalize.js';
import { E_NOLITERAL_PATTERN, E_PATTERN, type TaskName } from './tasks.js';
import { joinDimensionPath } from '../corpus.js';

/** One way of running one task. */
export interface Tool {
  /** Unique within the task, e.g. "kiln-2w". */
  id: string;
  /** What `--tools` selects by: "kiln", "node", "mawk", "coreutils", "duckdb". */
  family: string;
  /** Row label in the table. */
  label: string;
  /** True for the tool the others are checked and timed against. */
  reference?: boolean;
  /** Layout of a word-count output (default "word count"). */
  layout?: WordCountLayout;
  /** Why the tool cannot run here, or undefined when it can. */
  missing: string | undefined;
  /** The command that runs the task on `input`, writing the result to stdout. */
  command(input: string): Command;
  /** The same command also writing kiln's `--metrics` JSON to `path` (the CLI only). */
  withMetrics?(input: string, path: string): Command;
}

/** Settings shared by the tools. */
export interface ToolContext {
  /** The fixed string for grep. */
  pattern: string;
  /** Threads for DuckDB and for `sort --parallel` (the issue's: 2, the machine's cores). */
  threads: number;
}

/** The built kiln CLI, if it exists. */
export const KILN_CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const KILN_STUB = fileURLToPath(new URL('./kiln-stub.js', import.meta.url));
const PLAIN_NODE = fileURLToPath(new URL('./plain-wordcount.js', import.meta.url));
const DUCKDB = fileURLToPath(new URL('./duckdb.js', import.meta.url));

const C_LOCALE = { LC_ALL: 'C' };

/** The tools of `task`, kiln first. */
export function toolsFor(task: TaskName, ctx: ToolContext): Tool[] {
  switch (task) {
    case 'wordcount':
      return [
        kiln('wordcount', 2, [], true),
        kiln('wordcount', 1, [], false),
        {
          id: 'node',
          family: 'node',
          label: 'plain Node, 1 thread',
          missing: undefined,
          command: (input) => ({ argv: [process.execPath, PLAIN_NODE, input] }),
        },
        shell(
          'mawk',
          'mawk, then sort -k2,2nr',
          ['mawk', 'sort'],
          `mawk '{ $0 = tolower($0); gsub(/[\\v\\f\\r]/, " "); for (i = 1; i <= NF; i++) c[$i]++ } END { for (w in c) print w, c[w] }' "$1" | sort -k2,2nr`,
        ),
        {
          ...shell('coreutils', 'tr | tr -s | grep -v | sort | uniq -c | sort -rn', ['tr', 'grep', 'sort', 'uniq'], `tr 'A-Z' 'a-z' < "$1" | tr -s ' \\t\\n\\r\\f\\v' '\\n' | grep -v -x '' | sort | uniq -c | sort -rn`),
          layout: 'count-word',
        },
        duckdb('wordcount', ctx.threads),
      ];
    case 'distinct':
      return [kiln('distinct', 2, [], true), shell('sort', 'LC_ALL=C sort -u', ['sort'], `sort -u "$1"`), duckdb('distinct', ctx.threads)];
    case 'sort':
      // Issue 11's case: 1 GiB of memory each (kiln's --memory, sort's -S), so a large
      // input (`--size 10g`) sorts out of core in both.
      return [kiln('sort', 2, ['--memory', '1g'], true), shell('sort', `LC_ALL=C sort --parallel=${ctx.threads} -S 1G`, ['sort'], `sort --parallel=${ctx.threads} -S 1G "$1"`), duckdb('sort', ctx.threads)];
    case 'grep':
      // grep exits 1 when it counted 0 lines: still a result, not a failure.
      return [kiln('grep', 2, ['--count', '--fixed-strings', ctx.pattern], true), shell('grep', 'grep -c -F', ['grep'], `grep -c -F -e "$2" "$1"; [ $? -le 1 ]`, [ctx.pattern])];
    case 'grep-e':
    case 'grep-e-noliteral': {
      const pattern = task === 'grep-e' ? E_PATTERN : E_NOLITERAL_PATTERN;
      return [kiln('grep', 2, ['--count', '--extended-regexp', pattern], true), shell('grep', 'grep -c -E', ['grep'], `grep -c -E -e "$2" "$1"; [ $? -le 1 ]`, [pattern])];
    }
    case 'join': {
      // join(1) needs both inputs sorted on the join field: two stable sorts, then join.
      const script = `t=$(mktemp -d) && sort -s -t, -k1,1 --parallel=${ctx.threads} -S 1G "$1" > "$t/f" && sort -s -t, -k1,1 --parallel=${ctx.threads} -S 1G "$2" > "$t/d" && join -t, "$t/f" "$t/d"; s=$?; rm -rf "$t"; exit $s`;
      const gnu = shell('sort', `sort -s -t, -k1,1 --parallel=${ctx.threads} (x2), then join -t,`, ['sort', 'join'], script);
      return [
        kiln('join', 2, ['-t', ','], true),
        { ...gnu, command: (input) => ({ argv: ['sh', '-c', script, 'sh', input, joinDimensionPath(input)], env: C_LOCALE }) },
        duckdb('join', ctx.threads),
      ];
    }
    default:
      return task satisfies never;
  }
}

/** kiln as a child process: the CLI when built, else the engine-API stub (labelled so). */
function kiln(task: 'wordcount' | 'distinct' | 'sort' | 'grep' | 'join', workers: number, args: string[], reference: boolean): Tool {
  const cli = existsSync(KILN_CLI);
  // A join reads the fact file and the dimension file next to it.
  const inputs = (input: string): string[] => (task === 'join' ? [input, joinDimensionPath(input)] : [input]);
  const argv = (input: string): string[] => [process.execPath, cli ? KILN_CLI : KILN_STUB, task, ...args, ...inputs(input), '--workers', String(workers), '--quiet', '--progress', 'never'];
  return {
    id: `kiln-${workers}w`,
    family: 'kiln',
    label: `kiln, ${workers} worker${workers === 1 ? '' : 's'}${args.includes('--memory') ? `, --memory ${args[args.indexOf('--memory') + 1]}` : ''}${cli ? '' : ' (API stub)'}`,
    reference,
    missing: undefined,
    command: (input) => ({ argv: argv(input) }),
    withMetrics: cli ? (input, path) => ({ argv: [...argv(input), '--metrics', path] }) : undefined,
  };
}

/** A `sh -c` pipeline run in the C locale; "$1" is the input file, "$2".. are `extra`. */
function shell(family: string, label: string, needs: string[], script: string, extra: string[] = []): Tool {
  const absent = needs.filter((cmd) => !onPath(cmd));
  return {
    id: family,
    family,
    label,
    missing: absent.length > 0 ? `${absent.join(', ')} not on PATH` : undefined,
    command: (input) => ({ argv: ['sh', '-c', script, 'sh', input, ...extra], env: C_LOCALE }),
  };
}

/** DuckDB through @duckdb/node-api with a fixed thread count; COPY writes to /dev/stdout. */
function duckdb(task: TaskName, threads: number): Tool {
  return {
    id: 'duckdb',
    family: 'duckdb',
    label: `DuckDB ${threads} threads`,
    missing: duckdbInstalled() ? undefined : '@duckdb/node-api is not installed',
    command: (input) => ({ argv: [process.execPath, DUCKDB, task, input, '/dev/stdout', String(threads)] }),
  };
}

/** The command that prints DuckDB's version (for machine.ts). */
export function duckdbVersionCommand(): Command | undefined {
  return duckdbInstalled() ? { argv: [process.execPath, DUCKDB, 'version', '-', '-', '1'] } : undefined;
}

function duckdbInstalled(): boolean {
  try {
    import.meta.resolve('@duckdb/node-api');
    return true;
  } catch {
    return false;
  }
}

/** True when `cmd` is an executable on PATH. */
export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}
