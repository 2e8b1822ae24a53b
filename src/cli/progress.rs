//! The progress display of the binary: a bar on stderr and, with `--verbose`, stage timings.
//!
//! Input: the library's [`Observer`] calls (stage starts, item counts, stage ends). Output: an
//! indicatif bar on stderr (stage, items done of total, throughput, ETA) and, on request, a
//! table of stage timings. Invariants: never drawn when stderr is not a terminal or with
//! `--quiet`; timings go to stderr only, never to a report.

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use neardup::progress::{Observer, Progress, StageTiming};

/// A bar (when drawn) and the timings of the stages that ended.
pub(super) struct Display {
    bar: Option<ProgressBar>,
    timings: Mutex<Vec<StageTiming>>,
}

impl Display {
    /// A bar on stderr when `bar` is true and stderr is a terminal; timings are recorded
    /// either way.
    pub(super) fn new(bar: bool) -> Arc<Display> {
        let bar = (bar && io::stderr().is_terminal()).then(|| {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template(
                    "{prefix:>8} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} {msg} \
                     · {per_sec} · ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            pb
        });
        Arc::new(Display {
            bar,
            timings: Mutex::new(Vec::new()),
        })
    }

    /// The library's handle on this display.
    pub(super) fn progress(self: &Arc<Self>) -> Progress {
        Progress::new(self.clone())
    }

    /// Remove the bar from the terminal (call before printing to stderr at the end).
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Stage timings recorded so far, in the order the stages ended.
    fn timings(&self) -> Vec<StageTiming> {
        self.timings.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// Write the stage timings as a small table (for `--verbose`).
    pub(super) fn write_timings(&self, out: &mut dyn Write) -> io::Result<()> {
        let timings = self.timings();
        let total: Duration = timings.iter().map(|t| t.elapsed).sum();
        for t in &timings {
            let secs = t.elapsed.as_secs_f64();
            let rate = if secs > 0.0 && t.items > 0 {
                format!(" ({:.0} {}/s)", t.items as f64 / secs, t.unit)
            } else {
                String::new()
            };
            writeln!(
                out,
                "timing: {:<8} {:>9.3} s  {} {}{rate}",
                t.stage, secs, t.items, t.unit
            )?;
        }
        writeln!(out, "timing: {:<8} {:>9.3} s", "total", total.as_secs_f64())
    }
}

impl Observer for Display {
    fn start(&self, stage: &'static str, unit: &'static str, total: Option<u64>) {
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_prefix(stage);
            bar.set_message(unit);
            match total {
                Some(n) => bar.set_length(n),
                None => bar.unset_length(),
            }
            bar.tick();
        }
    }

    fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            // indicatif keeps the position atomic and rate-limits drawing.
            bar.inc(n);
        }
    }

    fn end(&self, timing: &StageTiming) {
        if let Ok(mut t) = self.timings.lock() {
            t.push(timing.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_timed_in_order() {
        let d = Display::new(false);
        let p = d.progress();
        {
            let s = p.stage("read", "files", Some(2));
            s.inc(1);
            s.inc(1);
        }
        drop(p.stage("split", "paragraphs", None));
        let t = d.timings();
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].stage, t[0].items), ("read", 2));
        assert_eq!(t[1].stage, "split");
        let mut out = Vec::new();
        d.write_timings(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("timing: read") && out.contains("total"));
    }
}
