// The required literal of a grep pattern: a string of ASCII characters that every line
// the pattern matches must contain, so the grep kernel can skip every other line before
// the full match runs (GNU grep's "must" string, dfa.c's dfamust, in a simple form).
// Policy: when in doubt, no literal — a literal that some matching line lacks would
// drop that line, while a missing literal only costs speed. So only plain ASCII
// characters of the top level of the pattern are taken, in runs between anything
// else; a character that may repeat zero times leaves its run; a top-level "|" (one
// alternative need not hold another's literal) or a pattern list (newlines) gives none.
// With -i the caller's kernel folds ASCII case, which is exact for ASCII literals.

/** Repetition an interval or operator allows at least: {n,m} -> n, * and ? -> 0, + -> 1. */
function minRepeat(ere: string, i: number): { min: number; end: number } | undefined {
  const c = ere[i];
  if (c === '*' || c === '?') return { min: 0, end: i + 1 };
  if (c === '+') return { min: 1, end: i + 1 };
  if (c === '{') {
    const m = /^\{(\d*)(,?)(\d*)\}/.exec(ere.slice(i));
    if (m && (m[1] !== '' || m[2] !== '')) return { min: m[1] === '' ? 0 : Number(m[1]), end: i + m[0].length };
  }
  return undefined;
}

/** Characters a backslash makes special in GNU ERE (cli/regex.ts, escapeSequence). */
const SPECIAL_ESCAPES = new Set(['<', '>', '`', "'", 'w', 'W', 'b', 'B', 's', 'S', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** One item of a pattern's top level (see topLevelItems). */
interface Item {
  ch: string | null;
  range: [number, number] | undefined;
  min: number;
  repeated: boolean;
}

/** The ASCII byte range a bracket expression's content stands for, if it is one range. */
function bracketRange(content: string): [number, number] | undefined {
  const named: Record<string, [number, number]> = { '[:digit:]': [0x30, 0x39], '[:lower:]': [0x61, 0x7a], '[:upper:]': [0x41, 0x5a] };
  if (named[content]) return named[content];
  const m = /^([\x20-\x7e])-([\x20-\x7e])$/.exec(content) ?? /^([\x20-\x7e])()$/.exec(content);
  if (!m || m[1] === '^' || m[1] === '[') return undefined;
  const lo = m[1]!.charCodeAt(0);
  const hi = m[2] === '' ? lo : m[2]!.charCodeAt(0);
  return lo <= hi ? [lo, hi] : undefined;
}

/** The top-level items of `ere`, or undefined when the pattern has no single spine (a top-level "|", a newline). */
function topLevelItems(ere: string): Item[] | undefined {
  if (ere.includes('\n')) return undefined;
  // Items of the top level: a literal ASCII character, or null for anything else
  // (a bracket expression of one ASCII range keeps it in `range`).
  const items: Item[] = [];
  let depth = 0;
  for (let i = 0; i < ere.length; ) {
    const c = ere[i]!;
    let ch: string | null = null;
    let range: [number, number] | undefined;
    let next = i + 1;
    if (c === '\\') {
      const e = ere[i + 1];
      if (e === undefined) return undefined;
      ch = SPECIAL_ESCAPES.has(e) ? null : e;
      next = i + 2;
    } else if (c === '[') {
      // A bracket expression: skip it, "]" first (after "^") being literal.
      let j = i + 1;
      if (ere[j] === '^') j++;
      if (ere[j] === ']') j++;
      while (j < ere.length && ere[j] !== ']') {
        if (ere[j] === '[' && (ere[j + 1] === ':' || ere[j + 1] === '=' || ere[j + 1] === '.')) {
          const close = ere.indexOf(`${ere[j + 1]}]`, j + 2);
          if (close < 0) return undefined;
          j = close + 2;
        } else j++;
      }
      if (j >= ere.length) return undefined;
      range = bracketRange(ere.slice(i + 1, j));
      next = j + 1;
    } else if (c === '(') {
      depth++;
      next = i + 1;
    } else if (c === ')') {
      depth--;
      next = i + 1;
    } else if (c === '|') {
      if (depth === 0) return undefined;
    } else if (c === '*' || c === '+' || c === '?' || (c === '{' && minRepeat(ere, i))) {
      // A repetition of the previous item (or of nothing, which GNU ignores).
      const q = minRepeat(ere, i)!;
      const last = items.at(-1);
      if (last && depth === 0) {
        last.min *= q.min;
        last.repeated = true;
      }
      i = q.end;
      continue;
    } else if (c !== '.' && c !== '^' && c !== '$') {
      ch = c;
    }
    // Inside a group everything is "something else": the group ends the run.
    if (depth > 0 || c === ')') {
      ch = null;
      range = undefined;
    }
    if (ch !== null && ch.charCodeAt(0) > 0x7f) ch = null;
    items.push({ ch, range, min: 1, repeated: false });
    i = next;
  }
  return items;
}

/**
 * The longest literal every match of the POSIX ERE `ere` contains (as cli/regex.ts
 * reads it), or undefined when none of at least `minLength` characters is found.
 */
export function requiredLiteral(ere: string, minLength = 2): string | undefined {
  const items = topLevelItems(ere);
  if (!items) return undefined;
  let best = '';
  let run = '';
  const close = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (const item of items) {
    if (item.ch === null || item.min === 0) {
      close();
      continue;
    }
    run += item.ch;
    // "ab+c": the match holds "ab", then more b's; "c" starts a new run.
    if (item.repeated) close();
  }
  close();
  return best.length >= minLength ? best : undefined;
}

/**
 * For a pattern with no required literal: ASCII bytes [lo, hi] of which every match
 * holds one — a top-level character or one-range bracket expression that must occur
 * ("[0-9]{5}": a digit) — the narrowest there is. With ignoreCase a range holding a
 * letter is not taken (the RegExp also matches the other case).
 */
export function requiredRange(ere: string, ignoreCase: boolean): [number, number] | undefined {
  const items = topLevelItems(ere);
  if (!items) return undefined;
  let best: [number, number] | undefined;
  for (const item of items) {
    if (item.min === 0) continue;
    const r: [number, number] | undefined = item.ch !== null ? [item.ch.charCodeAt(0), item.ch.charCodeAt(0)] : item.range;
    if (!r || (r[0] <= 0x0a && r[1] >= 0x0a)) continue;
    if (ignoreCase && r[0] <= 0x7a && r[1] >= 0x41) continue;
    if (!best || r[1] - r[0] < best[1] - best[0]) best = r;
  }
  return best;
}
