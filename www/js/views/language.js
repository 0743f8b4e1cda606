// Runs on the page, before uPlot loads: uPlot formats numbers in navigator.language, read once
// as it loads, and throws if that is not a language tag (WebKitGTK on a system with LANG=C says
// "C"). Such a browser gets English number formatting instead of charts that never appear.
try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(navigator, 'language', { value: 'en-US', configurable: true });
}
