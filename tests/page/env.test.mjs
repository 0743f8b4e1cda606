// The browser's name as the environment footer gives it, from real user agents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserName } from '../../www/js/hosting/env.js';

const CASES = [
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15', 'WebKitGTK (AppleWebKit 605.1.15)'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', 'Safari 18'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 'Safari 17'],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0', 'Firefox 140'],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36', 'Chrome 142'],
  ['curl/8.0', 'an unknown browser'],
];

for (const [ua, name] of CASES) {
  test(`names ${name}`, () => assert.equal(browserName(ua, []), name));
}

test('prefers a client-hint brand over Chromium', () => {
  assert.equal(browserName('', [{ brand: 'Not.A/Brand', version: '99' }, { brand: 'Chromium', version: '142' }, { brand: 'Google Chrome', version: '142' }]), 'Google Chrome 142');
});
