// Spark's REST API (docs/monitoring.md, "REST API"), read-only, under /api/v1. Policy:
// the same paths, query parameters and field names as Spark where the concept exists
// (a script written against Spark's API reads kiln's), answers taken from each
// application's StatusStore; an unknown application, job or stage is a 404 whose
// text says what exists. kiln's extra fields start with "kiln" (kilnDiagnosis, ...).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HTTPVersion, Instance } from 'find-my-way';
import { DEFAULT_QUANTILES, type StatusStore } from '../monitor/status-store.js';

/** The applications a server shows: one (live) or many (history). */
export interface AppSource {
  /** Every application, newest first. */
  list(): readonly StatusStore[];
  get(id: string): StatusStore | undefined;
  /** Whether this is the history server (its index lists applications). */
  readonly history: boolean;
}

type Params = { [k: string]: string | undefined };
type Query = { [k: string]: string };

/** Registers the /api/v1 routes on `router`. */
export function restRoutes(router: Instance<HTTPVersion.V1>, apps: AppSource): void {
  const api = '/api/v1';
  const app = (p: Params, res: ServerResponse): StatusStore | undefined => {
    const store = apps.get(p.appId ?? '');
    if (!store) notFound(res, `no application ${p.appId}; GET ${api}/applications lists them`);
    return store;
  };
  const get = (path: string, answer: (store: StatusStore, p: Params, q: Query, res: ServerResponse) => unknown): void => {
    router.on('GET', `${api}/applications/:appId${path}`, (_req: IncomingMessage, res: ServerResponse, p: Params, _s: unknown, q: Query) => {
      const store = app(p, res);
      if (!store) return;
      const body = answer(store, p, q, res);
      if (body !== undefined) json(res, body);
    });
  };
  router.on('GET', `${api}/version`, (_req, res) => json(res, { spark: apps.list()[0]?.version ?? 'kiln' }));
  router.on('GET', `${api}/applications`, (_req, res, _p, _s, q: Query) => {
    const status = q.status;
    const list = apps.list().filter((s) => !status || (status === 'completed') === (s.endTime !== undefined));
    json(res, list.slice(0, q.limit ? Number(q.limit) : undefined).map((s) => s.application()));
  });
  get('', (s) => s.application());
  get('/jobs', (s, _p, q) => s.jobList(statuses(q.status)));
  get('/jobs/:jobId', (s, p, _q, res) => s.job(Number(p.jobId)) ?? notFound(res, `no job ${p.jobId} in ${s.id}`));
  get('/stages', (s, _p, q) => s.stageList(statuses(q.status)));
  get('/stages/:stageId', (s, p, q, res) => s.stage(Number(p.stageId), q.details === 'true') ?? notFound(res, `no stage ${p.stageId} in ${s.id}`));
  get('/stages/:stageId/:attemptId', (s, p, q, res) => s.stageAttempt(Number(p.stageId), Number(p.attemptId), q.details !== 'false') ?? notFound(res, `no attempt ${p.attemptId} of stage ${p.stageId}`));
  get('/stages/:stageId/:attemptId/taskSummary', (s, p, q, res) => {
    const quantiles = q.quantiles ? q.quantiles.split(',').map(Number) : DEFAULT_QUANTILES;
    if (quantiles.some((x) => !Number.isFinite(x) || x < 0 || x > 1)) return badRequest(res, `quantiles must be numbers between 0 and 1, comma-separated, got "${q.quantiles}"`);
    return s.taskSummary(Number(p.stageId), Number(p.attemptId), quantiles) ?? notFound(res, `no attempt ${p.attemptId} of stage ${p.stageId}`);
  });
  get('/stages/:stageId/:attemptId/taskList', (s, p, q, res) => {
    const offset = q.offset !== undefined ? Number(q.offset) : 0;
    const length = q.length !== undefined ? Number(q.length) : 20;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 0) return badRequest(res, 'offset and length must be non-negative integers');
    return s.taskList(Number(p.stageId), Number(p.attemptId), { offset, length, ...(q.sortBy ? { sortBy: q.sortBy } : {}), ...(q.status ? { status: q.status } : {}) }) ?? notFound(res, `no attempt ${p.attemptId} of stage ${p.stageId}`);
  });
  get('/executors', (s) => s.executorList());
  get('/allexecutors', (s) => s.executorList());
  get('/storage/rdd', (s) => s.storageRdds());
  get('/environment', (s) => s.environment());
  // kiln: a cheap "has anything changed" for the pages' live update.
  get('/kiln/revision', (s) => ({ revision: s.revision, completed: s.endTime !== undefined }));
}

function statuses(v: string | undefined): string[] | undefined {
  return v ? v.split(',').map((x) => x.trim().toUpperCase()) : undefined;
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, message: string): undefined {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
  return undefined;
}

function badRequest(res: ServerResponse, message: string): undefined {
  res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
  return undefined;
}
