//! Every setting with named choices (mode, layout, gil…) is one `choices!` table: each variant
//! with its name, label, explanation and whatever else its kind needs, in one place.
//!
//! The macro writes the enum, its `ALL` list, a `spec()` match (compiler-checked: a variant
//! without a spec does not compile), parsing with the typed error, serde as the name, and clap's
//! `ValueEnum` for the CLI. The page, the URL reader, the embed API, the tests and the bench all
//! read the same table through `engine_info`, so a new variant is one entry here and its match
//! arms where the compiler asks for them.

use serde::Serialize;

use crate::error::SettingsError;

/// What every choice says about itself, in the words the page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct About {
    /// The name in URLs, JSON, the CLI and the embed API.
    pub name: &'static str,
    /// A short label for a menu.
    pub label: &'static str,
    /// One or two sentences: what it is and what to expect.
    pub explain: &'static str,
}

/// A spec that carries an [`About`] (the spec of a simple choice is just its `About`).
pub trait Spec: 'static {
    /// The common part.
    fn about(&self) -> &About;
}

impl Spec for About {
    fn about(&self) -> &About {
        self
    }
}

/// A setting with named choices.
pub trait Choice: Copy + Sized + 'static {
    /// The setting's name (`mode`).
    const SETTING: &'static str;
    /// Every choice, in the order menus list them.
    fn all() -> &'static [Self];
    /// The choice's name, label and explanation.
    fn about(self) -> &'static About;

    /// The name in URLs, JSON and the CLI.
    fn name(self) -> &'static str {
        self.about().name
    }

    /// The choice called `text`.
    ///
    /// # Errors
    /// [`SettingsError::UnknownChoice`], listing every name.
    fn parse(text: &str) -> Result<Self, SettingsError> {
        Self::all().iter().copied().find(|c| c.name() == text).ok_or_else(|| {
            SettingsError::UnknownChoice {
                setting: Self::SETTING,
                value: text.to_owned(),
                choices: Self::all().iter().map(|c| c.name()).collect(),
            }
        })
    }
}

/// Defines a choice enum from a table: `name: "setting" => SpecType { Variant => spec, … }`.
macro_rules! choices {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Enum:ident : $setting:literal => $Spec:ty {
            $( $(#[$vmeta:meta])* $Variant:ident => $spec:expr, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $Enum {
            $( $(#[$vmeta])* $Variant, )+
        }

        impl $Enum {
            /// Every choice, in the order menus list them.
            pub const ALL: &'static [$Enum] = &[$($Enum::$Variant,)+];

            /// Everything the table says about this choice.
            pub fn spec(self) -> &'static $Spec {
                match self {
                    $( $Enum::$Variant => { const SPEC: $Spec = $spec; &SPEC } )+
                }
            }

            /// The name in URLs, JSON and the CLI.
            pub fn name(self) -> &'static str {
                $crate::choice::Spec::about(self.spec()).name
            }
        }

        impl $crate::choice::Choice for $Enum {
            const SETTING: &'static str = $setting;
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn about(self) -> &'static $crate::choice::About {
                $crate::choice::Spec::about(self.spec())
            }
        }

        impl std::fmt::Display for $Enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $Enum {
            type Err = $crate::error::SettingsError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <Self as $crate::choice::Choice>::parse(text)
            }
        }

        impl serde::Serialize for $Enum {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        #[cfg(not(target_arch = "wasm32"))]
        impl clap::ValueEnum for $Enum {
            fn value_variants<'a>() -> &'a [Self] {
                Self::ALL
            }
            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                let about = <Self as $crate::choice::Choice>::about(*self);
                Some(clap::builder::PossibleValue::new(about.name).help(about.label))
            }
        }
    };
}
pub(crate) use choices;

/// A choice setting's table as the page receives it.
#[derive(Serialize)]
pub struct ChoiceTable {
    /// The setting.
    pub setting: &'static str,
    /// Each choice's name, label and explanation, in menu order.
    pub choices: Vec<About>,
}

impl ChoiceTable {
    /// The table of `C`.
    pub fn of<C: Choice>() -> Self {
        ChoiceTable { setting: C::SETTING, choices: C::all().iter().map(|c| *c.about()).collect() }
    }
}
