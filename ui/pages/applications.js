// The history server's index: one row per application (event log).
import { esc, ms, num, table, when } from '../format.js';

/** The applications table. */
export async function applications(get) {
  const apps = await get('/applications');
  const rows = apps.map((a) => {
    const t = a.attempts[0];
    return `<tr data-app="${esc(a.id)}"><td><a href="/history/${encodeURIComponent(a.id)}/jobs/">${esc(a.id)}</a></td><td>${esc(a.name)}</td><td>${esc(when(t.startTime))}</td><td>${t.completed ? esc(when(t.endTime)) : '<span class="status RUNNING">incomplete</span>'}</td>${num(t.duration, ms)}<td>${esc(t.sparkUser)}</td></tr>`;
  });
  return `<h1>Applications</h1>${table(['App ID', 'App Name', 'Started', 'Completed', { num: 'Duration' }, 'User'], rows, 'id="apps"')}`;
}
