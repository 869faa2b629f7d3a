//! A seeded fault schedule for the simulator, after Jepsen's nemesis and TigerBeetle's VOPR.
//!
//! A run has three phases:
//!
//! 1. **Faulty**, for at most [`Faults::faulty_steps`] polls: the network drops, duplicates and
//!    delays messages at the rates of [`Faults`] (reordering comes with the delays on unordered
//!    networks), and before each step, with chance [`Faults::fault_per_mille`], the nemesis
//!    crashes an actor, recovers one, partitions the network in two or heals it. The phase also
//!    ends early when the system falls quiet (nothing can happen until a recovery or a heal).
//! 2. **Healing**: the partition is healed, the rates drop to zero loss, zero duplication and
//!    short latency, and every crashed actor recovers, one step each.
//! 3. **Quiet**: the system runs fault-free for at most [`Faults::quiet_steps`] steps or until it
//!    falls quiet. A protocol that promises liveness must reach its goal here.
//!
//! Everything the nemesis does is a model action or invisible to the model: crashes and
//! recoveries are the model's `Crash` and `Recover` (never more than [`SystemCfg::crashes`] at
//! once, which [`Sim::crash`] enforces), drops happen only on a lossy network and duplicates
//! only on a duplicating one (the simulator enforces both), delays and held messages are
//! messages staying in flight, and a partition is delays or drops (see [`crate::sim`]). So every
//! run it produces replays through the model ([`crate::validate`]).
//!
//! The nemesis draws from its own [`SplitMix64`], seeded from the run's seed, so a run is a
//! function of the actors, the configuration, the seed and the [`Faults`].

use crate::sim::{Sim, SimCfg};
use models::common::SystemCfg;
use models::rng::SplitMix64;
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Id};

/// How aggressive a fault schedule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Faults {
    /// Polls in the faulty phase (steps and fault events). 0: no faulty phase.
    pub faulty_steps: usize,
    /// Most steps of the quiet phase, after healing. A sensible value is a few times the longest
    /// fault-free run of the protocol.
    pub quiet_steps: usize,
    /// Chance per mille, before each step of the faulty phase, of a crash, recovery, partition
    /// or heal, in `0..=1000`.
    pub fault_per_mille: u32,
    /// Message latency in the faulty phase, milliseconds, `lo..=hi`; the quiet phase uses
    /// [`QUIET_LATENCY_MS`].
    pub latency_ms: (u64, u64),
    /// Chance per mille that an arrival is lost (lossy networks only), `0..=1000`.
    pub drop_per_mille: u32,
    /// Chance per mille that a send is duplicated (duplicating networks only), `0..=1000`.
    pub dup_per_mille: u32,
    /// Whether the nemesis crashes actors (within [`SystemCfg::crashes`]).
    pub crash: bool,
    /// Whether the nemesis partitions the network.
    pub partition: bool,
}

/// Message latency of the quiet phase, milliseconds.
pub const QUIET_LATENCY_MS: (u64, u64) = (1, 10);

/// The seed of the nemesis's own generator is the run's seed mixed with this constant, so its
/// draws are independent of the simulator's.
const NEMESIS_SALT: u64 = 0x4E45_4D45_5349_5321;

impl Faults {
    /// No faults: a plain run with the quiet phase's latency.
    pub const NONE: Faults = Faults {
        faulty_steps: 0,
        quiet_steps: 5_000,
        fault_per_mille: 0,
        latency_ms: QUIET_LATENCY_MS,
        drop_per_mille: 0,
        dup_per_mille: 0,
        crash: false,
        partition: false,
    };

    /// Every kind of fault at moderate rates.
    pub const DEFAULT: Faults = Faults {
        faulty_steps: 100,
        quiet_steps: 5_000,
        fault_per_mille: 100,
        latency_ms: (1, 60),
        drop_per_mille: 100,
        dup_per_mille: 200,
        crash: true,
        partition: true,
    };

    /// Every kind of fault, often, with long delays.
    pub const HEAVY: Faults = Faults {
        faulty_steps: 300,
        quiet_steps: 5_000,
        fault_per_mille: 300,
        latency_ms: (1, 600),
        drop_per_mille: 300,
        dup_per_mille: 400,
        crash: true,
        partition: true,
    };

    /// The level names accepted on the command line.
    pub const NAMES: [&'static str; 3] = ["none", "default", "heavy"];

    /// The schedule for a level name (see [`Faults::NAMES`]).
    pub fn named(name: &str) -> Option<Faults> {
        match name {
            "none" => Some(Self::NONE),
            "default" => Some(Self::DEFAULT),
            "heavy" => Some(Self::HEAVY),
            _ => None,
        }
    }

    /// The simulator settings a run with `seed` starts with.
    pub fn sim_cfg(&self, seed: u64) -> SimCfg {
        let faulty = self.faulty_steps > 0;
        SimCfg {
            seed,
            max_steps: usize::MAX,
            latency_ms: if faulty {
                self.latency_ms
            } else {
                QUIET_LATENCY_MS
            },
            drop_per_mille: if faulty { self.drop_per_mille } else { 0 },
            dup_per_mille: if faulty { self.dup_per_mille } else { 0 },
        }
    }
}

/// The phase a run is in; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    Faulty,
    Healing,
    Quiet,
    Done,
}

/// What one [`Nemesis::poll`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Something happened (a step, a fault, a heal); the trace grew by at most one step.
    Progress,
    /// The run is over: the quiet phase used its budget or the system fell quiet.
    Done,
}

/// A nemesis event that is no model step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Note {
    /// The network was cut between these actors and all others.
    Partition(Vec<Id>),
    /// The partition ended.
    Heal,
}

/// How many faults of each kind a run saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaultCounts {
    pub crashes: usize,
    pub recoveries: usize,
    pub partitions: usize,
    pub heals: usize,
}

/// A seeded fault schedule driving one [`Sim`]; see the module documentation.
pub struct Nemesis {
    faults: Faults,
    system: SystemCfg,
    rng: SplitMix64,
    phase: Phase,
    polls: usize,
    quiet_steps: usize,
    /// Each partition and heal, which leave no step in the trace, with the trace length then.
    notes: Vec<(usize, Note)>,
    counts: FaultCounts,
    stopped_at: Option<usize>,
}

impl Nemesis {
    /// The schedule of the run with `seed`, for a system with settings `system`.
    pub fn new(seed: u64, faults: Faults, system: SystemCfg) -> Self {
        Self {
            faults,
            system,
            rng: SplitMix64::new(seed ^ NEMESIS_SALT),
            phase: if faults.faulty_steps > 0 {
                Phase::Faulty
            } else {
                Phase::Quiet
            },
            polls: 0,
            quiet_steps: 0,
            notes: Vec::new(),
            counts: FaultCounts::default(),
            stopped_at: (faults.faulty_steps == 0).then_some(0),
        }
    }

    /// The phase the run is in.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Partitions and heals, each with the trace length at which it happened.
    pub fn notes(&self) -> &[(usize, Note)] {
        &self.notes
    }

    /// The trace length when the faulty phase ended, once it has.
    pub fn stopped_at(&self) -> Option<usize> {
        self.stopped_at
    }

    /// The faults injected so far.
    pub fn counts(&self) -> FaultCounts {
        self.counts
    }

    /// Does the next thing: a fault, a step, a heal or a recovery, or nothing at the end.
    pub fn poll<A: Actor>(&mut self, sim: &mut Sim<A>) -> Poll {
        loop {
            match self.phase {
                Phase::Faulty => {
                    if self.polls >= self.faults.faulty_steps {
                        self.begin_healing(sim);
                        continue;
                    }
                    self.polls += 1;
                    if self.rng.per_mille(self.faults.fault_per_mille) && self.inject(sim) {
                        return Poll::Progress;
                    }
                    if sim.step() {
                        return Poll::Progress;
                    }
                    // Quiet before its time: only a recovery or a heal could restart it.
                    self.begin_healing(sim);
                }
                Phase::Healing => {
                    let crashed = (0..sim.actor_states().len())
                        .map(Id::from)
                        .find(|&id| sim.is_crashed(id));
                    match crashed {
                        Some(id) => {
                            sim.recover(id);
                            self.counts.recoveries += 1;
                            return Poll::Progress;
                        }
                        None => self.phase = Phase::Quiet,
                    }
                }
                Phase::Quiet => {
                    if self.quiet_steps < self.faults.quiet_steps && sim.step() {
                        self.quiet_steps += 1;
                        return Poll::Progress;
                    }
                    self.phase = Phase::Done;
                }
                Phase::Done => return Poll::Done,
            }
        }
    }

    /// Ends the faulty phase: heals, and turns the rates down.
    fn begin_healing<A: Actor>(&mut self, sim: &mut Sim<A>) {
        self.stopped_at = Some(sim.trace().len());
        if sim.heal() {
            self.note(sim, Note::Heal);
            self.counts.heals += 1;
        }
        sim.set_rates(QUIET_LATENCY_MS, 0, 0)
            .expect("the quiet rates are valid");
        self.phase = Phase::Healing;
    }

    /// Injects one fault the configuration allows, chosen uniformly; false if none is allowed.
    fn inject<A: Actor>(&mut self, sim: &mut Sim<A>) -> bool {
        let n = sim.actor_states().len();
        let ids = || (0..n).map(Id::from);
        let crashed: Vec<Id> = ids().filter(|&id| sim.is_crashed(id)).collect();
        let up: Vec<Id> = ids().filter(|&id| !sim.is_crashed(id)).collect();
        let mut options: Vec<u8> = Vec::new();
        if self.faults.crash && crashed.len() < self.system.crashes && !up.is_empty() {
            options.push(0);
        }
        if !crashed.is_empty() {
            options.push(1);
        }
        if self.faults.partition && n >= 2 {
            options.push(if sim.is_partitioned() { 3 } else { 2 });
        }
        if options.is_empty() {
            return false;
        }
        match options[self.rng.index(options.len())] {
            0 => {
                let id = up[self.rng.index(up.len())];
                if sim.crash(id) {
                    self.counts.crashes += 1;
                }
            }
            1 => {
                let id = crashed[self.rng.index(crashed.len())];
                if sim.recover(id) {
                    self.counts.recoveries += 1;
                }
            }
            2 => {
                let mut side: Vec<bool> = (0..n).map(|_| self.rng.below(2) == 1).collect();
                if side.iter().all(|&s| s == side[0]) {
                    let flip = self.rng.index(n);
                    side[flip] = !side[flip];
                }
                let ids: Vec<Id> = ids().filter(|id| side[usize::from(*id)]).collect();
                sim.partition(&ids);
                self.note(sim, Note::Partition(ids));
                self.counts.partitions += 1;
            }
            _ => {
                sim.heal();
                self.note(sim, Note::Heal);
                self.counts.heals += 1;
            }
        }
        true
    }

    fn note<A: Actor>(&mut self, sim: &Sim<A>, note: Note) {
        self.notes.push((sim.trace().len(), note));
    }
}
