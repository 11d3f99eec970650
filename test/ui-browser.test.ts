// The web UI in a real browser: headless Chromium (Debian's `chromium`, installed by
// .ci/run) driven by playwright-core. A context with the UI on runs a kernel word
// count and a JS-path word count; every page is opened and its numbers (read from the
// data-value attributes the pages keep next to the formatted text) must equal
// kiln.lastJobMetrics; no page may log a console error or fail a request. Live update:
// a job whose tasks wait for a flag file is opened while its stage runs, the flag is
// written, and the open page must show the stage COMPLETE without a reload. Nothing
// here depends on timing: every wait is for a condition, bounded only as a safety net.
// KILN_UI_SCREENSHOTS=DIR saves a screenshot of each page there (docs/, for the README).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Kiln, type JobMetrics } from '../engine/index.js';
import { HistoryProvider } from '../engine/driver/monitor/history.js';
import { UiServer } from '../engine/driver/ui/server.js';

/** Safety bound of one wait (never expected to be reached). */
const WAIT_MS = 20_000;
const shots = process.env.KILN_UI_SCREENSHOTS;

function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM;
  if (fromEnv) return fromEnv;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // next name
    }
  }
  throw new Error('no Chromium found: install it (apt-get install -y chromium; .ci/run does) or set CHROMIUM=/path/to/chromium');
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-browser-'));
const logDir = join(dir, 'events');
const flag = join(dir, 'release');
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, Array.from({ length: 12000 }, (_, i) => `the quick brown fox ${i % 17} jumps over the lazy dog ${i % 5}`).join('\n') + '\n');

let browser: Browser;
let kiln: Kiln;
let base: string;
const jobs: JobMetrics[] = [];
const problems: string[] = [];

test.before(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  kiln = await Kiln.start({ workers: 2, ui: { port: 0 }, eventLog: logDir, appName: 'browser test' });
  base = kiln.uiUrl!.replace(/\/$/, '');
  // Small splits, so stages have several tasks to compare.
  await kiln.textFile(corpus, { maxPartitionBytes: 160 << 10 }).words().valueCounts().collect();
  jobs.push(kiln.lastJobMetrics!);
  await kiln.textFile(corpus, { maxPartitionBytes: 128 << 10 }).flatMap((l) => l.split(' ')).map((w): [string, number] => [w, 1]).reduceByKey((a, b) => a + b, 2).collect();
  jobs.push(kiln.lastJobMetrics!);
});

test.after(async () => {
  await browser?.close();
  await kiln?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a page and waits until it has rendered from the API. */
async function open(path: string, name?: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${path}: console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${path}: page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${path}: HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(base + path);
  await page.waitForSelector('#live[data-revision]', { state: 'attached', timeout: WAIT_MS });
  if (shots && name) {
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, `ui-${name}.png`), fullPage: true });
  }
  return page;
}

const value = async (page: Page, selector: string): Promise<number> => Number(await page.locator(selector).first().getAttribute('data-value', { timeout: WAIT_MS }));
const values = async (page: Page, selector: string): Promise<number[]> => (await page.locator(selector).evaluateAll((els) => els.map((e) => e.getAttribute('data-value')))).map(Number);
const sum = (ms: JobMetrics['stages'][number]['metrics'], k: 'inputRecords' | 'shuffleWriteBytes' | 'shuffleReadBytes' | 'shuffleWriteRecords'): number => ms.reduce((n, m) => n + m[k], 0);

test('Jobs page: one row per job, task counts equal the metrics', async () => {
  const page = await open('/jobs/', 'jobs');
  assert.is(await value(page, '#job-count'), jobs.length);
  for (const j of jobs) {
    assert.is(await value(page, `tr[data-job="${j.jobId}"] td[data-metric="tasks"]`), j.stages.reduce((n, s) => n + s.tasks, 0));
    assert.is(await page.locator(`tr[data-job="${j.jobId}"] [data-status]`).getAttribute('data-status'), 'SUCCEEDED');
  }
  assert.ok(await page.locator('#jobs-timeline').isVisible());
  await page.close();
});

test('Job page: stage numbers, the DAG and the diagnosis box (JS path named)', async () => {
  const j = jobs[1]!;
  const page = await open(`/jobs/job/?id=${j.jobId}`, 'job');
  assert.is(await value(page, '#job-tasks'), j.stages.reduce((n, s) => n + s.tasks, 0));
  for (const s of j.stages) {
    const row = `#job-stages tr[data-stage="${s.id}"]`;
    assert.is(await value(page, `${row} td[data-metric="inputRecords"]`), sum(s.metrics, 'inputRecords'));
    assert.is(await value(page, `${row} td[data-metric="shuffleWriteBytes"]`), sum(s.metrics, 'shuffleWriteBytes'));
    assert.is(await value(page, `${row} td[data-metric="shuffleReadBytes"]`), sum(s.metrics, 'shuffleReadBytes'));
  }
  assert.ok((await page.locator('#diagnosis li[data-kind="js-path"]').count()) >= 1, 'the JS word split and sum are diagnosed');
  // Cytoscape draws into canvases inside the DAG's box.
  assert.ok((await page.locator('#dag canvas').count()) > 0);
  await page.close();
  const kernelJob = await open(`/jobs/job/?id=${jobs[0]!.jobId}`);
  assert.is(await kernelJob.locator('#diagnosis li[data-kind="js-path"]').count(), 0, 'the kernel path is not flagged');
  await kernelJob.close();
});

test('Stage page: quantiles, task table and timeline equal the task metrics', async () => {
  const j = jobs[1]!;
  const map = j.stages.find((s) => s.kind === 'shuffleMap')!;
  const page = await open(`/stages/stage/?id=${map.id}&attempt=0`, 'stage');
  assert.is(await value(page, '#stage-tasks'), map.tasks);
  const records = map.metrics.map((m) => m.inputRecords).sort((a, b) => a - b);
  const q = await values(page, '#quantiles tr[data-metric="inputRecords"] td[data-value]');
  assert.is(q.length, 5);
  assert.is(q[0], records[0]);
  assert.is(q[4], records[records.length - 1]);
  assert.is(q[2], records[Math.min(Math.floor(0.5 * records.length), records.length - 1)]);
  const writes = map.metrics.map((m) => m.shuffleWriteBytes).sort((a, b) => a - b);
  const qw = await values(page, '#quantiles tr[data-metric="shuffleWriteBytes"] td[data-value]');
  assert.is(qw[4], writes[writes.length - 1]);
  assert.is(await page.locator('#tasks tbody tr[data-task]').count(), map.tasks);
  for (let p = 0; p < map.tasks; p++) {
    const row = `#tasks tr[data-index="${p}"]`;
    assert.is(await value(page, `${row} td[data-metric="inputRecords"]`), map.metrics[p]!.inputRecords);
    assert.is(await value(page, `${row} td[data-metric="shuffleWriteBytes"]`), map.metrics[p]!.shuffleWriteBytes);
    assert.is(await value(page, `${row} td[data-metric="executorRunTime"]`), Math.round(map.metrics[p]!.runMs));
  }
  const peaks = map.metrics.map((m) => m.peakMemoryBytes ?? -1).sort((a, b) => a - b);
  assert.ok(peaks[0]! > 0, 'the kernel word path uses span memory');
  assert.is((await values(page, '#quantiles tr[data-metric="peakExecutionMemory"] td[data-value]'))[4], peaks[peaks.length - 1]);
  assert.ok(await page.locator('#task-timeline').isVisible());
  assert.ok(await page.locator('#diagnosis').isVisible());
  await page.close();
});

test('Stages, Executors, Storage and Environment pages', async () => {
  const all = jobs.flatMap((j) => j.stages);
  const stages = await open('/stages/', 'stages');
  assert.is(await stages.locator('#stages tbody tr[data-stage]').count(), all.length);
  await stages.close();
  const ex = await open('/executors/', 'executors');
  const done = await values(ex, '#executors td[data-metric="completedTasks"]');
  // One row per worker thread that ran a task (at most the two, unless one was replaced).
  assert.ok(done.length >= 1, 'worker threads are listed');
  assert.not.ok(await ex.locator('#executors tr[data-executor="driver"]').count(), 'no task ran inline');
  assert.is(done.reduce((a, b) => a + b, 0), all.reduce((n, s) => n + s.tasks, 0));
  await ex.close();
  const storage = await open('/storage/', 'storage');
  assert.ok(await storage.locator('#storage-empty').isVisible());
  await storage.close();
  const env = await open('/environment/', 'environment');
  assert.is(await env.locator('#properties tr[data-name="kiln.workers"] td').nth(1).textContent(), '2');
  assert.is(await env.locator('#properties tr[data-name="kiln.maxAttempts"] td').nth(1).textContent(), String(kiln.options.maxAttempts));
  await env.close();
});

test('live update: an open stage page shows the running stage finish', async () => {
  const running = kiln
    .parallelize([1, 2], 2)
    .map(
      (x) => {
        const fs = (process as unknown as { getBuiltinModule(n: string): typeof import('node:fs') }).getBuiltinModule('node:fs');
        const nap = new Int32Array(new SharedArrayBuffer(4));
        while (!fs.existsSync(flag)) Atomics.wait(nap, 0, 0, 20);
        return x * 10;
      },
      { flag },
    )
    .collect();
  const page = await open('/jobs/');
  const row = page.locator('#jobs tr[data-job]', { has: page.locator('[data-status="RUNNING"]') });
  await row.first().waitFor({ timeout: WAIT_MS });
  const jobId = Number(await row.first().getAttribute('data-job'));
  await page.goto(`${base}/jobs/job/?id=${jobId}`);
  const stageLink = page.locator('#job-stages tr[data-stage] a').first();
  await stageLink.waitFor({ timeout: WAIT_MS });
  await stageLink.click();
  await page.locator('#stage-status [data-status="ACTIVE"]').waitFor({ timeout: WAIT_MS });
  if (shots) await page.screenshot({ path: join(shots, 'ui-stage-running.png'), fullPage: true });
  writeFileSync(flag, 'go');
  await page.locator('#stage-status [data-status="COMPLETE"]').waitFor({ timeout: WAIT_MS });
  assert.is(await value(page, '#stage-tasks'), 2);
  assert.equal(await running, [10, 20]);
  await page.close();
});

test('the history server shows the same application from its event log', async () => {
  const files = readdirSync(logDir);
  assert.is(files.length, 1);
  assert.ok(existsSync(join(logDir, files[0]!)));
  const history = new HistoryProvider(logDir);
  history.refresh();
  const server = await UiServer.start(history, { port: 0 }, 'kiln history');
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`history: ${e.message}`));
    await page.goto(`http://127.0.0.1:${server.port}/`);
    const link = page.locator('#apps tr[data-app] a').first();
    await link.waitFor({ timeout: WAIT_MS });
    if (shots) await page.screenshot({ path: join(shots, 'ui-history.png'), fullPage: true });
    await link.click();
    await page.waitForSelector('#live[data-revision]', { state: 'attached', timeout: WAIT_MS });
    // The live context is still running: its log is in progress, with the jobs so far.
    assert.ok(Number(await page.locator('#job-count').getAttribute('data-value')) >= jobs.length);
    await page.close();
  } finally {
    await server.close();
  }
});

test('no page logged a console error or warning, or failed a request', () => {
  assert.equal(problems, []);
});

test.run();
