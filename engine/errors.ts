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

/** kiln's error: a kind, a one-line message that says what to do, and where it happened. */
export class KilnError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KilnError';
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
}

/** Flattens any thrown value (and its cause chain) to plain data. */
export function toPlainError(error: unknown, depth = 0): PlainError {
  if (error instanceof Error) {
    const plain: PlainError = { name: error.name, message: error.message };
    if (error.stack !== undefined) plain.stack = error.stack;
    if (error instanceof KilnError) {
      plain.kind = error.kind;
      plain.context = { ...error.context };
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
  const error = plain.kind ? new KilnError(plain.kind, plain.message, plain.context, options) : new Error(plain.message, options);
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
