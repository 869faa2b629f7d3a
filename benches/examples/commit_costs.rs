//! Message delays and messages of one fault-free committing transaction, measured for
//! two-phase commit, three-phase commit and Paxos Commit on the actors themselves (see
//! [`benches::fault_free_commit`]), next to the formulas of Gray and Lamport's table
//! ("Consensus on Transaction Commit", 2006, section 6). Run with
//! `cargo run --release -p benches --example commit_costs`.

use benches::{fault_free_commit, CommitCost};
use models::common::ActorSystem;

fn cost<C: ActorSystem>(cfg: C) -> CommitCost
where
    <C::Actor as stateright::actor::Actor>::State: Clone,
    <C::Actor as stateright::actor::Actor>::Random: Clone,
{
    fault_free_commit(&cfg.actors())
}

fn main() {
    println!(
        "| protocol | N (rms) | F | message delays | messages | paper: delays | paper: messages |"
    );
    println!("|---|---|---|---|---|---|---|");
    for n in [3usize, 5] {
        let rms = format!("rms={n}");
        let two = specs::two_phase_commit::protocol().cfg_of(&[&rms]).unwrap();
        let c = cost(two);
        println!(
            "| two-phase-commit | {n} | - | {} | {} | 4 | 3N-1 = {} |",
            c.delays,
            c.messages,
            3 * n - 1
        );
        let three = specs::three_phase_commit::protocol()
            .cfg_of(&[&rms])
            .unwrap();
        let c = cost(three);
        println!(
            "| three-phase-commit | {n} | - | {} | {} | - | - |",
            c.delays, c.messages
        );
        for f in [1usize, 2] {
            let pc = specs::paxos_commit::protocol()
                .cfg_of(&[&rms, &format!("faults={f}"), "leaders=1"])
                .unwrap();
            let c = cost(pc);
            println!(
                "| paxos-commit | {n} | {f} | {} | {} | 5 | (N+1)(F+3)-4 = {} |",
                c.delays,
                c.messages,
                (n + 1) * (f + 3) - 4
            );
        }
    }
}
