// The CLI's monitoring flags, run as the real binary: --event-log and KILN_EVENT_LOG
// write a log, --ui prints a URL that answers while the job runs, --ui-wait keeps it
// up until SIGINT (which then ends it, as it ends every kiln command: shell status 130), and `kiln history` serves a log directory until SIGINT.
// Every wait is for a line of output or an exit, bounded only as a safety net.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { kiln, kilnChild, tempDir } from './support/cli.js';

const dir = tempDir('monitor');
test.after(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'tale.txt');
writeFileSync(input, 'it was the best of times\nit was the worst of times\n');

/** Resolves with the first URL the child prints on stderr. */
function urlOf(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL within 20 s; stderr: ${err}`)), 20_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      err += c;
      const m = pattern.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', () => reject(new Error(`exited before printing a URL; stderr: ${err}`)));
  });
}

/** How the child ended: its exit code, or the signal that ended it. */
function exitOf(child: ChildProcess): Promise<number | NodeJS.Signals | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (code, signal) => resolve(code ?? signal))));
}

test('--event-log and KILN_EVENT_LOG write one Spark-format log per run', () => {
  const a = join(dir, 'logs-flag');
  const r = kiln(['wordcount', '-q', '--event-log', a, input]);
  assert.is(r.code, 0, r.stderr);
  const b = join(dir, 'logs-env');
  const r2 = kiln(['wordcount', '-q', input], { env: { KILN_EVENT_LOG: b } });
  assert.is(r2.code, 0, r2.stderr);
  for (const d of [a, b]) {
    const files = readdirSync(d);
    assert.is(files.length, 1);
    const events = readFileSync(join(d, files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { Event: string; 'App Name'?: string });
    assert.is(events[0]!.Event, 'SparkListenerLogStart');
    assert.is(events.find((e) => e.Event === 'SparkListenerApplicationStart')!['App Name'], 'kiln wordcount');
    assert.is(events[events.length - 1]!.Event, 'SparkListenerApplicationEnd');
  }
});

test('--ui-wait serves the finished job until SIGINT, then ends by it as every kiln command does', async () => {
  const child = kilnChild(['wordcount', '-q', '--ui-wait', '--ui-port', '0', input]);
  const url = await urlOf(child, /stays at (http:\/\/127\.0\.0\.1:\d+\/)/);
  const apps = (await (await fetch(`${url}api/v1/applications`)).json()) as { id: string }[];
  const jobs = (await (await fetch(`${url}api/v1/applications/${apps[0]!.id}/jobs`)).json()) as { status: string }[];
  assert.equal(jobs.map((j) => j.status), ['SUCCEEDED']);
  child.kill('SIGINT');
  assert.is(await exitOf(child), 'SIGINT');
});

test('kiln history serves a log directory until SIGINT; bad directories are usage errors', async () => {
  const logs = join(dir, 'logs-flag');
  const child = kilnChild(['history', logs, '--port', '0']);
  const url = await urlOf(child, /history server at (http:\/\/127\.0\.0\.1:\d+\/)/);
  const apps = (await (await fetch(`${url}api/v1/applications`)).json()) as { name: string; attempts: { completed: boolean }[] }[];
  assert.is(apps.length, 1);
  assert.is(apps[0]!.name, 'kiln wordcount');
  assert.ok(apps[0]!.attempts[0]!.completed);
  assert.is((await fetch(url)).status, 200, 'the index lists applications');
  child.kill('SIGINT');
  assert.is(await exitOf(child), 0);
  const missing = kiln(['history', join(dir, 'nope')]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /cannot read the event-log directory .*nope/);
  assert.is(kiln(['history']).code, 2, 'DIR is required');
  assert.is(kiln(['history', logs, '--port', 'x']).code, 2);
});

test.run();
