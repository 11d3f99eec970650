// Split planning: how the input files are cut into byte ranges and packed into the
// partitions that become map tasks. Policy: Spark's FilePartition planning
// (sql/core/.../execution/datasources/FilePartition.scala, `maxSplitBytes` and
// `getFilePartitions`): a split is at most maxSplitBytes, where
//   maxSplitBytes = min(maxPartitionBytes, max(openCostInBytes, totalBytes / minPartitions))
// and totalBytes counts every file plus one open cost; splits are then packed
// "next fit" into partitions, each split charged its length plus the open cost, so that
// many small files share a task instead of paying a task each.
//
// Packing order: kiln packs in path order (file by file, splits in offset order), not
// by size descending as Spark's DataFrame reader does. Path order keeps a dataset's
// records in input order across partitions (collect, take and saveAsTextFile then
// follow the input, as Spark's RDD textFile does through Hadoop's FileInputFormat), and
// keeps the splits of a file in neighbouring partitions. What size-descending buys
// (long tasks first, tighter packing when big and small files interleave) is small here:
// all splits of a large file are exactly maxSplitBytes except its last one, and a
// scheduler that wants longest-first can order tasks by size without renumbering them.
import { KilnError } from '../errors.js';
import type { InputFile } from './files.js';

/** A byte range [start, start + length) of one file; its lines are those starting inside it. */
export interface FileSplit {
  path: string;
  start: number;
  length: number;
  /** Size of the whole file, so a reader can finish the last line without a stat. */
  fileSize: number;
}

/** How split bytes reach kernel memory: positional reads, or copies out of a file mapping. */
export type IoBackend = 'read' | 'mmap';

/** One input partition (one map task): its index and the splits it reads, in order. */
export interface InputPartition {
  index: number;
  splits: FileSplit[];
}

/** Tunables of {@link planSplits}; names and defaults are Spark's spark.sql.files.* ones. */
export interface SplitOptions {
  /** Largest split and partition, in bytes (default 128 MiB). */
  maxPartitionBytes?: number;
  /** Fewest partitions wanted: shrinks splits so small inputs still use every core (default 1). */
  minPartitions?: number;
  /** What opening a file is estimated to cost, in bytes of reading (default 4 MiB). */
  openCostInBytes?: number;
}

/** Default largest split (spark.sql.files.maxPartitionBytes). */
export const DEFAULT_MAX_PARTITION_BYTES = 128 * 1024 * 1024;
/**
 * Default per-file open cost. Spark's spark.sql.files.openCostInBytes is 4 MiB, sized
 * for HDFS; on a local disk open + read + close of a small file measured ~20-40 us
 * here, what reading ~100 KiB costs, so kiln charges 128 KiB. With 4 MiB, 20 000 tiny
 * files made 625 map tasks (and 625 reduce partitions): 68 s for a word count that
 * now takes about 1 s (bench/README.md, "Many small files").
 */
export const DEFAULT_OPEN_COST_BYTES = 128 * 1024;

/**
 * The split size Spark's FilePartition.maxSplitBytes would choose for these files:
 * min(maxPartitionBytes, max(openCostInBytes, (sum of size + openCost) / minPartitions)).
 */
export function maxSplitBytes(files: readonly InputFile[], options: SplitOptions = {}): number {
  const { maxPartitionBytes, minPartitions, openCostInBytes } = checkedOptions(options);
  let totalBytes = 0;
  for (const file of files) totalBytes += file.size + openCostInBytes;
  // Integer division as in Spark; at least one byte so a zero open cost cannot stall the cut.
  const bytesPerPartition = Math.floor(totalBytes / minPartitions);
  return Math.max(1, Math.min(maxPartitionBytes, Math.max(openCostInBytes, bytesPerPartition)));
}

/**
 * Cuts files into splits of at most maxSplitBytes (see {@link maxSplitBytes}) and packs
 * them next-fit, in path order, into partitions whose total of (split length + open
 * cost) stays within maxSplitBytes (a single split always gets a partition). Empty files
 * produce no split; no input gives no partitions. Files are taken in the order given
 * ({@link listInputFiles} sorts them by path).
 */
export function planSplits(files: readonly InputFile[], options: SplitOptions = {}): InputPartition[] {
  const { openCostInBytes } = checkedOptions(options);
  const splitBytes = maxSplitBytes(files, options);
  const partitions: InputPartition[] = [];
  let current: FileSplit[] = [];
  let currentBytes = 0;
  const close = (): void => {
    if (current.length > 0) partitions.push({ index: partitions.length, splits: current });
    current = [];
    currentBytes = 0;
  };
  for (const file of files) {
    if (!Number.isSafeInteger(file.size) || file.size < 0) {
      throw new KilnError('internal', `input file ${file.path} has an invalid size ${file.size}: this is a bug in kiln, please report it`, { file: file.path });
    }
    for (let start = 0; start < file.size; start += splitBytes) {
      const length = Math.min(splitBytes, file.size - start);
      // Spark's rule: the open cost of the splits already in the partition counts,
      // the new split's own open cost does not (it is charged after it is added).
      if (currentBytes + length > splitBytes) close();
      current.push({ path: file.path, start, length, fileSize: file.size });
      currentBytes += length + openCostInBytes;
    }
  }
  close();
  return partitions;
}

function checkedOptions(options: SplitOptions): Required<SplitOptions> {
  const maxPartitionBytes = options.maxPartitionBytes ?? DEFAULT_MAX_PARTITION_BYTES;
  const minPartitions = options.minPartitions ?? 1;
  const openCostInBytes = options.openCostInBytes ?? DEFAULT_OPEN_COST_BYTES;
  const positive = (name: string, value: number, min: number): void => {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new KilnError('usage', `${name} must be an integer >= ${min}, got ${value} — fix the option`);
    }
  };
  positive('maxPartitionBytes', maxPartitionBytes, 1);
  positive('minPartitions', minPartitions, 1);
  positive('openCostInBytes', openCostInBytes, 0);
  return { maxPartitionBytes, minPartitions, openCostInBytes };
}
