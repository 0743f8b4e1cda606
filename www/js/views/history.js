// Runs on the page: this session's runs as a table, newest first, and the 1-thread baseline
// each speedup is measured against. A new column is one entry in COLUMNS.
import { h, fill } from './dom.js';
import { count, gilLabel, ms, percent, rate, ratio } from './format.js';

const COLUMNS = [
  { title: '#', cell: (e) => e.number },
  { title: 'Mode', cell: (e) => e.settings.mode },
  { title: 'Model', cell: (e) => e.settings.model ?? 'threads' },
  { title: 'Workers', cell: (e) => e.settings.threads },
  { title: 'GIL', cell: (e) => gilLabel(e.settings).replace('GIL ', '') },
  { title: 'Total', cell: (e) => count(e.settings.total) },
  { title: 'Wall', cell: (e) => (e.report ? ms(e.report.wall_ms) : '—') },
  { title: 'Throughput', cell: (e) => (e.report ? rate(e.report.million_per_second) : '—') },
  { title: 'Speedup', cell: (e) => (e.speedup == null ? '—' : ratio(e.speedup)) },
  { title: 'Final', cell: (e) => (e.report ? count(e.report.final) : '—') },
  { title: 'Lost', cell: (e) => `${count(e.report.lost)} (${percent(e.report.loss_percent)})` },
];
// Columns that exist before a run has a report; a failed run shows its message after them.
const SETTINGS_COLUMNS = 6;

export class History {
  constructor(table) {
    this.table = table;
    this.entries = [];
    fill(table.tHead ?? table.createTHead(), h('tr', {}, COLUMNS.map((c) => h('th', { scope: 'col' }, c.title))));
    this.body = table.tBodies[0] ?? table.createTBody();
  }

  /** Throughput of this session's latest 1-thread run of `mode` with the same GIL and model. */
  baseline(mode, gil = 'off', model = 'threads') {
    const base = this.entries.find((e) => e.report && e.report.mode === mode
      && e.report.threads === 1 && e.report.gil === gil && e.report.model === model);
    return base ? base.report.million_per_second : null;
  }

  /** Speedup of a report over the 1-thread baseline of its mode and model (1.00 for a 1-thread run). */
  speedup(report) {
    if (report.threads === 1) return 1;
    const base = this.baseline(report.mode, report.gil, report.model);
    return base ? report.million_per_second / base : null;
  }

  add(entry) {
    entry.number = this.entries.length + 1;
    this.entries.unshift(entry);
    this.table.hidden = false;
    const cells = entry.report
      ? COLUMNS.map((c) => h('td', {}, c.cell(entry)))
      : [...COLUMNS.slice(0, SETTINGS_COLUMNS).map((c) => h('td', {}, c.cell(entry))),
        h('td', { class: 'message', colspan: COLUMNS.length - SETTINGS_COLUMNS }, `failed: ${entry.error}`)];
    this.body.prepend(h('tr', { class: entry.report ? '' : 'failed' }, cells));
  }
}
