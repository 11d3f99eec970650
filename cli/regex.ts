// POSIX patterns as JS regular expressions, for `kiln grep`. Policy: match which lines
// GNU `grep -E` / `grep -F` select on ASCII input in the C locale. grep only asks
// whether a line matches, so POSIX leftmost-longest versus JS leftmost-first does not
// matter; what must be translated is syntax: bracket expressions with POSIX classes
// ([[:alpha:]]), a backslash that is literal inside brackets, GNU's \< \> \` \'
// anchors, intervals ({,n}), a "{" that starts no interval (literal), stacked
// repetition operators ("a+*") and operators with nothing to repeat (GNU ignores
// them; JS rejects them). A pattern holding newlines is a
// list of patterns, any of which may match (grep's rule). The result is a plain
// RegExp (structured-cloneable), so it ships to workers as a capture.
import { UsageError } from './errors.js';

/** How grep reads its pattern. */
export interface PatternOptions {
  /** -F: the pattern is a literal string. */
  fixed: boolean;
  /** -i: ASCII case is ignored. */
  ignoreCase: boolean;
}

/** POSIX character classes in the C locale, as JS class contents. */
const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
};

/** The RegExp that selects the same lines as grep -E (or -F) with `pattern`. */
export function grepRegExp(pattern: string, options: PatternOptions): RegExp {
  const alternatives = pattern.split('\n').map((p) => (options.fixed ? escapeLiteral(p) : translateEre(p)));
  const source = alternatives.length === 1 ? alternatives[0]! : alternatives.map((a) => `(?:${a})`).join('|');
  // s: "." matches every character, as in POSIX (JS's "." skips \r and \u2028).
  const flags = options.ignoreCase ? 'si' : 's';
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new UsageError(`invalid pattern "${pattern}": ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Translates one POSIX extended regular expression (GNU dialect) to JS source. */
export function translateEre(ere: string): string {
  let out = '';
  // Where the last repeatable item (atom, or atom with its quantifiers) starts in
  // `out`, or -1 when nothing can be repeated (start, after "(", "|", "^").
  let atom = -1;
  // Whether `out` ends with a quantifier: POSIX lets quantifiers stack ("a+*" is
  // "(a+)*"), JS does not, so the quantified atom is wrapped in a group first.
  let quantified = false;
  // Starts of the open groups in `out`.
  const groups: number[] = [];
  const emitAtom = (source: string): void => {
    atom = out.length;
    out += source;
    quantified = false;
  };
  for (let i = 0; i < ere.length; ) {
    const c = ere[i]!;
    switch (c) {
      case '\\': {
        const next = ere[i + 1];
        if (next === undefined) throw new UsageError(`invalid pattern "${ere}": trailing backslash`);
        const source = escapeSequence(next);
        if ('<>`\'bB'.includes(next)) {
          out += source;
          atom = -1;
          quantified = false;
        } else emitAtom(source);
        i += 2;
        continue;
      }
      case '[': {
        const { source, end } = bracket(ere, i);
        emitAtom(source);
        i = end;
        continue;
      }
      case '(':
        groups.push(out.length);
        out += '(';
        atom = -1;
        quantified = false;
        i++;
        continue;
      case ')': {
        const open = groups.pop();
        if (open === undefined) throw new UsageError(`invalid pattern "${ere}": unmatched )`);
        out += ')';
        atom = open;
        quantified = false;
        i++;
        continue;
      }
      case '|':
        out += c;
        atom = -1;
        quantified = false;
        i++;
        continue;
      case '^':
      case '$':
        // GNU lets an anchor take a repetition operator ("^*a" is "(^)*a").
        emitAtom(c);
        i++;
        continue;
      case '*':
      case '+':
      case '?':
        // GNU ignores an operator with nothing to repeat (at the start, after "(" or "|").
        if (atom >= 0) quantify(c);
        i++;
        continue;
      case '{': {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(ere.slice(i));
        if (m && (m[1] !== '' || m[2] !== '')) {
          const min = m[1] === '' ? '0' : m[1]!;
          if (m[3] !== '' && Number(m[3]) < Number(min)) throw new UsageError(`invalid pattern "${ere}": invalid content of \\{\\}`);
          if (atom >= 0) quantify(m[2] ? `{${min},${m[3]}}` : `{${min}}`);
          i += m[0].length;
        } else {
          emitAtom('\\{');
          i++;
        }
        continue;
      }
      case '}':
      case ']':
      case '/':
        emitAtom(`\\${c}`);
        i++;
        continue;
      default:
        emitAtom(c);
        i++;
    }
  }
  if (groups.length > 0) throw new UsageError(`invalid pattern "${ere}": unmatched (`);
  return out;

  function quantify(q: string): void {
    // JS rejects a quantifier on a bare anchor or on another quantifier: group first.
    const last = out.slice(atom);
    if (quantified || last === '^' || last === '$') out = `${out.slice(0, atom)}(?:${out.slice(atom)})`;
    out += q;
    quantified = true;
  }
}

function escapeSequence(c: string): string {
  switch (c) {
    case '<':
      return '\\b(?=\\w)';
    case '>':
      return '\\b(?<=\\w)';
    case '`':
      return '^';
    case "'":
      return '$';
    case 'w':
    case 'W':
    case 'b':
    case 'B':
      return `\\${c}`;
    case 's':
      return '[\\t\\n\\v\\f\\r ]';
    case 'S':
      return '[^\\t\\n\\v\\f\\r ]';
    default:
      // Back-references keep their meaning; any other escaped character is itself.
      if (c >= '1' && c <= '9') return `\\${c}`;
      return /[A-Za-z0-9]/.test(c) ? c : `\\${c}`;
  }
}

/**
 * A bracket expression starting at `start` ("["): POSIX rules — a "]" first (after an
 * optional "^") is literal, a backslash is literal, [:class:] names a class, [=c=] and
 * [.c.] stand for the character c.
 */
function bracket(ere: string, start: number): { source: string; end: number } {
  let i = start + 1;
  let negate = false;
  if (ere[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (;;) {
    const c = ere[i];
    if (c === undefined) throw new UsageError(`invalid pattern "${ere}": unmatched [`);
    if (c === ']' && !first) {
      i++;
      break;
    }
    first = false;
    if (c === '[' && (ere[i + 1] === ':' || ere[i + 1] === '=' || ere[i + 1] === '.')) {
      const kind = ere[i + 1]!;
      const close = ere.indexOf(`${kind}]`, i + 2);
      if (close < 0) throw new UsageError(`invalid pattern "${ere}": unmatched [${kind}`);
      const name = ere.slice(i + 2, close);
      if (kind === ':') {
        const cls = POSIX_CLASSES[name];
        if (cls === undefined) throw new UsageError(`invalid pattern "${ere}": unknown character class [:${name}:]`);
        body += cls;
      } else {
        body += classChar(name);
      }
      i = close + 2;
      continue;
    }
    body += c === '-' ? '-' : classChar(c);
    i++;
  }
  // "[^...]" must not match the line end; lines hold no "\n", so no adjustment.
  return { source: `[${negate ? '^' : ''}${body}]`, end: i };
}

function classChar(c: string): string {
  return /[\\\]\[^-]/.test(c) ? `\\${c}` : c;
}
