// kiln distinct: each distinct line once, in byte order — `LC_ALL=C sort -u`, or with
// --count `LC_ALL=C sort | uniq -c` byte for byte (count right-aligned in 7 columns,
// a space, the line). Policy: both are the engine's byte-level line sort (sortLines
// with unique, or count: kernels only, bytes written straight out in the text
// format); tsv and json get [line, count] rows.
import type { CommandSpec } from '../args.js';
import type { Table } from '../output.js';
import type { Command, CommandContext, Plan } from './command.js';

type Row = readonly [line: string, count: number];

const spec: CommandSpec = {
  name: 'distinct',
  usage: 'distinct [FILES...] [--count]',
  summary: 'print each distinct line once, in byte order (sort -u; with --count, sort | uniq -c)',
  flagHelp: ['-c, --count             prefix each line with its number of occurrences, as uniq -c does'],
  options: { count: { type: 'boolean', short: 'c' } },
  minOperands: 1,
  stdin: 'default',
};

const lineTable: Table<Row> = { columns: ['line', 'count'], text: ([line]) => line, binary: true };

/** A `uniq -c` line ("%7d LINE") back as [line, count], for the tsv and json formats. */
function parseCounted(counted: string): Row {
  const m = /^ *(\d+) /.exec(counted);
  if (!m) throw new Error(`internal: not a counted line: ${JSON.stringify(counted.slice(0, 40))}`);
  return [counted.slice(m[0].length), Number(m[1])];
}

function plan({ kiln, operands, flags, signal, rawFd, rawLabel }: CommandContext): Plan {
  // Both forms are the engine's byte-level line sort (kernels only; bytes exact, '\r'
  // kept): unique, and with --count each line prefixed by its count as uniq -c prints
  // it. In the text format the reduce tasks write the bytes straight to the output.
  const count = flags.count === true;
  const unique = kiln.textFile(operands, { encoding: 'latin1' }).sortLines(count ? { count: true } : { unique: true });
  return {
    explain: () => unique.explain(),
    async run() {
      if (rawFd !== undefined) {
        await unique.writeTo(rawFd, { signal, ...(rawLabel ? { label: rawLabel } : {}) });
        return { table: lineTable, rows: [] };
      }
      const lines = await unique.collect({ signal });
      return { table: lineTable, rows: lines.map((line): Row => (count ? parseCounted(line) : [line, 1])) };
    },
  };
}

/** `kiln distinct`. */
export const distinct: Command = { spec, inputs: (operands) => operands, plan };
