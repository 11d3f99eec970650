// Skewed reduce partitions of a shuffled join (Spark AQE's OptimizeSkewedJoin).
// Policy: a partition is skewed when it is larger than `factor` x the median
// partition and above `minBytes`; it is split at map-block boundaries into
// sub-partitions of about max(minBytes, mean of the other partitions) each, and the
// other side's matching partition is read whole by every sub-partition (replicated).
// Only a side whose unmatched rows no other task needs may be split: the left side
// for inner, left outer, semi and anti joins, the right side for inner and right outer.
import type { JoinSideName, JoinTaskRange, JoinType } from './types.js';

/** Skew detection settings. */
export interface SkewSettings {
  /** A skewed partition is larger than factor x the median (Spark: 5). */
  readonly factor: number;
  /** ...and larger than this many bytes (Spark: 256 MB; kiln: 64 MiB). Also the smallest sub-partition. */
  readonly minBytes: number;
}

/** Sides a skew split may cut for a join type. */
export function splittableSides(type: JoinType): JoinSideName[] {
  switch (type) {
    case 'inner':
      return ['left', 'right'];
    case 'left':
    case 'semi':
    case 'anti':
      return ['left'];
    case 'right':
      return ['right'];
    case 'full':
      return [];
  }
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The tasks of a shuffled join: one per reduce partition, or several for a skewed
 * one. `blockBytes[side][p][m]` is the size of partition p in map block m (undefined
 * for a side that is not shuffled). Returns undefined when nothing is split.
 */
export function skewTasks(
  type: JoinType,
  blockBytes: { readonly left?: readonly (readonly number[])[] | undefined; readonly right?: readonly (readonly number[])[] | undefined },
  settings: SkewSettings,
): JoinTaskRange[] | undefined {
  const sides = splittableSides(type).filter((s) => blockBytes[s] !== undefined);
  if (sides.length === 0) return undefined;
  const partitions = (blockBytes.left ?? blockBytes.right)!.length;
  const totals = (s: JoinSideName): number[] => blockBytes[s]!.map((blocks) => blocks.reduce((a, b) => a + b, 0));
  const sizes = { left: blockBytes.left ? totals('left') : undefined, right: blockBytes.right ? totals('right') : undefined };
  const tasks: JoinTaskRange[] = [];
  let split = false;
  for (let p = 0; p < partitions; p++) {
    // The side to split at p: the larger skewed one (one side per partition).
    let best: { side: JoinSideName; bytes: number; target: number } | undefined;
    for (const side of sides) {
      const all = sizes[side]!;
      const bytes = all[p]!;
      const med = median(all);
      if (bytes > settings.factor * med && bytes > settings.minBytes && (!best || bytes > best.bytes)) {
        const others = all.filter((_, i) => i !== p);
        const mean = others.length ? others.reduce((a, b) => a + b, 0) / others.length : 0;
        best = { side, bytes, target: Math.max(settings.minBytes, mean) };
      }
    }
    const groups = best ? groupBlocks(blockBytes[best.side]![p]!, best.target) : [];
    if (!best || groups.length < 2) {
      tasks.push({ partition: p });
      continue;
    }
    split = true;
    for (const [from, to] of groups) tasks.push({ partition: p, split: { side: best.side, from, to } });
  }
  return split ? tasks : undefined;
}

/** Consecutive map blocks grouped to about `target` bytes each (at least one block per group). */
function groupBlocks(blocks: readonly number[], target: number): [number, number][] {
  const groups: [number, number][] = [];
  let from = 0;
  let acc = 0;
  for (let m = 0; m < blocks.length; m++) {
    if (acc > 0 && acc + blocks[m]! > target) {
      groups.push([from, m]);
      from = m;
      acc = 0;
    }
    acc += blocks[m]!;
  }
  if (from < blocks.length) groups.push([from, blocks.length]);
  return groups;
}
