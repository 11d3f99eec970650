// textFile's partitions when compressed files (.gz, .zst, .bz2) are among the inputs. Policy, as Spark's
// (Hadoop's TextInputFormat.isSplitable): a compressed file is not split, so each
// `.gz`, `.zst` or `.bz2` file is one whole-file split in a partition of its own (one task per file),
// and the plain files are planned as before (engine/common/io/splits.ts). Partitions stay in
// path order: a gz partition goes where its path sorts among the plain splits (a
// packed partition is cut in two around it), so records keep the input order.
import { isCompressedPath, planSplits, type InputFile, type InputPartition } from '../../executor/io/index.js';

/** Partitions of `files` (sorted by path): plain files cut and packed, one partition per compressed file. */
export function planTextPartitions(files: readonly InputFile[], maxPartitionBytes: number, minPartitions: number): InputPartition[] {
  const gz = files.filter((f) => isCompressedPath(f.path));
  if (gz.length === 0) return planSplits(files, { maxPartitionBytes, minPartitions });
  const plain = planSplits(files.filter((f) => !isCompressedPath(f.path)), { maxPartitionBytes, minPartitions });
  const whole: InputPartition[] = gz.filter((f) => f.size > 0).map((f) => ({ index: 0, splits: [{ path: f.path, start: 0, length: f.size, fileSize: f.size }] }));
  // Walk the plain splits in path order, cutting a packed partition where a gzip
  // file's path falls between two of its splits.
  const merged: InputPartition[] = [];
  let g = 0;
  for (const p of plain) {
    let current: InputPartition['splits'] = [];
    for (const split of p.splits) {
      if (g < whole.length && whole[g]!.splits[0]!.path < split.path) {
        if (current.length > 0) merged.push({ index: 0, splits: current });
        current = [];
        while (g < whole.length && whole[g]!.splits[0]!.path < split.path) merged.push(whole[g++]!);
      }
      current.push(split);
    }
    if (current.length > 0) merged.push({ index: 0, splits: current });
  }
  while (g < whole.length) merged.push(whole[g++]!);
  return merged.map((p, index) => ({ ...p, index }));
}
