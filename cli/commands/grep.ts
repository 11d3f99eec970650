// kiln grep: the lines that match a pattern, as GNU grep prints them. Policy: every
// input file is its own textFile, tagged with its index, and the files are unioned in
// command-line order, so one job reads them all and collect() returns lines in input
// order (union concatenates partitions; collect keeps partition order). The pattern is
// translated once on the driver (cli/regex.ts) and shipped to the workers as a RegExp
// capture. With several files each line is prefixed "name:", each count "name:N".
// A file holding a NUL byte is binary, as in GNU grep 3.5+: its matching lines are
// not printed; "kiln: NAME: binary file matches" goes to stderr instead (GNU grep also
// treats NUL as a line end in such files, which changes -c; kiln does the same).
// Search paths (engine/executor/runtime/grep-source.ts), all selecting exactly the lines the
// plain string path would: -c -F is counted by the grep kernel with no JS string;
// otherwise the kernel finds the lines holding the -F string or the literal every
// -E match holds (cli/grep-literal.ts), or else the lines holding a byte of a class
// every match needs ([0-9]{5}: a digit), and the RegExp runs on those lines only; a
// pattern with neither runs the RegExp over whole chunks first, then on the lines it
// hit.
import { relative, resolve } from 'node:path';
import type { Dataset, Kiln, TextDataset } from '../../engine/index.js';
import { literalUnsupported } from '../../engine/executor/kernels/grep.js';
import { listInputFilesSync } from '../../engine/common/io/files.js';
import { kilnFunction } from '../../engine/common/functions/shipped.js';
import type { CommandSpec } from '../args.js';
import type { Notice, Table } from '../output.js';
import { requiredLiteral, requiredRange } from '../grep-literal.js';
import { grepRegExp } from '../regex.js';
import type { Command, CommandContext, Plan } from './command.js';

const spec: CommandSpec = {
  name: 'grep',
  usage: 'grep PATTERN [FILES...] [--count] [--ignore-case] [--fixed-strings]',
  summary: 'print lines matching a POSIX extended regular expression (grep -E)',
  flagHelp: [
    '-c, --count             print the number of matching lines (per file)',
    '-i, --ignore-case       ignore ASCII case',
    '-F, --fixed-strings     PATTERN is a literal string (grep -F)',
    '-E, --extended-regexp   accepted for grep compatibility (the default)',
  ],
  options: {
    count: { type: 'boolean', short: 'c' },
    'ignore-case': { type: 'boolean', short: 'i' },
    'fixed-strings': { type: 'boolean', short: 'F' },
    'extended-regexp': { type: 'boolean', short: 'E' },
  },
  minOperands: 2,
  stdin: 'default',
};

/** One input file: what grep prints for it, and its path. */
interface Input {
  readonly name: string;
  readonly path: string;
  readonly size: number;
}

type LineRow = readonly [file: string, line: string];
type CountRow = readonly [file: string, count: number];

/** Lines (or counts) with a "name:" prefix when several files are searched. */
function tables(prefixed: boolean): { lines: Table<LineRow>; counts: Table<CountRow> } {
  return {
    lines: { columns: ['file', 'line'], text: ([file, line]) => (prefixed ? `${file}:${line}` : line) },
    counts: { columns: ['file', 'count'], text: ([file, count]) => (prefixed ? `${file}:${count}` : String(count)) },
  };
}

/**
 * The files of each operand, in operand order, named as grep names them: a file as
 * typed, a directory's files as "dir/name", glob matches relative to the working
 * directory, standard input as "(standard input)" (`names`). Listing errors are the engine's (missing path, empty directory, ...).
 */
function listInputs(operands: readonly string[], names: ReadonlyMap<string, string>): Input[] {
  const inputs: Input[] = [];
  for (const operand of operands) {
    const files = listInputFilesSync(operand);
    const single = files.length === 1 && files[0]!.path === resolve(operand);
    for (const f of files) {
      const name = single ? (names.get(operand) ?? operand) : relative(process.cwd(), f.path) || f.path;
      inputs.push({ name, path: f.path, size: f.size });
    }
  }
  return inputs;
}

function plan({ kiln, operands, inputNames, flags, signal }: CommandContext): Plan {
  const [pattern, ...paths] = operands as [string, ...string[]];
  const re = grepRegExp(pattern, { fixed: flags['fixed-strings'] === true, ignoreCase: flags['ignore-case'] === true });
  const inputs = listInputs(paths, inputNames ?? new Map());
  const { lines: lineTable, counts: countTable } = tables(inputs.length > 1);
  const total = inputs.reduce((s, f) => s + f.size, 0);
  const workers = kiln.options.workers;
  // Each file's share of the workers (at least one split), so a union of many small
  // files does not make files x workers tiny partitions.
  const source = (i: number): TextDataset => kiln.textFile(inputs[i]!.path, { minPartitions: Math.max(1, Math.round((workers * inputs[i]!.size) / Math.max(1, total))) });
  // The grep kernel's prefilter: the -F string itself, or a literal every match of the
  // -E pattern holds (cli/grep-literal.ts); undefined when the kernel cannot search it.
  const fixed = flags['fixed-strings'] === true;
  const ignoreCase = flags['ignore-case'] === true;
  const found = fixed ? (pattern.includes('\n') ? undefined : pattern) : requiredLiteral(pattern);
  const literal = found !== undefined && literalUnsupported(found, ignoreCase) === undefined ? found : undefined;
  // Without a literal, an -E pattern may still need one byte of a range ([0-9]{5}).
  const byteRange = literal === undefined && !fixed ? requiredRange(pattern, ignoreCase) : undefined;
  const options = literal !== undefined ? { literal, ignoreCase } : byteRange !== undefined ? { byteRange } : {};

  if (flags.count === true) {
    // -F: the kernel's count is the answer; else the RegExp on the candidate lines.
    // Both count a binary file's NUL-separated pieces, as GNU grep -c does.
    const count = (i: number): Dataset<number> =>
      fixed && literal !== undefined ? source(i).countLinesContaining(literal, { ignoreCase }) : source(i).countLinesMatching(re, options);
    const counts = union(
      kiln,
      inputs.map((_, i) => count(i).map(kilnFunction((n: number) => [i, n] as [number, number]), { i })),
    );
    return {
      explain: () => counts.explain(),
      async run() {
        const perFile = new Array<number>(inputs.length).fill(0);
        for (const [i, n] of await counts.collect({ signal })) perFile[i]! += n;
        return { table: countTable, rows: inputs.map((f, i): CountRow => [f.name, perFile[i]!]) };
      },
    };
  }

  // Lines holding NUL are kept: they make their file binary (grepRows).
  const matches = union(
    kiln,
    inputs.map((_, i) => source(i).linesMatching(re, { ...options, keepNulLines: true }).map(kilnFunction((line: string) => [i, line] as [number, string]), { i })),
  );
  return {
    explain: () => matches.explain(),
    async run() {
      const found = await matches.collect({ signal });
      return { table: lineTable, rows: grepRows(found, inputs, re) };
    },
  };
}

/** Printed rows from [file index, line] pairs in input order; binary files become a notice. */
function grepRows(found: readonly [number, string][], inputs: readonly Input[], re: RegExp): (LineRow | Notice)[] {
  const binary = new Set<number>();
  for (const [i, line] of found) if (line.includes('\0')) binary.add(i);
  const rows: (LineRow | Notice)[] = [];
  const reported = new Set<number>();
  for (const [i, line] of found) {
    if (!binary.has(i)) {
      rows.push([inputs[i]!.name, line]);
      continue;
    }
    if (reported.has(i) || !line.split('\0').some((piece) => re.test(piece))) continue;
    reported.add(i);
    rows.push({ notice: `${inputs[i]!.name}: binary file matches` });
  }
  return rows;
}

function union<T>(kiln: Kiln, parts: Dataset<T>[]): Dataset<T> {
  if (parts.length === 0) return kiln.parallelize<T>([], 1);
  return parts.length === 1 ? parts[0]! : parts[0]!.union(...parts.slice(1));
}

/** `kiln grep`. */
export const grep: Command = { spec, inputs: (operands) => operands.slice(1), plan };
