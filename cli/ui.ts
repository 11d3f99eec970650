// The CLI's side of the web UI. Policy: the URL goes to stderr as soon as the context
// is up (even with --quiet: it carries the token a non-loopback bind needs); with
// --ui-wait a job that ended keeps its UI until Ctrl-C (or SIGTERM, SIGHUP), which then
// ends the command as it ends any kiln command (cli/main.ts: by the signal, status 130).
import type { Kiln } from '../engine/index.js';

/** Prints the UI's URL, if the context serves one. */
export function announceUi(kiln: Kiln, write: (s: string) => void): void {
  if (kiln.uiUrl) write(`kiln: web UI at ${kiln.uiUrl}\n`);
}

/** Waits until `signal` aborts (Ctrl-C), keeping the context and its UI up. */
export async function serveUntilAborted(kiln: Kiln, signal: AbortSignal, write: (s: string) => void): Promise<void> {
  if (!kiln.uiUrl) return;
  write(`kiln: job done; the web UI stays at ${kiln.uiUrl} until Ctrl-C\n`);
  await new Promise<void>((done) => {
    if (signal.aborted) done();
    signal.addEventListener('abort', () => done(), { once: true });
  });
}
