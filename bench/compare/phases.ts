// Where kiln's wall time goes, from one extra (untimed) CLI run with `--metrics FILE`.
// Policy: the harness only subtracts figures the CLI reports, so every part it names
// is measured: the process wall time minus the CLI's own wall time is Node start-up,
// module loading, stopping the workers and exit; the CLI's wall time minus its jobs'
// wall times is starting the engine (worker threads, WASM instantiation), driver work
// between jobs and writing the result; within a job, each stage's task run times
// (summed over tasks, and the longest task) against the job's wall time show how much
// is scheduling and waiting.

/** The part of the CLI's --metrics JSON this file reads. */
interface MetricsFile {
  wallMs: number;
  jobs: { wallMs: number; stages: { kind: string; tasks: number; skipped: boolean; metrics: { runMs: number; inputBytes: number; shuffleWriteBytes: number }[] }[] }[];
}

/** One line, e.g. "process 0.61 s = start-up/exit 0.20 s + engine start, output 0.12 s + job 0.29 s (shuffle-map: 2 tasks, ...)". */
export function describePhases(metricsJson: string, processMs: number): string {
  const m = JSON.parse(metricsJson) as MetricsFile;
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const jobsMs = m.jobs.reduce((a, j) => a + j.wallMs, 0);
  const jobs = m.jobs.map((j, i) => {
    const stages = j.stages
      .filter((st) => !st.skipped)
      .map((st) => {
        const run = st.metrics.map((t) => t.runMs);
        const sum = run.reduce((a, b) => a + b, 0);
        return `${st.kind}: ${st.tasks} task${st.tasks === 1 ? '' : 's'}, longest ${s(Math.max(0, ...run))}, sum ${s(sum)}`;
      });
    return `job ${i + 1} ${s(j.wallMs)} (${stages.join('; ')})`;
  });
  // Jobs of one command may run concurrently (their walls then sum to more than the
  // command's): the remainder is only meaningful when they do not.
  const rest = jobsMs <= m.wallMs ? `engine start, driver and output ${s(m.wallMs - jobsMs)}` : `engine start, driver and output n/a (jobs overlap: their walls sum to ${s(jobsMs)} of ${s(m.wallMs)})`;
  return `process ${s(processMs)} = Node start-up, module load, stop and exit ${s(processMs - m.wallMs)} + ${rest} + ${jobs.join(' + ')}`;
}
