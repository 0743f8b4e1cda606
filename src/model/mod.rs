//! What is emulated: the counter workloads ([`mode`]), what runs between their steps
//! ([`interp`]), CPython's GIL ([`gil`]) and its `PyMutex` ([`pymutex`]), the bytecode the page shows
//! ([`bytecode`]), and how the workers are made: threads, subinterpreters or processes
//! ([`execution`]). Platform-free.

pub mod bytecode;
pub mod execution;
pub mod gil;
pub mod interp;
pub mod mode;
pub mod objects;
pub mod pymutex;
pub mod stepper;
