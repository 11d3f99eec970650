// Shipping user functions: closures are rejected naming the variable, globals and
// captures pass, every function form revives and computes what the original does,
// broadcasts resolve through a resolver in "workers" and directly on the driver.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shipFunction, broadcastIds, type ShippedFunction } from '../engine/common/functions/shipped.js';
import { reviveFunction, forgetBroadcast } from '../engine/common/functions/revive.js';
import { Broadcast, isBroadcastHandle, lookupBroadcast, onBroadcastRelease, type BroadcastHandle } from '../engine/common/functions/broadcast.js';
import { KilnError } from '../engine/common/errors.js';
import { rng, randInt } from './support/random.js';

function usageError(f: () => unknown, ...fragments: (string | RegExp)[]): KilnError {
  try {
    f();
  } catch (e) {
    assert.instance(e, KilnError);
    const err = e as KilnError;
    assert.is(err.kind, 'usage', err.message);
    for (const frag of fragments) assert.match(err.message, frag);
    return err;
  }
  assert.unreachable('expected a usage error');
  throw new Error('unreachable');
}

/** What a worker receives: the shipped function after structured clone. */
const overThreads = (s: ShippedFunction): ShippedFunction => structuredClone(s);

test('a closure over a local variable is rejected, naming operator and variable', () => {
  const factor = 3;
  const err = usageError(() => shipFunction((x: number) => x * factor, 'map'), '"factor"', 'map');
  assert.is(
    err.message,
    'the function passed to map uses "factor" from its enclosing scope; functions run in worker threads and cannot see it. Pass it explicitly: .map(fn, { factor }), or share large data with kiln.broadcast(value)',
  );
  assert.is(err.context.operator, 'map');
  const offset = 1;
  usageError(() => shipFunction((x: number) => x * factor + offset, 'flatMap'), '"factor" and "offset"', '.flatMap(fn, { factor, offset })');
});

test('worker globals are allowed; an undeclared global and a driver-only global are not', () => {
  const fn = (x: number) => [Math.max(x, 1), JSON.stringify(x), typeof console, Buffer.from('a').length, new TextEncoder().encode('é').length, structuredClone([x]), Number.isNaN(x), new URL('http://a/').host, undefined, NaN];
  const shipped = shipFunction(fn, 'map');
  assert.equal(reviveFunction<typeof fn>(overThreads(shipped))(5), fn(5));
  // @ts-expect-error: deliberately undeclared
  usageError(() => shipFunction((x: number) => x + notDefinedAnywhere, 'filter'), '"notDefinedAnywhere"', 'filter');
  (globalThis as Record<string, unknown>).kilnTestDriverGlobal = 1;
  try {
    // @ts-expect-error: a global only the driver has
    usageError(() => shipFunction(() => kilnTestDriverGlobal, 'map'), '"kilnTestDriverGlobal" as a global of the driver thread');
  } finally {
    delete (globalThis as Record<string, unknown>).kilnTestDriverGlobal;
  }
});

test('captures make a closure pass and revive with their values', () => {
  const factor = 3;
  const table = new Map([['a', 1]]);
  const fn = (x: string) => (table.get(x) ?? 0) * factor;
  const shipped = shipFunction(fn, 'map', { factor, table, unused: [1, 2] });
  assert.equal(Object.keys(shipped.captures!), ['factor', 'table', 'unused']);
  const revived = reviveFunction<typeof fn>(overThreads(shipped));
  assert.is(revived('a'), 3);
  assert.is(revived('b'), 0);
  assert.is(reviveFunction(shipped), reviveFunction(shipped), 'cached per captures object');
});

test('bad captures are rejected naming the capture', () => {
  const helper = (x: number) => x;
  usageError(() => shipFunction((x: number) => helper(x), 'map', { helper }), 'capture "helper"', 'is a function');
  const sym = Symbol('s');
  usageError(() => shipFunction(() => sym, 'map', { sym }), 'capture "sym"');
  const obj = { nested: { f() {} } };
  usageError(() => shipFunction(() => obj, 'map', { obj }), 'capture "obj"', 'structured-cloneable');
  usageError(() => shipFunction(() => 1, 'map', { 'not-a-name': 1 }), 'capture name "not-a-name"');
  usageError(() => shipFunction(() => 1, 'map', { eval: 1 }), 'capture name "eval"');
  usageError(() => shipFunction(() => 1, 'map', [1] as unknown as Record<string, unknown>), 'must be an object');
});

test('function forms: function expressions, async, generators, methods, class methods, getters', async () => {
  const obj = {
    double(x: number) {
      return x * 2;
    },
    async later(x: number) {
      return x + 1;
    },
    *twice(x: number) {
      yield x;
      yield x;
    },
    async *stream(x: number) {
      yield x;
    },
    ['com' + 'puted'](x: number) {
      return x - 1;
    },
    get answer() {
      return 42;
    },
  };
  class Scaler {
    scale(x: number) {
      return x * 10;
    }
    static shift(x: number) {
      return x + 100;
    }
    #secret(x: number) {
      return -x;
    }
    secretRef() {
      return this.#secret;
    }
  }
  const revive = <F extends Function>(f: F, op = 'map') => reviveFunction<F>(overThreads(shipFunction(f, op)));
  assert.is(revive(obj.double)(4), 8);
  assert.is(await revive(obj.later)(4), 5);
  assert.equal([...revive(obj.twice)(7)], [7, 7]);
  const got: number[] = [];
  for await (const v of revive(obj.stream)(3)) got.push(v);
  assert.equal(got, [3]);
  assert.is(revive((obj as unknown as Record<string, (x: number) => number>).computed!)(4), 3);
  assert.is(revive(Object.getOwnPropertyDescriptor(obj, 'answer')!.get!)(), 42);
  assert.is(revive(Scaler.prototype.scale)(2), 20);
  assert.is(revive(Scaler.shift)(2), 102);
  assert.is(revive(new Scaler().secretRef())(5), -5);
  assert.is(revive(function named(x: number) {
    return x + 1;
  })(1), 2);
  assert.is(revive(async function* () {}).constructor.name, 'AsyncGeneratorFunction');
});

test('parameters: defaults referencing other params, destructuring, rest; nested functions with locals', () => {
  const f1 = (a: number, b = a * 2, { c = b + 1, d: [e] = [a] }: { c?: number; d?: number[] } = {}, ...rest: number[]) => a + b + c + e + rest.length;
  const f2 = (xs: number[]) => {
    const local = 10;
    function inner(y: number): number {
      const deeper = (z: number) => z + local;
      return deeper(y) * 2;
    }
    class Acc {
      total = 0;
      add(v: number) {
        this.total += v;
        return this;
      }
    }
    const C = class Named {
      static make() {
        return new Named();
      }
    };
    try {
      JSON.parse('{');
    } catch (err) {
      void err;
    }
    label: for (const x of xs) {
      if (x < 0) break label;
    }
    return [xs.map(inner).reduce((s, v) => new Acc().add(s).add(v).total, 0), C.make() instanceof C];
  };
  const r = rng(1);
  const g1 = reviveFunction<typeof f1>(overThreads(shipFunction(f1, 'map')));
  const g2 = reviveFunction<typeof f2>(overThreads(shipFunction(f2, 'mapPartitions')));
  for (let i = 0; i < 200; i++) {
    const a = randInt(r, 100) - 50;
    const xs = Array.from({ length: randInt(r, 8) }, () => randInt(r, 1000) - 500);
    assert.is(g1(a), f1(a));
    assert.is(g1(a, 3, { c: 1, d: [a + 1] }, 1, 2), f1(a, 3, { c: 1, d: [a + 1] }, 1, 2));
    assert.equal(g2(xs), f2(xs));
  }
});

test('`this`, `super` and an arrow\'s outer `arguments` are rejected; own `arguments` is fine', () => {
  const o = {
    base: 2,
    scaled(x: number) {
      return x * this.base;
    },
  };
  usageError(() => shipFunction(o.scaled, 'map'), '`this`', 'without a receiver');
  usageError(() => shipFunction(function (this: unknown) {
    return this;
  }, 'map'), '`this`');
  class B {
    m() {
      return 1;
    }
  }
  class D extends B {
    override m() {
      return super.m() + 1;
    }
  }
  usageError(() => shipFunction(D.prototype.m, 'map'), '`super`');
  function outer() {
    return () => arguments.length;
  }
  usageError(() => shipFunction(outer(), 'map'), '`arguments`', 'rest parameters');
  const own = function () {
    // eslint-disable-next-line prefer-rest-params
    return arguments.length + [1].map(function (this: unknown) {
      return this === undefined ? 0 : 1;
    }).length;
  };
  assert.is(reviveFunction<typeof own>(shipFunction(own, 'map'))(), 1);
  const props = (x: { arguments: number; this: number }) => ({ arguments: x.arguments });
  assert.equal(reviveFunction<typeof props>(shipFunction(props, 'map'))({ arguments: 3, this: 1 }), { arguments: 3 });
});

test('native, bound functions and classes are rejected', () => {
  usageError(() => shipFunction(Math.max, 'map'), 'cannot ship a native or bound function');
  usageError(() => shipFunction(((x: number) => x).bind(null), 'map'), 'cannot ship a native or bound function');
  usageError(() => shipFunction(class {}, 'map'), 'cannot ship a class');
  usageError(() => shipFunction(42 as unknown as Function, 'map'), 'expects a function');
});

test('__name (tsx/esbuild helper) is allowed and is the identity in workers', () => {
  const source = '(x) => { const helper = __name((y) => y + 1, "helper"); return helper(x); }';
  const fn = new Function(`return ${source}`)() as (x: number) => number;
  const shipped = shipFunction(fn, 'map');
  assert.is(reviveFunction<typeof fn>(overThreads(shipped))(1), 2);
});

test('revived functions compute what the originals do on random input', () => {
  const fns: ((x: number, s: string) => unknown)[] = [
    (x, s) => s.split('').reverse().join('') + (x % 7),
    (x) => Math.round(Math.sin(x) * 1e6),
    (x, s) => ({ len: s.length, hex: (x >>> 0).toString(16), even: x % 2 === 0 }),
    function (x, s) {
      let h = 0;
      for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) + x;
      return h >>> 0;
    },
  ];
  const r = rng(9);
  for (const fn of fns) {
    const revived = reviveFunction<typeof fn>(overThreads(shipFunction(fn, 'map')));
    for (let i = 0; i < 100; i++) {
      const x = randInt(r, 1e6) - 5e5;
      const s = Array.from({ length: randInt(r, 10) }, () => String.fromCharCode(97 + randInt(r, 26))).join('');
      assert.equal(revived(x, s), fn(x, s));
    }
  }
});

test('broadcast: ships as a handle, resolves once per worker, reads the same on the driver', () => {
  const table = new Broadcast({ a: 1, b: 2 });
  const fn = (x: 'a' | 'b') => table.value[x] * 10;
  const shipped = shipFunction(fn, 'map', { table });
  assert.equal(broadcastIds(shipped), [table.id]);
  assert.equal(JSON.parse(JSON.stringify(table)), { __kilnBroadcast: table.id });
  const wire = overThreads(shipped);
  assert.ok(isBroadcastHandle(wire.captures!.table));
  assert.equal(Object.keys(wire.captures!.table as object), ['__kilnBroadcast'], 'no value crosses threads');

  // "Worker": a fake resolver backed by the driver registry.
  const asked: number[] = [];
  const resolver = (h: BroadcastHandle) => {
    asked.push(h.__kilnBroadcast);
    return structuredClone(lookupBroadcast(h.__kilnBroadcast)!.value);
  };
  const inWorker = reviveFunction<typeof fn>(wire, resolver);
  assert.is(inWorker('a'), 10);
  assert.is(inWorker('b'), 20);
  const again = reviveFunction<typeof fn>(overThreads(shipped), resolver);
  assert.is(again('b'), 20);
  assert.equal(asked, [table.id], 'resolved once per worker');
  forgetBroadcast(table.id);
  assert.is(reviveFunction<typeof fn>(overThreads(shipped), resolver)('a'), 10);
  assert.equal(asked, [table.id, table.id], 'resolved again after forget');

  // Driver: the Broadcast itself is in the captures, no resolver needed.
  assert.is(reviveFunction<typeof fn>(shipped)('a'), 10);
  assert.is(fn('a'), 10);
  // A worker without a resolver is a kiln bug, not a user error.
  forgetBroadcast(table.id);
  try {
    reviveFunction(overThreads(shipped));
    assert.unreachable('should throw');
  } catch (e) {
    assert.is((e as KilnError).kind, 'internal');
  }
});

test('broadcast: unpersist notifies and keeps the value; destroy makes later use a usage error', () => {
  const events: string[] = [];
  const off = onBroadcastRelease((id, reason) => events.push(`${id}:${reason}`));
  const b = new Broadcast([1, 2, 3]);
  b.unpersist();
  assert.equal(b.value, [1, 2, 3]);
  const shipped = shipFunction(() => b.value.length, 'map', { b });
  b.destroy();
  b.destroy();
  off();
  assert.equal(events, [`${b.id}:unpersist`, `${b.id}:destroy`]);
  assert.is(lookupBroadcast(b.id), undefined);
  usageError(() => b.value, 'was destroyed');
  usageError(() => shipFunction(() => b.value.length, 'map', { b }), 'captured as "b"', 'was destroyed');
  usageError(() => reviveFunction(shipped), 'was destroyed');
});

test('validation is cached per source; captures are checked per call', () => {
  const make = (k: number) => (x: number) => x + k;
  usageError(() => shipFunction(make(1), 'map'), '"k"');
  assert.is(reviveFunction<(x: number) => number>(shipFunction(make(2), 'map', { k: 5 }))(1), 6);
  usageError(() => shipFunction(make(3), 'map'), '"k"');
});

test.run();
