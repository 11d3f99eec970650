// The kiln binary's failure cases, exit codes and reporting, run as a user runs it:
// usage errors (exit 2), input errors (exit 1, one line naming the file, no stack
// without --debug), permission denied, empty input, --output commit and refusal,
// the summary line, --metrics, environment settings, and Ctrl-C (exit 130, no output
// left behind).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, kilnChild, shellStatus, tempDir } from './support/cli.js';

const dir = tempDir('err');
const words = join(dir, 'words.txt');
writeFileSync(words, 'b a b\nc b\n');
const empty = join(dir, 'empty.txt');
writeFileSync(empty, '');

const oneLine = (s: string): boolean => s.trimEnd().split('\n').length === 1;

test('usage errors exit 2 with one line; --help and --version exit 0', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate', words], /unknown command "frobnicate"/],
    [['wordcount', '--bogus', words], /Unknown option '--bogus'/],
    // (`grep pattern` reads stdin here, which is a pipe: test/cli-stdin.test.ts.)
    [['grep'], /grep: missing operand/],
    [['wordcount', '--workers', 'zero', words], /--workers must be a whole number/],
    [['wordcount', '--workers=-1', words], /--workers must be a whole number/],
    [['sort', '--format', 'xml', words], /--format must be one of text, tsv, json/],
    [['grep', '(unclosed', words], /invalid pattern "\(unclosed"/],
    [[], /./], // no arguments prints help (exit 0, checked below)
  ];
  for (const [args, message] of cases.slice(0, -1)) {
    const r = kiln(args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(oneLine(r.stderr), r.stderr);
    assert.is(r.stdout.length, 0);
  }
  const env = kiln(['wordcount', words], { env: { KILN_WORKERS: 'many' } });
  assert.is(env.code, 2);
  assert.match(env.stderr, /KILN_WORKERS must be a whole number/);
  // 0 is the inline mode, from the flag and from the environment.
  for (const run of [kiln(['wordcount', '--workers', '0', '-q', words]), kiln(['wordcount', '-q', words], { env: { KILN_WORKERS: '0' } })]) {
    assert.is(run.code, 0, run.stderr);
    assert.is(run.stdout.toString(), 'b 3\na 1\nc 1\n');
  }
  const help = kiln(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout.toString(), /Commands:\n {2}wordcount/);
  const sortHelp = kiln(['sort', '--help']);
  assert.match(sortHelp.stdout.toString(), /--key-bytes N/);
  const version = kiln(['--version']);
  assert.match(version.stdout.toString(), /^kiln \d+\.\d+\.\d+\n$/);
});

test('missing file, empty directory: exit 1, one line naming the path, a stack only with --debug', () => {
  const missing = kiln(['wordcount', join(dir, 'nope.txt')]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /^kiln: error: no such file: .*nope\.txt — check the path\n$/);
  const debug = kiln(['wordcount', '--debug', join(dir, 'nope.txt')]);
  assert.is(debug.code, 1);
  assert.match(debug.stderr, /\n\s+at /, 'stack trace with --debug');
  const emptyDir = join(dir, 'nothing');
  mkdirSync(emptyDir);
  writeFileSync(join(emptyDir, '.hidden'), 'x\n');
  const none = kiln(['sort', emptyDir]);
  assert.is(none.code, 1);
  assert.match(none.stderr, /directory .*nothing has no input files/);
  assert.ok(oneLine(none.stderr));
});

test('permission denied: exit 1 naming the file (as an unprivileged user when run as root)', () => {
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'x\n');
  chmodSync(secret, 0o000);
  // root reads any file: run kiln as "nobody" (uid 65534) so the permission applies.
  const asRoot = process.getuid?.() === 0;
  const r = kiln(['wordcount', secret], asRoot ? { uid: 65534, gid: 65534, env: { HOME: dir } } : {});
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /^kiln: error: permission denied reading .*secret\.txt — check its permissions\n$/);
});

test('empty input: empty output, exit 0, for every command', () => {
  for (const args of [['wordcount', empty], ['sort', empty], ['distinct', '-c', empty], ['grep', 'x', empty], ['grep', '-c', 'x', empty]]) {
    const r = kiln([...args, '--quiet', '--workers', '1']);
    assert.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stdout.toString(), args.includes('-c') && args[0] === 'grep' ? '0\n' : '', args.join(' '));
  }
});

test('--output commits DIR atomically; an existing DIR is refused (exit 2) unless --overwrite', () => {
  const out = join(dir, 'out');
  const first = kiln(['wordcount', '--workers', '1', '--output', out, words]);
  assert.is(first.code, 0, first.stderr);
  assert.is(first.stdout.length, 0);
  assert.equal(readdirSync(out).sort(), ['_SUCCESS', 'part-00000']);
  assert.is(readFileSync(join(out, 'part-00000'), 'utf8'), 'b 3\na 1\nc 1\n');
  const refused = kiln(['sort', '--workers', '1', '--output', out, words]);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /output directory .*out already exists — pass overwrite: true \(or --overwrite\)/);
  assert.is(readFileSync(join(out, 'part-00000'), 'utf8'), 'b 3\na 1\nc 1\n', 'old output untouched');
  const replaced = kiln(['sort', '--workers', '1', '--output', out, '--overwrite', words]);
  assert.is(replaced.code, 0, replaced.stderr);
  assert.is(readFileSync(join(out, 'part-00000'), 'utf8'), 'b a b\nc b\n');
  assert.equal(readdirSync(dir).filter((n) => n.includes('kiln-tmp') || n.includes('kiln-old')), []);
});

test('summary line on stderr (not with --quiet); no progress bar into a pipe; --metrics JSON; env settings', () => {
  const r = kiln(['wordcount', '--workers', '1', words]);
  assert.is(r.code, 0);
  assert.match(r.stderr, /^kiln: read 10 B, [\d,]+ records, shuffle [\d.]+ k?B, spill 0 B, [\d.]+ s, [\d.]+ MB\/s\n$/);
  assert.not.match(r.stderr, /\[Stage/);
  const metricsFile = join(dir, 'metrics.json');
  const quiet = kiln(['sort', '--quiet', '--workers', '1', '--metrics', metricsFile, words]);
  assert.is(quiet.stderr, '');
  const m = JSON.parse(readFileSync(metricsFile, 'utf8')) as { command: string; totals: { inputBytes: number }; jobs: { stages: { metrics: { inputBytes: number }[] }[] }[] };
  assert.is(m.command, 'sort');
  assert.ok(m.jobs.length >= 1);
  const jobBytes = m.jobs.flatMap((j) => j.stages.flatMap((s) => s.metrics.map((t) => t.inputBytes))).reduce((a, b) => a + b, 0);
  assert.is(jobBytes, m.totals.inputBytes, 'totals are the sum of the task metrics');
  // KILN_WORKERS sets the worker count; the flag wins over it.
  const script = join(dir, 'workers.mjs');
  writeFileSync(script, 'export default async function (kiln) { console.log(kiln.options.workers, kiln.options.memory); }\n');
  const fromEnv = kiln(['run', '--quiet', script], { env: { KILN_WORKERS: '1', KILN_MEMORY: '64m' } });
  assert.is(fromEnv.stdout.toString(), `1 ${64 << 20}\n`, fromEnv.stderr);
  const flagWins = kiln(['run', '--quiet', '--workers', '2', '--memory', '32m', script], { env: { KILN_WORKERS: '1', KILN_MEMORY: '64m' } });
  assert.is(flagWins.stdout.toString(), `2 ${32 << 20}\n`, flagWins.stderr);
});

test('Ctrl-C aborts the job: exit 130, no output directory and no temporary files left', async () => {
  // A job that takes seconds whatever the machine: each record waits 20 ms.
  const script = join(dir, 'slow.mjs');
  writeFileSync(
    script,
    'export default async function (kiln, args) {\n' +
      '  const slow = (x) => { const end = Date.now() + 20; while (Date.now() < end); return x; };\n' +
      '  await kiln.parallelize(Array.from({ length: 400 }, (_, i) => i), 8).map(slow).saveAsTextFile(args[0]);\n' +
      '}\n',
  );
  const out = join(dir, 'interrupted');
  const child = kilnChild(['run', '--workers', '1', '--progress', 'always', script, out], { env: { COLUMNS: '60' } });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(shellStatus(code, signal))));
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // The progress bar shows once a stage has run 500 ms: the job is under way.
      if (stderr.includes('[Stage')) resolve();
    });
    child.on('exit', () => resolve());
  });
  child.kill('SIGINT');
  const code = await exited;
  assert.is(code, 130, stderr);
  assert.match(stderr, /interrupted/);
  assert.ok(!existsSync(out), 'no output directory');
  assert.equal(readdirSync(dir).filter((n) => n.includes('kiln-tmp')), [], 'no temporary output');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
