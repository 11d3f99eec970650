// kiln wordcount: word frequencies, most frequent first. Policy: the counting is the
// engine's kernel path (words() -> valueCounts(): tokenizer and combiner kernels, no
// JS string per word until the reduce side) over the input's bytes (textFile latin1:
// keys are byte strings, printed back as the same bytes); ordering happens on the
// driver over the distinct words only, interruptibly (cli/order.ts): count
// descending, ties by the word's bytes. Defaults are
// the countwords benchmark's rules (github.com/benhoyt/countwords): split on ASCII
// whitespace, lowercase ASCII letters, punctuation stays attached to its word.
import type { CommandSpec } from '../args.js';
import { choice, positiveInt } from '../args.js';
import { sortRows } from '../order.js';
import { kilnFunction } from '../../engine/common/functions/shipped.js';
import type { Table } from '../output.js';
import type { Command, CommandContext, Plan } from './command.js';

type Row = readonly [word: string, count: number];

const spec: CommandSpec = {
  name: 'wordcount',
  usage: 'wordcount [FILES...] [--top N] [--no-lowercase] [--split whitespace|nonalnum]',
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
  stdin: 'default',
};

const table: Table<Row> = {
  columns: ['word', 'count'],
  text: ([word, count]) => `${word} ${count}`,
  binary: true,
};

/**
 * Most frequent first; equal counts in byte order of the word. Words are latin1
 * "binary strings" (one char per byte), so plain string comparison is byte order.
 */
export function compareCounts(a: Row, b: Row): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

function plan({ kiln, operands, flags, signal }: CommandContext): Plan {
  const top = positiveInt(flags.top, 'top');
  const split = choice(flags.split, 'split', ['whitespace', 'nonalnum'] as const, 'whitespace');
  // Keys are the words' bytes, as mawk's and LC_ALL=C tools' are: a BOM or invalid
  // UTF-8 is part of a word, and distinct bytes are distinct words.
  const counts = kiln.textFile(operands, { encoding: 'latin1' }).words({ lowercase: flags['no-lowercase'] !== true, split }).valueCounts();
  return {
    explain: () => counts.explain(),
    async run() {
      // --top N: each reduce task keeps its N most frequent words (Spark's takeOrdered),
      // so the driver never holds more than N per partition whatever the vocabulary.
      if (top !== undefined) return { table, rows: (await counts.takeOrdered(top, { compare: kilnFunction(compareCounts) as (a: unknown, b: unknown) => number, signal })) as Row[] };
      const rows = (await counts.collect({ signal })) as Row[];
      // Ordered on the driver, interruptibly: millions of distinct words take seconds.
      return { table, rows: await sortRows(rows, compareCounts, signal) };
    },
  };
}

/** `kiln wordcount`. */
export const wordcount: Command = { spec, inputs: (operands) => operands, plan };
