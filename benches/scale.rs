//! The scale benchmark of issue 14: grows the example spec to N tenants, times the release
//! binary's `render` (into a new, empty out dir, as in a fresh clone), `check` (clean, right after
//! the render: answered from the render's check record), `check --no-cache` (the full compile)
//! and `diff` (one tenant's limit changed) at each N, with the peak RSS of each child process and the files and bytes written,
//! paired in the same run with jrsonnet rendering the peer workload of `../shared/bench` at the
//! same N, and prints a Markdown table (docs/benchmarks.md).
//!
//! Run with `cargo bench --bench scale`. Options, as environment variables:
//! - `LGTMC_SCALE_TENANTS`: the tenant counts, comma-separated (default `3,50,500`);
//! - `LGTMC_SCALE_RUNS`: runs of each command per count, the median is shown (default 5);
//! - `LGTMC_SCALE_PEER`: the peer bench directory (default `../shared/bench` of the repository);
//! - `LGTMC_SCALE_JRSONNET`: the jrsonnet binary (default `jrsonnet` on `PATH`, then
//!   `~/.cargo/bin/jrsonnet`); when it does not run, the peer columns are left empty and a line
//!   says so;
//! - `LGTMC_SCALE_KEEP`: keep the generated specs and workloads (their directory is printed);
//! - `LGTMC_SCALE_DIR`: where the workspace is made (default the system's temporary directory):
//!   both tools write there, so `/dev/shm` separates their own time from a slow filesystem's
//!   file creation (a fresh render creates 12,000 files at 2,000 tenants, the peer's 33).
//!
//! Each run renders into a new directory and the previous tree is only moved aside (removed with
//! the workspace): on ext4, creating thousands of files right after deleting as many is several
//! times slower (the inode allocator skips recently freed inodes), which a fresh clone never sees.
//!
//! Every command runs under a small wrapper, this same binary started with
//! `LGTMC_SCALE_CHILD=1`: it starts the command, waits, and reads `getrusage(RUSAGE_CHILDREN)`,
//! which then covers that one child only, so each peak RSS is the command's own.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The environment variable that turns this binary into the measuring wrapper.
const CHILD: &str = "LGTMC_SCALE_CHILD";

/// The example's tenants; the generated ones come after them.
const EXAMPLE_TENANTS: usize = 3;

/// The tenant whose limit `diff` sees changed, and the change.
const DIFF_FROM: &str = "tenant \"agents\" ingestion-rate=50000";
const DIFF_TO: &str = "tenant \"agents\" ingestion-rate=50001";

/// The line of the example after which the generated tenants are inserted.
const LAST_EXAMPLE_TENANT: &str = "    tenant \"dev\" ingestion-rate=20000 retention=\"7d\"\n";

/// Retention of the generated tenants, in days, cycled (the peer workload's list).
const RETENTION_DAYS: [u32; 5] = [7, 15, 30, 90, 365];

fn main() {
    if std::env::var_os(CHILD).is_some() {
        wrapper();
        return;
    }
    let options = Options::from_env();
    let work = tempfile::Builder::new()
        .prefix("lgtmc-scale-")
        .tempdir_in(&options.work_dir)
        .expect("a temporary directory");
    let jrsonnet = options.jrsonnet();
    if jrsonnet.is_none() {
        eprintln!("jrsonnet did not run: the peer columns are skipped");
    }
    let mut rows = Vec::new();
    for &tenants in &options.tenants {
        eprintln!("{tenants} tenants ({} runs)…", options.runs);
        let spec = work.path().join(format!("spec-{tenants}"));
        generate(&spec, tenants);
        let peer = jrsonnet.as_ref().map(|binary| {
            let dir = work.path().join(format!("peer-{tenants}"));
            Peer::make(&options.peer_dir, binary, &dir, tenants)
        });
        rows.push(measure(&spec, peer.as_ref(), tenants, options.runs));
    }
    print!("{}", table(&rows, options.runs));
    if options.keep {
        eprintln!("kept: {}", work.keep().display());
    }
}

/// What the environment asks for.
struct Options {
    tenants: Vec<usize>,
    runs: usize,
    peer_dir: PathBuf,
    jrsonnet: Option<String>,
    keep: bool,
    work_dir: PathBuf,
}

impl Options {
    fn from_env() -> Options {
        let tenants = std::env::var("LGTMC_SCALE_TENANTS")
            .unwrap_or_else(|_| "3,50,500".to_owned())
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .expect("LGTMC_SCALE_TENANTS: counts like 3,50,500")
            })
            .collect::<Vec<usize>>();
        assert!(
            tenants.iter().all(|&n| n >= EXAMPLE_TENANTS),
            "LGTMC_SCALE_TENANTS: the example has {EXAMPLE_TENANTS} tenants, the least a count can be"
        );
        let runs = std::env::var("LGTMC_SCALE_RUNS")
            .map(|n| {
                n.trim()
                    .parse()
                    .expect("LGTMC_SCALE_RUNS: a number of runs")
            })
            .unwrap_or(5);
        assert!(runs > 0, "LGTMC_SCALE_RUNS: at least one run");
        let peer_dir = std::env::var_os("LGTMC_SCALE_PEER").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench"),
            PathBuf::from,
        );
        Options {
            tenants,
            runs,
            peer_dir,
            jrsonnet: std::env::var("LGTMC_SCALE_JRSONNET").ok(),
            keep: std::env::var_os("LGTMC_SCALE_KEEP").is_some(),
            work_dir: std::env::var_os("LGTMC_SCALE_DIR")
                .map_or_else(std::env::temp_dir, PathBuf::from),
        }
    }

    /// The jrsonnet binary, if one runs (and the peer's generator is there).
    fn jrsonnet(&self) -> Option<PathBuf> {
        if !self.peer_dir.join("make_workload.py").is_file() {
            eprintln!("no {}/make_workload.py", self.peer_dir.display());
            return None;
        }
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(named) = &self.jrsonnet {
            candidates.push(named.into());
        } else {
            candidates.push("jrsonnet".into());
            if let Some(home) = std::env::var_os("HOME") {
                candidates.push(Path::new(&home).join(".cargo/bin/jrsonnet"));
            }
        }
        candidates.into_iter().find(|binary| {
            Command::new(binary)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
    }
}

/// The example's raw Ceph capacity, which the grown specs raise.
const EXAMPLE_RAW: &str = "capacity raw=\"1536Gi\"";

/// Writes the example spec grown to `tenants` tenants into `dir`: the example's `platform.kdl`
/// with generated tenants after its own, its `environments/` and `versions/` unchanged. The
/// ids, limits and overrides depend only on the index, so every run measures the same spec.
fn generate(dir: &Path, tenants: usize) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["environments", "versions"] {
        std::fs::create_dir_all(dir.join(sub)).expect("create the spec directory");
        for entry in std::fs::read_dir(example.join(sub)).expect("the example's files") {
            let entry = entry.expect("the example's files");
            std::fs::copy(entry.path(), dir.join(sub).join(entry.file_name()))
                .expect("copy the example");
        }
    }
    let platform =
        std::fs::read_to_string(example.join("platform.kdl")).expect("the example's platform.kdl");
    let at = platform
        .find(LAST_EXAMPLE_TENANT)
        .expect("the example's last tenant")
        + LAST_EXAMPLE_TENANT.len();
    let mut grown = platform[..at].to_owned();
    let width = tenants.to_string().len().max(4);
    for index in EXAMPLE_TENANTS + 1..=tenants {
        grown.push_str(&tenant_line(index, width));
    }
    grown.push_str(&platform[at..]);
    if tenants > EXAMPLE_TENANTS {
        // Thousands of tenants store petabytes: a budget that holds them, so that every run
        // does not print (and time) the over-budget warning.
        assert!(grown.contains(EXAMPLE_RAW), "the example's raw capacity");
        grown = grown.replace(EXAMPLE_RAW, "capacity raw=\"8Pi\"");
    }
    assert!(
        grown.contains(DIFF_FROM),
        "the tenant diff changes is in the example"
    );
    std::fs::write(dir.join("platform.kdl"), grown).expect("write platform.kdl");
}

/// One generated tenant: limits like the peer workload's, and, as in the example, some tenants
/// with their own log, trace or profile limits.
fn tenant_line(index: usize, width: usize) -> String {
    let mut line = format!(
        "    tenant \"t{index:0width$}\" ingestion-rate={} max-series={} retention=\"{}d\"",
        5_000 * (1 + (index * 7) % 40),
        50_000 * (1 + (index * 13) % 60),
        RETENTION_DAYS[index % RETENTION_DAYS.len()],
    );
    let mut overrides = String::new();
    if index.is_multiple_of(4) {
        let rate = 1 + index % 20;
        let _ = write!(
            overrides,
            " logs ingestion-rate-mb={rate} ingestion-burst-mb={};",
            2 * rate
        );
    }
    if index.is_multiple_of(10) {
        overrides.push_str(" traces retention=\"3d\";");
    }
    if index.is_multiple_of(25) {
        overrides.push_str(" profiles ingestion-rate-mb=2;");
    }
    if !overrides.is_empty() {
        let _ = write!(line, " {{{overrides} }}");
    }
    line.push('\n');
    line
}

/// The peer workload at one N, and how to render it.
struct Peer {
    dir: PathBuf,
    jrsonnet: PathBuf,
    envs: Vec<String>,
}

impl Peer {
    /// Generates the workload (`make_workload.py N 3 DIR`).
    fn make(bench: &Path, jrsonnet: &Path, dir: &Path, tenants: usize) -> Peer {
        let status = Command::new("python3")
            .arg(bench.join("make_workload.py"))
            .args([tenants.to_string(), "3".to_owned()])
            .arg(dir)
            .stdout(Stdio::null())
            .status()
            .expect("python3 runs make_workload.py");
        assert!(status.success(), "make_workload.py {tenants} 3 failed");
        let envs = std::fs::read_dir(dir.join("spec"))
            .expect("the workload's spec/")
            .map(|entry| {
                let name = entry.expect("spec/").file_name();
                let name = name.to_string_lossy();
                name.trim_end_matches(".json").to_owned()
            })
            .collect();
        Peer {
            dir: dir.to_owned(),
            jrsonnet: jrsonnet.to_owned(),
            envs,
        }
    }

    /// One render into an empty `out-jrsonnet/` (what `run_jrsonnet.sh` does, timing jrsonnet
    /// alone).
    fn render(&self) -> Sample {
        let out = self.dir.join("out-jrsonnet");
        empty_dir(&out);
        for env in &self.envs {
            std::fs::create_dir_all(out.join(env)).expect("create out-jrsonnet/<env>");
        }
        let sample = run(
            &self.dir,
            self.jrsonnet.as_os_str(),
            &["-S", "-m", "out-jrsonnet", "jsonnet/main.jsonnet"],
        );
        assert_eq!(sample.code, 0, "jrsonnet failed in {}", self.dir.display());
        sample
    }
}

/// One command's run: its exit code, wall time and peak resident set.
#[derive(Clone, Copy)]
struct Sample {
    code: i32,
    seconds: f64,
    max_rss_kib: u64,
}

/// Runs `program args` in `dir` under the wrapper and returns what the wrapper measured.
fn run(dir: &Path, program: &std::ffi::OsStr, args: &[&str]) -> Sample {
    let output = Command::new(std::env::current_exe().expect("this benchmark's binary"))
        .env(CHILD, "1")
        .arg(program)
        .args(args)
        .current_dir(dir)
        // The check record of the render (`src/cache.rs`) stays in the workspace.
        .env("LGTMC_CACHE_DIR", dir.join(".lgtmc-cache"))
        .stderr(Stdio::inherit())
        .output()
        .expect("start the wrapper");
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [code, nanos, rss] = fields[..] else {
        panic!("the wrapper printed {text:?}");
    };
    Sample {
        code: code.parse().expect("an exit code"),
        seconds: nanos.parse::<f64>().expect("nanoseconds") / 1e9,
        max_rss_kib: rss.parse().expect("kibibytes"),
    }
}

/// The wrapper: runs its arguments as a command (output discarded, stderr kept), then prints
/// the exit code, the wall time in nanoseconds and the peak RSS in KiB of that one child.
fn wrapper() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let (program, rest) = args.split_first().expect("a command to measure");
    let start = Instant::now();
    let status = Command::new(program)
        .args(rest)
        .env_remove(CHILD)
        .stdout(Stdio::null())
        .status()
        .expect("start the measured command");
    let nanos = start.elapsed().as_nanos();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage");
    // Linux reports ru_maxrss in KiB.
    println!(
        "{} {nanos} {}",
        status.code().unwrap_or(-1),
        usage.max_rss().max(0)
    );
}

/// Removes `dir` and everything under it (if there), then creates it empty.
fn empty_dir(dir: &Path) {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => panic!("remove {}: {error}", dir.display()),
    }
    std::fs::create_dir_all(dir).expect("create the out dir");
}

/// The regular files under `dir` and their bytes.
fn tree_size(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.expect("walk the out dir");
        if entry.file_type().is_file() {
            files += 1;
            bytes += entry.metadata().expect("file metadata").len();
        }
    }
    (files, bytes)
}

/// One row of the table: medians over the runs.
struct Row {
    tenants: usize,
    files: u64,
    bytes: u64,
    render: f64,
    check: f64,
    full_check: f64,
    diff: f64,
    max_rss_kib: u64,
    peer: Option<PeerRow>,
}

struct PeerRow {
    seconds: f64,
    bytes: u64,
}

/// Runs render, check, diff (and the peer) `runs` times, interleaved so that the pairs see the
/// same machine.
fn measure(spec: &Path, peer: Option<&Peer>, tenants: usize, runs: usize) -> Row {
    let lgtmc = std::ffi::OsStr::new(env!("CARGO_BIN_EXE_lgtmc"));
    let platform = spec.join("platform.kdl");
    let text = std::fs::read_to_string(&platform).expect("the generated spec");
    let changed = text.replacen(DIFF_FROM, DIFF_TO, 1);
    let (mut render, mut check, mut diff, mut jr) = (vec![], vec![], vec![], vec![]);
    let mut full_check = vec![];
    for index in 0..runs {
        let out = spec.join("out");
        if out.exists() {
            std::fs::rename(&out, spec.join(format!("previous-out-{index}")))
                .expect("move the previous tree aside");
        }
        render.push(expect_code(run(spec, lgtmc, &["render"]), &[0], "render"));
        check.push(expect_code(run(spec, lgtmc, &["check"]), &[0], "check"));
        let full = run(spec, lgtmc, &["check", "--no-cache"]);
        full_check.push(expect_code(full, &[0], "check --no-cache"));
        std::fs::write(&platform, &changed).expect("change one tenant's limit");
        // `diff` exits 0 whatever it finds (docs/commands.md); the spec changed, so it prints
        // the change.
        diff.push(expect_code(run(spec, lgtmc, &["diff"]), &[0], "diff"));
        std::fs::write(&platform, &text).expect("restore the spec");
        if let Some(peer) = peer {
            jr.push(peer.render());
        }
    }
    let (files, bytes) = tree_size(&spec.join("out"));
    let max_rss_kib = [&render, &check, &full_check, &diff]
        .into_iter()
        .flatten()
        .map(|sample| sample.max_rss_kib)
        .max()
        .unwrap_or(0);
    Row {
        tenants,
        files,
        bytes,
        render: median(&render),
        check: median(&check),
        full_check: median(&full_check),
        diff: median(&diff),
        max_rss_kib,
        peer: peer.map(|peer| PeerRow {
            seconds: median(&jr),
            bytes: tree_size(&peer.dir.join("out-jrsonnet")).1,
        }),
    }
}

fn expect_code(sample: Sample, codes: &[i32], what: &str) -> Sample {
    assert!(
        codes.contains(&sample.code),
        "lgtmc {what} exited with {}",
        sample.code
    );
    sample
}

fn median(samples: &[Sample]) -> f64 {
    let mut seconds: Vec<f64> = samples.iter().map(|sample| sample.seconds).collect();
    seconds.sort_by(f64::total_cmp);
    let middle = seconds.len() / 2;
    if seconds.len().is_multiple_of(2) {
        f64::midpoint(seconds[middle - 1], seconds[middle])
    } else {
        seconds[middle]
    }
}

/// The Markdown table.
fn table(rows: &[Row], runs: usize) -> String {
    let mut text = format!(
        "\nMedians of {runs} runs; peak RSS is the largest of lgtmc's render, check, full check \
         and diff. `check` right after the render answers from its record; `full check` is \
         `check --no-cache`. Ratios are lgtmc / jrsonnet: render time, render time per output \
         byte, check time, full check time.\n\n"
    );
    text.push_str(
        "| tenants | files | bytes | render | check | full check | diff | peak RSS | jrsonnet | jrsonnet bytes | render ratio | per byte | check ratio | full check ratio |\n",
    );
    text.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let _ = write!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} | {:.0} MiB |",
            row.tenants,
            row.files,
            bytes(row.bytes),
            time(row.render),
            time(row.check),
            time(row.full_check),
            time(row.diff),
            row.max_rss_kib as f64 / 1024.0,
        );
        match &row.peer {
            Some(peer) => {
                let per_byte = (row.render / row.bytes as f64) / (peer.seconds / peer.bytes as f64);
                let _ = writeln!(
                    text,
                    " {} | {} | {:.2}× | {:.2}× | {:.2}× | {:.2}× |",
                    time(peer.seconds),
                    bytes(peer.bytes),
                    row.render / peer.seconds,
                    per_byte,
                    row.check / peer.seconds,
                    row.full_check / peer.seconds,
                );
            }
            None => text.push_str(" skipped | | | | | |\n"),
        }
    }
    text
}

fn time(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1e3)
    } else {
        format!("{seconds:.2} s")
    }
}

fn bytes(bytes: u64) -> String {
    let bytes = bytes as f64;
    if bytes < 1e6 {
        format!("{:.0} KB", bytes / 1e3)
    } else {
        format!("{:.1} MB", bytes / 1e6)
    }
}
