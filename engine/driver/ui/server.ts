// The monitoring web server: Spark's REST API under /api/v1 and the UI's pages.
// Policy (safe by default, unlike Spark's UI on 0.0.0.0 without authentication):
// - binds 127.0.0.1 unless told otherwise; on a loopback bind the Host header must
//   name a loopback address (a DNS-rebinding page cannot read the API);
// - any other bind gets a random token, printed in the URL: every request must carry
//   it (`Authorization: Bearer`, the cookie set from `?token=`, or `?token=`), else 401;
// - read-only: GET and HEAD only (405 otherwise), and nothing in it runs code;
// - static files come from a list made at start (sirv in production mode serves only
//   the files it listed), so no path, encoded or not, reaches outside ui/.
// Built on node:http with find-my-way (fastify's router) and sirv: fastify itself
// now depends on packages that need Node 22 (cookie 2, content-disposition 3), and a
// read-only JSON API plus static files needs no more than a router.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { KilnError } from '../../common/errors.js';
import { restRoutes, type AppSource } from './rest.js';

/** Where and how to listen. */
export interface UiOptions {
  /** Default 4040 (Spark's), trying the next 16 ports if taken; 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. Anything but a loopback address requires the token. */
  host?: string;
  /**
   * Require the token on a loopback bind too (default: only off loopback) — for a
   * machine shared with other users, who can all reach 127.0.0.1. Off loopback it
   * cannot be turned off.
   */
  token?: boolean;
}

/** Spark's spark.port.maxRetries. */
const PORT_RETRIES = 16;

/** The page paths (Spark's), all served by the one page that routes in the browser. */
const PAGES = ['/jobs/', '/jobs/job/', '/stages/', '/stages/stage/', '/executors/', '/storage/', '/environment/'];

const COOKIE = 'kiln_ui_token';

/** A running UI server. */
export class UiServer {
  private constructor(
    private readonly server: Server,
    /** The URL to open (with the token when there is one). */
    readonly url: string,
    /** The token, when the bind is not loopback. */
    readonly token: string | undefined,
  ) {}

  /** Starts serving `apps`. `title` names the server in pages ("kiln" or "kiln history"). */
  static async start(apps: AppSource, options: UiOptions = {}, title = 'kiln'): Promise<UiServer> {
    const host = options.host ?? '127.0.0.1';
    const loopback = isLoopback(host);
    if (!loopback && options.token === false) throw new KilnError('usage', `the UI on ${host} needs its token: only a loopback bind (127.0.0.1, localhost, ::1) may run without one`);
    const token = options.token === true || !loopback ? randomBytes(24).toString('base64url') : undefined;
    const handler = requestHandler(apps, { token, loopback, title });
    const server = createServer(handler);
    server.keepAliveTimeout = 5000;
    const fixed = options.port !== undefined;
    const first = options.port ?? 4040;
    let port = first;
    for (let i = 0; ; i++) {
      try {
        await listen(server, port, host);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' && !fixed && i < PORT_RETRIES) {
          port++;
          continue;
        }
        const what = code === 'EADDRINUSE' ? `port ${port} is in use; pick another with { ui: { port } } (--ui-port)` : (e as Error).message;
        throw new KilnError('usage', `cannot start the UI on ${host}:${port}: ${what}`, {}, { cause: e });
      }
    }
    const bound = (server.address() as AddressInfo).port;
    // A wildcard bind is reached by the machine's name from elsewhere.
    const shown = host === '0.0.0.0' || host === '::' ? hostname() : host.includes(':') ? `[${host}]` : host;
    const url = `http://${shown}:${bound}/${token ? `?token=${token}` : ''}`;
    return new UiServer(server, url, token);
  }

  /** The bound port. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and closes idle connections. */
  async close(): Promise<void> {
    await new Promise<void>((done) => {
      this.server.close(() => done());
      this.server.closeIdleConnections();
      // Long polls do not exist here; a client mid-request gets its answer first.
      setTimeout(() => this.server.closeAllConnections(), 1000).unref();
    });
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Whether `host` is a loopback address (or name). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

interface Policy {
  readonly token: string | undefined;
  readonly loopback: boolean;
  readonly title: string;
}

function requestHandler(apps: AppSource, policy: Policy): (req: IncomingMessage, res: ServerResponse) => void {
  const uiDir = uiDirectory();
  const sirv = createRequire(import.meta.url)('sirv') as typeof import('sirv').default;
  const statics = sirv(uiDir, { dev: false, etag: true, dotfiles: false });
  const vendor = vendorFiles();
  const indexHtml = readFileSync(join(uiDir, 'index.html'), 'utf8').replace('{{TITLE}}', policy.title);
  const router = createRequire(import.meta.url)('find-my-way')({ ignoreTrailingSlash: false, ignoreDuplicateSlashes: false }) as import('find-my-way').Instance<import('find-my-way').HTTPVersion.V1>;
  restRoutes(router, apps);
  const page = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(indexHtml);
  };
  router.on('GET', '/', (req, res) => {
    // The history server lists applications on its index; a live UI opens its jobs.
    if (apps.history) page(req, res);
    else redirect(res, '/jobs/');
  });
  for (const p of PAGES) {
    router.on('GET', p, page);
    router.on('GET', `/history/:appId${p}`, page);
    router.on('GET', p.slice(0, -1), (_req, res) => redirect(res, p));
  }
  for (const [name, body] of vendor) {
    router.on('GET', `/static/vendor/${name}`, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=3600' });
      res.end(body);
    });
  }
  router.on('GET', '/static/*', (req, res) => {
    req.url = req.url!.slice('/static'.length);
    statics(req, res, () => notFound(res));
  });

  return (req, res) => {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://x');
    if (policy.loopback && !loopbackHost(req.headers.host)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('403: this kiln UI answers only requests addressed to a loopback host (127.0.0.1 or localhost)\n');
      return;
    }
    if (policy.token !== undefined) {
      const given = tokenOf(req, url);
      if (given === undefined || !same(given, policy.token)) {
        res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="kiln"' });
        res.end('401: this kiln UI needs its token; open the URL kiln printed (it ends in ?token=...) or send "Authorization: Bearer TOKEN"\n');
        return;
      }
      if (url.searchParams.get('token') === policy.token) {
        res.setHeader('Set-Cookie', `${COOKIE}=${policy.token}; HttpOnly; SameSite=Strict; Path=/`);
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('405: the kiln UI and REST API are read-only\n');
      return;
    }
    const found = router.find('GET', url.pathname);
    if (!found) {
      notFound(res);
      return;
    }
    try {
      found.handler(req, res, found.params, found.store, Object.fromEntries(url.searchParams));
    } catch (e) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`500: ${(e as Error).message}\n`);
    }
  };
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Scripts only from this server; the charts and the DAG set inline styles.
  res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'");
  // The token may be in the page's URL: never send it elsewhere.
  res.setHeader('Referrer-Policy', 'no-referrer');
}

function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookie = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
  if (cookie) return cookie.slice(COOKIE.length + 1);
  return url.searchParams.get('token') ?? undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function loopbackHost(header: string | undefined): boolean {
  if (!header) return false;
  const host = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.split(':')[0]!;
  return isLoopback(host);
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(302, { Location: to });
  res.end();
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('404: no such page\n');
}

/** The ui/ folder of the package (pages, scripts, styles). */
function uiDirectory(): string {
  // dist/engine/driver/ui/server.js and engine/driver/ui/server.ts are both four levels below the root.
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []), 'ui');
}

/** The chart and graph libraries, read from their npm packages once (no front-end build). */
function vendorFiles(): Map<string, Buffer> {
  const require = createRequire(import.meta.url);
  // Both packages' main file is in their dist/, next to the browser build.
  const file = (pkg: string, name: string): Buffer => readFileSync(join(dirname(require.resolve(pkg)), name));
  return new Map([
    ['chart.umd.min.js', file('chart.js', 'chart.umd.min.js')],
    ['cytoscape.min.js', file('cytoscape', 'cytoscape.min.js')],
    // The Dagre layered layout (Dagre bundled in), the layout Spark's DAG picture uses.
    ['cytoscape-dagre.min.js', file('cytoscape-dagre', 'cytoscape-dagre.min.js')],
  ]);
}
