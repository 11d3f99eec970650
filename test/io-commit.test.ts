// OutputCommitter: the output directory appears whole (part files + _SUCCESS) at commit,
// never on abort; an existing directory is refused unless overwriting, and is replaced
// only at commit.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KilnError } from '../engine/common/errors.js';
import { OutputCommitter } from '../engine/executor/io/commit.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-io-commit-'));

test('temp dir is a hidden sibling; part paths are numbered part-00000', async () => {
  const out = join(root, 'out0');
  const c = await OutputCommitter.begin(out);
  assert.is(dirname(c.tempDir), root);
  assert.match(basename(c.tempDir), new RegExp(`^\\.out0\\.kiln-tmp-${process.pid}-[0-9a-f]+$`));
  assert.ok(existsSync(c.tempDir));
  assert.is(c.partPath(0), join(c.tempDir, 'part-00000'));
  assert.is(c.partPath(123), join(c.tempDir, 'part-00123'));
  assert.not.ok(existsSync(out), 'nothing at the target before commit');
  await c.abort();
});

test('commit leaves only the part files and _SUCCESS, and no temp dir', async () => {
  const out = join(root, 'out1');
  const c = await OutputCommitter.begin(out);
  for (let p = 0; p < 3; p++) await writeFile(c.partPath(p), `part ${p}\n`);
  await c.commit();
  assert.equal(readdirSync(out).sort(), ['_SUCCESS', 'part-00000', 'part-00001', 'part-00002']);
  assert.is(readFileSync(join(out, 'part-00001'), 'utf8'), 'part 1\n');
  assert.is(readFileSync(join(out, '_SUCCESS'), 'utf8'), '');
  assert.equal(readdirSync(root).filter((n) => n.includes('kiln-')), [], 'no temp or old dirs left');
});

test('abort leaves nothing', async () => {
  const out = join(root, 'out2');
  const c = await OutputCommitter.begin(out);
  await writeFile(c.partPath(0), 'x\n');
  await c.abort();
  assert.not.ok(existsSync(out));
  assert.not.ok(existsSync(c.tempDir));
  await c.abort(); // twice is harmless
});

test('an existing directory is refused with a usage error naming it', async () => {
  const out = join(root, 'out3');
  mkdirSync(out);
  writeFileSync(join(out, 'keep'), 'old');
  try {
    await OutputCommitter.begin(out);
    assert.unreachable('expected a usage error');
  } catch (error) {
    assert.instance(error, KilnError);
    const e = error as KilnError;
    assert.is(e.kind, 'usage');
    assert.is(e.context.file, out);
    assert.match(e.message, /already exists — pass overwrite: true \(or --overwrite\)/);
  }
  assert.is(readFileSync(join(out, 'keep'), 'utf8'), 'old');
  assert.equal(readdirSync(root).filter((n) => n.startsWith('.out3')), [], 'no temp dir made');
});

test('a target created after begin is still refused at commit', async () => {
  const out = join(root, 'out4');
  const c = await OutputCommitter.begin(out);
  mkdirSync(out);
  try {
    await c.commit();
    assert.unreachable('expected a usage error');
  } catch (error) {
    assert.is((error as KilnError).kind, 'usage');
  }
  await c.abort();
  assert.not.ok(existsSync(c.tempDir));
});

test('overwrite keeps the old directory until commit, then replaces it', async () => {
  const out = join(root, 'out5');
  mkdirSync(out);
  writeFileSync(join(out, 'part-00000'), 'old\n');
  writeFileSync(join(out, 'part-00007'), 'old\n');
  const aborted = await OutputCommitter.begin(out, { overwrite: true });
  await writeFile(aborted.partPath(0), 'new\n');
  await aborted.abort();
  assert.is(readFileSync(join(out, 'part-00000'), 'utf8'), 'old\n', 'an aborted overwrite leaves the old output');
  const c = await OutputCommitter.begin(out, { overwrite: true });
  await writeFile(c.partPath(0), 'new\n');
  assert.is(readFileSync(join(out, 'part-00000'), 'utf8'), 'old\n', 'old output intact before commit');
  await c.commit();
  assert.equal(readdirSync(out).sort(), ['_SUCCESS', 'part-00000']);
  assert.is(readFileSync(join(out, 'part-00000'), 'utf8'), 'new\n');
  assert.equal(readdirSync(root).filter((n) => n.includes('kiln-')), [], 'no temp or old dirs left');
});

test('overwrite of a path that does not exist yet, and missing parents are created', async () => {
  const out = join(root, 'nested', 'deeper', 'out6');
  const c = await OutputCommitter.begin(out, { overwrite: true });
  await writeFile(c.partPath(0), 'a\n');
  await c.commit();
  assert.equal(readdirSync(out).sort(), ['_SUCCESS', 'part-00000']);
});

test('commit twice, or after abort, is a bug report', async () => {
  const c = await OutputCommitter.begin(join(root, 'out7'));
  await c.commit();
  try {
    await c.commit();
    assert.unreachable('expected an internal error');
  } catch (error) {
    assert.is((error as KilnError).kind, 'internal');
  }
  const d = await OutputCommitter.begin(join(root, 'out8'));
  await d.abort();
  try {
    await d.commit();
    assert.unreachable('expected an internal error');
  } catch (error) {
    assert.is((error as KilnError).kind, 'internal');
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
