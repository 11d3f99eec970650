// The REST API and the server's safety: Spark's paths and field names, numbers equal
// to kiln.lastJobMetrics, the history server answering as the live UI did for the
// same application, 401 without the token, 403 for a foreign Host, 405 for writes,
// and static paths that try to climb out of ui/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kiln, KilnError } from '../engine/index.js';
import { HistoryProvider, StatusStore } from '../engine/driver/monitor/index.js';
import { UiServer, isLoopback } from '../engine/driver/ui/server.js';
import { rejects } from './support/rejects.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-rest-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A raw GET (no URL normalisation, unlike fetch), resolving with status and body. */
function raw(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function getJson(base: string, path: string): Promise<any> {
  const res = await fetch(`${base}/api/v1${path}`);
  assert.is(res.status, 200, `GET ${path}`);
  return res.json();
}

/** The endpoints compared between live and history. */
function endpoints(app: string, stages: number[]): string[] {
  const a = `/applications/${app}`;
  return [`${a}/jobs`, `${a}/jobs/0`, `${a}/stages`, `${a}/environment`, `${a}/storage/rdd`, ...stages.flatMap((s) => [`${a}/stages/${s}`, `${a}/stages/${s}/0`, `${a}/stages/${s}/0/taskList?length=100`, `${a}/stages/${s}/0/taskSummary`, `${a}/stages/${s}/0/taskSummary?quantiles=0,0.5,1`])];
}

for (const workers of [0, 1, 2]) {
  test(`workers ${workers}: REST shapes, numbers equal lastJobMetrics, history answers as the live UI`, async () => {
    const logDir = mkdtempSync(join(dir, `w${workers}-`));
    const kiln = await Kiln.start({ workers, ui: { port: 0 }, eventLog: logDir, appName: 'rest test' });
    const live: Record<string, unknown> = {};
    let appId = '';
    let stageIds: number[] = [];
    try {
      assert.match(kiln.uiUrl!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const base = kiln.uiUrl!.replace(/\/$/, '');
      const data = Array.from({ length: 3000 }, (_, i) => `k${i % 50}`);
      await kiln.parallelize(data, 3).map((w): [string, number] => [w, 1]).reduceByKey('sum', 2).collect();
      const metrics = kiln.lastJobMetrics!;
      const apps = await getJson(base, '/applications');
      assert.is(apps.length, 1);
      appId = apps[0].id;
      assert.is(apps[0].name, 'rest test');
      for (const f of ['startTime', 'endTime', 'lastUpdated', 'duration', 'sparkUser', 'completed', 'appSparkVersion', 'startTimeEpoch', 'endTimeEpoch', 'lastUpdatedEpoch']) assert.ok(f in apps[0].attempts[0], `attempt has ${f}`);
      assert.match(apps[0].attempts[0].startTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}GMT$/);
      const jobs = await getJson(base, `/applications/${appId}/jobs`);
      assert.is(jobs.length, 1);
      const job = jobs[0];
      for (const f of ['jobId', 'name', 'submissionTime', 'completionTime', 'stageIds', 'status', 'numTasks', 'numActiveTasks', 'numCompletedTasks', 'numSkippedTasks', 'numFailedTasks', 'numKilledTasks', 'numCompletedIndices', 'numActiveStages', 'numCompletedStages', 'numSkippedStages', 'numFailedStages', 'killedTasksSummary']) assert.ok(f in job, `job has ${f}`);
      assert.is(job.status, 'SUCCEEDED');
      assert.is(job.numCompletedTasks, metrics.stages.reduce((n, s) => n + s.tasks, 0));
      assert.is(job.numCompletedStages, metrics.stages.filter((s) => !s.skipped).length);
      stageIds = metrics.stages.map((s) => s.id);
      for (const s of metrics.stages) {
        const attempt = await getJson(base, `/applications/${appId}/stages/${s.id}/0`);
        for (const f of ['status', 'stageId', 'attemptId', 'numTasks', 'numActiveTasks', 'numCompleteTasks', 'numFailedTasks', 'executorRunTime', 'inputBytes', 'inputRecords', 'shuffleReadBytes', 'shuffleReadRecords', 'shuffleWriteBytes', 'shuffleWriteRecords', 'memoryBytesSpilled', 'diskBytesSpilled', 'name', 'details', 'rddIds', 'tasks']) assert.ok(f in attempt, `stage has ${f}`);
        assert.is(attempt.status, 'COMPLETE');
        const sum = (k: keyof (typeof s.metrics)[number]): number => s.metrics.reduce((n, m) => n + (m[k] as number), 0);
        assert.is(attempt.numCompleteTasks, s.tasks);
        assert.is(attempt.inputRecords, sum('inputRecords'));
        assert.is(attempt.shuffleWriteBytes, sum('shuffleWriteBytes'));
        assert.is(attempt.shuffleWriteRecords, sum('shuffleWriteRecords'));
        assert.is(attempt.shuffleReadBytes, sum('shuffleReadBytes'));
        assert.is(attempt.shuffleReadRecords, sum('shuffleReadRecords'));
        assert.is(attempt.diskBytesSpilled, sum('spillBytes'));
        assert.is(Object.keys(attempt.tasks).length, s.tasks);
        const tasks = await getJson(base, `/applications/${appId}/stages/${s.id}/0/taskList?length=100`);
        assert.is(tasks.length, s.tasks);
        const byIndex = [...tasks].sort((a: any, b: any) => a.index - b.index);
        s.metrics.forEach((m, i) => {
          const t = byIndex[i];
          assert.is(t.status, 'SUCCESS');
          assert.is(t.taskMetrics.inputMetrics.recordsRead, m.inputRecords);
          assert.is(t.taskMetrics.shuffleWriteMetrics.bytesWritten, m.shuffleWriteBytes);
          assert.is(t.taskMetrics.shuffleReadMetrics.localBytesRead, m.shuffleReadBytes);
          assert.is(t.taskMetrics.executorRunTime, Math.round(m.runMs));
          assert.is(t.executorId === 'driver', workers === 0);
        });
        const summary = await getJson(base, `/applications/${appId}/stages/${s.id}/0/taskSummary?quantiles=0,0.5,1`);
        assert.equal(summary.quantiles, [0, 0.5, 1]);
        const sorted = s.metrics.map((m) => m.shuffleWriteBytes).sort((a, b) => a - b);
        assert.equal(summary.shuffleWriteMetrics.writeBytes, [sorted[0], sorted[Math.min(Math.floor(0.5 * sorted.length), sorted.length - 1)], sorted[sorted.length - 1]]);
        for (const f of ['duration', 'executorRunTime', 'inputMetrics', 'shuffleReadMetrics', 'shuffleWriteMetrics', 'memoryBytesSpilled', 'diskBytesSpilled', 'peakExecutionMemory']) assert.ok(f in summary, `taskSummary has ${f}`);
      }
      const executors = await getJson(base, `/applications/${appId}/executors`);
      assert.is(executors.reduce((n: number, e: any) => n + e.completedTasks, 0), job.numCompletedTasks);
      for (const f of ['id', 'hostPort', 'isActive', 'activeTasks', 'failedTasks', 'completedTasks', 'totalTasks', 'totalDuration', 'totalInputBytes', 'totalShuffleRead', 'totalShuffleWrite', 'addTime']) assert.ok(f in executors[0], `executor has ${f}`);
      const env = await getJson(base, `/applications/${appId}/environment`);
      assert.ok(env.sparkProperties.some(([k, v]: [string, string]) => k === 'kiln.workers' && v === String(workers)));
      assert.equal(await getJson(base, `/applications/${appId}/storage/rdd`), []);
      for (const p of endpoints(appId, stageIds)) live[p] = await getJson(base, p);
      // Unknown things are 404s that say what exists.
      const missing = await fetch(`${base}/api/v1/applications/nope/jobs`);
      assert.is(missing.status, 404);
      assert.match(await missing.text(), /no application nope/);
      assert.is((await fetch(`${base}/api/v1/applications/${appId}/jobs/99`)).status, 404);
      assert.is((await fetch(`${base}/api/v1/applications/${appId}/stages/0/0/taskSummary?quantiles=2`)).status, 400);
    } finally {
      await kiln.stop();
    }
    // History: the same log, served again.
    const history = new HistoryProvider(logDir);
    assert.is(history.refresh(), 1);
    assert.is(readdirSync(logDir).length, 1);
    const server = await UiServer.start(history, { port: 0 });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const apps = await getJson(base, '/applications');
      assert.is(apps[0].id, appId);
      assert.ok(apps[0].attempts[0].completed, 'a stopped application is complete in its log');
      for (const p of endpoints(appId, stageIds)) assert.equal(await getJson(base, p), live[p], `history answers ${p} as the live UI did`);
      // Pages are served under /history/APP_ID/ too.
      assert.is((await fetch(`${base}/history/${appId}/jobs/`)).status, 200);
    } finally {
      await server.close();
    }
  });
}

test('a real spill and a failed job reach the REST answers and the diagnosis box', async () => {
  const kiln = await Kiln.start({ workers: 2, memory: 1, workerMemory: '64m', ui: { port: 0 }, maxAttempts: 1 });
  try {
    const base = kiln.uiUrl!.replace(/\/$/, '');
    const words = Array.from({ length: 5000 }, (_, i) => `w${i % 357}`);
    await kiln.parallelize(words, 4).map((w): [string, number] => [w, 1]).reduceByKey('sum', 2).collect();
    const map = kiln.lastJobMetrics!.stages.find((s) => s.kind === 'shuffleMap')!;
    const spilled = map.metrics.reduce((n, m) => n + m.spillBytes, 0);
    assert.ok(spilled > 0, 'a 1-byte shuffle budget spills');
    const app = (await getJson(base, '/applications'))[0].id;
    const stage = await getJson(base, `/applications/${app}/stages/${map.id}/0`);
    assert.is(stage.diskBytesSpilled, spilled);
    const finding = stage.kilnDiagnosis.find((f: { kind: string }) => f.kind === 'spill');
    assert.ok(finding, 'the stage is diagnosed with spill');
    assert.match(finding.problem, new RegExp(`of ${map.tasks} tasks spilled`));
    assert.match(finding.advice, /now 1 B.*--memory/);
    const job = await getJson(base, `/applications/${app}/jobs/${kiln.lastJobMetrics!.jobId}`);
    assert.ok(job.kilnDiagnosis.some((f: { kind: string; problem: string }) => f.kind === 'spill' && f.problem.startsWith(`stage ${map.id}: `)));
    await rejects(() => kiln.parallelize([1, 2], 2).map((x) => {
      if (x === 2) throw new Error('bad record');
      return x;
    }).collect(), /bad record/);
    const failed = (await getJson(base, `/applications/${app}/jobs?status=failed`)) as { status: string; kilnError: string; numFailedTasks: number; numFailedStages: number }[];
    assert.is(failed.length, 1);
    assert.match(failed[0]!.kilnError, /bad record/);
    assert.is(failed[0]!.numFailedTasks, 1);
    assert.is(failed[0]!.numFailedStages, 1);
    const failedStages = (await getJson(base, `/applications/${app}/stages?status=failed`)) as { failureReason: string; stageId: number }[];
    assert.is(failedStages.length, 1);
    assert.match(failedStages[0]!.failureReason, /bad record/);
    const tasks = (await getJson(base, `/applications/${app}/stages/${failedStages[0]!.stageId}/0/taskList?status=failed`)) as { status: string; index: number; errorMessage: string }[];
    assert.equal(tasks.map((t) => [t.status, t.index]), [['FAILED', 1]]);
    assert.match(tasks[0]!.errorMessage, /bad record/);
  } finally {
    await kiln.stop();
  }
});

test('without its token a server gets 401; with it (header, cookie or ?token=) it answers', async () => {
  const store = new StatusStore();
  const server = await UiServer.start({ list: () => [store], get: (id) => (id === store.id ? store : undefined), history: false }, { port: 0, token: true });
  try {
    assert.ok(server.token && server.token.length >= 32);
    assert.match(server.url, new RegExp(`\\?token=${server.token}$`));
    for (const path of ['/api/v1/applications', '/jobs/', '/static/app.js', '/static/vendor/chart.umd.min.js']) {
      const res = await raw(server.port, path);
      assert.is(res.status, 401, `${path} without token`);
      assert.match(res.body, /needs its token/);
      assert.is((await raw(server.port, path, { Authorization: 'Bearer wrong-token' })).status, 401);
    }
    assert.is((await raw(server.port, '/api/v1/applications', { Authorization: `Bearer ${server.token}` })).status, 200);
    const first = await raw(server.port, `/jobs/?token=${server.token}`);
    assert.is(first.status, 200);
    const cookie = String((first.headers['set-cookie'] as string[])[0]).split(';')[0]!;
    assert.match(cookie, /^kiln_ui_token=/);
    assert.is((await raw(server.port, '/api/v1/applications', { Cookie: cookie })).status, 200);
    assert.is((await raw(server.port, '/api/v1/applications', { Cookie: 'kiln_ui_token=x' })).status, 401);
  } finally {
    await server.close();
  }
});

test('a non-loopback bind cannot drop the token; loopback detection', async () => {
  assert.ok(isLoopback('127.0.0.1') && isLoopback('localhost') && isLoopback('::1') && isLoopback('127.1.2.3'));
  assert.not.ok(isLoopback('0.0.0.0') || isLoopback('::') || isLoopback('192.168.1.10') || isLoopback('127.0.0.1.evil.com'));
  const store = new StatusStore();
  try {
    await UiServer.start({ list: () => [store], get: () => undefined, history: false }, { port: 0, host: '0.0.0.0', token: false });
    assert.unreachable('must refuse');
  } catch (e) {
    assert.instance(e, KilnError);
    assert.match((e as Error).message, /needs its token/);
  }
});

test('read-only, loopback Host only, and no static path climbs out of ui/', async () => {
  const store = new StatusStore();
  const server = await UiServer.start({ list: () => [store], get: (id) => (id === store.id ? store : undefined), history: false }, { port: 0 });
  try {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await raw(server.port, '/api/v1/applications', {}, method);
      assert.is(res.status, 405, method);
      assert.is(res.headers.allow, 'GET, HEAD');
    }
    assert.is((await raw(server.port, '/api/v1/applications', { Host: 'attacker.example:80' })).status, 403);
    assert.is((await raw(server.port, '/api/v1/applications', { Host: `localhost:${server.port}` })).status, 200);
    const ok = await raw(server.port, '/static/app.js');
    assert.is(ok.status, 200);
    const attempts = [
      '/static/../package.json',
      '/static/../../package.json',
      '/static/..%2f..%2fpackage.json',
      '/static/%2e%2e/%2e%2e/package.json',
      '/static/%252e%252e/package.json',
      '/static/..\\..\\package.json',
      '/static//etc/passwd',
      '/static/%2fetc%2fpasswd',
      '/static/pages/../../../engine/driver/ui/server.ts',
      '/static/vendor/../../../package.json',
      '/history/x/../../package.json',
      '/static/.hidden',
      '/static/%00',
    ];
    for (const path of attempts) {
      const res = await raw(server.port, path);
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      assert.not.match(res.body, /"name": "kiln"|root:x:0|createServer/, `${path} leaked a file`);
    }
  } finally {
    await server.close();
  }
});

test.run();
