// Cluster transport security over real loopback sockets: the right secret connects and
// is answered; a wrong secret, no secret (plain TLS), plain TCP and a replayed
// connection are all refused inside the TLS handshake — no session opens, no handler
// runs — and every refusal is logged. The replay is the real thing: a tiny TCP proxy
// on 127.0.0.1 records a successful client's bytes, which are then sent again on a
// fresh connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import tls from 'node:tls';
import type http2 from 'node:http2';
import { createClusterServer, connectCluster, listen, postJson } from '../engine/cluster/transport.js';
import { newSecret, parseSecret, readSecret, secretText } from '../engine/cluster/secret.js';
import { KilnError } from '../engine/common/errors.js';

interface Harness {
  server: http2.Http2SecureServer;
  port: number;
  logs: string[];
  sessions: number;
  handled: number;
  close(): Promise<void>;
}

async function harness(secret: Buffer): Promise<Harness> {
  const h = { logs: [] as string[], sessions: 0, handled: 0 } as Harness;
  const open = new Set<http2.ServerHttp2Session>();
  h.server = createClusterServer({
    secret,
    log: (line) => {
      if (process.env.KILN_TEST_VERBOSE) console.log(line);
      h.logs.push(line);
    },
    onSession: (s) => {
      h.sessions++;
      open.add(s);
      s.once('close', () => open.delete(s));
    },
    routes: {
      '/echo': (body) => {
        h.handled++;
        return { echo: body };
      },
    },
  });
  h.port = await listen(h.server, '127.0.0.1', 0);
  h.close = () =>
    new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      h.server.close(() => resolve());
    });
  return h;
}

/** Waits until `cond` holds (bounded: fails the test after 5 s, not a timing assertion). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('the right secret connects, and a request is answered', async () => {
  const secret = newSecret();
  const h = await harness(secret);
  try {
    const session = await connectCluster('127.0.0.1', h.port, secret);
    const reply = await postJson(session, '/echo', { n: 42 }, 5000);
    assert.equal(reply, { echo: { n: 42 } });
    const socket = session.socket as tls.TLSSocket;
    assert.is(socket.getProtocol(), 'TLSv1.2');
    assert.is(socket.getCipher().name, 'ECDHE-PSK-CHACHA20-POLY1305');
    session.close();
    assert.is(h.sessions, 1);
    assert.equal(h.logs, []);
  } finally {
    await h.close();
  }
});

test('a wrong secret is refused in the handshake, logged, and no handler runs', async () => {
  const h = await harness(newSecret());
  try {
    let error: unknown;
    try {
      await connectCluster('127.0.0.1', h.port, newSecret());
    } catch (e) {
      error = e;
    }
    assert.instance(error, KilnError);
    await until(() => h.logs.length > 0, 'the refusal log line');
    assert.match(h.logs[0]!, /refused connection from 127\.0\.0\.1:\d+ in the TLS handshake/);
    assert.is(h.sessions, 0);
    assert.is(h.handled, 0);
  } finally {
    await h.close();
  }
});

test('no secret: plain TLS shares no cipher and is refused; so is plain TCP', async () => {
  const h = await harness(newSecret());
  try {
    const plainTls = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: h.port, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
      s.once('secureConnect', () => resolve('connected'));
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    assert.is.not(plainTls, 'connected');
    // An HTTP/2 preface and a request in the clear: never parsed as HTTP/2.
    await new Promise<void>((resolve) => {
      const s = net.connect(h.port, '127.0.0.1', () => s.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nPOST /echo HTTP/1.1\r\n\r\n'));
      s.on('data', () => {});
      s.once('close', () => resolve());
      s.once('error', () => {});
    });
    await until(() => h.logs.length >= 2, 'two refusal log lines');
    for (const line of h.logs) assert.match(line, /refused connection from 127\.0\.0\.1/);
    assert.is(h.sessions, 0);
    assert.is(h.handled, 0);
  } finally {
    await h.close();
  }
});

test("a replayed connection (a real client's recorded bytes) is refused", async () => {
  const secret = newSecret();
  const h = await harness(secret);
  // The recording proxy: client -> proxy -> server, keeping the client's bytes.
  const recorded: Buffer[] = [];
  let proxied!: Promise<void>;
  const proxy = net.createServer((client) => {
    const upstream = net.connect(h.port, '127.0.0.1');
    proxied = new Promise((resolve) => client.once('close', () => resolve()));
    client.on('data', (chunk: Buffer) => {
      recorded.push(Buffer.from(chunk));
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.once('end', () => upstream.end());
    upstream.once('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const proxyPort = await new Promise<number>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve((proxy.address() as net.AddressInfo).port)));
  try {
    const session = await connectCluster('127.0.0.1', proxyPort, secret);
    assert.equal(await postJson(session, '/echo', 'original', 5000), { echo: 'original' });
    session.close();
    await proxied;
    assert.is(h.handled, 1);
    assert.is(h.sessions, 1);
    const bytes = Buffer.concat(recorded);
    assert.ok(bytes.length > 200, 'the recording holds a handshake and a request');
    // Replay: the same bytes, on a fresh connection to the server itself.
    let answered = 0;
    await new Promise<void>((resolve) => {
      const s = net.connect(h.port, '127.0.0.1', () => s.write(bytes));
      s.on('data', (d: Buffer) => (answered += d.length));
      s.once('close', () => resolve());
      s.once('error', () => {});
    });
    await until(() => h.logs.length > 0, 'the refusal log line');
    assert.match(h.logs[0]!, /refused connection from 127\.0\.0\.1:\d+ in the TLS handshake/);
    assert.ok(answered > 0, 'the server did answer the replayed ClientHello (with a fresh ServerHello)');
    assert.is(h.handled, 1, 'the replayed request never reached a handler');
    assert.is(h.sessions, 1, 'no session opened for the replay');
  } finally {
    proxy.close();
    await h.close();
  }
});

test('secrets: 32 random bytes as hex; a bad one or none is a usage error', () => {
  const s = newSecret();
  assert.is(s.length, 32);
  assert.ok(!s.equals(newSecret()));
  assert.ok(parseSecret(`${secretText(s)}\n`, 'test').equals(s));
  assert.throws(() => parseSecret('abcd', 'test'), /64 hex characters/);
  assert.throws(() => parseSecret('z'.repeat(64), 'test'), /64 hex characters/);
  assert.throws(() => readSecret(undefined, {}), /no secret: pass --secret-file FILE or set KILN_SECRET/);
  assert.throws(() => readSecret('/nonexistent/kiln-secret', {}), /cannot read the secret file \/nonexistent\/kiln-secret/);
  assert.ok(readSecret(undefined, { KILN_SECRET: secretText(s) }).equals(s));
});

test.run();
