// Kernel-path hints: where a stage runs a JS function that one of kiln's WASM kernels
// does faster. Policy: only patterns whose kernel equivalent gives the same answer
// are named — a word split of text lines (textFile(...).words()), and a JS reduce
// that is a plain sum, min or max (reduceByKey('sum' | 'min' | 'max')) — matched on
// the shipped function's source, so a hint is never a guess about what a function does.
import type { ShippedFunction } from '../../common/functions/shipped.js';
import { dependencies, type LineageNode } from '../plan/lineage.js';
import type { Stage } from '../plan/stage.js';

/** A place where a kernel does what the stage's JS does (Problem, Advice: the event log's field names). */
export interface KernelHint {
  readonly Problem: string;
  readonly Advice: string;
}

/** Source without whitespace, for matching. */
function squeeze(fn: ShippedFunction): string {
  return fn.source.replace(/\s+/g, '');
}

/** The builtin a JS merge function is equal to, if any. */
export function builtinFor(fn: ShippedFunction): 'sum' | 'min' | 'max' | undefined {
  const s = squeeze(fn).replace(/^function\w*/, '').replace(/^\((\w+),(\w+)\)(?:=>)?\{return(.*?);?\}$/, '($1,$2)=>$3');
  const m = /^\((\w+),(\w+)\)=>(.*)$/.exec(s);
  if (!m) return undefined;
  const [, a, b, body] = m;
  if (body === `${a}+${b}` || body === `${b}+${a}`) return 'sum';
  if (body === `Math.min(${a},${b})`) return 'min';
  if (body === `Math.max(${a},${b})`) return 'max';
  return undefined;
}

/** Whether a flatMap function splits a line into words (split on spaces or whitespace). */
function splitsWords(fn: ShippedFunction): boolean {
  // On the raw source: squeezing whitespace would turn split(' ') into split('').
  return /\.split\(\s*(?:' '|" "|`\s`|\/\\s\+?\/g?|\/ \+\/g?)\s*\)/.test(fn.source);
}

/** Hints for one stage: its narrow chain and the shuffle it writes. */
export function kernelHints(stage: Stage): KernelHint[] {
  const hints: KernelHint[] = [];
  const seen = new Set<number>();
  const visit = (n: LineageNode): void => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    const l = n.lineage;
    if (l.kind === 'op' && l.op.kind === 'flatMap' && splitsWords(l.op.fn) && l.parent.lineage.kind === 'text') {
      hints.push({ Problem: `flatMap(${l.op.fn.source.slice(0, 60)}) splits lines into words in JS`, Advice: 'textFile(...).words() tokenizes in the WASM kernel, with no JS string per word (then valueCounts() or reduceByKey(\'sum\'))' });
    }
    for (const dep of dependencies(n)) if (dep.kind === 'narrow') visit(dep.parent);
  };
  visit(stage.node);
  const agg = stage.shuffle?.aggregator;
  if (agg?.kind === 'js') {
    const op = builtinFor(agg.mergeValue);
    if (op && agg.create.t === 'identity') {
      hints.push({ Problem: `the reduce function ${agg.mergeValue.source.slice(0, 60)} runs in JS`, Advice: `reduceByKey('${op}') runs the same reduce in the combiner kernel` });
    }
  }
  return hints;
}
