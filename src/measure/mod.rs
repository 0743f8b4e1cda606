//! How time is read ([`clock`]) and what each thread records of a run ([`timeline`]): the
//! instruments the model and the runs share, so the core never names a platform.

pub mod clock;
pub mod timeline;
