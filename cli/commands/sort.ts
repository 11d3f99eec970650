// kiln sort: lines in byte order, byte-identical to `LC_ALL=C sort` (with -r, -u).
// Policy: the engine sorts (keyBy + sortByKey: a sampled range partitioner, then the
// partitioned-sort kernel on the keys' order-preserving bytes; a string key's bytes
// are its UTF-8, i.e. C-locale order), and collect() returns the partitions in order.
// --unique counts lines first (valueCounts, combined on the map side) so duplicates
// are not shuffled twice. --key-bytes N sorts on the first N bytes of each line and
// is stable (the sort kernel is stable and reduce tasks read map outputs in input
// order), like `sort -s` with a byte-prefix key; with --unique it keeps the first line
// of each run of equal keys, as sort -u does; with --reverse, equal keys stay in input
// order too (sort -s -r).
import type { Dataset } from '../../engine/index.js';
import type { CommandSpec } from '../args.js';
import { positiveInt } from '../args.js';
import type { Table } from '../output.js';
import type { Command, CommandContext, Plan } from './command.js';

type Row = readonly [line: string];

const spec: CommandSpec = {
  name: 'sort',
  usage: 'sort FILES... [--reverse] [--unique] [--key-bytes N]',
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
};

const table: Table<Row> = { columns: ['line'], text: ([line]) => line };

function plan({ kiln, operands, flags, signal }: CommandContext): Plan {
  const ascending = flags.reverse !== true;
  const unique = flags.unique === true;
  const keyBytes = positiveInt(flags['key-bytes'], 'key-bytes');
  const lines = kiln.textFile(operands);
  // An empty input has no partitions, and sortByKey needs at least one.
  const partitions = Math.max(1, lines.numPartitions);
  let sorted: Dataset<string>;
  if (keyBytes === undefined) {
    sorted = unique ? lines.valueCounts().sortByKey(ascending, partitions).keys() : lines.map((line) => [line, 0] as [string, number]).sortByKey(ascending, partitions).keys();
  } else {
    // Bytes as the key (a Uint8Array key orders by its bytes), the line as the value;
    // `n` is shipped to the workers as a capture. The engine's descending sort does not
    // keep equal keys in input order, so --reverse sorts ascending on a key whose byte
    // order is the reverse of the prefix's: each byte b becomes [1, 255 - b], then a
    // final 2 (greater than any continuation, so a longer key with the same start,
    // which is greater, comes first).
    const n = keyBytes;
    const keyed = ascending
      ? lines.keyBy((line) => new TextEncoder().encode(line).slice(0, n), { n })
      : lines.keyBy(
          (line) => {
            const bytes = new TextEncoder().encode(line).subarray(0, n);
            const key = new Uint8Array(2 * bytes.length + 1);
            for (let i = 0; i < bytes.length; i++) {
              key[2 * i] = 1;
              key[2 * i + 1] = 255 - bytes[i]!;
            }
            key[2 * bytes.length] = 2;
            return key;
          },
          { n },
        );
    sorted = keyed.sortByKey(true, partitions).values();
  }
  return {
    explain: () => sorted.explain(),
    async run() {
      const out = await sorted.collect({ signal });
      const rows = keyBytes !== undefined && unique ? firstOfEachKey(out, keyBytes) : out;
      return { table, rows: rows.map((line): Row => [line]) };
    },
  };
}

/** The first line of each run of lines whose first `n` bytes are equal. */
function firstOfEachKey(lines: readonly string[], n: number): string[] {
  const out: string[] = [];
  let last: Buffer | undefined;
  for (const line of lines) {
    const key = Buffer.from(line).subarray(0, n);
    if (last && key.equals(last)) continue;
    out.push(line);
    last = key;
  }
  return out;
}

/** `kiln sort`. */
export const sort: Command = { spec, inputs: (operands) => operands, plan };
