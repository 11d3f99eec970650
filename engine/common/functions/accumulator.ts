// Accumulators (Spark's AccumulatorV2): values tasks add to as a side effect, read on
// the driver. Policy: the driver keeps the value; what crosses threads is a handle
// (the only own enumerable fields: id, kind, name, and for a custom accumulator its
// zero and shipped `add`), as Broadcast does. A task adds into a task-local copy that
// starts at zero (accumulator-task.ts); the copy travels back with the task's result
// and the driver merges it only when the attempt succeeded, so a failed attempt's
// partial updates are dropped. The task scheduler returns one successful outcome per
// partition of a task set, so an update made in an action (foreach,
// foreachPartition: a result stage) counts exactly once per partition, whatever the
// retries. An update made in a transformation counts once per time its partition is
// computed: again for every action that recomputes it, and for a map stage that is
// re-run. Reading `value` inside a task is a usage error, as in Spark.

import { KilnError } from '../errors.js';
import { shipFunction, type ShippedFunction } from './shipped.js';

/** The accumulator types kiln has. */
export type AccumulatorKind = 'long' | 'double' | 'collection' | 'custom';

/** What crosses threads for an accumulator: plain data, no value. */
export interface AccumulatorHandle {
  /** The accumulator's id, unique within the driver process. */
  readonly __kilnAccumulator: number;
  readonly kind: AccumulatorKind;
  /** Set for named accumulators (these show in the job metrics). */
  readonly name: string | undefined;
  /** Custom accumulators: the zero every task copy starts from. */
  readonly zero?: unknown;
  /** Custom accumulators: `add(acc, v) => acc` shipped to the workers. */
  readonly addFn?: ShippedFunction;
}

/** One task's additions to one accumulator, shipped back with the task result. */
export type AccumulatorUpdate =
  | { readonly id: number; readonly kind: 'long' | 'double'; readonly sum: number; readonly count: number }
  | { readonly id: number; readonly kind: 'collection'; readonly items: readonly unknown[] }
  | { readonly id: number; readonly kind: 'custom'; readonly value: unknown };

/** A named accumulator's part in one stage (JobMetrics stages). */
export interface StageAccumulable {
  readonly id: number;
  readonly name: string;
  /** What this stage's successful tasks added: a sum, the added items, or a custom value. */
  readonly update: unknown;
  /** The accumulator's driver value after the stage. */
  readonly value: unknown;
}

let nextId = 1;
const live = new Map<number, WeakRef<Accumulator<unknown, unknown>>>();
const collected = new FinalizationRegistry<number>((id) => live.delete(id));

/**
 * Driver-side accumulator. Capture it in a shipped function and call `add` there:
 * `ds.foreach((x) => { if (!x) bad.add(1); }, { bad })`; read `value` on the driver
 * after the action. Updates inside actions (foreach, foreachPartition) count exactly
 * once per partition even when a task is retried; updates inside transformations
 * (map, filter, ...) count each time the partition is computed, so a dataset used by
 * two actions without cache() counts twice.
 */
export abstract class Accumulator<In, Out> implements AccumulatorHandle {
  /** The handle field (see AccumulatorHandle); what crosses threads with `kind` and `name`. */
  readonly __kilnAccumulator: number;
  /** Which accumulator type this is. */
  readonly kind: AccumulatorKind;
  /** The name given, if any (named ones show in the job metrics). */
  readonly name: string | undefined;

  /** Use kiln.longAccumulator(), doubleAccumulator(), collectionAccumulator() or accumulator(). */
  protected constructor(kind: AccumulatorKind, name: string | undefined) {
    if (name !== undefined && typeof name !== 'string') throw new KilnError('usage', `an accumulator's name must be a string, got ${typeof name}`);
    this.__kilnAccumulator = nextId++;
    this.kind = kind;
    this.name = name;
    live.set(this.__kilnAccumulator, new WeakRef(this as Accumulator<unknown, unknown>));
    collected.register(this, this.__kilnAccumulator);
  }

  /** The accumulator's id. */
  get id(): number {
    return this.__kilnAccumulator;
  }

  /** Adds `v` on the driver (inside a task, the captured handle adds to the task's copy). */
  abstract add(v: In): void;

  /** The merged value of every applied update and driver-side add. */
  abstract get value(): Out;

  /** Back to zero. */
  abstract reset(): void;

  /** Merges one task's update (the driver's scheduler calls this). */
  abstract merge(update: AccumulatorUpdate): void;

  /** Serialises as the handle, so logs and plans never carry the value. */
  toJSON(): AccumulatorHandle {
    return handleOf(this);
  }

  /** Accumulator.toString: kind, id and name, for messages. */
  toString(): string {
    return `${this.kind}Accumulator(id: ${this.id}${this.name ? `, name: ${this.name}` : ''})`;
  }
}

/**
 * A sum of numbers with their count and mean (Spark's LongAccumulator and
 * DoubleAccumulator). 'long' checks that each added value is an integer; JS numbers
 * keep integer sums exact up to 2^53.
 */
export class NumericAccumulator extends Accumulator<number, number> {
  #sum = 0;
  #count = 0;

  /** Use kiln.longAccumulator(name) or kiln.doubleAccumulator(name). */
  constructor(kind: 'long' | 'double', name?: string) {
    super(kind, name);
  }

  /** Adds a number (an integer for a long accumulator). */
  add(v: number): void {
    checkNumber(this.kind as 'long' | 'double', v, this.name);
    this.#sum += v;
    this.#count++;
  }

  /** The sum. */
  get value(): number {
    return this.#sum;
  }

  /** The sum (Spark's `sum`). */
  get sum(): number {
    return this.#sum;
  }

  /** How many values were added. */
  get count(): number {
    return this.#count;
  }

  /** The mean of the added values (NaN when none were). */
  get avg(): number {
    return this.#count === 0 ? NaN : this.#sum / this.#count;
  }

  /** Back to zero. */
  reset(): void {
    this.#sum = 0;
    this.#count = 0;
  }

  /** Merges one task's update. */
  merge(update: AccumulatorUpdate): void {
    if (update.kind !== 'long' && update.kind !== 'double') throw mismatch(this, update);
    this.#sum += update.sum;
    this.#count += update.count;
  }
}

/** The added values, in no guaranteed order across tasks (Spark's CollectionAccumulator). */
export class CollectionAccumulator<T> extends Accumulator<T, T[]> {
  #items: T[] = [];

  /** Use kiln.collectionAccumulator(name). */
  constructor(name?: string) {
    super('collection', name);
  }

  /** Appends a value (structured-cloneable, since it travels back from a worker). */
  add(v: T): void {
    this.#items.push(v);
  }

  /** A copy of the added values. */
  get value(): T[] {
    return [...this.#items];
  }

  /** Back to empty. */
  reset(): void {
    this.#items = [];
  }

  /** Merges one task's update. */
  merge(update: AccumulatorUpdate): void {
    if (update.kind !== 'collection') throw mismatch(this, update);
    for (const item of update.items) this.#items.push(item as T);
  }
}

/** How a custom accumulator adds and merges: both return the new value, and may mutate their first argument. */
export interface AccumulatorOps<V, In> {
  /** Shipped to the workers: self-contained (no free variables), like any shipped function. */
  add: (acc: V, v: In) => V;
  /** Runs on the driver: merges a task's value into the driver's. */
  merge: (a: V, b: V) => V;
}

/** A user-defined accumulator: zero, add and merge (Spark's AccumulatorV2 subclass). */
export class CustomAccumulator<V, In> extends Accumulator<In, V> {
  /** Structured-cloned into each task copy. */
  readonly zero: V;
  /** The `add` function, shipped. */
  readonly addFn: ShippedFunction;
  #value: V;
  readonly #add: (acc: V, v: In) => V;
  readonly #merge: (a: V, b: V) => V;

  /** Use kiln.accumulator(zero, { add, merge }, name). */
  constructor(zero: V, ops: AccumulatorOps<V, In>, name?: string) {
    super('custom', name);
    if (typeof ops !== 'object' || ops === null || typeof ops.add !== 'function' || typeof ops.merge !== 'function') {
      throw new KilnError('usage', 'kiln.accumulator(zero, { add, merge }) needs add(acc, v) => acc and merge(a, b) => a functions');
    }
    try {
      structuredClone(zero);
    } catch (error) {
      throw new KilnError('usage', `an accumulator's zero must be structured-cloneable data, since each task starts from a copy (${(error as Error).message})`);
    }
    this.zero = zero;
    this.addFn = shipFunction(ops.add, 'accumulator add');
    this.#add = ops.add;
    this.#merge = ops.merge;
    this.#value = structuredClone(zero);
  }

  /** Adds `v` on the driver. */
  add(v: In): void {
    this.#value = this.#add(this.#value, v);
  }

  /** The merged value. */
  get value(): V {
    return this.#value;
  }

  /** Back to a copy of zero. */
  reset(): void {
    this.#value = structuredClone(this.zero);
  }

  /** Merges one task's update. */
  merge(update: AccumulatorUpdate): void {
    if (update.kind !== 'custom') throw mismatch(this, update);
    this.#value = this.#merge(this.#value, update.value as V);
  }
}

/** True for an Accumulator or a bare handle that crossed a thread boundary. */
export function isAccumulatorHandle(v: unknown): v is AccumulatorHandle {
  return typeof v === 'object' && v !== null && typeof (v as AccumulatorHandle).__kilnAccumulator === 'number';
}

/** The plain handle of an accumulator. */
export function handleOf(acc: AccumulatorHandle): AccumulatorHandle {
  const h: AccumulatorHandle = { __kilnAccumulator: acc.__kilnAccumulator, kind: acc.kind, name: acc.name };
  return acc.kind === 'custom' ? { ...h, zero: acc.zero, addFn: acc.addFn! } : h;
}

/**
 * Merges a successful task attempt's updates into the driver's accumulators (an
 * accumulator the program dropped is skipped). The task scheduler calls this once
 * per partition of a task set, for the attempt whose result it keeps.
 */
export function applyAccumulatorUpdates(updates: readonly AccumulatorUpdate[] | undefined): void {
  if (!updates) return;
  for (const u of updates) live.get(u.id)?.deref()?.merge(u);
}

/** Named accumulators' parts in a stage, from its tasks' updates (for JobMetrics). */
export function stageAccumulables(perTask: readonly (readonly AccumulatorUpdate[] | undefined)[]): StageAccumulable[] {
  const byId = new Map<number, AccumulatorUpdate[]>();
  for (const updates of perTask) for (const u of updates ?? []) byId.set(u.id, [...(byId.get(u.id) ?? []), u]);
  const out: StageAccumulable[] = [];
  for (const [id, updates] of byId) {
    const acc = live.get(id)?.deref();
    if (!acc?.name) continue;
    out.push({ id, name: acc.name, update: combine(updates), value: acc.value });
  }
  return out.sort((a, b) => a.id - b.id);
}

function combine(updates: readonly AccumulatorUpdate[]): unknown {
  const first = updates[0]!;
  switch (first.kind) {
    case 'long':
    case 'double':
      return updates.reduce((s, u) => s + (u as { sum: number }).sum, 0);
    case 'collection':
      return updates.flatMap((u) => (u as { items: readonly unknown[] }).items);
    case 'custom':
      // Custom values merge only through the user's merge, which the driver holds.
      return updates.map((u) => (u as { value: unknown }).value);
  }
}

/** Checks a value added to a numeric accumulator (driver and task side). */
export function checkNumber(kind: 'long' | 'double', v: unknown, name: string | undefined): asserts v is number {
  if (typeof v !== 'number' || (kind === 'long' && !Number.isInteger(v))) {
    const which = name ? `accumulator "${name}"` : `a ${kind} accumulator`;
    throw new KilnError('usage', `${which} adds ${kind === 'long' ? 'integers' : 'numbers'}, got ${typeof v === 'number' ? v : typeof v}${kind === 'long' ? '; use kiln.doubleAccumulator() for fractions' : ''}`);
  }
}

function mismatch(acc: Accumulator<unknown, unknown>, update: AccumulatorUpdate): KilnError {
  return new KilnError('internal', `a ${update.kind} update reached ${acc.toString()}`);
}
