import { chromium } from 'playwright-core';
const runs = JSON.parse(process.argv[2]);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run','--disable-quic'] });
const page = await browser.newPage();
page.on('pageerror', e => console.log('pageerror', e.message));
page.on('console', m => m.type() === 'error' && console.log('console', m.text()));
await page.goto(process.env.URL || 'http://127.0.0.1:8123/');
await page.waitForSelector('body[data-engine=ready]', { timeout: 30000 });
for (const s of runs) {
  const r = await page.evaluate(async (s) => { try { const r = await gilPlayground.engine.run(s); const m = r.summary; return [r.mode, r.threads, r.gil ? r.gil.safe_points : 'off', r.wall_ms.toFixed(1), (r.wall_ms*1e6/r.total).toFixed(1)+'ns/inc', 'lost%', r.loss_percent.toFixed(1), 'hand', m.handoffs, 'req', m.drop_requests, 'waits', m.lock_waits, 'parks', m.parks, 'lockhand', m.lock_handoffs, 'owner', m.lock_owner_changes, 'parkedms', (m.state_ns.parked/1e6).toFixed(1), 'drop', m.events_dropped]; } catch (e) { return 'ERR ' + e.message; } }, s);
  console.log(JSON.stringify(r));
}
await browser.close();
