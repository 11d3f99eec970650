// The call site of an action, for job names ("collect at wordcount.mjs:12", as Spark's
// "collect at WordCount.scala:12"). Policy: read from a stack trace taken when the
// action runs, and only when a monitor is on (a stack trace costs microseconds): the
// action is the last kiln frame's method, the site the first frame outside kiln's
// engine/ folder; kiln's own jobs (a sort's sampling job) have no outside frame.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The engine's folder (engine/ or dist/engine/): frames inside it are kiln's. */
const ENGINE_DIR = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** "METHOD at FILE:LINE" for the caller of an action, or undefined. */
export function actionCallSite(stack: string | undefined = new Error().stack): string | undefined {
  if (!stack) return undefined;
  let method: string | undefined;
  for (const line of stack.split('\n').slice(1)) {
    const m = /^\s*at (?:(?:async )?([^\s(]+) \()?(.*?):(\d+):\d+\)?$/.exec(line);
    if (!m) continue;
    const [, fn, file, row] = m;
    const path = file!.startsWith('file://') ? fileURLToPath(file!) : file!;
    if (path.startsWith(ENGINE_DIR)) {
      if (fn && /^(Text)?Dataset\.|^SortedLines\./.test(fn)) method = fn.replace(/^.*\./, '');
      continue;
    }
    if (path.startsWith('node:')) continue;
    const name = path.split('/').pop();
    return `${method ?? 'action'} at ${name}:${row}`;
  }
  return undefined;
}
