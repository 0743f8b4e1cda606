//! Why settings were refused: one typed error for every boundary (the page, the URL, the embed
//! API, the CLI), with a stable code for programs and a message for people.
//!
//! The error carries every word its message needs (the setting, its label, the value as it
//! arrived, the allowed range or choices), so this module depends on nothing else in the crate.

/// Why a run's settings were refused. `Display` is the message shown to the user as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingsError {
    /// A choice setting (mode, layout, gil…) got a name that is not one of its choices.
    UnknownChoice {
        /// The setting, as spelled everywhere (`mode`).
        setting: &'static str,
        /// The value as received.
        value: String,
        /// Every name the setting accepts.
        choices: Vec<&'static str>,
    },
    /// A number outside the setting's range.
    OutOfRange {
        /// The setting.
        setting: &'static str,
        /// What was asked for, in words ("9 threads", "A total of 0 increments").
        asked: String,
        /// The smallest accepted, as written in messages.
        min: String,
        /// The largest accepted, as written in messages.
        max: String,
        /// The unit after the range (" threads", " ms"), or nothing.
        unit: &'static str,
    },
    /// A number setting got something that is not a number of the right kind.
    NotANumber {
        /// The setting.
        setting: &'static str,
        /// The setting in words ("switch interval").
        label: &'static str,
        /// The value as received.
        value: String,
        /// What it must be, in words ("a whole number between 1 and 4").
        expected: String,
    },
    /// A program sent a setting that does not exist.
    UnknownSetting {
        /// The name as received.
        name: String,
        /// Every setting there is.
        known: Vec<&'static str>,
    },
    /// A program sent a value of the wrong type (an object, a list…).
    WrongType {
        /// The setting.
        setting: &'static str,
    },
    /// A program sent settings that are not an object of named values.
    NotAnObject,
    /// A value that cannot go with the other settings (a shared counter for processes…).
    Incompatible {
        /// The setting whose value is refused.
        setting: &'static str,
        /// Why, in a sentence or two, with what to choose instead.
        why: String,
    },
}

impl SettingsError {
    /// A stable code for programs (the page's tests, the embed API): `unknown-mode`,
    /// `threads-out-of-range`, `interval-not-a-number`, `unknown-setting`, `not-an-object`,
    /// `model-incompatible`.
    pub fn code(&self) -> String {
        match self {
            SettingsError::UnknownChoice { setting, .. } => format!("unknown-{setting}"),
            SettingsError::OutOfRange { setting, .. } => format!("{setting}-out-of-range"),
            SettingsError::NotANumber { setting, .. } => format!("{setting}-not-a-number"),
            SettingsError::WrongType { setting } => format!("{setting}-wrong-type"),
            SettingsError::UnknownSetting { .. } => "unknown-setting".to_owned(),
            SettingsError::NotAnObject => "not-an-object".to_owned(),
            SettingsError::Incompatible { setting, .. } => format!("{setting}-incompatible"),
        }
    }
}

/// A value as it may appear in a message: quoted, at most 40 characters.
pub fn shown(raw: &str) -> String {
    const SHOWN: usize = 40;
    match raw.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("“{}…”", &raw[..cut]),
        None => format!("“{raw}”"),
    }
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingsError::UnknownChoice { setting, value, choices } => write!(
                f,
                "There is no {setting} called {}. Choose one of: {}.",
                shown(value),
                choices.join(", ")
            ),
            SettingsError::OutOfRange { setting, asked, min, max, unit } => {
                let alone = if *setting == "threads" && max == "1" {
                    " (this browser runs one thread only)"
                } else {
                    ""
                };
                write!(f, "{asked} is out of range: choose between {min} and {max}{unit}{alone}.")
            }
            SettingsError::NotANumber { label, value, expected, .. } => {
                write!(f, "The {label} must be {expected}, not {}.", shown(value))
            }
            SettingsError::UnknownSetting { name, known } => write!(
                f,
                "There is no setting called {}. The settings are: {}.",
                shown(name),
                known.join(", ")
            ),
            SettingsError::WrongType { setting } => {
                write!(f, "The {setting} setting must be text, a number or true/false.")
            }
            SettingsError::NotAnObject => f.write_str(
                "The settings must be an object of named values, such as { mode: \"racy\" }.",
            ),
            SettingsError::Incompatible { why, .. } => f.write_str(why),
        }
    }
}

impl std::error::Error for SettingsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages_name_the_setting() {
        let range = |max: &str| SettingsError::OutOfRange {
            setting: "threads",
            asked: "9 threads".into(),
            min: "1".into(),
            max: max.into(),
            unit: " threads",
        };
        assert_eq!(range("4").code(), "threads-out-of-range");
        assert_eq!(
            range("4").to_string(),
            "9 threads is out of range: choose between 1 and 4 threads."
        );
        assert!(range("1").to_string().ends_with("(this browser runs one thread only)."));
        let choice = SettingsError::UnknownChoice {
            setting: "mode",
            value: "spin-lock".into(),
            choices: vec!["racy", "atomic"],
        };
        assert_eq!(choice.code(), "unknown-mode");
        assert_eq!(
            choice.to_string(),
            "There is no mode called “spin-lock”. Choose one of: racy, atomic."
        );
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(100);
        assert_eq!(shown(&long).chars().count(), 40 + 3);
        assert_eq!(shown("ü"), "“ü”");
    }
}
