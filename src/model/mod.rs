//! What is emulated: the counter workloads ([`mode`]), what runs between their steps
//! ([`interp`]), CPython's GIL ([`gil`]) and its `PyMutex` ([`pymutex`]), and the bytecode the page shows
//! ([`bytecode`]). Platform-free.

pub mod bytecode;
pub mod gil;
pub mod interp;
pub mod mode;
pub mod objects;
pub mod pymutex;
pub mod stepper;
