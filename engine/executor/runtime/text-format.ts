// How saveAsTextFile writes a record as a line. Policy: as PySpark's
// `saveAsTextFile`, which writes `str(record)` (Python 3): a string as is, anything
// else as Python prints it, so a job moved from PySpark writes the same files.
// JS has no tuples, so an array (kiln's pairs and tuples) is written as a Python
// tuple: `['a', 1]` -> `('a', 1)`, `[x]` -> `(x,)`, `[]` -> `()`. Inside a container,
// strings are written as Python's repr (single quotes unless the string holds a
// single quote and no double quote; backslash escapes for \\, \n, \r, \t and other
// control characters). Numbers: integers as digits, others as JS prints them (Python
// would print 1.0 for a float 1; JS cannot tell), NaN as nan, Infinity as inf; true
// and false as True and False; null and undefined as None; bigint as digits; a Map
// or plain object as a dict `{'k': v}`; a Set as `{a, b}` (`set()` when empty); a
// typed array or Buffer as a list of its numbers; a Date as its ISO string.

/** The line saveAsTextFile writes for a record (PySpark's `str()`; see the header). */
export function formatRecord(x: unknown): string {
  return typeof x === 'string' ? x : pyRepr(x);
}

/** Python's repr() of a JS value, after the mapping in the header. */
export function pyRepr(x: unknown): string {
  switch (typeof x) {
    case 'string':
      return pyStringRepr(x);
    case 'number':
      return Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : Object.is(x, -0) ? '-0' : String(x);
    case 'bigint':
      return String(x);
    case 'boolean':
      return x ? 'True' : 'False';
    case 'undefined':
      return 'None';
    default:
      break;
  }
  if (x === null) return 'None';
  if (Array.isArray(x)) return x.length === 1 ? `(${pyRepr(x[0])},)` : `(${x.map(pyRepr).join(', ')})`;
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return `[${Array.from(x as unknown as ArrayLike<number | bigint>, pyRepr).join(', ')}]`;
  if (x instanceof Map) return `{${[...x].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  if (x instanceof Set) return x.size === 0 ? 'set()' : `{${[...x].map(pyRepr).join(', ')}}`;
  if (x instanceof Date) return pyStringRepr(x.toISOString());
  if (typeof x === 'object') return `{${Object.entries(x as object).map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  return String(x);
}

/** Python's repr of a str. */
function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}
