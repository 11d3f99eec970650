// Stages: every stage attempt of the application.
import { stageTable } from './stage-rows.js';

export const stagesPage = {
  async html(ctx) {
    const stages = await ctx.get(`${ctx.base}/stages`);
    const count = (s) => stages.filter((x) => x.status === s).length;
    return `<h1>Stages for all jobs</h1><ul class="summary"><li><strong>Active:</strong> ${count('ACTIVE')}</li><li><strong>Completed:</strong> ${count('COMPLETE')}</li><li><strong>Skipped:</strong> ${count('SKIPPED')}</li><li><strong>Failed:</strong> ${count('FAILED')}</li></ul>${stageTable(ctx, stages)}`;
  },
};
