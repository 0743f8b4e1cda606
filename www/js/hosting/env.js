// Runs on the page (and the example deck): what this browser offers, detected once.
// isolation.js decides from it whether threads can run, and explains why not in words.

/** The pool is built once (it cannot be resized): 2x the reported cores, 4 to 32 threads. */
export function poolSizeFor(cores) {
  return Math.min(32, Math.max(4, 2 * (cores || 2)));
}

export function detectEnvironment() {
  let framed = false;
  try {
    framed = window.top !== window.self;
  } catch {
    framed = true;
  }
  return {
    isolated: self.crossOriginIsolated === true,
    sharedMemory: typeof SharedArrayBuffer === 'function',
    secure: self.isSecureContext === true,
    framed,
    protocol: location.protocol,
    cores: navigator.hardwareConcurrency || null,
    browser: browserName(),
  };
}

/** The browser's name and major version, in words, from its client hints or user agent. */
export function browserName(ua = navigator.userAgent, brands = navigator.userAgentData?.brands ?? []) {
  const brand = brands.find((b) => !/not.?a.?brand/i.test(b.brand) && b.brand !== 'Chromium')
    ?? brands.find((b) => b.brand === 'Chromium');
  if (brand) return `${brand.brand} ${brand.version}`;
  const match = ua.match(/(Firefox|Edg|Chrome|Version)\/(\d+)/);
  if (!match) return 'an unknown browser';
  // WebKit on Linux (GNOME Web, MiniBrowser) sends Safari's token with a made-up version.
  if (match[1] === 'Version' && /Safari/.test(ua) && /X11|Linux/.test(ua) && !/Android/.test(ua)) {
    return `WebKitGTK (AppleWebKit ${ua.match(/AppleWebKit\/([\d.]+)/)?.[1] ?? '?'})`;
  }
  const name = { Edg: 'Edge', Version: /Safari/.test(ua) ? 'Safari' : 'Browser' }[match[1]] ?? match[1];
  return `${name} ${match[2]}`;
}
