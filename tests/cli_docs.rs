//! `neardup completions SHELL` and `neardup man`: produced, and covering every subcommand.

use crate::util::neardup;

/// Subcommand names listed by `neardup [PATH…] --help` (clap's "Commands:" block), without
/// `help`: read from the binary, so the tests follow the CLI as it grows.
fn subcommands(path: &[&str]) -> Vec<String> {
    let out = neardup().args(path).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let block = help
        .split("Commands:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no command list in {help}"));
    block
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

fn stdout_of(args: &[&str]) -> String {
    let out = neardup().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    let top = subcommands(&[]);
    assert!(top.len() >= 10, "{top:?}");
    for want in ["scan", "index", "completions", "man"] {
        assert!(top.iter().any(|c| c == want), "{want} missing from {top:?}");
    }
    let index = subcommands(&["index"]);
    assert!(index.iter().any(|c| c == "build"), "{index:?}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains("neardup"), "{shell}");
        for name in top.iter().chain(&index) {
            assert!(
                script.contains(name.as_str()),
                "{shell} script lacks {name}"
            );
        }
        // Flags of subcommands complete too.
        assert!(
            script.contains("threshold"),
            "{shell} script lacks --threshold"
        );
    }
    assert!(stdout_of(&["completions", "bash"]).contains("complete -F"));
    assert!(stdout_of(&["completions", "fish"]).starts_with("# Print an optspec"));
}

#[test]
fn unknown_shell_is_an_error() {
    neardup()
        .args(["completions", "tcsh"])
        .assert()
        .failure()
        .code(2);
}

#[test]
fn man_page_covers_every_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH neardup"),
        "{page}"
    );
    assert!(page.contains(".TH neardup 1"));
    for name in subcommands(&[]) {
        let heading = format!(".SH \"NEARDUP {}\"", name.to_uppercase());
        assert!(page.contains(&heading), "man page lacks {heading}");
    }
    for name in subcommands(&["index"]) {
        let heading = format!(".SH \"NEARDUP INDEX {}\"", name.to_uppercase());
        assert!(page.contains(&heading), "man page lacks {heading}");
    }
    // Each subcommand's own options are there, not only its name.
    assert!(page.contains("min\\-passage\\-words") || page.contains("min-passage-words"));
    assert!(page.contains("boilerplate"));
    // No reference to a page of its own that does not exist.
    assert!(
        !page.contains("(1)\n"),
        "a reference to a separate page is left"
    );
}
