// The results table. Policy: one row per tool per task and input, in run order; the
// figures are medians of the timed runs (min-max beside the time, so noise shows), the
// ratio is the tool's median time over the reference kiln row's, so "12.0x" reads "kiln
// is 12 times faster". Rows that did not run say why instead of disappearing.
import { formatBytes } from './tasks.js';

/** What happened to one tool on one case. */
export type RowStatus =
  | { kind: 'timed'; wallMs: number[]; peakKiB: (number | undefined)[] }
  | { kind: 'missing'; reason: string }
  | { kind: 'differs'; reason: string }
  | { kind: 'failed'; reason: string };

/** One line of the table. */
export interface Row {
  task: string;
  inputBytes: number;
  inputName: string;
  tool: string;
  reference: boolean;
  status: RowStatus;
  /** The 1-minute load average when the case started (the machine may be shared). */
  load: number;
  /** kiln rows: where the time went (phases.ts), when the CLI reported metrics. */
  phases?: string;
}

/** Median of a non-empty list (the lower middle for even lengths). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Renders rows as a Markdown table. */
export function renderTable(rows: Row[]): string {
  const out = ['| task | input | tool | wall time, median (min-max) | MB/s | peak RSS | time / kiln |', '|---|---|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    const ref = rows.find((x) => x.reference && x.task === r.task && x.inputName === r.inputName);
    const refMs = ref?.status.kind === 'timed' ? median(ref.status.wallMs) : undefined;
    const head = `| ${r.task} | ${r.inputName} (${formatBytes(r.inputBytes)}) | ${cell(r.tool)} |`;
    const s = r.status;
    if (s.kind !== 'timed') {
      out.push(`${head} ${s.kind}: ${cell(s.reason)} | | | |`);
      continue;
    }
    const ms = median(s.wallMs);
    const peaks = s.peakKiB.filter((x): x is number => x !== undefined);
    const peak = peaks.length > 0 ? `${Math.round(median(peaks) / 1024)} MiB` : 'n/a';
    const range = s.wallMs.length > 1 ? ` (${sec(Math.min(...s.wallMs))}-${sec(Math.max(...s.wallMs))})` : '';
    const ratio = refMs === undefined ? 'n/a' : r.reference ? '1.0x' : `${ratioText(ms / refMs)}x`;
    out.push(`${head} ${sec(ms)} s${range} | ${Math.round(r.inputBytes / 1e6 / (ms / 1000))} | ${peak} | ${ratio} |`);
  }
  return out.join('\n');
}

function sec(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
}

/** Two significant digits below 10 (0.25x, 3.1x), whole numbers above (12x). */
function ratioText(x: number): string {
  return x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toPrecision(2);
}

/** A table cell: pipes escaped, one line. */
function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
