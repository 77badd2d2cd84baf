//! The single I/O point: every file edgeperf reads, lists, hashes or writes goes
//! through here, so every error carries the path, and every write that matters is
//! atomic (a uniquely named temporary file in the same directory, fsync, rename).
//!
//! This module depends on nothing else in the crate (its error type is its own), so
//! every layer can use it without an import cycle; `crate::Error` converts from
//! [`FsError`] and keeps the path.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What a failed file-system operation was doing: the verb of its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Reading a file (or hashing it).
    Read,
    /// Writing, replacing or appending to a file.
    Write,
    /// Listing a directory.
    List,
    /// Creating a directory and its parents.
    CreateDir,
    /// Creating a temporary file or directory inside the path.
    CreateIn,
    /// Removing a file or a directory tree.
    Remove,
    /// Copying a file (the path is the source).
    Copy,
    /// Renaming a file or directory (the path is the destination).
    RenameTo,
    /// Taking a lock on a file.
    Lock,
    /// Setting a file's modification time.
    Touch,
    /// Resolving a path to its absolute, symlink-free form.
    Resolve,
    /// Asking the file system holding the path for its free space.
    Stat,
}

impl Op {
    /// The words between "cannot" and the path: "cannot read a.json: ...".
    pub fn verb(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
            Op::List => "list",
            Op::CreateDir => "create the folder",
            Op::CreateIn => "create a file in",
            Op::Remove => "remove",
            Op::Copy => "copy",
            Op::RenameTo => "rename a file to",
            Op::Lock => "lock",
            Op::Touch => "update the time of",
            Op::Resolve => "resolve",
            Op::Stat => "read the free space of",
        }
    }
}

/// A file-system operation that failed: what it did, the path it was about and
/// the system's reason, printed as "cannot read a.json: No such file or
/// directory (os error 2)".
#[derive(Debug, thiserror::Error)]
#[error("cannot {} {}: {source}", op.verb(), path.display())]
pub struct FsError {
    pub op: Op,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl FsError {
    pub fn new(op: Op, path: impl Into<PathBuf>, source: std::io::Error) -> FsError {
        FsError {
            op,
            path: path.into(),
            source,
        }
    }
    /// Whether the file (or a directory on its path) does not exist.
    pub fn is_not_found(&self) -> bool {
        self.source.kind() == std::io::ErrorKind::NotFound
    }
}

pub type FsResult<T> = std::result::Result<T, FsError>;

fn err(op: Op, path: &Path) -> impl FnOnce(std::io::Error) -> FsError + '_ {
    move |e| FsError::new(op, path, e)
}

/// The directory holding `path`: "." for a bare file name (`Path::parent` gives ""
/// there, which neither git2 nor `join` treat as the current directory).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Reads a whole file as bytes.
pub fn read(path: &Path) -> FsResult<Vec<u8>> {
    std::fs::read(path).map_err(err(Op::Read, path))
}

/// Reads a whole file as bytes; `Ok(None)` when it does not exist.
pub fn read_if_exists(path: &Path) -> FsResult<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError::new(Op::Read, path, e)),
    }
}

/// Reads at most the first `n` bytes of a file.
pub fn read_prefix(path: &Path, n: usize) -> FsResult<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(err(Op::Read, path))?;
    let mut buf = Vec::with_capacity(n.min(1 << 16));
    f.take(n as u64)
        .read_to_end(&mut buf)
        .map_err(err(Op::Read, path))?;
    Ok(buf)
}

/// Reads a whole file as UTF-8 text.
pub fn read_to_string(path: &Path) -> FsResult<String> {
    std::fs::read_to_string(path).map_err(err(Op::Read, path))
}

/// Whether `path` exists (following symbolic links).
pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// Whether `path` is a directory (following symbolic links).
pub fn is_dir(path: &Path) -> bool {
    path.is_dir()
}

/// The size of a file in bytes (following symbolic links).
pub fn file_size(path: &Path) -> FsResult<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(err(Op::Read, path))
}

/// The absolute, symlink-free form of `path`.
pub fn canonicalize(path: &Path) -> FsResult<PathBuf> {
    std::fs::canonicalize(path).map_err(err(Op::Resolve, path))
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's file name (lossy UTF-8).
    pub name: String,
    pub path: PathBuf,
    /// A directory, or a symbolic link to one.
    pub is_dir: bool,
}

/// The entries of a directory, sorted by name.
pub fn list_dir(dir: &Path) -> FsResult<Vec<DirEntry>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(err(Op::List, dir))? {
        let e = e.map_err(err(Op::List, dir))?;
        let path = e.path();
        out.push(DirEntry {
            name: e.file_name().to_string_lossy().into_owned(),
            is_dir: path.is_dir(),
            path,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The first `n` bytes of a file (fewer when it is shorter).
pub fn read_head(path: &Path, n: usize) -> FsResult<Vec<u8>> {
    let f = std::fs::File::open(path).map_err(err(Op::Read, path))?;
    let mut out = Vec::with_capacity(n);
    f.take(n as u64)
        .read_to_end(&mut out)
        .map_err(err(Op::Read, path))?;
    Ok(out)
}

/// A new private temporary directory (removed when the handle drops), named
/// `<prefix>XXXXXX` in the system's temp folder.
pub fn temp_dir(prefix: &str) -> FsResult<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(err(Op::CreateIn, &std::env::temp_dir()))
}

/// A new private temporary directory named `<prefix>XXXXXX` inside `parent`
/// (removed when the handle drops).
pub fn temp_dir_in(parent: &Path, prefix: &str) -> FsResult<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(parent)
        .map_err(err(Op::CreateIn, parent))
}

/// Makes `link` a symbolic link to `target`.
pub fn symlink(target: &Path, link: &Path) -> FsResult<()> {
    std::os::unix::fs::symlink(target, link).map_err(err(Op::Write, link))
}

/// Creates (or truncates) `path` for writing, e.g. a child process's log.
pub fn create_file(path: &Path) -> FsResult<std::fs::File> {
    std::fs::File::create(path).map_err(err(Op::Write, path))
}

/// A second handle on an open file (a child's stdout and stderr in one log).
pub fn clone_file(file: &std::fs::File, path: &Path) -> FsResult<std::fs::File> {
    file.try_clone().map_err(err(Op::Write, path))
}

/// Writes `bytes` to `path` (not atomically: for scratch files only).
pub fn write(path: &Path, bytes: &[u8]) -> FsResult<()> {
    std::fs::write(path, bytes).map_err(err(Op::Write, path))
}

/// Creates a directory and its parents.
pub fn create_dir_all(dir: &Path) -> FsResult<()> {
    std::fs::create_dir_all(dir).map_err(err(Op::CreateDir, dir))
}

/// Writes `bytes` to `path` atomically: a crash or `kill -9` at any point leaves
/// either the old file or the new one, never a mix or a truncated file. The
/// temporary file is created exclusively under a unique name in the same
/// directory (so concurrent writers never share one), synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> FsResult<()> {
    write_atomic_with(path, bytes, None)
}

/// [`write_atomic`] for files that others serve or read (the dashboard): the file
/// is readable by everyone (mode 0644 on Unix) instead of the owner-only mode
/// of a fresh temporary file, so a web server or an upload step can read it.
pub fn write_atomic_readable(path: &Path, bytes: &[u8]) -> FsResult<()> {
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o644))
    };
    #[cfg(not(unix))]
    let mode = None;
    write_atomic_with(path, bytes, mode)
}

fn write_atomic_with(
    path: &Path,
    bytes: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> FsResult<()> {
    let dir = parent_dir(path).to_path_buf();
    create_dir_all(&dir)?;
    let prefix = format!(
        ".{}.",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into())
    );
    // 0o666 less the umask, as `File::create` gives, unless the caller asks for
    // more: tempfile's own default (0o600) would leave run records and baselines
    // readable by their owner only.
    let mode = permissions.unwrap_or_else(|| {
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o666)
    });
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .permissions(mode)
        .tempfile_in(&dir)
        .map_err(err(Op::CreateIn, &dir))?;
    tmp.write_all(bytes).map_err(err(Op::Write, path))?;
    tmp.as_file().sync_all().map_err(err(Op::Write, path))?;
    tmp.persist(path)
        .map_err(|e| FsError::new(Op::Write, path, e.error))?;
    // Persist the rename itself.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Appends bytes to `path`, creating it if needed, and syncs them.
pub fn append(path: &Path, bytes: &[u8]) -> FsResult<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err(Op::Write, path))?;
    f.write_all(bytes).map_err(err(Op::Write, path))?;
    f.sync_all().map_err(err(Op::Write, path))
}

/// Copies a file (used to fill the artifact store).
pub fn copy(from: &Path, to: &Path) -> FsResult<u64> {
    std::fs::copy(from, to).map_err(err(Op::Copy, from))
}

/// Renames a file or directory (atomic within one file system).
pub fn rename(from: &Path, to: &Path) -> FsResult<()> {
    std::fs::rename(from, to).map_err(err(Op::RenameTo, to))
}

/// Removes a directory and everything in it; one that is already gone is fine.
pub fn remove_dir_all(dir: &Path) -> FsResult<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FsError::new(Op::Remove, dir, e)),
    }
}

/// Removes a file or a directory tree; one that is already gone is fine.
pub fn remove_all(path: &Path) -> FsResult<()> {
    if path.is_dir() {
        remove_dir_all(path)
    } else {
        remove_file(path)
    }
}

/// Sets a file's modification time to now (a "last used" mark).
pub fn set_mtime_now(path: &Path) -> FsResult<()> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(err(Op::Touch, path))?;
    f.set_modified(std::time::SystemTime::now())
        .map_err(err(Op::Touch, path))
}

/// Bytes in a file or a directory's files (not recursive), and the newest
/// modification time among them; (0, UNIX_EPOCH) for what cannot be read.
pub fn tree_size_and_mtime(path: &Path) -> (u64, std::time::SystemTime) {
    let of = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| (m.len(), m.modified().unwrap_or(std::time::UNIX_EPOCH)))
            .unwrap_or((0, std::time::UNIX_EPOCH))
    };
    if !path.is_dir() {
        return of(path);
    }
    let mut total = (0, std::time::UNIX_EPOCH);
    for e in list_dir(path).unwrap_or_default() {
        let (n, t) = of(&e.path);
        total = (total.0 + n, total.1.max(t));
    }
    total
}

/// Bytes free to an unprivileged user and total bytes of the file system
/// holding `path` (statvfs).
pub fn free_space(path: &Path) -> FsResult<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        FsError::new(
            Op::Stat,
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "path holds a NUL byte"),
        )
    })?;
    // SAFETY: a zeroed statvfs is a valid out-parameter; `c` is NUL-terminated.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path that outlives the call, and `st` is
    // a valid, writable statvfs that statvfs fills in.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(FsError::new(
            Op::Stat,
            path,
            std::io::Error::last_os_error(),
        ));
    }
    let frag = st.f_frsize as u64;
    Ok((st.f_bavail as u64 * frag, st.f_blocks as u64 * frag))
}

/// Removes a file; a file that is already gone is not an error.
pub fn remove_file(path: &Path) -> FsResult<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FsError::new(Op::Remove, path, e)),
    }
}

/// An exclusive advisory lock on a file, released when dropped.
#[derive(Debug)]
pub struct FileLock {
    file: std::fs::File,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Takes an exclusive advisory lock (`flock`) on `path`, creating the file if
/// needed, and waits until it is free. Cooperating edgeperf processes serialise
/// their writes with it; the lock dies with the process, so a killed writer never
/// leaves it held.
pub fn lock_exclusive(path: &Path) -> FsResult<FileLock> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(err(Op::Lock, path))?;
    file.lock().map_err(err(Op::Lock, path))?;
    Ok(FileLock { file })
}

/// SHA-256 of a file, as lowercase hex.
pub fn sha256_file(path: &Path) -> FsResult<String> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path).map_err(err(Op::Read, path))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(err(Op::Read, path))?;
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
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(read(&p).unwrap(), b"two");
        let names = list_dir(dir.path()).unwrap();
        assert_eq!(names.len(), 1, "temporary file left behind: {names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn readable_atomic_write_is_readable_by_everyone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("index.html");
        write_atomic_readable(&p, b"<p>").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        // The process umask may take bits away, never add them.
        assert_eq!(mode & 0o444, 0o444, "{mode:o}");
        assert_eq!(read(&p).unwrap(), b"<p>");
    }

    #[test]
    fn atomic_write_gives_the_mode_a_plain_create_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"1").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), mode(&plain));
    }

    #[test]
    fn atomic_write_into_a_missing_directory_creates_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x/y/a.json");
        write_atomic(&p, b"1").unwrap();
        assert_eq!(read_to_string(&p).unwrap(), "1");
    }

    #[test]
    fn errors_name_the_verb_and_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope.json");
        let e = read(&p).unwrap_err();
        assert!(e.is_not_found());
        assert_eq!(
            e.to_string(),
            format!(
                "cannot read {}: No such file or directory (os error 2)",
                p.display()
            )
        );
        assert_eq!(read_if_exists(&p).unwrap(), None);
        let e = list_dir(&p).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("cannot list {}: ", p.display())),
            "{e}"
        );
        // A file where a folder should be: the write names the file it wanted.
        let file = dir.path().join("f");
        write(&file, b"x").unwrap();
        let e = write_atomic(&file.join("a.json"), b"1").unwrap_err();
        assert_eq!(e.op, Op::CreateDir);
        assert!(
            e.to_string()
                .starts_with(&format!("cannot create the folder {}: ", file.display())),
            "{e}"
        );
    }

    #[test]
    fn append_creates_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.md");
        append(&p, b"a\n").unwrap();
        append(&p, b"b\n").unwrap();
        assert_eq!(read_to_string(&p).unwrap(), "a\nb\n");
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
