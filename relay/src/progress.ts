/** Snapshot progress: rate, ETA and the text of a progress bar or line (pure; time is a parameter). */

export type ProgressSample = { table: string; done: number; total: number; startedAtMs: number; doneAtStart: number; nowMs: number };
export type Progress = { table: string; done: number; total: number; ratePerSec: number; etaSeconds: number | null };

/** Rate counts only rows sent by this process, so a resumed run does not look infinitely fast. */
export function measureProgress(s: ProgressSample): Progress {
  const seconds = (s.nowMs - s.startedAtMs) / 1000;
  const sentHere = s.done - s.doneAtStart;
  const ratePerSec = seconds > 0 ? Math.round((sentHere / seconds) * 10) / 10 : 0;
  const remaining = Math.max(0, s.total - s.done);
  const etaSeconds = remaining === 0 ? 0 : ratePerSec > 0 ? Math.ceil(remaining / ratePerSec) : null;
  return { table: s.table, done: s.done, total: s.total, ratePerSec, etaSeconds };
}

/** 0:07, 12:05, 3:02:09; "?" while the rate is unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** `[#########-----------]  45%` — the total can be an estimate that rows outgrow, so cap at 100. */
export function progressBar(done: number, total: number, width = 24): string {
  const fraction = total <= 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(fraction * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

export function formatProgressLine(p: Progress, withBar: boolean): string {
  const counts = `${formatCount(p.done)}/${formatCount(p.total)} rows`;
  const tail = `${formatCount(p.ratePerSec)} rows/s, ETA ${formatDuration(p.etaSeconds)}`;
  return withBar ? `${p.table} ${progressBar(p.done, p.total)} ${counts}, ${tail}` : `snapshot ${p.table}: ${counts}, ${tail}`;
}
