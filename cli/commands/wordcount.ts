// kiln wordcount: word frequencies, most frequent first. Policy: the counting is the
// engine's kernel path (words() -> valueCounts(): tokenizer and combiner kernels, no
// JS string per word until the reduce side); ordering happens on the driver over the
// distinct words only: count descending, ties by the word's UTF-8 bytes. Defaults are
// the countwords benchmark's rules (github.com/benhoyt/countwords): split on ASCII
// whitespace, lowercase ASCII letters, punctuation stays attached to its word.
import type { CommandSpec } from '../args.js';
import { choice, positiveInt } from '../args.js';
import { compareCodePoints } from '../../engine/codec/key-codec.js';
import type { Table } from '../output.js';
import type { Command, CommandContext, Plan } from './command.js';

type Row = readonly [word: string, count: number];

const spec: CommandSpec = {
  name: 'wordcount',
  usage: 'wordcount FILES... [--top N] [--no-lowercase] [--split whitespace|nonalnum]',
  summary: 'count words, most frequent first',
  flagHelp: [
    '-n, --top N             print only the N most frequent words',
    '    --no-lowercase      keep case (default: ASCII letters are lowercased)',
    '    --split MODE        whitespace (default: ASCII whitespace; punctuation stays',
    '                        attached) or nonalnum (every non-alphanumeric ASCII byte)',
  ],
  options: {
    top: { type: 'string', short: 'n' },
    'no-lowercase': { type: 'boolean' },
    split: { type: 'string' },
  },
  minOperands: 1,
};

const table: Table<Row> = {
  columns: ['word', 'count'],
  text: ([word, count]) => `${word} ${count}`,
};

/** Most frequent first; equal counts in byte order of the word. */
export function compareCounts(a: Row, b: Row): number {
  return b[1] - a[1] || compareCodePoints(a[0], b[0]);
}

/** The `n` first rows in `compareCounts` order, by a bounded heap: O(rows x log n). */
export function topRows(rows: readonly Row[], n: number): Row[] {
  if (n >= rows.length) return [...rows].sort(compareCounts);
  // A max-heap on compareCounts holds the best n so far; its root is the worst of them.
  const heap: Row[] = [];
  const worse = (i: number, j: number): boolean => compareCounts(heap[i]!, heap[j]!) > 0;
  const swap = (i: number, j: number): void => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(l, m)) m = l;
      if (r < heap.length && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (const row of rows) {
    if (heap.length < n) {
      heap.push(row);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!worse(i, p)) break;
        swap(i, p);
        i = p;
      }
    } else if (n > 0 && compareCounts(row, heap[0]!) < 0) {
      heap[0] = row;
      siftDown(0);
    }
  }
  return heap.sort(compareCounts);
}

function plan({ kiln, operands, flags, signal }: CommandContext): Plan {
  const top = positiveInt(flags.top, 'top');
  const split = choice(flags.split, 'split', ['whitespace', 'nonalnum'] as const, 'whitespace');
  const counts = kiln.textFile(operands).words({ lowercase: flags['no-lowercase'] !== true, split }).valueCounts();
  return {
    explain: () => counts.explain(),
    async run() {
      const rows = (await counts.collect({ signal })) as Row[];
      return { table, rows: top === undefined ? rows.sort(compareCounts) : topRows(rows, top) };
    },
  };
}

/** `kiln wordcount`. */
export const wordcount: Command = { spec, inputs: (operands) => operands, plan };
