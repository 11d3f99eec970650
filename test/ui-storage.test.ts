// The Storage REST answer (/api/v1/applications/ID/storage/rdd) and page: persisted
// datasets with Spark's RDDStorageInfo field names, their figures equal to
// kiln.lastJobMetrics.storage, only datasets with a stored partition listed, an
// unpersisted one gone, and the history server answering as the live UI did.
// Workers 0, 1 and 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kiln } from '../engine/index.js';
import { HistoryProvider } from '../engine/driver/monitor/index.js';
import { UiServer } from '../engine/driver/ui/server.js';
import { randInt, rng } from './support/random.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-ui-storage-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function getJson(base: string, path: string): Promise<any> {
  const res = await fetch(`${base}/api/v1${path}`);
  assert.is(res.status, 200, `GET ${path}`);
  return res.json();
}

/** Spark's StorageLevel.description for a kiln level. */
function description(useDisk: boolean, useMemory: boolean, replication: number, deserialized: boolean): string {
  return `${useDisk ? 'Disk ' : ''}${useMemory ? 'Memory ' : ''}${deserialized ? 'Deserialized' : 'Serialized'} ${replication}x Replicated`;
}

for (const workers of [0, 1, 2]) {
  test(`workers ${workers}: /storage/rdd lists persisted datasets with Spark's fields and the job's figures`, async () => {
    const logDir = mkdtempSync(join(dir, `w${workers}-`));
    const kiln = await Kiln.start({ workers, ui: { port: 0 }, eventLog: logDir, memory: '64m' });
    const r = rng(workers + 3);
    const xs = Array.from({ length: 4000 }, () => `w${randInt(r, 100)}`);
    let appId = '';
    let live: unknown;
    try {
      const base = kiln.uiUrl!.replace(/\/$/, '');
      appId = (await getJson(base, '/applications'))[0].id;
      const inMemory = kiln.parallelize(xs, 4).map((w) => [w, w.length] as [string, number]).setName('pairs').persist('MEMORY_ONLY_2');
      const onDisk = inMemory.map(([w]) => w).persist('DISK_ONLY');
      const notRun = kiln.parallelize(xs, 2).cache();
      assert.equal(await getJson(base, `/applications/${appId}/storage/rdd`), [], 'nothing is stored before an action');
      assert.is(await onDisk.count(), xs.length);
      const figures = kiln.lastJobMetrics!.storage!;
      const rdds = await getJson(base, `/applications/${appId}/storage/rdd`);
      assert.equal(rdds.map((x: any) => x.id), [inMemory.id, onDisk.id], 'datasets with a stored partition, by id (not the one no action reached)');
      for (const [ds, level] of [[inMemory, { disk: false, memory: true, replication: 2, deserialized: true }], [onDisk, { disk: true, memory: false, replication: 1, deserialized: false }]] as const) {
        const row = rdds.find((x: any) => x.id === ds.id);
        const f = figures.find((x) => x.datasetId === ds.id)!;
        assert.equal(Object.keys(row).sort(), ['diskUsed', 'id', 'memoryUsed', 'name', 'numCachedPartitions', 'numPartitions', 'storageLevel']);
        assert.is(row.numPartitions, ds.getNumPartitions());
        assert.is(row.numCachedPartitions, f.cachedPartitions);
        assert.is(row.memoryUsed, f.memoryBytes);
        assert.is(row.diskUsed, f.diskBytes);
        assert.is(row.storageLevel, description(level.disk, level.memory, level.replication, level.deserialized));
      }
      assert.is(rdds[0].name, 'pairs', 'setName is the RDD name');
      assert.ok(rdds[0].memoryUsed > 0 && rdds[0].diskUsed === 0);
      assert.ok(rdds[1].diskUsed > 0 && rdds[1].memoryUsed === 0);
      // The page renders the same rows.
      const { storagePage } = await import(new URL('../../ui/pages/storage.js', import.meta.url).href);
      const html: string = await storagePage.html({ base: `${base}/api/v1/applications/${appId}`, get: (u: string) => fetch(u).then((res) => res.json()) });
      assert.ok(html.includes('>pairs<') && !html.includes('storage-empty'));
      onDisk.unpersist();
      assert.equal((await getJson(base, `/applications/${appId}/storage/rdd`)).map((x: any) => x.id), [inMemory.id], 'an unpersisted dataset is gone');
      live = await getJson(base, `/applications/${appId}/storage/rdd`);
      void notRun;
    } finally {
      await kiln.stop();
    }
    const history = new HistoryProvider(logDir);
    assert.is(history.refresh(), 1);
    const server = await UiServer.start(history, { port: 0 });
    try {
      assert.equal(await getJson(`http://127.0.0.1:${server.port}`, `/applications/${appId}/storage/rdd`), live, 'history answers as the live UI did');
    } finally {
      await server.close();
    }
  });
}

test.run();
