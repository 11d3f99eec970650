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

/**
 * The longest literal every match of the POSIX ERE `ere` contains (as cli/regex.ts
 * reads it), or undefined when none of at least `minLength` characters is found.
 */
export function requiredLiteral(ere: string, minLength = 2): string | undefined {
  if (ere.includes('\n')) return undefined;
  // Items of the top level: a literal ASCII character, or null for anything else.
  const items: { ch: string | null; min: number; repeated: boolean }[] = [];
  let depth = 0;
  for (let i = 0; i < ere.length; ) {
    const c = ere[i]!;
    let ch: string | null = null;
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
    if (depth > 0 || c === ')') ch = null;
    if (ch !== null && ch.charCodeAt(0) > 0x7f) ch = null;
    items.push({ ch, min: 1, repeated: false });
    i = next;
  }
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
