//! The single I/O point: every JSON/TOML file edgeperf reads or writes goes through
//! here, so every error carries the path, and every write that matters is atomic
//! (write a temporary file in the same directory, fsync, rename over the target).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// The directory holding `path`: "." for a bare file name (`Path::parent` gives ""
/// there, which neither git2 nor `join` treat as the current directory).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Reads a whole file as bytes; the error names the file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Reads a whole file as UTF-8 text; the error names the file.
pub fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Parses a JSON document. Truncated or non-JSON input becomes a one-line error
/// naming the file, the line and the column.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = read(path)?;
    parse_json(path, &bytes)
}

/// Parses JSON bytes that came from `path` (used for git blobs too).
pub fn parse_json<T: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::json(
            path,
            "file is empty (expected a JSON document)",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let what = if e.is_eof() {
            "truncated JSON"
        } else if e.is_syntax() {
            "not valid JSON"
        } else {
            "unexpected JSON content"
        };
        Error::json(path, format!("{what}: {e}"))
    })
}

/// Serialises `value` as pretty JSON and writes it atomically.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::json(path, format!("cannot serialise: {e}")))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` atomically: a crash or `kill -9` at any point leaves
/// either the old file or the new one, never a mix or a truncated file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Persist the rename itself.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Appends one line (a JSON Lines record) to `path`, creating it if needed, and
/// syncs it. An interrupted append leaves at most one partial last line, which
/// readers of JSON Lines files skip with a warning.
pub fn append_line(path: &Path, line: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let mut buf = line.trim_end_matches('\n').to_string();
    buf.push('\n');
    f.write_all(buf.as_bytes())
        .map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

/// SHA-256 of a file, as lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| Error::io(path, e))?;
    Ok(hex(&h.finalize()))
}

/// SHA-256 of bytes, as lowercase hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_json_atomic(&p, &serde_json::json!({"x": 1})).unwrap();
        write_json_atomic(&p, &serde_json::json!({"x": 2})).unwrap();
        let v: serde_json::Value = read_json(&p).unwrap();
        assert_eq!(v["x"], 2);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }

    #[test]
    fn truncated_json_names_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.json");
        std::fs::write(&p, b"{\"a\": [1, 2").unwrap();
        let e = read_json::<serde_json::Value>(&p).unwrap_err().to_string();
        assert!(e.contains("t.json") && e.contains("truncated"), "{e}");
        std::fs::write(&p, b"").unwrap();
        let e = read_json::<serde_json::Value>(&p).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn parent_dir_of_a_bare_name_is_the_current_directory() {
        assert_eq!(parent_dir(Path::new("edgeperf.toml")), Path::new("."));
        assert_eq!(parent_dir(Path::new("a/b.toml")), Path::new("a"));
        assert_eq!(parent_dir(Path::new("/b.toml")), Path::new("/"));
    }

    #[test]
    fn sha256_known_value() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

/// Appends `bytes` to `path` as they are, creating the file (not its directory)
/// if needed; the error names the file. Unlike [`append_line`] it adds no newline
/// and does not sync: for text another process reads once the run is over, such
/// as GitHub's job summary (`$GITHUB_STEP_SUMMARY`).
pub fn append_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod append_bytes_tests {
    use super::*;

    #[test]
    fn append_bytes_creates_then_appends_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.md");
        append_bytes(&p, b"# one").unwrap();
        append_bytes(&p, b"\n# two\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"# one\n# two\n");

        // The directory is not created; the error names the file.
        let missing = dir.path().join("no-such-dir").join("s.md");
        let e = append_bytes(&missing, b"x").unwrap_err().to_string();
        assert!(e.contains("no-such-dir") && e.contains("s.md"), "{e}");
        assert!(!missing.parent().unwrap().exists());
    }
}
