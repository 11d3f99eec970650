// The executor's task service: runs the driver's TaskSpecs on this process's own
// engine. Policy: the executor starts an ordinary kiln context (Kiln.start: its own
// worker threads over its own shared arena, `cores` threads and `memory` bytes) on the
// first task, and runs each task through that context's TaskScheduler, the same code
// the driver runs in threads mode — nothing is forked. A task here gets one attempt:
// retries are the driver's, which may pick another executor. Only tasks that need
// nothing from the driver's memory come here (engine/cluster/remote-tasks.ts decides);
// a task that left shuffle or storage regions behind is refused as a bug.
import type { Kiln } from '../driver/api/kiln.js';
import { KilnError } from '../common/errors.js';
import type { TaskOutcome, TaskTemplate } from '../driver/scheduler/task-scheduler.js';

/** What an executor sends back for one task (TaskOutcome minus the driver-side regions). */
export type RemoteOutcome = Omit<TaskOutcome, 'regions'>;

/** Runs tasks on a lazily started local context. */
export class TaskService {
  private kiln: Promise<Kiln> | undefined;

  constructor(
    private readonly cores: number,
    private readonly memoryBytes: number,
  ) {}

  /** Runs `template` once and returns its outcome (throws the task's error). */
  async run(template: TaskTemplate): Promise<RemoteOutcome> {
    this.kiln ??= import('../driver/api/kiln.js').then(({ Kiln }) => Kiln.start({ workers: this.cores, memory: this.memoryBytes, appName: 'kiln executor' }));
    const kiln = await this.kiln;
    const [outcome] = await kiln.taskScheduler.runTaskSet([template], { maxAttempts: 1, context: () => ({}) });
    if (!outcome) throw new KilnError('internal', 'the task set returned no outcome');
    if (outcome.regions.length > 0 || outcome.stored) {
      throw new KilnError('internal', `task of stage ${template.stageId} left shuffle or storage regions on an executor; only narrow result tasks run remotely yet`);
    }
    const { regions: _regions, ...rest } = outcome;
    return rest;
  }

  /** Stops the local context, if it was started. */
  async close(): Promise<void> {
    const kiln = await this.kiln?.catch(() => undefined);
    await kiln?.stop();
  }
}
