// The record consumer every operator pushes into. Policy: it lives below the runtime,
// the shuffle, the sorts and the block store, so that those folders can name the
// type without importing the runtime's compute.ts, which imports them (the cycle
// issue 14 named). Only the type moved; executor/runtime/compute.ts re-exports it.

/** A record consumer. */
export type Emit = (record: unknown) => void;
