//! Ordered delivery (ripgrep's ordered output): work runs on a pool's threads, results are
//! handed on in the items' order on the calling thread, with bounded work in flight. Knows
//! nothing of rules or files.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Barrier, Condvar, Mutex};

/// What `in_order` runs on each item: it may send parts of its result, then returns the rest.
pub(super) type Work<'a, T, P, R> = dyn Fn(&T, &mut dyn FnMut(P)) -> R + Sync + 'a;

/// A part of an item's result, or the rest of it (`in_order`).
pub(super) enum Piece<P, R> {
    Part(P),
    Done(R),
}

/// Runs `work` on every item on the pool's threads and hands the results to `done` in the items'
/// order, on the calling thread (ripgrep's ordered output). `work` may also send parts of its
/// result before it ends; they are delivered in order too, before the item's `Done`. Workers run
/// at most `window` items ahead of the oldest unfinished one, and a worker whose item is not the
/// oldest waits once it has `PARTS_AHEAD` parts waiting, so what waits for its turn stays small.
pub(super) fn in_order<T: Sync, P: Send, R: Send>(
    pool: &rayon::ThreadPool,
    items: &[T],
    work: &Work<'_, T, P, R>,
    deliver: &mut dyn FnMut(Piece<P, R>),
) {
    const PARTS_AHEAD: usize = 2;
    let workers = pool.current_num_threads().max(1);
    let window = workers * 4;
    let next = AtomicUsize::new(0);
    // The oldest item not yet done; workers wait on it to stay inside the window.
    let oldest = (Mutex::new(0usize), Condvar::new());
    // Set when a worker or the receiving side panics: nobody waits for a turn that cannot come.
    let cancelled = AtomicBool::new(false);
    let cancel = || {
        cancelled.store(true, Ordering::SeqCst);
        let _turns = oldest.0.lock().unwrap_or_else(|e| e.into_inner());
        oldest.1.notify_all();
    };
    // False when the run was cancelled while waiting.
    let wait_until = |ready: &dyn Fn(usize) -> bool| -> bool {
        let (count, turn) = &oldest;
        let mut count = count.lock().unwrap_or_else(|e| e.into_inner());
        while !ready(*count) {
            if cancelled.load(Ordering::SeqCst) {
                return false;
            }
            count = turn.wait(count).unwrap_or_else(|e| e.into_inner());
        }
        true
    };
    let (sender, receiver) = mpsc::channel::<(usize, Piece<P, R>)>();
    // Every worker holds its loop until all have started: a worker waiting for the batches of its
    // file (`batch`) may run queued pool jobs, and must never find another worker's loop among
    // them (nested in its file, that loop could wait for the file to be done).
    let started = Barrier::new(workers);
    pool.in_place_scope(|scope| {
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, wait_until, cancel, started) = (&next, &wait_until, &cancel, &started);
            scope.spawn(move |_| {
                started.wait();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items.len() || !wait_until(&|oldest| i < oldest + window) {
                        break;
                    }
                    let mut sent = 0usize;
                    let mut send = |p: P| {
                        sent += 1;
                        if sent <= PARTS_AHEAD || wait_until(&|oldest| oldest == i) {
                            let _ = sender.send((i, Piece::Part(p)));
                        }
                    };
                    let result = match catch_unwind(AssertUnwindSafe(|| work(&items[i], &mut send)))
                    {
                        Ok(result) => result,
                        Err(panic) => {
                            cancel();
                            std::panic::resume_unwind(panic);
                        }
                    };
                    if sender.send((i, Piece::Done(result))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // If delivering panics, the workers must not wait for turns that will not come.
        struct OnUnwind<F: Fn()>(F);
        impl<F: Fn()> Drop for OnUnwind<F> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    (self.0)();
                }
            }
        }
        let _guard = OnUnwind(&cancel);
        let mut waiting: BTreeMap<usize, (Vec<P>, Option<R>)> = BTreeMap::new();
        let mut expected = 0;
        for (i, piece) in receiver {
            match piece {
                Piece::Part(p) if i == expected => deliver(Piece::Part(p)),
                Piece::Part(p) => waiting.entry(i).or_default().0.push(p),
                Piece::Done(r) => waiting.entry(i).or_default().1 = Some(r),
            }
            // Hand on everything that is now in turn.
            while let Some(entry) = waiting.get_mut(&expected) {
                entry.0.drain(..).for_each(|p| deliver(Piece::Part(p)));
                let Some(result) = entry.1.take() else {
                    break;
                };
                waiting.remove(&expected);
                deliver(Piece::Done(result));
                expected += 1;
                let (count, turn) = &oldest;
                *count.lock().unwrap_or_else(|e| e.into_inner()) = expected;
                turn.notify_all();
            }
        }
    });
}

#[cfg(test)]
mod in_order_tests {
    use super::*;

    fn pool() -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
    }

    #[test]
    fn results_and_parts_arrive_in_item_order() {
        let items: Vec<usize> = (0..200).collect();
        let work = |&i: &usize, send: &mut dyn FnMut(usize)| {
            // Later items finish first, and some send parts before their result.
            std::thread::sleep(std::time::Duration::from_micros(
                ((200 - i) % 7) as u64 * 50,
            ));
            for part in 0..i % 4 {
                send(i * 10 + part);
            }
            i
        };
        let mut seen = Vec::new();
        in_order(&pool(), &items, &work, &mut |piece| match piece {
            Piece::Part(p) => seen.push(p),
            Piece::Done(r) => seen.push(r * 10 + 9),
        });
        let expected: Vec<usize> = items
            .iter()
            .flat_map(|&i| (0..i % 4).map(move |p| i * 10 + p).chain([i * 10 + 9]))
            .collect();
        assert_eq!(seen, expected);
    }

    /// A bug that panics in a worker, or while delivering, fails the run: it never hangs on
    /// workers waiting for a turn.
    #[test]
    fn a_panic_in_a_worker_or_while_delivering_does_not_hang() {
        let items: Vec<usize> = (0..100).collect();
        let panics_on_3 = |&i: &usize, send: &mut dyn FnMut(usize)| {
            for part in 0..5 {
                send(part);
            }
            assert!(i != 3, "item 3");
            i
        };
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
            in_order(&pool(), &items, &panics_on_3, &mut |_| {});
        }));
        assert!(run.is_err());

        let fine = |&i: &usize, send: &mut dyn FnMut(usize)| {
            for part in 0..5 {
                send(part);
            }
            i
        };
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
            in_order(&pool(), &items, &fine, &mut |piece| {
                if let Piece::Done(10) = piece {
                    panic!("delivering item 10");
                }
            });
        }));
        assert!(run.is_err());
    }
}
