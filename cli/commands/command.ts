// The shape of a kiln command. Policy: a command only builds a plan from a started
// context and its command line; running it, printing, progress, the summary and
// errors belong to cli/main.ts, so `kiln explain X` can show exactly the datasets
// `kiln X` would run, and no command prints on its own.
import type { Kiln } from '../../engine/index.js';
import type { CommandSpec, OptionValues } from '../args.js';
import type { Notice, Table } from '../output.js';

/** What a command gets. */
export interface CommandContext {
  readonly kiln: Kiln;
  /** Operands after the command name (for `run`, the script and its arguments). */
  readonly operands: readonly string[];
  /** How output names an input path that is not what the user typed: a copy of stdin is "(standard input)". */
  readonly inputNames?: ReadonlyMap<string, string>;
  /** Global and command flags. */
  readonly flags: OptionValues;
  /** Aborted on Ctrl-C: pass to every action. */
  readonly signal: AbortSignal;
  /** Where raw output bytes may go (text format), or undefined: then return rows. */
  readonly rawFd?: number | undefined;
  /** How rawFd is named in errors ("standard output" or the part file's path). */
  readonly rawLabel?: string;
}

/** Rows to print, with how to print them. */
export interface CommandResult {
  // Rows are checked against their table by each command; here they are opaque.
  readonly table: Table<readonly any[]>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly rows: Iterable<readonly unknown[] | Notice>;
}

/** A command's job, built but not run. */
export interface Plan {
  /** The stages the job would run (Dataset.explain of its final dataset). */
  explain(): string;
  /** Runs the job and returns what to print. */
  run(): Promise<CommandResult>;
}

/** A command: its command-line spec and how to plan it. */
export interface Command {
  readonly spec: CommandSpec;
  /** Paths among the operands (used to size the worker pool for small inputs). */
  inputs(operands: readonly string[]): readonly string[];
  plan(ctx: CommandContext): Plan;
}
