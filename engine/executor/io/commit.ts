// Output commit: a job's output directory appears whole or not at all. Policy, after
// Hadoop's FileOutputCommitter (simplified to one process): tasks write their part files
// into a temporary sibling directory `<parent>/.<name>.kiln-tmp-<pid>-<random>` (a
// hidden name, so input listings skip it, and the same filesystem, so the final rename
// is atomic); commit writes the `_SUCCESS` marker there and renames the directory into
// place; abort removes it. An existing target is refused unless the caller asked to
// overwrite, and even then the old directory is replaced only at commit, so a failed
// job leaves the previous output untouched.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { KilnError, OUTPUT_CLOSED } from '../../common/errors.js';

/** Name of the marker a committed output directory holds (Hadoop's). */
export const SUCCESS_MARKER = '_SUCCESS';

/** Options of {@link OutputCommitter.begin}. */
export interface CommitOptions {
  /** Replace an existing output directory at commit (default false: refuse it). */
  overwrite?: boolean;
}

type CommitState = 'open' | 'committed' | 'aborted';

/** Atomic commit of one output directory: begin, write part files to tempDir, commit or abort. */
export class OutputCommitter {
  private state: CommitState = 'open';

  private constructor(
    /** The output directory as it will appear after commit (absolute). */
    readonly dir: string,
    /** Where part files are written until commit. */
    readonly tempDir: string,
    private readonly overwrite: boolean,
  ) {}

  /**
   * Creates the temporary directory for `dir`. Throws KilnError 'usage' when `dir`
   * exists and overwrite is not set; its parent directories are created.
   */
  static async begin(dir: string, options: CommitOptions = {}): Promise<OutputCommitter> {
    const target = resolve(dir);
    const overwrite = options.overwrite ?? false;
    if (!overwrite && existsSync(target)) throw existsError(target);
    const tempDir = join(dirname(target), `.${basename(target)}.kiln-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(tempDir, { recursive: true });
    } catch (error) {
      throw outputError(error, tempDir);
    }
    return new OutputCommitter(target, tempDir, overwrite);
  }

  /** Path of partition `partition`'s output file in the temporary directory: `<tempDir>/part-00000`. */
  partPath(partition: number): string {
    if (!Number.isSafeInteger(partition) || partition < 0) {
      throw new KilnError('internal', `part file index must be a non-negative integer, got ${partition}: this is a bug in kiln, please report it`);
    }
    return join(this.tempDir, `part-${String(partition).padStart(5, '0')}`);
  }

  /** Writes `_SUCCESS` and renames the temporary directory into place (replacing the old one if overwriting). */
  async commit(): Promise<void> {
    this.expectOpen('commit');
    try {
      await writeFile(join(this.tempDir, SUCCESS_MARKER), '');
    } catch (error) {
      throw outputError(error, this.tempDir);
    }
    let old: string | undefined;
    if (existsSync(this.dir)) {
      // Someone created the target after begin(): still refuse unless overwriting.
      if (!this.overwrite) throw existsError(this.dir);
      // Move the old output aside first: rename cannot replace a non-empty directory.
      old = join(dirname(this.dir), `.${basename(this.dir)}.kiln-old-${process.pid}-${randomBytes(6).toString('hex')}`);
      try {
        await rename(this.dir, old);
      } catch (error) {
        throw outputError(error, this.dir);
      }
    }
    try {
      await rename(this.tempDir, this.dir);
    } catch (error) {
      if (old) await rename(old, this.dir).catch(() => undefined);
      throw outputError(error, this.dir);
    }
    this.state = 'committed';
    if (old) await rm(old, { recursive: true, force: true });
  }

  /** Removes the temporary directory and everything written to it. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.state === 'committed') return;
    this.state = 'aborted';
    await rm(this.tempDir, { recursive: true, force: true });
  }

  /** {@link abort}, synchronously: for a process that must exit now (a second signal). */
  abortSync(): void {
    if (this.state === 'committed') return;
    this.state = 'aborted';
    rmSync(this.tempDir, { recursive: true, force: true });
  }

  private expectOpen(action: string): void {
    if (this.state !== 'open') {
      throw new KilnError('internal', `output ${this.dir}: ${action} after ${this.state}: this is a bug in kiln, please report it`, { file: this.dir });
    }
  }
}

function existsError(dir: string): KilnError {
  return new KilnError('usage', `output directory ${dir} already exists — pass overwrite: true (or --overwrite) to replace it, or choose another path`, { file: dir });
}

function outputError(error: unknown, path: string): KilnError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const options = { cause: error };
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new KilnError('resources', `no space left writing ${path} — free disk space or write the output elsewhere`, { file: path }, options);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new KilnError('usage', `permission denied writing ${path} — choose a writable output directory`, { file: path }, options);
  }
  return new KilnError('execution', `cannot write output ${path} (${code ?? String(error)}) — check the path and the disk`, { file: path }, options);
}

/**
 * The error for a failed write of a job's output bytes (a part file, stdout, a shared
 * fd): what happened, where, how much was left, and what to do. {@link outputError}
 * words the committer's own directory operations.
 */
export function writeError(error: unknown, label: string, unwritten: number): KilnError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const options = { cause: error };
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new KilnError('resources', `no space left on device writing ${label}: at least ${unwritten} more bytes were still to be written — free disk space or write the output elsewhere`, { file: label }, options);
  }
  if (code === 'EPIPE') return new KilnError('aborted', `the reader of ${label} went away`, { file: label }, { ...options, code: OUTPUT_CLOSED });
  return new KilnError('execution', `cannot write the output to ${label} (${code ?? (error as Error).message}) — check the destination and its disk`, { file: label }, options);
}
