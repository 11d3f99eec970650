// Ordering by key functions: sortByKey's keyfunc, and the options of top and
// takeOrdered. Policy: Spark's semantics. PySpark's `takeOrdered(n, key=f)` and
// `sortByKey(ascending, n, keyfunc)` take a one-argument key function, compared in the
// natural order (kiln's compareKeys here); a two-argument comparator is kiln's own
// extension and must be asked for by name (`{ compare }`), because a bare function is
// ambiguous: a key function passed where a comparator was expected silently gives a
// wrong answer (`takeOrdered(6, x => -x)` compares `-a` with nothing). So a bare
// function is refused with an error that names both options.
import { compareKeys } from '../../common/codec/index.js';
import { KilnError } from '../../common/errors.js';
import { composeShipped, shipFunction, type ShippedFunction } from '../../common/functions/index.js';
import type { ActionOptions, Captures, Dataset } from './dataset.js';

/** Options of top() and takeOrdered(). */
export interface OrderOptions<T> extends ActionOptions {
  /** Spark's key function: records are ordered by `key(record)` in kiln's key order (compareKeys). */
  key?: (x: T) => unknown;
  /** A comparator instead of a key function (kiln's extension; not both). */
  compare?: (a: T, b: T) => number;
  /** Values the key function or comparator uses (see Dataset.map). */
  captures?: Captures;
}

/** The parsed ordering: the driver-side comparator and what ships to the workers. */
export interface Ordering<T> {
  readonly compare: (a: T, b: T) => number;
  readonly shipped: { key?: ShippedFunction; compare?: ShippedFunction };
}

/** Checks top/takeOrdered options; a bare function is refused, naming { key } and { compare }. */
export function ordering<T>(operator: 'top' | 'takeOrdered', options: unknown): Ordering<T> {
  if (typeof options === 'function') {
    throw new KilnError(
      'usage',
      `${operator}(n, fn) is ambiguous: pass { key: fn } for Spark's key function (e.g. ${operator}(n, { key: (x) => -x })) ` +
        `or { compare: fn } for a comparator (a, b) => number`,
      { operator },
    );
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new KilnError('usage', `${operator}(n, options) takes an options object such as { key } or { compare }, got ${String(options)}`, { operator });
  }
  const o = (options ?? {}) as OrderOptions<T>;
  if (o.key !== undefined && o.compare !== undefined) throw new KilnError('usage', `${operator} takes { key } or { compare }, not both`, { operator });
  if (o.key !== undefined) {
    const key = o.key;
    if (typeof key !== 'function') throw new KilnError('usage', `${operator} { key } must be a function, got ${typeof key}`, { operator });
    return { compare: (a, b) => compareKeys(key(a), key(b)), shipped: { key: shipFunction(key, operator, o.captures) } };
  }
  if (o.compare !== undefined) {
    const compare = o.compare;
    if (typeof compare !== 'function') throw new KilnError('usage', `${operator} { compare } must be a function, got ${typeof compare}`, { operator });
    return { compare, shipped: { compare: shipFunction(compare, operator, o.captures) } };
  }
  return { compare: compareKeys as (a: T, b: T) => number, shipped: {} };
}

/**
 * sortByKey with Spark's keyfunc: pairs are re-keyed by `keyfunc(key)` (the pair kept
 * as the value), sorted by the new key (range partitioner sampled on it), and
 * unwrapped, so records come out ordered by keyfunc(key) with their original keys.
 */
export function sortByKeyWith<K, V>(ds: Dataset<[K, V]>, ascending: boolean, numPartitions: number | undefined, keyfunc: (k: K) => unknown, captures?: Captures): Dataset<[K, V]> {
  const key = shipFunction(keyfunc, 'sortByKey', captures);
  const rekey = composeShipped('(p) => [__f0(p[0]), p]', [key], 'sortByKey');
  return ds.mapShipped<[unknown, [K, V]]>(rekey).sortByKey(ascending, numPartitions).values();
}
