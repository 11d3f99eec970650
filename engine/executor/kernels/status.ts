// Kernel status codes on the TypeScript side. Policy: kernels return numbers; wrappers
// turn them into this string-literal union at once and switch on it exhaustively, so a
// new status cannot be silently ignored. The numbers mirror kernels/status.ts; a test
// checks them against the module's exported globals.

/** What a kernel asks its caller to do next. */
export type KernelStatus = 'ok' | 'grow' | 'full';

const BY_CODE: ReadonlyMap<number, KernelStatus> = new Map([
  [0, 'ok'],
  [1, 'grow'],
  [2, 'full'],
]);

/** The numeric codes, as the WASM module defines them. */
export const STATUS_CODES = { ok: 0, grow: 1, full: 2, invalid: -1 } as const;

/** An error raised by a kernel wrapper: names the kernel and the sizes it was given. */
export class KernelError extends Error {
  constructor(
    readonly kernel: string,
    message: string,
    readonly sizes: Readonly<Record<string, number>> = {},
  ) {
    const detail = Object.entries(sizes).map(([k, v]) => `${k}=${v}`).join(', ');
    super(`kernel ${kernel}: ${message}${detail ? ` (${detail})` : ''}`);
    this.name = 'KernelError';
  }
}

/**
 * Decodes a kernel's return code. `invalid` and unknown codes are bugs in the caller's
 * layout, never user errors, so they throw a KernelError naming the kernel and sizes.
 */
export function decodeStatus(kernel: string, code: number, sizes: Readonly<Record<string, number>> | (() => Readonly<Record<string, number>>)): KernelStatus {
  const status = BY_CODE.get(code);
  if (status !== undefined) return status;
  const why = code === STATUS_CODES.invalid ? 'rejected its arguments as inconsistent' : `returned unknown status ${code}`;
  // Sizes may come as a function: built only for the error, not on every call of a hot path.
  throw new KernelError(kernel, why, typeof sizes === 'function' ? sizes() : sizes);
}

/** Exhaustiveness guard for switches over KernelStatus. */
export function unreachable(value: never, kernel: string): never {
  throw new KernelError(kernel, `unexpected status ${String(value)}`);
}
