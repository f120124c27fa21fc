//! Writing a file the user asked for without ever leaving a partial one or overwriting an
//! input: the data goes to a temporary name in the same directory, is synced, and is
//! renamed over the destination only when complete.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Why an output file was not written.
#[derive(Debug, thiserror::Error)]
pub enum OutputFileError {
    #[error("refusing to write {}: it is the input file {}", .output.display(), .input.display())]
    SameAsInput { output: PathBuf, input: PathBuf },
    #[error("Failed to create {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Whether `a` and `b` name the same existing file (also through links or other paths).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Fails if `output` is one of `inputs`.
pub fn check_not_an_input(output: &Path, inputs: &[&Path]) -> Result<(), OutputFileError> {
    match inputs.iter().find(|input| same_file(output, input)) {
        Some(input) => Err(OutputFileError::SameAsInput {
            output: output.to_path_buf(),
            input: input.to_path_buf(),
        }),
        None => Ok(()),
    }
}

/// Writes `data` to `path` atomically (temporary file + rename); refuses to replace any
/// of `inputs`. On failure `path` is untouched and no temporary file is left.
pub fn write_output_file(
    path: &Path,
    data: &[u8],
    inputs: &[&Path],
) -> Result<(), OutputFileError> {
    check_not_an_input(path, inputs)?;
    let io = |source| OutputFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::from(std::io::ErrorKind::InvalidInput)))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = dir.join(temp_name);
    let written = (|| {
        let mut f = File::create(&temp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        std::fs::write(&out, b"old").unwrap();
        write_output_file(&out, b"new contents", &[]).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"new contents");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_an_input_by_any_path() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.bit");
        std::fs::write(&input, b"bitstream").unwrap();
        let other_path = dir.path().join(".").join("in.bit");
        let link = dir.path().join("link.bit");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        for output in [&input, &other_path, &link] {
            let e = write_output_file(output, b"x", &[&input]).unwrap_err();
            assert!(matches!(e, OutputFileError::SameAsInput { .. }), "{e}");
        }
        assert_eq!(std::fs::read(&input).unwrap(), b"bitstream");
    }

    #[test]
    fn failure_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("missing_dir").join("out.bin");
        let e = write_output_file(&out, b"x", &[]).unwrap_err();
        assert_eq!(e.to_string(), format!("Failed to create {}", out.display()));
        let cause = std::error::Error::source(&e).unwrap().to_string();
        assert!(cause.contains("No such file or directory"), "{cause}");
        assert!(!out.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
