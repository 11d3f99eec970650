// Shipping user functions to worker threads as source. Policy: a worker cannot see
// the driver's closures, so a function must be self-contained: every free variable
// is a global that worker threads have, or is passed explicitly in `captures`
// (structured-cloneable data, or Broadcast handles for large shared data). We check
// that on the driver, when the operator is called, by parsing `fn.toString()`
// (acorn) and resolving scopes (periscopic), so the user gets a usage error naming
// the variable instead of a ReferenceError from a worker later. Analysis is cached
// per source text; the captures check runs per call.
//
// Forms accepted: arrow functions, function expressions/declarations, async and
// generator functions, and methods (object shorthand `{ f(x) {} }.f`, class methods,
// getters), which are rewritten as anonymous function expressions (a method's name
// is not in its own scope, so nothing changes). Rejected: native and bound functions
// (no source), classes, functions that use `this` or `super` (kiln calls user
// functions without a receiver), and arrow functions that use the enclosing
// function's `arguments`. Allowed globals are the ECMAScript globals of this V8
// plus Node's worker-thread globals, each only if this process has it; a global the
// program added to the driver's globalThis is not there in workers, so it is
// rejected too. `__name` (tsx/esbuild helper) is allowed; see revive.ts.

import vm from 'node:vm';
import { createRequire } from 'node:module';
import type { Node as AcornNode, parse as acornParse } from 'acorn';
import type { analyze as periscopicAnalyze } from 'periscopic';
import type { Node as EstreeNode } from 'estree';
import { KilnError } from '../errors.js';
import { Broadcast, destroyedError, isBroadcastHandle } from './broadcast.js';
import { functionBody, SHIPPING_HELPERS } from './revive.js';
import { builtinSource } from './builtins.js';
import type { AccumulatorHandle } from './accumulator.js';

// Not imported from accumulator.ts, which imports this file.
function isAccumulatorHandle(v: unknown): v is AccumulatorHandle {
  return typeof v === 'object' && v !== null && typeof (v as AccumulatorHandle).__kilnAccumulator === 'number';
}

// The parser and scope analysis load on the first shipped function (~30 ms of start-up
// that kernel-only jobs, such as the CLI's word count, never need).
let parser: { parse: typeof acornParse; analyze: typeof periscopicAnalyze } | undefined;
function tools(): { parse: typeof acornParse; analyze: typeof periscopicAnalyze } {
  if (!parser) {
    const load = createRequire(import.meta.url);
    parser = { parse: (load('acorn') as { parse: typeof acornParse }).parse, analyze: (load('periscopic') as { analyze: typeof periscopicAnalyze }).analyze };
  }
  return parser;
}

/** A user function packaged for a worker thread. Structured-cloneable. */
export interface ShippedFunction {
  /** Source of a function expression (methods already rewritten as `function`). */
  source: string;
  /** Values bound to the function's free variables: cloneable data or Broadcast handles. */
  captures?: Record<string, unknown>;
  /** Operator name for errors, e.g. "map". */
  name: string;
  /** Written by kiln itself (kilnFunction) and known to return: may run inline with workers 0 (exec/user-code.ts). */
  own?: true;
}

/** Functions kiln's own code passes to the Dataset API (kilnFunction). */
const OWN = new WeakSet<Function>();

/**
 * Marks `fn` as kiln's own (the CLI's small record-shaping closures): it is known to
 * return, so a task running only such functions may run inline in the driver's
 * thread with `workers: 0`; any other function makes the task go to the user-code
 * thread, where an abort can stop it (exec/user-code.ts). Not exported to users.
 */
export function kilnFunction<F extends Function>(fn: F): F {
  OWN.add(fn);
  return fn;
}

/**
 * Validates and packages a user function for a worker: `fn` must be self-contained
 * (free variables are worker globals or keys of `captures`), captures must be
 * structured-cloneable or Broadcast handles. Throws KilnError 'usage' naming the
 * operator and the offending variable or capture.
 */
export function shipFunction(fn: Function, operator: string, captures?: Record<string, unknown>): ShippedFunction {
  if (typeof fn !== 'function') {
    throw new KilnError('usage', `${operator} expects a function, got ${fn === null ? 'null' : typeof fn}`, { operator });
  }
  // Function.prototype.toString, not fn.toString: an object may override the latter.
  // Number, String, parseFloat... are shipped by name (builtins.ts).
  const builtin = builtinSource(fn);
  const analysis = builtin ? { source: builtin, free: [] } : analyzeSource(Function.prototype.toString.call(fn));
  if (analysis.problem) throw new KilnError('usage', analysis.problem(operator), { operator });
  if (captures !== undefined && (typeof captures !== 'object' || captures === null || Array.isArray(captures))) {
    throw new KilnError('usage', `the captures passed to ${operator} must be an object such as { factor }, got ${Array.isArray(captures) ? 'an array' : String(captures)}`, { operator });
  }
  const missing = captures ? analysis.free.filter((name) => !Object.hasOwn(captures, name)) : analysis.free;
  if (missing.length > 0) throw new KilnError('usage', freeVariableMessage(operator, missing), { operator });
  const shipped: ShippedFunction = { source: analysis.source, name: operator };
  if (OWN.has(fn)) shipped.own = true;
  if (captures) {
    for (const name of Object.keys(captures)) checkCapture(operator, name, captures[name]);
    shipped.captures = { ...captures };
  }
  return shipped;
}

/** Ids of the broadcasts a shipped function captures (the scheduler sends these values first). */
export function broadcastIds(shipped: ShippedFunction): number[] {
  const ids: number[] = [];
  if (shipped.captures) for (const v of Object.values(shipped.captures)) if (isBroadcastHandle(v)) ids.push(v.__kilnBroadcast);
  return ids;
}

/** What one source text needs: its shippable form, free variables, or why it cannot ship. */
interface Analysis {
  source: string;
  free: readonly string[];
  problem?: (operator: string) => string;
}

/** Analyses are cached by source; bounded so generated functions cannot grow it forever. */
const analyses = new Map<string, Analysis>();
const MAX_CACHED = 2000;

function analyzeSource(raw: string): Analysis {
  let analysis = analyses.get(raw);
  if (!analysis) {
    analysis = analyzeUncached(raw);
    if (analyses.size >= MAX_CACHED) analyses.clear();
    analyses.set(raw, analysis);
  }
  return analysis;
}

const NATIVE = /\{\s*\[native code\]\s*\}\s*$/;

function analyzeUncached(raw: string): Analysis {
  const fail = (problem: (operator: string) => string): Analysis => ({ source: raw, free: [], problem });
  if (NATIVE.test(raw)) {
    return fail((op) => `cannot ship a native or bound function to ${op}: it has no source for a worker thread to run. Wrap it, e.g. .${op}((x) => Math.sqrt(x)), and pass bound values as captures`);
  }
  if (/^class\b/.test(raw)) return fail((op) => `cannot ship a class to ${op}; pass a function`);
  const prepared = prepare(raw);
  if (typeof prepared === 'string') return fail((op) => `could not read the function passed to ${op} as self-contained source (${prepared}); write it as an arrow function or function expression`);
  const receiverProblem = (receiver: 'this' | 'super') =>
    fail((op) => `the function passed to ${op} uses \`${receiver}\`; kiln calls it in a worker thread without a receiver. Pass the data it needs as an argument or capture instead`);
  if ('receiver' in prepared) return receiverProblem(prepared.receiver);
  const { source, fn } = prepared;

  const usage = scanReceivers(fn);
  if (usage.thisOrSuper) return receiverProblem(usage.thisOrSuper);
  if (usage.outerArguments) {
    return fail((op) => `the arrow function passed to ${op} uses \`arguments\` of its enclosing function, which worker threads cannot see; use rest parameters (...args) instead`);
  }

  const free: { name: string; at: number }[] = [];
  for (const [name, node] of tools().analyze(fn as unknown as EstreeNode).globals) {
    if (allowedGlobals().has(name) || SHIPPING_HELPERS.includes(name) || IGNORED.has(name) || usage.classNames.has(name)) continue;
    free.push({ name, at: (node as unknown as AcornNode).start });
  }
  // Name them in source order, as the user reads the function.
  return { source, free: free.sort((a, b) => a.at - b.at).map((f) => f.name) };
}

// periscopic reports `new.target`/`import.meta` as references to `new`/`import`, and
// `arguments` always; scanReceivers decides about `arguments`.
const IGNORED = new Set(['new', 'import', 'arguments']);

/**
 * Turns `fn.toString()` into a function-expression source and its parsed node,
 * parsing exactly the body revive.ts compiles. Returns an error string on failure.
 */
function prepare(raw: string): { source: string; fn: AcornNode } | { receiver: 'this' | 'super' } | string {
  const direct = parseFunction(raw);
  if (direct) return { source: raw, fn: direct };
  // A method (`f(x) {}`, `async *g() {}`, `get v() {}`, `#p() {}`, `[k](x) {}`):
  // parse it inside a class body and rewrite it as an anonymous function expression.
  const prefix = '(class { ';
  let method: { value: AcornNode & { async: boolean; generator: boolean } } | undefined;
  try {
    const program = tools().parse(prefix + raw + '\n})', { ecmaVersion: 'latest' }) as unknown as {
      body: { expression: { body: { body: { type: string; value: AcornNode & { async: boolean; generator: boolean } }[] } } }[];
    };
    const members = program.body[0]!.expression.body.body;
    if (members.length === 1 && members[0]!.type === 'MethodDefinition') method = members[0]!;
  } catch (error) {
    return (error as Error).message;
  }
  if (!method) return 'not a function';
  const value = method.value;
  // `super` is only valid in a method, so the rewritten form would not even parse.
  const receiver = scanReceivers(value).thisOrSuper;
  if (receiver) return { receiver };
  const source = `${value.async ? 'async ' : ''}function${value.generator ? '*' : ''} ${raw.slice(value.start - prefix.length)}`;
  const fn = parseFunction(source);
  return fn ? { source, fn } : 'not a function';
}

/** Parses `functionBody(source)`; returns the function node, or undefined if it is not one function. */
function parseFunction(source: string): AcornNode | undefined {
  let program: { body: { type: string; argument?: AcornNode }[] };
  try {
    program = tools().parse(functionBody(source), { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true }) as unknown as typeof program;
  } catch {
    return undefined;
  }
  const stmt = program.body[1];
  if (program.body.length !== 2 || stmt?.type !== 'ReturnStatement' || !stmt.argument) return undefined;
  const t = stmt.argument.type;
  return t === 'ArrowFunctionExpression' || t === 'FunctionExpression' ? stmt.argument : undefined;
}

interface ReceiverUsage {
  /** 'this' or 'super' when the function uses its own or an enclosing receiver. */
  thisOrSuper?: 'this' | 'super';
  /** True when an arrow function at the top uses the enclosing function's `arguments`. */
  outerArguments: boolean;
  /** Names of class expressions (periscopic does not scope them). */
  classNames: Set<string>;
}

/**
 * Walks the function for `this`, `super` and `arguments` that do not belong to a
 * nested non-arrow function or class body, and collects class expression names.
 */
function scanReceivers(fn: AcornNode): ReceiverUsage {
  const usage: ReceiverUsage = { outerArguments: false, classNames: new Set() };
  const topIsArrow = fn.type === 'ArrowFunctionExpression';
  const visit = (node: unknown, ownReceiver: boolean, parent: AnyNode | undefined, key: string): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child, ownReceiver, parent, key);
      return;
    }
    if (typeof node !== 'object' || node === null || typeof (node as AnyNode).type !== 'string') return;
    const n = node as AnyNode;
    switch (n.type) {
      case 'ThisExpression':
        if (!ownReceiver) usage.thisOrSuper ??= 'this';
        return;
      case 'Super':
        if (!ownReceiver) usage.thisOrSuper ??= 'super';
        return;
      case 'Identifier':
        if (n.name === 'arguments' && topIsArrow && !ownReceiver && isReference(parent, key)) usage.outerArguments = true;
        return;
      case 'ClassExpression':
        if (n.id) usage.classNames.add(n.id.name);
        break;
      case 'FunctionExpression':
      case 'FunctionDeclaration':
      case 'ClassBody':
        if (n !== fn) ownReceiver = true;
        break;
    }
    for (const k of Object.keys(n)) if (k !== 'type' && k !== 'start' && k !== 'end') visit(n[k], ownReceiver, n, k);
  };
  visit(fn, false, undefined, '');
  return usage;
}

type AnyNode = AcornNode & Record<string, unknown> & { name?: string; id?: { name: string } | null; computed?: boolean };

/** False for identifiers that are property names or labels rather than variable references. */
function isReference(parent: AnyNode | undefined, key: string): boolean {
  if (!parent) return true;
  switch (parent.type) {
    case 'MemberExpression':
      return key !== 'property' || parent.computed === true;
    case 'Property':
    case 'MethodDefinition':
    case 'PropertyDefinition':
      return key !== 'key' || parent.computed === true;
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      return false;
    default:
      return true;
  }
}

/** Node globals that worker threads have (beyond ECMAScript's), as of Node 20-22. */
const NODE_WORKER_GLOBALS = [
  'process', 'global', 'Buffer', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate',
  'clearImmediate', 'queueMicrotask', 'structuredClone', 'atob', 'btoa', 'URL', 'URLSearchParams', 'DOMException',
  'AbortController', 'AbortSignal', 'Event', 'EventTarget', 'CustomEvent', 'TextEncoder', 'TextDecoder',
  'TextEncoderStream', 'TextDecoderStream', 'CompressionStream', 'DecompressionStream', 'ReadableStream',
  'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest', 'ReadableByteStreamController',
  'ReadableStreamDefaultController', 'TransformStream', 'TransformStreamDefaultController', 'WritableStream',
  'WritableStreamDefaultController', 'WritableStreamDefaultWriter', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy',
  'BroadcastChannel', 'MessageChannel', 'MessagePort', 'MessageEvent', 'Blob', 'File', 'Performance', 'PerformanceEntry',
  'PerformanceMark', 'PerformanceMeasure', 'PerformanceObserver', 'PerformanceObserverEntryList',
  'PerformanceResourceTiming', 'performance', 'fetch', 'FormData', 'Headers', 'Request', 'Response', 'crypto', 'Crypto',
  'CryptoKey', 'SubtleCrypto', 'WebAssembly', 'navigator', 'Navigator', 'WebSocket', 'EventSource', 'CloseEvent',
];

let allowed: Set<string> | undefined;

/** ECMAScript globals of this V8 (from a fresh context) plus Node's worker globals this process has. */
function allowedGlobals(): Set<string> {
  if (!allowed) {
    const es = vm.runInNewContext('Object.getOwnPropertyNames(globalThis)') as string[];
    allowed = new Set([...es, ...NODE_WORKER_GLOBALS.filter((name) => name in globalThis)]);
  }
  return allowed;
}

/** Names that cannot be capture names: they cannot be parameters of a strict function. */
const RESERVED = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await eval arguments').split(' '),
);
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/** Objects already checked for structured-cloneability (checking a large value is a full copy). */
const cloneable = new WeakSet<object>();

function checkCapture(operator: string, name: string, value: unknown): void {
  if (!IDENTIFIER.test(name) || RESERVED.has(name) || SHIPPING_HELPERS.includes(name)) {
    throw new KilnError('usage', `capture name "${name}" passed to ${operator} is not usable as a variable name; captures are bound as variables of the function`, { operator });
  }
  if (value instanceof Broadcast) {
    if (!value.isValid) throw destroyedError(value.id, name);
    return;
  }
  if (isBroadcastHandle(value) || isAccumulatorHandle(value)) return;
  if (typeof value === 'function') {
    throw new KilnError('usage', `capture "${name}" passed to ${operator} is a function, which cannot be sent to worker threads; define it inside the function that uses it, or ship its result as data`, { operator });
  }
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'symbol') throw new KilnError('usage', `capture "${name}" passed to ${operator} is a symbol, which cannot be sent to worker threads`, { operator });
    return;
  }
  if (cloneable.has(value)) return;
  try {
    structuredClone(value);
  } catch (error) {
    throw new KilnError(
      'usage',
      `capture "${name}" passed to ${operator} cannot be sent to worker threads (${(error as Error).message}); captures must be structured-cloneable data (numbers, strings, arrays, plain objects, Map, Set, Date, typed arrays) or kiln.broadcast(value) handles`,
      { operator },
      { cause: error },
    );
  }
  cloneable.add(value);
}

function freeVariableMessage(operator: string, names: readonly string[]): string {
  const quoted = names.map((n) => `"${n}"`);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
  const driverOnly = names.filter((n) => n in globalThis);
  const where = driverOnly.length === names.length ? 'as a global of the driver thread' : 'from its enclosing scope';
  return (
    `the function passed to ${operator} uses ${list} ${where}; functions run in worker threads and cannot see ${names.length === 1 ? 'it' : 'them'}. ` +
    `Pass ${names.length === 1 ? 'it' : 'them'} explicitly: .${operator}(fn, { ${names.join(', ')} }), or share large data with kiln.broadcast(value)`
  );
}
