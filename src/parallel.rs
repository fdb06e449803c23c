//! Work shared out between the cores: `runs` splits a slice into one contiguous run per core
//! and hands each run to its own thread, results in run order; `batches` hands out small
//! batches to whichever thread is free, results in item order; `join` runs two halves of one
//! step side by side.
//!
//! Contiguous runs rather than interleaved items: the files of a plan or a tree come in runs of
//! the same template or directory, so each thread keeps to its own (a directory's lock in the
//! kernel, a template's compiled form in the cache).
//!
//! **Invariant:** pure: it starts threads and nothing else.

/// The fewest files of a run worth a thread of its own when files are read, written or hashed:
/// below it, starting the thread costs more than the run (measured on the example's 149 files).
pub const FILES_PER_THREAD: usize = 256;

/// `work` applied to each contiguous run of `items`, one run per core but none shorter than
/// `min_run` items (starting and joining a thread costs about as much as reading a dozen small
/// files: the example's check is faster on one thread), the results in the order of the runs.
/// A thread that panicked is a bug: its panic is raised again here.
pub fn runs<T: Sync, R: Send>(
    items: &[T],
    min_run: usize,
    work: &(dyn Fn(&[T]) -> R + Sync),
) -> Vec<R> {
    let wanted = items.len().div_ceil(min_run.max(1));
    // Only asked when it matters: the answer reads cgroup files.
    let threads = if wanted > 1 { cores().min(wanted) } else { 1 };
    if threads <= 1 {
        return vec![work(items)];
    }
    let share = items.len().div_ceil(threads);
    let mut chunks: Vec<&[T]> = items.chunks(share).collect();
    // The calling thread takes the last run itself: one thread fewer to start and join.
    let last = chunks.pop().unwrap_or_default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (chunks.into_iter())
            .map(|run| scope.spawn(move || work(run)))
            .collect();
        let own = work(last);
        let mut results: Vec<R> = (handles.into_iter())
            .map(|handle| (handle.join()).unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect();
        results.push(own);
        results
    })
}

/// `work` applied to every item of `items`, the results in item order, the items handed out to
/// one thread per core `batch` at a time, whichever thread is free taking the next batch: for
/// items whose costs differ widely (a dashboard renders in a hundred times the time of a
/// kustomization), where contiguous runs leave one core idle while the other finishes its run.
pub fn batches<T: Sync, R: Send>(
    items: &[T],
    batch: usize,
    work: &(dyn Fn(&T) -> R + Sync),
) -> Vec<R> {
    let batch = batch.max(1);
    let wanted = items.len().div_ceil(batch);
    let threads = if wanted > 1 { cores().min(wanted) } else { 1 };
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(batch, std::sync::atomic::Ordering::Relaxed);
            let taken = items
                .get(start..items.len().min(start + batch))
                .unwrap_or_default();
            if taken.is_empty() {
                return done;
            }
            done.extend((start..).zip(taken.iter().map(work)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(take)).collect();
        let mut done = take();
        for handle in handles {
            done.extend(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        done
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// `(first(), second())`, with `first` on a thread of its own when `worth_a_thread` and there
/// is another core: for two independent halves of one step, such as the Grafana plan and the
/// rest of an environment's plan.
pub fn join<A: Send, B>(
    worth_a_thread: bool,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B,
) -> (A, B) {
    if !worth_a_thread || cores() < 2 {
        return (first(), second());
    }
    std::thread::scope(|scope| {
        let handle = scope.spawn(first);
        let second = second();
        let first = (handle.join()).unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    })
}

/// The cores this process may use, asked once: the answer reads cgroup files on Linux, and
/// every stage that shares work out asks.
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_worked_once_and_comes_back_in_order() {
        for len in [0, 1, 2, 3, 7, 100, 1000] {
            let items: Vec<usize> = (0..len).collect();
            for batch in [0, 1, 3, 64] {
                let worked = batches(&items, batch, &|item| item * 2);
                let doubled: Vec<usize> = items.iter().map(|item| item * 2).collect();
                assert_eq!(worked, doubled, "{len} items in batches of {batch}");
            }
        }
    }

    #[test]
    fn every_item_is_in_one_run_in_order() {
        for len in [0, 1, 2, 3, 7, 100] {
            let items: Vec<usize> = (0..len).collect();
            for min_run in [0, 1, 2, 50] {
                let runs = runs(&items, min_run, &<[usize]>::to_vec);
                assert_eq!(runs.concat(), items, "{len} items");
                assert!(runs.iter().all(|run| !run.is_empty()) || len == 0);
                assert!(runs.len() <= len.div_ceil(min_run.max(1)).max(1));
            }
        }
    }
}
