// A Map keyed by record keys with kiln's key equality. Policy: primitive keys key a JS
// Map directly (SameValueZero agrees with kiln's equality for them: 0 and -0 are one
// key, NaN equals NaN); tuples and byte keys are keyed by their canonical encoding.

import { ByteWriter, writeKey } from '../codec/index.js';
import type { AggregatorSpec } from '../exec/protocol.js';
import type { TaskContext } from '../exec/task-context.js';

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

/** A map from record keys to [key, value] entries. */
export class KeyedMap {
  private readonly prim = new Map<unknown, [unknown, unknown]>();
  private readonly enc = new Map<string, [unknown, unknown]>();
  private readonly scratch = new ByteWriter(64);

  /** Distinct keys held. */
  get size(): number {
    return this.prim.size + this.enc.size;
  }

  /** Folds `value` into the entry of `key`: create(value) when new, else merge(current, value). */
  update(key: unknown, value: unknown, create: (v: unknown) => unknown, merge: (c: unknown, v: unknown) => unknown): void {
    if (key === null || typeof key !== 'object') {
      const e = this.prim.get(key);
      if (e === undefined) this.prim.set(key, [key, create(value)]);
      else e[1] = merge(e[1], value);
      return;
    }
    const id = this.encode(key);
    const e = this.enc.get(id);
    if (e === undefined) this.enc.set(id, [key, create(value)]);
    else e[1] = merge(e[1], value);
  }

  /** The entry of `key`, created with `init()` when absent. */
  getOrAdd(key: unknown, init: () => unknown): [unknown, unknown] {
    const map = key === null || typeof key !== 'object' ? this.prim : this.enc;
    const id = map === this.prim ? key : this.encode(key);
    let e = (map as Map<unknown, [unknown, unknown]>).get(id);
    if (e === undefined) (map as Map<unknown, [unknown, unknown]>).set(id, (e = [key, init()]));
    return e;
  }

  /** [key, value] entries. */
  *pairs(): IterableIterator<[unknown, unknown]> {
    yield* this.prim.values();
    yield* this.enc.values();
  }

  /** Keys. */
  *keys(): IterableIterator<unknown> {
    for (const e of this.prim.values()) yield e[0];
    for (const e of this.enc.values()) yield e[0];
  }

  private encode(key: unknown): string {
    this.scratch.reset();
    writeKey(this.scratch, key);
    return Buffer.from(this.scratch.bytes()).toString('latin1');
  }
}
