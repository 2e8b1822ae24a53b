//! Word diff: how a cluster member's text differs from its representative's.
//!
//! Input: two paragraphs (the representative and a member). Output: a sequence of [`Piece`]s
//! that spells the member's text, word by word, with the representative's words that it lacks
//! in between. Invariants: words are aligned on their normalised form
//! ([`crate::normalize::normalize`]), so a word that differs only in diacritics, letter forms,
//! case or punctuation is a [`Piece::Variant`], never an insertion plus a deletion; the
//! member's words appear in order and each exactly once (so the renderers can show the whole
//! member text); the result is a pure function of the two texts.

use crate::normalize::normalize;

/// One step of a word diff. Words are whitespace-separated tokens, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A word written identically in both.
    Same(&'a str),
    /// A word equal to the representative's after normalisation but written differently
    /// (diacritics, letter forms, case, punctuation, digits).
    Variant {
        /// As the representative writes it.
        rep: &'a str,
        /// As the member writes it.
        text: &'a str,
    },
    /// Words only the member has.
    Inserted(Vec<&'a str>),
    /// Words only the representative has.
    Deleted(Vec<&'a str>),
    /// Words of the representative replaced by other words in the member.
    Substituted {
        /// The representative's words.
        rep: Vec<&'a str>,
        /// The member's words in their place.
        text: Vec<&'a str>,
    },
}

impl Piece<'_> {
    /// True when the piece marks a difference (anything but [`Piece::Same`]).
    #[cfg(test)]
    pub fn is_change(&self) -> bool {
        !matches!(self, Piece::Same(_))
    }
}

/// Largest alignment table (words × words) computed; beyond it the differing middle of the
/// two texts is reported as one substitution, which keeps a report of pathological paragraphs
/// (tens of thousands of words) from taking quadratic time and memory.
pub const MAX_DIFF_CELLS: usize = 4_000_000;

/// Diff `text` against `rep`, word by word.
pub fn word_diff<'a>(rep: &'a str, text: &'a str) -> Vec<Piece<'a>> {
    let a: Vec<&str> = rep.split_whitespace().collect();
    let b: Vec<&str> = text.split_whitespace().collect();
    let ka: Vec<String> = a.iter().map(|w| key(w)).collect();
    let kb: Vec<String> = b.iter().map(|w| key(w)).collect();

    // Common prefix and suffix (by key) need no table.
    let prefix = ka.iter().zip(&kb).take_while(|(x, y)| x == y).count();
    let suffix = ka[prefix..]
        .iter()
        .rev()
        .zip(kb[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (prefix..a.len() - suffix, prefix..b.len() - suffix);

    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Equal(i, i)).collect();
    let (m, n) = (a_mid.len(), b_mid.len());
    if m.saturating_mul(n) > MAX_DIFF_CELLS {
        ops.extend(a_mid.clone().map(Op::Delete));
        ops.extend(b_mid.clone().map(Op::Insert));
    } else {
        ops.extend(align(
            &ka[a_mid.clone()],
            &kb[b_mid.clone()],
            a_mid.start,
            b_mid.start,
        ));
    }
    ops.extend((0..suffix).map(|i| Op::Equal(a.len() - suffix + i, b.len() - suffix + i)));

    let mut out = Vec::new();
    let (mut dels, mut ins): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    let flush = |out: &mut Vec<Piece<'a>>, dels: &mut Vec<&'a str>, ins: &mut Vec<&'a str>| match (
        dels.is_empty(),
        ins.is_empty(),
    ) {
        (true, true) => {}
        (false, true) => out.push(Piece::Deleted(std::mem::take(dels))),
        (true, false) => out.push(Piece::Inserted(std::mem::take(ins))),
        (false, false) => out.push(Piece::Substituted {
            rep: std::mem::take(dels),
            text: std::mem::take(ins),
        }),
    };
    for op in ops {
        match op {
            Op::Equal(i, j) => {
                flush(&mut out, &mut dels, &mut ins);
                out.push(if a[i] == b[j] {
                    Piece::Same(b[j])
                } else {
                    Piece::Variant {
                        rep: a[i],
                        text: b[j],
                    }
                });
            }
            Op::Delete(i) => dels.push(a[i]),
            Op::Insert(j) => ins.push(b[j]),
        }
    }
    flush(&mut out, &mut dels, &mut ins);
    out
}

/// The comparison key of a word: its normalised form, or the word itself when normalisation
/// leaves nothing (punctuation such as `–` must still match only itself).
fn key(word: &str) -> String {
    let n = normalize(word);
    if n.is_empty() {
        word.to_string()
    } else {
        n.into_owned()
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Equal(usize, usize),
    Delete(usize),
    Insert(usize),
}

/// Longest-common-subsequence alignment of `a` and `b` (indices offset by `a0`, `b0`).
/// Ties prefer deletions before insertions, so a substitution reads "old → new".
fn align(a: &[String], b: &[String], a0: usize, b0: usize) -> Vec<Op> {
    let (m, n) = (a.len(), b.len());
    // lcs[i][j] = LCS length of a[i..] and b[j..], row-major in one flat vector.
    let w = n + 1;
    let mut lcs = vec![0u32; (m + 1) * w];
    for i in (0..m).rev() {
        for j in (0..n).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let mut ops = Vec::with_capacity(m + n);
    let (mut i, mut j) = (0, 0);
    while i < m || j < n {
        if i < m && j < n && a[i] == b[j] {
            ops.push(Op::Equal(a0 + i, b0 + j));
            i += 1;
            j += 1;
        } else if i < m && (j == n || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
            ops.push(Op::Delete(a0 + i));
            i += 1;
        } else {
            ops.push(Op::Insert(b0 + j));
            j += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(pieces: &[Piece<'_>]) -> String {
        let mut words = Vec::new();
        for p in pieces {
            match p {
                Piece::Same(w) | Piece::Variant { text: w, .. } => words.push(*w),
                Piece::Inserted(ws) | Piece::Substituted { text: ws, .. } => {
                    words.extend(ws.iter().copied())
                }
                Piece::Deleted(_) => {}
            }
        }
        words.join(" ")
    }

    #[test]
    fn identical_texts_have_no_changes() {
        let d = word_diff("a b c", "a  b\nc");
        assert!(d.iter().all(|p| !p.is_change()));
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn substitution_insertion_deletion() {
        let d = word_diff(
            "the port would reopen within a week once",
            "the port will reopen within a fortnight now once",
        );
        assert_eq!(
            d,
            vec![
                Piece::Same("the"),
                Piece::Same("port"),
                Piece::Substituted {
                    rep: vec!["would"],
                    text: vec!["will"]
                },
                Piece::Same("reopen"),
                Piece::Same("within"),
                Piece::Same("a"),
                Piece::Substituted {
                    rep: vec!["week"],
                    text: vec!["fortnight", "now"]
                },
                Piece::Same("once"),
            ]
        );
        let d = word_diff("a b c", "a c d");
        assert_eq!(
            d,
            vec![
                Piece::Same("a"),
                Piece::Deleted(vec!["b"]),
                Piece::Same("c"),
                Piece::Inserted(vec!["d"])
            ]
        );
    }

    #[test]
    fn diacritics_and_punctuation_are_variants() {
        let d = word_diff("قال إنّ المشروعَ (الأحد)", "قال ان المشروع الأحد");
        assert_eq!(d[0], Piece::Same("قال"));
        assert!(matches!(
            d[1],
            Piece::Variant {
                rep: "إنّ",
                text: "ان"
            }
        ));
        assert!(matches!(d[2], Piece::Variant { .. }));
        assert!(matches!(d[3], Piece::Variant { .. }));
        assert_eq!(d.len(), 4);
    }

    #[test]
    fn member_text_is_spelled_in_order() {
        let rep = "one two three four five six";
        let text = "zero one three FOUR six seven";
        assert_eq!(texts(&word_diff(rep, text)), text);
        assert_eq!(texts(&word_diff("", "x y")), "x y");
        assert!(word_diff("x y", "")
            .iter()
            .all(|p| matches!(p, Piece::Deleted(_))));
    }
}
