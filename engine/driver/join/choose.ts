// Choosing a join strategy from sizes (Spark's JoinSelection, tried in its order).
// Policy: a forced strategy wins where the join type allows it, else the join fails
// naming the strategies it allows; auto tries broadcast hash (a buildable side at
// most the threshold, the smaller when both qualify), then shuffle hash (the smaller
// side at least 3x smaller than the other), then sort-merge. A hash strategy must
// reserve its build side's memory: a refused broadcast or shuffle hash falls back to
// sort-merge, which spills; a forced broadcast that cannot be reserved fails before
// anything runs. Pure: the caller measures and reserves.
import { KilnError } from '../../common/errors.js';
import { formatBytes } from './lineage.js';
import { allowedStrategies, broadcastBuildSides, type ChosenStrategy, type JoinSideName, type JoinStrategy, type JoinType, type SideSizes } from './types.js';

/** What a strategy choice is made from. */
export interface ChoiceInput {
  readonly type: JoinType;
  readonly requested: JoinStrategy;
  readonly operator: string;
  /** autoBroadcastJoinThreshold in bytes; negative turns broadcasting off. */
  readonly threshold: number;
  readonly sizes: SideSizes;
  /**
   * Asks for `bytes` of the memory budget for a hash table (held while the join
   * runs); false when refused. Called at most once per strategy tried.
   */
  readonly reserve: (bytes: number, what: string) => boolean;
  /** Tasks that hold a hash table at once (the worker count). */
  readonly concurrency: number;
  /** The memory budget, for error messages. */
  readonly budget: number;
}

/** A choice. */
export interface Choice {
  readonly strategy: ChosenStrategy;
  readonly build: JoinSideName | undefined;
  readonly reason: string;
}

/** Hash-table memory a shuffle hash join of `side` reserves: its largest partition in every concurrent task. */
function shuffleHashBytes(input: ChoiceInput, side: JoinSideName): number {
  const max = side === 'left' ? input.sizes.leftMaxPartition : input.sizes.rightMaxPartition;
  return (max ?? sizeOf(input.sizes, side) ?? 0) * input.concurrency;
}

function sizeOf(sizes: SideSizes, side: JoinSideName): number | undefined {
  return side === 'left' ? sizes.left : sizes.right;
}

/** The smaller measured side (an unmeasured side counts as unbounded); right on a tie. */
function smaller(sizes: SideSizes): JoinSideName {
  const l = sizes.left ?? Infinity;
  const r = sizes.right ?? Infinity;
  return l < r ? 'left' : 'right';
}

/** Picks the strategy, or throws a usage / resources error for a forced strategy that cannot run. */
export function chooseStrategy(input: ChoiceInput): Choice {
  const { type, requested, sizes } = input;
  if (requested !== 'auto' && !allowedStrategies(type).includes(requested)) {
    throw new KilnError('usage', `${input.operator}: strategy '${requested}' cannot run a ${type} join; it allows ${allowedStrategies(type).map((s) => `'${s}'`).join(', ')} (or 'auto')`);
  }
  if (requested === 'broadcast') {
    const sides = broadcastBuildSides(type);
    const build = sides.length === 1 ? sides[0]! : smaller(sizes);
    const bytes = (sizeOf(sizes, build) ?? 0) * input.concurrency;
    if (!input.reserve(bytes, `broadcast ${build} side`)) {
      throw new KilnError(
        'resources',
        `${input.operator}: the forced broadcast of the ${build} side (${formatBytes(sizeOf(sizes, build) ?? 0)}, held by ${input.concurrency} task(s) at once) does not fit the memory budget (${formatBytes(input.budget)}; autoBroadcastJoinThreshold is ${input.threshold < 0 ? 'off' : formatBytes(input.threshold)}): raise --memory, or use strategy 'sortMerge'`,
      );
    }
    return { strategy: 'broadcast', build, reason: 'forced' };
  }
  if (requested === 'shuffleHash') {
    const build = smaller(sizes);
    if (input.reserve(shuffleHashBytes(input, build), `shuffle hash ${build} side`)) return { strategy: 'shuffleHash', build, reason: 'forced' };
    return { strategy: 'sortMerge', build: undefined, reason: `forced shuffleHash, but the ${build} side's hash tables were refused memory: fell back to sort-merge` };
  }
  if (requested === 'sortMerge') return { strategy: 'sortMerge', build: undefined, reason: 'forced' };

  const notes: string[] = [];
  if (input.threshold >= 0) {
    const fits = broadcastBuildSides(type).filter((s) => sizeOf(sizes, s) !== undefined && sizeOf(sizes, s)! <= input.threshold);
    if (fits.length > 0) {
      const build = fits.length === 1 ? fits[0]! : smaller(sizes);
      if (input.reserve(sizeOf(sizes, build)! * input.concurrency, `broadcast ${build} side`)) {
        return { strategy: 'broadcast', build, reason: `${build} side <= autoBroadcastJoinThreshold ${formatBytes(input.threshold)}` };
      }
      notes.push(`broadcast of the ${build} side refused memory`);
    }
  }
  const build = smaller(sizes);
  const b = sizeOf(sizes, build);
  const o = sizeOf(sizes, build === 'left' ? 'right' : 'left') ?? Infinity;
  if (b !== undefined && b * 3 <= o) {
    if (input.reserve(shuffleHashBytes(input, build), `shuffle hash ${build} side`)) {
      return { strategy: 'shuffleHash', build, reason: [...notes, `${build} side at least 3x smaller`].join('; ') };
    }
    notes.push(`shuffle hash of the ${build} side refused memory`);
  }
  return { strategy: 'sortMerge', build: undefined, reason: notes.length ? `${notes.join('; ')}: sort-merge spills` : 'neither side small enough to hash' };
}
