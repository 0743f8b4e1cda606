// Runs on the page: the timeline of the last run on a canvas. One lane per thread, time
// across; spans for what each thread was doing (its own recorded state changes), marks for
// drop requests, GIL handoffs, stale writes and lock handoffs; colours and patterns come from
// palette.js. Zoom with the wheel, the buttons, a pinch or + and -; pan by dragging or with the
// arrow keys. Beside it: exact counts from the engine, and the same lanes as a table for
// readers who cannot see the canvas.
import { h, fill } from './dom.js';
import { count, gilOn, ms } from './format.js';
import { HALO, HOLDING_LOCK, LANE_COLOR, MARKS, STATES } from './palette.js';

const LANE = 26;
const GAP = 6;
const AXIS = 22;
const LABEL = 64;

export class Timeline {
  constructor(root) {
    this.root = root;
    this.canvas = root.querySelector('canvas');
    this.windowLabel = root.querySelector('[data-role=window]');
    this.counts = root.querySelector('[data-role=counts]');
    this.note = root.querySelector('[data-role=timeline-note]');
    this.lanes = [];
    this.view = [0, 1];
    this.table = root.querySelector('[data-role=table]');
    // One entry per state and mark; each run shows only those its lanes have.
    this.legend = root.querySelector('[data-role=legend]');
    fill(this.legend, [
      ...Object.entries(STATES).map(([name, s]) => h('li', { 'data-key': name }, swatch((g) => paintSpan(g, name, false, 0, 0, 22, 14)), s.label)),
      h('li', { 'data-key': 'holding_lock' }, swatch((g) => paintSpan(g, 'holding_gil', true, 0, 0, 22, 14)), HOLDING_LOCK.label),
      ...Object.entries(MARKS).map(([name, m]) => h('li', { 'data-key': name }, swatch((g) => drawMark(g, m, 11, 0, 14)), m.label)),
    ]);
    root.querySelector('[data-zoom=in]').addEventListener('click', () => this.zoom(0.5));
    root.querySelector('[data-zoom=out]').addEventListener('click', () => this.zoom(2));
    root.querySelector('[data-zoom=reset]').addEventListener('click', () => this.reset());
    this.listen();
    this.listenKeys();
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  /**
   * Shows the timeline of `report`. `hostOffsetMs` aligns the engine's clock with the page's
   * time origin; `capacity` is how many events each thread keeps; `names` decodes event codes.
   */
  /** A run begins: the timeline will be drawn live from what its threads publish. */
  startLive(settings) {
    this.live = { threads: [], base: null, probe: settings.probe > 0 };
  }

  /**
   * Adds the events the threads published since the last progress message (typed arrays of
   * raw times, codes and values per thread) and redraws: the timeline grows while the run is
   * under way. The complete log replaces it when the run ends.
   */
  appendLive(batch, names) {
    if (!this.live || !batch.length) return;
    batch.forEach((events, i) => {
      const thread = (this.live.threads[i] ??= { t_ns: [], code: [], value: [] });
      thread.t_ns.push(...events.t_ns);
      thread.code.push(...events.code);
      thread.value.push(...events.value);
    });
    const times = this.live.threads.flatMap((t) => (t.t_ns.length ? [t.t_ns[0]] : []));
    if (!times.length) return;
    this.live.base = Math.min(...times);
    const last = Math.max(...this.live.threads.flatMap((t) => (t.t_ns.length ? [t.t_ns.at(-1)] : [])));
    this.end = Math.max(1, last - this.live.base);
    this.report = { latency: this.live.probe ? {} : null };
    this.lanes = this.live.threads.map((t) => lane({
      t_ns: t.t_ns.map((v) => v - this.live.base), code: t.code, value: t.value, dropped: 0,
    }, this.end, names));
    this.root.hidden = false;
    this.root.dataset.live = 'true';
    this.view = [0, this.end];
    this.draw();
    fill(this.counts);
    fill(this.table);
    this.note.textContent = 'Drawn live from the events the threads have published so far (the first '
      + '4,096 of each); the complete log replaces it when the run ends.';
  }

  show(report, { hostOffsetMs = 0, capacity = 20000, names }) {
    this.live = null;
    this.root.dataset.live = 'false';
    this.report = report;
    this.end = Math.max(1, Math.round(report.wall_ms * 1e6));
    this.lanes = report.timeline.map((thread) => lane(thread, this.end, names));
    this.root.hidden = false;
    this.reset();
    this.showCounts(report);
    this.showTable();
    const dropped = report.summary.events_dropped;
    const started = hostOffsetMs + report.clock_start_ms;
    this.note.textContent = [
      `The run started ${ms(started)} after this page's time origin (performance.timeOrigin); `
        + 'every time was read by the thread it belongs to.',
      report.model === 'processes'
        ? 'Each process keeps its log in its own memory: only its counts and the time it spent in each state came back, so its lane stays empty.'
        : dropped > 0
        ? `Each thread records its first ${count(capacity)} events: `
          + `${count(dropped)} later events were not recorded, so the end of some lanes is left blank. `
          + 'The counts beside the timeline are exact.'
        : 'Every event was recorded.',
    ].join(' ');
  }

  showCounts(report) {
    const s = report.summary;
    const t = s.state_ns;
    const rows = gilOn(report)
      ? [
        ['GIL handoffs', count(s.handoffs)],
        ['Drop requests', count(s.drop_requests)],
        ['Mean GIL hold', ms(s.mean_gil_hold_ms)],
        ['Waiting for the GIL', ms((t.waiting_gil + t.switch_wait) / 1e6)],
        ['Waiting for the lock', ms((t.waiting_lock + t.parked) / 1e6)],
        ['Stale writes', `${count(s.stale_writes)} (overwrote ${count(s.overwritten)})`],
      ]
      : [
        ['Running', ms(t.running / 1e6)],
        ['Parked in the lock', ms(t.parked / 1e6)],
        ['Lock waits', count(s.lock_waits)],
        ['Lock owner changes', count(s.lock_owner_changes)],
      ];
    if (s.parks || s.lock_handoffs) rows.push(['Parks', count(s.parks)], ['Lock handed over', count(s.lock_handoffs)]);
    const o = s.objects?.counts;
    if (o) {
      rows.push(
        ['Atomic count operations', count(o.atomic_ops)],
        ['Plain count operations', count(o.plain_ops)],
        ['Ints made / freed', `${count(o.allocated)} / ${count(o.freed + o.freed_remotely)}`],
      );
      if (o.queued) rows.push(['Ints queued to their maker', count(o.queued)]);
      if (o.locked_reads || o.dict_lock_waits) rows.push(['Reads under the dict\'s lock', count(o.locked_reads)], ['Waits for the dict\'s lock', count(o.dict_lock_waits)]);
    }
    fill(this.counts, rows.map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, value))));
  }

  reset() {
    this.view = [0, this.end];
    this.draw();
  }

  /** Zooms by `factor` around `centre` (ns; the middle of the view by default). */
  zoom(factor, centre = (this.view[0] + this.view[1]) / 2) {
    const min = 2000; // 2 us: below the browser clock's 5 us there is nothing to see
    const span = Math.min(this.end, Math.max(min, (this.view[1] - this.view[0]) * factor));
    const ratio = (centre - this.view[0]) / (this.view[1] - this.view[0] || 1);
    this.view[0] = centre - span * ratio;
    this.clampView(span);
    this.draw();
  }

  clampView(span) {
    if (this.view[0] < 0) this.view[0] = 0;
    if (this.view[0] + span > this.end) this.view[0] = Math.max(0, this.end - span);
    this.view[1] = this.view[0] + span;
  }

  /** Time (ns) under a client x coordinate. */
  timeAt(clientX) {
    const box = this.canvas.getBoundingClientRect();
    const x = Math.min(Math.max(clientX - box.left - LABEL, 0), box.width - LABEL);
    return this.view[0] + (x / Math.max(1, box.width - LABEL)) * (this.view[1] - this.view[0]);
  }

  listen() {
    const canvas = this.canvas;
    canvas.addEventListener('wheel', (event) => {
      if (!this.lanes.length) return;
      event.preventDefault();
      this.zoom(event.deltaY < 0 ? 0.8 : 1.25, this.timeAt(event.clientX));
    }, { passive: false });
    const pointers = new Map();
    let last = null;
    canvas.addEventListener('pointerdown', (event) => {
      canvas.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, event.clientX);
      last = null;
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!pointers.has(event.pointerId) || !this.lanes.length) return;
      const before = [...pointers.values()];
      pointers.set(event.pointerId, event.clientX);
      const after = [...pointers.values()];
      const span = this.view[1] - this.view[0];
      const width = Math.max(1, canvas.getBoundingClientRect().width - LABEL);
      if (after.length === 2) {
        // Pinch: zoom by the change in distance between the two fingers.
        const distance = Math.abs(after[0] - after[1]);
        if (last) this.zoom(last / Math.max(distance, 1), this.timeAt((after[0] + after[1]) / 2));
        last = distance;
        return;
      }
      const dx = after[0] - before[0];
      this.view[0] -= (dx / width) * span;
      this.clampView(span);
      this.draw();
    });
    const end = (event) => { pointers.delete(event.pointerId); last = null; };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  /** The legend's entries for what the lanes hold, the others hidden. */
  showLegend() {
    const present = new Set(this.lanes.flatMap((l) => [
      ...l.spans.map((span) => span.state), ...l.marks.map((m) => m.kind),
      ...(l.spans.some((span) => span.holdingLock) ? ['holding_lock'] : []),
    ]));
    for (const item of this.legend.children) item.hidden = !present.has(item.dataset.key);
  }

  /** Arrow keys pan by a tenth of the view, + and - zoom, Home shows the whole run. */
  listenKeys() {
    this.canvas.addEventListener('keydown', (event) => {
      if (!this.lanes.length || event.ctrlKey || event.metaKey || event.altKey) return;
      const span = this.view[1] - this.view[0];
      const actions = {
        ArrowLeft: () => { this.view[0] -= span / 10; this.clampView(span); this.draw(); },
        ArrowRight: () => { this.view[0] += span / 10; this.clampView(span); this.draw(); },
        '+': () => this.zoom(0.5),
        '=': () => this.zoom(0.5),
        '-': () => this.zoom(2),
        Home: () => this.reset(),
      };
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      event.stopPropagation();
      action();
    });
  }

  /** The lanes in words: per thread, the time in each state and the count of each mark. */
  showTable() {
    const states = Object.keys(STATES).filter((name) => this.lanes.some((l) => l.spans.some((s) => s.state === name)));
    const marks = Object.keys(MARKS).filter((name) => this.lanes.some((l) => l.marks.some((m) => m.kind === name)));
    const header = h('tr', {}, h('th', { scope: 'col' }, 'Lane'),
      ...states.map((name) => h('th', { scope: 'col' }, STATES[name].label)),
      ...marks.map((name) => h('th', { scope: 'col' }, `${MARKS[name].label} (count)`)));
    const rows = this.lanes.map((laneData, i) => h('tr', {},
      h('th', { scope: 'row' }, this.laneName(i)),
      ...states.map((name) => h('td', {}, ms(laneData.spans.filter((s) => s.state === name)
        .reduce((sum, s) => sum + (s.end - s.start), 0) / 1e6))),
      ...marks.map((name) => h('td', {}, count(laneData.marks.filter((m) => m.kind === name).length)))));
    fill(this.table, [h('thead', {}, header), h('tbody', {}, ...rows)]);
  }

  laneName(i) {
    return this.report.latency && i === this.lanes.length - 1 ? 'probe' : `thread ${i + 1}`;
  }

  draw() {
    const canvas = this.canvas;
    const width = canvas.clientWidth;
    if (!width || !this.lanes.length) return;
    const height = AXIS + this.lanes.length * (LANE + GAP);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.height = `${height}px`;
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    const [t0, t1] = this.view;
    const plot = width - LABEL;
    const x = (t) => LABEL + ((t - t0) / (t1 - t0)) * plot;
    g.font = '12px system-ui, sans-serif';
    g.textBaseline = 'middle';
    this.lanes.forEach((laneData, i) => {
      const y = AXIS + i * (LANE + GAP);
      g.fillStyle = '#5b6672';
      g.fillText(this.laneName(i), 0, y + LANE / 2);
      g.fillStyle = LANE_COLOR;
      g.fillRect(LABEL, y, plot, LANE);
      g.strokeStyle = '#5b6672';
      g.lineWidth = 1;
      g.strokeRect(LABEL + 0.5, y + 0.5, plot - 1, LANE - 1);
      for (const span of laneData.spans) {
        if (span.end < t0 || span.start > t1) continue;
        const a = Math.max(LABEL, x(span.start));
        const b = Math.min(width, x(span.end));
        paintSpan(g, span.state, span.holdingLock, a, y, Math.max(1, b - a), LANE);
      }
      for (const mark of laneData.marks) {
        if (mark.t < t0 || mark.t > t1) continue;
        drawMark(g, MARKS[mark.kind], x(mark.t), y, LANE);
      }
    });
    drawAxis(g, t0, t1, LABEL, plot);
    this.windowLabel.textContent = `${ms(t0 / 1e6)} – ${ms(t1 / 1e6)} of ${ms(this.end / 1e6)}`;
    canvas.dataset.drawnLanes = String(this.lanes.filter((l) => l.spans.length).length);
    this.showLegend();
  }
}

/**
 * Spans and marks of one thread from its event columns (typed arrays: times in ns after the
 * run's start, event codes that `names` decodes, values).
 */
function lane(thread, end, names) {
  const spans = [];
  const marks = [];
  let open = null;
  for (let i = 0; i < thread.code.length; i++) {
    const name = names[thread.code[i]];
    const t = thread.t_ns[i];
    if (name in STATES || name === 'done') {
      // Clocks of different workers differ by a tick: never draw a span backwards.
      if (open) spans.push({ ...open, end: Math.max(open.start, t) });
      open = name === 'done' ? null : { state: name, start: t, holdingLock: thread.value[i] === 1 };
    } else {
      marks.push({ kind: name, t });
    }
  }
  // A log cut short by its bound ends where its last event was: the rest is unknown.
  if (open && thread.dropped === 0) spans.push({ ...open, end });
  return { spans, marks };
}

/** A small canvas for the legend, drawn by the same code as the lanes. */
function swatch(paint) {
  const canvas = h('canvas', { class: 'swatch', width: 44, height: 28, 'aria-hidden': 'true' });
  const g = canvas.getContext('2d');
  g.scale(2, 2);
  paint(g);
  return canvas;
}

/**
 * One span: its state's colour, its pattern in white, a white line on its left edge (so two
 * neighbouring states are told apart by more than colour) and a white bar on top while the
 * thread held the user's lock.
 */
function paintSpan(g, state, holdingLock, x, y, w, hgt) {
  const style = STATES[state];
  g.fillStyle = style?.color ?? '#5b6672';
  g.fillRect(x, y, w, hgt);
  g.save();
  g.beginPath();
  g.rect(x, y, w, hgt);
  g.clip();
  g.strokeStyle = HALO;
  g.fillStyle = HALO;
  g.lineWidth = 1;
  g.beginPath();
  switch (style?.pattern) {
    case 'horizontal':
      for (let i = y + 4.5; i < y + hgt; i += 5) { g.moveTo(x, i); g.lineTo(x + w, i); }
      break;
    case 'vertical':
      for (let i = x + 3.5; i < x + w; i += 6) { g.moveTo(i, y); g.lineTo(i, y + hgt); }
      break;
    case 'diagonal':
      for (let i = -hgt; i < w; i += 6) { g.moveTo(x + i, y + hgt); g.lineTo(x + i + hgt, y); }
      break;
    case 'cross':
      for (let i = -hgt; i < w; i += 7) {
        g.moveTo(x + i, y + hgt); g.lineTo(x + i + hgt, y);
        g.moveTo(x + i, y); g.lineTo(x + i + hgt, y + hgt);
      }
      break;
    case 'dots':
      for (let j = y + 3; j < y + hgt; j += 5) for (let i = x + 3; i < x + w; i += 5) g.rect(i, j, 1.5, 1.5);
      g.fill();
      break;
    default:
      break;
  }
  g.stroke();
  if (holdingLock) g.fillRect(x, y, w, 4);
  if (w > 3) g.fillRect(x, y, 1, hgt);
  g.restore();
}

/** A mark: its shape in a dark colour over a white halo, readable on every state. */
function drawMark(g, mark, x, y, hgt) {
  const shape = () => {
    g.beginPath();
    switch (mark.shape) {
      case 'triangle':
        g.moveTo(x - 4, y - 1); g.lineTo(x + 4, y - 1); g.lineTo(x, y + 6); g.closePath(); break;
      case 'tick':
        g.moveTo(x, y - 2); g.lineTo(x, y + hgt + 2); break;
      case 'dot':
        g.arc(x, y + hgt / 2, 3.5, 0, 2 * Math.PI); break;
      case 'diamond':
        g.moveTo(x, y + hgt - 9); g.lineTo(x + 4, y + hgt - 4); g.lineTo(x, y + hgt + 1);
        g.lineTo(x - 4, y + hgt - 4); g.closePath(); break;
      case 'square':
        g.rect(x - 3, y + 2, 6, 6); break;
      case 'bar':
        g.rect(x - 1, y + hgt - 6, 3, 6); break;
    }
  };
  g.save();
  g.lineJoin = 'round';
  shape();
  g.strokeStyle = HALO;
  g.lineWidth = mark.shape === 'tick' ? 5 : 3;
  g.stroke();
  shape();
  g.fillStyle = mark.color;
  g.strokeStyle = mark.color;
  g.lineWidth = 2;
  if (mark.shape === 'tick') g.stroke(); else g.fill();
  g.restore();
}

function drawAxis(g, t0, t1, left, width) {
  const span = (t1 - t0) / 1e6; // ms
  const step = niceStep(span / Math.max(2, Math.floor(width / 90))); // a label every 90 px at most
  g.fillStyle = '#5b6672';
  g.strokeStyle = '#d8dee4';
  g.lineWidth = 1;
  g.textBaseline = 'top';
  const first = Math.ceil(t0 / 1e6 / step) * step;
  for (let t = first; t <= t1 / 1e6 + 1e-9; t += step) {
    const x = left + ((t * 1e6 - t0) / (t1 - t0)) * width;
    g.beginPath();
    g.moveTo(x, 14);
    g.lineTo(x, 20);
    g.stroke();
    const label = ms(t);
    g.fillText(label, Math.min(x + 2, left + width - g.measureText(label).width), 0);
  }
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
}
