//! The deterministic zip writer: entries compressed in parallel, written in order.
//!
//! The bytes are a pure function of the entries' names, contents and modes: every entry
//! has the same timestamp (1980-01-01, zip's epoch), Unix permissions of 0755 or 0644,
//! `System::Unix`, and no extra fields, and entries are written in the sorted order
//! `walk.rs` gives. Workers compress entries (reading each file as a stream) into
//! single-entry archives in memory; the writer copies their compressed bytes into the
//! final zip in order. At most `WINDOW` compressed entries wait at a time, which bounds
//! memory whatever the tree's size.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Cursor, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

use super::PackageError;
use super::walk::Entry;

/// Compressed entries that may wait for the writer at once.
const WINDOW: usize = 32;
/// Compressed bytes that may wait for the writer at once (the entry the writer needs next
/// is always compressed, so one large file can exceed this by its own size).
const WINDOW_BYTES: usize = 32 * 1024 * 1024;
/// Deflate level: zlib's (and Info-ZIP's) default, a good size for the time.
const LEVEL: i64 = 6;
/// Bytes sampled to decide whether deflating a file is worth it.
const SAMPLE: usize = 64 * 1024;

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub zipped: u64,
    pub unzipped: u64,
    pub sha256: [u8; 32],
}

/// Writes `entries` to `out` as a deterministic zip, using `threads` compressing workers.
pub fn write(entries: &[Entry], out: &Path, threads: usize) -> Result<Written, PackageError> {
    // Written beside the zip under a name of this process's own, then renamed into place:
    // two runs packaging one tree at once never write into each other's file.
    let partial = out.with_extension(format!("zip.{}.partial", std::process::id()));
    let file = File::create(&partial).map_err(|e| PackageError::io(&partial, e))?;
    let mut zip = ZipWriter::new(BufWriter::with_capacity(256 * 1024, file));

    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let state = Mutex::new(Pending {
        written: 0,
        ready: BTreeMap::new(),
        bytes: 0,
        error: None,
    });
    let changed = Condvar::new();

    let result = std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= entries.len() {
                        break;
                    }
                    // Wait for the writer to come within the window of this entry. Every
                    // index taken gets an answer, even after a failure, so that the writer
                    // never waits for an entry no one will compress.
                    let go_on = {
                        let mut pending = state.lock().expect("no worker panics holding the lock");
                        while !pending.may_start(index) && !failed.load(Ordering::SeqCst) {
                            pending = changed
                                .wait(pending)
                                .expect("no worker panics holding the lock");
                        }
                        !failed.load(Ordering::SeqCst)
                    };
                    let answer = if go_on {
                        match compress(&entries[index]) {
                            Ok(bytes) => Some(bytes),
                            Err(e) => {
                                failed.store(true, Ordering::SeqCst);
                                state
                                    .lock()
                                    .expect("no worker panics holding the lock")
                                    .error
                                    .get_or_insert(e);
                                None
                            }
                        }
                    } else {
                        None
                    };
                    let mut pending = state.lock().expect("no worker panics holding the lock");
                    pending.bytes += answer.as_ref().map_or(0, Vec::len);
                    pending.ready.insert(index, answer);
                    drop(pending);
                    changed.notify_all();
                }
            });
        }
        let mut unzipped = 0;
        let fail = |e: PackageError| {
            failed.store(true, Ordering::SeqCst);
            changed.notify_all();
            let first = state
                .lock()
                .expect("no worker panics holding the lock")
                .error
                .take();
            Err(first.unwrap_or(e))
        };
        for (index, entry) in entries.iter().enumerate() {
            let compressed = {
                let mut pending = state.lock().expect("no worker panics holding the lock");
                loop {
                    if let Some(c) = pending.ready.remove(&index) {
                        pending.bytes -= c.as_ref().map_or(0, Vec::len);
                        break c;
                    }
                    pending = changed
                        .wait(pending)
                        .expect("no worker panics holding the lock");
                }
            };
            let Some(bytes) = compressed else {
                return fail(PackageError::io(
                    &entry.path,
                    std::io::Error::other("cancelled"),
                ));
            };
            let step = ZipArchive::new(Cursor::new(bytes))
                .and_then(|mut single| zip.raw_copy_file(single.by_index_raw(0)?))
                .map_err(|e| PackageError::zip(&entry.path, e));
            if let Err(e) = step {
                return fail(e);
            }
            unzipped += entry.size;
            state
                .lock()
                .expect("no worker panics holding the lock")
                .written = index + 1;
            changed.notify_all();
        }
        Ok(unzipped)
    });
    let unzipped = match result {
        Ok(u) => u,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let mut buffered = zip.finish().map_err(|e| PackageError::zip(&partial, e))?;
    buffered
        .flush()
        .map_err(|e| PackageError::io(&partial, e))?;
    drop(buffered);
    let (zipped, sha256) = hash_file(&partial)?;
    std::fs::rename(&partial, out).map_err(|e| PackageError::io(out, e))?;
    Ok(Written {
        zipped,
        unzipped,
        sha256,
    })
}

struct Pending {
    /// Entries the writer has copied into the zip.
    written: usize,
    /// Compressed entries waiting for the writer; `None` when a failure cancelled one.
    ready: BTreeMap<usize, Option<Vec<u8>>>,
    /// The size of what waits in `ready`.
    bytes: usize,
    /// The first failure, which is what the caller hears about.
    error: Option<PackageError>,
}

impl Pending {
    /// The next entry the writer needs always starts; others only within the window.
    fn may_start(&self, index: usize) -> bool {
        index == self.written || (index < self.written + WINDOW && self.bytes < WINDOW_BYTES)
    }
}

fn options(entry: &Entry, method: CompressionMethod) -> SimpleFileOptions {
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(DateTime::default())
        .unix_permissions(entry.mode())
        .system(System::Unix)
        .large_file(false);
    match method {
        CompressionMethod::Deflated => options.compression_level(Some(LEVEL)),
        _ => options,
    }
}

/// One entry as a single-entry zip in memory.
fn compress(entry: &Entry) -> Result<Vec<u8>, PackageError> {
    let mut single = ZipWriter::new(Cursor::new(Vec::with_capacity(
        entry.size as usize / 2 + 256,
    )));
    let mut file = File::open(&entry.path).map_err(|e| PackageError::io(&entry.path, e))?;
    let mut sample = Vec::with_capacity(SAMPLE);
    (&mut file)
        .take(SAMPLE as u64)
        .read_to_end(&mut sample)
        .map_err(|e| PackageError::io(&entry.path, e))?;
    let method = if worth_deflating(&sample) {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    single
        .start_file(entry.name(), options(entry, method))
        .map_err(|e| PackageError::zip(&entry.path, e))?;
    single
        .write_all(&sample)
        .map_err(|e| PackageError::io(&entry.path, e))?;
    std::io::copy(&mut file, &mut single).map_err(|e| PackageError::io(&entry.path, e))?;
    Ok(single
        .finish()
        .map_err(|e| PackageError::zip(&entry.path, e))?
        .into_inner())
}

/// Already-compressed data (images, archives, binaries' compressed sections) gains nothing
/// from deflate and costs the most time; a fast trial on the first 64 KiB tells. A pure
/// function of the content, so the zip stays deterministic.
fn worth_deflating(sample: &[u8]) -> bool {
    if sample.len() < 64 {
        return !sample.is_empty();
    }
    let mut trial = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(sample.len()),
        flate2::Compression::fast(),
    );
    if trial.write_all(sample).is_err() {
        return true;
    }
    trial
        .finish()
        .map(|out| out.len() * 100 < sample.len() * 95)
        .unwrap_or(true)
}

/// The size and SHA-256 of a file, read as a stream.
pub fn hash_file(path: &Path) -> Result<(u64, [u8; 32]), PackageError> {
    let mut file = File::open(path).map_err(|e| PackageError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 * 1024];
    let mut total = 0;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| PackageError::io(path, e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((total, hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path, count: usize) -> Vec<Entry> {
        (0..count)
            .map(|i| {
                let path = dir.join(format!("f{i:03}"));
                std::fs::write(&path, format!("line {i}\n").repeat(i + 1)).unwrap();
                let size = std::fs::metadata(&path).unwrap().len();
                Entry::new(format!("f{i:03}"), path, false, size).unwrap()
            })
            .collect()
    }

    #[test]
    fn a_failing_entry_stops_the_zip_without_a_hang_or_a_partial_file() {
        let dir = std::env::temp_dir().join(format!("slsr-zipper-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut list = entries(&dir, 150);
        // The file vanishes between the walk and the compression.
        std::fs::remove_file(&list[97].path).unwrap();
        let out = dir.join("out.zip");
        for threads in [1, 4] {
            let err = write(&list, &out, threads).unwrap_err();
            assert!(err.to_string().contains("f097"), "{err}");
            assert!(
                !out.exists()
                    && !out
                        .with_extension(format!("zip.{}.partial", std::process::id()))
                        .exists()
            );
        }
        list.remove(97);
        let written = write(&list, &out, 4).unwrap();
        assert_eq!(written.zipped, std::fs::metadata(&out).unwrap().len());
        assert_eq!(written.unzipped, list.iter().map(|e| e.size).sum::<u64>());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn incompressible_data_is_stored_and_text_deflated() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<u8> = (0..70_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        assert!(!worth_deflating(&noise));
        assert!(worth_deflating(
            "def handler(event, context):\n    return event\n"
                .repeat(500)
                .as_bytes()
        ));
        assert!(!worth_deflating(b""));
    }
}
