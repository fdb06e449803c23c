//! The check record: what the last `render` wrote, so that `check` can answer "up to date"
//! without compiling when nothing it depends on has changed.
//!
//! `render` writes one record per spec directory into the user's cache directory
//! (`LGTMC_CACHE_DIR`, else `$XDG_CACHE_HOME/lgtmc`, else `~/.cache/lgtmc`; never into `out/`,
//! which is committed): a digest of everything the compile reads — this binary (its version,
//! path, inode, size and change time), every spec file `load` reads, every file of `--templates`
//! — with the gitops out dir, the environments and a BLAKE3 digest of every file of the tree,
//! with the stamp `emit` took of the file it wrote or found holding those bytes. `check` computes
//! the same input digest; when a record has it, the compile would produce exactly that tree (the
//! compile is deterministic), so comparing `out/` with the record (the same comparison, lock and
//! path checks as a full check) answers the question: a file whose stamp is the recorded one is
//! not read (`emit::Stamp` says why that is safe), any other is read and hashed.
//! Anything else — no record, other inputs, a drift, an error, `--crds` — is answered by the full
//! compile, which also prints the diff; the record only ever shortens a clean check.
//!
//! A record is trusted only when the current user owns it and nobody else may write it. Every
//! failure here is silent: the record is an optimisation, never a source of errors.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read as _, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::emit::{Expected, RenderedTree, Stamp};
use crate::load;

/// Bumped whenever the record's meaning changes, so an old record is never read as a new one.
const FORMAT: u32 = 2;

/// Where a spec directory's record lives, and the digest of the inputs a compile would read now.
#[derive(Debug)]
pub struct Key {
    path: PathBuf,
    inputs: String,
}

/// What one render compiled: the inputs' digest and what the tree needs to be compared again.
#[derive(Debug, Deserialize, Serialize)]
pub struct Record {
    format: u32,
    inputs: String,
    /// `gitops out`, as the compile resolved it.
    pub out: String,
    /// The environments, in promotion order.
    pub environments: Vec<String>,
    /// Every file of the tree (the manifest included) → its digest and stamp.
    pub files: BTreeMap<String, Recorded>,
}

/// What the record knows of a rendered file: the BLAKE3 digest of its bytes, as hex, and the
/// stamp of the file the render wrote or found holding them (`emit::Stamp`), if it did.
#[derive(Debug, Deserialize, Serialize)]
pub struct Recorded {
    digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stamp: Option<Stamp>,
}

impl Recorded {
    fn of(bytes: &[u8], stamp: Option<Stamp>) -> Self {
        let digest = blake3::hash(bytes).to_hex().to_string();
        Recorded { digest, stamp }
    }
}

impl Expected for Recorded {
    fn matches(&self, on_disk: &[u8]) -> bool {
        blake3::hash(on_disk).to_hex().as_str() == self.digest
    }

    fn known_from(&self, meta: &fs::Metadata) -> bool {
        self.stamp == Some(Stamp::of(meta))
    }

    fn text(&self) -> &str {
        ""
    }
}

/// The key of the spec in `spec_dir` compiled with the templates of `templates_dir`; `None` when
/// there is no cache directory or an input cannot be read (the full compile says why).
pub fn key(spec_dir: &Path, templates_dir: Option<&Path>) -> Option<Key> {
    let dir = cache_dir()?;
    let spec_at = fs::canonicalize(spec_dir).ok()?;
    let slot = blake3::hash(spec_at.as_os_str().as_encoded_bytes()).to_hex();
    let path = dir.join(format!("check-{}.json", &slot[..32]));
    let inputs = inputs_digest(spec_dir, templates_dir)?;
    Some(Key { path, inputs })
}

/// The record of `key`'s spec directory, when it was written for exactly these inputs.
pub fn read(key: &Key) -> Option<Record> {
    let mut file = fs::File::open(&key.path).ok()?;
    let meta = file.metadata().ok()?;
    let owned_by_us = meta.uid() == rustix::process::geteuid().as_raw();
    if !meta.is_file() || !owned_by_us || meta.permissions().mode() & 0o022 != 0 {
        return None;
    }
    // Read whole, then parsed: serde_json reads strings from a slice without copying them
    // byte by byte through a reader.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).ok()?.saturating_add(1));
    file.read_to_end(&mut bytes).ok()?;
    let mut record: Record = serde_json::from_slice(&bytes).ok()?;
    // A stamp taken in the clock tick the record was written in could miss a write in the same
    // tick after it: that file is read and hashed.
    for recorded in record.files.values_mut() {
        recorded.stamp = recorded.stamp.filter(|stamp| stamp.settled_before(&meta));
    }
    (record.format == FORMAT && record.inputs == key.inputs).then_some(record)
}

/// Records that the inputs of `key` compile to `tree`, with the stamps of the files the render
/// wrote or found holding their bytes. Best effort: a cache directory that cannot be written only
/// means the next check compiles.
pub fn write(
    key: &Key,
    out: &str,
    environments: &[String],
    tree: &RenderedTree,
    stamps: &BTreeMap<String, Stamp>,
) {
    let record = Record {
        format: FORMAT,
        inputs: key.inputs.clone(),
        out: out.to_owned(),
        environments: environments.to_vec(),
        files: recorded(tree, stamps),
    };
    let Some(dir) = key.path.parent() else {
        return;
    };
    let written = (|| -> std::io::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".check-")
            .tempfile_in(dir)?;
        serde_json::to_writer(std::io::BufWriter::new(&mut temp), &record)?;
        temp.as_file_mut().flush()?;
        temp.persist(&key.path)?;
        Ok(())
    })();
    // Nothing to report: the record only ever saves a compile.
    drop(written);
}

/// Whether two keys name the same inputs (`render` compares the key taken before its compile
/// with one taken after, and records nothing when an input changed in between).
pub fn same_inputs(a: &Key, b: &Key) -> bool {
    a.path == b.path && a.inputs == b.inputs
}

fn recorded(tree: &RenderedTree, stamps: &BTreeMap<String, Stamp>) -> BTreeMap<String, Recorded> {
    let files: Vec<(&String, &crate::emit::Text)> = tree.iter().collect();
    let parts = crate::parallel::runs(&files, crate::parallel::FILES_PER_THREAD, &|run| {
        run.iter()
            .map(|(path, text)| {
                let stamp = stamps.get(*path).copied();
                ((*path).clone(), Recorded::of(text.as_bytes(), stamp))
            })
            .collect::<Vec<_>>()
    });
    parts.into_iter().flatten().collect()
}

fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LGTMC_CACHE_DIR") {
        // Set but empty: no record is read or written.
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    absolute("XDG_CACHE_HOME")
        .map(|dir| dir.join("lgtmc"))
        .or_else(|| absolute("HOME").map(|home| home.join(".cache").join("lgtmc")))
}

/// The digest of everything a compile of `spec_dir` reads: this binary, the spec files, the
/// template overrides. Each part is framed by its length, so no two input sets share a digest.
fn inputs_digest(spec_dir: &Path, templates_dir: Option<&Path>) -> Option<String> {
    let mut hasher = blake3::Hasher::new();
    let mut part = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(env!("CARGO_PKG_VERSION").as_bytes());
    let exe = std::env::current_exe().ok()?;
    let meta = fs::metadata(&exe).ok()?;
    part(exe.as_os_str().as_encoded_bytes());
    for number in Stamp::of(&meta).numbers() {
        part(&number.to_le_bytes());
    }
    for (name, path) in load::input_files(spec_dir).ok()? {
        part(name.as_bytes());
        part(&fs::read(path).ok()?);
    }
    if let Some(dir) = templates_dir {
        part(b"--templates");
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.ok()?;
            part(entry.path().as_os_str().as_encoded_bytes());
            if entry.path_is_symlink() {
                part(
                    fs::read_link(entry.path())
                        .ok()?
                        .as_os_str()
                        .as_encoded_bytes(),
                );
            } else if !entry.file_type().is_dir() {
                part(&fs::read(entry.path()).ok()?);
            }
        }
    }
    Some(hasher.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &Path) {
        fs::create_dir_all(dir.join("environments")).unwrap();
        fs::create_dir_all(dir.join("versions")).unwrap();
        fs::write(dir.join("platform.kdl"), "platform\n").unwrap();
        fs::write(dir.join("environments/dev.kdl"), "dev\n").unwrap();
        fs::write(dir.join("versions/dev.yaml"), "mimir: 1\n").unwrap();
    }

    #[test]
    fn every_input_file_and_template_changes_the_digest() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("spec");
        let templates = temp.path().join("templates");
        spec(&dir);
        fs::create_dir_all(&templates).unwrap();
        fs::write(templates.join("a.yaml.j2"), "a").unwrap();
        let digest = || inputs_digest(&dir, Some(&templates)).unwrap();
        let mut seen = vec![digest(), inputs_digest(&dir, None).unwrap()];
        let changed = |seen: &mut Vec<String>| {
            let now = digest();
            assert!(!seen.contains(&now), "a change left the digest as it was");
            seen.push(now);
        };
        fs::write(dir.join("platform.kdl"), "platform \n").unwrap();
        changed(&mut seen);
        fs::write(dir.join("environments/dev.kdl"), "dev \n").unwrap();
        changed(&mut seen);
        fs::write(dir.join("environments/prod.kdl"), "").unwrap();
        changed(&mut seen);
        fs::write(dir.join("versions/dev.yaml"), "mimir: 2\n").unwrap();
        changed(&mut seen);
        fs::write(templates.join("a.yaml.j2"), "b").unwrap();
        changed(&mut seen);
        fs::write(templates.join("b.yaml.j2"), "").unwrap();
        changed(&mut seen);
        // A file the compile does not read leaves it as it was.
        fs::write(dir.join("environments/notes.txt"), "").unwrap();
        assert_eq!(&digest(), seen.last().unwrap());
    }

    #[test]
    fn a_record_is_read_back_only_for_its_own_inputs_and_only_when_only_we_can_write_it() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("spec");
        spec(&dir);
        let key_path = temp.path().join("cache/check-x.json");
        let key = Key {
            path: key_path.clone(),
            inputs: inputs_digest(&dir, None).unwrap(),
        };
        let tree: RenderedTree = [("dev/a.yaml".to_owned(), "a: 1\n".into())].into();
        write(&key, "out", &["dev".to_owned()], &tree, &BTreeMap::new());
        let record = read(&key).expect("the record just written");
        assert_eq!(record.out, "out");
        assert_eq!(record.environments, ["dev"]);
        assert!(record.files["dev/a.yaml"].matches(b"a: 1\n"));
        assert!(!record.files["dev/a.yaml"].matches(b"a: 2\n"));

        let other = Key {
            path: key_path.clone(),
            inputs: "another spec".to_owned(),
        };
        assert!(read(&other).is_none(), "a record of other inputs");

        fs::set_permissions(&key_path, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(read(&key).is_none(), "a record others may write");
        fs::set_permissions(&key_path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(read(&key).is_some());

        fs::write(&key_path, "{ not a record").unwrap();
        assert!(read(&key).is_none(), "a corrupt record");
    }

    /// A stamp is trusted only when the file last changed before the record was written: a
    /// write in the same tick of the clock after the stamp was taken would not change it.
    #[test]
    fn a_stamp_is_trusted_only_when_the_file_changed_before_the_record() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("spec");
        spec(&dir);
        let file = temp.path().join("a.yaml");
        fs::write(&file, "a: 1\n").unwrap();
        let meta = fs::symlink_metadata(&file).unwrap();
        let key = Key {
            path: temp.path().join("cache/check-x.json"),
            inputs: inputs_digest(&dir, None).unwrap(),
        };
        let tree: RenderedTree = [("dev/a.yaml".to_owned(), "a: 1\n".into())].into();
        let stamps = [("dev/a.yaml".to_owned(), Stamp::of(&meta))].into();
        std::thread::sleep(std::time::Duration::from_millis(50));
        write(&key, "out", &["dev".to_owned()], &tree, &stamps);
        let record = read(&key).unwrap();
        assert!(record.files["dev/a.yaml"].known_from(&meta));
        // Another file, or the same one changed, is not known from the stamp.
        fs::write(&file, "a: 2\n").unwrap();
        let changed = fs::symlink_metadata(&file).unwrap();
        assert!(!record.files["dev/a.yaml"].known_from(&changed));
        let other = fs::symlink_metadata(dir.join("platform.kdl")).unwrap();
        assert!(!record.files["dev/a.yaml"].known_from(&other));

        // The record written in the file's tick (here: dated before it): the file is hashed.
        let record_file = fs::File::options().write(true).open(&key.path).unwrap();
        record_file.set_modified(std::time::UNIX_EPOCH).unwrap();
        let record = read(&key).unwrap();
        assert!(!record.files["dev/a.yaml"].known_from(&meta));
        assert!(record.files["dev/a.yaml"].matches(b"a: 1\n"));
    }
}
