//! The message-count table of the README's "See the Byzantine generals": OM(m) among n
//! generals, no traitor, against the paper's count `(n-1) + (n-1)(n-2) + ... +
//! (n-1)(n-2)...(n-m-1)`. `values` counts the paper's messages (one per path) on a FIFO loop
//! over the actors; `messages` counts what carries them (one per sender, recipient and round);
//! `simulator` is the messages one plain run on the in-memory driver delivers, through the
//! registry (seed 0).
//!
//! `cargo run --release -p benches --example om_messages`

use checker::registry;
use impls::plain::PlainOptions;

fn main() {
    println!("| n | m | paper: values | measured values | messages (batches) | simulator: messages delivered |");
    println!("|---|---|---|---|---|---|");
    let entry = registry::find("om").expect("registered");
    for n in 4..=10 {
        for m in 1..=3usize.min(n - 2) {
            let count = benches::om_messages(n, m);
            let settings = [
                format!("generals={n}"),
                format!("m={m}"),
                "traitors=none".to_string(),
            ];
            let (_, target) = entry.instantiate(&settings).expect("valid settings");
            let run = target
                .run_plain(&PlainOptions::default())
                .expect("an actor protocol");
            assert!(run.goal_reached, "n={n} m={m}: {:?}", run.unmet);
            println!(
                "| {n} | {m} | {} | {} | {} | {} |",
                models::om::paper_messages(n, m),
                count.values,
                count.messages,
                run.messages_delivered
            );
        }
    }
}
