// Rebuilding shipped user functions inside a worker thread. Policy: compile each
// source once per thread and bind each captures object once: a factory
// `new Function('__name', ...captureNames, body)` is cached by (capture names,
// source), the bound function by (captures object identity, source). Broadcast
// handles in captures become `{ id, value }` views whose value the worker's resolver
// supplies on first use and this thread then keeps (one copy per worker) until the
// scheduler calls `forgetBroadcast`. Accumulator handles become task views
// (accumulator-task.ts) that add to the running attempt's copy. This file is loaded by workers: it must not
// import the parser (acorn) or anything heavy.
//
// `__name`: tsx/esbuild (keepNames) inserts `__name(fn, "fn")` calls into function
// bodies to preserve `.name`; the helper is a module-level variable of the user's
// file, so the worker could not see it. Every revived function gets `__name` as an
// identity function (the name is cosmetic), and shipFunction lets it through.

import { KilnError } from '../errors.js';
import { Broadcast, destroyedError, isBroadcastHandle, type BroadcastHandle, type BroadcastValue } from './broadcast.js';
import type { ShippedFunction } from './shipped.js';
import { accumulatorView } from './accumulator-task.js';
import type { AccumulatorHandle } from './accumulator.js';

/** Helper names every revived function can use without capturing them (see the header). */
export const SHIPPING_HELPERS: readonly string[] = ['__name'];

/** The Function body that evaluates a shipped source (shipFunction parses exactly this). */
export function functionBody(source: string): string {
  // The newline keeps a trailing line comment from swallowing the parenthesis.
  return '"use strict"; return (' + source + '\n)';
}

/** Resolves a broadcast handle to its value in this thread; must be synchronous. */
export type BroadcastResolver = (handle: BroadcastHandle) => unknown;

type Factory = (...args: unknown[]) => unknown;

const identityName = <T>(fn: T): T => fn;
const factories = new Map<string, Factory>();
const plain = new Map<string, unknown>();
const bound = new WeakMap<object, Map<string, unknown>>();
const views = new Map<number, BroadcastValue<unknown>>();

/**
 * Rebuilds a function from a ShippedFunction. Captures become variables of the
 * function's scope; Broadcast handles among them become `{ id, value }` views
 * resolved through `resolveBroadcast` (a driver-side Broadcast is used as is).
 */
export function reviveFunction<F extends Function>(shipped: ShippedFunction, resolveBroadcast?: BroadcastResolver): F {
  const { source, captures } = shipped;
  if (!captures) {
    let fn = plain.get(source);
    if (fn === undefined) {
      fn = factoryFor(shipped, [])(identityName);
      plain.set(source, fn);
    }
    return fn as F;
  }
  let perSource = bound.get(captures);
  if (!perSource) bound.set(captures, (perSource = new Map()));
  let fn = perSource.get(source);
  if (fn === undefined) {
    const names = Object.keys(captures);
    const values = names.map((name) => {
      const v = captures[name];
      if (isAccumulatorCapture(v)) return accumulatorView(v, name, () => reviveFunction((v as AccumulatorHandle).addFn!, resolveBroadcast));
      return isBroadcastHandle(v) ? broadcastView(v, name, shipped, resolveBroadcast) : v;
    });
    fn = factoryFor(shipped, names)(identityName, ...values);
    perSource.set(source, fn);
  }
  return fn as F;
}

/** Drops this thread's cached value of broadcast `id` (after unpersist or destroy). */
export function forgetBroadcast(id: number): void {
  views.delete(id);
}

// Also a driver-side Accumulator (inline tasks): the task adds to its own copy either way.
function isAccumulatorCapture(v: unknown): v is AccumulatorHandle {
  return typeof v === 'object' && v !== null && typeof (v as AccumulatorHandle).__kilnAccumulator === 'number';
}

function factoryFor(shipped: ShippedFunction, names: string[]): Factory {
  const key = names.join(',') + '\0' + shipped.source;
  let factory = factories.get(key);
  if (!factory) {
    try {
      factory = new Function(...SHIPPING_HELPERS, ...names, functionBody(shipped.source)) as Factory;
    } catch (error) {
      // shipFunction parsed this very body, so this is a kiln bug (or a tampered message).
      throw new KilnError('internal', `could not compile the function shipped for ${shipped.name}: ${(error as Error).message}`, { operator: shipped.name }, { cause: error });
    }
    factories.set(key, factory);
  }
  return factory;
}

function broadcastView(handle: BroadcastHandle, capture: string, shipped: ShippedFunction, resolve: BroadcastResolver | undefined): BroadcastValue<unknown> {
  // On the driver the captures still hold the Broadcast itself.
  if (handle instanceof Broadcast) {
    if (!handle.isValid) throw destroyedError(handle.id, capture);
    return handle;
  }
  const id = handle.__kilnBroadcast;
  const cached = views.get(id);
  if (cached) return cached;
  if (!resolve) {
    throw new KilnError('internal', `the function for ${shipped.name} captures broadcast ${id} as "${capture}", but this thread was given no broadcast resolver`, { operator: shipped.name });
  }
  let resolved = false;
  let value: unknown;
  const view: BroadcastValue<unknown> = Object.freeze({
    __kilnBroadcast: id,
    id,
    get value(): unknown {
      // Resolved on first use: a task that never reads it never fetches it.
      if (!resolved) {
        value = resolve(handle);
        resolved = true;
      }
      return value;
    },
  });
  views.set(id, view);
  return view;
}
