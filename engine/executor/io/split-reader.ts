// The split reader: brings the lines of one file split into kernel memory, chunk by
// chunk. Policy:
// - Which lines: Hadoop's LineRecordReader rule. A line belongs to the split holding its
//   first byte. A split with start > 0 skips everything up to and including the first
//   '\n' at or after start - 1 (so a split that starts exactly on a line start loses
//   nothing), and every split reads past its end to finish the line holding byte
//   end - 1. Both sides find the same '\n', so adjacent splits meet exactly.
// - Chunks hold whole lines only: each ends in '\n' except the file's last line, which
//   may lack it. A line longer than the chunk buffer grows the buffer (allocator.resize)
//   instead of being cut, so kernels never see half a line.
// - No allocation per chunk: one chunk region, allocated once and reused across splits
//   (fresh memory costs ~3 s/GiB to touch here); it only grows, for long lines.
// - Backends. WASM cannot address a mapping, so each chunk is copied into kernel memory
//   either way. 'read' is fs.readSync straight into the chunk region (no intermediate
//   buffer). 'mmap' maps the split's page-aligned range plus some slack and copies out
//   of the mapping; the binding cannot map at or beyond 2 GiB, so bytes at offsets
//   >= 2 GiB are read positionally, as is the rest of a split whose mapping failed.
//   'read' is the default: twice as fast here (a fresh mapping per split pays its page
//   faults and saves no copy), no native addon, no special case past 2 GiB; measured
//   figures in bench/README.md ("I/O backends").
import { closeSync, openSync, readSync } from 'node:fs';
import { KilnError } from '../../common/errors.js';
import type { KernelRuntime } from '../kernels/runtime.js';
import { OutOfMemoryError } from '../memory/allocator.js';
import type { Region } from '../memory/region.js';
import { inputError } from '../../common/io/files.js';
import { mmapAvailable, mmapBinding, MMAP_LIMIT_BYTES, type MmapBinding } from './mmap.js';
import type { FileSplit, IoBackend } from '../../common/io/splits.js';

export { mmapAvailable } from './mmap.js';

export type { IoBackend } from '../../common/io/splits.js';

/** Options of a {@link SplitReader}. */
export interface SplitReaderOptions {
  /** Requested backend (default 'read'); 'mmap' falls back to 'read' when the binding is absent. */
  backend?: IoBackend;
  /** Size of the chunk buffer in bytes (default 4 MiB); grows for longer lines. */
  chunkBytes?: number;
  /** Longest line accepted, in bytes (default {@link DEFAULT_MAX_RECORD_BYTES}); a longer one is a clear 'input' error. */
  maxRecordBytes?: number;
}

/** What one {@link SplitReader.read} did. */
export interface SplitReadResult {
  /** Bytes handed to onChunk: the split's lines. Over all splits of a file, the file size. */
  bytesRead: number;
  lines?: never;
}

/**
 * Default longest record (line): 2 GiB, issue 11's only limit on line length. A line
 * past it is an error naming the file, the byte offset and this setting.
 */
export const DEFAULT_MAX_RECORD_BYTES = 2 * 1024 ** 3;

/** Default chunk buffer size. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/** Bytes mapped past a split's end so the line crossing it usually needs no second mapping. */
const MMAP_SLACK_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

/** Buffer bytes are kept congruent to their file offsets modulo this (see readLines). */
const ALIGN = 64;

/**
 * Reads the lines of a split into kernel memory in chunks, by Hadoop's LineRecordReader
 * rule (see the file header). The chunk passed to onChunk is valid only during the
 * callback: the region is reused. One reader per thread; not re-entrant.
 */
export class SplitReader {
  /** The effective backend (after fallback). */
  readonly backend: IoBackend;
  /** Why the requested backend is not the effective one, or why a mapping failed; else undefined. */
  note: string | undefined;

  private region: Region | undefined;
  /** Usable bytes of the chunk buffer (the region holds ALIGN more; see readLines). */
  private capacity: number;
  private view: Uint8Array;
  /** Longest line accepted (set per task from its spec). */
  maxRecordBytes: number;
  private readonly mmap: MmapBinding | undefined;

  // Per-read state, cleared when a read ends.
  private fd = -1;
  private split: FileSplit | undefined;
  private mapping: Buffer | undefined;
  private mapStart = 0;
  private mapEnd = 0;
  private mapFailed = false;

  constructor(private readonly rt: KernelRuntime, options: SplitReaderOptions = {}) {
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
      throw new KilnError('usage', `chunkBytes must be a positive integer, got ${chunkBytes} — fix the option`);
    }
    const wanted = options.backend ?? 'read';
    if (wanted === 'mmap') {
      const available = mmapAvailable();
      this.mmap = mmapBinding();
      this.backend = available.ok ? 'mmap' : 'read';
      this.note = available.ok ? undefined : available.reason;
    } else {
      this.backend = 'read';
      this.note = undefined;
    }
    this.capacity = chunkBytes;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    // ALIGN spare bytes: the valid bytes start up to ALIGN - 1 bytes in (see readLines).
    this.region = rt.allocator.alloc(chunkBytes + ALIGN, ALIGN);
    this.view = new Uint8Array(rt.u8.buffer, this.region.ptr, this.capacity + ALIGN);
  }

  /**
   * Reads the lines of `split`, calling onChunk(ptr, len) with chunks of whole lines in
   * file order. `ptr` has no particular alignment (the buffer keeps bytes aligned to
   * their file offsets, not to the line start). Throws KilnError 'input' when the file cannot be read or changed size,
   * 'resources' when a line does not fit in kernel memory.
   */
  read(split: FileSplit, onChunk: (ptr: number, len: number) => void): SplitReadResult {
    const region = this.region;
    if (!region) throw new KilnError('usage', 'SplitReader.read after close() — create a new reader', { file: split.path });
    const { path, start, length, fileSize } = split;
    const end = start + length;
    if (![start, length, fileSize].every(Number.isSafeInteger) || start < 0 || length < 0 || end > fileSize) {
      throw new KilnError('internal', `invalid split ${path} [${start}, ${end}) of a ${fileSize}-byte file: this is a bug in kiln, please report it`, { file: path, range: [start, end] });
    }
    if (length === 0) return { bytesRead: 0 };
    try {
      this.fd = openSync(path, 'r');
    } catch (error) {
      throw inputError(error, path, [start, end]);
    }
    this.split = split;
    try {
      return this.readLines(start, end, fileSize, onChunk);
    } finally {
      closeSync(this.fd);
      this.fd = -1;
      this.split = undefined;
      // Dropping the Buffer lets GC unmap it (the binding has no explicit unmap).
      this.mapping = undefined;
      this.mapStart = this.mapEnd = 0;
      this.mapFailed = false;
    }
  }

  /** Releases the chunk region. The reader cannot be used afterwards. */
  close(): void {
    if (this.region) this.rt.allocator.release(this.region);
    this.region = undefined;
  }

  private readLines(start: number, end: number, fileSize: number, onChunk: (ptr: number, len: number) => void): SplitReadResult {
    // Buffer layout: the valid bytes sit at [lead, lead + valid), and buffer index b holds
    // a file offset congruent to b modulo ALIGN. Copies out of a (page-aligned) mapping
    // and reads into the buffer are then mutually aligned: a misaligned memmove from a
    // mapping measured 1.8 GB/s against 5-6 GB/s aligned.
    let lead = 0;
    let carry = 0; // bytes of an unfinished line at [lead, lead + carry)
    let filePos = start; // next file byte to read
    if (start > 0) {
      // Skip the tail of the line that started in the previous split: everything up to
      // and including the first '\n' at or after start - 1.
      filePos = start - 1;
      for (;;) {
        if (filePos >= fileSize) return { bytesRead: 0 };
        const at = filePos % ALIGN;
        const n = this.fill(at, filePos, Math.min(this.capacity, fileSize - filePos));
        filePos += n;
        const i = this.find(at, at + n);
        if (i >= 0) {
          carry = at + n - (i + 1);
          lead = (i + 1) % ALIGN;
          this.bytes().copyWithin(lead, i + 1, at + n);
          break;
        }
      }
      // The first line of this split starts at or after `end`: it is the next split's.
      if (filePos - carry >= end) return { bytesRead: 0 };
    } else {
      lead = 0;
    }
    let bytesRead = 0;
    const emit = (len: number): void => {
      bytesRead += len;
      onChunk(this.region!.ptr + lead, len);
    };
    for (;;) {
      if (carry === this.capacity) this.grow(lead + carry, filePos - carry, filePos);
      const n = filePos < fileSize ? this.fill(lead + carry, filePos, Math.min(this.capacity - carry, fileSize - filePos)) : 0;
      filePos += n;
      const valid = carry + n;
      const bufStart = filePos - valid; // file offset of buffer index `lead`
      if (filePos >= end) {
        // The buffer holds byte end - 1: the '\n' at or after it ends this split's last line.
        const i = this.find(lead + Math.max(0, end - 1 - bufStart), lead + valid);
        if (i >= 0) {
          emit(i + 1 - lead);
          return { bytesRead };
        }
      }
      if (filePos >= fileSize) {
        // End of file: the last line may lack its '\n'.
        if (valid > 0) emit(valid);
        return { bytesRead };
      }
      const j = valid > 0 ? this.bytes().lastIndexOf(NEWLINE, lead + valid - 1) : -1;
      if (j < lead) {
        // No line ends in a full buffer: keep it all; the next round grows the buffer.
        carry = valid;
        continue;
      }
      emit(j + 1 - lead);
      carry = lead + valid - (j + 1);
      const next = (j + 1) % ALIGN;
      this.bytes().copyWithin(next, j + 1, lead + valid);
      lead = next;
    }
  }

  /** The chunk buffer, re-viewed when the memory has grown (a new SharedArrayBuffer). */
  private bytes(): Uint8Array {
    const buffer = this.rt.u8.buffer;
    if (this.view.buffer !== buffer) this.view = new Uint8Array(buffer, this.region!.ptr, this.capacity + ALIGN);
    return this.view;
  }

  /** Index of the first '\n' in buffer[from, to), or -1. */
  private find(from: number, to: number): number {
    if (from >= to) return -1;
    const i = this.bytes().indexOf(NEWLINE, from);
    return i >= 0 && i < to ? i : -1;
  }

  /** Doubles the chunk buffer, keeping its first `keep` bytes (a line longer than the buffer). */
  private grow(keep: number, lineStart: number, scanFrom: number): void {
    // Doubling serves lines up to a few times the chunk; a longer one gets exactly its
    // length (found by scanning ahead outside kernel memory), so a 300 MB line takes
    // 300 MB, not 512 MiB, and old and new buffer need not both fit at once.
    const lineEnd = this.lineEndAfter(scanFrom);
    const maxRecordBytes = this.maxRecordBytes;
    if (lineEnd - lineStart > maxRecordBytes) {
      const { path, start, length } = this.split!;
      throw new KilnError(
        'input',
        `the line at byte ${lineStart} of ${path} is ${lineEnd - lineStart} bytes, more than maxRecordBytes (${maxRecordBytes} bytes) — raise it with --max-record-bytes (Kiln.start's maxRecordBytes), or check that the file is line-oriented text`,
        { file: path, range: [start, start + length] },
      );
    }
    const next = Math.max(this.capacity * 2 <= lineEnd - lineStart ? 0 : this.capacity * 2, roundUp(lineEnd - lineStart + ALIGN, 1 << 16));
    if (next + ALIGN > this.region!.size) {
      try {
        this.region = this.rt.allocator.resize(this.region!, next + ALIGN, keep);
      } catch (error) {
        if (!(error instanceof OutOfMemoryError)) throw error;
        const { path, start, length } = this.split!;
        throw new KilnError(
          'resources',
          `the line at byte ${lineStart} of ${path} is longer than ${this.capacity} bytes and does not fit in this worker thread's ${mib(this.rt.allocator.capacity)} of scratch memory — raise it with --worker-memory (Kiln.start's workerMemory; the spans of workers + 2 threads and --memory share 4 GiB, so lower --memory or --workers to make room), or check that the file is line-oriented text`,
          { file: path, range: [start, start + length] },
          { cause: error },
        );
      }
    }
    this.capacity = next;
    this.view = new Uint8Array(this.rt.u8.buffer, this.region!.ptr, this.capacity + ALIGN);
  }

  /** File offset just past the first '\n' at or after `from` (or the file's size), read outside kernel memory. */
  private lineEndAfter(from: number): number {
    const { fileSize } = this.split!;
    const probe = Buffer.allocUnsafe(1 << 20);
    for (let pos = from; pos < fileSize; ) {
      let n: number;
      try {
        n = readSync(this.fd, probe, 0, Math.min(probe.length, fileSize - pos), pos);
      } catch (error) {
        const { path, start, length } = this.split!;
        throw inputError(error, path, [start, start + length]);
      }
      if (n === 0) return pos;
      const i = probe.subarray(0, n).indexOf(NEWLINE);
      if (i >= 0) return pos + i + 1;
      pos += n;
    }
    return fileSize;
  }

  /** Copies file bytes [filePos, filePos + len) to buffer[at, at + len); len stays within the file. */
  private fill(at: number, filePos: number, len: number): number {
    const ptr = this.region!.ptr + at;
    let done = 0;
    if (this.backend === 'mmap' && !this.mapFailed) {
      while (done < len && filePos + done < MMAP_LIMIT_BYTES) {
        const pos = filePos + done;
        if (pos < this.mapStart || pos >= this.mapEnd) {
          if (!this.map(pos, len - done)) break;
        }
        const stop = Math.min(this.mapEnd, filePos + len);
        this.mapping!.copy(this.rt.u8, ptr + done, pos - this.mapStart, stop - this.mapStart);
        done += stop - pos;
      }
    }
    while (done < len) {
      let n: number;
      try {
        n = readSync(this.fd, this.rt.u8, ptr + done, len - done, filePos + done);
      } catch (error) {
        const { path, start, length } = this.split!;
        throw inputError(error, path, [start, start + length]);
      }
      if (n === 0) {
        const { path, start, length, fileSize } = this.split!;
        throw new KilnError('input', `${path} ended at byte ${filePos + done} but was ${fileSize} bytes when the job was planned — do not change input files while a job runs`, { file: path, range: [start, start + length] });
      }
      done += n;
    }
    return done;
  }

  /**
   * Maps a window holding `pos`: from its page to the split's end plus slack (or `want`
   * bytes, whichever is further), clipped to the file and to the binding's 2 GiB limit.
   * Returns false, and switches this split to positional reads, if mapping fails.
   */
  private map(pos: number, want: number): boolean {
    const { fileSize, start, length } = this.split!;
    const page = this.mmap!.PAGESIZE;
    const mapStart = Math.floor(pos / page) * page;
    const reach = Math.max(start + length + MMAP_SLACK_BYTES, pos + want, pos + MMAP_SLACK_BYTES);
    const mapEnd = Math.min(fileSize, MMAP_LIMIT_BYTES, reach);
    this.mapping = undefined;
    try {
      this.mapping = this.mmap!.map(mapEnd - mapStart, this.mmap!.PROT_READ, this.mmap!.MAP_SHARED, this.fd, mapStart);
    } catch (error) {
      this.mapFailed = true;
      this.mapStart = this.mapEnd = 0;
      this.note = `mmap of ${this.split!.path} at ${mapStart} failed (${error instanceof Error ? error.message : String(error)}); read it with positional reads instead`;
      return false;
    }
    this.mapStart = mapStart;
    this.mapEnd = mapEnd;
    return true;
  }
}

/** `n` rounded up to a multiple of `to`. */
function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Bytes as "N MiB" for messages. */
function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}
