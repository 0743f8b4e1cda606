#!/usr/bin/env bash
# The one entry point. On a fresh machine it installs what is missing, then:
#   ./build.sh serve [--port N]   build everything and serve the page (prints the URL)
#   ./build.sh test               build everything and run every test (Rust and browser)
#   ./build.sh bench [--reps R]   the benchmark: native vs browser, speed budget (not a test)
#   ./build.sh dist               write dist/: the page for any static host, offline-capable
#   ./build.sh build              build the wasm module and the native CLI only
# Each unusual step says why below.
set -euo pipefail
cd "$(dirname "$0")"

# The wasm-bindgen CLI must be exactly the crate's version: read it from Cargo.toml.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
TOOLS="$PWD/.tools"
WASM_TARGET=wasm32-unknown-unknown
PKG=www/pkg

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# rustup installs exactly what rust-toolchain.toml names; cargo does not (RUSTUP_AUTO_INSTALL=0
# here, and a plain build never adds a missing component such as rust-src).
ensure_toolchain() {
  command -v rustup >/dev/null || die "rustup is missing: install it from https://rustup.rs"
  rustup toolchain install >/dev/null 2>&1 || rustup toolchain install
}

ensure_wasm_bindgen() {
  export PATH="$TOOLS/bin:$PATH"
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION into .tools (about 3 minutes, once)"
    # No --locked: its lockfile wants a webpki-roots version the registry does not serve.
    cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --root "$TOOLS"
  fi
}

# Node packages: wasm-opt (npm's binaryen; Debian's 108 breaks wasm-bindgen output),
# playwright-core for the browser tests, and the browser libraries vendored into www/.
ensure_node_modules() {
  command -v npm >/dev/null || die "npm is missing: install Node.js 20 or later"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing node packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_chromium() {
  command -v chromium >/dev/null && return
  log "installing Debian's chromium for the browser tests"
  [ "$(id -u)" = 0 ] || die "chromium is missing and installing it needs root: apt-get install chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

build_wasm() {
  log "building the wasm module (threads: shared memory, std rebuilt with atomics)"
  # build-std: std must itself be compiled with +atomics for shared memory; the flags are in
  # .cargo/config.toml.
  cargo build --release --lib --target "$WASM_TARGET" -Z build-std=panic_abort,std
  rm -rf "$PKG"
  wasm-bindgen --target web --no-typescript --out-dir "$PKG" \
    "target/$WASM_TARGET/release/gil_playground.wasm"
  node_modules/.bin/wasm-opt -O3 --strip-producers --strip-target-features \
    --enable-threads --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
    --enable-nontrapping-float-to-int --enable-reference-types \
    "$PKG/gil_playground_bg.wasm" -o "$PKG/gil_playground_bg.wasm"
}

# Browser libraries come from npm at pinned versions and are copied, not bundled, into
# www/vendor (git-ignored): the page imports them as plain ES modules, from its own origin.
vendor_browser_libs() {
  mkdir -p www/vendor
  cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css www/vendor/
  cp node_modules/uplot/LICENSE www/vendor/uPlot.LICENSE
  cp node_modules/qrcode-generator/dist/qrcode.mjs www/vendor/qrcode.mjs
}

# The fallback for pages that cannot be cross-origin isolated: the same crate without the
# thread pool, built without atomics or shared memory (the flags below replace the threaded
# ones in .cargo/config.toml), in a target folder of its own so both builds stay cached.
build_wasm_single() {
  log "building the single-threaded fallback wasm module (no shared memory)"
  CARGO_ENCODED_RUSTFLAGS="-Zfmt-debug=none" cargo build --release --lib --target "$WASM_TARGET" \
    --no-default-features -Z build-std=panic_abort,std --target-dir target/single
  rm -rf "$PKG-single"
  wasm-bindgen --target web --no-typescript --out-dir "$PKG-single" \
    "target/single/$WASM_TARGET/release/gil_playground.wasm"
  node_modules/.bin/wasm-opt -O3 --strip-producers --strip-target-features \
    --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
    --enable-nontrapping-float-to-int --enable-reference-types \
    "$PKG-single/gil_playground_bg.wasm" -o "$PKG-single/gil_playground_bg.wasm"
}

# The files the service worker saves for offline use, and a version that changes with any of
# them (a new build then replaces the old cache). Written into the folder it describes.
write_sw_manifest() {
  node --input-type=module - "$1" <<'JS'
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
const root = process.argv[2];
const skip = new Set(['sw.js', 'sw-manifest.js', '_headers']);
const walk = (dir) => readdirSync(`${root}/${dir}`).sort().flatMap((name) => {
  const path = dir ? `${dir}/${name}` : name;
  return statSync(`${root}/${path}`).isDirectory() ? walk(path) : skip.has(path) ? [] : [path];
});
const files = walk('');
const hash = createHash('sha256');
for (const file of files) hash.update(file).update(readFileSync(`${root}/${file}`));
const build = { version: hash.digest('hex').slice(0, 12), files: ['./', ...files] };
writeFileSync(`${root}/sw-manifest.js`,
  `// Written by build.sh: the files sw.js saves for offline use.\nself.GIL_PLAYGROUND_BUILD = ${JSON.stringify(build, null, 1)};\n`);
JS
}

# A folder any static host can serve (relative paths only, so a sub-path works too). Hosts
# that read a _headers file (Netlify, Cloudflare Pages) get the isolation headers at once;
# elsewhere the service worker adds them after one reload.
make_dist() {
  log "writing dist/ for static hosting"
  rm -rf dist
  cp -r www dist
  printf '/*\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n  Cross-Origin-Resource-Policy: same-origin\n' > dist/_headers
}

build_native() {
  log "building the native CLI"
  cargo build --release --bin gil-playground
}

build_all() {
  ensure_toolchain
  ensure_wasm_bindgen
  ensure_node_modules
  vendor_browser_libs
  build_wasm
  build_wasm_single
  write_sw_manifest www
  build_native
}

cmd_test() {
  build_all
  ensure_chromium
  log "Rust tests (core, CLI, server)"
  cargo fmt --all -- --check || die "cargo fmt found unformatted code: run cargo fmt"
  cargo test --release
  make_dist
  log "browser tests (headless Chromium)"
  node --test --test-concurrency=1 --test-timeout=300000 tests/browser/
}

case "${1:-}" in
  serve) shift; build_all; exec target/release/gil-playground serve "$@" ;;
  test) shift; cmd_test "$@" ;;
  bench) shift; build_all; ensure_chromium; exec node bench/bench.mjs "$@" ;;
  dist) shift; build_all; make_dist; log "done: serve dist/ from any static host" ;;
  build) shift; build_all ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
