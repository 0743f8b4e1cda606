// Runs on the page: the Python each mode stands for (from the seed talk's scripts), and the
// bytecode of `counter["value"] += 1` with the safe points of the chosen CPython version
// marked, i.e. where the (emulated) GIL may switch threads.
import { h, fill } from './dom.js';

const THREADS = `threads = [
    threading.Thread(target=increment, args=(counter, TOTAL // N))
    for _ in range(N)
]
for thread in threads: thread.start()
for thread in threads: thread.join()`;

const SHARED = `def increment(counter, num):
    for _ in range(num):
        counter["value"] += 1

counter = {"value": 0}
${THREADS}`;

const LOCKED = `lock = threading.Lock()

def increment(counter, num):
    for _ in range(num):
        with lock:
            counter["value"] += 1

counter = {"value": 0}
${THREADS}`;

/** Python per mode; a mode without an entry shows a note instead. */
const PYTHON = {
  racy: `# multi_thread_share.py (single_thread.py is the same loop, no threads)\n${SHARED}`,
  pymutex: `# multi_thread_share_lock.py\n${LOCKED}`,
  mutex: `# multi_thread_share_lock.py, with Rust's Mutex as the lock\n${LOCKED}`,
  private: `# multi_thread_private.py
def increment(counter, num):
    for _ in range(num):
        counter["value"] += 1

counters = [{"value": 0} for _ in range(N)]
threads = [
    threading.Thread(target=increment, args=(c, TOTAL // N))
    for c in counters
]`,
  atomic: `# No pure-Python equivalent: one hardware atomic add per
# increment, as a C extension could do it. Python's "+=" on a
# dict entry is always a read, an add and a write.`,
};

// The loop body's bytecode (real `dis` output) and the emulation's step each instruction
// belongs to. `check` marks where that version tests the eval breaker: a safe point.
const BYTECODE = {
  '3.9': {
    title: 'CPython 3.9 bytecode of the loop (checks before most instructions)',
    ops: [
      ['FOR_ITER', 'Loop', true], ['STORE_FAST _', 'Loop', true], ['LOAD_FAST counter', 'Read'],
      ['LOAD_CONST \'value\'', 'Read'], ['DUP_TOP_TWO', 'Read'], ['BINARY_SUBSCR', 'Read'],
      ['LOAD_CONST 1', 'Add', true], ['INPLACE_ADD', 'Add'], ['ROT_THREE', 'Write', true],
      ['STORE_SUBSCR', 'Write'], ['JUMP_ABSOLUTE', 'Jump', true],
    ],
  },
  '3.10': {
    title: 'CPython 3.11-3.13 bytecode of the loop (3.10 checks at the same place)',
    ops: [
      ['FOR_ITER', 'Loop'], ['STORE_FAST _', 'Loop'], ['LOAD_FAST counter', 'Read'],
      ['LOAD_CONST \'value\'', 'Read'], ['COPY 2', 'Read'], ['COPY 2', 'Read'],
      ['BINARY_SUBSCR', 'Read'], ['LOAD_CONST 1', 'Add'], ['BINARY_OP 13 (+=)', 'Add'],
      ['SWAP 3', 'Write'], ['SWAP 2', 'Write'], ['STORE_SUBSCR', 'Write'],
      ['JUMP_BACKWARD', 'Jump', true],
    ],
  },
};

export class PythonPanel {
  constructor(root) {
    this.code = root.querySelector('[data-role=python-code]');
    this.title = root.querySelector('[data-role=bytecode-title]');
    this.list = root.querySelector('[data-role=bytecode]');
    this.weights = root.querySelector('[data-role=serve-weights]');
    this.steps = null;
  }

  /** The engine's steps and serve weights per mode (shown with the bytecode once known). */
  setSteps(steps, settings) {
    this.steps = steps;
    this.show(settings);
  }

  show({ mode, safePoints }) {
    const entry = this.steps?.find((s) => s.mode === mode);
    const weights = entry?.[safePoints === '3.9' ? 'weights_39' : 'weights_310'] ?? [];
    const sum = weights.reduce((n, [, w]) => n + w, 0);
    this.weights.textContent = weights.length
      ? `Where the emulated GIL serves a drop request in this mode (chance ∝ CPython 3.9's measured `
        + `cost of the steps since the previous safe point): ${weights.map(([step, w]) =>
          `after ${step} ${Math.round((100 * w) / sum)}%`).join(', ')}.`
      : '';
    this.code.textContent = PYTHON[mode] ?? '# (no Python equivalent recorded for this mode)';
    const version = BYTECODE[safePoints] ?? BYTECODE['3.10'];
    this.title.textContent = `${version.title}. ▶ marks a safe point, where the GIL may switch `
      + 'threads; one between BINARY_SUBSCR (read) and STORE_SUBSCR (write) splits the "+=".';
    fill(this.list, version.ops.map(([op, step, check]) => h('li',
      { class: check ? 'safe-point' : '', 'data-step': step },
      h('span', { class: 'marker', 'aria-label': check ? 'safe point' : undefined }, check ? '▶' : ''),
      h('code', {}, op),
      h('span', { class: 'step' }, step))));
  }
}
