//! Progress: a bar on stderr while the stages run, and per-stage timings.
//!
//! Input: stage starts ([`Progress::stage`]) and item counts ([`Stage::inc`]) from the
//! pipeline. Output: an indicatif bar on stderr (stage, items done of total, throughput, ETA)
//! and, on request, a table of stage timings. Invariants: nothing here reaches a report —
//! timings go to stderr only, so reports stay a pure function of input and parameters; a
//! [`Progress::hidden`] observer draws nothing and costs an atomic add per item at most; the
//! bar is never drawn when stderr is not a terminal.

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Observer of a long run. Cheap to clone (shared); [`Progress::default`] is hidden.
#[derive(Clone, Default)]
pub struct Progress {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    bar: Option<ProgressBar>,
    timings: Mutex<Vec<StageTiming>>,
}

/// How long one stage took.
#[derive(Clone, Debug, PartialEq)]
pub struct StageTiming {
    /// Stage name, e.g. `sketch`.
    pub stage: &'static str,
    /// What it counts, e.g. `paragraphs`.
    pub unit: &'static str,
    /// Items processed.
    pub items: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("bar", &self.inner.as_ref().is_some_and(|i| i.bar.is_some()))
            .field("timings", &self.inner.is_some())
            .finish()
    }
}

impl Progress {
    /// Draws nothing and records nothing.
    pub fn hidden() -> Self {
        Progress::default()
    }

    /// A bar on stderr when `bar` is true and stderr is a terminal; timings are recorded
    /// either way (for [`Progress::timings`]).
    pub fn new(bar: bool) -> Self {
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
        Progress {
            inner: Some(Arc::new(Inner {
                bar,
                timings: Mutex::new(Vec::new()),
            })),
        }
    }

    /// Start a stage that processes `total` items (when known) counted in `unit`. The stage
    /// ends, and its time is recorded, when the returned guard is dropped.
    pub fn stage(&self, stage: &'static str, unit: &'static str, total: Option<u64>) -> Stage {
        if let Some(bar) = self.inner.as_ref().and_then(|i| i.bar.as_ref()) {
            bar.reset();
            bar.set_prefix(stage);
            bar.set_message(unit);
            match total {
                Some(n) => bar.set_length(n),
                None => bar.unset_length(),
            }
            bar.tick();
        }
        Stage {
            progress: self.clone(),
            stage,
            unit,
            items: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    /// Stage timings recorded so far, in the order the stages ended.
    pub fn timings(&self) -> Vec<StageTiming> {
        match &self.inner {
            Some(i) => i.timings.lock().map(|t| t.clone()).unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Remove the bar from the terminal (call before printing to stderr at the end).
    pub fn finish(&self) {
        if let Some(bar) = self.inner.as_ref().and_then(|i| i.bar.as_ref()) {
            bar.finish_and_clear();
        }
    }

    /// Write the stage timings as a small table (for `--verbose`).
    pub fn write_timings(&self, out: &mut dyn Write) -> io::Result<()> {
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

/// A running stage; see [`Progress::stage`]. Shareable across worker threads.
pub struct Stage {
    progress: Progress,
    stage: &'static str,
    unit: &'static str,
    items: AtomicU64,
    start: Instant,
}

impl Stage {
    /// Count `n` more items done.
    pub fn inc(&self, n: u64) {
        let Some(inner) = &self.progress.inner else {
            return;
        };
        self.items.fetch_add(n, Ordering::Relaxed);
        if let Some(bar) = &inner.bar {
            // indicatif keeps the position atomic and rate-limits drawing.
            bar.inc(n);
        }
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if let Some(inner) = &self.progress.inner {
            if let Ok(mut t) = inner.timings.lock() {
                t.push(StageTiming {
                    stage: self.stage,
                    unit: self.unit,
                    items: self.items.load(Ordering::Relaxed),
                    elapsed: self.start.elapsed(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_records_nothing() {
        let p = Progress::hidden();
        p.stage("x", "items", Some(3)).inc(3);
        assert!(p.timings().is_empty());
    }

    #[test]
    fn stages_are_timed_in_order() {
        let p = Progress::new(false);
        {
            let s = p.stage("read", "files", Some(2));
            s.inc(1);
            s.inc(1);
        }
        drop(p.stage("split", "paragraphs", None));
        let t = p.timings();
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].stage, t[0].items), ("read", 2));
        assert_eq!(t[1].stage, "split");
        let mut out = Vec::new();
        p.write_timings(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("timing: read") && out.contains("total"));
    }
}
