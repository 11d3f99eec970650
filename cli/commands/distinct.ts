// kiln distinct: each distinct line once, in byte order — `LC_ALL=C sort -u`, or with
// --count `LC_ALL=C sort | uniq -c` byte for byte (count right-aligned in 7 columns,
// a space, the line). Policy: without --count it is the engine's byte-level line sort
// with unique (sortLines: kernels only, bytes written straight out). With --count,
// counting runs in the engine's combiner (valueCounts, combined on the map side) and
// the distinct lines are ordered by the range-partitioned sort (sortByKey on the line),
// so neither step holds every line on the driver; collect() returns them in order.
import type { CommandSpec } from '../args.js';
import type { Table } from '../output.js';
import type { Command, CommandContext, Plan } from './command.js';

type Row = readonly [line: string, count: number];

const spec: CommandSpec = {
  name: 'distinct',
  usage: 'distinct FILES... [--count]',
  summary: 'print each distinct line once, in byte order (sort -u; with --count, sort | uniq -c)',
  flagHelp: ['-c, --count             prefix each line with its number of occurrences, as uniq -c does'],
  options: { count: { type: 'boolean', short: 'c' } },
  minOperands: 1,
};

const lineTable: Table<Row> = { columns: ['line', 'count'], text: ([line]) => line };
const countTable: Table<Row> = { columns: ['line', 'count'], text: ([line, count]) => `${String(count).padStart(7, ' ')} ${line}` };

function plan({ kiln, operands, flags, signal, rawFd, rawLabel }: CommandContext): Plan {
  if (flags.count !== true) {
    // Distinct lines are `sort -u`: the byte-level line sort with unique, written
    // straight to the output in the text format (no JS string per line).
    const unique = kiln.textFile(operands).sortLines({ unique: true });
    return {
      explain: () => unique.explain(),
      async run() {
        if (rawFd !== undefined) {
          await unique.writeTo(rawFd, { signal, ...(rawLabel ? { label: rawLabel } : {}) });
          return { table: lineTable, rows: [] };
        }
        const lines = await unique.collect({ signal });
        return { table: lineTable, rows: lines.map((line): Row => [line, 1]) };
      },
    };
  }
  const sorted = kiln.textFile(operands).valueCounts().sortByKey(true);
  const table = countTable;
  return {
    explain: () => sorted.explain(),
    async run() {
      return { table, rows: (await sorted.collect({ signal })) as Row[] };
    },
  };
}

/** `kiln distinct`. */
export const distinct: Command = { spec, inputs: (operands) => operands, plan };
