// listInputFiles: files, directories (Hadoop's hidden-name rule), globs, sorting,
// deduplication, and each error a user can cause, with its kind and file.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KilnError } from '../engine/common/errors.js';
import { inputError, listInputFiles } from '../engine/common/io/files.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-io-files-'));
const data = join(root, 'data');
mkdirSync(data);
writeFileSync(join(data, 'b.txt'), 'bb\n');
writeFileSync(join(data, 'a.txt'), 'a\n');
writeFileSync(join(data, 'c.log'), 'cccc\n');
writeFileSync(join(data, '_SUCCESS'), '');
writeFileSync(join(data, '.hidden.txt'), 'x\n');
mkdirSync(join(data, 'sub'));
writeFileSync(join(data, 'sub', 'deep.txt'), 'deep\n');
symlinkSync(join(data, 'a.txt'), join(data, 'link.txt'));
mkdirSync(join(root, 'empty'));
mkdirSync(join(root, 'onlyhidden'));
writeFileSync(join(root, 'onlyhidden', '_meta'), 'm');

async function rejects(run: () => Promise<unknown>, kind: string, pattern: RegExp, file?: string): Promise<void> {
  try {
    await run();
  } catch (error) {
    assert.instance(error, KilnError);
    const e = error as KilnError;
    assert.is(e.kind, kind);
    assert.match(e.message, pattern);
    assert.not.match(e.message, /\n/);
    if (file !== undefined) assert.is(e.context.file, file);
    return;
  }
  assert.unreachable('expected a KilnError');
}

test('a single file: absolute path and size', async () => {
  const files = await listInputFiles(join(data, 'b.txt'));
  assert.equal(files, [{ path: join(data, 'b.txt'), size: 3 }]);
});

test('a directory: regular files only, non-recursive, hidden names skipped, sorted', async () => {
  const files = await listInputFiles(data);
  assert.equal(
    files.map((f) => f.path),
    ['a.txt', 'b.txt', 'c.log', 'link.txt'].map((n) => join(data, n)),
  );
  assert.is(files.find((f) => f.path.endsWith('link.txt'))!.size, 2, 'a symlink reads as its target');
});

test('a glob: matches only, hidden names skipped, sorted', async () => {
  const files = await listInputFiles(join(data, '*.txt'));
  assert.equal(files.map((f) => f.path), ['a.txt', 'b.txt', 'link.txt'].map((n) => join(data, n)));
  const deep = await listInputFiles(join(data, '**', '*.txt'));
  assert.ok(deep.some((f) => f.path === join(data, 'sub', 'deep.txt')));
  const underscore = await listInputFiles(join(data, '*'));
  assert.not.ok(underscore.some((f) => f.path.endsWith('_SUCCESS')));
});

test('several patterns: merged, deduplicated and sorted by path', async () => {
  const files = await listInputFiles([join(data, 'c.log'), data, join(data, '*.txt'), join(data, 'a.txt')]);
  assert.equal(files.map((f) => f.path), ['a.txt', 'b.txt', 'c.log', 'link.txt'].map((n) => join(data, n)));
});

test('a hidden file named explicitly is read', async () => {
  const files = await listInputFiles(join(data, '_SUCCESS'));
  assert.equal(files, [{ path: join(data, '_SUCCESS'), size: 0 }]);
});

test('missing path', async () => {
  const missing = join(root, 'nope.txt');
  await rejects(() => listInputFiles(missing), 'input', /^no such file: .*nope\.txt — check the path$/, missing);
  await rejects(() => listInputFiles([data, missing]), 'input', /no such file/, missing);
});

test('a directory with no input files', async () => {
  await rejects(() => listInputFiles(join(root, 'empty')), 'input', /has no input files/, join(root, 'empty'));
  await rejects(() => listInputFiles(join(root, 'onlyhidden')), 'input', /has no input files/);
});

test('a glob matching nothing', async () => {
  const pattern = join(data, '*.parquet');
  await rejects(() => listInputFiles(pattern), 'input', /^no files match .*\*\.parquet/, pattern);
});

test('no patterns at all is a usage error', async () => {
  await rejects(() => listInputFiles([]), 'usage', /no input paths/);
});

test('permission denied names the file and says to check permissions', async () => {
  // Root reads everything, so the real case runs only as another user; the wording is
  // checked on a synthetic EACCES either way.
  const synthetic = inputError(Object.assign(new Error('EACCES'), { code: 'EACCES' }), '/x/secret.txt');
  assert.is(synthetic.kind, 'input');
  assert.is(synthetic.context.file, '/x/secret.txt');
  assert.match(synthetic.message, /permission denied reading \/x\/secret\.txt — check its permissions/);
  if (process.getuid?.() === 0) {
    console.log('  (running as root: the chmod 000 case cannot fail here, checked the synthetic error only)');
    return;
  }
  const secret = join(root, 'secret.txt');
  writeFileSync(secret, 's\n');
  chmodSync(secret, 0);
  await rejects(() => listInputFiles(secret), 'input', /permission denied reading .*secret\.txt/, secret);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
