// grep's pattern translation (cli/regex.ts) against GNU grep itself: for each pattern,
// the lines JS selects with the translated RegExp must be the lines `grep -E` (or -F)
// selects from the same ASCII text in the C locale. No kiln process is started here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { grepRegExp, translateEre } from '../cli/regex.js';

const LINES = [
  'The cat sat.', 'the dog', '*star*', 'a.b*c', 'foo{1}', 'foo{1,2}', 'xxyzz', '', 'THE END', 'abc abd', '[x] 12',
  'tab\there', 'a\\b', 'back\\slash', 'x+y=z', 'what?', '(paren)', 'a|b', 'caret^up', 'dollar$sign', 'aaa', 'abab',
  'hello world', 'HeLLo', '  leading', 'trailing  ', '123-456', 'under_score', 'punct!@#', 'mixed Case 9', '{', '}', ']',
  'x{', 'ab}', 'aa bb', 'abcabc', 'zzz', 'a', 'b', 'ba', 'ab', 'é not ascii? skip', 'tilde~', 'ctrl\x01x', 'del\x7f',
].filter((l) => /^[\x00-\x7f]*$/.test(l));
const TEXT = `${LINES.join('\n')}\n`;

const ERE = [
  'cat', '^the', 'END$', '^$', '.', 'a.b', 'a\\.b', '\\*star', '*star', '+y', '?', 'a|b', '(a|b)c', 'ab+', 'ab*c', 'a?b',
  '(ab){2}', 'a{2,}', 'a{,2}b', 'a{1,2}', 'foo{1}', 'foo\\{1\\}', '{', 'x{', 'a**', 'a+*', '(ab)+$', '[abc]', '[^abc]', '[]x]',
  '[^]x]', '[a-c]', '[[:upper:]][a-z]+', '[[:digit:]]+-', '[[:space:]]', '[[:punct:]]', '[[:alnum:]_]+', '[[:blank:]]',
  '[[:cntrl:]]', '[[:xdigit:]]{3}', '[[:lower:]]', '[[:print:]]', '[[:graph:]]', '\\<the\\>', '\\bab', 'ab\\b', '\\Bb',
  '\\w+_', '\\W', '\\s', '\\S+$', '(a)\\1', '(ab)\\1', 'a\\|b', '\\(paren', '[\\]', 'a\\\\b', '[.]', '[*]', 'x+y', '\\$',
  '\\^', '^\\(', 'a{0}b', '(|a)b', 'a(|b)', '()a', '[a-]', '[-a]', '[[.a.]]', '[[=a=]]b', 'o{1}\\}', 'hello|^$', '^*x',
];
const FIXED = ['a.b*', '{1}', '[x]', 'a|b', '\\', '$sign', '^up', 'HeLLo', ''];

function grepLines(args: string[]): string[] {
  const r = spawnSync('grep', args, { input: TEXT, env: { ...process.env, LC_ALL: 'C' } });
  return r.stdout.toString('latin1').split('\n').slice(0, -1);
}

test('-E patterns select the same lines as GNU grep -E', () => {
  for (const pattern of ERE) {
    const re = grepRegExp(pattern, { fixed: false, ignoreCase: false });
    assert.equal(LINES.filter((l) => re.test(l)), grepLines(['-E', '--', pattern]), `pattern ${JSON.stringify(pattern)} -> /${re.source}/`);
  }
});

test('-i and -F select the same lines as GNU grep', () => {
  for (const pattern of ['the', '[[:upper:]]+', 'hello|end', '\\<THE\\>']) {
    const re = grepRegExp(pattern, { fixed: false, ignoreCase: true });
    assert.equal(LINES.filter((l) => re.test(l)), grepLines(['-E', '-i', '--', pattern]), `-i ${pattern}`);
  }
  for (const pattern of FIXED) {
    const re = grepRegExp(pattern, { fixed: true, ignoreCase: false });
    assert.equal(LINES.filter((l) => re.test(l)), grepLines(['-F', '--', pattern]), `-F ${pattern}`);
  }
});

test('a pattern with newlines is a list of patterns', () => {
  const re = grepRegExp('cat\n^aaa$', { fixed: false, ignoreCase: false });
  assert.equal(LINES.filter((l) => re.test(l)), grepLines(['-E', '--', 'cat\n^aaa$']));
});

test('malformed patterns are usage errors naming the pattern', () => {
  for (const bad of ['(ab', 'ab)', '[abc', '[[:nope:]]', 'a\\', 'a{3,1}']) {
    assert.throws(() => translateEre(bad), (e: Error & { kind?: string }) => e.kind === 'usage' && e.message.includes(bad), bad);
  }
});

test.run();
