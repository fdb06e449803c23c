//! Parsing rendered files on every core while one consumer reads them in order, with a bounded
//! number of parses alive at once: the memory of `verify` does not grow with the tree.
//!
//! Workers take the next job when they finish one (files differ a lot in size: a dashboard, the
//! collector's configuration) but never run more than `WINDOW` jobs ahead of the consumer, so a
//! slow consumer holds back the parsers instead of letting parsed trees pile up.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

use crate::format::{Format, ParseError, Parsed};

/// How many jobs the parsers may be ahead of the consumer.
const WINDOW: usize = 64;

/// Parses `jobs` (format, text) on all cores and hands each result to `consume` in job order.
pub(super) fn parse_in_order(
    jobs: &[(Format, &str)],
    consume: &mut dyn FnMut(usize, Result<Parsed, ParseError>),
) {
    in_order(jobs, &|(format, text)| format.parse(text), consume);
}

/// `work` applied to every job on all cores, each result handed to `consume` in job order;
/// no job starts more than `WINDOW` jobs ahead of the last one consumed.
fn in_order<J: Sync, R: Send>(
    jobs: &[J],
    work: &(dyn Fn(&J) -> R + Sync),
    consume: &mut dyn FnMut(usize, R),
) {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(jobs.len());
    if workers <= 1 {
        for (at, job) in jobs.iter().enumerate() {
            consume(at, work(job));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    // The number of jobs consumed so far; workers wait on it when they are a window ahead.
    let consumed = (Mutex::new(0usize), Condvar::new());
    let (sender, receiver) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, consumed) = (&next, &consumed);
            scope.spawn(move || {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(at) else {
                        break;
                    };
                    let (lock, ready) = consumed;
                    let mut done = lock
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    while at >= *done + WINDOW {
                        done = ready
                            .wait(done)
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                    }
                    drop(done);
                    if sender.send((at, work(job))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut early: BTreeMap<usize, R> = BTreeMap::new();
        let mut expected = 0;
        // Ends when every worker has finished and dropped its sender; a worker that panicked
        // ends the scope with its panic.
        for (at, result) in receiver {
            early.insert(at, result);
            while let Some(result) = early.remove(&expected) {
                consume(expected, result);
                expected += 1;
                let (lock, ready) = &consumed;
                *lock
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = expected;
                ready.notify_all();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_job_order_whatever_the_sizes() {
        let big = format!("[{}1]", "1, ".repeat(200_000));
        let texts: Vec<String> = (0..500)
            .map(|i| {
                if i % 50 == 0 {
                    big.clone()
                } else {
                    format!("[{i}]")
                }
            })
            .collect();
        let jobs: Vec<(Format, &str)> = texts.iter().map(|t| (Format::Json, t.as_str())).collect();
        let mut seen = Vec::new();
        parse_in_order(&jobs, &mut |at, result| {
            assert!(matches!(result, Ok(Parsed::Json(_))));
            seen.push(at);
        });
        assert_eq!(seen, (0..500).collect::<Vec<_>>());
    }

    /// The promise that bounds `verify`'s memory: a job starts only when fewer than `WINDOW`
    /// jobs wait between it and the consumer, however slow the consumer is.
    #[test]
    fn workers_never_run_more_than_a_window_ahead_of_a_slow_consumer() {
        let jobs: Vec<usize> = (0..WINDOW * 4).collect();
        let consumed = AtomicUsize::new(0);
        let furthest_ahead = AtomicUsize::new(0);
        in_order(
            &jobs,
            &|job| {
                let ahead = job - consumed.load(Ordering::SeqCst);
                furthest_ahead.fetch_max(ahead, Ordering::SeqCst);
                *job
            },
            &mut |at, job| {
                assert_eq!(at, job);
                std::thread::sleep(std::time::Duration::from_micros(200));
                consumed.store(at + 1, Ordering::SeqCst);
            },
        );
        assert_eq!(consumed.load(Ordering::SeqCst), jobs.len());
        assert!(
            furthest_ahead.load(Ordering::SeqCst) < WINDOW,
            "a job started {} ahead of the consumer",
            furthest_ahead.load(Ordering::SeqCst)
        );
    }

    #[test]
    fn a_broken_file_is_delivered_as_its_error() {
        let jobs = [(Format::Json, "[1"), (Format::Json, "[2]")];
        let mut results = Vec::new();
        parse_in_order(&jobs, &mut |at, result| results.push((at, result.is_ok())));
        assert_eq!(results, [(0, false), (1, true)]);
    }
}
