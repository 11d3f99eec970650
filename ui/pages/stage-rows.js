// The stage table shared by the Stages and Job pages.
import { bytes, esc, ms, num, progress, span, status, table, when } from '../format.js';

/** Table of stage attempts (`shown` may override a row's status, e.g. SKIPPED in a job). */
export function stageTable(ctx, stages, shown = () => undefined, id = 'stages') {
  const rows = stages.map((s) => {
    const st = shown(s) ?? s.status;
    const ops = (s.kilnOperators ?? []).map((o) => (o.kernels.length ? `<span class="kernel" title="WASM kernel: ${esc(o.kernels.join(', '))}">${esc(o.label)}</span>` : `<span class="js">${esc(o.label)}</span>`)).join(' → ');
    return `<tr data-stage="${s.stageId}" data-attempt="${s.attemptId}"><td><a href="${esc(ctx.prefix)}/stages/stage/?id=${s.stageId}&attempt=${s.attemptId}">${s.stageId}</a>${s.attemptId ? ` (retry ${s.attemptId})` : ''}</td><td>${ops || esc(s.name)}</td><td>${esc(when(s.submissionTime))}</td>${num(st === 'SKIPPED' ? 0 : span(s.submissionTime, s.completionTime) ?? 0, ms, 'duration')}<td>${status(st)}</td><td data-metric="tasks" data-value="${s.numCompleteTasks}">${progress(s.numCompleteTasks, s.numActiveTasks, s.numTasks)}</td>${num(s.inputBytes, bytes, 'inputBytes')}${num(s.inputRecords, String, 'inputRecords')}${num(s.shuffleReadBytes, bytes, 'shuffleReadBytes')}${num(s.shuffleWriteBytes, bytes, 'shuffleWriteBytes')}${num(s.diskBytesSpilled, bytes, 'diskBytesSpilled')}</tr>`;
  });
  return table(['Stage Id', 'Operators (orange: WASM kernel)', 'Submitted', { num: 'Duration' }, 'Status', 'Tasks: Succeeded/Total', { num: 'Input' }, { num: 'Records' }, { num: 'Shuffle Read' }, { num: 'Shuffle Write' }, { num: 'Spill (disk)' }], rows, `id="${id}"`);
}
