//! Same input and parameters → byte-identical reports, whatever the thread count or the order
//! in which inputs are named.

use crate::util::{corpus, neardup};

fn sample() -> String {
    crate::util::repo_path("corpora/sample")
}

fn report(args: &[&str]) -> Vec<u8> {
    let out = neardup()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn reports_are_identical_for_any_thread_count() {
    let one = report(&["--threads", "1", &sample()]);
    for threads in ["2", "3", "8"] {
        assert!(
            one == report(&["--threads", threads, &sample()]),
            "threads {threads}"
        );
    }
}

#[test]
fn reports_do_not_depend_on_the_order_inputs_are_named() {
    let dir = corpus(&[
        ("b.txt", b"alpha beta gamma delta\nshared line of text\n"),
        ("a.txt", b"shared line of text\nepsilon zeta eta\n"),
        ("c.txt", b"alpha beta gamma delta\n"),
    ]);
    let p = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    let forward = report(&[&p("a.txt"), &p("b.txt"), &p("c.txt")]);
    let backward = report(&[&p("c.txt"), &p("b.txt"), &p("a.txt")]);
    assert!(forward == backward);
}
