// uvu has no async `rejects`: this one awaits `fn` and checks the rejection's message.
import * as assert from 'uvu/assert';

/** Asserts that `fn()` rejects with an error whose message matches `pattern`. */
export async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    assert.instance(e, Error);
    assert.match((e as Error).message, pattern);
    return e as Error;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
  throw new Error('unreachable');
}
