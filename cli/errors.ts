// How the CLI reports failure. Policy: one line on stderr that names what went wrong
// and what to do, no stack trace unless --debug; the exit code says who must act:
// 2 for a usage error (the command line or its paths were wrong before any work
// ran), 1 for a failure while running, 130 after Ctrl-C (128 + SIGINT, the shell's
// convention). Messages come from the engine's KilnError where there is one, since
// the engine already words them for users (engine/common/errors.ts).
import { describeContext, KilnError } from '../engine/common/errors.js';

/** Exit codes of the `kiln` command. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** A wrong command line: unknown flag, missing operand, bad value. */
export class UsageError extends KilnError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** The exit code for an error that ended a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof KilnError) {
    switch (error.kind) {
      case 'usage':
        return ExitCode.usage;
      case 'aborted':
        return ExitCode.interrupted;
      case 'input':
      case 'execution':
      case 'resources':
      case 'internal':
        return ExitCode.failure;
      default: {
        const never: never = error.kind;
        return never;
      }
    }
  }
  return ExitCode.failure;
}

/**
 * The text to print for `error`: one line, or with `debug` the line followed by the
 * stack and cause chain. `color` marks "error" in red (off for NO_COLOR or a pipe).
 */
export function formatError(error: unknown, options: { debug: boolean; color: boolean }): string {
  const label = options.color ? '\x1b[31merror\x1b[39m' : 'error';
  const line = `kiln: ${label}: ${oneLine(error)}`;
  if (!options.debug) return line;
  const details: string[] = [line];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && depth < 8; depth++) {
    if (e instanceof Error) {
      details.push(depth === 0 ? (e.stack ?? '') : `caused by: ${e.stack ?? e.message}`);
      e = e.cause;
    } else {
      details.push(`caused by: ${String(e)}`);
      e = undefined;
    }
  }
  return details.join('\n');
}

function oneLine(error: unknown): string {
  if (error instanceof KilnError) {
    const where = describeContext(error.context);
    // Messages from input listing already name their file; add only what they lack.
    const named = error.message.includes(where) || (error.context.file !== undefined && error.message.includes(error.context.file) && error.context.stage === undefined);
    const suffix = where && !named ? ` (${where})` : '';
    const message = firstLine(error.message);
    if (error.kind === 'internal') return `${message}${suffix} — this is a bug in kiln; rerun with --debug and report it`;
    return `${message}${suffix}`;
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${firstLine(error.message)}${code ? ` (${code})` : ''} — rerun with --debug for details`;
  }
  return `${String(error)} — rerun with --debug for details`;
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}
