//! A tiny DNS server on a loopback UDP port, for tests that need a resolver
//! they control (Herald's `HERALD_DNS_SERVERS`): each name has a script of
//! IPv4 answers, the n-th `A` query for a name gets the n-th answer (the
//! last one again once the script is spent), always with TTL 0 so that no
//! cache keeps it. `AAAA` and other queries get an empty answer; names not
//! in the script get NXDOMAIN. Hand-written (RFC 1035 wire format): just
//! enough of DNS for a stub resolver's questions.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;

type Counts = Arc<Mutex<HashMap<String, usize>>>;

/// A running DNS server.
pub struct TestDns {
    addr: SocketAddr,
    counts: Counts,
    task: tokio::task::JoinHandle<()>,
}

/// One parsed question: the name (lower case, no trailing dot), its type,
/// and where the question section ends in the query.
struct Question {
    name: String,
    qtype: u16,
    end: usize,
}

fn question(query: &[u8]) -> Option<Question> {
    let qdcount = u16::from_be_bytes([*query.get(4)?, *query.get(5)?]);
    if query.len() < 12 || qdcount != 1 {
        return None;
    }
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*query.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        let label = query.get(at..at + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    Some(Question {
        name: labels.join("."),
        qtype,
        end: at + 4,
    })
}

/// The answer to `query`, or `None` for something that is no question.
fn answer(
    query: &[u8],
    script: &HashMap<String, Vec<Ipv4Addr>>,
    counts: &Counts,
) -> Option<Vec<u8>> {
    let q = question(query)?;
    let question_bytes = query.get(12..q.end)?;
    let (rcode, address) = match script.get(&q.name) {
        None => (3u8, None),
        Some(_) if q.qtype != 1 => (0, None),
        Some(answers) => {
            let mut counts = counts.lock().unwrap_or_else(|p| p.into_inner());
            let n = counts.entry(q.name.clone()).or_insert(0);
            let address = answers.get(*n).or(answers.last()).copied();
            *n += 1;
            (0, address)
        }
    };
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&query[0..2]); // id
    let rd = query[2] & 0x01;
    out.push(0x84 | rd); // QR, AA, RD copied
    out.push(0x80 | rcode); // RA, rcode
    out.extend_from_slice(&1u16.to_be_bytes()); // QDCOUNT
    out.extend_from_slice(&u16::from(address.is_some()).to_be_bytes()); // ANCOUNT
    out.extend_from_slice(&[0, 0, 0, 0]); // NSCOUNT, ARCOUNT
    out.extend_from_slice(question_bytes);
    if let Some(ip) = address {
        out.extend_from_slice(&[0xc0, 0x0c]); // the name: a pointer to the question's
        out.extend_from_slice(&1u16.to_be_bytes()); // A
        out.extend_from_slice(&1u16.to_be_bytes()); // IN
        out.extend_from_slice(&0u32.to_be_bytes()); // TTL 0
        out.extend_from_slice(&4u16.to_be_bytes());
        out.extend_from_slice(&ip.octets());
    }
    Some(out)
}

impl TestDns {
    /// Starts answering on a free loopback UDP port: for each name, its
    /// answers in order.
    pub async fn start(script: &[(&str, &[Ipv4Addr])]) -> Self {
        let script: HashMap<String, Vec<Ipv4Addr>> = script
            .iter()
            .map(|(name, answers)| (name.to_ascii_lowercase(), answers.to_vec()))
            .collect();
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind DNS");
        let addr = socket.local_addr().expect("DNS addr");
        let counts = Counts::default();
        let task = tokio::spawn({
            let counts = counts.clone();
            async move {
                let mut buf = vec![0u8; 1500];
                loop {
                    let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                        continue;
                    };
                    if let Some(reply) = answer(&buf[..n], &script, &counts) {
                        let _ = socket.send_to(&reply, from).await;
                    }
                }
            }
        });
        TestDns { addr, counts, task }
    }

    /// The address to list in `HERALD_DNS_SERVERS`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many `A` queries for `name` were answered.
    pub fn queries(&self, name: &str) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.get(&name.to_ascii_lowercase()).copied().unwrap_or(0)
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}
