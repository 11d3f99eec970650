// Status codes every kernel returns. Policy: kernels never throw, trap, allocate or
// hang; they report what the caller must do next. The TypeScript side
// (engine/executor/kernels/status.ts) mirrors these numbers and a test checks they agree
// through the exported globals below.

/** All input consumed; outputs are complete. */
export const STATUS_OK: i32 = 0;
/** A table ran out of entries or key arena: grow it, then call again from `resume`. */
export const STATUS_GROW: i32 = 1;
/** An output buffer is full: drain it, then call again from the reported position. */
export const STATUS_FULL: i32 = 2;
/** Arguments are inconsistent (bad sizes or layout); nothing was written. */
export const STATUS_INVALID: i32 = -1;
