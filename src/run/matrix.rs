//! The seed talk's benchmark (seed 000's `run.sh`): four scripts, each run with the GIL
//! (3.10+ safe points, then 3.9's) and without it. The page's seed matrix and the CLI's
//! `matrix` command run these cells, so both print the same experiment (the scripts are a
//! table like every other variant).

use serde::Serialize;

use crate::choice::{About, Spec, choices};
use crate::model::gil::Gil;
use crate::model::mode::Mode;
use crate::settings::Settings;

/// What the table says about a script.
#[derive(Debug, Serialize)]
pub struct ScriptSpec {
    /// Name (`single`), label (the script's file name), explanation.
    #[serde(flatten)]
    pub about: About,
    /// The mode that runs it.
    pub mode: Mode,
    /// Whether it runs on one thread whatever the matrix's thread count.
    pub one_thread: bool,
}

impl Spec for ScriptSpec {
    fn about(&self) -> &About {
        &self.about
    }
}

choices! {
    /// One of the seed's four scripts.
    pub enum Script: "script" => ScriptSpec {
        /// `single_thread.py`: the loop on one thread.
        Single => ScriptSpec {
            about: About { name: "single", label: "single_thread.py", explain: "The loop on one thread: the baseline of each column." },
            mode: Mode::Racy,
            one_thread: true,
        },
        /// `multi_thread_share.py`: N threads, one shared dict, no lock.
        Share => ScriptSpec {
            about: About { name: "share", label: "multi_thread_share.py", explain: "N threads increment one shared dict entry, with no lock." },
            mode: Mode::Racy,
            one_thread: false,
        },
        /// `multi_thread_share_lock.py`: the same with `with lock:`.
        Lock => ScriptSpec {
            about: About { name: "lock", label: "multi_thread_share_lock.py", explain: "The same with a threading.Lock (a PyMutex) around each increment." },
            mode: Mode::PyMutex,
            one_thread: false,
        },
        /// `multi_thread_private.py`: a dict per thread.
        Private => ScriptSpec {
            about: About { name: "private", label: "multi_thread_private.py", explain: "Each thread increments a dict of its own." },
            mode: Mode::Private,
            one_thread: false,
        },
    }
}

/// The matrix's columns: the GIL with 3.10+ safe points, with 3.9's, and no GIL.
pub const COLUMNS: [Gil; 3] = [Gil::Py310, Gil::Py39, Gil::Off];

/// Every cell of the matrix, column by column, with `base`'s other settings (objects, total,
/// threads for the threaded scripts, interval, cost).
pub fn cells(base: &Settings) -> Vec<(Script, Settings)> {
    COLUMNS
        .iter()
        .flat_map(|&gil| {
            Script::ALL.iter().map(move |&script| {
                let spec = script.spec();
                let threads = if spec.one_thread { 1 } else { base.threads };
                (script, Settings { mode: spec.mode, threads, gil, ..base.clone() })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_cells_in_the_seeds_order() {
        let base = Settings { threads: 4, ..Settings::default() };
        let cells = cells(&base);
        assert_eq!(cells.len(), 12);
        assert_eq!(
            (cells[0].0, cells[0].1.threads, cells[0].1.gil),
            (Script::Single, 1, Gil::Py310)
        );
        assert_eq!(
            (cells[2].0, cells[2].1.mode, cells[2].1.threads),
            (Script::Lock, Mode::PyMutex, 4)
        );
        assert_eq!(cells[11].1.gil, Gil::Off);
    }
}
