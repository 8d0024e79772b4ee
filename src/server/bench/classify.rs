//! The classifier's speed on one core and its accuracy on the labelled corpus: the figures the
//! README's "Error classification" section shows.

use std::time::Instant;

use crate::classify::accuracy::{self, Report};
use crate::classify::classify;

pub fn run(rounds: usize) {
    let corpus = match accuracy::corpus() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("the corpus does not read: {e}");
            return;
        }
    };
    let raws: Vec<_> = corpus.iter().map(|e| e.raw()).collect();
    // Warm-up, then every corpus error `rounds` times on this one thread.
    let mut sink = 0usize;
    for r in &raws {
        sink += classify(r).rule.len();
    }
    let started = Instant::now();
    for _ in 0..rounds {
        for r in &raws {
            sink += classify(r).rule.len();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let n = rounds * raws.len();
    let bytes: usize = raws.iter().map(|r| r.body.len()).sum::<usize>() / raws.len().max(1);
    println!(
        "classify: {n} classifications in {secs:.2} s on one thread = {:.0} per second ({:.1} µs each, mean body {bytes} bytes) [{}]",
        n as f64 / secs,
        secs * 1e6 / n as f64,
        sink % 7
    );
    println!();
    let report = Report::of(&accuracy::run(corpus));
    println!("Corpus (the rules were written against it):\n");
    println!("{}", report.markdown());
    match accuracy::holdout() {
        Ok(h) => {
            println!("Held out (collected after the rules by someone who had not read them):\n");
            println!("{}", Report::of(&accuracy::run(h)).markdown());
        }
        Err(e) => eprintln!("the held-out set does not read: {e}"),
    }
}
