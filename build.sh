#!/usr/bin/env bash
# The one entry point. On a fresh machine it installs what is missing, then:
#   ./build.sh serve [--port N]   build everything and serve the page (prints the URL)
#   ./build.sh test               build everything and run every test (Rust and browsers)
#   ./build.sh bench [...]        the benchmark: native vs each browser engine (not a test)
#   ./build.sh dist               write dist/: the page for any static host, offline-capable
#   ./build.sh build              build the wasm modules and the native CLI only
# README "How the build works" explains the unusual steps; each says why below too.
set -euo pipefail
cd "$(dirname "$0")"

# The wasm-bindgen CLI must be exactly the crate's version: read it from Cargo.toml.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
TOOLS="$PWD/.tools"
WASM_TARGET=wasm32-unknown-unknown
STARTED=$SECONDS

# Each step prints its name and, when done, how long it took, so a first run shows progress.
step() {
  local name=$1
  shift
  local start=$SECONDS
  printf '\033[1m==> %s\033[0m\n' "$name" >&2
  "$@"
  printf '    %s: %ss (%ss so far)\n' "$name" $((SECONDS - start)) $((SECONDS - STARTED)) >&2
}
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
    # No --locked: its lockfile wants a webpki-roots version the registry does not serve.
    # --debug: an unoptimized build compiles in a fraction of the time, and the tool only
    # rewrites one small module per build.
    cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --root "$TOOLS" --debug \
      --quiet --bin wasm-bindgen
  fi
}

# Node packages: wasm-opt (npm's binaryen; Debian's 108 breaks wasm-bindgen output), the
# browser drivers for the tests, and the browser libraries vendored into www/.
ensure_node_modules() {
  command -v npm >/dev/null || die "npm is missing: install Node.js 20 or later"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# The three engines the browser tests run in, from Debian's packages: Chromium, Firefox ESR,
# and WebKitGTK's WebDriver with its MiniBrowser (which needs an X server: Xvfb).
BROWSER_PACKAGES=(chromium firefox-esr webkit2gtk-driver xvfb)
ensure_browsers() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v firefox-esr >/dev/null || missing+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver)
  command -v Xvfb >/dev/null || missing+=(xvfb)
  [ ${#missing[@]} = 0 ] && return
  [ "$(id -u)" = 0 ] || die "browsers missing (${missing[*]}); installing them needs root: apt-get install ${BROWSER_PACKAGES[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# wasm-bindgen's JS glue for one build, then wasm-opt on its module. $1: the cargo target
# folder, $2: the output folder, the rest: wasm features to keep enabled.
bindgen_and_opt() {
  local target_dir=$1 out=$2
  shift 2
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" \
    "$target_dir/$WASM_TARGET/release/gil_playground.wasm"
  local features=()
  for feature in "$@"; do features+=("--enable-$feature"); done
  node_modules/.bin/wasm-opt -O3 --strip-producers --strip-target-features "${features[@]}" \
    "$out/gil_playground_bg.wasm" -o "$out/gil_playground_bg.wasm"
}
COMMON_FEATURES=(bulk-memory mutable-globals sign-ext nontrapping-float-to-int reference-types)

# The threaded build: shared memory, std rebuilt with atomics (build-std; the linker flags are
# in .cargo/config.toml).
build_wasm() {
  cargo build --quiet --release --lib --target "$WASM_TARGET" -Z build-std=panic_abort,std
  bindgen_and_opt target www/pkg threads "${COMMON_FEATURES[@]}"
}

# The fallback for pages that cannot be cross-origin isolated: the same crate without the
# thread pool, built without atomics or shared memory (these flags replace the threaded ones),
# in a target folder of its own so both builds stay cached.
build_wasm_single() {
  CARGO_ENCODED_RUSTFLAGS="-Zfmt-debug=none" cargo build --quiet --release --lib \
    --target "$WASM_TARGET" --no-default-features -Z build-std=panic_abort,std --target-dir target/single
  bindgen_and_opt target/single www/pkg-single "${COMMON_FEATURES[@]}"
}

# Browser libraries come from npm at pinned versions and are copied, not bundled, into
# www/vendor (git-ignored): the page imports them as plain ES modules, from its own origin.
vendor_browser_libs() {
  mkdir -p www/vendor
  cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css www/vendor/
  cp node_modules/uplot/LICENSE www/vendor/uPlot.LICENSE
  cp node_modules/qrcode-generator/dist/qrcode.mjs www/vendor/qrcode.mjs
  # reveal.js for the example slide deck (reveal.html): the library, its notes plugin (the
  # speaker view), its stylesheet and one theme.
  mkdir -p www/vendor/reveal/theme www/vendor/reveal/plugin
  cp node_modules/reveal.js/dist/reveal.mjs node_modules/reveal.js/dist/reveal.css www/vendor/reveal/
  cp node_modules/reveal.js/dist/theme/white.css www/vendor/reveal/theme/
  cp node_modules/reveal.js/dist/plugin/notes.mjs www/vendor/reveal/plugin/
  cp node_modules/reveal.js/LICENSE www/vendor/reveal/LICENSE
}

# A folder any static host can serve (relative paths only, so a sub-path works too). Hosts
# that read a _headers file get the isolation headers at once; elsewhere the service worker
# adds them after one reload.
make_dist() {
  rm -rf dist
  cp -r www dist
  node tools/site.mjs headers dist
}

build_native() {
  cargo build --quiet --release --bin gil-playground
}

build_all() {
  step "toolchain (the pinned nightly)" ensure_toolchain
  step "wasm-bindgen-cli $WASM_BINDGEN_VERSION (into .tools, once)" ensure_wasm_bindgen
  step "node packages" ensure_node_modules
  step "browser libraries into www/vendor" vendor_browser_libs
  step "wasm module with threads" build_wasm
  step "single-threaded fallback wasm module" build_wasm_single
  step "app icons (www/icons)" node tools/icons.mjs www
  step "offline manifest" node tools/site.mjs manifest www
  step "native CLI and server" build_native
}

rust_checks() {
  cargo fmt --all -- --check || die "cargo fmt found unformatted code: run cargo fmt"
  cargo clippy --quiet --release --all-targets -- -D warnings
  cargo test --quiet --release
}

cmd_test() {
  build_all
  step "browsers (Debian's chromium, firefox-esr, webkit2gtk-driver, xvfb)" ensure_browsers
  step "Rust: format, clippy, tests (core, CLI, server)" rust_checks
  step "page modules without a browser (node --test tests/page)" node --test tests/page/
  step "dist/" make_dist
  step "browser tests (${GIL_ENGINES:-chromium, firefox, webkit})" \
    node --test --test-concurrency=1 --test-timeout=900000 tests/browser/
}

case "${1:-}" in
  serve) shift; build_all; exec target/release/gil-playground serve "$@" ;;
  test) shift; cmd_test "$@" ;;
  bench) shift; build_all; ensure_browsers; exec node bench/bench.mjs "$@" ;;
  dist) shift; build_all; step "dist/" make_dist; echo "done: serve dist/ from any static host" ;;
  build) shift; build_all ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
