//! Progress: the small observer interface through which the stages report what they do.
//!
//! Input: stage starts ([`Progress::stage`]) and item counts ([`Stage::inc`]) from the
//! pipeline. Output: calls on the caller's [`Observer`] (the `neardup` binary draws a bar on
//! stderr and prints stage timings with one; the library draws nothing itself).
//! Invariants: nothing here reaches a report — an observer sees stage names, counts and
//! times only, so reports stay a pure function of input and parameters; [`Progress::hidden`]
//! (the default) calls nothing and costs a branch per item.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a caller implements to watch a long run: a progress bar, a log, a Python callback.
///
/// Stages run one after another; [`Observer::inc`] is called from worker threads while one
/// runs, so it must be cheap (an atomic add).
pub trait Observer: Send + Sync {
    /// A stage started that processes `total` items (when known), counted in `unit`
    /// (e.g. `sketch`, `paragraphs`).
    fn start(&self, stage: &'static str, unit: &'static str, total: Option<u64>);
    /// `n` more items of the running stage are done.
    fn inc(&self, n: u64);
    /// A stage ended.
    fn end(&self, timing: &StageTiming);
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

/// The observer handed to a run ([`crate::Scanner::with_progress`],
/// [`crate::IndexWriter::with_progress`], [`crate::index::IndexScanOptions`]). Cheap to
/// clone (shared); [`Progress::default`] is hidden.
#[derive(Clone, Default)]
pub struct Progress {
    observer: Option<Arc<dyn Observer>>,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("observed", &self.observer.is_some())
            .finish()
    }
}

impl Progress {
    /// Reports to nobody.
    pub fn hidden() -> Self {
        Progress::default()
    }

    /// Reports to `observer`.
    pub fn new(observer: Arc<dyn Observer>) -> Self {
        Progress {
            observer: Some(observer),
        }
    }

    /// Start a stage that processes `total` items (when known) counted in `unit`. The stage
    /// ends, and the observer is told its time, when the returned guard is dropped.
    pub fn stage(&self, stage: &'static str, unit: &'static str, total: Option<u64>) -> Stage {
        if let Some(o) = &self.observer {
            o.start(stage, unit, total);
        }
        Stage {
            observer: self.observer.clone(),
            stage,
            unit,
            items: AtomicU64::new(0),
            start: Instant::now(),
        }
    }
}

/// A running stage; see [`Progress::stage`]. Shareable across worker threads.
pub struct Stage {
    observer: Option<Arc<dyn Observer>>,
    stage: &'static str,
    unit: &'static str,
    items: AtomicU64,
    start: Instant,
}

impl Stage {
    /// Count `n` more items done.
    pub fn inc(&self, n: u64) {
        let Some(o) = &self.observer else {
            return;
        };
        self.items.fetch_add(n, Ordering::Relaxed);
        o.inc(n);
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if let Some(o) = &self.observer {
            o.end(&StageTiming {
                stage: self.stage,
                unit: self.unit,
                items: self.items.load(Ordering::Relaxed),
                elapsed: self.start.elapsed(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what it is told.
    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    impl Observer for Log {
        fn start(&self, stage: &'static str, unit: &'static str, total: Option<u64>) {
            self.0
                .lock()
                .unwrap()
                .push(format!("start {stage} {unit} {total:?}"));
        }
        fn inc(&self, n: u64) {
            self.0.lock().unwrap().push(format!("inc {n}"));
        }
        fn end(&self, t: &StageTiming) {
            self.0
                .lock()
                .unwrap()
                .push(format!("end {} {}", t.stage, t.items));
        }
    }

    #[test]
    fn hidden_calls_nothing() {
        let p = Progress::hidden();
        p.stage("x", "items", Some(3)).inc(3);
    }

    #[test]
    fn an_observer_sees_stages_in_order_with_their_counts() {
        let log = Arc::new(Log::default());
        let p = Progress::new(log.clone());
        {
            let s = p.stage("read", "files", Some(2));
            s.inc(1);
            s.inc(1);
        }
        drop(p.stage("split", "paragraphs", None));
        assert_eq!(
            *log.0.lock().unwrap(),
            [
                "start read files Some(2)",
                "inc 1",
                "inc 1",
                "end read 2",
                "start split paragraphs None",
                "end split 0"
            ]
        );
    }
}
