// Runs on the page: number formatting shared by every view, and settings in words (with the
// labels the engine's schema gives, see `useSchema`).

const grouped = new Intl.NumberFormat('en-US');

/** 20000000 -> "20,000,000" */
export const count = (n) => grouped.format(n);

/** 20000000 -> "20M", 1500000 -> "1.5M" (for labels only, never for results) */
export function short(n) {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(2)}k`;
  return String(n);
}

/** Milliseconds, with the precision the browser's clock really has (5 us isolated). */
export function ms(value) {
  if (value >= 10_000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 1) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(3)} ms`;
}

export const percent = (value) => `${value < 0.01 && value > 0 ? value.toPrecision(2) : value.toFixed(2)}%`;

export const rate = (mips) => `${mips >= 100 ? mips.toFixed(0) : mips.toFixed(1)} M/s`;

export const ratio = (value) => `${value.toFixed(2)}×`;

/** The engine's schema, once known: labels for settings in words. */
let schema = [];
export function useSchema(fields) {
  schema = fields;
}

/** The label of a choice ("on, 3.9 safe points"), or its name before the schema is known. */
export function choiceLabel(setting, name) {
  return schema.find((f) => f.name === setting)?.choices?.find((c) => c.name === name)?.label ?? name;
}

/** Whether setting `name` matters for `settings` (the layout only with private counters…). */
export function applies(name, settings) {
  const when = schema.find((f) => f.name === name)?.applies_when;
  return !when || when.values.includes(settings[when.setting]);
}

/** Whether `settings` has the GIL on (the switch interval applies). */
export const gilOn = (settings) => applies('interval', settings);

/** "GIL off (free-threaded)" or "GIL on, 3.9 safe points, 5 ms" for a report's or the form's settings. */
export function gilLabel(settings) {
  const label = `GIL ${choiceLabel('gil', settings.gil)}`;
  return gilOn(settings) ? `${label}, ${settings.interval} ms` : label;
}
