// kiln join: GNU join(1) over unsorted inputs. Policy: each line becomes [join field,
// (line position, its other fields)]; the engine joins the two files with the join
// type -a/-v ask for, under the strategy the engine picks at run time (or
// --strategy), with both sides range-partitioned on bounds sampled from LEFT and each
// partition emitted in (join field bytes, LEFT position, RIGHT position) order by
// the join itself (JoinOptions.ordered), so the partitions in order are exactly what
// `LC_ALL=C join` prints for
// inputs sorted stably on the join field (`sort -s -t SEP -k F,F`): keys in byte
// order, equal keys left-major in file order. Fields follow join(1): -t CHAR splits on
// every CHAR (empty fields kept), the default splits on runs of blanks ignoring
// leading ones and prints one space; a line without the join field joins on "".
// Lines are bytes (latin1 strings), so invalid UTF-8 and "\r" pass through as join(1) passes them.
import { readFileSync, statSync } from 'node:fs';
import type { Dataset, JoinStrategy, PartitionerSpec } from '../../engine/index.js';
import { joinLineFiles } from '../../engine/driver/join/line-join.js';
import { choice, positiveInt, type CommandSpec } from '../args.js';
import { UsageError } from '../errors.js';
import type { Table } from '../output.js';
import type { Command, CommandContext, Plan } from './command.js';

type Row = readonly [line: string];

const spec: CommandSpec = {
  name: 'join',
  usage: 'join [-t CHAR] [-1 FIELD] [-2 FIELD] [-a 1|2] [-v 1|2] [--header] [--strategy S] LEFT RIGHT',
  summary: 'join the lines of two files on a field (GNU join; inputs need not be sorted)',
  flagHelp: [
    '-t CHAR                 field separator (default: runs of blanks; output one space)',
    '-1 FIELD                join on this field of LEFT (default 1)',
    '-2 FIELD                join on this field of RIGHT (default 1)',
    '-a 1|2                  also print unpaired lines of file 1 or 2 (repeatable: -a 1 -a 2 is a full outer join)',
    '-v 1|2                  print only unpaired lines of file 1 or 2',
    '    --header            the first line of each file is a header, printed first, not joined',
    '    --strategy S        auto (default), broadcast, shuffleHash or sortMerge',
  ],
  options: {
    t: { type: 'string', short: 't' },
    '1': { type: 'string', short: '1' },
    '2': { type: 'string', short: '2' },
    a: { type: 'string', short: 'a', multiple: true },
    v: { type: 'string', short: 'v', multiple: true },
    header: { type: 'boolean' },
    strategy: { type: 'string' },
  },
  minOperands: 2,
  stdin: 'operand',
};

// Lines are read as latin1, one char per byte (as LC_ALL=C join sees them), and printed back as those bytes.
const table: Table<Row> = { columns: ['line'], text: ([line]) => line, binary: true };

// Values the shipped functions below receive as captures (they run in worker threads).
declare const sepChar: string | undefined;
declare const skipHeader: boolean;
declare const outSep: string;
declare const keepJoined: boolean;

/** A line's join field, and its position with its other fields joined by the output separator (null: none). */
type Keyed = [string, [number, string | null]];

function fileNumbers(value: unknown, flag: string): Set<1 | 2> {
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out = new Set<1 | 2>();
  for (const v of values) {
    if (v !== '1' && v !== '2') throw new UsageError(`-${flag} takes 1 or 2 (a file number), got "${String(v)}"`);
    out.add(Number(v) as 1 | 2);
  }
  return out;
}

/** Splits a line into fields as join(1) does. */
function splitter(sep: string | undefined): (line: string) => string[] {
  if (sep !== undefined) return (line) => line.split(sep);
  return (line) => {
    const t = line.replace(/^[ \t]+/, '');
    return t === '' ? [] : t.split(/[ \t]+/);
  };
}

function plan({ kiln, operands, flags, signal, rawFd, rawLabel }: CommandContext): Plan {
  if (operands.length !== 2) throw new UsageError(`join: needs exactly two files, LEFT and RIGHT, got ${operands.length} — usage: kiln ${spec.usage}`);
  const sep = typeof flags.t === 'string' ? flags.t : undefined;
  if (sep !== undefined && [...sep].length !== 1) throw new UsageError(`-t takes one character, got "${sep}"`);
  const f1 = (positiveInt(flags['1'], '1') ?? 1) - 1;
  const f2 = (positiveInt(flags['2'], '2') ?? 1) - 1;
  const all = fileNumbers(flags.a, 'a');
  const only = fileNumbers(flags.v, 'v');
  const strategy = choice(flags.strategy, 'strategy', ['auto', 'broadcast', 'shuffleHash', 'sortMerge'] as const, 'auto') as JoinStrategy;
  const header = flags.header === true;
  const out = sep ?? ' ';
  const [leftPath, rightPath] = operands as [string, string];

  // Unpaired lines of a file print with -a or -v; joined lines unless -v.
  const unpaired1 = all.has(1) || only.has(1);
  const unpaired2 = all.has(2) || only.has(2);
  const joined = only.size === 0;

  const keyed = (path: string, field: number): Dataset<Keyed> =>
    kiln
      .textFile(path, { encoding: 'latin1' })
      .mapWithIndex(
        (line: string, p: number, i: number) => {
          const t = sepChar === undefined ? line.replace(/^[ \t]+/, '') : line;
          const fields = sepChar !== undefined ? line.split(sepChar) : t === '' ? [] : t.split(/[ \t]+/);
          const key = fields[field] ?? '';
          fields.splice(field, 1);
          // Position p * 2^32 + i orders lines as in the file (splits are in file order).
          return [key, [p * 4294967296 + i, fields.length === 0 ? null : fields.join(outSep)]] as Keyed;
        },
        { sepChar: sep, field, outSep: out },
      )
      // The header (the first line of the first partition) is not joined.
      .filter(([, [pos]]) => !skipHeader || pos !== 0, { skipHeader: header });
  const left = keyed(leftPath, f1);
  const right = keyed(rightPath, f2);
  type Out = [[string, number | null, number | null], string];
  const build = (partitioner?: PartitionerSpec): Dataset<string> => {
    const options = { strategy, ordered: true, ...(partitioner ? { partitioner } : {}) };
    let rows: Dataset<Out>;
    if (!joined && unpaired1 && !unpaired2) {
      rows = left.antiJoin(right, options).map(([k, [p, rest]]) => [[k, p, null], rest === null ? k : k + outSep + rest] as Out, { outSep: out });
    } else if (!joined && unpaired2 && !unpaired1) {
      rows = right.antiJoin(left, options).map(([k, [p, rest]]) => [[k, null, p], rest === null ? k : k + outSep + rest] as Out, { outSep: out });
    } else {
      const pairs = unpaired1 && unpaired2 ? left.fullOuterJoin(right, options) : unpaired1 ? left.leftOuterJoin(right, options) : unpaired2 ? left.rightOuterJoin(right, options) : left.join(right, options);
      rows = (pairs as Dataset<[string, [[number, string | null] | null, [number, string | null] | null]]>).flatMap(
        ([k, [l, r]]) => {
          if (l && r && !keepJoined) return [];
          let line = k;
          if (l && l[1] !== null) line += outSep + l[1];
          if (r && r[1] !== null) line += outSep + r[1];
          return [[[k, l ? l[0] : null, r ? r[0] : null], line] as Out];
        },
        { outSep: out, keepJoined: joined },
      );
    }
    // The join emits each range partition in (join field bytes, LEFT position, RIGHT
    // position) order (JoinOptions.ordered). Lines go back as a few large strings per
    // partition: a structured clone of one string is far cheaper than of an array of
    // a million.
    return rows.mapPartitions(function* (it: Iterator<Out>) {
      let lines: string[] = [];
      let chars = 0;
      for (let r = it.next(); !r.done; r = it.next()) {
        lines.push(r.value[1]);
        chars += r.value[1].length + 1;
        if (chars > 8 << 20) {
          yield lines.join('\n');
          lines = [];
          chars = 0;
        }
      }
      if (lines.length > 0) yield lines.join('\n');
    });
  };
  return {
    // Planned with the default partitioner: the range bounds come from a sampling job.
    explain: () => build().explain(),
    async run() {
      // Text output without --header takes the byte-level path (engine/driver/join/line-join.ts)
      // unless a strategy other than sort-merge is forced; it returns null when the
      // inputs need the record path below (a NUL byte in a join field, a multi-byte -t).
      if (rawFd !== undefined && !header && (strategy === 'auto' || strategy === 'sortMerge')) {
        const done = await joinLineFiles(
          kiln,
          { left: leftPath, right: rightPath, leftField: f1, rightField: f2, separator: sep, joined, unpairedLeft: unpaired1, unpairedRight: unpaired2, partitions: kiln.options.shufflePartitions },
          rawFd,
          { signal, ...(rawLabel ? { label: rawLabel } : {}) },
        );
        if (done !== null) return { table, rows: [] };
      }
      // Range bounds of the join field sampled from LEFT: partitions in key order, so
      // concatenating them in order gives the whole output in order.
      const n = kiln.options.shufflePartitions ?? joinPartitions([leftPath, rightPath], Math.max(1, left.numPartitions, right.numPartitions), kiln.options.workers);
      const partitioner = await kiln.rangePartitioner(left as unknown as Dataset<[unknown, unknown]>, n, true);
      const lines = await build(partitioner).collect({ signal });
      const result: Row[] = [];
      if (header) result.push([headerLine(leftPath, rightPath, f1, f2, splitter(sep), out)]);
      // Text output prints each chunk as is (its lines joined by newlines); the other
      // formats need one row per line.
      for (const chunk of lines) {
        if (rawFd !== undefined) result.push([chunk]);
        else for (const line of chunk.split('\n')) result.push([line]);
      }
      return { table, rows: result };
    },
  };
}

/** Input bytes a join partition is planned to hold at most (so a task's memory does not grow with the input). */
const PARTITION_INPUT_BYTES = 16 * 2 ** 20;

/**
 * Partitions of the join: enough that each holds at most PARTITION_INPUT_BYTES of
 * input, a whole number of waves of workers, and never fewer than the inputs' splits.
 */
function joinPartitions(paths: readonly string[], splits: number, workers: number): number {
  const bytes = paths.reduce((sum, p) => sum + statSync(p).size, 0);
  const waves = Math.max(1, workers);
  const wanted = Math.max(splits, Math.ceil(bytes / PARTITION_INPUT_BYTES));
  return Math.ceil(wanted / waves) * waves;
}

/** The joined header line: join(1) prints the headers paired whatever their join fields hold. */
function headerLine(leftPath: string, rightPath: string, f1: number, f2: number, split: (l: string) => string[], out: string): string {
  const first = (path: string): string[] | undefined => {
    const text = readFileSync(path, 'latin1');
    if (text === '') return undefined;
    const nl = text.indexOf('\n');
    return split(nl < 0 ? text : text.slice(0, nl));
  };
  const l = first(leftPath);
  const r = first(rightPath);
  const key = (l?.[f1] ?? r?.[f2]) ?? '';
  const rest = (fields: string[] | undefined, f: number): string[] => (fields ? fields.filter((_, i) => i !== f) : []);
  return [key, ...rest(l, f1), ...rest(r, f2)].join(out);
}

/** `kiln join`. */
export const join: Command = { spec, inputs: (operands) => operands, plan };
