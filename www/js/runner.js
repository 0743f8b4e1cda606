// Runs on the page: what happens around one run. It marks the engine busy, runs the settings
// on the engine, then shows the result, its timeline and a history row, and tells a framing
// deck. Every view that starts runs (Run, the seed matrix, the sweep) goes through `run`.
// While the threads are timed the page does as little as it can: no animation, the elapsed
// time only once a second after the first second, progress only for long runs.

const ELAPSED_EVERY_MS = 1000;

export class Runner {
  /**
   * @param {{ engine, status, controls, results, timeline, history, notice, api,
   *           standing: () => object|null, announce: (text) => void }} parts standing: notices
   *           that must stay visible; announce: the polite live region's text
   */
  constructor(parts) {
    Object.assign(this, parts);
  }

  /**
   * Asks the run under way to stop, and stops a matrix or a sweep after it; resolves with
   * whether everything ended within `timeoutMs`.
   */
  async stop(timeoutMs = 2000) {
    this.stopping = true;
    this.engine.stopRun();
    const ended = this.working ?? Promise.resolve();
    return Promise.race([ended.then(() => true), new Promise((r) => setTimeout(() => r(false), timeoutMs))]);
  }

  /** Whether Stop was pressed during the current work (views with loops check it). */
  get stopRequested() {
    return Boolean(this.stopping);
  }

  /**
   * Runs `work` (one run or many) with the engine marked busy and an elapsed-time label; a
   * screen reader hears that it started and how it ended, nothing in between.
   */
  async busy(work) {
    this.stopping = false;
    this.announce('Running…');
    this.status.set('busy');
    this.controls.setBusy(true);
    const started = performance.now();
    const timer = setInterval(() => this.controls.setElapsed(performance.now() - started), ELAPSED_EVERY_MS);
    try {
      this.working = work();
      return await this.working;
    } catch (error) {
      // A view that fails to start (a library that does not load) says so instead of nothing.
      this.notice.show({ kind: 'error', title: 'That view could not start', text: [String(error?.message ?? error)] });
      return { error: String(error?.message ?? error) };
    } finally {
      this.working = null;
      clearInterval(timer);
      this.announce(`${this.stopping ? 'Stopped' : 'Finished'}: ${this.results.verdictText()}`);
      this.controls.setBusy(false);
      if (this.status.busy) this.status.set('ready');
    }
  }

  /**
   * One run: shows progress, then the result, its timeline and a history row. Resolves with
   * { report }, or with { error, code } after saying what went wrong. `id` tags the result
   * a framing deck receives.
   */
  async run(settings, id = null) {
    this.results.showRunning(settings);
    this.timeline.startLive(settings);
    try {
      const report = await this.engine.run(settings);
      const speedup = this.history.speedup(report);
      this.results.showReport(report, speedup);
      this.timeline.show(report, {
        hostOffsetMs: this.engine.hostClockOffsetMs,
        capacity: this.engine.info.events_per_thread,
        names: this.engine.info.event_names,
      });
      this.history.add({ settings, report, speedup });
      document.getElementById('export-runs').hidden = false;
      const standing = this.standing();
      if (standing) this.notice.show(standing);
      else this.notice.clear();
      this.api.result(id, settings, report);
      return { report };
    } catch (error) {
      this.results.showFailure(error.message);
      if (!error.fatal && error.code !== 'engine-restarted') this.notice.show({ kind: 'warn', title: 'Those settings cannot run', text: error.message });
      if (error.code !== 'engine-restarted') this.history.add({ settings, error: error.message });
      return { error: error.message, code: error.code };
    }
  }
}
