// Runs on the page: what this browser offers, detected once. Every check says in words what
// is missing, why it matters, and how to fix it (the notice shows that text as is).

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

function browserName() {
  const brands = navigator.userAgentData?.brands ?? [];
  const brand = brands.find((b) => !/not.?a.?brand/i.test(b.brand) && b.brand !== 'Chromium')
    ?? brands.find((b) => b.brand === 'Chromium');
  if (brand) return `${brand.brand} ${brand.version}`;
  const ua = navigator.userAgent;
  const match = ua.match(/(Firefox|Edg|Chrome|Version)\/(\d+)/);
  if (!match) return 'an unknown browser';
  const name = { Edg: 'Edge', Version: /Safari/.test(ua) ? 'Safari' : 'Browser' }[match[1]] ?? match[1];
  return `${name} ${match[2]}`;
}

/**
 * Why threads cannot run here, or null if they can.
 * @returns {{ title: string, why: string, fix: string } | null}
 */
export function threadsProblem(env) {
  if (env.isolated && env.sharedMemory) return null;
  const title = 'This page cannot run threads here';
  if (env.protocol === 'file:') {
    return { title, why: 'It was opened as a file, and browsers do not allow shared-memory threads (or module scripts) for files.',
      fix: 'Serve the folder instead: run ./build.sh serve and open the URL it prints.' };
  }
  if (!env.secure) {
    return { title, why: `It was loaded over plain http from ${location.host}, which is not a secure context, so the browser withholds SharedArrayBuffer.`,
      fix: 'Open it over https, or on this computer as http://localhost or http://127.0.0.1.' };
  }
  if (env.framed) {
    return { title, why: 'It is inside a frame that is not cross-origin isolated: the page around it must send Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers, and the frame needs allow="cross-origin-isolated".',
      fix: 'Open the playground in its own tab, or embed it from an isolated page.' };
  }
  if (!env.sharedMemory && env.isolated) {
    return { title, why: 'This browser does not offer SharedArrayBuffer even though the page is isolated.',
      fix: 'Use a current Chromium, Firefox, or Safari 16.4 or later.' };
  }
  return { title, why: 'The server did not send the headers that make the page cross-origin isolated (Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), and without isolation browsers withhold SharedArrayBuffer.',
    fix: 'Serve it with ./build.sh serve, or from a host that sends those headers.' };
}
