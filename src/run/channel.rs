//! The channels between the interpreters of a `subinterpreters` run: queues in the run's
//! shared memory, like CPython's `interpreters.Queue`. Interpreters share no objects, so
//! whatever crosses is a copy made by the sender (a slice of the numbers is copied into a
//! message of its own); the receiver then owns the message. A receiver with nothing to take
//! sleeps until something is sent (natively a futex, in the browser `Atomics.wait`).

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, PoisonError};

/// A queue of messages from any interpreter to the one that receives them.
pub(crate) struct Channel<T> {
    queue: Mutex<VecDeque<T>>,
    sent: Condvar,
}

impl<T> Channel<T> {
    pub(crate) fn new() -> Self {
        Channel { queue: Mutex::new(VecDeque::new()), sent: Condvar::new() }
    }

    /// Puts `message` at the end of the queue and wakes a receiver.
    pub(crate) fn send(&self, message: T) {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner).push_back(message);
        self.sent.notify_one();
    }

    /// Takes the first message, waiting until there is one.
    pub(crate) fn recv(&self) -> T {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(message) = queue.pop_front() {
                return message;
            }
            queue = self.sent.wait(queue).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// What the main interpreter sends each interpreter: its share, and its numbers (a copy).
pub(crate) struct Job {
    pub(crate) increments: u64,
    pub(crate) numbers: Vec<u32>,
}

impl Job {
    /// The bytes of numbers it carries (what [`crate::run::report::Phases`] counts).
    pub(crate) fn bytes(&self) -> u64 {
        (size_of::<u32>() * self.numbers.len()) as u64
    }
}

/// What an interpreter sends the main interpreter.
pub(crate) enum Reply {
    /// It exists and waits for its job.
    Ready,
    /// Its result: what its counter read, and (sum) what its numbers added up to.
    Done { count: u64, sum: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_arrive_in_order_and_a_receiver_waits_for_them() {
        let channel = Channel::new();
        std::thread::scope(|s| {
            let receiver = s.spawn(|| (0..3).map(|_| channel.recv()).collect::<Vec<u32>>());
            for n in [7, 8, 9] {
                channel.send(n);
            }
            assert_eq!(receiver.join().unwrap(), [7, 8, 9]);
        });
    }
}
