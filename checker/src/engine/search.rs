//! The exhaustive search: explores the reachable states, decides safety on the way, records
//! what liveness needs, then replays every witness as a concrete trace.

use super::liveness::{self, Judgement, LiveProp};
use super::Compact;
use super::{
    resident_memory_bytes, CheckError, CheckOptions, Checkable, Coverage, Fairness, Kind, Outcome,
    PropertyOutcome, Status, StopReason, Strategy, Trace, MEMORY_SEARCH_SHARE, MEMORY_SPILL_SHARE,
};
use crate::progress::Progress;
use stateright::{Expectation, Model};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The visited set: an open-addressing table (linear probing) of fingerprints, TLC's design,
/// with the index of each state beside its fingerprint. Looking a state up reads one slot of
/// `keys` (and its neighbours, in the same cache line) and nothing else: a known successor,
/// which is most successors, costs one cache miss, and the expansion prefetches that line
/// before it looks (see [`Table::prefetch`]). Only a liveness check, whose graph needs the
/// known state's index, keeps `ixs` as well. The table is at most three quarters full (a
/// probe past a taken slot stays in the same cache line, 8 slots, most of the time): 10.7 to
/// 21 bytes per state for a safety check, 16 to 32 with liveness. Fingerprints are well-mixed
/// hashes already: their low bits pick the slot.
///
/// The merging thread alone writes the table; the other threads of a parallel search read it
/// at the same time, to drop the successors it knows (see [`Search::explore_parallel`]). The
/// slots are atomics, so a reader sees each slot either empty or complete, and a slot's index
/// is written before its key; a reader that misses a state inserted meanwhile only passes it
/// on to the merge, which decides. A growing table is a new one: readers keep the old one
/// (shared by `Arc`) until they take their next work.
struct FpIndex {
    table: Arc<Table>,
    with_ixs: bool,
    len: usize,
}

struct Table {
    /// The fingerprint in each slot; 0 marks an empty slot (the state whose fingerprint is 0,
    /// if any, is in `zero`).
    keys: Vec<AtomicU64>,
    /// The index of the state in each occupied slot, if asked for (liveness); empty otherwise.
    ixs: Vec<AtomicU32>,
    /// The index plus one of the state whose fingerprint is 0; 0 if there is none.
    zero: AtomicU64,
}

/// The "slot" of the state whose fingerprint is 0 (it has none in the table).
const ZERO_SLOT: usize = usize::MAX;

impl Table {
    fn new(slots: usize, with_ixs: bool) -> Self {
        Self {
            keys: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            ixs: match with_ixs {
                true => (0..slots).map(|_| AtomicU32::new(0)).collect(),
                false => Vec::new(),
            },
            zero: AtomicU64::new(0),
        }
    }

    /// Asks the processor to fetch the slot where `fp` would be, so that a [`Table::find`]
    /// a little later does not wait for memory.
    #[inline]
    fn prefetch(&self, fp: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let at = &self.keys[fp as usize & (self.keys.len() - 1)];
            // SAFETY: a prefetch is only a hint; the address is that of a live element.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    at.as_ptr().cast_const().cast(),
                )
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = fp;
    }

    /// The slot holding fingerprint `fp` (`Ok`), or the empty slot where it would go (`Err`).
    #[inline]
    fn find(&self, fp: u64) -> Result<usize, usize> {
        if fp == 0 {
            return match self.zero.load(Acquire) {
                0 => Err(ZERO_SLOT),
                _ => Ok(ZERO_SLOT),
            };
        }
        let mask = self.keys.len() - 1;
        let mut i = fp as usize & mask;
        loop {
            match self.keys[i].load(Acquire) {
                0 => return Err(i),
                k if k == fp => return Ok(i),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The index of the state in `slot`, found by [`Table::find`] (liveness only).
    #[inline]
    fn ix(&self, slot: usize) -> u32 {
        match slot {
            ZERO_SLOT => (self.zero.load(Acquire) - 1) as u32,
            _ => self.ixs[slot].load(Relaxed),
        }
    }
}

impl FpIndex {
    fn new(with_ixs: bool) -> Self {
        Self {
            table: Arc::new(Table::new(1024, with_ixs)),
            with_ixs,
            len: 0,
        }
    }

    /// Puts state `ix`, with fingerprint `fp`, into the empty `slot` that [`Table::find`]
    /// returned; doubles the table when it gets more than three quarters full.
    fn insert(&mut self, slot: usize, fp: u64, ix: u32) {
        self.len += 1;
        let t = &self.table;
        if slot == ZERO_SLOT {
            t.zero.store(u64::from(ix) + 1, Release);
            return;
        }
        if self.with_ixs {
            t.ixs[slot].store(ix, Relaxed);
        }
        t.keys[slot].store(fp, Release);
        if self.len * 4 > t.keys.len() * 3 {
            let bigger = Table::new(t.keys.len() * 2, self.with_ixs);
            let mask = bigger.keys.len() - 1;
            for (at, k) in t.keys.iter().enumerate() {
                let k = k.load(Relaxed);
                if k == 0 {
                    continue;
                }
                let mut i = k as usize & mask;
                while bigger.keys[i].load(Relaxed) != 0 {
                    i = (i + 1) & mask;
                }
                bigger.keys[i].store(k, Relaxed);
                if self.with_ixs {
                    bigger.ixs[i].store(t.ixs[at].load(Relaxed), Relaxed);
                }
            }
            bigger.zero.store(t.zero.load(Relaxed), Relaxed);
            self.table = Arc::new(bigger);
        }
    }

    /// Bytes the next doubling of the table would add.
    fn growth_bytes(&self) -> u64 {
        let slots = self.table.keys.len();
        if (self.len + 1) * 4 > slots * 3 {
            slots as u64 * 2 * if self.with_ixs { 8 + 4 } else { 8 }
        } else {
            0
        }
    }
}

/// A state waiting to be expanded: its index, its depth, the state.
type Entry<S> = (u32, u32, S);

/// The states waiting to be expanded, in order: as they are, or packed into bytes when the
/// model has a [`Compact`] encoding. A search takes from one end only: the front in BFS, the
/// back in DFS.
///
/// Packed states live in segments. Once the frontier spills (past [`CheckOptions::frontier_memory`],
/// or when the process nears its memory limit), every full segment but the two ends (the one
/// being taken from and the one being filled) is written to a file in a temporary directory,
/// read back when the search reaches it, and deleted; the directory goes when the search ends.
/// What is written is the packed bytes themselves, so spilling changes no count, verdict or trace.
struct Frontier<S> {
    compact: Option<Compact<S>>,
    plain: VecDeque<Entry<S>>,
    segments: VecDeque<Segment>,
    /// Packed entries in all segments.
    packed_len: usize,
    /// Bytes of the segments in memory (entries and packed states).
    in_memory: usize,
    spill: Option<Spill>,
    scratch: Vec<u8>,
}

/// Packed entries: (index, depth, length of the packed state), in order, and their bytes one
/// after the other from `head` on; or the same, written to a file.
enum Segment {
    Memory {
        entries: VecDeque<(u32, u32, u32)>,
        bytes: Vec<u8>,
        head: usize,
    },
    Disk {
        path: std::path::PathBuf,
        entries: usize,
        /// The depth of the first entry (a BFS asks for it).
        first_depth: u32,
    },
}

impl Segment {
    fn new() -> Self {
        Segment::Memory {
            entries: VecDeque::new(),
            bytes: Vec::new(),
            head: 0,
        }
    }

    fn len(&self) -> usize {
        match self {
            Segment::Memory { entries, .. } => entries.len(),
            Segment::Disk { entries, .. } => *entries,
        }
    }

    /// Bytes held in memory.
    fn weight(&self) -> usize {
        match self {
            Segment::Memory {
                entries,
                bytes,
                head,
            } => entries.len() * 12 + bytes.len() - head,
            Segment::Disk { .. } => 0,
        }
    }
}

/// A chunk of the frontier, for one thread of a parallel BFS to expand: states, or packed states (entries as in
/// a segment, and their bytes one after the other).
enum Part<S> {
    States(Vec<Entry<S>>),
    Packed(Vec<(u32, u32, u32)>, Vec<u8>),
}

/// Where and how much a frontier spills.
struct Spill {
    /// Bytes of segments the frontier keeps in memory before it writes more to disk.
    budget: usize,
    /// The size of a full segment.
    segment: usize,
    /// The temporary directory, made at the first write.
    dir: Option<std::path::PathBuf>,
    files: u64,
    written: u64,
    /// The first write that failed (spilling then stops; the memory limit still holds).
    failed: Option<String>,
}

/// How much a frontier spilled to disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Spilled {
    /// Bytes written (each segment once).
    pub bytes: u64,
    /// Segments written.
    pub segments: u64,
}

/// The largest segment: large enough that files are few, small enough that the two kept at
/// the ends cost little.
const SEGMENT_BYTES: usize = 8 << 20;

impl<S> Frontier<S> {
    fn new(compact: Option<Compact<S>>) -> Self {
        Self {
            compact,
            plain: VecDeque::new(),
            segments: VecDeque::new(),
            packed_len: 0,
            in_memory: 0,
            spill: None,
            scratch: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.plain.len() + self.packed_len
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// From now on, keep at most about `budget` bytes of packed states in memory (at least the
    /// two segments at the ends). Only a packed frontier can spill: false otherwise.
    fn spill_beyond(&mut self, budget: u64) -> bool {
        if self.compact.is_none() {
            return false;
        }
        let budget = usize::try_from(budget).unwrap_or(usize::MAX);
        match &mut self.spill {
            Some(s) => s.budget = s.budget.min(budget),
            None => {
                self.spill = Some(Spill {
                    budget,
                    segment: (budget / 4).clamp(64, SEGMENT_BYTES),
                    dir: None,
                    files: 0,
                    written: 0,
                    failed: None,
                })
            }
        }
        self.write_out();
        true
    }

    /// What spilling wrote so far.
    fn spilled(&self) -> Option<Spilled> {
        let s = self.spill.as_ref()?;
        (s.files > 0).then_some(Spilled {
            bytes: s.written,
            segments: s.files,
        })
    }

    /// Writes full segments between the two ends to disk, newest first, until what stays in
    /// memory is within the budget.
    fn write_out(&mut self) {
        let Some(spill) = self.spill.as_mut() else {
            return;
        };
        if spill.failed.is_some() {
            return;
        }
        let n = self.segments.len();
        let mut i = n.saturating_sub(1);
        while self.in_memory > spill.budget && i > 1 {
            i -= 1;
            let seg = &mut self.segments[i];
            let weight = seg.weight();
            if weight == 0 {
                continue;
            }
            match spill.write(seg) {
                Ok(disk) => {
                    *seg = disk;
                    self.in_memory -= weight;
                }
                Err(e) => {
                    spill.failed = Some(e.to_string());
                    eprintln!(
                        "warning: the frontier could not spill to disk ({e}); it stays in memory"
                    );
                    return;
                }
            }
        }
    }

    fn push(&mut self, (ix, depth, state): Entry<S>) {
        let Some(c) = self.compact else {
            self.plain.push_back((ix, depth, state));
            return;
        };
        let mut packed = std::mem::take(&mut self.scratch);
        packed.clear();
        (c.pack)(&state, &mut packed);
        self.push_packed(ix, depth, &packed);
        self.scratch = packed;
    }

    /// Adds a state already packed (see [`Frontier::push`]).
    fn push_packed(&mut self, ix: u32, depth: u32, packed: &[u8]) {
        let segment = self.spill.as_ref().map_or(SEGMENT_BYTES, |s| s.segment);
        let full = match self.segments.back() {
            Some(Segment::Memory { bytes, .. }) => bytes.len() >= segment,
            Some(Segment::Disk { .. }) | None => true,
        };
        if full {
            self.segments.push_back(Segment::new());
            self.write_out();
        }
        let Some(Segment::Memory { entries, bytes, .. }) = self.segments.back_mut() else {
            unreachable!("the back segment is in memory");
        };
        bytes.extend_from_slice(packed);
        let len = u32::try_from(packed.len()).expect("a packed state < 4 GiB");
        entries.push_back((ix, depth, len));
        self.packed_len += 1;
        self.in_memory += len as usize + 12;
    }

    /// Takes the front state of a packed frontier without unpacking it: its bytes go to the
    /// end of `out`.
    fn pop_front_packed(&mut self, out: &mut Vec<u8>) -> Option<(u32, u32, u32)> {
        while self.segments.front().is_some_and(|s| s.len() == 0) {
            self.segments.pop_front();
        }
        self.segments.front()?;
        self.load(0);
        let Some(Segment::Memory {
            entries,
            bytes,
            head,
        }) = self.segments.front_mut()
        else {
            unreachable!("the front segment was loaded");
        };
        let (ix, depth, len) = entries.pop_front()?;
        let end = *head + len as usize;
        out.extend_from_slice(&bytes[*head..end]);
        *head = end;
        // Drop the consumed bytes once they are most of the buffer (amortised O(1)).
        if *head >= 1 << 16 && *head * 2 >= bytes.len() {
            bytes.drain(..*head);
            *head = 0;
        }
        self.packed_len -= 1;
        self.in_memory -= len as usize + 12;
        Some((ix, depth, len))
    }

    /// Brings the segment at `at` (the front or the back) into memory.
    fn load(&mut self, at: usize) {
        if let Segment::Disk { path, .. } = &self.segments[at] {
            let seg = Spill::read(path).expect("a spilled frontier segment reads back");
            let _ = std::fs::remove_file(path);
            self.in_memory += seg.weight();
            self.segments[at] = seg;
        }
    }

    fn pop_front(&mut self) -> Option<Entry<S>> {
        let Some(c) = self.compact else {
            return self.plain.pop_front();
        };
        let mut packed = std::mem::take(&mut self.scratch);
        packed.clear();
        let popped = self.pop_front_packed(&mut packed);
        let entry = popped.map(|(ix, depth, _)| (ix, depth, (c.unpack)(&packed)));
        self.scratch = packed;
        entry
    }

    fn pop_back(&mut self) -> Option<Entry<S>> {
        let Some(c) = self.compact else {
            return self.plain.pop_back();
        };
        while self.segments.back().is_some_and(|s| s.len() == 0) {
            self.segments.pop_back();
        }
        let last = self.segments.len().checked_sub(1)?;
        self.load(last);
        let Some(Segment::Memory { entries, bytes, .. }) = self.segments.back_mut() else {
            unreachable!("the back segment was loaded");
        };
        let (ix, depth, len) = entries.pop_back()?;
        let start = bytes.len() - len as usize;
        self.scratch.clear();
        self.scratch.extend_from_slice(&bytes[start..]);
        bytes.truncate(start);
        self.packed_len -= 1;
        self.in_memory -= len as usize + 12;
        Some((ix, depth, (c.unpack)(&self.scratch)))
    }

    /// The depth of the next state a BFS takes.
    fn front_depth(&self) -> Option<u32> {
        match self.compact {
            None => self.plain.front().map(|e| e.1),
            Some(_) => self.segments.iter().find(|s| s.len() > 0).map(|s| match s {
                Segment::Memory { entries, .. } => entries[0].1,
                Segment::Disk { first_depth, .. } => *first_depth,
            }),
        }
    }
}

impl<S> Drop for Frontier<S> {
    fn drop(&mut self) {
        if let Some(dir) = self.spill.as_ref().and_then(|s| s.dir.as_ref()) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Spill {
    /// Writes an in-memory segment to a new file: its entry count, its entries, its bytes.
    fn write(&mut self, seg: &Segment) -> std::io::Result<Segment> {
        use std::io::Write;
        let Segment::Memory {
            entries,
            bytes,
            head,
        } = seg
        else {
            unreachable!("only segments in memory are written");
        };
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                static SEARCHES: std::sync::atomic::AtomicU64 =
                    std::sync::atomic::AtomicU64::new(0);
                let n = SEARCHES.fetch_add(1, Relaxed);
                let dir = std::env::temp_dir()
                    .join(format!("checker-frontier-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&dir)?;
                self.dir = Some(dir.clone());
                dir
            }
        };
        let path = dir.join(format!("{}.seg", self.files));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        out.write_all(&(entries.len() as u64).to_le_bytes())?;
        for &(ix, depth, len) in entries {
            out.write_all(&ix.to_le_bytes())?;
            out.write_all(&depth.to_le_bytes())?;
            out.write_all(&len.to_le_bytes())?;
        }
        out.write_all(&bytes[*head..])?;
        out.flush()?;
        self.files += 1;
        self.written += (8 + entries.len() * 12 + bytes.len() - head) as u64;
        Ok(Segment::Disk {
            path,
            entries: entries.len(),
            first_depth: entries.front().map_or(0, |e| e.1),
        })
    }

    /// Reads a segment [`Spill::write`] wrote.
    fn read(path: &std::path::Path) -> std::io::Result<Segment> {
        let data = std::fs::read(path)?;
        let word = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes"));
        let n = u64::from_le_bytes(data[..8].try_into().expect("8 bytes")) as usize;
        let entries = (0..n)
            .map(|i| {
                let at = 8 + i * 12;
                (word(at), word(at + 4), word(at + 8))
            })
            .collect();
        Ok(Segment::Memory {
            entries,
            bytes: data[8 + n * 12..].to_vec(),
            head: 0,
        })
    }
}

pub(super) const ROOT: u32 = u32::MAX;
/// The fewest states in a chunk of a parallel BFS; chunks grow from there until one takes about
/// [`CHUNK_TIME`] to expand (see [`Search::explore_parallel`]).
const MIN_CHUNK: usize = 64;
/// The most states in a chunk.
const MAX_CHUNK: usize = 1 << 14;
/// How long expanding a chunk should take: long enough that handing it out and waking a worker
/// (tens of microseconds) is a small part of it, short enough that a chunk's successors stay few.
const CHUNK_TIME: Duration = Duration::from_millis(2);
/// The search reads the clock (for the time and memory limits) once per this many steps.
const CLOCK_EVERY: u32 = 64;

/// How often the search reads its resident size against `max_memory`.
const MEMORY_CHECK_EVERY: Duration = Duration::from_millis(100);

/// The limits a search checks before each step or batch: time, Ctrl-C, memory.
struct Limits {
    start: Instant,
    timeout: Option<Duration>,
    memory_stop: Option<u64>,
    spill_at: Option<u64>,
    memory_checked: Instant,
    /// Calls to [`Limits::check`] so far.
    calls: u32,
}

impl Limits {
    fn new(opts: &CheckOptions, start: Instant) -> Self {
        let share = |f: f64| opts.max_memory.map(|m| (m as f64 * f) as u64);
        Self {
            start,
            timeout: opts.timeout,
            memory_stop: share(MEMORY_SEARCH_SHARE),
            spill_at: share(MEMORY_SPILL_SHARE),
            memory_checked: Instant::now(),
            calls: 0,
        }
    }

    fn check<S>(&mut self, frontier: &mut Frontier<S>, progress: &Progress) -> Result<(), Stopped> {
        if progress.is_cancelled() {
            return Err(Stopped(StopReason::Cancelled));
        }
        // A step of a small model takes a microsecond: the clock is read every few dozen.
        self.calls = self.calls.wrapping_add(1);
        if self.calls % CLOCK_EVERY != 1 {
            return Ok(());
        }
        if self.timeout.is_some_and(|t| self.start.elapsed() >= t) {
            return Err(Stopped(StopReason::Timeout));
        }
        // Reading the resident size costs a system call: a few times a second is enough
        // (a batch adds at most a few MB).
        if let (Some(stop), Some(spill_at)) = (self.memory_stop, self.spill_at) {
            if self.memory_checked.elapsed() >= MEMORY_CHECK_EVERY {
                self.memory_checked = Instant::now();
                let resident = resident_memory_bytes();
                if resident.is_some_and(|r| r >= stop) {
                    return Err(Stopped(StopReason::MemoryLimit));
                }
                // Nearing the limit, a packed frontier goes to disk but for a few full
                // segments.
                if resident.is_some_and(|r| r >= spill_at) {
                    frontier.spill_beyond(4 * SEGMENT_BYTES as u64);
                }
            }
        }
        Ok(())
    }
}

/// A state property as the engine evaluates it: kind, name, condition.
type StateProp<M> = (Kind, &'static str, super::Pred<M>);

/// The reachable graph as far as it was explored.
pub(super) struct Graph {
    index: FpIndex,
    pub fps: Vec<u64>,
    pub parent: Vec<u32>,
    /// Whether liveness is checked: only then are `depth`, `expanded`, `edges` and `exits`
    /// recorded (a safety check keeps 12 bytes per state besides the index).
    live: bool,
    /// The depth of each state (liveness only: it searches from its triggers by depth).
    pub depth: Vec<u32>,
    pub max_depth: u32,
    /// Whether the state's successors are known: false on the frontier of an incomplete search.
    /// Liveness judges only expanded states, those with a successor outside the model's boundary
    /// included (see [`Graph::exits`]). Liveness only.
    pub expanded: Vec<bool>,
    /// Non-stuttering transitions, recorded only for liveness, in compressed sparse rows.
    pub edges: Edges,
    /// Transitions out of the model's boundary `(from, fairness class)`, recorded only for
    /// liveness: not edges (their target is never judged), but an owed one still counts as
    /// enabled at `from`, so a run cannot stop there or neglect it for ever.
    pub exits: Vec<(u32, Option<u64>)>,
    /// Whether the boundary cut anything: an initial state or a transition outside it.
    pub cut: bool,
    /// The resident size the search may not pass (see [`MEMORY_SEARCH_SHARE`]).
    memory_stop: Option<u64>,
    /// Whether an initial state lay outside the boundary.
    pub init_outside: bool,
    /// Per liveness property: whether its trigger and its goal hold in each expanded state.
    pub from: Vec<Vec<bool>>,
    pub to: Vec<Vec<bool>>,
}

/// The liveness graph's transitions in compressed sparse rows, built as the search goes: the
/// transitions out of a state are merged together, so they are one run of `targets` (with their
/// `classes`), found by the state's `start` and `len`. Fairness classes are interned: an edge
/// costs 8 bytes (target and class id) where a `(u32, u32, Option<u64>)` costs 24, and the
/// analysis reads the rows in place instead of building a copy.
#[derive(Default)]
pub(super) struct Edges {
    start: Vec<u64>,
    len: Vec<u32>,
    targets: Vec<u32>,
    classes: Vec<u32>,
    /// Class id -> fairness class; [`NO_CLASS`] is an action owed to no one.
    class_values: Vec<u64>,
    class_ids: std::collections::HashMap<u64, u32>,
}

/// The class id of an unfair action (a crash, a loss).
const NO_CLASS: u32 = u32::MAX;

impl Edges {
    fn add_state(&mut self) {
        self.start.push(0);
        self.len.push(0);
    }

    /// The id of fairness class `class`, interned on first sight.
    fn class_id(&mut self, class: Option<u64>) -> u32 {
        let Some(c) = class else { return NO_CLASS };
        let next = u32::try_from(self.class_values.len())
            .ok()
            .filter(|&n| n < NO_CLASS)
            .expect("fewer than 2^32 - 1 fairness classes");
        *self.class_ids.entry(c).or_insert_with(|| {
            self.class_values.push(c);
            next
        })
    }

    /// Records the transitions out of `from` (each state once, when it is expanded).
    fn set_row(&mut self, from: u32, row: impl Iterator<Item = (u32, Option<u64>)>) {
        let start = self.targets.len();
        for (to, class) in row {
            let id = self.class_id(class);
            self.targets.push(to);
            self.classes.push(id);
        }
        self.start[from as usize] = start as u64;
        self.len[from as usize] =
            u32::try_from(self.targets.len() - start).expect("fewer than 2^32 transitions a state");
    }

    /// The fairness class of an interned id.
    pub fn class(&self, id: u32) -> Option<u64> {
        (id != NO_CLASS).then(|| self.class_values[id as usize])
    }

    /// The transitions out of `s`: target and fairness class.
    pub fn out(&self, s: u32) -> impl Iterator<Item = (u32, Option<u64>)> + '_ {
        let start = self.start[s as usize] as usize;
        let r = start..start + self.len[s as usize] as usize;
        self.targets[r.clone()]
            .iter()
            .zip(&self.classes[r])
            .map(|(&t, &c)| (t, self.class(c)))
    }

    /// The positions in [`Edges::target`] of the transitions out of `s`.
    pub fn row(&self, s: u32) -> std::ops::Range<usize> {
        let start = self.start[s as usize] as usize;
        start..start + self.len[s as usize] as usize
    }

    /// The target of the transition at position `at`.
    pub fn target(&self, at: usize) -> u32 {
        self.targets[at]
    }
}

/// What became of a state offered to the graph.
enum Admitted {
    /// New, with this index.
    New(u32),
    /// Known already, with this index (`u32::MAX` unless liveness is checked, which alone
    /// needs it).
    Known(u32),
    /// New, but the graph holds `max_states` states already.
    Full,
    /// New, but growing the graph for it would pass the memory limit.
    NoMemory,
}

impl Graph {
    fn new(n_live: usize) -> Self {
        Self {
            index: FpIndex::new(n_live > 0),
            fps: Vec::new(),
            parent: Vec::new(),
            live: n_live > 0,
            depth: Vec::new(),
            max_depth: 0,
            expanded: Vec::new(),
            edges: Edges::default(),
            exits: Vec::new(),
            cut: false,
            memory_stop: None,
            init_outside: false,
            from: vec![Vec::new(); n_live],
            to: vec![Vec::new(); n_live],
        }
    }

    /// Adds the state with fingerprint `fp` unless it is known or the graph is full.
    fn admit(&mut self, fp: u64, parent: u32, depth: u32, max_states: Option<u64>) -> Admitted {
        let full = max_states.is_some_and(|m| self.fps.len() as u64 >= m);
        match self.index.table.find(fp) {
            Ok(slot) => Admitted::Known(self.number(slot)),
            Err(_) if full => Admitted::Full,
            Err(_) if self.growth_would_pass_the_limit() => Admitted::NoMemory,
            Err(slot) => {
                let ix = u32::try_from(self.fps.len())
                    .ok()
                    .filter(|&ix| ix < ROOT)
                    .expect("at most 2^32 - 1 states");
                self.fps.push(fp);
                self.parent.push(parent);
                self.index.insert(slot, fp, ix);
                self.max_depth = self.max_depth.max(depth);
                if self.live {
                    self.depth.push(depth);
                    self.expanded.push(false);
                    self.edges.add_state();
                    for bits in self.from.iter_mut().chain(self.to.iter_mut()) {
                        bits.push(false);
                    }
                }
                Admitted::New(ix)
            }
        }
    }

    /// The index of the known state with fingerprint `fp` (`u32::MAX` unless liveness is
    /// checked, which alone needs it).
    fn known(&self, fp: u64) -> Option<u32> {
        self.index.table.find(fp).ok().map(|slot| self.number(slot))
    }

    /// The index of the state in the visited set's `slot` (`u32::MAX` unless liveness is
    /// checked).
    fn number(&self, slot: usize) -> u32 {
        match self.live {
            true => self.index.table.ix(slot),
            false => u32::MAX,
        }
    }

    /// Whether admitting one more state would grow the visited set (the per-state vectors or
    /// the index table, each doubling at once) past the memory the search may fill. The
    /// periodic reading of the resident size cannot see such a step coming: the index alone
    /// grows by hundreds of megabytes in one go on large checks.
    fn growth_would_pass_the_limit(&self) -> bool {
        let Some(stop) = self.memory_stop else {
            return false;
        };
        let mut growth = 0;
        if self.fps.len() == self.fps.capacity() {
            let per_state = if self.live { 8 + 4 + 4 + 1 } else { 8 + 4 };
            growth += self.fps.capacity().max(4) as u64 * per_state;
        }
        growth += self.index.growth_bytes();
        growth > 0 && resident_memory_bytes().is_some_and(|r| r + growth >= stop)
    }

    /// State indices from an initial state to `ix` along parent links.
    pub fn path_to(&self, mut ix: u32) -> Vec<u32> {
        let mut path = vec![ix];
        while self.parent[ix as usize] != ROOT {
            ix = self.parent[ix as usize];
            path.push(ix);
        }
        path.reverse();
        path
    }
}

/// A step that a check rejects: a step invariant (by index) or the refinement mapping.
#[derive(Clone, Copy)]
pub(super) enum StepCheck {
    Invariant(usize),
    Refinement,
}

/// What an edge of a recorded path must be when it is replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Via {
    /// Any action that reaches the next state.
    Any,
    /// An action of exactly this fairness class (`None`: an unfair one).
    Class(Option<u64>),
}

/// Where a property was decided.
#[derive(Clone)]
pub(super) enum Witness {
    /// A state (reached by the shortest path known).
    State(u32),
    /// A step out of a state that a step check rejects.
    Step(u32, StepCheck),
    /// An explicit path: each state with what the edge into it must be, and where the loop
    /// starts for a lasso.
    Path(Vec<(u32, Via)>, Option<usize>),
}

/// What a worker learns from expanding one state.
struct Expansion<S> {
    /// Per state property: does its condition hold here?
    holds: Vec<bool>,
    /// Per leads-to property: (trigger, goal).
    leads: Vec<(bool, bool)>,
    /// Per step check: does some step out of here break it?
    broken: Vec<bool>,
    /// Whether any action leads anywhere (a state without is a deadlock or a proper end).
    any_successor: bool,
    /// The fairness classes of the transitions that leave the model's boundary (one entry per
    /// transition; classes are `None` unless liveness is checked).
    exits: Vec<Option<u64>>,
    is_end: bool,
    succ: Vec<Succ<S>>,
    /// The packed bytes of the successors in [`Next::Packed`].
    packed: Vec<u8>,
    /// Coverage: the kind of every transition taken from here.
    kinds: Vec<String>,
    /// Transitions to states the graph knew, not in `succ` (a safety check needs no more).
    known: u64,
}

struct Succ<S> {
    fp: u64,
    /// The state, unless the graph knew it (this index) when it was made: a worker drops
    /// such a successor at once, where its memory is still hot in cache, and the merge needs
    /// only its index.
    state: Next<S>,
    class: Option<u64>,
}

/// A successor as the expansion hands it to the merge.
enum Next<S> {
    /// The graph knew it (this index) when it was made. Only a liveness check hands these
    /// to the merge; a safety check counts them in [`Expansion::known`].
    Known(u32),
    /// New to the graph when it was made: the state ...
    State(S),
    /// ... or, for a packed frontier on several threads, its packed bytes, at this range of
    /// [`Expansion::packed`] (the worker packs it, not the merging thread).
    Packed(std::ops::Range<usize>),
    /// New to the graph when it was made, but made earlier in the same chunk: by the time the
    /// merge, which follows the chunk's order, reaches it, the graph knows it.
    Again,
}

/// The fingerprints of the successors new to the graph made in one chunk of a parallel BFS, so
/// that a state reached from several states of the chunk is packed once.
type ChunkSeen = std::collections::HashSet<u64, std::hash::BuildHasherDefault<FpHasher>>;

/// A fingerprint is a well-mixed hash already: it hashes to itself.
#[derive(Default)]
struct FpHasher(u64);

impl std::hash::Hasher for FpHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, _: &[u8]) {
        unreachable!("only fingerprints are hashed")
    }

    fn write_u64(&mut self, fp: u64) {
        self.0 = fp;
    }
}

/// How a state is packed (see [`Compact`]).
type PackFn<S> = fn(&S, &mut Vec<u8>);

/// What a merge returns for the frontier: the successors new to the graph, and the bytes their
/// [`Fresh::Packed`] ranges point into.
type Merged<S> = (Vec<Entry<Fresh<S>>>, Vec<u8>);

/// A successor new to the graph, as the merge returns it for the frontier.
enum Fresh<S> {
    State(S),
    Packed(std::ops::Range<usize>),
}

/// What the search decides on the way, besides the graph.
struct Found {
    /// Per state property: the state that decides it (violates it, or for `sometimes` has it).
    state: Vec<Option<Witness>>,
    /// Per step check: the first step found that breaks it.
    step: Vec<Option<Witness>>,
    /// An initial state the refinement mapping rejects.
    refine_init: Option<Witness>,
    /// A state without successor that is no declared end.
    deadlock: Option<Witness>,
    /// Coverage: transitions explored per kind of action.
    fired: BTreeMap<String, u64>,
    /// Initial states and transitions explored.
    total: u64,
}

/// The search stopped before the frontier was empty: at `max_states`, at the timeout, at the
/// memory limit, or because the user cancelled it.
struct Stopped(StopReason);

/// Explores every reachable state (within the options' bounds) and decides every property.
pub fn check<M>(
    c: &Checkable<M>,
    opts: &CheckOptions,
    progress: &Progress,
) -> Result<Outcome<M>, CheckError>
where
    M: Model + Sync,
    M::State: Clone + Send + Sync,
    M::Action: Clone + Send,
{
    if opts.threads == 0 {
        return Err(CheckError::NoThreads);
    }
    if opts.symmetry && c.symmetry.is_none() {
        return Err(CheckError::NoSymmetry);
    }
    let live_wanted = !opts.safety_only && c.has_liveness();
    if opts.symmetry && live_wanted {
        return Err(CheckError::SymmetryWithLiveness);
    }
    if opts.frontier_memory.is_some() && c.compact.is_none() {
        return Err(CheckError::CannotSpill);
    }
    Ok(Search::new(c, opts, live_wanted).run(progress))
}

struct Search<'a, M: Model> {
    c: &'a Checkable<M>,
    opts: &'a CheckOptions,
    symmetry: bool,
    props: Vec<StateProp<M>>,
    live: Vec<LiveProp<M>>,
    /// Step checks in report order.
    steps: Vec<(&'static str, StepCheck)>,
}

impl<'a, M> Search<'a, M>
where
    M: Model + Sync,
    M::State: Clone + Send + Sync,
    M::Action: Clone + Send,
{
    fn new(c: &'a Checkable<M>, opts: &'a CheckOptions, live_wanted: bool) -> Self {
        let props: Vec<StateProp<M>> = c
            .model
            .properties()
            .into_iter()
            .filter(|p| live_wanted || p.expectation != Expectation::Eventually)
            .map(|p| {
                let kind = match p.expectation {
                    Expectation::Always => Kind::Always,
                    Expectation::Eventually => Kind::Eventually,
                    Expectation::Sometimes => Kind::Sometimes,
                };
                (kind, p.name, p.condition)
            })
            .collect();
        let mut live: Vec<LiveProp<M>> = Vec::new();
        if live_wanted {
            for (pi, p) in props.iter().enumerate() {
                if p.0 == Kind::Eventually {
                    live.push(LiveProp::eventually(p.1, pi));
                }
            }
            for (li, l) in c.leads_to.iter().enumerate() {
                live.push(LiveProp::leads_to(l.name, li));
            }
        }
        let mut steps: Vec<(&'static str, StepCheck)> = c
            .step_invariants
            .iter()
            .enumerate()
            .map(|(i, inv)| (inv.name, StepCheck::Invariant(i)))
            .collect();
        if c.refinement.is_some() {
            steps.push(("refinement", StepCheck::Refinement));
        }
        Self {
            c,
            opts,
            symmetry: opts.symmetry,
            props,
            live,
            steps,
        }
    }

    fn canonical(&self, state: M::State) -> M::State {
        match (self.symmetry, self.c.symmetry) {
            (true, Some(rep)) => rep(&state),
            _ => state,
        }
    }

    fn step_ok(&self, check: StepCheck, before: &M::State, after: &M::State) -> bool {
        match check {
            StepCheck::Invariant(i) => {
                (self.c.step_invariants[i].holds)(&self.c.model, before, after)
            }
            StepCheck::Refinement => self
                .c
                .refinement
                .as_ref()
                .is_none_or(|r| (r.step_ok)(before, after)),
        }
    }

    /// Expands `state` against the visited set as it stands; with `pack`, successors new to it
    /// are packed at once.
    ///
    /// Two passes: the first makes every successor and its fingerprint and prefetches the
    /// visited set's slot for it; the second looks them up. The lookups are the cache misses
    /// of a large check, and this way they overlap instead of waiting for each other.
    fn expand(
        &self,
        state: &M::State,
        index: &Table,
        pack: Option<PackFn<M::State>>,
        mut chunk: Option<&mut ChunkSeen>,
    ) -> Expansion<M::State> {
        let model = &self.c.model;
        let holds = self.props.iter().map(|p| (p.2)(model, state)).collect();
        let leads = self
            .c
            .leads_to
            .iter()
            .map(|l| (((l.from)(model, state)), (l.to)(model, state)))
            .collect();
        let mut broken = vec![false; self.steps.len()];
        let mut actions = Vec::new();
        model.actions(state, &mut actions);
        let mut made = Vec::with_capacity(actions.len());
        let mut kinds = Vec::new();
        let mut any_successor = false;
        let mut exits = Vec::new();
        let record_classes = !self.live.is_empty();
        for action in actions {
            let class = if record_classes {
                (self.c.fair_class)(&action)
            } else {
                None
            };
            let kind = self.opts.coverage.then(|| (self.c.action_kind)(&action));
            let Some(next) = model.next_state(state, action) else {
                continue;
            };
            any_successor = true;
            if !model.within_boundary(&next) {
                exits.push(class);
                continue;
            }
            for (k, (_, check)) in self.steps.iter().enumerate() {
                if !broken[k] && !self.step_ok(*check, state, &next) {
                    broken[k] = true;
                }
            }
            kinds.extend(kind);
            let next = self.canonical(next);
            let fp = (self.c.fingerprint)(&next);
            index.prefetch(fp);
            made.push((fp, next, class));
        }
        let mut succ = Vec::with_capacity(made.len());
        let mut packed = Vec::new();
        let mut known = 0;
        for (fp, next, class) in made {
            let state = match (index.find(fp), pack) {
                // Only the liveness graph needs the known state's index; a safety check only
                // counts the transition.
                (Ok(slot), _) if record_classes => Next::Known(index.ix(slot)),
                (Ok(_), _) => {
                    known += 1;
                    continue;
                }
                (Err(_), _) if chunk.as_mut().is_some_and(|seen| !seen.insert(fp)) => Next::Again,
                (Err(_), None) => Next::State(next),
                (Err(_), Some(pack)) => {
                    let start = packed.len();
                    pack(&next, &mut packed);
                    Next::Packed(start..packed.len())
                }
            };
            succ.push(Succ { fp, state, class });
        }
        let is_end = self.c.end_state.is_some_and(|end| end(model, state));
        Expansion {
            holds,
            leads,
            broken,
            any_successor,
            exits,
            is_end,
            succ,
            packed,
            kinds,
            known,
        }
    }

    /// Explores, then decides every property on what was explored.
    fn run(self, progress: &Progress) -> Outcome<M> {
        let start = Instant::now();
        let mut g = Graph::new(self.live.len());
        g.memory_stop = self
            .opts
            .max_memory
            .map(|m| (m as f64 * MEMORY_SEARCH_SHARE) as u64);
        let mut found = Found {
            state: vec![None; self.props.len()],
            step: vec![None; self.steps.len()],
            refine_init: None,
            deadlock: None,
            fired: BTreeMap::new(),
            total: 0,
        };
        let mut spilled = None;
        let explored = self.seed(&mut g, &mut found).and_then(|mut frontier| {
            let explored = self.explore(&mut g, &mut found, &mut frontier, start, progress);
            spilled = frontier.spilled();
            explored
        });
        let fairness = self.opts.fairness.unwrap_or(self.c.fairness);
        let properties = self.verdicts(&g, &found, fairness);
        let coverage = self.opts.coverage.then(|| Coverage {
            never_fired: self
                .c
                .action_kinds
                .iter()
                .filter(|k| !found.fired.contains_key(*k))
                .cloned()
                .collect(),
            fired: found.fired,
        });
        Outcome {
            complete: explored.is_ok(),
            stopped: explored.err().map(|Stopped(why)| why),
            bounded: properties.iter().any(|p| p.bounded),
            unique_states: g.fps.len() as u64,
            total_states: found.total,
            max_depth: g.max_depth as usize,
            seconds: start.elapsed().as_secs_f64(),
            fairness: (!self.live.is_empty()).then_some(fairness),
            properties,
            coverage,
            spilled,
        }
    }

    /// Admits the initial states inside the boundary, checking each against the refinement's
    /// initial states; returns the first frontier.
    fn seed(&self, g: &mut Graph, found: &mut Found) -> Result<Frontier<M::State>, Stopped> {
        let mut frontier = Frontier::new(self.c.compact);
        for init in self.c.model.init_states() {
            if !self.c.model.within_boundary(&init) {
                found.total += 1;
                g.cut = true;
                g.init_outside = true;
                continue;
            }
            let refines = self
                .c
                .refinement
                .as_ref()
                .is_none_or(|r| (r.init_ok)(&init));
            let init = self.canonical(init);
            let fp = (self.c.fingerprint)(&init);
            match g.admit(fp, ROOT, 0, self.opts.max_states) {
                Admitted::New(ix) => {
                    if !refines && found.refine_init.is_none() {
                        found.refine_init = Some(Witness::State(ix));
                    }
                    frontier.push((ix, 0, init));
                }
                Admitted::Known(_) => {}
                Admitted::Full => return Err(Stopped(StopReason::MaxStates)),
                Admitted::NoMemory => return Err(Stopped(StopReason::MemoryLimit)),
            }
            found.total += 1;
        }
        Ok(frontier)
    }

    /// Expands the frontier until it is empty or a limit stops the search: a state at a time
    /// on one thread (BFS or DFS), or in batches on several (BFS).
    fn explore(
        &self,
        g: &mut Graph,
        found: &mut Found,
        frontier: &mut Frontier<M::State>,
        start: Instant,
        progress: &Progress,
    ) -> Result<(), Stopped> {
        if let Some(budget) = self.opts.frontier_memory {
            frontier.spill_beyond(budget);
        }
        let mut limits = Limits::new(self.opts, start);
        if self.opts.threads > 1 && self.opts.strategy == Strategy::Bfs {
            return self.explore_parallel(g, found, frontier, &mut limits, progress);
        }
        while !frontier.is_empty() {
            limits.check(frontier, progress)?;
            // One state at a time: its successors are judged and dropped while still in
            // cache, and the allocator reuses their memory at once.
            let (ix, depth, state) = match self.opts.strategy {
                Strategy::Bfs => frontier.pop_front(),
                Strategy::Dfs => frontier.pop_back(),
            }
            .expect("frontier is not empty");
            let exp = self.expand(&state, &g.index.table, None, None);
            drop(state);
            let (fresh, _) = self.merge(g, found, ix, depth, exp)?;
            let fresh = fresh.into_iter().map(|(ix, depth, f)| match f {
                Fresh::State(s) => (ix, depth, s),
                Fresh::Packed(_) => unreachable!("one thread expands states unpacked"),
            });
            match self.opts.strategy {
                Strategy::Bfs => fresh.for_each(|e| frontier.push(e)),
                // Reversed so that the first action is explored first.
                Strategy::Dfs => fresh.rev().for_each(|e| frontier.push(e)),
            }
            self.report(g, found, frontier, progress);
        }
        Ok(())
    }

    /// BFS on `threads` threads: the calling thread merges, `threads - 1` workers expand.
    ///
    /// The frontier is cut into chunks, in order; each worker keeps up to two chunks queued, so
    /// it never waits for the merge, and expands them against the visited set as it stands
    /// (read while the merge writes it, see [`FpIndex`]), dropping the successors it knows
    /// where it made them. The calling thread merges the expansions strictly in frontier
    /// order, so numbering, counts and traces are those of one thread; while the chunk it must
    /// merge next is still being expanded, it expands the next chunk of the frontier itself.
    /// A chunk is sized to take about [`CHUNK_TIME`] (at least [`MIN_CHUNK`] states): a few dozen
    /// states of a large actor model, thousands of a small abstract spec, whose states take a
    /// microsecond each. How the frontier is cut and who expands what changes only the
    /// pre-filter: the merge decides every state, so no count or trace depends on it.
    fn explore_parallel(
        &self,
        g: &mut Graph,
        found: &mut Found,
        frontier: &mut Frontier<M::State>,
        limits: &mut Limits,
        progress: &Progress,
    ) -> Result<(), Stopped> {
        use std::sync::mpsc;
        /// A chunk's states (index, depth), their expansions, and how long they took.
        type Expanded<S> = (Vec<(u32, u32)>, Vec<Expansion<S>>, Duration);
        /// A chunk being expanded, in frontier order: by a worker, or done already.
        enum InFlight<S> {
            Worker(usize),
            Done(Expanded<S>),
        }
        let workers = self.opts.threads - 1;
        let compact = frontier.compact;
        // A packed frontier hands out bytes: workers unpack the states and pack the new
        // successors, so the merging thread only copies bytes.
        let expand_part = |part: Part<M::State>, table: &Table| -> Expanded<M::State> {
            let began = Instant::now();
            let mut seen = ChunkSeen::default();
            let (meta, exps) = match part {
                Part::States(part) => {
                    let exps = part
                        .iter()
                        .map(|(_, _, s)| self.expand(s, table, None, Some(&mut seen)))
                        .collect();
                    (part.into_iter().map(|(ix, d, _)| (ix, d)).collect(), exps)
                }
                Part::Packed(meta, bytes) => {
                    let c = compact.expect("a packed part comes from a packed frontier");
                    let mut at = 0;
                    let exps = meta
                        .iter()
                        .map(|&(_, _, len)| {
                            let state = (c.unpack)(&bytes[at..at + len as usize]);
                            at += len as usize;
                            self.expand(&state, table, Some(c.pack), Some(&mut seen))
                        })
                        .collect();
                    (meta.into_iter().map(|(ix, d, _)| (ix, d)).collect(), exps)
                }
            };
            (meta, exps, began.elapsed())
        };
        let take = |frontier: &mut Frontier<M::State>, k: usize| -> Part<M::State> {
            match compact {
                None => Part::States((0..k).filter_map(|_| frontier.pop_front()).collect()),
                Some(_) => {
                    let mut bytes = Vec::new();
                    let meta = (0..k)
                        .filter_map(|_| frontier.pop_front_packed(&mut bytes))
                        .collect();
                    Part::Packed(meta, bytes)
                }
            }
        };
        std::thread::scope(|scope| {
            let mut jobs = Vec::new();
            let mut results = Vec::new();
            for _ in 0..workers {
                let (job_tx, job_rx) = mpsc::channel::<(Part<M::State>, Arc<Table>)>();
                let (res_tx, res_rx) = mpsc::channel::<Expanded<M::State>>();
                let expand_part = &expand_part;
                scope.spawn(move || {
                    for (part, table) in job_rx {
                        if res_tx.send(expand_part(part, &table)).is_err() {
                            break;
                        }
                    }
                });
                jobs.push(job_tx);
                results.push(res_rx);
            }
            let explored = (|| {
                let mut chunk = MIN_CHUNK;
                let mut queued = vec![0usize; workers];
                let mut in_flight: VecDeque<InFlight<M::State>> = VecDeque::new();
                loop {
                    limits.check(frontier, progress)?;
                    // Keep every worker two chunks ahead.
                    while !frontier.is_empty() {
                        let Some(w) = (0..workers)
                            .filter(|&w| queued[w] < 2)
                            .min_by_key(|&w| queued[w])
                        else {
                            break;
                        };
                        let part = take(frontier, chunk);
                        jobs[w]
                            .send((part, Arc::clone(&g.index.table)))
                            .expect("workers live as long as the search");
                        queued[w] += 1;
                        in_flight.push_back(InFlight::Worker(w));
                    }
                    let (meta, exps, took) = match in_flight.pop_front() {
                        None => break,
                        Some(InFlight::Done(expanded)) => expanded,
                        Some(InFlight::Worker(w)) => {
                            // Chunks this thread expanded, waiting to be merged: a few at most,
                            // so that a worker held up (a busy machine) cannot make this
                            // thread expand the whole frontier into memory ahead of it.
                            let own = in_flight
                                .iter()
                                .filter(|f| matches!(f, InFlight::Done(_)))
                                .count();
                            let res = match results[w].try_recv() {
                                Ok(res) => res,
                                // Busy: expand the next chunk here meanwhile.
                                Err(mpsc::TryRecvError::Empty)
                                    if !frontier.is_empty() && own < 2 =>
                                {
                                    in_flight.push_front(InFlight::Worker(w));
                                    let part = take(frontier, chunk);
                                    let done = expand_part(part, &g.index.table);
                                    in_flight.push_back(InFlight::Done(done));
                                    continue;
                                }
                                Err(_) => results[w]
                                    .recv()
                                    .expect("workers live as long as the search"),
                            };
                            queued[w] -= 1;
                            res
                        }
                    };
                    // The next chunks' size, from how long this one took.
                    let per_state = took.as_secs_f64() / meta.len().max(1) as f64;
                    chunk = ((CHUNK_TIME.as_secs_f64() / per_state.max(1e-9)) as usize)
                        .clamp(MIN_CHUNK, MAX_CHUNK);
                    for ((ix, depth), exp) in meta.into_iter().zip(exps) {
                        let (fresh, packed) = self.merge(g, found, ix, depth, exp)?;
                        for (ix, depth, f) in fresh {
                            match f {
                                Fresh::State(s) => frontier.push((ix, depth, s)),
                                Fresh::Packed(r) => frontier.push_packed(ix, depth, &packed[r]),
                            }
                        }
                    }
                    self.report(g, found, frontier, progress);
                }
                Ok(())
            })();
            drop(jobs);
            explored
        })
    }

    /// Publishes the search's figures for the progress line.
    fn report(&self, g: &Graph, found: &Found, frontier: &Frontier<M::State>, progress: &Progress) {
        progress.total.store(found.total, Relaxed);
        progress.unique.store(g.fps.len() as u64, Relaxed);
        progress.queue.store(frontier.len() as u64, Relaxed);
        if let Some(depth) = frontier.front_depth() {
            progress.depth.fetch_max(u64::from(depth), Relaxed);
        }
    }

    /// Records what expanding state `ix` found and returns its successors new to the graph.
    /// At the first new successor beyond `max_states` the search stops, exactly at the limit
    /// and, since merging follows frontier order, at the same state for any thread count;
    /// `ix` then stays unexpanded (liveness does not judge it).
    fn merge(
        &self,
        g: &mut Graph,
        found: &mut Found,
        ix: u32,
        depth: u32,
        mut exp: Expansion<M::State>,
    ) -> Result<Merged<M::State>, Stopped> {
        self.record(found, ix, &mut exp);
        let i = ix as usize;
        for (k, l) in self.live.iter().enumerate() {
            let (from, to) = l.eval(&exp.holds, &exp.leads, g.parent[i] == ROOT);
            g.from[k][i] = from;
            g.to[k][i] = to;
        }
        let live = !self.live.is_empty();
        g.cut |= !exp.exits.is_empty();
        if live {
            g.exits.extend(exp.exits.iter().map(|&class| (ix, class)));
        }
        let depth = depth + 1;
        let mut fresh = Vec::new();
        let mut row = Vec::new();
        for s in exp.succ {
            let state = match s.state {
                Next::Known(known) => Err(known),
                Next::Again => Err(g.known(s.fp).expect("admitted earlier in the chunk")),
                Next::State(state) => Ok(Fresh::State(state)),
                Next::Packed(range) => Ok(Fresh::Packed(range)),
            };
            let child = match state {
                Err(known) => known,
                Ok(state) => match g.admit(s.fp, ix, depth, self.opts.max_states) {
                    Admitted::New(child) => {
                        fresh.push((child, depth, state));
                        child
                    }
                    Admitted::Known(child) => child,
                    Admitted::Full => return Err(Stopped(StopReason::MaxStates)),
                    Admitted::NoMemory => return Err(Stopped(StopReason::MemoryLimit)),
                },
            };
            found.total += 1;
            // A step back to the same state is a stutter: it changes nothing and owes
            // nothing, so liveness ignores it.
            if live && child != ix {
                row.push((child, s.class));
            }
        }
        found.total += exp.known;
        if live {
            g.edges.set_row(ix, row.into_iter());
            g.expanded[i] = true;
        }
        Ok((fresh, exp.packed))
    }

    /// Records the safety findings of expanding state `ix`: the state properties it decides,
    /// the step checks a step out of it breaks, a deadlock, and the kinds of its transitions.
    fn record(&self, found: &mut Found, ix: u32, exp: &mut Expansion<M::State>) {
        for (pi, holds) in exp.holds.iter().enumerate() {
            let decided = match self.props[pi].0 {
                Kind::Always => !holds,
                Kind::Sometimes => *holds,
                Kind::Eventually | Kind::LeadsTo => false,
            };
            if decided && found.state[pi].is_none() {
                found.state[pi] = Some(Witness::State(ix));
            }
        }
        for (k, broken) in exp.broken.iter().enumerate() {
            if *broken && found.step[k].is_none() {
                found.step[k] = Some(Witness::Step(ix, self.steps[k].1));
            }
        }
        if self.opts.deadlock && !exp.any_successor && !exp.is_end && found.deadlock.is_none() {
            found.deadlock = Some(Witness::State(ix));
        }
        for kind in std::mem::take(&mut exp.kinds) {
            *found.fired.entry(kind).or_default() += 1;
        }
    }

    /// The verdict on every property, in report order: state properties (liveness judged on
    /// the graph), leads-to, step checks, deadlock.
    fn verdicts(&self, g: &Graph, found: &Found, fairness: Fairness) -> Vec<PropertyOutcome<M>> {
        let live: Vec<Judgement> = match self.live.is_empty() {
            true => Vec::new(),
            false => {
                let analysis = liveness::Analysis::new(g, fairness);
                let judge = |(k, l): (usize, &LiveProp<M>)| analysis.judge(k, l.kind);
                self.live.iter().enumerate().map(judge).collect()
            }
        };
        // A state property, step check or deadlock that holds (or a `sometimes` not found)
        // is bounded as soon as the boundary cut anything: the states beyond were not looked at.
        let decided = |wit: &Option<Witness>| match wit {
            Some(w) => Judgement::Violated(w.clone()),
            None => Judgement::Holds { bounded: g.cut },
        };
        let mut out = Vec::new();
        for (pi, (kind, name, _)) in self.props.iter().enumerate() {
            let judgement = match kind {
                Kind::Eventually => {
                    let k = self.live.iter().position(|l| l.state_prop == Some(pi));
                    live[k.expect("every eventually property is judged")].clone()
                }
                _ => decided(&found.state[pi]),
            };
            out.push(self.verdict(g, name, *kind, judgement));
        }
        for (k, l) in self.live.iter().enumerate() {
            if l.kind == Kind::LeadsTo {
                out.push(self.verdict(g, l.name, Kind::LeadsTo, live[k].clone()));
            }
        }
        for (k, (name, check)) in self.steps.iter().enumerate() {
            let wit = match check {
                StepCheck::Refinement => found.refine_init.clone().or(found.step[k].clone()),
                StepCheck::Invariant(_) => found.step[k].clone(),
            };
            out.push(self.verdict(g, name, Kind::Always, decided(&wit)));
        }
        if self.opts.deadlock {
            out.push(self.verdict(g, "deadlock", Kind::Always, decided(&found.deadlock)));
        }
        out
    }

    /// One property's verdict, its witness replayed as a trace.
    fn verdict(
        &self,
        g: &Graph,
        name: &'static str,
        kind: Kind,
        judgement: Judgement,
    ) -> PropertyOutcome<M> {
        let (status, wit, bounded) = match (kind, judgement) {
            (Kind::Sometimes, Judgement::Violated(w)) => (Status::Found, Some(w), false),
            (Kind::Sometimes, Judgement::Holds { bounded }) => (Status::NotFound, None, bounded),
            (_, Judgement::Violated(w)) => (Status::Violated, Some(w), false),
            (_, Judgement::Holds { bounded }) => (Status::Holds, None, bounded),
        };
        PropertyOutcome {
            name,
            kind,
            status,
            bounded,
            trace: wit.map(|w| self.replay(g, w)),
        }
    }

    /// Turns a witness into a concrete run: from an initial state, at each step the first
    /// action (of the required fairness class, if any) whose canonical successor has the next
    /// fingerprint on the recorded path.
    fn replay(&self, g: &Graph, wit: Witness) -> Trace<M> {
        let (path, broken, loop_start) = match wit {
            Witness::State(ix) => (with_any_class(g.path_to(ix)), None, None),
            Witness::Step(ix, check) => (with_any_class(g.path_to(ix)), Some(check), None),
            Witness::Path(path, loop_start) => (path, None, loop_start),
        };
        let first_fp = g.fps[path[0].0 as usize];
        let (init_index, init) = self
            .c
            .model
            .init_states()
            .into_iter()
            .enumerate()
            .find(|(_, s)| (self.c.fingerprint)(&self.canonical(s.clone())) == first_fp)
            .expect("the recorded path starts at an initial state");
        let mut trace = Trace {
            init_index,
            init,
            steps: Vec::new(),
            loop_start,
        };
        for &(ix, via) in &path[1..] {
            let want = g.fps[ix as usize];
            let step = self
                .first_step(trace.last(), |a, _, next| {
                    let class_ok = match via {
                        Via::Any => true,
                        Via::Class(c) => (self.c.fair_class)(a) == c,
                    };
                    class_ok && (self.c.fingerprint)(&self.canonical(next.clone())) == want
                })
                .expect("every recorded edge can be replayed");
            trace.steps.push(step);
        }
        if let Some(check) = broken {
            // Under symmetry the concrete state may be a permutation of the stored one, so the
            // offending action is found again rather than taken from the stored index.
            let step = self
                .first_step(trace.last(), |_, here, next| {
                    !self.step_ok(check, here, next)
                })
                .expect("the broken step can be replayed");
            trace.steps.push(step);
        }
        trace
    }

    /// The first action of `here` (in `actions()` order) whose step satisfies `pick`.
    fn first_step(
        &self,
        here: &M::State,
        pick: impl Fn(&M::Action, &M::State, &M::State) -> bool,
    ) -> Option<(M::Action, usize, M::State)> {
        let mut actions = Vec::new();
        self.c.model.actions(here, &mut actions);
        actions.into_iter().enumerate().find_map(|(ai, a)| {
            let next = self.c.model.next_state(here, a.clone())?;
            pick(&a, here, &next).then_some((a, ai, next))
        })
    }
}

fn with_any_class(path: Vec<u32>) -> Vec<(u32, Via)> {
    path.into_iter().map(|ix| (ix, Via::Any)).collect()
}

impl<M> Checkable<M>
where
    M: Model + Sync,
    M::State: Clone + Send + Sync,
    M::Action: Clone + Send,
{
    /// See [`check`].
    pub fn check(
        &self,
        opts: &CheckOptions,
        progress: &Progress,
    ) -> Result<Outcome<M>, CheckError> {
        check(self, opts, progress)
    }
}
