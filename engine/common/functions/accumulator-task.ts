// The task side of accumulators. Policy: a captured accumulator becomes, in the
// thread that runs the task, a view whose `add` writes into the running attempt's
// own copy (starting at zero), never into the driver's value; the worker takes the
// copies after the attempt and ships them back with its result (worker.ts), and the
// driver merges them only if the attempt succeeded (accumulator.ts). A thread runs
// one task attempt at a time (piscina concurrentTasksPerWorker 1; inline tasks run
// synchronously), so "the running attempt" is one module variable. Reading `value`
// in a task throws, as Spark's does. Loaded by workers: imports nothing heavy.

import { KilnError } from '../errors.js';
import type { AccumulatorHandle, AccumulatorUpdate } from './accumulator.js';

/** What a shipped function sees for a captured accumulator inside a task. */
export interface TaskAccumulator {
  readonly id: number;
  readonly name: string | undefined;
  /** Adds to this task attempt's copy. */
  add(v: unknown): void;
  /** Throws: the value is only readable on the driver. */
  readonly value: never;
}

/** Working copies of the running attempt, by accumulator id. */
type Copy = { kind: 'long' | 'double'; sum: number; count: number } | { kind: 'collection'; items: unknown[] } | { kind: 'custom'; value: unknown; add: (acc: unknown, v: unknown) => unknown };

let current: Map<number, Copy> | undefined;

/** Starts collecting updates for a task attempt in this thread. */
export function beginAccumulatorUpdates(): void {
  current = new Map();
}

/** Ends the attempt's collection and returns its updates (undefined: none were made). */
export function takeAccumulatorUpdates(): AccumulatorUpdate[] | undefined {
  const copies = current;
  current = undefined;
  if (!copies || copies.size === 0) return undefined;
  const out: AccumulatorUpdate[] = [];
  for (const [id, c] of copies) {
    if (c.kind === 'collection') out.push({ id, kind: 'collection', items: c.items });
    else if (c.kind === 'custom') out.push({ id, kind: 'custom', value: c.value });
    else out.push({ id, kind: c.kind, sum: c.sum, count: c.count });
  }
  return out;
}

/**
 * The view of a captured accumulator for shipped functions in this thread.
 * `reviveAdd` rebuilds a custom accumulator's shipped add (called once, on first add).
 */
export function accumulatorView(handle: AccumulatorHandle, capture: string, reviveAdd: () => (acc: unknown, v: unknown) => unknown): TaskAccumulator {
  const id = handle.__kilnAccumulator;
  const label = handle.name ? `accumulator "${handle.name}" (captured as "${capture}")` : `the accumulator captured as "${capture}"`;
  let add: ((acc: unknown, v: unknown) => unknown) | undefined;
  const readError = (what: string): KilnError =>
    new KilnError('usage', `${label}: ${what} cannot be read inside a task; tasks can only add(). Read it on the driver after the action`);
  return Object.freeze({
    id,
    name: handle.name,
    add(v: unknown): void {
      if (!current) throw new KilnError('usage', `${label} was used outside a running task; call add() from inside the function you pass to an operator`);
      let copy = current.get(id);
      if (!copy) {
        if (handle.kind === 'collection') copy = { kind: 'collection', items: [] };
        else if (handle.kind === 'custom') copy = { kind: 'custom', value: structuredClone(handle.zero), add: (add ??= reviveAdd()) };
        else copy = { kind: handle.kind, sum: 0, count: 0 };
        current.set(id, copy);
      }
      switch (copy.kind) {
        case 'collection':
          copy.items.push(v);
          return;
        case 'custom':
          copy.value = copy.add(copy.value, v);
          return;
        default:
          if (typeof v !== 'number' || (copy.kind === 'long' && !Number.isInteger(v))) {
            throw new KilnError('usage', `${label} adds ${copy.kind === 'long' ? 'integers' : 'numbers'}, got ${typeof v === 'number' ? v : typeof v}`);
          }
          copy.sum += v;
          copy.count++;
      }
    },
    get value(): never {
      throw readError('its value');
    },
    get count(): never {
      throw readError('its count');
    },
    get avg(): never {
      throw readError('its avg');
    },
    get sum(): never {
      throw readError('its sum');
    },
  }) as TaskAccumulator;
}
