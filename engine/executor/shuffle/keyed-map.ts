// A Map keyed by record keys with kiln's key equality. Policy: string keys go to a
// StringTable (JS-hashed open addressing: cheaper than a Map for freshly made strings,
// see string-table.ts); other primitive keys key a JS Map directly (SameValueZero
// agrees with kiln's equality for them: 0 and -0 are one key, NaN equals NaN); tuples
// and byte keys are keyed by their canonical encoding. Iteration yields string keys,
// then other primitives, then encoded keys, each group in insertion order.

import { ByteWriter, writeKey } from '../../common/codec/index.js';
import type { AggregatorSpec } from '../../common/protocol/protocol.js';
import type { TaskContext } from '../runtime/task-context.js';
import { StringTable } from './string-table.js';

/** The createCombiner and mergeValue functions of a JS aggregator, revived in this worker. */
export function combinerFunctions(agg: Extract<AggregatorSpec, { kind: 'js' }>, ctx: TaskContext): { create: (v: unknown) => unknown; merge: (c: unknown, v: unknown) => unknown } {
  const merge = ctx.fn<(c: unknown, v: unknown) => unknown>(agg.mergeValue);
  const c = agg.create;
  switch (c.t) {
    case 'identity':
      return { create: (v) => v, merge };
    case 'fn':
      return { create: ctx.fn<(v: unknown) => unknown>(c.fn), merge };
    case 'zero':
      // Each key starts from its own copy of the zero value (it may be mutated).
      return { create: (v) => merge(structuredClone(c.zero), v), merge };
  }
}

/**
 * A map from record keys to combined values. String keys live in a StringTable; other
 * primitive keys hold their value directly in a JS Map (measured faster than [key,
 * value] entry arrays: no array per key, and a Smi stored in the Map needs no write
 * barrier); other keys hold [key, value] by their canonical encoding.
 */
export class KeyedMap {
  private readonly strings = new StringTable();
  private readonly prim = new Map<unknown, unknown>();
  private readonly enc = new Map<string, [unknown, unknown]>();
  private readonly scratch = new ByteWriter(64);

  /** Distinct keys held. */
  get size(): number {
    return this.strings.size + this.prim.size + this.enc.size;
  }

  /** Folds `value` into the entry of `key`: create(value) when new, else merge(current, value). */
  update(key: unknown, value: unknown, create: (v: unknown) => unknown, merge: (c: unknown, v: unknown) => unknown): void {
    if (typeof key === 'string') return this.strings.update(key, value, create, merge);
    if (key === null || typeof key !== 'object') {
      const prim = this.prim;
      const c = prim.get(key);
      // A combiner may itself be undefined: only then is the second lookup needed.
      if (c !== undefined || prim.has(key)) prim.set(key, merge(c, value));
      else prim.set(key, create(value));
      return;
    }
    const id = this.encode(key);
    const e = this.enc.get(id);
    if (e === undefined) this.enc.set(id, [key, create(value)]);
    else e[1] = merge(e[1], value);
  }

  /** Adds `key` with value `init()` unless present. */
  add(key: unknown, init: () => unknown): void {
    if (typeof key === 'string') return this.strings.add(key, init);
    if (key === null || typeof key !== 'object') {
      if (!this.prim.has(key)) this.prim.set(key, init());
      return;
    }
    const id = this.encode(key);
    if (!this.enc.has(id)) this.enc.set(id, [key, init()]);
  }

  /** [key, value] pairs. */
  *pairs(): IterableIterator<[unknown, unknown]> {
    const { keys, values } = this.strings;
    for (let i = 0; i < keys.length; i++) yield [keys[i], values[i]];
    yield* this.prim.entries();
    yield* this.enc.values();
  }

  /** Keys. */
  *keys(): IterableIterator<unknown> {
    yield* this.strings.keys;
    yield* this.prim.keys();
    for (const e of this.enc.values()) yield e[0];
  }

  private encode(key: unknown): string {
    this.scratch.reset();
    writeKey(this.scratch, key);
    return Buffer.from(this.scratch.bytes()).toString('latin1');
  }
}
