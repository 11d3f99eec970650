// kiln sort: lines in byte order, byte-identical to `LC_ALL=C sort` (with -r, -u).
// Policy: the engine's byte-level sort (TextDataset.sortLines: sampled range
// partitioning, then the line-split and partitioned-sort kernels; no JS string per
// line) with LC_ALL=C semantics — '\r' is an ordinary byte, a last line without '\n'
// gets one, --key-bytes N sorts stably on the first N bytes, --unique keeps the first
// line of each equal key. In the text format the reduce tasks write the sorted bytes
// straight to stdout (or the --output part file) in partition order; other formats
// collect the lines and print them as rows.
import type { CommandSpec } from '../args.js';
import { positiveInt } from '../args.js';
import type { Table } from '../output.js';
import type { Command, CommandContext, Plan } from './command.js';

type Row = readonly [line: string];

const spec: CommandSpec = {
  name: 'sort',
  usage: 'sort [FILES...] [--reverse] [--unique] [--key-bytes N]',
  summary: 'sort lines in byte order (LC_ALL=C sort)',
  flagHelp: [
    '-r, --reverse           descending order',
    '-u, --unique            print equal lines (equal keys with --key-bytes) once',
    '    --key-bytes N       sort on the first N bytes of each line only (stable)',
  ],
  options: {
    reverse: { type: 'boolean', short: 'r' },
    unique: { type: 'boolean', short: 'u' },
    'key-bytes': { type: 'string' },
  },
  minOperands: 1,
  stdin: 'default',
};

const table: Table<Row> = { columns: ['line'], text: ([line]) => line, binary: true };

function plan({ kiln, operands, flags, signal, rawFd, rawLabel }: CommandContext): Plan {
  const keyBytes = positiveInt(flags['key-bytes'], 'key-bytes');
  const sorted = kiln.textFile(operands, { encoding: 'latin1' }).sortLines({
    reverse: flags.reverse === true,
    unique: flags.unique === true,
    ...(keyBytes !== undefined ? { keyBytes } : {}),
  });
  return {
    explain: () => sorted.explain(),
    async run() {
      if (rawFd !== undefined) {
        await sorted.writeTo(rawFd, { signal, ...(rawLabel ? { label: rawLabel } : {}) });
        return { table, rows: [] };
      }
      const lines = await sorted.collect({ signal });
      return { table, rows: lines.map((line): Row => [line]) };
    },
  };
}

/** `kiln sort`. */
export const sort: Command = { spec, inputs: (operands) => operands, plan };
