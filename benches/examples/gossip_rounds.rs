//! Rounds until every node knows the rumor, for n = 10 ... 100,000 nodes, push, pull and
//! push-pull (fanout 1, anti-entropy), 100 seeds each, beside the theory: push
//! `log2 n + ln n` (Frieze & Grimmett 1985, Pittel 1987), pull `log2 n` plus a
//! `O(log log n)` tail, push-pull `log3 n + O(log log n)` (Karp et al. 2000).
//!
//! ```sh
//! cargo run --release -p benches --example gossip_rounds   # prints the table, writes gossip_rounds.svg
//! ```
//!
//! The runs are [`models::gossip::rounds_to_inform`]: the checked actor's exchange rule
//! (`offer`, `answer`, `learn`, and partners taken without repeat within a pass) in
//! synchronous rounds, seeded with the workspace's one generator, with no network, timers or
//! faults: the actor system on the simulator would spend its time in the event queue, not in
//! gossip.

use models::gossip::{rounds_to_inform, Mode};
use models::rng::SplitMix64;
use plotters::prelude::*;

/// One mode's points: (n, mean rounds, standard deviation).
type Row = (Mode, Vec<(f64, f64, f64)>);

const SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 100_000];
const SEEDS: u64 = 100;

/// The leading terms the literature gives for the rounds to inform all `n` nodes.
fn theory(mode: Mode, n: f64) -> f64 {
    match mode {
        Mode::Push => n.log2() + n.ln(),
        Mode::Pull => n.log2(),
        Mode::PushPull => n.log(3.0),
    }
}

/// Mean, standard deviation, minimum and maximum of the rounds over `SEEDS` seeds.
fn measure(n: usize, mode: Mode) -> (f64, f64, u32, u32) {
    let rounds: Vec<u32> = (0..SEEDS)
        .map(|seed| {
            let mut rng = SplitMix64::new(seed);
            rounds_to_inform(n, mode, 1, &mut rng, 1_000).expect("every node learns")
        })
        .collect();
    let mean = rounds.iter().map(|&r| f64::from(r)).sum::<f64>() / rounds.len() as f64;
    let var = rounds
        .iter()
        .map(|&r| (f64::from(r) - mean).powi(2))
        .sum::<f64>()
        / (rounds.len() - 1) as f64;
    let (min, max) = (*rounds.iter().min().unwrap(), *rounds.iter().max().unwrap());
    (mean, var.sqrt(), min, max)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "gossip_rounds.svg".to_string());
    println!("| n | mode | mean | std dev | min | max | theory (leading terms) |");
    println!("|---|---|---|---|---|---|---|");
    let mut rows: Vec<Row> = Vec::new();
    for mode in Mode::ALL {
        let mut points = Vec::new();
        for n in SIZES {
            let started = std::time::Instant::now();
            let (mean, sd, min, max) = measure(n, mode);
            let t = theory(mode, n as f64);
            println!(
                "| {n} | {} | {mean:.2} | {sd:.2} | {min} | {max} | {t:.2} |",
                mode.name()
            );
            eprintln!(
                "  ({n} {}: {:.2} s)",
                mode.name(),
                started.elapsed().as_secs_f64()
            );
            points.push((n as f64, mean, sd));
        }
        rows.push((mode, points));
    }
    plot(&path, &rows)?;
    println!("\nwritten: {path}");
    Ok(())
}

fn plot(path: &str, rows: &[Row]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (800, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Rounds until all n nodes know the rumor (fanout 1, 100 seeds; dashed: theory)",
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d((5f64..200_000f64).log_scale(), 0f64..32f64)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_label_formatter(&|n| format!("{n:.0}"))
        .x_desc("nodes n (log scale)")
        .y_desc("rounds")
        .draw()?;
    let colours: [RGBColor; 3] = [RED, BLUE, RGBColor(0, 150, 0)];
    let n_axis: Vec<f64> = (0..=50)
        .map(|i| 10f64.powf(1.0 + f64::from(i) / 12.5))
        .collect();
    for ((mode, points), colour) in rows.iter().zip(colours) {
        let colour: RGBAColor = colour.to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|&(n, mean, _)| (n, mean)),
                colour.stroke_width(2),
            ))?
            .label(format!("{} measured (mean, bars ± 1 sd)", mode.name()))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        chart.draw_series(points.iter().map(|&(n, mean, sd)| {
            PathElement::new(vec![(n, mean - sd), (n, mean + sd)], colour.stroke_width(2))
        }))?;
        chart.draw_series(
            points
                .iter()
                .map(|&(n, mean, _)| Circle::new((n, mean), 3, colour.filled())),
        )?;
        chart
            .draw_series(DashedLineSeries::new(
                n_axis.iter().map(|&n| (n, theory(*mode, n))),
                6,
                4,
                colour.stroke_width(1),
            ))?
            .label(format!(
                "{} theory: {}",
                mode.name(),
                match mode {
                    Mode::Push => "log2 n + ln n",
                    Mode::Pull => "log2 n (+ O(log log n))",
                    Mode::PushPull => "log3 n (+ O(log log n))",
                }
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(1))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
