//! The settings of one run and the only place they are checked.
//!
//! Settings arrive from clap (typed already) or from JavaScript (loose numbers and strings);
//! both paths end in [`RunConfig::validate`], so the page and the CLI refuse the same things
//! with the same words.

use serde::{Deserialize, Serialize};

use crate::gil::{GilSettings, MAX_SWITCH_INTERVAL_MS, MIN_SWITCH_INTERVAL_MS, SafePoints};
use crate::workload::{Layout, MemoryOrder, Mode};

/// The largest total a run accepts: 2 billion increments. At the browser's ~9 ns per
/// increment that is about 20 s for one thread; beyond it a run stops being a demo.
pub const MAX_TOTAL: u64 = 2_000_000_000;

/// The most threads a native run may start (the browser's limit is its pool size).
pub const MAX_NATIVE_THREADS: usize = 256;

/// What to run: the workload, how many threads, how many increments in all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The workload.
    pub mode: Mode,
    /// How many threads run it at once.
    pub threads: usize,
    /// Increments in all, split across the threads.
    pub total: u64,
    /// Memory orderings of the atomic operations.
    #[serde(default)]
    pub order: MemoryOrder,
    /// The emulated GIL, or `None` for free threads (the free-threaded world).
    #[serde(default)]
    pub gil: Option<GilSettings>,
    /// Where `private` mode's counters live: padded (own cache lines) or packed.
    #[serde(default)]
    pub layout: Layout,
}

impl RunConfig {
    /// A sequentially consistent run (what the browser executes).
    pub fn new(mode: Mode, threads: usize, total: u64) -> Self {
        RunConfig {
            mode,
            threads,
            total,
            order: MemoryOrder::SeqCst,
            gil: None,
            layout: Layout::Padded,
        }
    }

    /// The same run with `private` counters laid out as `layout`.
    pub fn with_layout(self, layout: Layout) -> Self {
        RunConfig { layout, ..self }
    }

    /// The same run under the emulated GIL.
    pub fn with_gil(self, gil: GilSettings) -> Self {
        RunConfig { gil: Some(gil), ..self }
    }

    /// Adds loosely typed GIL settings (from JavaScript) when `enabled`.
    ///
    /// # Errors
    /// [`ConfigError::UnknownSafePoints`]; the interval's range is checked by
    /// [`RunConfig::validate`].
    pub fn with_loose_gil(
        self,
        enabled: bool,
        switch_interval_ms: f64,
        safe_points: &str,
    ) -> Result<Self, ConfigError> {
        if !enabled {
            return Ok(self);
        }
        let safe_points: SafePoints = safe_points.parse()?;
        Ok(self.with_gil(GilSettings::new(switch_interval_ms, safe_points)))
    }

    /// Builds a config from loosely typed input (JavaScript numbers and strings).
    ///
    /// # Errors
    /// [`ConfigError::UnknownMode`] for a mode name that does not exist and
    /// [`ConfigError::NotAWholeNumber`] for a count that is not a non-negative whole number;
    /// ranges are checked later by [`RunConfig::validate`].
    pub fn from_loose(mode: &str, threads: f64, total: f64) -> Result<Self, ConfigError> {
        Ok(RunConfig::new(
            mode.parse()?,
            whole_number("threads", threads)? as usize,
            whole_number("total", total)?,
        ))
    }

    /// Checks the ranges, with `max_threads` the most threads available (a browser's pool).
    ///
    /// # Errors
    /// [`ConfigError::ThreadsOutOfRange`] or [`ConfigError::TotalOutOfRange`].
    pub fn validate(&self, max_threads: usize) -> Result<(), ConfigError> {
        if self.threads == 0 || self.threads > max_threads {
            return Err(ConfigError::ThreadsOutOfRange { threads: self.threads, max: max_threads });
        }
        if self.total == 0 || self.total > MAX_TOTAL {
            return Err(ConfigError::TotalOutOfRange { total: self.total, max: MAX_TOTAL });
        }
        if let Some(gil) = &self.gil {
            let interval = gil.switch_interval_ms;
            // NaN is in no range, so it is refused too.
            if !(MIN_SWITCH_INTERVAL_MS..=MAX_SWITCH_INTERVAL_MS).contains(&interval) {
                return Err(ConfigError::SwitchIntervalOutOfRange { ms: decimal(interval) });
            }
        }
        Ok(())
    }

    /// How many increments thread `index` runs: the total split exactly, the remainder going
    /// one each to the first threads.
    pub fn share_of(&self, index: usize) -> u64 {
        let threads = self.threads as u64;
        let base = self.total / threads;
        base + u64::from((index as u64) < self.total % threads)
    }
}

/// Largest integer an f64 holds exactly (2^53); anything above is treated as out of range.
const MAX_EXACT_F64: f64 = 9_007_199_254_740_992.0;

fn whole_number(field: &'static str, value: f64) -> Result<u64, ConfigError> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 {
        // Saturate huge values so the range check names them as too large.
        Ok(if value > MAX_EXACT_F64 { u64::MAX } else { value as u64 })
    } else {
        Err(ConfigError::NotAWholeNumber { field, value: decimal(value) })
    }
}

/// Why a run's settings were refused. The message is shown to the user as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The mode name is not one of [`Mode::ALL`].
    UnknownMode(String),
    /// The thread count is 0 or above what is available.
    ThreadsOutOfRange {
        /// What was asked for.
        threads: usize,
        /// The most available.
        max: usize,
    },
    /// The total is 0 or above [`MAX_TOTAL`].
    TotalOutOfRange {
        /// What was asked for.
        total: u64,
        /// The largest accepted.
        max: u64,
    },
    /// The safe-point model is neither 3.9 nor 3.10.
    UnknownSafePoints(String),
    /// The counter layout is neither padded nor packed.
    UnknownLayout(String),
    /// The switch interval is outside 0.1 to 100 ms.
    SwitchIntervalOutOfRange {
        /// The interval asked for, in milliseconds, as received.
        ms: String,
    },
    /// A count was negative, fractional or not a number at all.
    NotAWholeNumber {
        /// Which setting.
        field: &'static str,
        /// The value as received.
        value: String,
    },
}

impl ConfigError {
    /// A stable code for programs (the page's tests, the embed API).
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::UnknownMode(_) => "unknown-mode",
            ConfigError::ThreadsOutOfRange { .. } => "threads-out-of-range",
            ConfigError::TotalOutOfRange { .. } => "total-out-of-range",
            ConfigError::NotAWholeNumber { .. } => "not-a-whole-number",
            ConfigError::UnknownSafePoints(_) => "unknown-safe-points",
            ConfigError::UnknownLayout(_) => "unknown-layout",
            ConfigError::SwitchIntervalOutOfRange { .. } => "switch-interval-out-of-range",
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::UnknownMode(name) => {
                let known: Vec<&str> = Mode::ALL.iter().map(|m| m.name()).collect();
                write!(
                    f,
                    "There is no mode called \"{name}\". Choose one of: {}.",
                    known.join(", ")
                )
            }
            ConfigError::ThreadsOutOfRange { threads, max } => write!(
                f,
                "{threads} threads is out of range: choose between 1 and {max} threads{}.",
                if *max > 1 { "" } else { " (this browser runs one thread only)" }
            ),
            ConfigError::TotalOutOfRange { total, max } => write!(
                f,
                "A total of {total} increments is out of range: choose between 1 and {max}."
            ),
            ConfigError::UnknownLayout(name) => {
                write!(f, "There is no counter layout \"{name}\": choose padded or packed.")
            }
            ConfigError::UnknownSafePoints(name) => {
                write!(f, "There is no safe-point model \"{name}\": choose 3.9 or 3.10.")
            }
            ConfigError::SwitchIntervalOutOfRange { ms } if ms == "NaN" => write!(
                f,
                "The switch interval must be a number of milliseconds between {} and {}.",
                decimal(MIN_SWITCH_INTERVAL_MS),
                decimal(MAX_SWITCH_INTERVAL_MS)
            ),
            ConfigError::SwitchIntervalOutOfRange { ms } => write!(
                f,
                "A switch interval of {ms} ms is out of range: choose between {} and {} ms.",
                decimal(MIN_SWITCH_INTERVAL_MS),
                decimal(MAX_SWITCH_INTERVAL_MS)
            ),
            ConfigError::NotAWholeNumber { field, value } => {
                write!(f, "The {field} setting must be a whole number of 0 or more, not {value}.")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// `value` with up to three decimals ("0.05", "100", "-1.5"), by integer arithmetic: core's
/// float formatting alone would add 15 KB to the wasm module, for two error messages.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_split_exactly_with_the_remainder_in_front() {
        for threads in 1..=9 {
            for total in [1, 7, 8, 100, 1_000_003, MAX_TOTAL] {
                let config = RunConfig::new(Mode::Racy, threads, total);
                let shares: Vec<u64> = (0..threads).map(|i| config.share_of(i)).collect();
                assert_eq!(shares.iter().sum::<u64>(), total, "{threads} threads, {total}");
                let (min, max) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
                assert!(max - min <= 1, "uneven split {shares:?}");
                assert!(shares.windows(2).all(|w| w[0] >= w[1]), "remainder not in front");
            }
        }
    }

    #[test]
    fn every_invalid_setting_has_its_error() {
        let ok = RunConfig::new(Mode::Mutex, 4, 1000);
        assert_eq!(ok.validate(4), Ok(()));

        let zero = RunConfig { threads: 0, ..ok.clone() };
        assert_eq!(zero.validate(4), Err(ConfigError::ThreadsOutOfRange { threads: 0, max: 4 }));
        let many = RunConfig { threads: 5, ..ok.clone() };
        assert_eq!(many.validate(4).unwrap_err().code(), "threads-out-of-range");

        let none = RunConfig { total: 0, ..ok.clone() };
        assert_eq!(none.validate(4).unwrap_err().code(), "total-out-of-range");
        let huge = RunConfig { total: MAX_TOTAL + 1, ..ok.clone() };
        assert_eq!(huge.validate(4).unwrap_err().code(), "total-out-of-range");
        assert_eq!(RunConfig { total: MAX_TOTAL, ..ok }.validate(4), Ok(()));

        let unknown = RunConfig::from_loose("spinlock", 2.0, 10.0).unwrap_err();
        assert_eq!(unknown.code(), "unknown-mode");
        assert!(unknown.to_string().contains("racy, pymutex, mutex, atomic, private"));

        let gil = |ms: f64| {
            RunConfig::new(Mode::Racy, 2, 10).with_gil(GilSettings::new(ms, SafePoints::Py39))
        };
        assert_eq!(gil(0.1).validate(4), Ok(()));
        assert_eq!(gil(100.0).validate(4), Ok(()));
        for bad in [0.0, 0.09, 100.5, f64::NAN] {
            assert_eq!(
                gil(bad).validate(4).unwrap_err().code(),
                "switch-interval-out-of-range",
                "{bad}"
            );
        }
        assert_eq!(
            gil(0.05).validate(4).unwrap_err().to_string(),
            "A switch interval of 0.05 ms is out of range: choose between 0.1 and 100 ms."
        );
        let loose = RunConfig::new(Mode::Racy, 2, 10).with_loose_gil(true, 5.0, "3.8").unwrap_err();
        assert_eq!(loose.code(), "unknown-safe-points");
        let off =
            RunConfig::new(Mode::Racy, 2, 10).with_loose_gil(false, f64::NAN, "bogus").unwrap();
        assert_eq!(off.gil, None);
    }

    #[test]
    fn loose_numbers_must_be_whole() {
        for bad in [1.5, -1.0, f64::NAN, f64::INFINITY] {
            let err = RunConfig::from_loose("racy", bad, 10.0).unwrap_err();
            assert_eq!(err.code(), "not-a-whole-number", "{bad}");
            assert!(err.to_string().contains("threads"));
        }
        let huge = RunConfig::from_loose("racy", 2.0, 1e300).unwrap();
        assert_eq!(huge.validate(4).unwrap_err().code(), "total-out-of-range");
        let fine = RunConfig::from_loose("private", 3.0, 20e6).unwrap();
        assert_eq!(fine, RunConfig::new(Mode::Private, 3, 20_000_000));
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
    }

    #[test]
    fn messages_are_words_not_debug_output() {
        let err = RunConfig::new(Mode::Racy, 9, 10).validate(4).unwrap_err();
        assert_eq!(err.to_string(), "9 threads is out of range: choose between 1 and 4 threads.");
    }
}
