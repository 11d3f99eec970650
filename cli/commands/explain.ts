// kiln explain: the plan of another command, without running it. Policy: the explained
// command builds its datasets exactly as it would to run (same flags, same inputs), and
// its final dataset's explain() is printed: the stages, their partition counts, and
// which operators run as WASM kernels. Nothing runs — a sort's sampling job, too, only
// runs when the sort does.
import type { CommandSpec } from '../args.js';
import type { Command } from './command.js';

const spec: CommandSpec = {
  name: 'explain',
  usage: 'explain COMMAND [ARGS...]   (e.g. kiln explain wordcount big.txt)',
  summary: 'print the stages a command would run, and which operators are WASM kernels',
  flagHelp: [],
  options: {},
  minOperands: 0,
};

/**
 * `kiln explain`: parsing resolves the explained command (cli/args.ts) and main.ts
 * prints its plan; this object only carries the command-line spec.
 */
export const explain: Command = {
  spec,
  inputs: () => [],
  plan() {
    throw new Error('kiln explain is planned through the command it explains');
  },
};
