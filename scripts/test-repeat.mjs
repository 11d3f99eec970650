// `npm run test:repeat -- N [--burn] [uvu pattern...]`: builds once, then runs the
// whole uvu suite N times in a row, each in a fresh process, and prints every failure
// (run number, file, test, the assertion's first lines) and a tally of failing tests
// across the runs. A flaky test shows as failing in some runs and not in others.
// --burn keeps one core busy with a CPU burner for the whole run (a child process
// spinning), the condition under which timing assumptions and races surface on a
// two-core machine. The last line is "N passed, N failed" over all runs together.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const burn = argv.includes('--burn');
const rest = argv.filter((a) => a !== '--burn');
const runs = Number(rest[0] ?? 5);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`test:repeat: the first argument is the number of runs, a positive integer (got ${rest[0]})`);
  process.exit(2);
}
const pattern = rest.slice(1);

const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// A burner that spins until it is killed; unref'd so it never holds this process.
const burner = burn ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : undefined;
burner?.unref();
const stopBurner = () => burner?.kill('SIGKILL');
process.on('exit', stopBurner);
process.on('SIGINT', () => process.exit(130));

/** Runs the suite once; resolves with its plain-text stdout, exit code and wall time. */
function runOnce() {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/test.mjs', ...pattern], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => resolve({ out: out.replace(/\x1b\[[0-9;]*m/g, ''), code, seconds: (performance.now() - start) / 1000 }));
  });
}

/** The failures uvu printed: `FAIL  file  "test name"` blocks (uvu 0.5's report). */
function failures(out) {
  const found = [];
  const lines = out.split('\n');
  let file = '?';
  for (let i = 0; i < lines.length; i++) {
    const header = /^(\S+\.test\.js)\s*$/.exec(lines[i].trim());
    if (header) file = header[1];
    const fail = /FAIL\s+(?:(\S+\.test\.js)\s+)?"(.*)"/.exec(lines[i]);
    if (!fail) continue;
    const detail = lines
      .slice(i + 1, i + 6)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .slice(0, 3)
      .join(' | ');
    found.push({ file: fail[1] ?? file, test: fail[2], detail });
  }
  return found;
}

const tally = new Map();
let passed = 0;
let failed = 0;
for (let run = 1; run <= runs; run++) {
  const { out, code, seconds } = await runOnce();
  const totals = /(\d+) passed, (\d+) failed\s*$/.exec(out.trimEnd());
  const p = Number(totals?.[1] ?? 0);
  const f = Number(totals?.[2] ?? 1);
  passed += p;
  failed += f;
  const fails = failures(out);
  console.log(`run ${run}/${runs}: ${p} passed, ${f} failed, exit ${code}, ${seconds.toFixed(0)} s`);
  for (const x of fails) {
    console.log(`  FAIL ${x.file} "${x.test}": ${x.detail}`);
    const key = `${x.file} "${x.test}"`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  if ((f > 0 || code !== 0) && fails.length === 0) {
    // A crash or a suite that did not finish: show its tail instead.
    console.log(out.split('\n').slice(-15).map((l) => `  | ${l}`).join('\n'));
    tally.set('(no uvu failure printed: crash or unfinished suite)', (tally.get('(no uvu failure printed: crash or unfinished suite)') ?? 0) + 1);
  }
}
stopBurner();
console.log(`\n${runs} runs${burn ? ' with one core kept busy' : ''}; failing tests:`);
if (tally.size === 0) console.log('  none');
for (const [key, n] of [...tally].sort((a, b) => b[1] - a[1])) console.log(`  ${n}/${runs} ${key}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
