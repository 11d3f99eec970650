// Errors that say who must act. Policy (STYLE.md 7): a user's mistake (bad input,
// bad usage, a throwing user function) reads differently from a bug in kiln; every
// error carries where it happened (file, byte range, stage, partition) as plain data,
// because Error subclasses lose their class when they cross postMessage. Use
// `toPlainError` / `fromPlainError` at thread boundaries.

/** Who must act on an error. */
export type ErrorKind =
  /** Input the user pointed at is missing, unreadable or malformed. */
  | 'input'
  /** The API or CLI was called wrongly. */
  | 'usage'
  /** A user function threw, or a job could not finish. */
  | 'execution'
  /** A memory or disk budget was too small: says what to change. */
  | 'resources'
  /** The job was cancelled (AbortSignal, Ctrl-C). */
  | 'aborted'
  /** A bug in kiln. */
  | 'internal';

/** Where an error happened; every field optional. */
export interface ErrorContext {
  file?: string;
  /** Byte range [start, end) of the file split. */
  range?: readonly [number, number];
  stage?: number;
  partition?: number;
  /** Name of the operator or user function, e.g. "map" or "reduceByKey". */
  operator?: string;
  attempt?: number;
}

/** Options of a {@link KilnError} besides its cause. */
export interface KilnErrorOptions {
  cause?: unknown;
  /**
   * The task that threw must not be attempted again: it had already changed something
   * a retry cannot undo (bytes written to a shared output), so only failing the job is
   * safe. Default false.
   */
  noRetry?: boolean;
  /** A stable code for callers that act on one case, e.g. {@link OUTPUT_CLOSED}. */
  code?: string;
}

/** Code of the error a write gets when the reader of its pipe went away (EPIPE). */
export const OUTPUT_CLOSED = 'KILN_OUTPUT_CLOSED';

/** kiln's error: a kind, a one-line message that says what to do, and where it happened. */
export class KilnError extends Error {
  /** Whether a retry of the failed task is unsafe (see {@link KilnErrorOptions.noRetry}). */
  readonly noRetry: boolean;
  /** See {@link KilnErrorOptions.code}. */
  readonly code: string | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly context: ErrorContext = {},
    options?: KilnErrorOptions,
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'KilnError';
    this.noRetry = options?.noRetry ?? false;
    this.code = options?.code;
  }
}

/** An error as plain data, safe to post between threads. */
export interface PlainError {
  name: string;
  message: string;
  stack?: string;
  kind?: ErrorKind;
  context?: ErrorContext;
  cause?: PlainError;
  noRetry?: boolean;
  code?: string;
}

/** Flattens any thrown value (and its cause chain) to plain data. */
export function toPlainError(error: unknown, depth = 0): PlainError {
  if (error instanceof Error) {
    const plain: PlainError = { name: error.name, message: error.message };
    if (error.stack !== undefined) plain.stack = error.stack;
    if (error instanceof KilnError) {
      plain.kind = error.kind;
      plain.context = { ...error.context };
      if (error.noRetry) plain.noRetry = true;
      if (error.code !== undefined) plain.code = error.code;
    }
    if (error.cause !== undefined && depth < 8) plain.cause = toPlainError(error.cause, depth + 1);
    return plain;
  }
  return { name: 'Error', message: `non-error value thrown: ${safeString(error)}` };
}

/** Rebuilds an Error from plain data: a KilnError when it was one, else an Error with the same name. */
export function fromPlainError(plain: PlainError): Error {
  const cause = plain.cause ? fromPlainError(plain.cause) : undefined;
  const options = cause ? { cause } : undefined;
  const error = plain.kind
    ? new KilnError(plain.kind, plain.message, plain.context, { ...options, ...(plain.noRetry ? { noRetry: true } : {}), ...(plain.code !== undefined ? { code: plain.code } : {}) })
    : new Error(plain.message, options);
  if (!plain.kind) error.name = plain.name;
  if (plain.stack !== undefined) error.stack = plain.stack;
  return error;
}

/** Describes an error context for a message: "stage 2, partition 5, file a.txt bytes 0-134217728". */
export function describeContext(ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.stage !== undefined) parts.push(`stage ${ctx.stage}`);
  if (ctx.partition !== undefined) parts.push(`partition ${ctx.partition}`);
  if (ctx.file !== undefined) parts.push(ctx.range ? `file ${ctx.file} bytes ${ctx.range[0]}-${ctx.range[1]}` : `file ${ctx.file}`);
  if (ctx.operator !== undefined) parts.push(`in ${ctx.operator}`);
  return parts.join(', ');
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}

/** Whether `error`, or an error in its cause chain, is a KilnError with `code`. */
export function hasErrorCode(error: unknown, code: string): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof KilnError && e.code === code) return true;
  }
  return false;
}
