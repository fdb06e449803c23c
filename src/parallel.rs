//! Work shared out between the cores: `runs` splits a slice into one contiguous run per core
//! and hands each run to its own thread, results in run order.
//!
//! Contiguous runs rather than interleaved items: the files of a plan or a tree come in runs of
//! the same template or directory, so each thread keeps to its own (a directory's lock in the
//! kernel, a template's compiled form in the cache).
//!
//! **Invariant:** pure: it starts threads and nothing else.

/// `work` applied to each contiguous run of `items`, one run per core (fewer when there are
/// fewer items), the results in the order of the runs. A thread that panicked is a bug: its
/// panic is raised again here.
pub fn runs<T: Sync, R: Send>(items: &[T], work: &(dyn Fn(&[T]) -> R + Sync)) -> Vec<R> {
    let threads = cores().clamp(1, items.len().max(1));
    if threads == 1 {
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

/// The cores this process may use, asked once: the answer reads cgroup files on Linux, and
/// every stage that shares work out asks.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_in_one_run_in_order() {
        for len in [0, 1, 2, 3, 7, 100] {
            let items: Vec<usize> = (0..len).collect();
            let runs = runs(&items, &<[usize]>::to_vec);
            assert_eq!(runs.concat(), items, "{len} items");
            assert!(runs.iter().all(|run| !run.is_empty()) || len == 0);
        }
    }
}
