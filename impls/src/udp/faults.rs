//! Faults injected on the wire, in the node's socket layer: loss, duplication, delay,
//! reordering and partitions, drawn from the node's seed, so that they work on any machine
//! (no netem, no iptables, no root) and a run is repeatable up to the scheduler.
//!
//! Every datagram a node sends passes [`Injector::admit`] before it joins the outbox:
//!
//! 1. A **partition** active at that moment (time since the node started) that puts the
//!    sender and the receiver on different sides drops it.
//! 2. With probability `loss` it is dropped.
//! 3. With probability `duplicate` it is sent twice.
//! 4. With `delay MIN..MAX` it is held for a delay drawn uniformly from that range; without
//!    `reorder`, a datagram never leaves before an earlier one to the same peer (the delay
//!    keeps each channel in order); with `reorder`, each delay is drawn on its own, so later
//!    datagrams overtake earlier ones (`reorder` alone holds each datagram 0..1 ms).
//!
//! The cluster's wake-ups come from its own control socket and are never faulted.

use models::rng::SplitMix64;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The delay range `--reorder` uses when no `--delay` is given.
pub const REORDER_DELAY_DEFAULT: (Duration, Duration) = (Duration::ZERO, Duration::from_millis(1));

/// Why a fault setting was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// A probability outside `[0, 1]` (or not a number).
    #[error("{flag} must be a probability in [0, 1], got {value}")]
    Probability { flag: &'static str, value: String },
    /// A delay range that does not parse or has MIN > MAX.
    #[error("--delay must be MIN..MAX with durations like 0ms, 500us, 1.5ms, 2s and MIN <= MAX, got {0:?}")]
    Delay(String),
    /// A partition that does not parse.
    #[error("--partition must look like 0,1|2,3@1s..2s (node ids separated by `,`, sides by `|`, then when it starts and heals, since the node started), got {spec:?}: {why}")]
    Partition { spec: String, why: String },
}

/// Nodes cut off from each other during a time window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// The sides: a datagram between nodes on different sides is dropped. Nodes listed on no
    /// side form one more side together.
    pub sides: Vec<Vec<usize>>,
    /// When the partition starts, since the node started.
    pub from: Duration,
    /// When it heals, since the node started.
    pub until: Duration,
}

impl Partition {
    fn side(&self, node: usize) -> usize {
        self.sides
            .iter()
            .position(|s| s.contains(&node))
            .unwrap_or(self.sides.len())
    }

    /// Whether a datagram from `src` to `dst`, `at` since the start, is cut.
    pub fn cuts(&self, src: usize, dst: usize, at: Duration) -> bool {
        self.from <= at && at < self.until && self.side(src) != self.side(dst)
    }
}

/// Parses `1s`, `200ms`, `50us`, `1.5ms`, `0` (seconds when no unit).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix("µs") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.trim().parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(v * scale).ok()
}

/// Parses a delay range `MIN..MAX` (MIN <= MAX).
pub fn parse_delay(s: &str) -> Result<(Duration, Duration), FaultError> {
    let err = || FaultError::Delay(s.to_string());
    let (lo, hi) = s.split_once("..").ok_or_else(err)?;
    let (lo, hi) = (
        parse_duration(lo).ok_or_else(err)?,
        parse_duration(hi).ok_or_else(err)?,
    );
    if lo > hi {
        return Err(err());
    }
    Ok((lo, hi))
}

/// Checks that `value` is a probability, for flag `flag`.
pub fn probability(flag: &'static str, value: f64) -> Result<f64, FaultError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(FaultError::Probability {
            flag,
            value: value.to_string(),
        })
    }
}

impl FromStr for Partition {
    type Err = FaultError;

    fn from_str(spec: &str) -> Result<Self, FaultError> {
        let err = |why: &str| FaultError::Partition {
            spec: spec.to_string(),
            why: why.to_string(),
        };
        let (sides, when) = spec
            .split_once('@')
            .ok_or_else(|| err("missing @START..END"))?;
        let (from, until) = when
            .split_once("..")
            .ok_or_else(|| err("the time must be START..END"))?;
        let from = parse_duration(from).ok_or_else(|| err("START is not a duration"))?;
        let until = parse_duration(until).ok_or_else(|| err("END is not a duration"))?;
        if from > until {
            return Err(err("START is after END"));
        }
        let mut seen = Vec::new();
        let mut parsed = Vec::new();
        for side in sides.split('|') {
            let mut ids = Vec::new();
            for id in side.split(',') {
                let id: usize = id
                    .trim()
                    .parse()
                    .map_err(|_| err(&format!("{id:?} is not a node id")))?;
                if seen.contains(&id) {
                    return Err(err(&format!("node {id} is on two sides")));
                }
                seen.push(id);
                ids.push(id);
            }
            parsed.push(ids);
        }
        if parsed.len() < 2 && seen.is_empty() {
            return Err(err("no side"));
        }
        Ok(Self {
            sides: parsed,
            from,
            until,
        })
    }
}

/// The faults a node injects into what it sends. The default injects nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WireFaults {
    /// Chance that a datagram is dropped, in `[0, 1]`.
    pub loss: f64,
    /// Chance that a datagram is sent twice, in `[0, 1]`.
    pub duplicate: f64,
    /// Each datagram is held for a delay drawn from `MIN..=MAX`.
    pub delay: Option<(Duration, Duration)>,
    /// Delays are drawn independently, so datagrams to one peer overtake each other.
    pub reorder: bool,
    pub partitions: Vec<Partition>,
}

impl WireFaults {
    /// Validated faults.
    pub fn new(
        loss: f64,
        duplicate: f64,
        delay: Option<(Duration, Duration)>,
        reorder: bool,
        partitions: Vec<Partition>,
    ) -> Result<Self, FaultError> {
        probability("--loss", loss)?;
        probability("--duplicate", duplicate)?;
        if let Some((lo, hi)) = delay {
            if lo > hi {
                return Err(FaultError::Delay(format!("{lo:?}..{hi:?}")));
            }
        }
        Ok(Self {
            loss,
            duplicate,
            delay,
            reorder,
            partitions,
        })
    }

    /// Whether nothing is injected.
    pub fn is_none(&self) -> bool {
        *self == Self::default()
    }

    /// The delay range in effect (reordering alone uses [`REORDER_DELAY_DEFAULT`]).
    fn delay_range(&self) -> Option<(Duration, Duration)> {
        self.delay.or(self.reorder.then_some(REORDER_DELAY_DEFAULT))
    }
}

/// What happened to the datagrams a node sent, by fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Injected {
    pub lost: u64,
    pub duplicated: u64,
    pub delayed: u64,
    pub partitioned: u64,
}

impl Injected {
    pub fn add(&mut self, o: &Injected) {
        self.lost += o.lost;
        self.duplicated += o.duplicated;
        self.delayed += o.delayed;
        self.partitioned += o.partitioned;
    }
}

/// The fate of one datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    Drop,
    /// Send this many copies (1 or 2) when due (`None`: now).
    Send {
        copies: u8,
        due: Option<Instant>,
    },
}

/// One node's injector: its faults, its own generator and the per-peer release times.
#[derive(Clone, Debug)]
pub struct Injector {
    faults: WireFaults,
    rng: SplitMix64,
    origin: Instant,
    /// The latest release time of a datagram to each peer (FIFO delays).
    last_due: Vec<Option<Instant>>,
    pub injected: Injected,
}

impl Injector {
    /// An injector for node `id` of `peers`, started at `origin`.
    pub fn new(faults: WireFaults, seed: u64, id: usize, peers: usize, origin: Instant) -> Self {
        let rng =
            SplitMix64::new(seed ^ 0xFA17_5EED ^ (id as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        Self {
            faults,
            rng,
            origin,
            last_due: vec![None; peers],
            injected: Injected::default(),
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && ((self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// Decides what happens to a datagram from `src` to `dst` sent `now`.
    pub fn admit(&mut self, src: usize, dst: usize, now: Instant) -> Admit {
        let at = now.saturating_duration_since(self.origin);
        if self.faults.partitions.iter().any(|p| p.cuts(src, dst, at)) {
            self.injected.partitioned += 1;
            return Admit::Drop;
        }
        if self.chance(self.faults.loss) {
            self.injected.lost += 1;
            return Admit::Drop;
        }
        let copies = if self.chance(self.faults.duplicate) {
            self.injected.duplicated += 1;
            2
        } else {
            1
        };
        let due = self.faults.delay_range().map(|(lo, hi)| {
            let us = self
                .rng
                .between(lo.as_micros() as u64, hi.as_micros() as u64);
            let mut due = now + Duration::from_micros(us);
            if !self.faults.reorder {
                if let Some(Some(last)) = self.last_due.get(dst) {
                    due = due.max(*last);
                }
                if let Some(slot) = self.last_due.get_mut(dst) {
                    *slot = Some(due);
                }
            }
            self.injected.delayed += 1;
            due
        });
        Admit::Send { copies, due }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse_and_cut_across_sides_only_while_active() {
        let p: Partition = "0,1|2,3@1s..2s".parse().unwrap();
        assert_eq!(p.sides, vec![vec![0, 1], vec![2, 3]]);
        let s = Duration::from_secs;
        assert!(p.cuts(0, 2, s(1)));
        assert!(!p.cuts(0, 1, s(1)));
        assert!(!p.cuts(0, 2, s(2)));
        assert!(!p.cuts(0, 2, Duration::from_millis(999)));
        // Unlisted nodes are one more side.
        let p: Partition = "0@0..500ms".parse().unwrap();
        assert!(p.cuts(0, 4, s(0)) && !p.cuts(3, 4, s(0)));
        for bad in [
            "0,1|2",
            "0,1|x@1s..2s",
            "0|0@1s..2s",
            "0|1@2s..1s",
            "0|1@1s",
        ] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn probabilities_and_delays_are_validated() {
        assert!(probability("--loss", 1.5).is_err());
        assert!(probability("--loss", -0.1).is_err());
        assert!(probability("--loss", f64::NAN).is_err());
        assert_eq!(
            parse_delay("1ms..3ms").unwrap(),
            (Duration::from_millis(1), Duration::from_millis(3))
        );
        assert!(parse_delay("3ms..1ms").is_err());
        assert!(parse_delay("3ms").is_err());
    }

    #[test]
    fn loss_drops_about_its_share_and_fifo_delays_keep_order() {
        let faults = WireFaults::new(
            0.1,
            0.0,
            Some((Duration::ZERO, Duration::from_millis(5))),
            false,
            vec![],
        )
        .unwrap();
        let now = Instant::now();
        let mut inj = Injector::new(faults, 7, 0, 2, now);
        let mut last = now;
        for _ in 0..10_000 {
            if let Admit::Send { due: Some(due), .. } = inj.admit(0, 1, now) {
                assert!(due >= last);
                last = due;
            }
        }
        assert!(
            (800..1200).contains(&inj.injected.lost),
            "{:?}",
            inj.injected
        );
    }
}
