// Stage: its summary, the diagnosis box, its operators (which run as WASM kernels),
// the quantile table of task metrics (Spark's "Summary Metrics": min, 25th
// percentile, median, 75th percentile, max), a task timeline and the task table.
import { dag, timeline } from '../charts.js';
import { bytes, diagnosis, epoch, esc, ms, num, span, status, table, when } from '../format.js';

const QUANTILES = [0, 0.25, 0.5, 0.75, 1];
const TASKS_SHOWN = 1000;

export const stagePage = {
  async html(ctx) {
    const id = Number(ctx.query.get('id'));
    const attempt = Number(ctx.query.get('attempt') ?? 0);
    const path = `${ctx.base}/stages/${id}/${attempt}`;
    const [stage, summary, tasks] = await Promise.all([ctx.get(`${path}?details=false`), ctx.get(`${path}/taskSummary?quantiles=${QUANTILES.join(',')}`), ctx.get(`${path}/taskList?length=${TASKS_SHOWN}`)]);
    ctx.tasks = tasks;
    ctx.stage = stage;
    const q = (label, values, fmt, metric) => `<tr data-metric="${metric}"><td>${esc(label)}</td>${values.map((v) => num(v, fmt)).join('')}</tr>`;
    const quantiles = table(
      ['Metric', { num: 'Min' }, { num: '25th percentile' }, { num: 'Median' }, { num: '75th percentile' }, { num: 'Max' }],
      [
        q('Duration', summary.duration, ms, 'duration'),
        q('Run time', summary.executorRunTime, ms, 'executorRunTime'),
        q('Scheduler delay', summary.schedulerDelay, ms, 'schedulerDelay'),
        q('Input size', summary.inputMetrics.bytesRead, bytes, 'inputBytes'),
        q('Input records', summary.inputMetrics.recordsRead, String, 'inputRecords'),
        q('Shuffle read size', summary.shuffleReadMetrics.readBytes, bytes, 'shuffleReadBytes'),
        q('Shuffle read records', summary.shuffleReadMetrics.readRecords, String, 'shuffleReadRecords'),
        q('Shuffle write size', summary.shuffleWriteMetrics.writeBytes, bytes, 'shuffleWriteBytes'),
        q('Shuffle write records', summary.shuffleWriteMetrics.writeRecords, String, 'shuffleWriteRecords'),
        q('Spill (memory)', summary.memoryBytesSpilled, bytes, 'memoryBytesSpilled'),
        q('Spill (disk)', summary.diskBytesSpilled, bytes, 'diskBytesSpilled'),
        q('Peak execution memory', summary.peakExecutionMemory, bytes, 'peakExecutionMemory'),
      ],
      'id="quantiles"',
    );
    const rows = tasks.map((t) => {
      const m = t.taskMetrics ?? {};
      return `<tr data-task="${t.taskId}" data-index="${t.index}"><td>${t.index}</td><td>${t.taskId}</td><td>${t.attempt}</td><td>${status(t.status)}</td><td>${esc(t.executorId)}</td><td>${esc(when(t.launchTime))}</td>${num(t.duration ?? span(t.launchTime), ms, 'duration')}${num(m.executorRunTime ?? 0, ms, 'executorRunTime')}${num(m.inputMetrics?.bytesRead ?? 0, bytes, 'inputBytes')}${num(m.inputMetrics?.recordsRead ?? 0, String, 'inputRecords')}${num(m.shuffleReadMetrics?.localBytesRead ?? 0, bytes, 'shuffleReadBytes')}${num(m.shuffleReadMetrics?.recordsRead ?? 0, String, 'shuffleReadRecords')}${num(m.shuffleWriteMetrics?.bytesWritten ?? 0, bytes, 'shuffleWriteBytes')}${num(m.shuffleWriteMetrics?.recordsWritten ?? 0, String, 'shuffleWriteRecords')}${num(m.diskBytesSpilled ?? 0, bytes, 'diskBytesSpilled')}<td>${esc(t.errorMessage ?? '')}</td></tr>`;
    });
    const ops = (stage.kilnOperators ?? []).map((o) => `<li>${o.kernels.length ? `<span class="kernel">${esc(o.label)}</span> — WASM kernel: ${esc(o.kernels.join(', '))}` : `<span class="js">${esc(o.label)}</span> — JS`}</li>`).join('');
    const more = stage.numTasks > TASKS_SHOWN ? `<p class="muted">The first ${TASKS_SHOWN} of ${stage.numTasks} tasks; all of them: GET /api/v1${esc(path)}/taskList?length=${stage.numTasks}</p>` : '';
    return `<h1>Details for Stage ${stage.stageId} (Attempt ${stage.attemptId})</h1>
<ul class="summary"><li><strong>Status:</strong> <span id="stage-status">${status(stage.status)}</span></li><li><strong>Kind:</strong> ${esc(stage.kilnStageKind ?? '')}</li><li><strong>Submitted:</strong> ${esc(when(stage.submissionTime))}</li><li><strong>Duration:</strong> ${esc(ms(span(stage.submissionTime, stage.completionTime)))}</li><li><strong>Tasks:</strong> <span id="stage-tasks" data-value="${stage.numCompleteTasks}">${stage.numCompleteTasks}</span> of ${stage.numTasks} done, ${stage.numActiveTasks} running, ${stage.numFailedTasks} failed${stage.numKilledTasks ? `, ${stage.numKilledTasks} killed` : ''}</li><li><strong>Total run time:</strong> ${esc(ms(stage.executorRunTime))}</li><li><strong>Input:</strong> <span data-metric="inputRecords" data-value="${stage.inputRecords}">${stage.inputRecords} records</span> / ${esc(bytes(stage.inputBytes))}</li><li><strong>Shuffle write:</strong> <span data-metric="shuffleWriteBytes" data-value="${stage.shuffleWriteBytes}">${esc(bytes(stage.shuffleWriteBytes))}</span> / ${stage.shuffleWriteRecords} records</li><li><strong>Shuffle read:</strong> <span data-metric="shuffleReadBytes" data-value="${stage.shuffleReadBytes}">${esc(bytes(stage.shuffleReadBytes))}</span> / ${stage.shuffleReadRecords} records</li><li><strong>Spill (disk):</strong> ${esc(bytes(stage.diskBytesSpilled))}</li></ul>
${stage.failureReason ? `<pre class="details status FAILED">${esc(stage.failureReason)}</pre>` : ''}${diagnosis(stage.kilnDiagnosis)}
<h2>Operators</h2><ul>${ops}</ul>
<h2>DAG Visualization</h2><div class="dag" id="dag"></div>
<h2>Summary Metrics for ${summary.duration.length ? stage.numCompleteTasks : 0} Completed Tasks</h2>${quantiles}
<h2>Event timeline</h2><div class="chart"><canvas id="task-timeline"></canvas></div>
<h2>Tasks (${tasks.length})</h2>${more}${table(['Index', 'Task ID', 'Attempt', 'Status', 'Executor', 'Launch Time', { num: 'Duration' }, { num: 'Run Time' }, { num: 'Input' }, { num: 'Input Records' }, { num: 'Shuffle Read' }, { num: 'Shuffle Read Records' }, { num: 'Shuffle Write' }, { num: 'Shuffle Write Records' }, { num: 'Spill (disk)' }, 'Errors'], rows, 'id="tasks"')}`;
  },
  draw(ctx) {
    dag('dag', [ctx.stage]);
    const items = ctx.tasks.slice(0, 200).map((t) => ({ label: `task ${t.index}.${t.attempt} (executor ${t.executorId})`, start: epoch(t.launchTime), end: t.duration !== undefined ? epoch(t.launchTime) + t.duration : undefined, status: t.status }));
    timeline('task-timeline', items, ctx.app.attempts[0].startTimeEpoch);
  },
};
