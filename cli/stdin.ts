// Standard input as a file operand. Policy, as coreutils: the operand `-` is standard
// input, and so is "no file operand" when stdin is not a terminal (cli/args.ts adds
// the `-`). The engine reads files by byte ranges from several workers, so stdin is
// first copied whole into a temporary file — in a directory `kiln-<pid>-stdin<hex>`
// beside the spill directories, which the stale sweep (engine/executor/io/stale.ts) removes
// once that process is dead — and the command reads that file. cli/main.ts removes
// the directory when the command ends, and on a signal (forceStop) at once. Stdin is
// read once: `-` given twice is a usage error (GNU join refuses it too). Output names
// the input `(standard input)`, as GNU grep does.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KilnError } from '../engine/common/errors.js';
import { UsageError } from './errors.js';

/** The operand that names standard input. */
export const STDIN_OPERAND = '-';

/** How standard input is named in output and messages (GNU grep's wording). */
export const STDIN_NAME = '(standard input)';

/** Standard input copied into a temporary file. */
export class StdinSpool {
  private constructor(
    /** The temporary directory `kiln-<pid>-stdin<hex>`, removed by `removeSync`. */
    readonly dir: string,
    /** The file holding stdin's bytes. */
    readonly path: string,
  ) {}

  /**
   * Copies `input` to a new file under `base` and resolves when it ended; rejects
   * with the abort reason when `signal` aborts (the partial copy is removed), and with
   * a 'resources' error naming the directory when the copy cannot be written (a full disk).
   */
  static async fill(input: Readable, base: string, signal: AbortSignal): Promise<StdinSpool> {
    const dir = join(base, `kiln-${process.pid}-stdin${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (cause) {
      throw new KilnError('resources', `cannot create ${dir} to hold standard input (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); set TMPDIR to a writable directory`, {}, { cause });
    }
    const spool = new StdinSpool(dir, join(dir, 'stdin'));
    try {
      await pipeline(input, createWriteStream(spool.path, { flags: 'wx', mode: 0o600 }), { signal });
    } catch (cause) {
      spool.removeSync();
      if (signal.aborted) throw signal.reason;
      const code = (cause as NodeJS.ErrnoException).code;
      const what = code === 'ENOSPC' ? 'the disk is full' : code ?? (cause as Error).message;
      throw new KilnError('resources', `cannot copy standard input to ${dir}: ${what}; free space there or set TMPDIR to a larger directory`, {}, { cause });
    }
    return spool;
  }

  /** Removes the directory and the copy (safe to call twice, and from a signal handler). */
  removeSync(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Which of `operands` are `-`, from `firstInput` on (the operands before it are not files); at most one may be. */
export function stdinOperandIndex(operands: readonly string[], firstInput: number): number | undefined {
  const at: number[] = [];
  for (let i = firstInput; i < operands.length; i++) if (operands[i] === STDIN_OPERAND) at.push(i);
  if (at.length > 1) throw new UsageError(`standard input (-) is given ${at.length} times; it can be read only once`);
  return at[0];
}
