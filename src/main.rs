//! The `lgtmc` binary: everything happens in `lgtmc::run`.

// jemalloc, configured in .cargo/config.toml: glibc's malloc gives each thread an arena of its
// own, whose freed pages stay resident, and cannot be configured without `unsafe`. Without the
// `jemalloc` feature (for heaptrack), the system's.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(lgtmc::run(std::env::args_os()));
}
