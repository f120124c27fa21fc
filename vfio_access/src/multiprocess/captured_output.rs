//! A secondary's stdout and stderr captured for a report (`test_primary --junit`) while
//! still passed on, byte for byte, to the primary's own stdout and stderr: the text a user
//! sees is what it would be without capture.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// At most this much of each stream is kept for the report (a soak test may print for
/// hours); everything is still passed on.
pub const CAPTURE_LIMIT_BYTES: usize = 4 << 20;

/// What a secondary wrote, as far as it was kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecondaryOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Bytes passed on but not kept, past [`CAPTURE_LIMIT_BYTES`].
    pub dropped_bytes: u64,
}

/// Where captured bytes are passed on to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassTo {
    Stdout,
    Stderr,
    /// Tests: kept only.
    #[cfg(test)]
    Nowhere,
}

#[derive(Default)]
struct Kept {
    bytes: Vec<u8>,
    dropped: u64,
}

/// One stream being captured by its own thread until end of file.
pub struct StreamCapture {
    kept: Arc<Mutex<Kept>>,
    ended: mpsc::Receiver<()>,
}

impl StreamCapture {
    /// Starts copying `reader` to `pass_to`, keeping a copy.
    pub fn start(reader: impl Read + Send + 'static, pass_to: PassTo) -> std::io::Result<Self> {
        Self::start_with_limit(reader, pass_to, CAPTURE_LIMIT_BYTES)
    }

    fn start_with_limit(
        mut reader: impl Read + Send + 'static,
        pass_to: PassTo,
        limit: usize,
    ) -> std::io::Result<Self> {
        let kept = Arc::new(Mutex::new(Kept::default()));
        let (tx, ended) = mpsc::channel();
        let shared = Arc::clone(&kept);
        std::thread::Builder::new()
            .name("secondary output".into())
            .spawn(move || {
                let mut chunk = [0u8; 8192];
                loop {
                    let n = match reader.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    };
                    let data = &chunk[..n];
                    // A closed primary stdout must not stop the capture: ignored as a
                    // println! to a closed pipe would be (without the panic).
                    let _ = match pass_to {
                        PassTo::Stdout => {
                            let mut out = std::io::stdout().lock();
                            out.write_all(data).and_then(|()| out.flush())
                        }
                        PassTo::Stderr => std::io::stderr().lock().write_all(data),
                        #[cfg(test)]
                        PassTo::Nowhere => Ok(()),
                    };
                    if let Ok(mut k) = shared.lock() {
                        let room = limit.saturating_sub(k.bytes.len());
                        let take = room.min(n);
                        k.bytes.extend_from_slice(&data[..take]);
                        k.dropped += (n - take) as u64;
                    }
                }
                let _ = tx.send(());
            })?;
        Ok(Self { kept, ended })
    }

    /// What was kept, once the stream ended or `wait` passed (a process the secondary
    /// left behind may hold the stream open; the report then has what came so far).
    pub fn finish(self, wait: Duration) -> (Vec<u8>, u64) {
        let _ = self.ended.recv_timeout(wait);
        let mut k = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        (std::mem::take(&mut k.bytes), k.dropped)
    }
}

/// The two captures of one secondary.
pub struct SecondaryCapture {
    pub stdout: StreamCapture,
    pub stderr: StreamCapture,
}

impl SecondaryCapture {
    /// Takes the pipes of a child started with [`spawn_secondary_captured`](super::spawn_secondary_captured).
    pub fn of_child(child: &mut std::process::Child) -> std::io::Result<Self> {
        let missing = || std::io::Error::other("secondary started without output pipes");
        Ok(Self {
            stdout: StreamCapture::start(child.stdout.take().ok_or_else(missing)?, PassTo::Stdout)?,
            stderr: StreamCapture::start(child.stderr.take().ok_or_else(missing)?, PassTo::Stderr)?,
        })
    }

    pub fn finish(self, wait: Duration) -> SecondaryOutput {
        let (stdout, a) = self.stdout.finish(wait);
        let (stderr, b) = self.stderr.finish(wait);
        SecondaryOutput {
            stdout,
            stderr,
            dropped_bytes: a + b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_the_stream_carried_until_its_end() {
        let data = b"line 1\nline 2\n".to_vec();
        let capture = StreamCapture::start(std::io::Cursor::new(data), PassTo::Nowhere).unwrap();
        let (bytes, dropped) = capture.finish(Duration::from_secs(30));
        assert_eq!(bytes, b"line 1\nline 2\n");
        assert_eq!(dropped, 0);
    }

    #[test]
    fn keeps_at_most_the_limit() {
        let data = vec![b'x'; 100_000];
        let capture =
            StreamCapture::start_with_limit(std::io::Cursor::new(data), PassTo::Nowhere, 99_900)
                .unwrap();
        let (bytes, dropped) = capture.finish(Duration::from_secs(30));
        assert_eq!(bytes.len(), 99_900);
        assert_eq!(dropped, 100);
    }
}
