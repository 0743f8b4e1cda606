//! The settings of one run: one schema, one spelling, checked in one place.
//!
//! A setting has the same name in a link (`?mode=racy&gil=3.9&interval=1`), in the engine's
//! settings object, in every report and export, in the embed API and on the CLI (`--gil 3.9`).
//! Values arrive three ways and all end here:
//! - typed, from clap: [`Settings::validate`] checks the ranges;
//! - from a program (the page's form, the embed API, the bench): [`Settings::set`] refuses
//!   anything it cannot use, in words;
//! - from a link: [`Settings::from_link`] clamps what is out of range and falls back to the
//!   default for what makes no sense, with a notice in words for each.
//!
//! [`schema`] sends the page every setting's label, choices, range and default, so the page's
//! form, its link reader and the embed API take their lists and limits from here.

use std::ops::Range;

use serde::Serialize;

use crate::choice::{About, Choice};
use crate::error::{SettingsError, shown};
use crate::model::bytecode::Statement;
use crate::model::execution::Model;
use crate::model::gil::{DEFAULT_INTERVAL_MS, Gil, MAX_INTERVAL_MS, MIN_INTERVAL_MS};
use crate::model::interp::{MemoryOrder, WriteBack};
use crate::model::mode::{Layout, Mode};
use crate::model::objects::{DEFAULT_COST_NS, ObjectWork, Objects};

/// The largest total a run accepts: 2 billion increments, about 20 s for one thread in the
/// slowest browser; beyond it a run stops being a demo.
pub const MAX_TOTAL: u64 = 2_000_000_000;

/// The most numbers a `sum` run makes: 64 MB of them, so that the numbers, the copies a
/// subinterpreter run sends and everything else fit the threaded wasm build's 256 MiB.
pub const MAX_SIZE: usize = 16_000_000;

/// What to run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// The workload.
    pub mode: Mode,
    /// How its workers are made: threads, subinterpreters or processes.
    pub model: Model,
    /// How many threads (or interpreters, or processes) run it at once.
    pub threads: usize,
    /// Increments in all, split across the threads.
    pub total: u64,
    /// `sum`: how many numbers the engine makes, split in slices across the workers.
    pub size: usize,
    /// Where `private` mode's counters live.
    pub layout: Layout,
    /// The emulated GIL: off, or on with a version's safe points.
    pub gil: Gil,
    /// The GIL's switch interval in milliseconds (`sys.setswitchinterval`).
    pub interval: f64,
    /// How the increment is written in Python (`+=`, or through a call).
    pub statement: Statement,
    /// How the emulated interpreter keeps its objects (reference counts, the dict's lock).
    pub objects: Objects,
    /// With an object model: the busy work per bytecode instruction, in nanoseconds.
    pub cost: f64,
    /// How long one wait lasts, in milliseconds (`time.sleep`: the waiting mode and the probe).
    pub wait: f64,
    /// The responsiveness probe: a thread beside the others that sleeps `wait` this many times
    /// and records how late each wake-up is (0: no probe). The other threads then run until it
    /// is done.
    pub probe: u32,
    /// Memory orderings of the atomics (native only: wasm has sequentially consistent ones).
    pub order: MemoryOrder,
    /// How a racy increment writes back; `None`: the engine's measured choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<WriteBack>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Racy,
            model: Model::Threads,
            threads: 2,
            total: 50_000_000,
            size: 1_000_000,
            layout: Layout::Padded,
            gil: Gil::Off,
            interval: DEFAULT_INTERVAL_MS,
            statement: Statement::Augmented,
            objects: Objects::None,
            cost: DEFAULT_COST_NS,
            wait: 1.0,
            probe: 0,
            order: MemoryOrder::SeqCst,
            write: None,
        }
    }
}

/// A number setting: its words and its range.
struct Number {
    name: &'static str,
    label: &'static str,
    /// What was asked for, in words, with `{}` for the value.
    asked: &'static str,
    unit: &'static str,
    /// What it counts, for the page's menus.
    counts: &'static str,
    min: f64,
    whole: bool,
}

const THREADS: Number = Number {
    name: "threads",
    label: "thread count",
    asked: "{} threads",
    unit: " threads",
    counts: "threads",
    min: 1.0,
    whole: true,
};
const TOTAL: Number = Number {
    name: "total",
    label: "total",
    asked: "A total of {} increments",
    unit: "",
    counts: "increments",
    min: 1.0,
    whole: true,
};
const SIZE: Number = Number {
    name: "size",
    label: "size",
    asked: "A size of {} numbers",
    unit: " numbers",
    counts: "numbers",
    min: 1.0,
    whole: true,
};
const COST: Number = Number {
    name: "cost",
    label: "per-instruction cost",
    asked: "A per-instruction cost of {} ns",
    unit: " ns",
    counts: "ns",
    min: 0.0,
    whole: false,
};
const MAX_COST_NS: f64 = 1000.0;
const WAIT: Number = Number {
    name: "wait",
    label: "wait",
    asked: "A wait of {} ms",
    unit: " ms",
    counts: "ms",
    min: 0.1,
    whole: false,
};
const MAX_WAIT_MS: f64 = 100.0;
const PROBE: Number = Number {
    name: "probe",
    label: "probe's sample count",
    asked: "A probe of {} wake-ups",
    unit: " wake-ups",
    counts: "wake-ups",
    min: 0.0,
    whole: true,
};
/// The most wake-ups a probe records.
pub const MAX_PROBE: u32 = 10_000;
const INTERVAL: Number = Number {
    name: "interval",
    label: "switch interval",
    asked: "A switch interval of {} ms",
    unit: " ms",
    counts: "ms",
    min: MIN_INTERVAL_MS,
    whole: false,
};

/// Why a number could not be used as it is.
enum Bad {
    Below(f64),
    Above(f64),
    NotANumber,
}

impl Number {
    fn expected(&self, max: f64) -> String {
        let (min, max) = (decimal(self.min), decimal(max));
        if self.whole {
            format!("a whole number between {min} and {max}")
        } else {
            format!("a number between {min} and {max}{}", self.unit)
        }
    }

    /// The value of `raw` within `min..=max`.
    fn read(&self, raw: Raw, max: f64) -> Result<f64, Bad> {
        let value = match raw {
            Raw::Number { value, .. } => value,
            Raw::Text(text) => parse_decimal(text).ok_or(Bad::NotANumber)?,
            Raw::Bool(_) => return Err(Bad::NotANumber),
        };
        // NaN and infinities are not numbers a person meant.
        if !value.is_finite() || (self.whole && value.fract() != 0.0) {
            return Err(Bad::NotANumber);
        }
        if value < self.min {
            Err(Bad::Below(self.min))
        } else if value > max {
            Err(Bad::Above(max))
        } else {
            Ok(value)
        }
    }

    fn error(&self, bad: Bad, raw: Raw, max: f64) -> SettingsError {
        match bad {
            Bad::NotANumber => SettingsError::NotANumber {
                setting: self.name,
                label: self.label,
                value: raw.text(),
                expected: self.expected(max),
            },
            Bad::Below(_) | Bad::Above(_) => SettingsError::OutOfRange {
                setting: self.name,
                asked: self.asked.replace("{}", &raw.text()),
                min: decimal(self.min),
                max: decimal(max),
                unit: self.unit,
            },
        }
    }

    /// Checks a typed value (from clap or code).
    fn check(&self, value: f64, max: f64) -> Result<(), SettingsError> {
        let raw = Raw::Number { value, text: &decimal(value) };
        self.read(raw, max).map(|_| ()).map_err(|bad| self.error(bad, raw, max))
    }
}

/// A value as a program or a link sent it.
#[derive(Clone, Copy, Debug)]
pub enum Raw<'a> {
    /// Text, as every value of a link is.
    Text(&'a str),
    /// A number, and how the sender wrote it (for messages: `1e-9`, not `0`).
    Number {
        /// The number.
        value: f64,
        /// As written by the sender.
        text: &'a str,
    },
    /// true or false.
    Bool(bool),
}

impl Raw<'_> {
    fn text(self) -> String {
        match self {
            Raw::Text(text) | Raw::Number { text, .. } => text.to_owned(),
            Raw::Bool(b) => b.to_string(),
        }
    }
}

/// Every setting name, in the order the page lists them.
pub const NAMES: [&str; 15] = [
    "mode",
    "threads",
    "model",
    "total",
    "size",
    "layout",
    "gil",
    "interval",
    "statement",
    "objects",
    "cost",
    "wait",
    "probe",
    "order",
    "write",
];

/// Settings for programs and the CLI only: a link never carries them.
const NOT_IN_LINKS: [&str; 2] = ["order", "write"];

/// Whether a link may carry the setting `name`.
fn in_links(name: &str) -> bool {
    NAMES.contains(&name) && !NOT_IN_LINKS.contains(&name)
}

/// Reads a choice, accepting `true`/`false` for the GIL (on means CPython 3.10+'s safe points).
fn choice<C: Choice>(raw: Raw) -> Result<C, SettingsError> {
    match raw {
        Raw::Text(text) => C::parse(text),
        _ => Err(SettingsError::UnknownChoice {
            setting: C::SETTING,
            value: raw.text(),
            choices: C::all().iter().map(|c| c.name()).collect(),
        }),
    }
}

/// The GIL also takes on/off words and booleans: "on" means 3.10+'s safe points.
fn gil(raw: Raw) -> Result<Gil, SettingsError> {
    let word = match raw {
        Raw::Bool(on) => Some(on),
        Raw::Text(text) => match text {
            "1" | "on" | "true" | "yes" => Some(true),
            "0" | "false" | "no" => Some(false),
            _ => None,
        },
        Raw::Number { .. } => None,
    };
    match word {
        Some(true) => Ok(Gil::Py310),
        Some(false) => Ok(Gil::Off),
        None => choice(raw),
    }
}

impl Settings {
    /// Sets the setting `name` from `raw`, refusing anything out of range (`max_threads` is
    /// the most threads available: a browser's pool, or the native limit).
    ///
    /// # Errors
    /// [`SettingsError::UnknownSetting`] or the setting's own error, in words.
    pub fn set(&mut self, name: &str, raw: Raw, max_threads: usize) -> Result<(), SettingsError> {
        let number =
            |spec: &Number, max: f64| spec.read(raw, max).map_err(|b| spec.error(b, raw, max));
        match name {
            "mode" => self.mode = choice(raw)?,
            "model" => self.model = choice(raw)?,
            "threads" => self.threads = number(&THREADS, max_threads as f64)? as usize,
            "total" => self.total = number(&TOTAL, MAX_TOTAL as f64)? as u64,
            "size" => self.size = number(&SIZE, MAX_SIZE as f64)? as usize,
            "layout" => self.layout = choice(raw)?,
            "gil" => self.gil = gil(raw)?,
            "interval" => self.interval = number(&INTERVAL, MAX_INTERVAL_MS)?,
            "statement" => self.statement = choice(raw)?,
            "objects" => self.objects = choice(raw)?,
            "cost" => self.cost = number(&COST, MAX_COST_NS)?,
            "wait" => self.wait = number(&WAIT, MAX_WAIT_MS)?,
            "probe" => self.probe = number(&PROBE, f64::from(MAX_PROBE))? as u32,
            "order" => self.order = choice(raw)?,
            "write" => self.write = Some(choice(raw)?),
            _ => {
                return Err(SettingsError::UnknownSetting {
                    name: name.to_owned(),
                    known: NAMES.to_vec(),
                });
            }
        }
        Ok(())
    }

    /// Checks the ranges of typed settings (from clap, or built in code), then whether they
    /// go together: each setting alone is checked where it is set, combinations only here.
    ///
    /// # Errors
    /// [`SettingsError::OutOfRange`], [`SettingsError::NotANumber`] or
    /// [`SettingsError::Incompatible`].
    pub fn validate(&self, max_threads: usize) -> Result<(), SettingsError> {
        THREADS.check(self.threads as f64, max_threads as f64)?;
        TOTAL.check(self.total as f64, MAX_TOTAL as f64)?;
        SIZE.check(self.size as f64, MAX_SIZE as f64)?;
        INTERVAL.check(self.interval, MAX_INTERVAL_MS)?;
        COST.check(self.cost, MAX_COST_NS)?;
        WAIT.check(self.wait, MAX_WAIT_MS)?;
        PROBE.check(f64::from(self.probe), f64::from(MAX_PROBE))?;
        // The probe is a thread of its own beside the others.
        THREADS.check((self.threads + usize::from(self.probe > 0)) as f64, max_threads as f64)?;
        self.check_combination(max_threads)
    }

    /// Refuses, in words, settings that make no sense together.
    fn check_combination(&self, max_threads: usize) -> Result<(), SettingsError> {
        let refuse = |setting, why: String| Err(SettingsError::Incompatible { setting, why });
        let model = self.model.spec();
        let (mode, private, sum) =
            (self.mode.spec(), Mode::Private.spec().about.label, Mode::Sum.spec().about.label);
        if !model.shares_objects && !mode.per_thread {
            let (why, each) = match self.model {
                Model::Processes => (
                    "processes share no memory: one counter for all would need a multiprocessing.Value or a Manager (a lock, or a server process), which this playground does not emulate",
                    "each process then counts its own share and sends its result back",
                ),
                _ => (
                    "interpreters share no objects: CPython refuses to send a dict to another interpreter (NotShareableError)",
                    "each interpreter then counts its own share and sends its result through a channel",
                ),
            };
            return refuse(
                "model",
                format!(
                    "“{}” needs one object that all workers update, and {why}. Choose “{private}” or “{sum}”: {each}.",
                    mode.about.label
                ),
            );
        }
        if self.probe > 0 && model.own_gil {
            return refuse(
                "probe",
                format!(
                    "The responsiveness probe is a thread beside the workers that waits for the GIL they hold; with {} each worker has a GIL of its own, so there is nothing to wait for. Use threads for the probe.",
                    self.model.name()
                ),
            );
        }
        // The main interpreter, which sends the jobs and collects the results, is a thread too.
        if self.model == Model::Subinterpreters && self.threads + 1 > max_threads {
            let why = if max_threads > 1 {
                let n = self.threads;
                format!(
                    "{n} subinterpreters need {} threads here (one more for the main interpreter, which sends their jobs and collects their results), and this engine can start {max_threads}: choose at most {}.",
                    n + 1,
                    max_threads - 1,
                )
            } else {
                "Subinterpreters need a thread for the main interpreter beside their own, and this engine runs one thread only.".to_owned()
            };
            return refuse("threads", why);
        }
        if self.mode == Mode::Sum && self.size < self.threads {
            return refuse(
                "size",
                format!(
                    "A sum over {} numbers cannot give each of {} workers a slice: choose a size of at least {}.",
                    self.size, self.threads, self.threads
                ),
            );
        }
        Ok(())
    }

    /// Reads a link's query pairs (page options such as `embed` already taken out): every
    /// setting it names, a value out of range clamped and one that makes no sense left at its
    /// default, each with a notice in words; unknown or repeated keys are noted and ignored.
    pub fn from_link<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        max_threads: usize,
    ) -> (Settings, Vec<String>) {
        let mut settings = Settings {
            threads: Settings::default().threads.min(max_threads),
            ..Settings::default()
        };
        let mut notices = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let mut safe_points = None;
        for (key, value) in pairs {
            if seen.contains(&key) {
                if seen.iter().filter(|&&k| k == key).count() == 1 {
                    notices.push(format!(
                        "The link sets {} more than once: the first value was used.",
                        shown(key)
                    ));
                }
                seen.push(key);
                continue;
            }
            seen.push(key);
            // Links made before `gil` took versions: `gil=1&safe=3.9`.
            if key == "safe" {
                safe_points = Some(value);
                continue;
            }
            if !in_links(key) {
                notices.push(format!(
                    "The link has a setting this page does not know, {}: ignored.",
                    shown(key)
                ));
                continue;
            }
            let raw = Raw::Text(value);
            let clamp = |spec: &Number, max: f64| match spec.read(raw, max) {
                Ok(v) => (Some(v), None),
                Err(Bad::Below(min)) => (Some(min), Some(format!("is below {}", decimal(min)))),
                Err(Bad::Above(max)) => (Some(max), Some(format!("is above {}", grouped(max)))),
                Err(Bad::NotANumber) => (None, Some(format!("is not {}", spec.expected(max)))),
            };
            let problem = match key {
                "threads" => {
                    let (v, problem) = clamp(&THREADS, max_threads as f64);
                    settings.threads = v.map_or(settings.threads, |v| v as usize);
                    problem
                }
                "total" => {
                    let (v, problem) = clamp(&TOTAL, MAX_TOTAL as f64);
                    settings.total = v.map_or(settings.total, |v| v as u64);
                    problem
                }
                "size" => {
                    let (v, problem) = clamp(&SIZE, MAX_SIZE as f64);
                    settings.size = v.map_or(settings.size, |v| v as usize);
                    problem
                }
                "interval" => {
                    let (v, problem) = clamp(&INTERVAL, MAX_INTERVAL_MS);
                    settings.interval = v.unwrap_or(settings.interval);
                    problem
                }
                "cost" => {
                    let (v, problem) = clamp(&COST, MAX_COST_NS);
                    settings.cost = v.unwrap_or(settings.cost);
                    problem
                }
                "wait" => {
                    let (v, problem) = clamp(&WAIT, MAX_WAIT_MS);
                    settings.wait = v.unwrap_or(settings.wait);
                    problem
                }
                "probe" => {
                    let (v, problem) = clamp(&PROBE, f64::from(MAX_PROBE));
                    settings.probe = v.map_or(settings.probe, |v| v as u32);
                    problem
                }
                name => match settings.set(name, raw, max_threads) {
                    Ok(()) => None,
                    Err(SettingsError::UnknownChoice { choices, .. }) => {
                        Some(format!("is not one of {}", choices.join(", ")))
                    }
                    Err(other) => Some(other.to_string()),
                },
            };
            if let Some(problem) = problem {
                notices.push(format!(
                    "The link's {key}={} {problem}: using {}.",
                    shown(value),
                    settings.value_text(key)
                ));
            }
        }
        if let (Some(version), true) = (safe_points, settings.gil.is_on())
            && let Ok(gil) = version.parse::<Gil>()
        {
            settings.gil = gil;
        }
        (settings, notices)
    }

    /// The value of setting `name` as a link writes it.
    pub fn value_text(&self, name: &str) -> String {
        match name {
            "mode" => self.mode.name().to_owned(),
            "model" => self.model.name().to_owned(),
            "threads" => self.threads.to_string(),
            "total" => self.total.to_string(),
            "size" => self.size.to_string(),
            "layout" => self.layout.name().to_owned(),
            "gil" => self.gil.name().to_owned(),
            "interval" => decimal(self.interval),
            "statement" => self.statement.name().to_owned(),
            "objects" => self.objects.name().to_owned(),
            "cost" => decimal(self.cost),
            "wait" => decimal(self.wait),
            "probe" => self.probe.to_string(),
            "order" => self.order.name().to_owned(),
            "write" => self.write.map_or("measured", |w| w.name()).to_owned(),
            _ => String::new(),
        }
    }

    /// How many increments thread `index` runs: the total split exactly, the remainder going
    /// one each to the first threads.
    pub fn share_of(&self, index: usize) -> u64 {
        let threads = self.threads as u64;
        let base = self.total / threads;
        base + u64::from((index as u64) < self.total % threads)
    }

    /// Every thread's share, in thread order.
    pub fn shares(&self) -> Vec<u64> {
        (0..self.threads).map(|i| self.share_of(i)).collect()
    }

    /// `sum`: which of the numbers worker `index` adds up: the size split exactly, as the total.
    pub fn slice_of(&self, index: usize) -> Range<usize> {
        let base = self.size / self.threads;
        let extra = self.size % self.threads;
        let start = index * base + index.min(extra);
        start..start + base + usize::from(index < extra)
    }
}

/// One setting as the page receives it: enough to build its control and check it.
#[derive(Serialize)]
pub struct Field {
    /// The name everywhere.
    pub name: &'static str,
    /// The control's label.
    pub label: &'static str,
    /// Whether links and the page's form carry it.
    pub in_links: bool,
    /// Whether the page explains the chosen choice beside the form.
    pub explained: bool,
    /// The setting matters only when another one has one of some values (`None`: always).
    pub applies_when: Option<AppliesWhen>,
    /// Its kind, range or choices, and default.
    #[serde(flatten)]
    pub kind: Kind,
}

/// "Only when `setting` is one of `values`."
#[derive(Serialize)]
pub struct AppliesWhen {
    /// The other setting.
    pub setting: &'static str,
    /// Its values for which this one matters.
    pub values: Vec<&'static str>,
}

/// What values a setting takes.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Kind {
    /// One of named choices.
    Choice {
        /// The choices in menu order.
        choices: Vec<About>,
        /// The default's name.
        default: &'static str,
    },
    /// A number in a range.
    Number {
        /// Smallest accepted.
        min: f64,
        /// Largest accepted.
        max: f64,
        /// The default.
        default: f64,
        /// Whether only whole numbers are accepted.
        whole: bool,
        /// What it counts ("threads", "increments", "ms").
        unit: &'static str,
        /// Values a menu offers (empty: every whole number in range, or a free field).
        presets: Vec<f64>,
    },
}

/// Every setting with its label, kind, range or choices and default; `max_threads` is the
/// most threads this engine can start.
pub fn schema(max_threads: usize) -> Vec<Field> {
    fn choices<C: Choice>(default: C) -> Kind {
        Kind::Choice {
            choices: C::all().iter().map(|c| *c.about()).collect(),
            default: default.name(),
        }
    }
    fn names<C: Choice>(keep: impl Fn(C) -> bool) -> Vec<&'static str> {
        C::all().iter().copied().filter(|&c| keep(c)).map(|c| c.name()).collect()
    }
    let d = Settings::default();
    let number = |spec: &Number, max: f64, default: f64, presets: Vec<f64>| Kind::Number {
        min: spec.min,
        max,
        default,
        whole: spec.whole,
        unit: spec.counts,
        presets,
    };
    let field = |name: &'static str, label: &'static str, kind: Kind| Field {
        name,
        label,
        in_links: in_links(name),
        explained: false,
        applies_when: None,
        kind,
    };
    let threads = d.threads.min(max_threads) as f64;
    let totals = vec![1e5, 1e6, 1e7, 2e7, 5e7, 1e8, 2e8, 5e8];
    let sizes = vec![1e3, 1e5, 1e6, 4e6, MAX_SIZE as f64];
    vec![
        Field { explained: true, ..field("mode", "Mode", choices(d.mode)) },
        field("threads", "Threads", number(&THREADS, max_threads as f64, threads, Vec::new())),
        Field { explained: true, ..field("model", "Workers are", choices(d.model)) },
        field("total", "Total", number(&TOTAL, MAX_TOTAL as f64, d.total as f64, totals)),
        Field {
            applies_when: Some(AppliesWhen { setting: "mode", values: vec![Mode::Sum.name()] }),
            ..field("size", "Numbers", number(&SIZE, MAX_SIZE as f64, d.size as f64, sizes))
        },
        Field {
            explained: true,
            applies_when: Some(AppliesWhen {
                setting: "mode",
                values: names(|m: Mode| m.spec().per_thread),
            }),
            ..field("layout", "Private counters", choices(d.layout))
        },
        Field { explained: true, ..field("gil", "Emulated GIL", choices(d.gil)) },
        Field {
            applies_when: Some(AppliesWhen { setting: "gil", values: names(Gil::is_on) }),
            ..field(
                "interval",
                "Switch interval (ms)",
                number(&INTERVAL, MAX_INTERVAL_MS, d.interval, Vec::new()),
            )
        },
        Field {
            explained: true,
            applies_when: Some(AppliesWhen {
                setting: "mode",
                values: names(|m: Mode| {
                    matches!(m.spec().objects, ObjectWork::SharedDict | ObjectWork::OwnDict)
                }),
            }),
            ..field("statement", "Statement", choices(d.statement))
        },
        Field {
            explained: true,
            applies_when: Some(AppliesWhen {
                setting: "mode",
                values: names(|m: Mode| m.spec().objects.has_objects()),
            }),
            ..field("objects", "Object model", choices(d.objects))
        },
        Field {
            applies_when: Some(AppliesWhen {
                setting: "objects",
                values: names(|o: Objects| o != Objects::None),
            }),
            ..field(
                "cost",
                "Per-instruction cost (ns)",
                number(&COST, MAX_COST_NS, d.cost, Vec::new()),
            )
        },
        Field {
            applies_when: Some(AppliesWhen { setting: "mode", values: vec![Mode::Waiting.name()] }),
            ..field("wait", "Wait (ms)", number(&WAIT, MAX_WAIT_MS, d.wait, Vec::new()))
        },
        Field {
            in_links: true,
            ..field(
                "probe",
                "Responsiveness probe (wake-ups)",
                number(&PROBE, f64::from(MAX_PROBE), f64::from(d.probe), Vec::new()),
            )
        },
        field("order", "Memory order", choices(d.order)),
        field("write", "Write-back", choices(WriteBack::Store)),
    ]
}

/// `value` with up to three decimals ("0.05", "100", "-1.5"), by integer arithmetic: core's
/// float formatting alone would add 15 KB to the wasm module, for a few messages.
pub(crate) fn decimal(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    let thousandths = (value.abs() * 1000.0).round();
    if thousandths >= 1e18 {
        return format!("{sign}a huge number");
    }
    let thousandths = thousandths as u64;
    let (whole, fraction) = (thousandths / 1000, thousandths % 1000);
    if fraction == 0 {
        return format!("{sign}{whole}");
    }
    let digits = format!("{fraction:03}");
    format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
}

/// Reads a number written in decimal ("20000000", "0.5", "1e9", "-3", " 2.5E-1 "), or `None`.
///
/// Written by hand because core's float parser is 15 KB of the gzipped wasm module. It is
/// exact wherever it matters here: a mantissa of up to 15 significant digits times a power of
/// ten up to 10^22 is one correctly rounded operation (Clinger's fast path); anything larger is
/// far outside every setting's range and only has to come out roughly right.
pub(crate) fn parse_decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (number, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut scale: i32 = 0;
    for (i, digit) in whole.bytes().chain(fraction.bytes()).enumerate() {
        if !digit.is_ascii_digit() {
            return None;
        }
        if mantissa < 100_000_000_000_000_000 {
            mantissa = mantissa * 10 + u64::from(digit - b'0');
            scale -= i32::from(i >= whole.len());
        } else {
            scale += i32::from(i < whole.len());
        }
    }
    if let Some(exponent) = exponent {
        let (sign, digits) = match exponent.as_bytes().first()? {
            b'-' => (-1, &exponent[1..]),
            b'+' => (1, &exponent[1..]),
            _ => (1, exponent),
        };
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|d| d.is_ascii_digit()) {
            return None;
        }
        scale += sign * digits.parse::<i32>().ok()?;
    }
    let power = |n: i32| (0..n.min(308)).fold(1.0_f64, |p, _| p * 10.0);
    let magnitude =
        if scale >= 0 { mantissa as f64 * power(scale) } else { mantissa as f64 / power(-scale) };
    Some(if negative { -magnitude } else { magnitude })
}

/// A whole number with thousands separators ("2,000,000,000"); others as [`decimal`].
fn grouped(value: f64) -> String {
    if value.fract() != 0.0 || value < 1000.0 {
        return decimal(value);
    }
    let digits = decimal(value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, raw: Raw) -> Result<Settings, SettingsError> {
        let mut settings = Settings::default();
        settings.set(name, raw, 4).map(|()| settings)
    }

    #[test]
    fn totals_split_exactly_with_the_remainder_in_front() {
        for threads in 1..=9 {
            for total in [1, 7, 8, 100, 1_000_003, MAX_TOTAL] {
                let settings = Settings { threads, total, ..Settings::default() };
                let shares = settings.shares();
                assert_eq!(shares.iter().sum::<u64>(), total, "{threads} threads, {total}");
                let (min, max) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
                assert!(max - min <= 1, "uneven split {shares:?}");
                assert!(shares.windows(2).all(|w| w[0] >= w[1]), "remainder not in front");
            }
        }
    }

    #[test]
    fn a_program_gets_every_refusal_in_words() {
        let number = |value: f64, text| Raw::Number { value, text };
        assert_eq!(set("threads", number(4.0, "4")).unwrap().threads, 4);
        let many = set("threads", number(5.0, "5")).unwrap_err();
        assert_eq!(many.code(), "threads-out-of-range");
        assert_eq!(many.to_string(), "5 threads is out of range: choose between 1 and 4 threads.");
        assert_eq!(set("total", Raw::Text("0")).unwrap_err().code(), "total-out-of-range");
        assert_eq!(
            set("total", number(3e9, "3000000000")).unwrap_err().to_string(),
            "A total of 3000000000 increments is out of range: choose between 1 and 2000000000."
        );
        assert_eq!(set("total", Raw::Text("2e7")).unwrap().total, 20_000_000);
        assert_eq!(
            set("interval", number(1e-9, "1e-9")).unwrap_err().to_string(),
            "A switch interval of 1e-9 ms is out of range: choose between 0.1 and 100 ms."
        );
        assert_eq!(
            set("interval", Raw::Text("")).unwrap_err().to_string(),
            "The switch interval must be a number between 0.1 and 100 ms, not “”."
        );
        assert_eq!(
            set("threads", Raw::Text("1.5")).unwrap_err().to_string(),
            "The thread count must be a whole number between 1 and 4, not “1.5”."
        );
        for bad in ["NaN", "inf", "abc"] {
            assert_eq!(
                set("interval", Raw::Text(bad)).unwrap_err().code(),
                "interval-not-a-number"
            );
        }
        let mode = set("mode", Raw::Text("spinlock")).unwrap_err();
        assert_eq!(mode.code(), "unknown-mode");
        let names: Vec<_> = Mode::ALL.iter().map(|m| m.name()).collect();
        assert!(mode.to_string().contains(&names.join(", ")));
        assert_eq!(set("mode", number(1.0, "1")).unwrap_err().code(), "unknown-mode");
        assert_eq!(set("gil", Raw::Text("3.9")).unwrap().gil, Gil::Py39);
        assert_eq!(set("gil", Raw::Bool(true)).unwrap().gil, Gil::Py310);
        assert_eq!(set("gil", Raw::Text("3.8")).unwrap_err().code(), "unknown-gil");
        assert_eq!(set("layout", Raw::Text("tight")).unwrap_err().code(), "unknown-layout");
        assert_eq!(set("speed", Raw::Text("1")).unwrap_err().code(), "unknown-setting");
    }

    #[test]
    fn typed_settings_are_checked_with_the_same_words() {
        let ok = Settings { threads: 4, total: 1000, ..Settings::default() };
        assert_eq!(ok.validate(4), Ok(()));
        let zero = Settings { threads: 0, ..ok.clone() };
        assert_eq!(
            zero.validate(4).unwrap_err().to_string(),
            "0 threads is out of range: choose between 1 and 4 threads."
        );
        let interval = Settings { interval: 500.0, ..ok.clone() };
        assert_eq!(
            interval.validate(4).unwrap_err().to_string(),
            "A switch interval of 500 ms is out of range: choose between 0.1 and 100 ms."
        );
        assert_eq!(
            Settings { interval: f64::NAN, ..ok }.validate(4).unwrap_err().code(),
            "interval-not-a-number"
        );
    }

    #[test]
    fn combinations_that_make_no_sense_are_refused_in_words() {
        let check = |changes: &[(&str, &str)]| {
            let mut settings = Settings::default();
            for &(name, value) in changes {
                settings.set(name, Raw::Text(value), 4).unwrap();
            }
            settings.validate(4).err()
        };
        let shared = check(&[("model", "subinterpreters"), ("mode", "racy")]).unwrap();
        assert_eq!(shared.code(), "model-incompatible");
        assert_eq!(
            shared.to_string(),
            "“Shared counter, no lock” needs one object that all workers update, and interpreters share no objects: CPython refuses to send a dict to another interpreter (NotShareableError). Choose “Private counter per thread” or “Sum of numbers (a slice each)”: each interpreter then counts its own share and sends its result through a channel."
        );
        let processes = check(&[("model", "processes"), ("mode", "pymutex")]).unwrap();
        assert!(processes.to_string().contains("processes share no memory"), "{processes}");
        for mode in ["private", "sum", "waiting", "refs-own"] {
            assert_eq!(check(&[("model", "processes"), ("mode", mode)]), None, "{mode}");
        }
        let probe = check(&[("model", "processes"), ("mode", "private"), ("probe", "10")]);
        assert_eq!(probe.unwrap().code(), "probe-incompatible");
        let crowded = check(&[("model", "subinterpreters"), ("mode", "private"), ("threads", "4")]);
        assert_eq!(
            crowded.unwrap().to_string(),
            "4 subinterpreters need 5 threads here (one more for the main interpreter, which sends their jobs and collects their results), and this engine can start 4: choose at most 3."
        );
        let thin = check(&[("mode", "sum"), ("size", "3"), ("threads", "4")]).unwrap();
        assert_eq!(
            (thin.code().as_str(), thin.to_string().as_str()),
            (
                "size-incompatible",
                "A sum over 3 numbers cannot give each of 4 workers a slice: choose a size of at least 4."
            )
        );
        let one = Settings {
            model: Model::Subinterpreters,
            mode: Mode::Private,
            threads: 1,
            ..Settings::default()
        };
        assert!(one.validate(1).unwrap_err().to_string().contains("runs one thread only"));
    }

    #[test]
    fn slices_split_the_numbers_exactly() {
        for threads in 1..=5 {
            let settings = Settings { threads, size: 17, ..Settings::default() };
            let slices: Vec<_> = (0..threads).map(|i| settings.slice_of(i)).collect();
            assert_eq!(slices[0].start, 0);
            assert_eq!(slices.last().unwrap().end, 17);
            assert!(slices.windows(2).all(|w| w[0].end == w[1].start));
            assert!(slices.iter().all(|r| r.len().abs_diff(17 / threads) <= 1));
        }
    }

    #[test]
    fn a_link_is_clamped_with_a_notice_for_each_change() {
        let modes = Mode::ALL.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ");
        let (settings, notices) = Settings::from_link(
            [
                ("threads", "64"),
                ("interval", "1e9"),
                ("total", "-5"),
                ("mode", "<b>x</b>"),
                ("gil", "3.9"),
                ("mode", "private"),
                ("colour", "red"),
            ],
            32,
        );
        assert_eq!(settings.threads, 32);
        assert_eq!(settings.interval, 100.0);
        assert_eq!(settings.total, 1);
        assert_eq!(settings.mode, Mode::Racy);
        assert_eq!(settings.gil, Gil::Py39);
        assert_eq!(
            notices,
            [
                "The link's threads=“64” is above 32: using 32.",
                "The link's interval=“1e9” is above 100: using 100.",
                "The link's total=“-5” is below 1: using 1.",
                &format!("The link's mode=“<b>x</b>” is not one of {modes}: using racy."),
                "The link sets “mode” more than once: the first value was used.",
                "The link has a setting this page does not know, “colour”: ignored.",
            ]
        );
        let (models, notices) =
            Settings::from_link([("model", "processes"), ("size", "99000000"), ("mode", "sum")], 4);
        assert_eq!(
            (models.model, models.size, models.mode),
            (Model::Processes, MAX_SIZE, Mode::Sum)
        );
        assert_eq!(notices, ["The link's size=“99000000” is above 16,000,000: using 16000000."]);
        let (old, notices) = Settings::from_link([("gil", "1"), ("safe", "3.9")], 4);
        assert_eq!((old.gil, notices.len()), (Gil::Py39, 0), "links made before gil took versions");
        let (one, _) = Settings::from_link([], 1);
        assert_eq!(one.threads, 1);
        let (bad, notices) = Settings::from_link([("threads", "two")], 4);
        assert_eq!(bad.threads, 2);
        assert_eq!(
            notices,
            ["The link's threads=“two” is not a whole number between 1 and 4: using 2."]
        );
    }

    #[test]
    fn the_schema_lists_every_setting_once() {
        let schema = schema(8);
        let names: Vec<_> = schema.iter().map(|f| f.name).collect();
        assert_eq!(names, NAMES);
        let json = serde_json::to_value(&schema).unwrap();
        let field = |name| json.as_array().unwrap().iter().find(|f| f["name"] == name).unwrap();
        assert_eq!(field("threads")["max"], 8.0);
        assert_eq!(field("mode")["choices"].as_array().unwrap().len(), Mode::ALL.len());
        assert_eq!(field("model")["choices"].as_array().unwrap().len(), Model::ALL.len());
        assert_eq!(field("gil")["default"], "off");
        assert_eq!(field("size")["applies_when"]["values"], serde_json::json!(["sum"]));
    }

    #[test]
    fn decimals_are_written_without_float_formatting() {
        for (value, text) in [
            (0.05, "0.05"),
            (100.0, "100"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (12.3456, "12.346"),
            (f64::NAN, "NaN"),
            (1e300, "a huge number"),
        ] {
            assert_eq!(decimal(value), text);
        }
        assert_eq!(grouped(2e9), "2,000,000,000");
    }

    #[test]
    fn decimals_are_read_exactly_where_it_matters() {
        for text in [
            "0",
            "1",
            "0.1",
            "0.5",
            "5",
            "100",
            "99.9",
            "2e7",
            "1e9",
            "1E-9",
            " 12 ",
            "-3",
            "+2.5",
            ".5",
            "5.",
            "2000000000",
            "123456789012345",
            "0.000001",
        ] {
            assert_eq!(parse_decimal(text), Some(text.trim().parse::<f64>().unwrap()), "{text}");
        }
        for bad in
            ["", " ", ".", "e5", "1e", "1e+", "abc", "1.2.3", "0x10", "NaN", "inf", "1 2", "--1"]
        {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
        let huge = parse_decimal("1e300").unwrap();
        assert!(huge > 1e299);
    }
}
