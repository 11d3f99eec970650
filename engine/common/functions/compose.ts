// Composing shipped functions. Policy: kiln's own operators sometimes need a user
// function applied in a particular way inside a worker (a sort key applied to the key
// of a pair, a seqOp folded over a partition). Rather than a new worker operator for
// each such shape, the composition is made at the source level: a self-contained
// template (no free variables except its parameters and the named extra captures)
// is applied to the user functions' own sources, and their captures are merged. The
// template is evaluated once per worker thread (revive.ts caches the factory), so the
// composed function costs one extra call per record, not a re-parse.
import { KilnError } from '../errors.js';
import type { ShippedFunction } from './shipped.js';

/**
 * A function whose source is `((__f0, __f1, ...) => TEMPLATE)(SRC0, SRC1, ...)`, with
 * the inner functions' captures and `extra` merged (extra names start with `__kiln`
 * so they cannot collide with a user's). `template` is an expression evaluating to a
 * function; it may use `__f0...` and the extra captures' names.
 */
export function composeShipped(template: string, inner: readonly ShippedFunction[], name: string, extra: Record<string, unknown> = {}): ShippedFunction {
  const captures: Record<string, unknown> = {};
  for (const f of inner) {
    for (const [k, v] of Object.entries(f.captures ?? {})) {
      if (Object.hasOwn(captures, k) && captures[k] !== v) {
        throw new KilnError('usage', `the functions passed to ${name} both capture "${k}" with different values; rename one of the captures`, { operator: name });
      }
      captures[k] = v;
    }
  }
  for (const [k, v] of Object.entries(extra)) {
    if (!k.startsWith('__kiln')) throw new KilnError('internal', `composed capture ${k} must start with __kiln: this is a bug in kiln, please report it`);
    captures[k] = v;
  }
  const params = inner.map((_, i) => `__f${i}`).join(', ');
  // Newlines keep a trailing line comment in a user source from swallowing the rest.
  const source = `((${params}) => (${template}))(${inner.map((f) => `${f.source}\n`).join(', ')})`;
  const composed: ShippedFunction = Object.keys(captures).length > 0 ? { source, captures, name } : { source, name };
  // kiln's templates return; the composition does if every inner function does.
  if (inner.every((f) => f.own === true)) composed.own = true;
  return composed;
}
