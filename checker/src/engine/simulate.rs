//! Random walks: the same properties as the exhaustive check, judged on sampled runs.

use super::{Checkable, Fairness, Kind, Outcome, PropertyOutcome, SimOptions, Status, Trace};
use models::rng::SplitMix64;
use stateright::{Expectation, Model, Property};
use std::collections::HashSet;
use std::time::Instant;

/// One verdict slot per reported property.
struct Slot<M: Model> {
    name: &'static str,
    kind: Kind,
    status: Status,
    trace: Option<Trace<M>>,
}

/// The verdicts of the walks so far, one slot per reported property.
struct Slots<M: Model>(Vec<Slot<M>>);

impl<M: Model> Slots<M>
where
    M::State: Clone,
    M::Action: Clone,
{
    /// Decides slot `i` with `trace` (copied), unless a walk decided it before.
    fn record(&mut self, i: usize, status: Status, trace: &Trace<M>) {
        let slot = &mut self.0[i];
        if slot.trace.is_none() {
            slot.status = status;
            slot.trace = Some(trace.clone_trace());
        }
    }
}

/// A step a walk may take.
struct Move<M: Model> {
    action: M::Action,
    /// The action's index in `actions()`.
    index: usize,
    next: M::State,
    /// Whether the state changes.
    moved: bool,
    class: Option<u64>,
}

/// The successors of a state a walk may take, and what else is possible there.
struct Moves<M: Model> {
    /// The steps that stay inside the boundary.
    inside: Vec<Move<M>>,
    /// Whether any action leads anywhere (inside the boundary or not).
    any: bool,
    /// Whether an action that leaves the boundary must be taken: owed (or, without fairness,
    /// any at all). The walk cannot follow it, but a run may not stop here either.
    owed_exit: bool,
}

/// Random walks from the initial states. Each walk checks the state properties on every state
/// and the step checks (step invariants, refinement) on every step it takes; it ends after
/// `depth` steps or at a state where the run may stop (no owed action left, see
/// [`super::liveness`]); there an `eventually` goal never met on the walk, or a leads-to whose
/// trigger was met without its goal after it, is a violation, and a state with no successor at
/// all that is not a declared end is a deadlock. A walk also ends where only steps out of the
/// model's boundary remain, with no verdict if one of them is owed. Traces are the walks
/// themselves, so not necessarily the shortest; cycles are not detected.
pub fn simulate<M>(c: &Checkable<M>, opts: &SimOptions) -> Outcome<M>
where
    M: Model,
    M::State: Clone,
    M::Action: Clone,
{
    let start = Instant::now();
    let mut sim = Sim::new(c);
    let mut rng = SplitMix64::new(opts.seed);
    let inits = c.model.init_states();
    let mut max_depth = 0usize;
    for _ in 0..opts.runs {
        if inits.is_empty() {
            break;
        }
        let init_index = rng.index(inits.len());
        let walk = Trace {
            init_index,
            init: inits[init_index].clone(),
            steps: Vec::new(),
            loop_start: None,
        };
        max_depth = max_depth.max(sim.walk(walk, opts.depth, &mut rng));
    }
    Outcome {
        complete: false,
        stopped: None,
        bounded: false,
        unique_states: sim.seen.len() as u64,
        total_states: sim.total,
        max_depth,
        spilled: None,
        seconds: start.elapsed().as_secs_f64(),
        fairness: Some(c.fairness),
        properties: sim
            .slots
            .0
            .into_iter()
            .map(|s| PropertyOutcome {
                name: s.name,
                kind: s.kind,
                status: s.status,
                bounded: false,
                trace: s.trace,
            })
            .collect(),
        coverage: None,
    }
}

/// The walks' shared verdicts and counters.
struct Sim<'a, M: Model> {
    c: &'a Checkable<M>,
    props: Vec<Property<M>>,
    /// The state properties' slots, then the leads-to, the step invariants, the refinement
    /// (if any) and deadlock.
    slots: Slots<M>,
    seen: HashSet<u64>,
    total: u64,
}

impl<'a, M> Sim<'a, M>
where
    M: Model,
    M::State: Clone,
    M::Action: Clone,
{
    fn new(c: &'a Checkable<M>) -> Self {
        let props = c.model.properties();
        let slots = props
            .iter()
            .map(|p| {
                let kind = match p.expectation {
                    Expectation::Always => Kind::Always,
                    Expectation::Eventually => Kind::Eventually,
                    Expectation::Sometimes => Kind::Sometimes,
                };
                (p.name, kind)
            })
            .chain(c.leads_to.iter().map(|l| (l.name, Kind::LeadsTo)))
            .chain(c.step_invariants.iter().map(|i| (i.name, Kind::Always)))
            .chain(c.refinement.iter().map(|_| ("refinement", Kind::Always)))
            .chain(std::iter::once(("deadlock", Kind::Always)))
            .map(|(name, kind)| Slot {
                name,
                kind,
                status: if kind == Kind::Sometimes {
                    Status::NotFound
                } else {
                    Status::Holds
                },
                trace: None,
            })
            .collect();
        Self {
            c,
            props,
            slots: Slots(slots),
            seen: HashSet::new(),
            total: 0,
        }
    }

    fn leads_slot(&self, li: usize) -> usize {
        self.props.len() + li
    }

    fn step_slot(&self, si: usize) -> usize {
        self.props.len() + self.c.leads_to.len() + si
    }

    fn refinement_slot(&self) -> usize {
        self.step_slot(self.c.step_invariants.len())
    }

    fn deadlock_slot(&self) -> usize {
        self.slots.0.len() - 1
    }

    /// One walk from `walk`'s initial state, at most `depth` steps; returns its length.
    fn walk(&mut self, mut walk: Trace<M>, depth: usize, rng: &mut SplitMix64) -> usize {
        if let Some(r) = &self.c.refinement {
            if !(r.init_ok)(&walk.init) {
                let i = self.refinement_slot();
                self.slots.record(i, Status::Violated, &walk);
            }
        }
        let mut met = vec![false; self.props.len()];
        // Per leads-to: a trigger is pending (met with no goal since).
        let mut pending = vec![false; self.c.leads_to.len()];
        loop {
            let here = walk.last().clone();
            self.visit(&walk, &here, &mut met, &mut pending);
            let mut moves = self.moves(&here);
            let may_stop = !moves.owed_exit
                && match self.c.fairness {
                    Fairness::None => !moves.inside.iter().any(|m| m.moved),
                    _ => !moves.inside.iter().any(|m| m.moved && m.class.is_some()),
                };
            if may_stop {
                self.stop(&walk, &here, &met, &pending, moves.any);
            }
            if moves.inside.is_empty() || walk.steps.len() >= depth {
                return walk.steps.len();
            }
            let pick = rng.index(moves.inside.len());
            let m = moves.inside.swap_remove(pick);
            self.take(&mut walk, &here, (m.action, m.index, m.next));
        }
    }

    /// Judges the walk's current state: state properties, and the leads-to triggers pending.
    fn visit(&mut self, walk: &Trace<M>, here: &M::State, met: &mut [bool], pending: &mut [bool]) {
        let model = &self.c.model;
        self.total += 1;
        self.seen.insert((self.c.fingerprint)(here));
        for (pi, p) in self.props.iter().enumerate() {
            let holds = (p.condition)(model, here);
            met[pi] |= holds;
            match p.expectation {
                Expectation::Always if !holds => self.slots.record(pi, Status::Violated, walk),
                Expectation::Sometimes if holds => self.slots.record(pi, Status::Found, walk),
                _ => {}
            }
        }
        for (li, l) in self.c.leads_to.iter().enumerate() {
            pending[li] = ((l.from)(model, here) || pending[li]) && !(l.to)(model, here);
        }
    }

    fn moves(&self, here: &M::State) -> Moves<M> {
        let (c, model) = (self.c, &self.c.model);
        let mut actions = Vec::new();
        model.actions(here, &mut actions);
        let own = (c.fingerprint)(here);
        let mut moves = Moves {
            inside: Vec::new(),
            any: false,
            owed_exit: false,
        };
        for (ai, a) in actions.into_iter().enumerate() {
            let class = (c.fair_class)(&a);
            let Some(next) = model.next_state(here, a.clone()) else {
                continue;
            };
            moves.any = true;
            if model.within_boundary(&next) {
                moves.inside.push(Move {
                    moved: (c.fingerprint)(&next) != own,
                    action: a,
                    index: ai,
                    next,
                    class,
                });
            } else if class.is_some() || c.fairness == Fairness::None {
                moves.owed_exit = true;
            }
        }
        moves
    }

    /// The run may stop at `here`: goals never met and triggers pending are violations, and a
    /// state without any successor that is no declared end is a deadlock.
    fn stop(
        &mut self,
        walk: &Trace<M>,
        here: &M::State,
        met: &[bool],
        pending: &[bool],
        any: bool,
    ) {
        for (pi, p) in self.props.iter().enumerate() {
            if p.expectation == Expectation::Eventually && !met[pi] {
                self.slots.record(pi, Status::Violated, walk);
            }
        }
        for (li, _) in pending.iter().enumerate().filter(|(_, p)| **p) {
            let i = self.leads_slot(li);
            self.slots.record(i, Status::Violated, walk);
        }
        let is_end = self.c.end_state.is_some_and(|end| end(&self.c.model, here));
        if !any && !is_end {
            let i = self.deadlock_slot();
            self.slots.record(i, Status::Violated, walk);
        }
    }

    /// Takes `step` from `here`, checking it against the step invariants and the refinement.
    fn take(&mut self, walk: &mut Trace<M>, here: &M::State, step: (M::Action, usize, M::State)) {
        let (c, next) = (self.c, &step.2);
        let broken_invariants = c.step_invariants.iter().enumerate();
        let mut broken: Vec<usize> = broken_invariants
            .filter(|(_, inv)| !(inv.holds)(&c.model, here, next))
            .map(|(si, _)| self.step_slot(si))
            .collect();
        if c.refinement
            .as_ref()
            .is_some_and(|r| !(r.step_ok)(here, next))
        {
            broken.push(self.refinement_slot());
        }
        walk.steps.push(step);
        for i in broken {
            self.slots.record(i, Status::Violated, walk);
        }
    }
}

impl<M> Checkable<M>
where
    M: Model,
    M::State: Clone,
    M::Action: Clone,
{
    /// See [`simulate`].
    pub fn simulate(&self, opts: &SimOptions) -> Outcome<M> {
        simulate(self, opts)
    }
}
