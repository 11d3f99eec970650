// Broadcast variables (Spark's Broadcast): large read-only data a user function needs
// in every task, sent to each worker once instead of with every task. Policy: the
// driver keeps the value; what crosses threads is a handle `{ __kilnBroadcast: id }`
// (the value lives in a private field, which structured clone and JSON both skip).
// Workers resolve a handle to the value once and cache it (revive.ts); how the value
// travels is the scheduler's business, told through `onBroadcastRelease` when
// workers may drop their copies. As in Spark, `unpersist()` drops worker copies but
// keeps the driver's (a later job re-sends it), and `destroy()` drops everything:
// any later use is a usage error.

import { KilnError } from '../errors.js';

/** What crosses threads for a broadcast variable: its id, nothing else. */
export interface BroadcastHandle {
  /** The broadcast's id, unique within the driver process. */
  readonly __kilnBroadcast: number;
}

/** What a user function sees for a broadcast on either side: its id and value. */
export interface BroadcastValue<T> extends BroadcastHandle {
  readonly id: number;
  readonly value: T;
}

/** Why workers may drop a broadcast's cached copy. */
export type BroadcastRelease = 'unpersist' | 'destroy' | 'collected';

type ReleaseListener = (id: number, reason: BroadcastRelease) => void;

let nextId = 1;
const live = new Map<number, WeakRef<Broadcast<unknown>>>();
const listeners = new Set<ReleaseListener>();
// A Broadcast the program no longer references can never be used again: tell the
// scheduler so workers drop it (Spark's ContextCleaner does the same with weak refs).
const collected = new FinalizationRegistry<number>((id) => {
  live.delete(id);
  notify(id, 'collected');
});

/** Driver-side broadcast variable: `value` readable here, ships to workers as a handle. */
export class Broadcast<T> implements BroadcastValue<T> {
  /** The handle field: the only own enumerable property, so clones carry just the id. */
  readonly __kilnBroadcast: number;
  #value: T | undefined;
  #state: 'live' | 'destroyed' = 'live';

  /** Wraps `value`; prefer `kiln.broadcast(value)`. The value should not change afterwards. */
  constructor(value: T) {
    this.#value = value;
    this.__kilnBroadcast = nextId++;
    live.set(this.__kilnBroadcast, new WeakRef(this as Broadcast<unknown>));
    collected.register(this, this.__kilnBroadcast, this);
  }

  /** The broadcast's id, unique within the driver process. */
  get id(): number {
    return this.__kilnBroadcast;
  }

  /** True until `destroy()`. */
  get isValid(): boolean {
    return this.#state === 'live';
  }

  /** The value. Throws a usage error after `destroy()`. */
  get value(): T {
    if (this.#state === 'destroyed') throw destroyedError(this.__kilnBroadcast);
    return this.#value as T;
  }

  /** Serialises as the bare handle, so the value never leaks into JSON (logs, plans). */
  toJSON(): BroadcastHandle {
    return { __kilnBroadcast: this.__kilnBroadcast };
  }

  /** Asks workers to drop their cached copies; the driver keeps the value and re-sends it if used again. */
  unpersist(): void {
    if (this.#state === 'live') notify(this.__kilnBroadcast, 'unpersist');
  }

  /** Drops the value everywhere; using this broadcast afterwards is a usage error. Idempotent. */
  destroy(): void {
    if (this.#state === 'destroyed') return;
    this.#state = 'destroyed';
    this.#value = undefined;
    live.delete(this.__kilnBroadcast);
    collected.unregister(this);
    notify(this.__kilnBroadcast, 'destroy');
  }

  /** Broadcast.toString: id only, for messages. */
  toString(): string {
    return `Broadcast(${this.__kilnBroadcast})`;
  }
}

/** True for a Broadcast or a bare handle that crossed a thread boundary. */
export function isBroadcastHandle(v: unknown): v is BroadcastHandle {
  return typeof v === 'object' && v !== null && typeof (v as BroadcastHandle).__kilnBroadcast === 'number';
}

/**
 * The driver's live Broadcast for an id (for the scheduler, to send its value to a
 * worker that asks); undefined when destroyed or garbage-collected.
 */
export function lookupBroadcast(id: number): Broadcast<unknown> | undefined {
  return live.get(id)?.deref();
}

/**
 * Subscribes to "workers may drop broadcast `id`" events (unpersist, destroy, or the
 * driver's Broadcast was garbage-collected). Returns the unsubscribe function.
 */
export function onBroadcastRelease(listener: ReleaseListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The usage error for a destroyed broadcast (shared with shipFunction and revive). */
export function destroyedError(id: number, capture?: string): KilnError {
  const which = capture ? `the broadcast captured as "${capture}" (id ${id})` : `broadcast ${id}`;
  return new KilnError('usage', `${which} was destroyed and cannot be used again; create a new one with kiln.broadcast(value)`);
}

function notify(id: number, reason: BroadcastRelease): void {
  for (const listener of listeners) listener(id, reason);
}
