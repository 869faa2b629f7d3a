//! Random walks: the same properties as the exhaustive check, judged on sampled runs.

use super::{Checkable, Fairness, Kind, Outcome, PropertyOutcome, SimOptions, Status, Trace};
use stateright::{Expectation, Model};
use std::collections::HashSet;
use std::time::Instant;

/// SplitMix64: small, fast and good enough to pick successors.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One verdict slot per reported property.
struct Slot<M: Model> {
    name: &'static str,
    kind: Kind,
    status: Status,
    trace: Option<Trace<M>>,
}

/// Random walks from the initial states. Each walk checks the state properties on every state
/// and the step checks (step invariants, refinement) on every step it takes; it ends after
/// `depth` steps or at a state where the run may stop (no owed action left, see
/// [`super::liveness`]); there an `eventually` goal never met on the walk, or a leads-to whose
/// trigger was met without its goal after it, is a violation, and a state with no successor at
/// all that is not a declared end is a deadlock. Traces are the walks themselves, so not
/// necessarily the shortest; cycles are not detected.
pub fn simulate<M>(c: &Checkable<M>, opts: &SimOptions) -> Outcome<M>
where
    M: Model,
    M::State: Clone,
    M::Action: Clone,
{
    let start = Instant::now();
    let model = &c.model;
    let props = model.properties();
    let mut slots: Vec<Slot<M>> = props
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
    let (n_props, n_leads, n_steps) = (props.len(), c.leads_to.len(), c.step_invariants.len());
    let refinement_slot = n_props + n_leads + n_steps;
    let deadlock_slot = slots.len() - 1;
    let record = |slots: &mut Vec<Slot<M>>, i: usize, status: Status, t: Trace<M>| {
        if slots[i].trace.is_none() {
            slots[i].status = status;
            slots[i].trace = Some(t);
        }
    };

    let mut rng = Rng(opts.seed);
    let mut seen = HashSet::new();
    let (mut total, mut max_depth) = (0u64, 0usize);
    let inits = model.init_states();
    for _ in 0..opts.runs {
        if inits.is_empty() {
            break;
        }
        let init_index = rng.below(inits.len());
        let mut walk: Trace<M> = Trace {
            init_index,
            init: inits[init_index].clone(),
            steps: Vec::new(),
            loop_start: None,
        };
        if let Some(r) = &c.refinement {
            if !(r.init_ok)(&walk.init) {
                record(
                    &mut slots,
                    refinement_slot,
                    Status::Violated,
                    walk.clone_trace(),
                );
            }
        }
        let mut met = vec![false; n_props];
        // Per leads-to: a trigger is pending (met with no goal since).
        let mut pending = vec![false; n_leads];
        loop {
            let here = walk.last().clone();
            total += 1;
            seen.insert((c.fingerprint)(&here));
            for (pi, p) in props.iter().enumerate() {
                let holds = (p.condition)(model, &here);
                met[pi] |= holds;
                match p.expectation {
                    Expectation::Always if !holds => {
                        record(&mut slots, pi, Status::Violated, walk.clone_trace())
                    }
                    Expectation::Sometimes if holds => {
                        record(&mut slots, pi, Status::Found, walk.clone_trace())
                    }
                    _ => {}
                }
            }
            for (li, l) in c.leads_to.iter().enumerate() {
                pending[li] = ((l.from)(model, &here) || pending[li]) && !(l.to)(model, &here);
            }
            let mut actions = Vec::new();
            model.actions(&here, &mut actions);
            let own = (c.fingerprint)(&here);
            let mut any_successor = false;
            let mut succ = Vec::new();
            for (ai, a) in actions.into_iter().enumerate() {
                let class = (c.fair_class)(&a);
                let Some(next) = model.next_state(&here, a.clone()) else {
                    continue;
                };
                any_successor = true;
                if model.within_boundary(&next) {
                    let moved = (c.fingerprint)(&next) != own;
                    succ.push((a, ai, next, moved, class));
                }
            }
            let may_stop = match c.fairness {
                Fairness::None => !succ.iter().any(|s| s.3),
                _ => !succ.iter().any(|s| s.3 && s.4.is_some()),
            };
            if may_stop {
                for (pi, p) in props.iter().enumerate() {
                    if p.expectation == Expectation::Eventually && !met[pi] {
                        record(&mut slots, pi, Status::Violated, walk.clone_trace());
                    }
                }
                for (li, _) in pending.iter().enumerate().filter(|(_, p)| **p) {
                    record(
                        &mut slots,
                        n_props + li,
                        Status::Violated,
                        walk.clone_trace(),
                    );
                }
                let is_end = c.end_state.is_some_and(|end| end(model, &here));
                if !any_successor && !is_end {
                    record(
                        &mut slots,
                        deadlock_slot,
                        Status::Violated,
                        walk.clone_trace(),
                    );
                }
            }
            if succ.is_empty() || walk.steps.len() >= opts.depth {
                break;
            }
            let pick = rng.below(succ.len());
            let (a, ai, next, _, _) = succ.swap_remove(pick);
            for (si, inv) in c.step_invariants.iter().enumerate() {
                if !(inv.holds)(model, &here, &next) {
                    let mut t = walk.clone_trace();
                    t.steps.push((a.clone(), ai, next.clone()));
                    record(&mut slots, n_props + n_leads + si, Status::Violated, t);
                }
            }
            if let Some(r) = &c.refinement {
                if !(r.step_ok)(&here, &next) {
                    let mut t = walk.clone_trace();
                    t.steps.push((a.clone(), ai, next.clone()));
                    record(&mut slots, refinement_slot, Status::Violated, t);
                }
            }
            walk.steps.push((a, ai, next));
        }
        max_depth = max_depth.max(walk.steps.len());
    }
    Outcome {
        complete: false,
        bounded: false,
        unique_states: seen.len() as u64,
        total_states: total,
        max_depth,
        seconds: start.elapsed().as_secs_f64(),
        fairness: Some(c.fairness),
        properties: slots
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
