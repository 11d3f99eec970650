// The UI shell: finds the application and the page from the URL (Spark's paths; the
// history server's under /history/APP_ID/), renders the page from the REST API, and
// keeps it live: it polls the application's revision every second and re-renders when
// an event arrived, until the application has ended.
import { clearCharts } from './charts.js';
import { esc } from './format.js';
import * as pages from './pages/routes.js';

const POLL_MS = 1000;
const main = document.getElementById('main');
const live = document.getElementById('live');

/** Where we are: the app-id prefix (history), the page path and query. */
function location() {
  const m = /^\/history\/([^/]+)(\/.*)$/.exec(window.location.pathname);
  return { prefix: m ? `/history/${m[1]}` : '', appId: m ? decodeURIComponent(m[1]) : undefined, page: m ? m[2] : window.location.pathname, query: new URLSearchParams(window.location.search) };
}

/** Fetches JSON from the REST API, or throws with the server's text. */
async function get(path) {
  const res = await fetch(`/api/v1${path}`, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`${res.status}: ${(await res.text()).trim()}`);
  return res.json();
}

const NAV = [
  ['/jobs/', 'Jobs'],
  ['/stages/', 'Stages'],
  ['/storage/', 'Storage'],
  ['/environment/', 'Environment'],
  ['/executors/', 'Executors'],
];

let revision = -1;
let rendering = false;

async function render() {
  const loc = location();
  if (loc.page === '/' && !loc.appId) {
    // The history server's index: its applications.
    document.getElementById('nav').innerHTML = '';
    main.innerHTML = await pages.applications(get);
    live.textContent = '';
    return false;
  }
  let appId = loc.appId;
  if (!appId) appId = (await get('/applications'))[0]?.id;
  if (!appId) {
    main.innerHTML = '<p>No application.</p>';
    return false;
  }
  const app = await get(`/applications/${encodeURIComponent(appId)}`);
  document.getElementById('app-name').textContent = `${app.name} (${app.id})`;
  document.getElementById('brand').setAttribute('href', loc.prefix ? '/' : '/jobs/');
  document.getElementById('nav').innerHTML = NAV.map(([p, label]) => `<a href="${esc(loc.prefix + p)}"${loc.page.startsWith(p) ? ' class="active"' : ''}>${label}</a>`).join('');
  const ctx = { get, app, base: `/applications/${encodeURIComponent(appId)}`, prefix: loc.prefix, query: loc.query };
  const page = pages.route(loc.page);
  if (!page) {
    main.innerHTML = `<p>No page ${esc(loc.page)}.</p>`;
    return false;
  }
  const html = await page.html(ctx);
  clearCharts();
  main.innerHTML = html;
  page.draw?.(ctx);
  return !app.attempts[0].completed;
}

async function tick() {
  if (rendering) return;
  rendering = true;
  try {
    const loc = location();
    let appId = loc.appId;
    if (!appId && loc.page !== '/') appId = (await get('/applications'))[0]?.id;
    if (!appId) {
      if (revision < 0) {
        await render();
        revision = 0;
      }
      return;
    }
    const r = await get(`/applications/${encodeURIComponent(appId)}/kiln/revision`);
    if (r.revision !== revision) {
      const running = await render();
      revision = r.revision;
      live.dataset.revision = String(r.revision);
      live.textContent = running ? '● live' : 'application ended';
    }
  } catch (e) {
    main.innerHTML = `<p class="status FAILED">${esc(e.message)}</p>`;
  } finally {
    rendering = false;
  }
}

await tick();
setInterval(tick, POLL_MS);
