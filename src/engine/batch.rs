//! Parallel work within one file: a reading thread cuts a large file into batches of records,
//! the pool's idle threads evaluate them, and their results are applied in batch order on the
//! reading thread, so what comes out is what one thread would have made. Knows nothing of rules
//! or records.
//!
//! Why not a plain `par_iter`: the file is cut into records as it is decompressed, by a callback,
//! and must not be held whole; and a worker reading a file must never block waiting for work that
//! only it could run (with every other thread busy or gone, that would be a deadlock). So a batch
//! goes to the pool only while the scan's budget of batches in flight allows it, and is run on
//! the reading thread otherwise; while waiting for its own batches, the reading thread runs those
//! still in its own queue (`rayon::yield_local`), never another file's work.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Batches in flight across a scan (every file's), and how many may be.
#[derive(Debug)]
pub(super) struct Budget {
    in_flight: AtomicUsize,
    limit: usize,
}

impl Budget {
    /// At most `per_thread` batches per worker thread wait or run at once.
    pub(super) fn new(threads: usize, per_thread: usize) -> Budget {
        Budget {
            in_flight: AtomicUsize::new(0),
            limit: threads.max(1) * per_thread,
        }
    }

    fn take(&self) -> bool {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) < self.limit {
            true
        } else {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            false
        }
    }

    fn give_back(&self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

type Outcome<R> = (usize, std::thread::Result<R>);

/// The batches of one file: submitted in order, their results applied in the same order.
pub(super) struct Batches<'s, R> {
    budget: &'s Budget,
    sender: mpsc::Sender<Outcome<R>>,
    receiver: mpsc::Receiver<Outcome<R>>,
    /// The next batch's number, and the next to apply.
    next: usize,
    applied: usize,
    /// Batches of this file sent to the pool whose result has not come back.
    sent: usize,
    /// Results that came back before an earlier batch's.
    ready: BTreeMap<usize, R>,
}

impl<'s, R: Send + 's> Batches<'s, R> {
    pub(super) fn new(budget: &'s Budget) -> Batches<'s, R> {
        let (sender, receiver) = mpsc::channel();
        Batches {
            budget,
            sender,
            receiver,
            next: 0,
            applied: 0,
            sent: 0,
            ready: BTreeMap::new(),
        }
    }

    /// Runs `job` on the pool if the budget allows, else right here, then applies every result
    /// that is now in turn. A job that panicked panics here.
    pub(super) fn submit(
        &mut self,
        scope: &rayon::Scope<'s>,
        job: impl FnOnce() -> R + Send + 's,
        apply: &mut dyn FnMut(R),
    ) {
        let number = self.next;
        self.next += 1;
        if self.budget.take() {
            let (sender, budget) = (self.sender.clone(), self.budget);
            self.sent += 1;
            scope.spawn(move |_| {
                let result = catch_unwind(AssertUnwindSafe(job));
                budget.give_back();
                let _ = sender.send((number, result));
            });
        } else {
            self.ready.insert(number, job());
        }
        self.collect(false);
        self.apply_in_turn(apply);
    }

    /// Takes the result of a batch run by the caller, in its turn among the others.
    pub(super) fn ready(&mut self, result: R, apply: &mut dyn FnMut(R)) {
        self.ready.insert(self.next, result);
        self.next += 1;
        self.collect(false);
        self.apply_in_turn(apply);
    }

    /// Waits for every batch sent to the pool and applies what remains, in order.
    pub(super) fn finish(&mut self, apply: &mut dyn FnMut(R)) {
        while self.sent > 0 {
            // Run our own batches no other thread took; if none is left here, the others are
            // running on other threads: wait for one.
            match rayon::yield_local() {
                Some(rayon::Yield::Executed) => self.collect(false),
                _ => self.collect(true),
            }
        }
        self.apply_in_turn(apply);
        debug_assert!(self.ready.is_empty() && self.applied == self.next);
    }

    fn collect(&mut self, wait: bool) {
        let mut wait = wait;
        loop {
            let outcome = if wait {
                wait = false;
                match self.receiver.recv() {
                    Ok(outcome) => outcome,
                    Err(_) => return,
                }
            } else {
                match self.receiver.try_recv() {
                    Ok(outcome) => outcome,
                    Err(_) => return,
                }
            };
            self.sent -= 1;
            match outcome {
                (number, Ok(result)) => {
                    self.ready.insert(number, result);
                }
                (_, Err(panic)) => resume_unwind(panic),
            }
        }
    }

    fn apply_in_turn(&mut self, apply: &mut dyn FnMut(R)) {
        while let Some(result) = self.ready.remove(&self.applied) {
            apply(result);
            self.applied += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(threads: usize, budget_per_thread: usize, batches: usize) -> Vec<usize> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let budget = Budget::new(threads, budget_per_thread);
        let mut applied = Vec::new();
        pool.install(|| {
            rayon::in_place_scope(|scope| {
                let mut in_flight = Batches::new(&budget);
                let mut apply = |n: usize| applied.push(n);
                for n in 0..batches {
                    in_flight.submit(
                        scope,
                        move || {
                            // Later batches finish first, so results come back out of order.
                            std::thread::sleep(std::time::Duration::from_micros(
                                ((batches - n) % 7) as u64 * 50,
                            ));
                            n
                        },
                        &mut apply,
                    );
                }
                in_flight.finish(&mut apply);
            });
        });
        assert_eq!(budget.in_flight.load(Ordering::SeqCst), 0);
        applied
    }

    #[test]
    fn results_are_applied_in_submission_order() {
        let expected: Vec<usize> = (0..200).collect();
        assert_eq!(run(2, 4, 200), expected);
        assert_eq!(run(4, 1, 200), expected);
        // One thread: nobody else can take a batch; the reader runs them all and never blocks.
        assert_eq!(run(1, 4, 200), expected);
        // No budget: every batch runs on the reading thread.
        assert_eq!(run(2, 0, 50), (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn a_panicking_batch_panics_the_reader() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let budget = Budget::new(2, 4);
        let caught = pool.install(|| {
            catch_unwind(AssertUnwindSafe(|| {
                rayon::in_place_scope(|scope| {
                    let mut in_flight = Batches::new(&budget);
                    let mut apply = |_: usize| {};
                    for n in 0..20 {
                        in_flight.submit(
                            scope,
                            move || {
                                assert!(n != 13, "batch 13 fails");
                                n
                            },
                            &mut apply,
                        );
                    }
                    in_flight.finish(&mut apply);
                });
            }))
        });
        assert!(caught.is_err());
        assert_eq!(budget.in_flight.load(Ordering::SeqCst), 0);
    }
}
