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
import v8 from 'node:v8';
import { KilnError } from '../common/errors.js';

/** The PSK identity kiln's peers present (the key itself is what authenticates). */
export const PSK_IDENTITY = 'kiln-app';

/** The one cipher offered (see the header). */
export const PSK_CIPHER = 'ECDHE-PSK-CHACHA20-POLY1305';

/** Where refused connections are reported. */
export type ClusterLog = (line: string) => void;

/** Default log: stderr, one line per event. */
export const stderrLog: ClusterLog = (line) => process.stderr.write(`kiln cluster: ${line}\n`);

/**
 * A request handler: the decoded body in, a reply out (or a thrown error: 500). Bodies
 * are JSON, or v8-serialized (structured clone, as a TaskSpec crosses postMessage)
 * when the request's content-type is {@link V8_TYPE}; the reply uses the same codec.
 */
export type JsonHandler = (body: unknown, session: http2.ServerHttp2Session) => unknown | Promise<unknown>;

/** Content type of v8-serialized bodies (task specs and results). */
export const V8_TYPE = 'application/x-kiln-v8';

/** Body codecs. */
export type Codec = 'json' | 'v8';

function encode(value: unknown, codec: Codec): Buffer {
  return codec === 'v8' ? v8.serialize(value) : Buffer.from(JSON.stringify(value ?? null));
}

function decode(bytes: Buffer, codec: Codec): unknown {
  if (bytes.length === 0) return undefined;
  return codec === 'v8' ? v8.deserialize(bytes) : (JSON.parse(bytes.toString('utf8')) as unknown);
}

/** Options of {@link createClusterServer}. */
export interface ClusterServerOptions {
  readonly secret: Buffer;
  /** Handlers by request path ('/register', ...). */
  readonly routes: Readonly<Record<string, JsonHandler>>;
  readonly log?: ClusterLog;
  /** Most bytes of a request body (default {@link MAX_CONTROL_BYTES}). */
  readonly maxBodyBytes?: number;
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
    const codec: Codec = headers['content-type'] === V8_TYPE ? 'v8' : 'json';
    const type = codec === 'v8' ? V8_TYPE : 'application/json';
    readBody(stream, options.maxBodyBytes ?? MAX_CONTROL_BYTES)
      .then((bytes) => handler(decode(bytes, codec), stream.session as http2.ServerHttp2Session))
      .then(
        (reply) => {
          if (stream.destroyed) return;
          stream.respond({ ':status': 200, 'content-type': type });
          stream.end(encode(reply ?? null, codec));
        },
        (error: Error) => {
          if (stream.destroyed) return;
          stream.respond({ ':status': 500, 'content-type': type });
          stream.end(encode({ error: error.message, ...(error instanceof KilnError ? { kind: error.kind } : {}) }, codec));
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
  return post(session, path, body, { timeoutMs, codec: 'json' });
}

/** Options of {@link post}. */
export interface PostOptions {
  /** Reject after this long without the whole reply (undefined: wait as long as the session lives). */
  readonly timeoutMs?: number;
  readonly codec: Codec;
  /** Most bytes of the reply (default {@link MAX_CONTROL_BYTES}); past it the request fails with `tooLarge`'s message. */
  readonly maxReplyBytes?: number;
  readonly tooLarge?: (bytes: number) => string;
  /** Told the reply's size once it is complete. */
  readonly onReplyBytes?: (bytes: number) => void;
}

/** Posts `body` on `session` with `codec` and resolves with the decoded reply; a non-200 reply rejects with its error. */
export function post(session: http2.ClientHttp2Session, path: string, body: unknown, options: PostOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ':method': 'POST', ':path': path, 'content-type': options.codec === 'v8' ? V8_TYPE : 'application/json' });
    } catch (e) {
      reject(e as Error);
      return;
    }
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stream.close(http2.constants.NGHTTP2_CANCEL);
            reject(new KilnError('execution', `no reply to ${path} within ${options.timeoutMs} ms`));
          }, options.timeoutMs);
    let status = 0;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    readBody(stream, options.maxReplyBytes ?? MAX_CONTROL_BYTES, options.tooLarge).then(
      (bytes) => {
        clearTimeout(timer);
        options.onReplyBytes?.(bytes.length);
        const value = decode(bytes, options.codec) ?? null;
        if (status !== 200) {
          const e = value as { error?: string; kind?: string } | null;
          const message = `${path} failed (${status}): ${e?.error ?? String(value)}`;
          reject(e?.kind === 'usage' || e?.kind === 'input' || e?.kind === 'resources' ? new KilnError(e.kind, e.error ?? message) : new KilnError('execution', message));
        } else resolve(value);
      },
      (error: Error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
    stream.end(encode(body ?? null, options.codec));
  });
}

function tlsOptions(): { ciphers: string; minVersion: 'TLSv1.2'; maxVersion: 'TLSv1.2' } {
  return { ciphers: PSK_CIPHER, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };
}

function readBody(stream: http2.Http2Stream, maxBytes: number, tooLarge?: (bytes: number) => string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        const error = new KilnError('resources', tooLarge ? tooLarge(size) : `message larger than ${maxBytes} bytes`);
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(error);
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
    stream.once('close', () => {
      if (!stream.readableEnded) reject(new KilnError('execution', 'the connection closed before the reply was complete'));
    });
  });
}
