// Where results go and how they are spelled. Policy: a command hands over rows and a
// Table saying how to print one; the format flag picks the spelling (text: the
// command's own, matching the Unix tool it stands in for; tsv: fields joined by tabs;
// json: JSON Lines, one object per row, so output streams and concatenates). Results
// go to stdout, written in large chunks that respect backpressure; a reader that goes
// away (`kiln sort f | head`) ends the command quietly. With --output DIR they go to
// DIR/part-00000 through the engine's OutputCommitter: the directory appears whole
// at commit or not at all, and an existing one is refused unless --overwrite. The
// directory is claimed before the job runs, so a refused --output costs nothing.
// A binary table's strings are bytes, one char each (latin1: the CLI reads text
// byte-exact, as LC_ALL=C tools do): text and tsv write them back as those bytes;
// json, which must be Unicode, decodes them as UTF-8 with invalid bytes escaped
// (surrogateescape: "\udcff"), so distinct keys never print alike.
import { write as fsWrite } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { OutputCommitter } from '../engine/executor/io/commit.js';
import { writeError } from '../engine/executor/io/commit.js';
import { binaryToDisplay } from '../engine/common/io/text-encoding.js';
import type { OutputFormat } from './settings.js';

/** How one kind of row is printed. */
export interface Table<Row extends readonly unknown[]> {
  /** Field names (tsv order, json keys). */
  readonly columns: readonly string[];
  /** The text-format line of a row, without its newline. */
  text(row: Row): string;
  /** The row's strings are latin1 "binary strings" (bytes), not Unicode text. */
  readonly binary?: boolean;
}

/**
 * A message among the rows that is not a result (grep's "binary file matches"): it
 * goes to stderr, after the rows before it, whatever the format.
 */
export interface Notice {
  readonly notice: string;
}

const CHUNK_CHARS = 1 << 16;

/** A destination for a command's result lines. */
export class OutputSink {
  private chunk: string[] = [];
  private chunkChars = 0;
  private file: FileHandle | undefined;
  /** Set when stdout's reader went away: further output is dropped. */
  private closedByReader = false;
  /** How the buffered text becomes bytes: latin1 for a binary table's text and tsv. */
  private encoding: BufferEncoding = 'utf8';

  private constructor(
    private readonly format: OutputFormat,
    private readonly committer: OutputCommitter | undefined,
  ) {}

  /**
   * Opens the sink: stdout, or a claimed output directory. Throws KilnError 'usage'
   * when `dir` exists and `overwrite` is false.
   */
  static async open(format: OutputFormat, dir: string | undefined, overwrite: boolean): Promise<OutputSink> {
    if (dir === undefined) return new OutputSink(format, undefined);
    const committer = await OutputCommitter.begin(dir, { overwrite });
    const sink = new OutputSink(format, committer);
    try {
      sink.file = await open(committer.partPath(0), 'w');
    } catch (e) {
      await committer.abort();
      throw e;
    }
    return sink;
  }

  /**
   * Writes rows in the chosen format. `signal` is checked at every chunk, so a signal
   * that arrives while a long result is written stops it (and nothing is committed).
   */
  async rows<Row extends readonly unknown[]>(table: Table<Row>, rows: Iterable<Row | Notice>, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.encoding = table.binary && this.format !== 'json' ? 'latin1' : 'utf8';
    for (const row of rows) {
      if (isNotice(row)) {
        await this.flush();
        process.stderr.write(`kiln: ${row.notice}\n`);
        continue;
      }
      // Buffered synchronously; awaited only when a chunk is full (an await per row
      // cost ~100 ms on a word count's 100 000 rows).
      const s = this.spell(table, row);
      this.chunk.push(s, '\n');
      this.chunkChars += s.length + 1;
      if (this.chunkChars >= CHUNK_CHARS) {
        await this.flush();
        signal?.throwIfAborted();
      }
    }
  }

  /**
   * A file descriptor a command may write raw bytes to (the text format only, before
   * any row): stdout, or the --output part file. Commands whose engine job writes its
   * own bytes (kiln sort) use it to skip turning lines into strings.
   */
  rawFd(): number | undefined {
    if (this.format !== 'text') return undefined;
    return this.file ? this.file.fd : 1;
  }

  /** How rawFd() is named in errors: "standard output" or the output's part file. */
  rawLabel(): string {
    return this.committer ? `${this.committer.dir}/part-00000` : 'standard output';
  }

  /**
   * Flushes and, for --output, makes the part file durable (fsync: a disk that fills
   * or fails at write-back reports it here, before `_SUCCESS` exists) and commits.
   */
  async close(): Promise<void> {
    await this.flush();
    if (this.committer) {
      try {
        await this.file?.sync();
      } catch (e) {
        throw writeError(e, this.rawLabel(), 0);
      }
      await this.file?.close();
      this.file = undefined;
      await this.committer.commit();
    }
  }

  /** Removes a claimed output directory's temporary files at once (a second signal: no time to wait). */
  abortSync(): void {
    this.committer?.abortSync();
  }

  /** Drops everything written to an output directory (after a failure or Ctrl-C). */
  async abort(): Promise<void> {
    if (!this.committer) return;
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    await this.committer.abort();
  }

  private spell<Row extends readonly unknown[]>(table: Table<Row>, row: Row): string {
    switch (this.format) {
      case 'text':
        return table.text(row);
      case 'tsv':
        return row.join('\t');
      case 'json':
        return JSON.stringify(Object.fromEntries(table.columns.map((c, i) => [c, table.binary && typeof row[i] === 'string' ? binaryToDisplay(row[i]) : row[i]])));
      default: {
        const never: never = this.format;
        return never;
      }
    }
  }

  private async flush(): Promise<void> {
    if (this.chunk.length === 0) return;
    const text = this.chunk.join('');
    this.chunk = [];
    this.chunkChars = 0;
    if (this.file) {
      try {
        await this.file.write(text, null, this.encoding);
      } catch (e) {
        throw writeError(e, this.rawLabel(), Buffer.byteLength(text, this.encoding));
      }
      return;
    }
    if (this.closedByReader) return;
    await writeStdout(text, this.encoding).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      this.closedByReader = true;
    });
  }
}

function isNotice(x: unknown): x is Notice {
  return typeof x === 'object' && x !== null && 'notice' in x;
}

/**
 * Writes to stdout (fd 1) and waits until the data is handed to the OS. The write
 * runs on libuv's thread pool (fs.write), not through process.stdout, which Node
 * makes synchronous for pipes and files on Linux: a reader that stops reading would
 * then block the main thread inside write(2), where no signal handler can run. A
 * failed write rejects (ENOSPC on a full disk, EIO) with a one-line KilnError; EPIPE
 * (the reader went away) rejects with the plain errno error, for the caller to end
 * quietly.
 */
export async function writeStdout(text: string, encoding: BufferEncoding = 'utf8'): Promise<void> {
  const bytes = Buffer.from(text, encoding);
  let done = 0;
  while (done < bytes.length) {
    try {
      done += await writeChunk(bytes, done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') throw e;
      // A non-blocking stdout (shared with a parent that set O_NONBLOCK) that is full.
      if (code === 'EAGAIN') {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      throw writeError(e, 'standard output', bytes.length - done);
    }
  }
}

function writeChunk(bytes: Buffer, from: number): Promise<number> {
  return new Promise((resolve, reject) => fsWrite(1, bytes, from, bytes.length - from, null, (e, n) => (e ? reject(e) : resolve(n))));
}
