//! Datagrams in batches: a node receives every datagram already queued on its socket in one
//! system call and sends the datagrams a batch of handlers emitted in one more.
//!
//! On Linux this is `recvmmsg` (with `MSG_WAITFORONE`: wait for the first datagram, up to the
//! socket's read timeout, then take what is queued without waiting) and `sendmmsg`, up to
//! [`BATCH`] datagrams per call. Elsewhere it falls back to one `recv_from` per poll and one
//! `send_to` per datagram, with the same results.
//!
//! A system call per datagram is most of what a driver costs beyond the kernel's own work
//! (see the README's "Run over UDP" benchmarks): batching is what lets a busy node pay it
//! once per batch.

use std::net::{SocketAddr, UdpSocket};

/// Most datagrams received or sent by one system call.
pub const BATCH: usize = 32;

/// Received datagrams: [`BATCH`] slots of `slot` bytes each.
#[derive(Default)]
pub struct Inbox {
    slot: usize,
    bufs: Vec<u8>,
    /// Length and source of each datagram of the last batch.
    got: Vec<(usize, SocketAddr)>,
}

impl Inbox {
    /// An inbox whose slots hold `slot` bytes: a longer datagram is cut to `slot` bytes (make
    /// it one more than the largest datagram accepted, so that a cut one is seen as too long).
    pub fn new(slot: usize) -> Self {
        Self {
            slot,
            bufs: vec![0; slot * BATCH],
            got: Vec::with_capacity(BATCH),
        }
    }

    /// How many datagrams the last [`Inbox::receive`] got.
    pub fn len(&self) -> usize {
        self.got.len()
    }

    pub fn is_empty(&self) -> bool {
        self.got.is_empty()
    }

    /// Datagram `i` of the last batch and its source.
    pub fn get(&self, i: usize) -> (&[u8], SocketAddr) {
        let (len, from) = self.got[i];
        (&self.bufs[i * self.slot..i * self.slot + len], from)
    }

    /// Receives a batch: waits for a first datagram if `wait` (up to the socket's read
    /// timeout), else only takes what is already queued; then everything queued, up to
    /// [`BATCH`]. Errors (a timeout, an ICMP error from an earlier send) leave the batch empty.
    pub fn receive(&mut self, socket: &UdpSocket, wait: bool) -> usize {
        self.got.clear();
        self.receive_os(socket, wait);
        self.got.len()
    }

    #[cfg(target_os = "linux")]
    fn receive_os(&mut self, socket: &UdpSocket, wait: bool) {
        use std::os::fd::AsRawFd;
        // SAFETY: zeroed sockaddr_storage, iovec and mmsghdr are valid (null pointers, zero
        // lengths) until filled in below.
        let mut addrs: [libc::sockaddr_storage; BATCH] = unsafe { std::mem::zeroed() };
        let mut iovs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
        let mut hdrs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for (i, chunk) in self.bufs.chunks_exact_mut(self.slot).enumerate() {
            iovs[i].iov_base = chunk.as_mut_ptr().cast();
            iovs[i].iov_len = chunk.len();
            hdrs[i].msg_hdr.msg_name = std::ptr::addr_of_mut!(addrs[i]).cast();
            hdrs[i].msg_hdr.msg_namelen =
                std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            hdrs[i].msg_hdr.msg_iov = std::ptr::addr_of_mut!(iovs[i]);
            hdrs[i].msg_hdr.msg_iovlen = 1;
        }
        let flags = if wait {
            libc::MSG_WAITFORONE
        } else {
            libc::MSG_DONTWAIT
        };
        // SAFETY: BATCH headers, each pointing at its own live buffer and address slot, which
        // outlive the call; no timeout pointer (the socket's read timeout bounds the wait).
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                hdrs.as_mut_ptr(),
                BATCH as libc::c_uint,
                flags as _,
                std::ptr::null_mut(),
            )
        };
        for i in 0..usize::try_from(n).unwrap_or(0) {
            let len = (hdrs[i].msg_len as usize).min(self.slot);
            if let Some(from) = from_sockaddr(&addrs[i]) {
                self.got.push((len, from));
            } else {
                // Not an IP source: cannot be a peer. Keep the datagram (an empty slot would
                // shift the others) under an address no peer has.
                self.got.push((len, SocketAddr::from(([0, 0, 0, 0], 0))));
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn receive_os(&mut self, socket: &UdpSocket, _wait: bool) {
        if let Ok((len, from)) = socket.recv_from(&mut self.bufs[..self.slot]) {
            self.got.push((len.min(self.slot), from));
        }
    }
}

/// Datagrams waiting to be sent, in order, in one buffer.
#[derive(Default)]
pub struct Outbox {
    bytes: Vec<u8>,
    /// End offset in `bytes`, destination and number of messages of each datagram.
    items: Vec<(usize, SocketAddr, u64)>,
}

/// What [`Outbox::flush`] did: datagrams sent and refused by the socket, and the messages
/// they carried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flushed {
    pub datagrams: u64,
    pub messages: u64,
    pub refused_datagrams: u64,
    pub refused_messages: u64,
}

impl Outbox {
    /// Queues a datagram carrying one message.
    pub fn push(&mut self, datagram: &[u8], to: SocketAddr) {
        self.push_messages(datagram, to, 1);
    }

    /// Queues a datagram carrying `messages` messages (coalesced).
    pub fn push_messages(&mut self, datagram: &[u8], to: SocketAddr, messages: u64) {
        self.bytes.extend_from_slice(datagram);
        self.items.push((self.bytes.len(), to, messages));
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sends every queued datagram, in order, and empties the queue; returns how many were
    /// sent and how many the socket refused, with their messages.
    pub fn flush(&mut self, socket: &UdpSocket) -> Flushed {
        if self.items.is_empty() {
            return Flushed::default();
        }
        let counts = self.flush_os(socket);
        self.bytes.clear();
        self.items.clear();
        counts
    }

    fn datagram(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.items[i - 1].0 };
        &self.bytes[start..self.items[i].0]
    }

    #[cfg(target_os = "linux")]
    fn flush_os(&mut self, socket: &UdpSocket) -> Flushed {
        use std::os::fd::AsRawFd;
        let mut done = Flushed::default();
        let mut next = 0;
        while next < self.items.len() {
            let count = (self.items.len() - next).min(BATCH);
            // SAFETY: as in `Inbox::receive_os`: zeroed values are valid until filled in.
            let mut addrs: [libc::sockaddr_storage; BATCH] = unsafe { std::mem::zeroed() };
            let mut iovs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
            let mut hdrs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
            for k in 0..count {
                let datagram = self.datagram(next + k);
                iovs[k].iov_base = datagram.as_ptr() as *mut libc::c_void;
                iovs[k].iov_len = datagram.len();
                let len = to_sockaddr(&self.items[next + k].1, &mut addrs[k]);
                hdrs[k].msg_hdr.msg_name = std::ptr::addr_of_mut!(addrs[k]).cast();
                hdrs[k].msg_hdr.msg_namelen = len;
                hdrs[k].msg_hdr.msg_iov = std::ptr::addr_of_mut!(iovs[k]);
                hdrs[k].msg_hdr.msg_iovlen = 1;
            }
            // SAFETY: `count` headers pointing at live buffers and addresses (the kernel only
            // reads the datagrams).
            let n = unsafe {
                libc::sendmmsg(
                    socket.as_raw_fd(),
                    hdrs.as_mut_ptr(),
                    count as libc::c_uint,
                    0,
                )
            };
            match usize::try_from(n) {
                Ok(n) if n > 0 => {
                    done.datagrams += n as u64;
                    done.messages += self.items[next..next + n].iter().map(|i| i.2).sum::<u64>();
                    next += n;
                }
                // The first datagram of the batch was refused: count it, go on with the rest.
                _ => {
                    done.refused_datagrams += 1;
                    done.refused_messages += self.items[next].2;
                    next += 1;
                }
            }
        }
        done
    }

    #[cfg(not(target_os = "linux"))]
    fn flush_os(&mut self, socket: &UdpSocket) -> Flushed {
        let mut done = Flushed::default();
        for i in 0..self.items.len() {
            match socket.send_to(self.datagram(i), self.items[i].1) {
                Ok(_) => {
                    done.datagrams += 1;
                    done.messages += self.items[i].2;
                }
                Err(_) => {
                    done.refused_datagrams += 1;
                    done.refused_messages += self.items[i].2;
                }
            }
        }
        done
    }
}

#[cfg(target_os = "linux")]
fn from_sockaddr(s: &libc::sockaddr_storage) -> Option<SocketAddr> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};
    match libc::c_int::from(s.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin = unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::from((ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 =
                unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Writes `addr` into `s`; returns its length.
#[cfg(target_os = "linux")]
fn to_sockaddr(addr: &SocketAddr, s: &mut libc::sockaddr_storage) -> libc::socklen_t {
    match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for any sockaddr.
            let sin =
                unsafe { &mut *(s as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
        }
        SocketAddr::V6(a) => {
            // SAFETY: as above.
            let sin6 =
                unsafe { &mut *(s as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            sin6.sin6_scope_id = a.scope_id();
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_batch_goes_out_and_comes_back_in_order_with_its_sources() {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        b.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut out = Outbox::default();
        // More than one system call's worth, of varied lengths.
        let total = BATCH + 5;
        for i in 0..total {
            out.push(&vec![i as u8; i + 1], b.local_addr().unwrap());
        }
        let done = out.flush(&a);
        assert_eq!(
            (done.datagrams, done.messages),
            (total as u64, total as u64)
        );
        assert_eq!(done.refused_datagrams, 0);
        assert!(out.is_empty());
        let mut inbox = Inbox::new(64);
        let mut seen = 0;
        while seen < total {
            let n = inbox.receive(&b, true);
            assert!(n > 0, "datagrams lost: {seen} of {total}");
            for k in 0..n {
                let (bytes, from) = inbox.get(k);
                assert_eq!(bytes, vec![seen as u8; seen + 1].as_slice());
                assert_eq!(from, a.local_addr().unwrap());
                seen += 1;
            }
        }
        // Nothing queued: a batch that does not wait comes back empty at once.
        assert_eq!(inbox.receive(&b, false), 0);
    }

    #[test]
    fn a_datagram_longer_than_a_slot_is_cut_to_the_slot() {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        b.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        a.send_to(&[7u8; 100], b.local_addr().unwrap()).unwrap();
        let mut inbox = Inbox::new(10);
        assert_eq!(inbox.receive(&b, true), 1);
        assert_eq!(inbox.get(0).0, &[7u8; 10]);
    }
}
