// The cluster transport: HTTP/2 (node:http2) over TLS with a pre-shared key. Policy:
// every driver<->executor and executor<->executor connection is TLS 1.2 with the
// cipher ECDHE-PSK-CHACHA20-POLY1305 keyed by the application's secret, and nothing
// else is offered. So:
// - a peer without the secret cannot finish the handshake: the PSK feeds the key
//   schedule, and a wrong key fails the Finished check (bad record mac); a peer
//   offering no PSK (plain TLS, or plain TCP) shares no cipher with us. Either way the
//   connection ends inside the TLS handshake, before HTTP/2 reads one frame, and the
//   server logs it (tlsClientError);
// - a replayed connection fails too: each handshake mixes the server's fresh 32-byte
//   random and a fresh ephemeral ECDHE key share into the session keys, so a client's
//   recorded bytes (its ClientKeyExchange and Finished) verify against keys from a
//   handshake that no longer exists; the server's Finished check fails and it aborts
//   the handshake. Captured application data cannot be replayed either: it is sealed
//   under the old connection's keys. (test/cluster-transport.test.ts replays bytes.)
// - ECDHE gives forward secrecy: the secret leaking later does not decrypt recorded
//   traffic.
// Why TLS 1.2 and not 1.3: node 20 accepts PSK on both (measured), but the 1.2 cipher
// name pins the ECDHE-PSK key exchange, where 1.3's psk_ke vs psk_dhe_ke mode is not
// settable from node. No certificates are needed, so nothing is generated per app.
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { KilnError } from '../errors.js';

/** The PSK identity kiln's peers present (the key itself is what authenticates). */
export const PSK_IDENTITY = 'kiln-app';

/** The one cipher offered (see the header). */
export const PSK_CIPHER = 'ECDHE-PSK-CHACHA20-POLY1305';

/** Where refused connections are reported. */
export type ClusterLog = (line: string) => void;

/** Default log: stderr, one line per event. */
export const stderrLog: ClusterLog = (line) => process.stderr.write(`kiln cluster: ${line}\n`);

/** A JSON request handler: the parsed body in, a JSON-able reply out (or a thrown error: 500). */
export type JsonHandler = (body: unknown, session: http2.ServerHttp2Session) => unknown | Promise<unknown>;

/** Options of {@link createClusterServer}. */
export interface ClusterServerOptions {
  readonly secret: Buffer;
  /** Handlers by request path ('/register', ...). */
  readonly routes: Readonly<Record<string, JsonHandler>>;
  readonly log?: ClusterLog;
  /** Called with every authenticated session (after the TLS handshake succeeded). */
  readonly onSession?: (session: http2.ServerHttp2Session) => void;
}

/** Most bytes of a control message body (task specs and block data will use their own streams). */
export const MAX_CONTROL_BYTES = 64 << 20;

/** An HTTP/2 server that only completes handshakes with peers that hold `secret`. */
export function createClusterServer(options: ClusterServerOptions): http2.Http2SecureServer {
  const log = options.log ?? stderrLog;
  const server = http2.createSecureServer({
    ...tlsOptions(),
    pskCallback: (socket: TLSSocket, identity: string) => (identity === PSK_IDENTITY ? options.secret : null),
    pskIdentityHint: PSK_IDENTITY,
  });
  // The handshake failed: wrong key, no PSK, not TLS at all, or a replay. No frame was read.
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    log(`refused connection from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'} in the TLS handshake (${error.code ?? error.message})`);
  });
  server.on('session', (session) => options.onSession?.(session));
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path'] ?? '');
    const handler = options.routes[path];
    if (!handler) {
      stream.respond({ ':status': 404 });
      stream.end();
      return;
    }
    readBody(stream)
      .then((text) => handler(text === '' ? undefined : JSON.parse(text), stream.session as http2.ServerHttp2Session))
      .then(
        (reply) => {
          if (stream.destroyed) return;
          stream.respond({ ':status': 200, 'content-type': 'application/json' });
          stream.end(JSON.stringify(reply ?? null));
        },
        (error: Error) => {
          if (stream.destroyed) return;
          stream.respond({ ':status': 500, 'content-type': 'application/json' });
          stream.end(JSON.stringify({ error: error.message }));
        },
      );
  });
  return server;
}

/** Listens on host:port (port 0: any free one) and resolves with the bound port. */
export function listen(server: http2.Http2SecureServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Opens an authenticated session to host:port; rejects if the handshake fails. */
export function connectCluster(host: string, port: number, secret: Buffer): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://${host.includes(':') ? `[${host}]` : host}:${port}`, {
      ...tlsOptions(),
      // No certificates: the PSK is the server's proof of identity.
      checkServerIdentity: () => undefined,
      pskCallback: () => ({ psk: secret, identity: PSK_IDENTITY }),
    });
    const fail = (error: Error): void => {
      session.destroy();
      reject(new KilnError('execution', `cannot connect to the kiln driver or executor at ${host}:${port}: ${error.message}`, undefined, { cause: error }));
    };
    session.once('error', fail);
    session.once('connect', () => {
      session.off('error', fail);
      resolve(session);
    });
  });
}

/** Posts a JSON body on `session` and resolves with the JSON reply; rejects on a non-200 status or after `timeoutMs`. */
export function postJson(session: http2.ClientHttp2Session, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
    } catch (e) {
      reject(e as Error);
      return;
    }
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new KilnError('execution', `no reply to ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    let status = 0;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    readBody(stream).then(
      (text) => {
        clearTimeout(timer);
        const value = text === '' ? null : (JSON.parse(text) as unknown);
        if (status !== 200) reject(new KilnError('execution', `${path} failed (${status}): ${(value as { error?: string } | null)?.error ?? text}`));
        else resolve(value);
      },
      (error: Error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
    stream.end(JSON.stringify(body ?? null));
  });
}

function tlsOptions(): { ciphers: string; minVersion: 'TLSv1.2'; maxVersion: 'TLSv1.2' } {
  return { ciphers: PSK_CIPHER, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };
}

function readBody(stream: http2.Http2Stream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_CONTROL_BYTES) {
        stream.destroy(new Error(`control message larger than ${MAX_CONTROL_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
    stream.once('close', () => {
      if (!stream.readableEnded) reject(new Error('stream closed before its end'));
    });
  });
}
