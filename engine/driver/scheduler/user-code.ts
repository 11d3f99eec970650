// Whether a task runs code kiln did not write: a shipped function (engine/common/functions/
// shipped.ts) not marked as kiln's own (kilnFunction), or a `pipe` command. Policy: with `workers: 0` kernel-only tasks run
// inline in the driver's thread (a tiny job finishes before a thread could start),
// but a task that runs user code goes to a worker thread, because a user function
// that never returns would block the only thread: no AbortSignal, signal handler or
// `kiln.stop()` could run again. On a worker, aborting terminates the thread.
// The walk is generic over the task spec (every plain object and array), so a new
// NodeSpec variant carrying a function is found without changes here; it skips the
// records a `slice` node carries (parallelize's data: user values, possibly many).
import type { TaskTemplate } from './task-scheduler.js';

/** True when `task` would run a shipped function or a pipe command. */
export function runsUserCode(task: TaskTemplate): boolean {
  return holdsCode(task.node, 0) || holdsCode(task.sink, 0);
}

/** Nesting deeper than this is not a plan kiln builds: assume code, to be safe. */
const MAX_DEPTH = 256;

function holdsCode(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (holdsCode(item, depth + 1)) return true;
    return false;
  }
  // Not a plain object (a SharedArrayBuffer, a typed array, a Map...): no code inside.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const o = value as Record<string, unknown>;
  // A ShippedFunction: { source, name, captures?, own? } (functions/shipped.ts); kiln's own return.
  if (typeof o.source === 'string' && typeof o.name === 'string') return o.own !== true;
  // A pipe step: { kind: 'pipe', command } (protocol.ts).
  if (o.kind === 'pipe') return true;
  for (const key of Object.keys(o)) {
    // parallelize's records: user data, not plan.
    if (key === 'data' && o.t === 'slice') continue;
    if (holdsCode(o[key], depth + 1)) return true;
  }
  return false;
}
