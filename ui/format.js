// Formatting and HTML building for the pages. Every value that reaches innerHTML goes
// through esc(); raw numbers are kept in data-value attributes (the browser test
// reads them, a person reads the formatted text).

/** Escapes text for HTML. */
export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** Bytes for a person. */
export function bytes(n) {
  if (n === undefined || n === null) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Milliseconds for a person. */
export function ms(n) {
  if (n === undefined || n === null) return '';
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60000) return `${(n / 1000).toFixed(1)} s`;
  return `${(n / 60000).toFixed(1)} min`;
}

/** Spark's REST date ("2026-01-01T10:00:00.000GMT") as epoch ms. */
export function epoch(d) {
  return d ? Date.parse(d.replace('GMT', 'Z')) : undefined;
}

/** A date for a person (local time). */
export function when(d) {
  const t = epoch(d);
  return t === undefined ? '' : new Date(t).toLocaleString();
}

/** Duration between two REST dates (to now while running). */
export function span(from, to) {
  const a = epoch(from);
  if (a === undefined) return undefined;
  return (epoch(to) ?? Date.now()) - a;
}

/** A numeric cell: formatted text, raw value in data-value, named by data-metric. */
export function num(value, fmt = (x) => String(x), metric = '') {
  return `<td class="num"${metric ? ` data-metric="${esc(metric)}"` : ''} data-value="${esc(value)}">${esc(fmt(value))}</td>`;
}

/** A status word, coloured. */
export function status(s) {
  return `<span class="status ${esc(s)}" data-status="${esc(s)}">${esc(s)}</span>`;
}

/** A progress bar of done (and running) out of total. */
export function progress(done, running, total) {
  const w = (x) => (total > 0 ? (100 * x) / total : 0);
  return `<div class="bar"><span style="width:${w(done)}%"></span><span class="run" style="left:${w(done)}%;width:${w(running)}%"></span><em>${done}/${total}${running ? ` (${running} running)` : ''}</em></div>`;
}

/** A table from header cells and row strings. */
export function table(headers, rows, attrs = '') {
  const head = headers.map((h) => (typeof h === 'string' ? `<th>${esc(h)}</th>` : `<th class="num">${esc(h.num)}</th>`)).join('');
  return `<table ${attrs}><thead><tr>${head}</tr></thead><tbody>${rows.join('') || `<tr><td colspan="${headers.length}" class="muted">none</td></tr>`}</tbody></table>`;
}

/** The diagnosis box of a job or stage. */
export function diagnosis(findings) {
  if (!findings || findings.length === 0) {
    return '<section class="diagnosis clean" id="diagnosis" data-findings="0"><h2>Diagnosis</h2><p>No problems found: no skew, spill, tiny partitions, large broadcasts or slow JS paths.</p></section>';
  }
  const items = findings.map((f) => `<li data-kind="${esc(f.kind)}"><strong>${esc(f.problem)}</strong><span class="advice">→ ${esc(f.advice)}</span></li>`).join('');
  return `<section class="diagnosis" id="diagnosis" data-findings="${findings.length}"><h2>Diagnosis</h2><ul>${items}</ul></section>`;
}
