//! Runtime drivers for the actors in `models/`. They contain no protocol logic: a driver plugs
//! a clock, a network and randomness into any `stateright::actor::Actor` and runs the very same
//! actor values the model checker explores.
//!
//! * [`sim`]: a deterministic in-memory simulator on virtual time, with seeded latency, loss,
//!   duplication, crashes and recoveries, that records every step as a model action.

pub mod sim;
