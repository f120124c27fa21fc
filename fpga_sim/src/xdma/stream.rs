//! The AXI4-Stream link between an H2C channel and the C2H channel it loops back to: a
//! small bounded FIFO (the real link has none, so an H2C descriptor only completes once
//! its bytes have been accepted downstream).

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Most bytes the link holds before the sender stalls.
pub const LINK_CAPACITY: usize = 128 << 10;

struct Segment {
    data: Vec<u8>,
    pos: usize,
    eop: bool,
}

#[derive(Default)]
struct Queue {
    segments: VecDeque<Segment>,
    bytes: usize,
    spare: Vec<Vec<u8>>,
}

#[derive(Default)]
pub struct StreamLink {
    queue: Mutex<Queue>,
    changed: Condvar,
}

/// What the receiver took from the link.
pub struct Taken {
    pub bytes: usize,
    /// The end of a packet was reached with the last byte taken.
    pub eop: bool,
}

impl StreamLink {
    /// A recycled buffer for the next segment.
    pub fn buffer(&self) -> Vec<u8> {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let mut b = q.spare.pop().unwrap_or_default();
        b.clear();
        b
    }

    /// Offers a segment. Returns it back when the link is full after waiting `wait`.
    pub fn push(&self, data: Vec<u8>, eop: bool, wait: Duration) -> Result<(), Vec<u8>> {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.bytes > 0 && q.bytes + data.len() > LINK_CAPACITY {
            q = self
                .changed
                .wait_timeout(q, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            if q.bytes > 0 && q.bytes + data.len() > LINK_CAPACITY {
                return Err(data);
            }
        }
        q.bytes += data.len();
        q.segments.push_back(Segment { data, pos: 0, eop });
        drop(q);
        self.changed.notify_all();
        Ok(())
    }

    /// Takes up to `max` bytes of the current packet, passing them to `sink` (which may be
    /// called several times). Waits up to `wait` when the link is empty. Stops at the end
    /// of a packet.
    pub fn take<E>(
        &self,
        max: usize,
        wait: Duration,
        mut sink: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<Taken, E> {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.segments.is_empty() {
            q = self
                .changed
                .wait_timeout(q, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        let mut taken = Taken {
            bytes: 0,
            eop: false,
        };
        while taken.bytes < max {
            let Some(front) = q.segments.front_mut() else {
                break;
            };
            let n = (front.data.len() - front.pos).min(max - taken.bytes);
            let r = sink(&front.data[front.pos..front.pos + n]);
            front.pos += n;
            taken.bytes += n;
            let done = front.pos == front.data.len();
            let eop = front.eop;
            if done {
                if let Some(seg) = q.segments.pop_front() {
                    if q.spare.len() < 8 {
                        q.spare.push(seg.data);
                    }
                }
            }
            q.bytes -= n;
            if let Err(e) = r {
                drop(q);
                self.changed.notify_all();
                return Err(e);
            }
            if done && eop {
                taken.eop = true;
                break;
            }
            if !done {
                break;
            }
        }
        // An empty end-of-packet segment right at the descriptor's end ends the packet here.
        if !taken.eop && taken.bytes == max {
            if let Some(front) = q.segments.front() {
                if front.eop && front.pos == front.data.len() {
                    q.segments.pop_front();
                    taken.eop = true;
                }
            }
        }
        drop(q);
        self.changed.notify_all();
        Ok(taken)
    }

    /// Drops everything in flight (reset).
    pub fn clear(&self) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.segments.clear();
        q.bytes = 0;
        drop(q);
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_split_and_end() {
        let link = StreamLink::default();
        let w = Duration::from_millis(1);
        link.push(vec![1, 2, 3], false, w).unwrap();
        link.push(vec![4, 5], true, w).unwrap();
        link.push(vec![6], true, w).unwrap();
        let mut got = Vec::new();
        let t = link
            .take::<()>(4, w, |b| {
                got.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        assert_eq!((t.bytes, t.eop), (4, false));
        let t = link
            .take::<()>(4, w, |b| {
                got.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        assert_eq!((t.bytes, t.eop), (1, true));
        let t = link
            .take::<()>(1, w, |b| {
                got.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        assert_eq!((t.bytes, t.eop), (1, true));
        assert_eq!(got, vec![1, 2, 3, 4, 5, 6]);
        let t = link.take::<()>(4, w, |_| Ok(())).unwrap();
        assert_eq!(t.bytes, 0);
    }
}
