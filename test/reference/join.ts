// Plain-JS nested-loop references for joins: every pair of records compared with
// kiln's key equality (compareKeys === 0), nothing hashed or sorted.
import { compareKeys } from '../../engine/index.js';

/** Join types the reference knows. */
export type RefJoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

const eq = (a: unknown, b: unknown): boolean => compareKeys(a, b) === 0;

/** The records a join of `left` and `right` must produce (in no particular order). */
export function referenceJoin(type: RefJoinType, left: readonly [unknown, unknown][], right: readonly [unknown, unknown][]): unknown[] {
  const out: unknown[] = [];
  const rightMatched = new Array<boolean>(right.length).fill(false);
  for (const [k, v] of left) {
    let matched = false;
    for (let j = 0; j < right.length; j++) {
      const [k2, w] = right[j]!;
      if (!eq(k, k2)) continue;
      matched = true;
      rightMatched[j] = true;
      if (type !== 'semi' && type !== 'anti') out.push([k, [v, w]]);
    }
    if (type === 'semi' && matched) out.push([k, v]);
    if (type === 'anti' && !matched) out.push([k, v]);
    if (!matched && (type === 'left' || type === 'full')) out.push([k, [v, null]]);
  }
  if (type === 'right' || type === 'full') right.forEach(([k, w], j) => rightMatched[j] || out.push([k, [null, w]]));
  return out;
}

/** The records of a cogroup: every key of either side with both sides' values. */
export function referenceCogroup(left: readonly [unknown, unknown][], right: readonly [unknown, unknown][]): unknown[] {
  const keys: unknown[] = [];
  for (const [k] of [...left, ...right]) if (!keys.some((x) => eq(x, k))) keys.push(k);
  return keys.map((k) => [k, [left.filter(([x]) => eq(x, k)).map(([, v]) => v), right.filter(([x]) => eq(x, k)).map(([, v]) => v)]]);
}

/** A non-equi join of whole records. */
export function referenceWhere<X, Y>(type: 'inner' | 'left' | 'right' | 'full', left: readonly X[], right: readonly Y[], pred: (x: X, y: Y) => boolean): unknown[] {
  const out: unknown[] = [];
  const rightMatched = new Array<boolean>(right.length).fill(false);
  for (const x of left) {
    let matched = false;
    right.forEach((y, j) => {
      if (!pred(x, y)) return;
      matched = rightMatched[j] = true;
      out.push([x, y]);
    });
    if (!matched && (type === 'left' || type === 'full')) out.push([x, null]);
  }
  if (type === 'right' || type === 'full') right.forEach((y, j) => rightMatched[j] || out.push([null, y]));
  return out;
}

/** Records in a canonical order, for comparing bags. */
export function canonical(records: readonly unknown[]): string[] {
  return records.map((r) => JSON.stringify(r)).sort();
}
