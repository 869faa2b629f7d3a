//! Goodput of stop-and-wait, Go-Back-N and Selective Repeat against window size, for frame
//! loss rates 0, 1 %, 5 % and 10 %, on a small discrete-event link simulation that drives the
//! very actors the checker checks (`models::sliding_window`: every effect read from `Out`),
//! beside the textbook expectation without loss: stop-and-wait's utilisation 1/(1+2a), a
//! sliding window's min(1, w/(1+2a)), with a the one-way propagation delay in frame times.
//!
//! ```sh
//! cargo run --release -p benches --example goodput   # prints the table, writes goodput.svg
//! ```
//!
//! Why a simulation of its own: the project's simulator (`impls::sim`) draws a latency per
//! message and has no notion of bandwidth, so a window could never fill a link there. The
//! link here is a one-way pipe per direction: a data frame takes `FRAME` to put on the wire
//! (bandwidth) and is queued behind the frames before it, then arrives `DELAY` later (FIFO,
//! so no reordering); each data frame is lost independently with probability `p` (seeded);
//! acks are tiny (no transmission time) and never lost, as in the textbook formulas.
//! Timers: the actors ask for a timer and this driver decides its duration, as a real sender
//! that measures its round-trip time would: 1.5 times the round trip of a full window,
//! `1.5 (2 DELAY + (w + 1) FRAME)`. Goodput is the messages the receiver hands to its
//! application times `FRAME`, over the time the last one is handed over: the fraction of the
//! link's capacity that carried new data.

use models::common::{ActorSystem, NetworkKind, SystemCfg};
use models::rng::SplitMix64;
use models::sliding_window::{SwActor, SwCfg, SwMsg, SwState, Variant, RECEIVER, SENDER};
use plotters::prelude::*;
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Time in microseconds.
type Micros = u64;
/// Transmission time of one data frame (1500 bytes at 12 Mbit/s).
const FRAME: Micros = 1_000;
/// One-way propagation delay: a = DELAY / FRAME = 10, so 1 + 2a = 21.
const DELAY: Micros = 10_000;
/// Messages per run.
const MESSAGES: usize = 2_000;
/// Sequence-number bits: room for Selective Repeat's window of 64.
const SEQ_BITS: u8 = 7;
const WINDOWS: [u32; 8] = [1, 2, 4, 8, 16, 21, 32, 64];
const LOSSES: [f64; 4] = [0.0, 0.01, 0.05, 0.10];
/// Seeds averaged per point.
const SEEDS: u64 = 3;

#[derive(Debug)]
enum Event {
    Deliver {
        dst: usize,
        msg: SwMsg,
    },
    Timeout {
        timer: models::arq::Timer,
        generation: u64,
    },
}

/// One transfer of `MESSAGES` over the link; returns the utilisation achieved.
fn transfer(variant: Variant, window: u32, loss: f64, seed: u64) -> f64 {
    let system = SystemCfg::reliable(NetworkKind::Ordered);
    let cfg = SwCfg::new(variant, MESSAGES, SEQ_BITS, window, system).expect("valid cfg");
    let actors = cfg.actors();
    let rto = (2 * DELAY + (u64::from(window) + 1) * FRAME) * 3 / 2;
    let mut rng = SplitMix64::new(seed);
    let mut now: Micros = 0;
    let mut link_free: Micros = 0;
    let mut seq = 0u64;
    let mut events: BinaryHeap<Reverse<(Micros, u64, usize)>> = BinaryHeap::new();
    let mut payloads: BTreeMap<usize, Event> = BTreeMap::new();
    let mut generations: BTreeMap<models::arq::Timer, u64> = BTreeMap::new();
    let mut states: Vec<SwState> = Vec::new();
    let mut outs: Vec<(usize, Out<SwActor>)> = Vec::new();
    for (i, a) in actors.iter().enumerate() {
        let mut o = Out::new();
        states.push(a.on_start(Id::from(i), &None, &mut o));
        outs.push((i, o));
    }
    loop {
        for (src, o) in outs.drain(..) {
            for c in o {
                let (at, event) = match c {
                    Command::Send(dst, msg) => {
                        if src == SENDER {
                            let start = now.max(link_free);
                            link_free = start + FRAME;
                            if rng.below(1_000_000) < (loss * 1_000_000.0) as u64 {
                                continue;
                            }
                            (
                                link_free + DELAY,
                                Event::Deliver {
                                    dst: dst.into(),
                                    msg,
                                },
                            )
                        } else {
                            (
                                now + DELAY,
                                Event::Deliver {
                                    dst: dst.into(),
                                    msg,
                                },
                            )
                        }
                    }
                    Command::SetTimer(timer, _) => {
                        let g = generations.entry(timer).or_default();
                        *g += 1;
                        (
                            now + rto,
                            Event::Timeout {
                                timer,
                                generation: *g,
                            },
                        )
                    }
                    Command::CancelTimer(timer) => {
                        *generations.entry(timer).or_default() += 1;
                        continue;
                    }
                    Command::ChooseRandom(..) | Command::Save(_) => continue,
                };
                seq += 1;
                payloads.insert(seq as usize, event);
                events.push(Reverse((at, seq, seq as usize)));
            }
        }
        let SwState::Receiver(r) = &states[RECEIVER] else {
            unreachable!()
        };
        if r.output.len() >= MESSAGES {
            assert!(r.output.iter().enumerate().all(|(i, &p)| p as usize == i));
            return (MESSAGES as u64 * FRAME) as f64 / now as f64;
        }
        let Reverse((at, _, key)) = events.pop().expect("a transfer never stalls with a timer");
        now = at;
        let event = payloads.remove(&key).expect("scheduled");
        let mut o = Out::new();
        let id = match event {
            Event::Deliver { dst, msg } => {
                let src = Id::from(if dst == SENDER { RECEIVER } else { SENDER });
                let mut state = Cow::Borrowed(&states[dst]);
                actors[dst].on_msg(Id::from(dst), &mut state, src, msg, &mut o);
                if let Cow::Owned(next) = state {
                    states[dst] = next;
                }
                dst
            }
            Event::Timeout { timer, generation } => {
                if generations.get(&timer) != Some(&generation) {
                    continue;
                }
                let mut state = Cow::Borrowed(&states[SENDER]);
                actors[SENDER].on_timeout(Id::from(SENDER), &mut state, &timer, &mut o);
                if let Cow::Owned(next) = state {
                    states[SENDER] = next;
                }
                SENDER
            }
        };
        outs.push((id, o));
    }
}

/// One curve: a protocol at a loss rate, utilisation per window.
type Row = (Variant, f64, Vec<(u32, f64)>);

fn mean_utilisation(variant: Variant, window: u32, loss: f64) -> f64 {
    (0..SEEDS)
        .map(|seed| transfer(variant, window, loss, seed))
        .sum::<f64>()
        / SEEDS as f64
}

/// The textbook utilisation without loss: min(1, w / (1 + 2a)).
fn textbook(window: u32) -> f64 {
    let a = DELAY as f64 / FRAME as f64;
    (f64::from(window) / (1.0 + 2.0 * a)).min(1.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "goodput.svg".to_string());
    let mut rows: Vec<Row> = Vec::new();
    println!(
        "| protocol | loss | {} |",
        WINDOWS.map(|w| format!("w={w}")).join(" | ")
    );
    println!("|---|---|{}", "---|".repeat(WINDOWS.len()));
    println!(
        "| textbook, no loss | 0 | {} |",
        WINDOWS.map(|w| format!("{:.3}", textbook(w))).join(" | ")
    );
    for variant in [
        Variant::StopAndWait,
        Variant::GoBackN,
        Variant::SelectiveRepeat,
    ] {
        for loss in LOSSES {
            let windows: &[u32] = if variant == Variant::StopAndWait {
                &WINDOWS[..1]
            } else {
                &WINDOWS
            };
            let points: Vec<(u32, f64)> = windows
                .iter()
                .map(|&w| (w, mean_utilisation(variant, w, loss)))
                .collect();
            println!(
                "| {variant:?} | {loss} | {} |",
                points
                    .iter()
                    .map(|(_, u)| format!("{u:.3}"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
            rows.push((variant, loss, points));
        }
    }
    plot(&path, &rows)?;
    println!("\nwritten: {path}");
    Ok(())
}

fn plot(path: &str, rows: &[Row]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1100, 450)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 2));
    let colours: [RGBColor; 4] = [BLACK, BLUE, RGBColor(0, 150, 0), RED];
    for (panel, variant) in panels
        .iter()
        .zip([Variant::GoBackN, Variant::SelectiveRepeat])
    {
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!(
                    "{} (stop-and-wait: crosses at w = 1), a = 10",
                    match variant {
                        Variant::GoBackN => "Go-Back-N",
                        _ => "Selective Repeat",
                    }
                ),
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(45)
            .build_cartesian_2d((1f64..64f64).log_scale(), 0f64..1.05f64)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_labels(7)
            .x_label_formatter(&|w| format!("{w:.0}"))
            .x_desc("window w (frames)")
            .y_desc("goodput / link capacity")
            .draw()?;
        let w_axis: Vec<f64> = (0..=60).map(|i| 2f64.powf(f64::from(i) / 10.0)).collect();
        chart
            .draw_series(LineSeries::new(
                w_axis.iter().map(|&w| {
                    let a = DELAY as f64 / FRAME as f64;
                    (w, (w / (1.0 + 2.0 * a)).min(1.0))
                }),
                BLACK.stroke_width(1),
            ))?
            .label("textbook min(1, w/(1+2a)), no loss")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        for (i, loss) in LOSSES.iter().enumerate() {
            let colour: RGBAColor = colours[i].to_rgba();
            for (v, l, points) in rows {
                if l != loss {
                    continue;
                }
                if *v == variant {
                    chart
                        .draw_series(LineSeries::new(
                            points.iter().map(|&(w, u)| (f64::from(w), u)),
                            colour.stroke_width(2),
                        ))?
                        .label(format!("measured, loss {:.0} %", loss * 100.0))
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                        });
                    chart.draw_series(
                        points
                            .iter()
                            .map(|&(w, u)| Circle::new((f64::from(w), u), 3, colour.filled())),
                    )?;
                } else if *v == Variant::StopAndWait {
                    chart.draw_series(
                        points.iter().map(|&(w, u)| {
                            Cross::new((f64::from(w), u), 6, colour.stroke_width(2))
                        }),
                    )?;
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
