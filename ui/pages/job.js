// Job: its summary, the diagnosis box, the DAG of its stages, a stage timeline and
// the stage table (stages reused from an earlier job show as SKIPPED, as in Spark).
import { dag, timeline } from '../charts.js';
import { diagnosis, epoch, esc, ms, span, status, when } from '../format.js';
import { stageTable } from './stage-rows.js';

export const jobPage = {
  async html(ctx) {
    const id = Number(ctx.query.get('id'));
    const job = await ctx.get(`${ctx.base}/jobs/${id}`);
    const all = await ctx.get(`${ctx.base}/stages`);
    const skipped = new Set(job.kilnSkippedStageIds ?? []);
    const stages = job.stageIds
      .map((sid) => {
        const attempts = all.filter((s) => s.stageId === sid).sort((a, b) => a.attemptId - b.attemptId);
        return attempts.filter((s) => s.jobIds.includes(id)).pop() ?? attempts.pop();
      })
      .filter(Boolean)
      .sort((a, b) => b.stageId - a.stageId);
    ctx.job = job;
    ctx.stages = stages;
    ctx.skipped = skipped;
    const error = job.kilnError ? `<pre class="details status FAILED">${esc(job.kilnError)}</pre>` : '';
    return `<h1>Details for Job ${job.jobId}</h1>
<ul class="summary"><li><strong>Status:</strong> ${status(job.status)}</li><li><strong>Action:</strong> ${esc(job.name)}</li><li><strong>Submitted:</strong> ${esc(when(job.submissionTime))}</li><li><strong>Duration:</strong> ${esc(ms(span(job.submissionTime, job.completionTime)))}</li><li><strong>Completed stages:</strong> ${job.numCompletedStages}</li><li><strong>Skipped stages:</strong> ${job.numSkippedStages}</li><li><strong>Tasks:</strong> <span id="job-tasks" data-value="${job.numCompletedTasks}">${job.numCompletedTasks}</span> of ${job.numTasks - job.numSkippedTasks}</li></ul>
${error}${diagnosis(job.kilnDiagnosis)}
<h2>DAG Visualization</h2><div class="dag" id="dag"></div>
<h2>Event timeline</h2><div class="chart"><canvas id="stage-timeline"></canvas></div>
<h2>Stages</h2>${stageTable(ctx, stages, (s) => (skipped.has(s.stageId) ? 'SKIPPED' : undefined), 'job-stages')}`;
  },
  draw(ctx) {
    const shown = ctx.stages.map((s) => ({ ...s, status: ctx.skipped.has(s.stageId) ? 'SKIPPED' : s.status }));
    dag('dag', [...shown].reverse());
    const ran = shown.filter((s) => s.status !== 'SKIPPED' && s.submissionTime).reverse();
    timeline('stage-timeline', ran.map((s) => ({ label: `stage ${s.stageId}`, start: epoch(s.submissionTime), end: epoch(s.completionTime), status: s.status })), ctx.app.attempts[0].startTimeEpoch);
  },
};
