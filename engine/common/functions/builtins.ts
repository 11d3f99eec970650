// Shipping ECMAScript's global conversion functions by name. Policy: a native
// function has no source for a worker to compile, but `map(Number)` (PySpark's
// `map(float)`) is what a user writes first, and these globals are the same functions
// in every worker thread. So the global functions listed here are shipped as a
// call of the global of that name, when the function passed is exactly that global;
// any other native or bound function is still refused by shipFunction. Two
// parameters, not a rest parameter: kiln calls map/filter/keyBy functions with one
// argument and reduce functions with two, and a fixed arity is a cheaper call; each
// of these globals ignores an extra undefined argument.

/** Global functions shipped by name: the same in every thread, no state. */
const SHIPPABLE_GLOBALS = ['Number', 'String', 'Boolean', 'BigInt', 'parseFloat', 'parseInt', 'isFinite', 'isNaN', 'encodeURIComponent', 'decodeURIComponent', 'encodeURI', 'decodeURI'] as const;

/** Source calling the global `fn` is, or undefined when `fn` is not one of them. */
export function builtinSource(fn: Function): string | undefined {
  for (const name of SHIPPABLE_GLOBALS) {
    if ((globalThis as Record<string, unknown>)[name] === fn) return `(a, b) => ${name}(a, b)`;
  }
  return undefined;
}
