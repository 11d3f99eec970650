// Jobs: the application's summary, a timeline of its jobs and the jobs table.
import { timeline } from '../charts.js';
import { epoch, esc, ms, num, progress, span, status, table, when } from '../format.js';

export const jobsPage = {
  async html(ctx) {
    const jobs = await ctx.get(`${ctx.base}/jobs`);
    ctx.jobs = jobs;
    const a = ctx.app.attempts[0];
    const rows = jobs.map((j) => {
      const stagesDone = `${j.numCompletedStages}/${j.stageIds.length - j.numSkippedStages}${j.numSkippedStages ? ` (${j.numSkippedStages} skipped)` : ''}`;
      return `<tr data-job="${j.jobId}"><td><a href="${esc(ctx.prefix)}/jobs/job/?id=${j.jobId}">${j.jobId}</a></td><td>${esc(j.name)}</td><td>${esc(when(j.submissionTime))}</td>${num(span(j.submissionTime, j.completionTime), ms, 'duration')}<td>${status(j.status)}</td><td>${esc(stagesDone)}</td><td data-metric="tasks" data-value="${j.numCompletedTasks}">${progress(j.numCompletedTasks, j.numActiveTasks, j.numTasks - j.numSkippedTasks)}</td></tr>`;
    });
    return `<h1>Jobs</h1>
<ul class="summary"><li><strong>User:</strong> ${esc(a.sparkUser)}</li><li><strong>Started:</strong> ${esc(when(a.startTime))}</li><li><strong>Total uptime:</strong> ${esc(ms(a.completed ? a.duration : Date.now() - a.startTimeEpoch))}</li><li><strong>Jobs:</strong> <span id="job-count" data-value="${jobs.length}">${jobs.length}</span> (${jobs.filter((j) => j.status === 'RUNNING').length} running, ${jobs.filter((j) => j.status === 'FAILED').length} failed)</li></ul>
<h2>Event timeline</h2><div class="chart"><canvas id="jobs-timeline"></canvas></div>
<h2>Jobs</h2>${table(['Job Id', 'Description', 'Submitted', { num: 'Duration' }, 'Status', 'Stages: Succeeded/Total', 'Tasks (for all stages): Succeeded/Total'], rows, 'id="jobs"')}`;
  },
  draw(ctx) {
    const items = [...ctx.jobs].reverse().map((j) => ({ label: `job ${j.jobId} ${j.name}`, start: epoch(j.submissionTime), end: epoch(j.completionTime), status: j.status }));
    timeline('jobs-timeline', items, ctx.app.attempts[0].startTimeEpoch);
  },
};
