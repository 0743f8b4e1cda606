// Runs on the page: the session's runs as CSV and JSON files, and a helper to download any
// blob. Every number exported is the one the engine measured.

/** Columns of the CSV: a header and how to read it from a history entry. */
const COLUMNS = [
  ['run', (e) => e.number],
  // The settings, under the names they have everywhere (links, reports, the CLI).
  ...['mode', 'model', 'threads', 'total', 'size', 'layout', 'gil', 'interval'].map((name) => [name, (e) => e.settings[name]]),
  ['write', (e) => e.report?.write],
  ['wall_ms', (e) => e.report?.wall_ms],
  ...['startup_ms', 'transfer_ms', 'compute_ms', 'total_ms', 'transfer_bytes'].map((name) => [name, (e) => e.report?.[name]]),
  ['per_thread_ms', (e) => e.report?.per_thread_ms.join(' ')],
  ['million_per_second', (e) => e.report?.million_per_second],
  ['speedup', (e) => e.speedup],
  ['expected', (e) => e.report?.expected],
  ['final', (e) => e.report?.final],
  ['lost', (e) => e.report?.lost],
  ['loss_percent', (e) => e.report?.loss_percent],
  ['handoffs', (e) => e.report?.summary.handoffs],
  ['drop_requests', (e) => e.report?.summary.drop_requests],
  ['stale_writes', (e) => e.report?.summary.stale_writes],
  ['lock_owner_changes', (e) => e.report?.summary.lock_owner_changes],
  ['error', (e) => e.error ?? ''],
];

function csvField(value) {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The runs (oldest first) as CSV text. */
export function runsToCsv(entries) {
  const rows = [...entries].reverse().map((e) => COLUMNS.map(([, read]) => csvField(read(e))).join(','));
  return [COLUMNS.map(([name]) => name).join(','), ...rows].join('\n') + '\n';
}

/** The runs (oldest first) as JSON text: settings and reports, without the event logs. */
export function runsToJson(entries, environment) {
  const runs = [...entries].reverse().map(({ number, settings, report, speedup, error }) => ({
    run: number,
    settings,
    ...(report ? { report: { ...report, timeline: undefined }, speedup } : { error }),
  }));
  return JSON.stringify({ exported_at: new Date().toISOString(), environment, runs }, null, 2);
}

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
