// SortedLines: the byte-level total sort of text lines behind `kiln sort`
// (`LC_ALL=C sort` semantics, see TextDataset.sortLines). Policy: it is an ordinary
// range-partitioned shuffle in the lineage — its dependency carries a 'lines'
// aggregator, the map stage sorts and cuts each split, the reduce stage re-sorts each
// partition — so explain() shows it and the DAG scheduler runs it, retries included.
// The range bounds come from sampling the input files directly on the driver (a few
// thousand small positional reads at spread offsets, no pass over the data), done
// when the job first runs (resolvePartitioner). Bytes never become JS strings unless
// the caller asks for strings (collect, or any Dataset operator).
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../common/errors.js';
import type { LinesAggregator, LinesTarget, SinkSpec } from '../../common/protocol/protocol.js';
import { seededRandom } from '../../common/seeded-random.js';
import { inputError, OutputCommitter, type InputPartition } from '../../executor/io/index.js';
import type { ShuffleDependency } from '../plan/lineage.js';
import { orderedOutputWords, outputComplete } from '../../executor/shuffle/ordered-output.js';
import { checkPartitions, type PartitionerSpec } from '../../common/protocol/partitioner.js';
import type { LinesWritten } from '../../executor/shuffle/line-sort-reader.js';
import { Dataset, type ActionOptions } from './dataset.js';
import type { Kiln } from './kiln.js';

/** Options of {@link TextDataset.sortLines}. */
export interface SortLinesOptions {
  /** Descending order (sort -r). Default false. */
  reverse?: boolean;
  /** Output only the first of lines with equal keys (sort -u). Default false. */
  unique?: boolean;
  /**
   * Output each distinct line once, prefixed by its number of occurrences exactly as
   * `uniq -c` prints it (the count right-aligned in 7 columns, a space, the line):
   * `LC_ALL=C sort | uniq -c` in the kernels' byte-level path. Implies unique.
   */
  count?: boolean;
  /** Order by the first N bytes of each line only, stable (equal keys keep input order). Default: whole lines. */
  keyBytes?: number;
  /** Reduce partitions (default: the input's partition count); fewer if the input has few distinct keys. */
  numPartitions?: number;
  /** Tuning: bytes per key range that a reduce task sorts at once (default 4 MiB, about the cache). */
  rangeBytes?: number;
}

/** What {@link SortedLines.writeTo} wrote. */
export interface WriteSummary {
  readonly lines: number;
  readonly bytes: number;
}

/** Samples per reduce partition, and the least taken (Spark samples 20 per partition). */
const SAMPLES_PER_PARTITION = 20;
const MIN_SAMPLES = 1000;
/** Samples per key range (ranges only need to be roughly cache-sized), and the most taken. */
const SAMPLES_PER_RANGE = 4;
const MAX_SAMPLES = 20_000;
/** Target bytes of one key range (see LinesAggregator.rangesPerPartition). */
const RANGE_BYTES = 4 << 20;
const MAX_RANGES_PER_PARTITION = 1024;
/** Bytes read per sample; a longer line is read on in further windows, up to MAX_SAMPLE_LINE. */
const SAMPLE_WINDOW = 4096;
const MAX_SAMPLE_LINE = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Text lines sorted as bytes: lazy, like a Dataset (its lineage is `dataset`, a plain
 * Dataset of the lines as strings for any other operator); writeTo, saveAsTextFile
 * and count move or count bytes only. Not a Dataset subclass, because dataset.ts
 * creates it (an ES module cycle cannot extend a class that is still being defined).
 */
export class SortedLines implements AsyncIterable<string> {
  /** The sorted lines as a Dataset of strings (for map, filter, take, ...). */
  readonly dataset: Dataset<string>;
  private readonly kiln: Kiln;

  /** @internal Use TextDataset.sortLines. */
  constructor(kiln: Kiln, private readonly dep: ShuffleDependency) {
    this.kiln = kiln;
    this.dataset = new Dataset<string>(kiln, { kind: 'shuffled', dep });
  }

  /** Number of partitions (before the job runs: the requested count; after: the count the sample allowed). */
  get numPartitions(): number {
    return this.dataset.numPartitions;
  }

  /** The sorted lines as strings (UTF-8 decoded, without '\n'), for tests and small outputs. */
  async collect(options: ActionOptions = {}): Promise<string[]> {
    return this.dataset.collect(options);
  }

  /** The stages of the sort and the kernels they run. */
  explain(): string {
    return this.dataset.explain();
  }

  /** Iterates the sorted lines as strings, a partition at a time. */
  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.dataset[Symbol.asyncIterator]();
  }

  /** @internal Builds the lineage of `parent.sortLines(options)` (no work is done). */
  static of(parent: Dataset<string>, options: SortLinesOptions): SortedLines {
    const l = parent.lineage;
    if (l.kind !== 'text') throw new KilnError('usage', 'sortLines works on a textFile dataset directly (before any map or filter)');
    const { reverse = false, count = false, keyBytes } = options;
    const unique = (options.unique ?? false) || count;
    if (keyBytes !== undefined && (!Number.isInteger(keyBytes) || keyBytes < 1 || keyBytes > 1 << 20)) {
      throw new KilnError('usage', `sortLines keyBytes must be an integer from 1 to ${1 << 20}, got ${keyBytes}`);
    }
    const partitions = options.numPartitions ?? Math.max(1, parent.numPartitions);
    checkPartitions(partitions, 'sortLines numPartitions');
    const inputs = l.partitions;
    let totalBytes = 0;
    for (const p of inputs) for (const s of p.splits) totalBytes += s.length;
    // Ranges of about RANGE_BYTES: small enough for the reduce side's sort to stay in cache.
    const rangeBytes = options.rangeBytes ?? RANGE_BYTES;
    if (!(rangeBytes >= 1)) throw new KilnError('usage', `sortLines rangeBytes must be at least 1, got ${rangeBytes}`);
    const rangesPerPartition = Math.min(MAX_RANGES_PER_PARTITION, Math.max(1, Math.round(totalBytes / partitions / rangeBytes)));
    const aggregator: LinesAggregator = { kind: 'lines', reverse, unique, count, rangesPerPartition, encoding: l.encoding, ...(keyBytes !== undefined ? { keyBytes } : {}) };
    const kiln = parent.kiln;
    const dep: ShuffleDependency = {
      kind: 'shuffle',
      shuffleId: kiln.newShuffleId(),
      parent,
      partitioner: undefined,
      resolvePartitioner: async () => sampleLineBounds(inputs, partitions, rangesPerPartition, keyBytes, reverse),
      partitions,
      aggregator,
      mapSideCombine: false,
      keyed: false,
      format: 'lines',
    };
    const sorted = new SortedLines(kiln, dep);
    kiln.trackShuffle(sorted.dataset, dep.shuffleId);
    return sorted;
  }

  /**
   * Writes the sorted bytes to an open file descriptor (1 = stdout, or a file opened
   * for writing), partition by partition in order. The reduce tasks write themselves,
   * straight from kernel memory; the fd's position advances as with write(2).
   * `label` names the fd in errors (default "standard output" for fd 1). A failed
   * write fails the job at once, without retries: the fd may hold part of the output.
   */
  async writeTo(fd: number, options: ActionOptions & { label?: string } = {}): Promise<WriteSummary> {
    if (!Number.isInteger(fd) || fd < 0) throw new KilnError('usage', `writeTo needs an open file descriptor, got ${fd}`);
    const parkDir = join(this.kiln.options.spillDir, `lines-${randomBytes(6).toString('hex')}`);
    const turn = new SharedArrayBuffer(4 * orderedOutputWords(this.dep.partitions));
    const label = options.label ?? (fd === 1 ? 'standard output' : `file descriptor ${fd}`);
    try {
      const written = await this.runLines({ kind: 'fd', fd, turn, parkDir, label }, options);
      // Every task succeeded; still, never report an output with a missing partition.
      if (!outputComplete(turn, written.partitions)) {
        throw new KilnError('internal', `the sorted output to ${label} is missing partitions although every task succeeded: this is a bug in kiln, please report it`);
      }
      return { lines: written.lines, bytes: written.bytes };
    } finally {
      rmSync(parkDir, { recursive: true, force: true });
    }
  }

  /**
   * Writes the sorted lines to `dir/part-NNNNN` (each reduce task its own file, bytes
   * as sorted), committed atomically like Dataset.saveAsTextFile.
   */
  async saveAsTextFile(dir: string, options: ActionOptions & { overwrite?: boolean } = {}): Promise<void> {
    const committer = await OutputCommitter.begin(dir, { overwrite: options.overwrite ?? false });
    try {
      await this.runLines({ kind: 'dir', dir: committer.tempDir }, options);
      await committer.commit();
    } catch (e) {
      await committer.abort();
      throw e;
    }
  }

  /** Number of output lines (after unique), without decoding any line. */
  async count(options: ActionOptions = {}): Promise<number> {
    return (await this.runLines({ kind: 'count' }, options)).lines;
  }

  private async runLines(target: LinesTarget, options: ActionOptions): Promise<WriteSummary & { partitions: number }> {
    const sink: SinkSpec = { t: 'writeLines', target };
    const parts = (await this.kiln.runJob(this.dataset, sink, options)) as LinesWritten[];
    return { lines: parts.reduce((s, p) => s + p.lines, 0), bytes: parts.reduce((s, p) => s + p.bytes, 0), partitions: parts.length };
  }
}

/**
 * Range bounds for sortLines from a sample of the input, without a pass over it:
 * max(20 x partitions, 4 x ranges, 1000) windows (at most 20000) at evenly spread
 * offsets (jittered by a fixed seed) of the concatenated input files; from each, the
 * first line that starts after the offset (its first keyBytes bytes in key mode). The
 * sorted sample is cut into partitions x rangesPerPartition equal shares (equal
 * bounds make empty ranges); fewer distinct sampled keys than partitions give fewer
 * partitions. Bounds only balance the work: any bounds give the same output.
 */
export function sampleLineBounds(inputs: readonly InputPartition[], partitions: number, rangesPerPartition: number, keyBytes: number | undefined, reverse: boolean): PartitionerSpec {
  const files = new Map<string, number>();
  for (const p of inputs) for (const s of p.splits) files.set(s.path, s.fileSize);
  const list = [...files].filter(([, size]) => size > 0);
  const total = list.reduce((sum, [, size]) => sum + size, 0);
  const samples = Math.min(MAX_SAMPLES, Math.max(MIN_SAMPLES, SAMPLES_PER_PARTITION * partitions, SAMPLES_PER_RANGE * partitions * rangesPerPartition));
  const keys: Uint8Array[] = [];
  const rand = seededRandom(0x5eed);
  let fileIndex = 0;
  let fileBase = 0;
  let fd = -1;
  const window = Buffer.allocUnsafe(SAMPLE_WINDOW);
  try {
    for (let k = 0; k < samples && total > 0; k++) {
      const at = Math.min(total - 1, Math.floor(((k + rand()) * total) / samples));
      while (at >= fileBase + list[fileIndex]![1]) {
        fileBase += list[fileIndex]![1];
        fileIndex++;
        if (fd >= 0) closeSync(fd);
        fd = -1;
      }
      const [path, size] = list[fileIndex]!;
      if (fd < 0) fd = openSync(path, 'r');
      const line = lineAfter(fd, at - fileBase, size, window);
      if (line) keys.push(keyBytes === undefined ? line : line.subarray(0, keyBytes));
    }
  } catch (error) {
    throw error instanceof KilnError ? error : inputError(error, list[fileIndex]?.[0] ?? '', [0, 0]);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  keys.sort((a, b) => Buffer.compare(a, b));
  let distinct = keys.length > 0 ? 1 : 0;
  for (let i = 1; i < keys.length; i++) if (Buffer.compare(keys[i - 1]!, keys[i]!) !== 0) distinct++;
  const used = Math.max(1, Math.min(partitions, distinct));
  const ranges = used * rangesPerPartition;
  const empty = new Uint8Array(0);
  const bounds: Uint8Array[] = [];
  for (let i = 1; i < ranges; i++) bounds.push(keys.length > 0 ? keys[Math.floor((i * keys.length) / ranges)]! : empty);
  return { kind: 'range', partitions: used, bounds, ascending: !reverse };
}

/** The first line starting at or after `pos` (0: the file's first line), without '\n'; undefined if none. */
function lineAfter(fd: number, pos: number, size: number, window: Buffer): Uint8Array | undefined {
  // Find the line start: just past the first '\n' at or after pos - 1.
  let start = 0;
  if (pos > 0) {
    start = -1;
    for (let at = pos - 1; at < size && at < pos - 1 + MAX_SAMPLE_LINE; ) {
      const n = readSync(fd, window, 0, Math.min(SAMPLE_WINDOW, size - at), at);
      if (n === 0) break;
      const i = window.subarray(0, n).indexOf(NEWLINE);
      if (i >= 0) {
        start = at + i + 1;
        break;
      }
      at += n;
    }
    if (start < 0 || start >= size) return undefined;
  }
  const pieces: Buffer[] = [];
  let len = 0;
  for (let at = start; at < size && len < MAX_SAMPLE_LINE; ) {
    const n = readSync(fd, window, 0, Math.min(SAMPLE_WINDOW, size - at), at);
    if (n === 0) break;
    const i = window.subarray(0, n).indexOf(NEWLINE);
    const piece = Buffer.from(window.subarray(0, i >= 0 ? i : n));
    pieces.push(piece);
    len += piece.length;
    if (i >= 0) break;
    at += n;
  }
  return Buffer.concat(pieces, len);
}
