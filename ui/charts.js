// Charts and the DAG picture, drawn by vendored libraries (window.Chart: Chart.js,
// window.cytoscape: Cytoscape.js, laid out by cytoscape-dagre's layered layout). A timeline is a Chart.js horizontal floating bar
// chart (one bar from start to end per job, stage or task), in seconds since the
// application started; animation is off so a live re-draw does not flicker.

const COLORS = { SUCCEEDED: '#2e8b57', COMPLETE: '#2e8b57', SUCCESS: '#2e8b57', RUNNING: '#1f6feb', ACTIVE: '#1f6feb', FAILED: '#cf222e', KILLED: '#9aa4ae', SKIPPED: '#9aa4ae', PENDING: '#9aa4ae' };
const charts = new Map();
let dagreRegistered = false;

/** Destroys every chart (before a page re-renders). */
export function clearCharts() {
  for (const c of charts.values()) c.destroy();
  charts.clear();
}

/**
 * Draws a timeline into the canvas `id`: items { label, start, end, status } in epoch ms.
 * `origin` is the application's start.
 */
export function timeline(id, items, origin) {
  const canvas = document.getElementById(id);
  if (!canvas || !window.Chart) return;
  const now = Date.now();
  const first = Math.min(...items.map((it) => it.start));
  const data = items.map((it) => [(it.start - origin) / 1000, ((it.end ?? now) - origin) / 1000]);
  const parent = canvas.parentElement;
  parent.style.height = `${Math.max(120, Math.min(900, 40 + items.length * 18))}px`;
  charts.set(
    id,
    new window.Chart(canvas, {
      type: 'bar',
      data: { labels: items.map((it) => it.label), datasets: [{ data, backgroundColor: items.map((it) => COLORS[it.status] ?? '#888'), borderSkipped: false, barPercentage: 0.8 }] },
      options: {
        indexAxis: 'y',
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => `${ctx.raw[0].toFixed(3)} s – ${ctx.raw[1].toFixed(3)} s (${((ctx.raw[1] - ctx.raw[0]) * 1000).toFixed(0)} ms)` } } },
        scales: { x: { type: 'linear', min: items.length ? Math.max(0, Math.floor(((first - origin) / 1000) * 10) / 10) : 0, title: { display: true, text: 'seconds since the application started' } }, y: { ticks: { autoSkip: items.length > 40 } } },
      },
    }),
  );
}

// Node boxes sized to their (wrapped) labels; Cytoscape's width: 'label' is deprecated.
const lines = (n) => String(n.data('label') ?? '').split('\n');
const labelWidth = (n) => Math.min(200, Math.max(50, 6.2 * Math.max(...lines(n).map((l) => l.length))));
const labelHeight = (n) => 14 * lines(n).length + 4;

/**
 * Draws a job's DAG into the element `id`: stages as boxes holding their datasets,
 * datasets that run WASM kernels in orange, edges from each dataset's parents.
 */
export function dag(id, stages) {
  const el = document.getElementById(id);
  if (!el || !window.cytoscape) return;
  const elements = [];
  const present = new Set();
  for (const s of stages) for (const r of s.kilnRdds ?? []) present.add(r.id);
  const placed = new Set();
  for (const s of stages) {
    elements.push({ data: { id: `s${s.stageId}`, label: `Stage ${s.stageId} (${s.status})` }, classes: `stage ${s.status}` });
    for (const r of s.kilnRdds ?? []) {
      if (placed.has(r.id)) continue;
      placed.add(r.id);
      const k = r.kernels.length ? `\n[WASM: ${r.kernels.join(', ')}]` : '';
      // A source's full path makes a box too wide to read; the table has it whole.
      const name = r.name.replace(/textFile\((?:[^()]*\/)?([^/()]*)\)/, 'textFile($1)');
      elements.push({ data: { id: `r${r.id}`, parent: `s${s.stageId}`, label: `${name}${k}` }, classes: r.kernels.length ? 'wasm' : 'js' });
    }
  }
  for (const s of stages) {
    for (const r of s.kilnRdds ?? []) {
      for (const p of r.parentIds) if (present.has(p)) elements.push({ data: { id: `e${p}-${r.id}`, source: `r${p}`, target: `r${r.id}` } });
    }
  }
  // Tall enough for one row of boxes per dataset at a readable zoom.
  el.style.height = `${Math.max(200, Math.min(1000, 56 * placed.size + 44 * stages.length))}px`;
  if (window.cytoscapeDagre && !dagreRegistered) {
    window.cytoscape.use(window.cytoscapeDagre);
    dagreRegistered = true;
  }
  window.cytoscape({
    container: el,
    maxZoom: 1.4,
    elements,
    autoungrabify: true,
    userZoomingEnabled: false,
    style: [
      { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'text-max-width': 200, 'font-size': 11, 'text-valign': 'center', 'text-halign': 'center', shape: 'round-rectangle', width: labelWidth, height: labelHeight, padding: 8, 'background-color': '#e8eef5', 'border-width': 1, 'border-color': '#8b98a6' } },
      { selector: 'node.wasm', style: { 'background-color': '#fde6cf', 'border-color': '#d9822b' } },
      { selector: ':parent', style: { 'text-valign': 'top', 'text-halign': 'center', 'background-color': '#fafbfc', 'border-color': '#57606a', 'font-weight': 600, padding: 14 } },
      { selector: ':parent.SKIPPED', style: { 'border-style': 'dashed', color: '#9aa4ae' } },
      { selector: 'edge', style: { width: 1.5, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'line-color': '#57606a', 'target-arrow-color': '#57606a' } },
    ],
    layout: { name: 'dagre', rankDir: 'TB', nodeSep: 30, rankSep: 36, padding: 16 },
  });
}
