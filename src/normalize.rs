//! Text normalisation: `&str` → comparison form.
//!
//! **Input**: any `&str` (one paragraph, typically). **Output**: a
//! [`Cow<str>`](std::borrow::Cow) holding the words of the input, each word folded as described
//! below, separated by single ASCII spaces (`U+0020`), with no leading or trailing space; empty
//! input, or input made only of spaces, punctuation, symbols and controls, gives `""`.
//! **Invariants**: [`normalize`] is idempotent (`normalize(&normalize(x)) == normalize(x)` for
//! every string, checked by property tests); it never panics; it never allocates when the input
//! is already in normal form (the result is then `Cow::Borrowed`, and it is also borrowed when
//! only leading/trailing separators had to go); and its result depends only on the input and on
//! [`NORMALIZER_VERSION`] (plus the Unicode data compiled into the ICU4X crates, which is pinned
//! by `Cargo.lock`). Any change to the rules below bumps [`NORMALIZER_VERSION`], because shingle
//! hashes stored in an index are computed from this output.
//!
//! # Rules
//!
//! Applied in this order (the order matters: later rules see the output of earlier ones).
//!
//! 1. **Unicode NFKC.** Folds compatibility variants that render alike but differ in code
//!    points: Arabic presentation forms (`ﻻ` → `لا`, `ﷲ` → `الله`, `ﺍ` → `ا`), full-width Latin
//!    (`ＨＥＬＬＯ`), ligatures (`ﬁ`), superscripts, circled digits, `™` → `TM`, `㎒` → `MHz`.
//!    Scraped text mixes these freely depending on the source's encoding history.
//! 2. **Full Unicode case folding** (the locale-independent `C + F` mappings, not Turkic):
//!    `ß` → `ss`, `Σ`/`ς` → `σ`, `İ` → `i̇`. Folding can un-compose text (`ΐ` folds to three
//!    code points), so NFKC is applied once more after folding, as Unicode's own
//!    `NFKC_Casefold` does.
//! 3. **Arabic folding.** Diacritics and spelling variants that writers add or omit freely are
//!    removed or unified, so that the same quote with and without tanween/shadda compares equal
//!    (see `../shared/seed/article-ar.txt`):
//!    - removed (without splitting the word): harakat, tanween, shadda, sukun and the other
//!      Arabic combining marks `U+064B–U+065F`; superscript alef `U+0670`; Quranic annotation
//!      signs `U+0610–U+061A` and `U+06D6–U+06ED`; tatweel `U+0640` (pure elongation);
//!    - alef forms `أ إ آ ٱ` and the wavy-hamza alefs `U+0672 U+0673` → `ا`: hamza/madda on
//!      alef is written inconsistently in news text;
//!    - `ى` → `ي`, `ة` → `ه`: the two most common final-letter spelling variants (Egyptian
//!      orthography writes final `ي` as `ى`; `ة`/`ه` are confused in informal text);
//!    - hamza carriers `ؤ` → `و`, `ئ` → `ي`; more generally, every letter that is canonically a
//!      base letter plus hamza (`U+0654`) folds to that base, consistently with the removal of
//!      `U+0654` itself: `ۀ` → `ه`, `ۂ` → `ه` (see below), `ۓ` → `ے`;
//!    - Persian/Urdu code points that Arabic text typed on Persian or Urdu keyboards uses for
//!      the *same* letters: keheh `ک` → `ك`, Farsi yeh `ی` → `ي`, and the heh variants heh goal
//!      `ہ`, heh doachashmee `ھ` (often used for initial `ه` in Arabic web text: `ھذا`) →
//!      `ه`. The cost is that the Urdu aspiration digraph (`بھ`) and plain `ہ` are no longer
//!      distinguished, which almost never separates otherwise-equal paragraphs.
//!      **Not** folded: Pashto/Kurdish/Uyghur `ې ۍ ێ` and Urdu yeh barree `ے`, which are
//!      distinct letters of those languages, not spelling variants of `ي`;
//!    - Arabic-Indic digits `٠–٩` (`U+0660–U+0669`) and Eastern Arabic-Indic digits `۰–۹`
//!      (`U+06F0–U+06F9`) → ASCII `0–9`, so that `٢٠١٦`, `۲۰۱۶` and `2016` are one token.
//! 4. **Invisible controls are removed without splitting the word**: every character of
//!    general category `Cf` (format) or with the `Default_Ignorable_Code_Point` property. This
//!    covers the bidi marks and embeddings (`U+200E U+200F U+202A–U+202E U+2066–U+2069
//!    U+061C`), zero-width space/joiners (`U+200B–U+200D`, including the Persian ZWNJ inside
//!    words), word joiner and invisible operators (`U+2060–U+2064`), BOM `U+FEFF`, soft hyphen
//!    `U+00AD`, variation selectors (`U+FE0F` after an emoji) and the combining grapheme joiner.
//!    They are invisible, so two renderings that look identical must compare equal; and they
//!    sit *inside* words (a soft hyphen in `ex\u{AD}ample`), so they must not split them.
//! 5. **Punctuation, symbols, controls and spaces separate words**: every character of general
//!    category `P*` (including `، ؛ ؟ “ ” « »` and the `..` the seed article uses as a colon),
//!    `S*` (`$ + © ❤`), `Z*` or `Cc` is replaced by a word break. Letters (`L*`), numbers
//!    (`N*`), private-use and unassigned code points are word characters. Combining marks
//!    (`M*`) other than the Arabic ones above are **kept** as part of their word: they carry
//!    meaning in Devanagari, Thai, Hebrew vowel points, and Latin accents. In particular
//!    `café ≠ cafe`: stripping Latin accents would merge distinct words (French `a`/`à`,
//!    Spanish `si`/`sí`, Vietnamese almost everything) and the near-duplicate stage already
//!    tolerates the occasional missing accent. A combining mark at the *start* of a word (for
//!    instance after a symbol, as in `❤\u{FE0F}` or the acute accent `´`, whose NFKC form is a
//!    space plus `U+0301`) belongs to the separator and is dropped.
//! 6. **Whitespace** of any kind collapses to one ASCII space; the result is trimmed.
//!
//! # Idempotence
//!
//! NFKC, case folding and removals interact: removing an invisible control can bring a base
//! letter and a combining mark (or two Hangul jamo) together so that NFKC would compose them,
//! and case folding can leave text that NFKC changes. The implementation detects the few
//! situations where its one-pass result might not be a fixed point (a removal directly before a
//! character that could combine backwards) and then runs the pipeline again until it is. The
//! property tests in this module are the judge.
//!
//! # Speed
//!
//! Pure-ASCII input (most English text) never touches ICU: NFKC is the identity on ASCII and
//! full case folding is `to_ascii_lowercase`. Other input goes through ICU's NFKC and case
//! folding, each of which only allocates when it changes something, then through one pass that
//! applies rules 3–6, which allocates at most one output buffer (and none when nothing
//! changes). Arabic letters are classified by a `match` without property lookups. The sketch
//! calls [`normalize_words_into`], the same pass recording where each word starts, so that
//! shingling does not search the text for spaces again; its output takes ASCII (eight bytes
//! at a time where the separators allow it) and the common characters of the Arabic block
//! (one table lookup on their two bytes) in a loop of its own, writing bytes into a reused
//! buffer, and leaves only the rest to the general step. Arabic presentation forms whose NFKC
//! form is plain Arabic letters (`ﻟ ﺎ ﻻ`, left by old encoders and PDF copies) are replaced
//! by that form from a table built once with ICU, instead of sending their paragraph through
//! ICU.
//!
//! ```
//! use neardup::normalize::normalize;
//! assert_eq!(normalize("Hello,   WORLD!"), "hello world");
//! assert_eq!(normalize("لافروف: أكّد أنّ"), "لافروف اكد ان");
//! assert_eq!(normalize("٢٠١٦ Straße"), "2016 strasse");
//! ```

use std::borrow::Cow;

use icu_casemap::CaseMapperBorrowed;
use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{
    CodePointMapData, CodePointMapDataBorrowed, CodePointSetData, CodePointSetDataBorrowed,
};

/// Version of the normalisation rules; every rule change bumps it (it is recorded in reports and
/// index manifests, and an index built with another version must be rebuilt).
pub const NORMALIZER_VERSION: u32 = 1;

const NFKC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfkc();
const CASE: CaseMapperBorrowed<'static> = CaseMapperBorrowed::new();
const GENERAL_CATEGORY: CodePointMapDataBorrowed<'static, GeneralCategory> =
    CodePointMapData::<GeneralCategory>::new();
const DEFAULT_IGNORABLE: CodePointSetDataBorrowed<'static> =
    CodePointSetData::new::<DefaultIgnorableCodePoint>();

/// Upper bound on pipeline rounds. Almost all text needs one round and a removal that lets NFKC
/// compose needs a second; the bound only guarantees termination on input nobody has imagined.
const MAX_ROUNDS: usize = 4;

/// Normalise `text` for comparison.
///
/// Output: words separated by single ASCII spaces, no leading/trailing space. Borrows from
/// `text` when nothing but leading/trailing separators had to change. See the
/// [module documentation](self) for the rules.
///
/// ```
/// use std::borrow::Cow;
/// use neardup::normalize::normalize;
/// assert_eq!(normalize("ليس مطروحاً حالياً،"), "ليس مطروحا حاليا");
/// assert!(matches!(normalize("hello world"), Cow::Borrowed(_)));
/// ```
pub fn normalize(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        // NFKC is the identity on ASCII and full case folding is ASCII lowercasing, and the
        // single pass below never removes an ASCII character, so it cannot need another round.
        return fold_and_split(text).0;
    }
    if text.chars().all(skips_icu) {
        // NFKC and case folding change nothing that the single pass below does not also do
        // (see `skips_icu`), so Arabic news text, the common non-ASCII case, costs one pass.
        let (out, needs_round) = fold_and_split(text);
        if !needs_round {
            return out;
        }
    }
    full_pipeline(text)
}

/// The whole pipeline: NFKC, case folding, NFKC again, then the single pass, repeated until it
/// is a fixed point.
fn full_pipeline(text: &str) -> Cow<'_, str> {
    let mut current = Cow::Borrowed(text);
    for _ in 0..MAX_ROUNDS {
        let (composed, _) = apply(current, |s| NFKC.normalize(s));
        let (folded, fold_changed) = apply(composed, |s| CASE.fold_string(s));
        let folded = if fold_changed {
            apply(folded, |s| NFKC.normalize(s)).0
        } else {
            folded
        };
        let mut again = false;
        let (result, _) = apply(folded, |s| {
            let (out, needs_round) = fold_and_split(s);
            again = needs_round;
            out
        });
        current = result;
        if !again {
            break;
        }
    }
    // Input that is already normal but not fold-stable on its own (e.g. `ΐ`, which folds to
    // three code points that NFKC recomposes) comes back as an equal owned string.
    match current {
        Cow::Owned(s) if s == text => Cow::Borrowed(text),
        other => other,
    }
}

/// Runs one stage on a `Cow` without copying when the stage changes nothing.
///
/// Returns the stage's output, tied to the lifetime of the original input when it borrows, and
/// whether the text changed.
fn apply<'a>(
    input: Cow<'a, str>,
    stage: impl FnOnce(&str) -> Cow<'_, str>,
) -> (Cow<'a, str>, bool) {
    match input {
        Cow::Borrowed(s) => {
            let out = stage(s);
            let changed = matches!(out, Cow::Owned(_)) || out.len() != s.len();
            (out, changed)
        }
        Cow::Owned(s) => {
            // The stage's output borrows `s`; decide before moving `s`.
            let replacement = match stage(&s) {
                Cow::Borrowed(b) if b.len() == s.len() => None,
                other => Some(other.into_owned()),
            };
            match replacement {
                None => (Cow::Owned(s), false),
                Some(r) => (Cow::Owned(r), true),
            }
        }
    }
}

/// What rules 3–6 do with one character (after NFKC and case folding).
#[derive(Clone, Copy)]
enum Action {
    /// Word character, copied unchanged.
    Keep,
    /// Combining mark: kept inside a word, dropped at the start of one.
    Mark,
    /// Word character replaced by another.
    Map(char),
    /// Invisible: removed without breaking the word.
    Remove,
    /// Word break.
    Separate,
}

/// Whether `c`, as written in the original text, breaks words (rule 5): lets the passage stage
/// cut original text into the same words as [`normalize`] while keeping each word's byte span.
/// Judged on the character before NFKC and case folding, which only differs from the rule for
/// compatibility characters that NFKC expands into punctuation (such as `⒈`).
pub(crate) fn separates_words(c: char) -> bool {
    matches!(classify(c), Action::Separate)
}

fn classify(c: char) -> Action {
    match c {
        'a'..='z' | '0'..='9' => Action::Keep,
        // Only reachable when ICU folding is skipped (ASCII input).
        'A'..='Z' => Action::Map(c.to_ascii_lowercase()),
        '\0'..='\x7f' => Action::Separate,
        // Arabic marks, Quranic annotations and tatweel.
        '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{0610}'..='\u{061A}'
        | '\u{06D6}'..='\u{06ED}'
        | '\u{0640}' => Action::Remove,
        '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' | '\u{0672}' | '\u{0673}' => {
            Action::Map('\u{0627}')
        }
        '\u{0649}' | '\u{0626}' | '\u{06CC}' => Action::Map('\u{064A}'),
        '\u{0629}' | '\u{06BE}' | '\u{06C0}' | '\u{06C1}' | '\u{06C2}' => Action::Map('\u{0647}'),
        '\u{0624}' => Action::Map('\u{0648}'),
        '\u{06A9}' => Action::Map('\u{0643}'),
        '\u{06D3}' => Action::Map('\u{06D2}'),
        '\u{0660}'..='\u{0669}' => Action::Map(ascii_digit(c as u32 - 0x0660)),
        '\u{06F0}'..='\u{06F9}' => Action::Map(ascii_digit(c as u32 - 0x06F0)),
        // Remaining Arabic letters (all `Lo`): skip the property lookups on the common path.
        '\u{0620}'..='\u{063F}' | '\u{0641}'..='\u{064A}' | '\u{0674}'..='\u{06D3}' => Action::Keep,
        _ => classify_by_properties(c),
    }
}

fn classify_by_properties(c: char) -> Action {
    use GeneralCategory as Gc;
    match GENERAL_CATEGORY.get(c) {
        Gc::UppercaseLetter
        | Gc::LowercaseLetter
        | Gc::TitlecaseLetter
        | Gc::ModifierLetter
        | Gc::OtherLetter
        | Gc::PrivateUse
        | Gc::Unassigned => {
            // Hangul fillers are letters and reserved ignorables are unassigned, yet both are
            // invisible.
            if DEFAULT_IGNORABLE.contains(c) {
                Action::Remove
            } else {
                Action::Keep
            }
        }
        Gc::DecimalNumber | Gc::LetterNumber | Gc::OtherNumber => Action::Keep,
        Gc::NonspacingMark | Gc::SpacingMark | Gc::EnclosingMark => {
            // Variation selectors and the combining grapheme joiner are marks, but invisible.
            if DEFAULT_IGNORABLE.contains(c) {
                Action::Remove
            } else {
                Action::Mark
            }
        }
        Gc::Format => Action::Remove,
        Gc::SpaceSeparator
        | Gc::LineSeparator
        | Gc::ParagraphSeparator
        | Gc::Control
        | Gc::Surrogate
        | Gc::DashPunctuation
        | Gc::OpenPunctuation
        | Gc::ClosePunctuation
        | Gc::ConnectorPunctuation
        | Gc::OtherPunctuation
        | Gc::InitialPunctuation
        | Gc::FinalPunctuation
        | Gc::MathSymbol
        | Gc::CurrencySymbol
        | Gc::ModifierSymbol
        | Gc::OtherSymbol => Action::Separate,
    }
}

fn ascii_digit(value: u32) -> char {
    char::from_digit(value, 10).unwrap_or('0')
}

/// Whether `c`, emitted right after a removed character, certainly cannot compose with or be
/// reordered against what precedes it, so that NFKC of the output is still the output.
///
/// ASCII and Arabic letters are starters that never combine backwards (the only Arabic
/// characters that do, `U+0653–U+0655`, are removed), which keeps diacritised Arabic text to
/// one round.
/// Characters on which NFKC and full case folding are the identity, or whose NFKC form the
/// single pass treats exactly as it treats the character itself, in any context:
/// - ASCII (case folding is ASCII lowercasing, which the single pass does);
/// - the Arabic block, except the four high-hamza letters `U+0675–U+0678` (NFKC decomposes
///   them) and `ە U+06D5` (NFKC composes it with a following hamza above into `ۀ`, which the
///   pass folds to `ه`). The other letters with hamza or madda are NFC already, and their
///   decomposed spellings fold to the same base letter because the pass removes every Arabic
///   combining mark (which also makes canonical reordering of marks irrelevant);
/// - no-break space, `«`, `»`, and general punctuation `U+2000–U+2064` (spaces, dashes,
///   quotes, ellipsis, bidi and zero-width controls): NFKC maps some of them to spaces or ASCII
///   punctuation, and the pass separates words at both alike, or removes both alike;
/// - the Latin-1 symbols and punctuation that NFKC and case folding leave alone and that
///   never compose, `¡ ¢ £ ¤ ¥ ¦ § © ¬ ® ° ± ¶ · ¿ × ÷`: word separators, and `©` closes the
///   copyright line of a good share of English news paragraphs, which would otherwise all go
///   through ICU.
///
/// `fast_path_equals_full_pipeline` checks this against the full pipeline.
fn skips_icu(c: char) -> bool {
    matches!(c,
        '\0'..='\x7f'
        | '\u{0600}'..='\u{0674}'
        | '\u{0679}'..='\u{06D4}'
        | '\u{06D6}'..='\u{06FF}'
        | '\u{00A0}' | '\u{00AB}' | '\u{00BB}'
        | '\u{00A1}'..='\u{00A7}' | '\u{00A9}' | '\u{00AC}' | '\u{00AE}' | '\u{00B0}'
        | '\u{00B1}' | '\u{00B6}' | '\u{00B7}' | '\u{00BF}' | '\u{00D7}' | '\u{00F7}'
        | '\u{2000}'..='\u{2064}'
    )
}

fn safe_after_removal(c: char) -> bool {
    c.is_ascii() || matches!(c, '\u{0620}'..='\u{064A}' | '\u{0671}'..='\u{06D3}')
}

/// Output of the single pass that stays a window of its input until a change forces a copy.
struct Output<'a> {
    src: &'a str,
    owned: Option<String>,
    /// While `owned` is `None`, the output so far is `src[start..end]`.
    start: usize,
    end: usize,
}

impl<'a> Output<'a> {
    fn new(src: &'a str) -> Self {
        Output {
            src,
            owned: None,
            start: 0,
            end: 0,
        }
    }

    fn is_empty(&self) -> bool {
        match &self.owned {
            Some(s) => s.is_empty(),
            None => self.start == self.end,
        }
    }

    fn owned(&mut self) -> &mut String {
        let (src, start, end) = (self.src, self.start, self.end);
        self.owned.get_or_insert_with(|| {
            let mut s = String::with_capacity(src.len());
            s.push_str(src.get(start..end).unwrap_or_default());
            s
        })
    }

    /// Appends `src[at..at + len]`, which the caller got from `char_indices`.
    fn keep(&mut self, at: usize, len: usize) {
        let piece = self.src.get(at..at + len).unwrap_or_default();
        if let Some(s) = &mut self.owned {
            s.push_str(piece);
        } else if self.start == self.end {
            self.start = at;
            self.end = at + len;
        } else if self.end == at {
            self.end = at + len;
        } else {
            self.owned().push_str(piece);
        }
    }

    fn push(&mut self, c: char) {
        self.owned().push(c);
    }

    /// Appends the single space between two words.
    fn space(&mut self) {
        if self.owned.is_none() && self.src.as_bytes().get(self.end) == Some(&b' ') {
            // The input has a single ASCII space here; `keep` will check that the next word
            // starts right after it.
            self.end += 1;
        } else {
            self.owned().push(' ');
        }
    }

    fn finish(self) -> Cow<'a, str> {
        match self.owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(self.src.get(self.start..self.end).unwrap_or_default()),
        }
    }
}

/// Where the single pass writes: a window of the input while possible ([`Output`]), or a
/// reused buffer ([`String`], for [`normalize_into`]).
trait Sink {
    /// Whether [`fold_into`] hands this sink whole runs of unchanged characters (`keep_run`):
    /// a window of the input grows by a run at once, while a buffer appends the short words of
    /// real text faster one character at a time than through a copy call per word.
    const RUNS: bool;
    /// Nothing emitted yet.
    fn is_empty(&self) -> bool;
    /// Append `c`, found at `src[at..]`; `mapped` when `c` replaces what was there.
    fn emit(&mut self, at: usize, c: char, mapped: bool);
    /// Append the ASCII character `b`, found at `src[at]` (mapped when that byte differs).
    fn ascii(&mut self, at: usize, b: u8);
    /// The sink's own loop over the common characters from `src[at]` on, with the single
    /// pass's rules and state: returns where it stopped, at the first character it leaves to
    /// the general step (at once, by default).
    fn fast_span(&mut self, _src: &[u8], at: usize, _pass: &mut Pass) -> usize {
        at
    }
    /// Append `c`, a character of the Arabic block kept as it is, found at `src[at..at + 2]`.
    fn arabic(&mut self, at: usize, c: char) {
        self.emit(at, c, false);
    }
    /// Append `src[at..at + run.len()]` (`run`), characters kept as they are.
    fn keep_run(&mut self, at: usize, run: &str);
    /// Append the single space between two words.
    fn space(&mut self);
}

impl Sink for Output<'_> {
    const RUNS: bool = true;
    fn is_empty(&self) -> bool {
        Output::is_empty(self)
    }
    fn emit(&mut self, at: usize, c: char, mapped: bool) {
        if mapped {
            self.push(c);
        } else {
            self.keep(at, c.len_utf8());
        }
    }
    fn ascii(&mut self, at: usize, b: u8) {
        if self.src.as_bytes().get(at) == Some(&b) {
            self.keep(at, 1);
        } else {
            self.push(char::from(b));
        }
    }
    fn keep_run(&mut self, at: usize, run: &str) {
        self.keep(at, run.len());
    }
    fn space(&mut self) {
        Output::space(self);
    }
}

impl Sink for String {
    const RUNS: bool = false;
    fn is_empty(&self) -> bool {
        str::is_empty(self)
    }
    fn emit(&mut self, _at: usize, c: char, _mapped: bool) {
        self.push(c);
    }
    fn ascii(&mut self, _at: usize, b: u8) {
        self.push(char::from(b));
    }
    fn keep_run(&mut self, _at: usize, run: &str) {
        self.push_str(run);
    }
    fn space(&mut self) {
        self.push(' ');
    }
}

/// Output for each ASCII byte: itself for `a–z 0–9`, lowercased for `A–Z`, `0` (a word
/// separator) for everything else. Same answers as [`classify`], without its branches.
const ASCII_FOLD: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else if c.is_ascii_uppercase() {
            c.to_ascii_lowercase()
        } else {
            0
        };
        b += 1;
    }
    table
};

/// What the single pass does with one character of the Arabic block `U+0600–U+06FF`.
#[derive(Clone, Copy)]
struct ArabicChar {
    /// The character itself.
    c: char,
    /// [`classify`]'s answer.
    action: Action,
    /// Whether the ICU-free path may take it ([`skips_icu`]).
    skips: bool,
    /// A letter kept as it is, which the ICU-free path may take and which is safe after a
    /// removal: the common case, which the loop takes without the general step.
    plain: bool,
    /// What a sink's own loop ([`Sink::fast_span`]) does with it.
    quick: Quick,
}

/// The characters of the Arabic block that a sink's own loop takes, as [`ArabicChar::quick`].
#[derive(Clone, Copy)]
enum Quick {
    /// A plain letter: its two bytes as they are.
    Copy,
    /// Mapped to a character that the ICU-free path may take and that is safe after a
    /// removal, whose UTF-8 bytes are the first `n` of these.
    Map([u8; 2], u8),
    /// Removed, and the ICU-free path may take it.
    Remove,
    /// A word break, and the ICU-free path may take it.
    Separate,
    /// Left to the general step.
    Other,
}

impl Quick {
    fn new(action: Action, skips: bool, plain: bool) -> Quick {
        match action {
            Action::Keep if plain => Quick::Copy,
            Action::Map(m) if skips && safe_after_removal(m) && m.len_utf8() <= 2 => {
                let mut bytes = [0; 2];
                m.encode_utf8(&mut bytes);
                Quick::Map(bytes, m.len_utf8() as u8)
            }
            Action::Remove if skips => Quick::Remove,
            Action::Separate if skips => Quick::Separate,
            _ => Quick::Other,
        }
    }
}

/// [`ArabicChar`] for each character of the Arabic block, computed once from [`classify`],
/// [`skips_icu`] and [`safe_after_removal`]. Lets [`fold_into`] handle an Arabic letter with
/// one lookup on its two UTF-8 bytes instead of decoding it and walking `classify`'s ranges.
static ARABIC_BLOCK: std::sync::LazyLock<[ArabicChar; 256]> = std::sync::LazyLock::new(|| {
    std::array::from_fn(|offset| {
        let c = char::from_u32(0x0600 + offset as u32).unwrap_or(' ');
        let (action, skips) = (classify(c), skips_icu(c));
        let plain = matches!(action, Action::Keep) && skips && safe_after_removal(c);
        ArabicChar {
            c,
            action,
            skips,
            plain,
            quick: Quick::new(action, skips, plain),
        }
    })
});

/// For each code point of `U+FB50–U+FEFF` (the Arabic presentation forms and the blocks
/// between them), what the ICU-free pass writes in its place, or `""` when ICU must decide.
/// Accepted are the forms whose NFKC form is one or more letters of the Arabic block that the
/// pass copies or folds to a letter or digit (so each is safe after a removal), none of them
/// `ە` (which NFKC composes with a following hamza above into `ۀ`, folded to `ه`); the entry
/// is that NFKC form, folded by the pass. Such letters are starters that compose with nothing
/// before them, and the only compositions after them (a letter with a following madda or hamza
/// mark) give letters that fold to what the pass gives the base letter once it has removed the
/// mark, so the pipeline gives the same text. Paragraphs with `ﻟ ﺎ ﻻ` (old encoders, PDF
/// copies) then skip ICU too. `fast_path_equals_full_pipeline` checks it against ICU.
static PRESENTATION_FORMS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let arabic = &*ARABIC_BLOCK;
    let fold = |c: char| {
        let mut utf8 = [0; 4];
        let nfkc = NFKC.normalize(c.encode_utf8(&mut utf8));
        let mut folded = String::new();
        for m in nfkc.chars() {
            let offset = (m as u32).checked_sub(0x0600)? as usize;
            match arabic.get(offset)?.quick {
                Quick::Copy if m != '\u{06D5}' => folded.push(m),
                Quick::Map(bytes, n) => {
                    folded.push_str(std::str::from_utf8(bytes.get(..usize::from(n))?).ok()?)
                }
                _ => return None,
            }
        }
        Some(folded)
    };
    (0xFB50..=0xFEFF)
        .map(|cp| char::from_u32(cp).and_then(fold).unwrap_or_default())
        .collect()
});

/// [`PRESENTATION_FORMS`]'s entry for `c`, when it has one.
fn presentation_form(c: char) -> Option<&'static str> {
    let folded = PRESENTATION_FORMS.get((c as u32).checked_sub(0xFB50)? as usize)?;
    Some(folded.as_str()).filter(|f| !f.is_empty())
}

/// The index into [`ARABIC_BLOCK`] of the character at `bytes[at..]` when it lies in
/// `U+0600–U+06FF` (UTF-8 lead bytes D8–DB, then one continuation byte).
#[inline]
fn arabic_block_offset(bytes: &[u8], at: usize) -> Option<usize> {
    match (bytes.get(at), bytes.get(at + 1)) {
        (Some(&lead @ 0xD8..=0xDB), Some(&next)) => {
            Some(usize::from(lead - 0xD8) << 6 | usize::from(next & 0x3F))
        }
        _ => None,
    }
}

/// State of the single pass between two characters.
#[derive(Default)]
struct Pass {
    /// The last thing emitted was a word character (so a mark here attaches to it).
    in_word: bool,
    /// A character was removed since the last emitted one.
    removed: bool,
    /// A removal may have left text that NFKC would change.
    needs_round: bool,
}

impl Pass {
    /// Before emitting a word character that is safe after a removal: the space that
    /// separates it from the previous word, if it starts one.
    #[inline]
    fn word_char(&mut self, out: &mut impl Sink) {
        self.removed = false;
        if !self.in_word && !out.is_empty() {
            out.space();
        }
        self.in_word = true;
    }

    /// The general step: what `action` says for the character `c` at `src[at..]`.
    fn step(&mut self, out: &mut impl Sink, at: usize, c: char, action: Action) {
        let emitted = match action {
            Action::Keep => c,
            Action::Mark if self.in_word => c,
            Action::Map(m) => m,
            Action::Mark | Action::Remove => {
                self.removed = true;
                return;
            }
            Action::Separate => {
                self.in_word = false;
                self.removed = false;
                return;
            }
        };
        if self.removed && !safe_after_removal(emitted) {
            self.needs_round = true;
        }
        self.word_char(out);
        out.emit(at, emitted, emitted != c);
    }
}

/// Rules 3–6 in one pass over `text`, into `out`.
///
/// `text` is NFKC, case-folded text, or, with `icu_free`, any text: then the pass stops and
/// returns `None` at the first character on which NFKC or case folding might not be the
/// identity ([`skips_icu`]), so that the caller runs the full pipeline instead. Otherwise it
/// returns whether another round of the whole pipeline is needed because a removal may have
/// left text that NFKC would change.
fn fold_into<S: Sink>(text: &str, out: &mut S, icu_free: bool) -> Option<bool> {
    let bytes = text.as_bytes();
    let arabic = &*ARABIC_BLOCK;
    let mut pass = Pass::default();
    let mut at = 0;
    while let Some(&lead) = bytes.get(at) {
        if !S::RUNS {
            let next = out.fast_span(bytes, at, &mut pass);
            if next != at {
                at = next;
                continue;
            }
        }
        if lead < 0x80 {
            // ASCII, most of the bytes of most text, with one table lookup per byte (ASCII is
            // safe after a removal).
            pass.removed = false;
            at += 1;
            match ASCII_FOLD[usize::from(lead)] {
                0 => pass.in_word = false,
                folded => {
                    pass.word_char(out);
                    out.ascii(at - 1, folded);
                }
            }
        } else if let Some(offset) = arabic_block_offset(bytes, at) {
            let ch = arabic[offset];
            if ch.plain {
                pass.word_char(out);
                out.arabic(at, ch.c);
            } else if icu_free && !ch.skips {
                return None;
            } else {
                pass.step(out, at, ch.c, ch.action);
            }
            at += 2;
        } else {
            let c = text.get(at..)?.chars().next()?;
            if icu_free && !skips_icu(c) {
                // An Arabic presentation form the pass can take for ICU, or give up.
                let folded = presentation_form(c)?;
                pass.word_char(out);
                folded.chars().for_each(|m| out.emit(at, m, true));
            } else {
                pass.step(out, at, c, classify(c));
            }
            at += c.len_utf8();
        }
        if S::RUNS && pass.in_word && !pass.removed {
            // A character was just emitted. After each character of the run `removed` stays
            // false and `in_word` true, as the loop would leave them.
            let run_end = word_run_end(bytes, at, icu_free);
            if run_end > at {
                out.keep_run(at, text.get(at..run_end)?);
                at = run_end;
            }
        }
    }
    Some(pass.needs_round)
}

/// Where the run of characters at `bytes[at..]` that the single pass copies unchanged ends: a
/// run ends before anything that is not a plain ASCII letter or digit or an unchanged letter
/// of the Arabic block (which the ICU-free pass may take, when `icu_free`).
fn word_run_end(bytes: &[u8], mut at: usize, icu_free: bool) -> usize {
    let arabic = &*ARABIC_BLOCK;
    loop {
        match bytes.get(at) {
            Some(b'a'..=b'z' | b'0'..=b'9') => {
                at += ascii_word_run(bytes.get(at..).unwrap_or_default())
            }
            _ => match arabic_block_offset(bytes, at).map(|offset| arabic[offset]) {
                Some(ch) if matches!(ch.action, Action::Keep) && (ch.skips || !icu_free) => at += 2,
                _ => return at,
            },
        }
    }
}

/// [`fold_into`] with an output that borrows the input while it can.
fn fold_and_split(text: &str) -> (Cow<'_, str>, bool) {
    let mut out = Output::new(text);
    let needs_round = fold_into(text, &mut out, false).unwrap_or(true);
    (out.finish(), needs_round)
}

/// `0x01` in every byte of a word: eight bytes at a time (SWAR).
const SWAR_ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
const SWAR_HIGH: u64 = SWAR_ONES * 0x80;

/// The high bit of each byte of `x` (seven-bit values: high bits clear) that lies in
/// `lo..=hi`, the others clear. The additions never carry into the next byte: the high bit of
/// `x + (0x80 - lo)` is set iff the byte is >= lo, of `x + (0x7F - hi)` iff it is > hi.
#[inline]
fn swar_in_range(x: u64, lo: u8, hi: u8) -> u64 {
    (x + SWAR_ONES * u64::from(0x80 - lo)) & !(x + SWAR_ONES * u64::from(0x7F - hi)) & SWAR_HIGH
}

/// How many bytes at the start of `bytes` are ASCII lower-case letters or digits: the words
/// the single pass copies unchanged. Eight bytes per step (SWAR: each byte's high bit answers
/// a range test), since byte by byte this loop was the largest cost of normalising English.
#[inline]
fn ascii_word_run(bytes: &[u8]) -> usize {
    let mut n = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let x = w & !SWAR_HIGH;
        let lower = swar_in_range(x, b'a', b'z');
        let digit = swar_in_range(x, b'0', b'9');
        // Bytes with the high bit set (not ASCII) never belong to the run.
        let ok = (lower | digit) & !w & SWAR_HIGH;
        if ok != SWAR_HIGH {
            return n + ((!ok & SWAR_HIGH).trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while matches!(bytes.get(n), Some(b'a'..=b'z' | b'0'..=b'9')) {
        n += 1;
    }
    n
}

/// [`normalize`] into a buffer the caller reuses: the hot loops of the scan and the index
/// normalise millions of paragraphs and should not allocate for each.
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    if fold_into(text, out, true) == Some(false) {
        return;
    }
    out.clear();
    out.push_str(&full_pipeline(text));
}

/// The single pass's output for the sketch: the normalised text, where each of its words
/// starts (0, then one past each separating space), and whether a character at U+0800 or
/// above was emitted (only then can the text be in a script written without spaces).
///
/// The text is written as bytes at `len` into `bytes`, which is at least 64 bytes longer
/// than the input: the single pass never writes more bytes than it reads (every character is
/// copied, mapped to one of no more bytes, or dropped, and a space replaces at least one
/// dropped separator), so a store of 64 bytes at `len` never falls outside, and a store
/// into a buffer of the right size costs a third of a `String` push. Should a write ever fall
/// outside, `len` still counts it and [`Words::finish`] refuses the result.
///
/// Unlike the general step, which writes the space between two words when the second one
/// starts, [`Words::fast_span`] writes it at the first separator after a word (what lets a
/// block of ASCII bytes go at once, whatever they hold); [`Words::space`] then writes none of its
/// own, and [`Words::finish`] drops a space left at the end.
///
/// The word starts go the same way into `starts`, longer than any count of them (one more
/// than the input's length), at `count`: stores the compiler need not check for capacity.
struct Words<'a> {
    src: &'a [u8],
    bytes: Vec<u8>,
    len: usize,
    starts: Vec<usize>,
    count: usize,
    wide: bool,
    /// Whether [`ascii_block`] runs on this CPU.
    wide_blocks: bool,
}

/// The buffers of [`Words`], kept from one paragraph to the next on each thread.
#[derive(Default)]
struct WordBuffers {
    bytes: Vec<u8>,
    starts: Vec<usize>,
}

impl Words<'_> {
    #[inline]
    fn put(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
        }
        self.len += 1;
    }

    /// Appends the text to `out` and the word starts after the first to `starts`, unless a
    /// write fell outside the buffers.
    fn finish(&mut self, out: &mut String, starts: &mut Vec<usize>) -> bool {
        if self.len > 0 && self.bytes.get(self.len - 1) == Some(&b' ') {
            // The space [`Words::fast_span`] wrote after the last word.
            self.len -= 1;
            self.count -= 1;
        }
        // Checked (in SIMD, a small cost next to the pass) because the bytes were written one
        // by one; every piece is a whole character, so this always succeeds.
        match (
            self.bytes.get(..self.len).map(simdutf8::basic::from_utf8),
            self.starts.get(..self.count),
        ) {
            (Some(Ok(text)), Some(word_starts)) => {
                out.push_str(text);
                starts.extend_from_slice(word_starts);
                true
            }
            _ => false,
        }
    }
}

impl Sink for Words<'_> {
    const RUNS: bool = false;
    fn is_empty(&self) -> bool {
        self.len == 0
    }
    fn emit(&mut self, _at: usize, c: char, _mapped: bool) {
        self.wide |= c >= '\u{0800}';
        for &b in c.encode_utf8(&mut [0; 4]).as_bytes() {
            self.put(b);
        }
    }
    fn ascii(&mut self, _at: usize, b: u8) {
        self.put(b);
    }
    fn fast_span(&mut self, src: &[u8], at: usize, pass: &mut Pass) -> usize {
        if !pass.in_word {
            // The general step writes the space when the next word starts, this loop when the
            // last one ends: the space a word that ended there is owed.
            self.space();
        }
        let mut state = SpanState {
            len: self.len,
            count: self.count,
            in_word: pass.in_word,
            removed: pass.removed,
        };
        let at = word_span(
            src,
            at,
            &mut self.bytes,
            &mut self.starts,
            &mut state,
            self.wide_blocks,
        );
        (self.len, self.count) = (state.len, state.count);
        (pass.in_word, pass.removed) = (state.in_word, state.removed);
        at
    }
    fn arabic(&mut self, at: usize, _c: char) {
        // The two bytes as they are: cheaper than encoding the character again.
        let (first, second) = (self.src.get(at), self.src.get(at + 1));
        self.put(first.copied().unwrap_or_default());
        self.put(second.copied().unwrap_or_default());
    }
    fn keep_run(&mut self, _at: usize, run: &str) {
        run.bytes().for_each(|b| self.put(b));
    }
    fn space(&mut self) {
        if self.len == 0 || self.bytes.get(self.len - 1) == Some(&b' ') {
            // No word yet, or [`Words::fast_span`] wrote it already.
            return;
        }
        self.put(b' ');
        record_start(&mut self.starts, &mut self.count, self.len);
    }
}

/// Records `start` as the word start number `count` (then counted) in [`Words`]'s `starts`.
/// A count past the end of the buffer is still counted, so that [`Words::finish`] refuses
/// the result rather than return starts that were never written.
#[inline]
fn record_start(starts: &mut [usize], count: &mut usize, start: usize) {
    if let Some(slot) = starts.get_mut(*count) {
        *slot = start;
    }
    *count += 1;
}

/// The state of [`word_span`] between two characters: [`Words`]'s lengths and [`Pass`]'s
/// flags.
#[derive(Clone, Copy)]
struct SpanState {
    len: usize,
    count: usize,
    in_word: bool,
    removed: bool,
}

impl SpanState {
    /// Writes `out` (its first `len` bytes count) for a word character.
    #[inline]
    fn word_char(&mut self, bytes: &mut [u8], out: [u8; 2], len: usize) {
        if let Some(slot) = bytes.get_mut(self.len..self.len + 2) {
            // Writing both bytes costs less than a test; `len` moves past the real ones.
            slot.copy_from_slice(&out);
        }
        (self.len, self.in_word, self.removed) = (self.len + len, true, false);
    }

    /// A word break: the space that ends the word, if one is open, and the start of the
    /// next word after it.
    #[inline]
    fn separate(&mut self, bytes: &mut [u8], starts: &mut [usize]) {
        if self.in_word {
            if let Some(slot) = bytes.get_mut(self.len) {
                *slot = b' ';
            }
            self.len += 1;
            record_start(starts, &mut self.count, self.len);
        }
        (self.in_word, self.removed) = (false, false);
    }
}

/// [`Words::fast_span`]'s loop over the characters from `src[at]` on that it takes (ASCII and
/// most of the Arabic block), writing into [`Words`]'s `bytes` and `starts`; returns where it
/// stopped. A function of its own so that the compiler knows the buffers and the state apart
/// (as fields of one struct it reloads them after every store).
///
/// With `wide_blocks`, up to 64 ASCII bytes ([`ascii_block`]) or 64 bytes of Arabic words
/// ([`arabic_words::block64`]) at once where they come; else eight ASCII bytes
/// ([`ascii_chunk`]) or sixteen of Arabic words ([`arabic_words::block`]); and eight
/// characters one by one between them (the chunk test is not worth making at each character
/// of Arabic text).
#[inline]
fn word_span(
    src: &[u8],
    mut at: usize,
    bytes: &mut [u8],
    starts: &mut [usize],
    state: &mut SpanState,
    wide_blocks: bool,
) -> usize {
    // None of these characters changes `needs_round`: each emitted one is safe after a
    // removal.
    let arabic = &*ARABIC_BLOCK;
    let mut s = *state;
    'span: loop {
        if wide_blocks {
            at = blocks(src, at, bytes, starts, &mut s, ascii_block::block);
        }
        while let Some(w) = src
            .get(at..at + 8)
            .and_then(|chunk| chunk.try_into().ok())
            .map(u64::from_le_bytes)
            .filter(|w| w & SWAR_HIGH == 0)
        {
            (s.len, s.count, s.in_word) = ascii_chunk(w, s.len, s.count, s.in_word, bytes, starts);
            s.removed = false;
            at += 8;
        }
        at = if wide_blocks {
            blocks(src, at, bytes, starts, &mut s, arabic_words::block64)
        } else {
            blocks(src, at, bytes, starts, &mut s, arabic_words::block)
        };
        for _ in 0..8 {
            let Some(&lead) = src.get(at) else {
                break 'span;
            };
            if lead < 0x80 {
                at += 1;
                match ASCII_FOLD[usize::from(lead)] {
                    0 => s.separate(bytes, starts),
                    folded => s.word_char(bytes, [folded, 0], 1),
                }
                continue;
            }
            let Some(ch) = arabic_block_offset(src, at).map(|offset| arabic[offset]) else {
                break 'span;
            };
            let pair = [lead, src.get(at + 1).copied().unwrap_or_default()];
            // Most letters are plain: tested first, a branch taken all along a word.
            match ch.quick {
                _ if ch.plain => s.word_char(bytes, pair, 2),
                Quick::Copy => s.word_char(bytes, pair, 2),
                Quick::Map(out, len) => s.word_char(bytes, out, usize::from(len)),
                Quick::Remove => s.removed = true,
                Quick::Separate => s.separate(bytes, starts),
                Quick::Other => break 'span,
            }
            at += 2;
        }
    }
    *state = s;
    at
}

/// What one block of [`ascii_block`] or [`arabic_words`] gives: how many bytes of the source
/// it took (at least one), how many it wrote (the first `kept` of those it stored), where its
/// spaces are among them (a bit per byte), and whether a word is open after it.
struct Block {
    taken: usize,
    kept: usize,
    spaces: u64,
    in_word: bool,
}

/// [`word_span`]'s run of blocks from `src[at]` (`block` takes the source from there and
/// whether a word is open, and stores `W` bytes into the output); returns where it stopped.
#[inline]
fn blocks<const W: usize>(
    src: &[u8],
    mut at: usize,
    bytes: &mut [u8],
    starts: &mut [usize],
    s: &mut SpanState,
    block: impl Fn(&[u8], bool, &mut [u8; W]) -> Option<Block>,
) -> usize {
    while let Some(taken) = bytes
        .get_mut(s.len..s.len + W)
        .and_then(|out| out.try_into().ok())
        .and_then(|out| block(src.get(at..)?, s.in_word, out))
    {
        record_spaces(starts, &mut s.count, s.len, taken.spaces);
        (s.len, s.in_word, s.removed) = (s.len + taken.kept, taken.in_word, false);
        at += taken.taken;
    }
    at
}

/// Records a word start after each space of a block written at `len` into [`Words`]'s
/// bytes (`spaces`: a bit per byte of the block).
#[inline]
fn record_spaces(starts: &mut [usize], count: &mut usize, len: usize, mut spaces: u64) {
    while spaces != 0 {
        record_start(starts, count, len + spaces.trailing_zeros() as usize + 1);
        spaces &= spaces - 1;
    }
}

/// Sixteen bytes of Arabic words at once (SSE2), or up to 64 with AVX-512 ([`block64`]):
/// the common run of letters of the Arabic block that the single pass copies or folds to a
/// letter of the same length (`U+0620–U+063F`, `U+0641–U+064A`), separated by single spaces.
/// Everything else (marks, tatweel, digits, punctuation, other scripts, two spaces) is left
/// to the character loop, so this only ever does what that loop would do, faster;
/// `fast_loops_equal_reference_pass` and `arabic_blocks_equal_the_character_loop` check it.
mod arabic_words {
    use super::Block;

    /// The block of the first sixteen bytes of `src` (which starts at a character boundary),
    /// written into `out`, or `None` when they hold anything else than described above, or a
    /// space first while no word is open.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    #[allow(unsafe_code)]
    pub(super) fn block(src: &[u8], in_word: bool, out: &mut [u8; 16]) -> Option<Block> {
        let bytes = src.first_chunk::<16>()?;
        // SAFETY: SSE2 is part of every x86-64 CPU (the target's baseline), so the function
        // that uses it runs anywhere this code is compiled for; no memory is touched through
        // pointers.
        unsafe { block_sse2(bytes, in_word, out) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "sse2")]
    fn block_sse2(bytes: &[u8; 16], in_word: bool, out: &mut [u8; 16]) -> Option<Block> {
        use std::arch::x86_64::*;
        let x: __m128i = zerocopy::transmute!(*bytes);
        let splat = |b: u8| _mm_set1_epi8(b as i8);
        let eq = |v: __m128i, b: u8| _mm_cmpeq_epi8(v, splat(b));
        let mask = |v: __m128i| _mm_movemask_epi8(v) as u32;
        let (or, and) = (_mm_or_si128, _mm_and_si128);
        let space = mask(eq(x, b' '));
        let lead_d8 = eq(x, 0xD8);
        let lead = mask(or(lead_d8, eq(x, 0xD9)));
        // Continuation bytes 0x80–0xBF are the signed bytes below -64.
        let continuation = mask(_mm_cmplt_epi8(x, splat(0xC0)));
        if space | lead | continuation != 0xFFFF {
            return None;
        }
        // A character cut by the end of the block is left to the next one.
        let len = if lead & 0x8000 != 0 { 15 } else { 16 };
        if (lead & 0x7FFF) << 1 != continuation {
            return None;
        }
        // Each second byte in the ranges of letters, for its lead byte.
        let previous = _mm_slli_si128::<1>(x);
        let (after_d8, after_d9) = (eq(previous, 0xD8), eq(previous, 0xD9));
        let in_range = |lo: u8, hi: u8| {
            let offset = _mm_sub_epi8(x, splat(lo));
            _mm_cmpeq_epi8(_mm_min_epu8(offset, splat(hi - lo)), offset)
        };
        let letters = or(
            and(after_d8, in_range(0xA0, 0xBF)),
            and(after_d9, in_range(0x81, 0x8A)),
        );
        if mask(letters) & continuation != continuation {
            return None;
        }
        let spaces = space & ((1 << len) - 1);
        if spaces & (spaces << 1) != 0 || (spaces & 1 != 0 && !in_word) {
            return None;
        }
        // The folds (rule 4): آ أ إ → ا, ؤ → و, ئ ى → ي, ة → ه: second bytes A2 A3 A5 → A7,
        // A4 → 88, A6 → 8A, A9 → 87 after D8 (those last three with D9 as the new lead),
        // 89 → 8A after D9.
        let set = |v: __m128i, at: __m128i, b: u8| or(_mm_andnot_si128(at, v), and(at, splat(b)));
        let after = |lead: __m128i, b: u8| and(lead, eq(x, b));
        let next = _mm_srli_si128::<1>(x);
        let new_lead = and(
            lead_d8,
            or(or(eq(next, 0xA4), eq(next, 0xA6)), eq(next, 0xA9)),
        );
        let mut written = set(x, new_lead, 0xD9);
        written = set(
            written,
            or(
                or(after(after_d8, 0xA2), after(after_d8, 0xA3)),
                after(after_d8, 0xA5),
            ),
            0xA7,
        );
        written = set(written, after(after_d8, 0xA4), 0x88);
        written = set(
            written,
            or(after(after_d8, 0xA6), after(after_d9, 0x89)),
            0x8A,
        );
        written = set(written, after(after_d8, 0xA9), 0x87);
        *out = zerocopy::transmute!(written);
        Some(Block {
            taken: len,
            kept: len,
            spaces: spaces.into(),
            in_word: spaces >> (len - 1) & 1 == 0,
        })
    }

    /// The same with AVX-512 for up to 64 bytes: the longest run from `src`'s first byte of
    /// whole letters of the ranges above and single spaces (a space first only while a word
    /// is open), or `None` when that run is empty or the CPU lacks the block
    /// ([`super::ascii_block::available`], the same check as the ASCII block's).
    #[cfg(target_arch = "x86_64")]
    #[inline]
    #[allow(unsafe_code)]
    pub(super) fn block64(src: &[u8], in_word: bool, out: &mut [u8; 64]) -> Option<Block> {
        if !super::ascii_block::available() {
            return None;
        }
        // SAFETY: `ascii_block::available()` found AVX-512F and BW (among others); no memory
        // is touched through pointers.
        unsafe { block_avx512(src, in_word, out) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn block_avx512(src: &[u8], in_word: bool, out: &mut [u8; 64]) -> Option<Block> {
        use std::arch::x86_64::*;
        let x = super::load64(src);
        let splat = |b: u8| _mm512_set1_epi8(b as i8);
        let eq = |b: u8| _mm512_cmpeq_epi8_mask(x, splat(b));
        let in_range =
            |lo: u8, hi: u8| _mm512_cmple_epu8_mask(_mm512_sub_epi8(x, splat(lo)), splat(hi - lo));
        // Masks of bytes (bit i: byte i); the byte past the block or the text is none of
        // these, so a character it would end is not taken.
        let (space, d8, d9) = (eq(b' '), eq(0xD8), eq(0xD9));
        let seconds = (in_range(0xA0, 0xBF) & d8 << 1) | (in_range(0x81, 0x8A) & d9 << 1);
        let first_space = u64::from(!in_word);
        let spaces = space & !(space << 1 | first_space);
        let good = seconds | seconds >> 1 | spaces;
        // The run of good bytes from the first.
        let taken = (!good).trailing_zeros() as usize;
        if taken == 0 {
            return None;
        }
        // The folds (rule 4), as in `block`.
        let (after_d8, after_d9) = (d8 << 1, d9 << 1);
        let mut written =
            _mm512_mask_mov_epi8(x, d8 & (eq(0xA4) | eq(0xA6) | eq(0xA9)) >> 1, splat(0xD9));
        written = _mm512_mask_mov_epi8(
            written,
            after_d8 & (eq(0xA2) | eq(0xA3) | eq(0xA5)),
            splat(0xA7),
        );
        written = _mm512_mask_mov_epi8(written, after_d8 & eq(0xA4), splat(0x88));
        written = _mm512_mask_mov_epi8(
            written,
            after_d8 & eq(0xA6) | after_d9 & eq(0x89),
            splat(0x8A),
        );
        written = _mm512_mask_mov_epi8(written, after_d8 & eq(0xA9), splat(0x87));
        *out = zerocopy::transmute!(written);
        let taken_bits = u64::MAX >> (64 - taken);
        Some(Block {
            taken,
            kept: taken,
            spaces: spaces & taken_bits,
            in_word: spaces >> (taken - 1) & 1 == 0,
        })
    }

    /// Elsewhere the character loop does it all.
    #[cfg(not(target_arch = "x86_64"))]
    #[inline]
    pub(super) fn block(_src: &[u8], _in_word: bool, _out: &mut [u8; 16]) -> Option<Block> {
        None
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[inline]
    pub(super) fn block64(_src: &[u8], _in_word: bool, _out: &mut [u8; 64]) -> Option<Block> {
        None
    }
}

/// Eight ASCII bytes `w` (little-endian) at once (SWAR, as in [`ascii_word_run`]), written
/// at `len` into `bytes`, with the starts of the words they open at `count` into `starts`:
/// letters lowercased, a separator right after a word character becomes the space that ends
/// the word, other separators are dropped. Returns the new length and count, and whether a
/// word is open.
#[inline]
fn ascii_chunk(
    w: u64,
    len: usize,
    mut count: usize,
    in_word: bool,
    bytes: &mut [u8],
    starts: &mut [usize],
) -> (usize, usize, bool) {
    let upper = swar_in_range(w, b'A', b'Z');
    let word = upper | swar_in_range(w, b'a', b'z') | swar_in_range(w, b'0', b'9');
    let sep = !word & SWAR_HIGH;
    let after_word = (word << 8) | (u64::from(in_word) << 7);
    // Letters get bit 5 (0x20, lowercase), separators become 0x20 (space).
    let mut out = ((w | (upper >> 2)) & ((word >> 7) * 0xFF)) | (sep >> 2);
    // Squeeze out the dropped separators, the highest first so that the positions of the
    // lower ones stay put: most chunks have none or one.
    let mut dropped = sep & !after_word;
    let mut kept = 8;
    while dropped != 0 {
        let top = 63 - dropped.leading_zeros();
        let below = (1u64 << (top - 7)) - 1;
        out = (out & below) | ((out >> 8) & !below);
        dropped &= !(1u64 << top);
        kept -= 1;
    }
    if let Some(slot) = bytes.get_mut(len..len + 8) {
        slot.copy_from_slice(&out.to_le_bytes());
    }
    // The spaces kept (the bytes past `kept` are zero).
    let mut spaces = swar_in_range(out, b' ', b' ');
    while spaces != 0 {
        record_start(
            starts,
            &mut count,
            len + spaces.trailing_zeros() as usize / 8 + 1,
        );
        spaces &= spaces - 1;
    }
    (len + kept, count, word >> 63 != 0)
}

/// Up to sixty-four ASCII bytes at once with AVX-512 (on CPUs that have it, checked at run
/// time): the bytes from `src[at]` up to the first that is not ASCII, as [`ascii_chunk`]
/// takes eight (letters lowercased, a separator right after a word character becomes the
/// space that ends the word, other separators are dropped). The squeeze of the dropped
/// separators is one byte compress (`vpcompressb`, AVX-512 VBMI2), which SSE2 and AVX2 lack;
/// without it [`ascii_chunk`] does the work. `fast_loops_equal_reference_pass` checks both
/// against the character-by-character statement of the rules.
mod ascii_block {
    use super::Block;

    /// Whether this CPU runs [`block`] and [`super::arabic_words::block64`]: detected once.
    /// AVX2 too, because the compiler assumes it wherever AVX-512 is enabled, and a virtual
    /// CPU may mask it off (as `minhash::Kernel::detect` says).
    #[cfg(target_arch = "x86_64")]
    pub(super) fn available() -> bool {
        static AVAILABLE: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vbmi2")
                && std::arch::is_x86_feature_detected!("popcnt")
        });
        *AVAILABLE
    }

    /// The block at `src` written into `out`, or `None` when `src` does not start with an
    /// ASCII byte or the CPU lacks the block ([`available`]).
    #[cfg(target_arch = "x86_64")]
    #[inline]
    #[allow(unsafe_code)]
    pub(super) fn block(src: &[u8], in_word: bool, out: &mut [u8; 64]) -> Option<Block> {
        if !src.first().is_some_and(u8::is_ascii) || !available() {
            return None;
        }
        // SAFETY: `available()` found every feature the body is compiled for; no memory is
        // touched through pointers (the bytes go in and out as arrays).
        unsafe { block_avx512(src, in_word, out) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,popcnt")]
    fn block_avx512(src: &[u8], in_word: bool, out: &mut [u8; 64]) -> Option<Block> {
        use std::arch::x86_64::*;
        let x = super::load64(src);
        let valid = u64::MAX
            .checked_shr(64 - src.len().min(64) as u32)
            .unwrap_or(0);
        let splat = |b: u8| _mm512_set1_epi8(b as i8);
        // The bytes before the first one that is not ASCII (all of them if none is).
        let high = _mm512_movepi8_mask(x);
        let take = valid & high.wrapping_sub(1) & !high;
        // `x | 0x20` is a lowercase letter exactly for letters of both cases, and leaves
        // digits as they are: the written byte of every word character.
        let lower = _mm512_or_si512(x, splat(0x20));
        let in_range = |v: __m512i, lo: u8, hi: u8| {
            _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, splat(lo)), splat(hi - lo))
        };
        let word = in_range(lower, b'a', b'z') | in_range(x, b'0', b'9');
        let after_word = (word << 1) | u64::from(in_word);
        let keep = take & (word | after_word);
        let written = _mm512_mask_blend_epi8(word, splat(b' '), lower);
        let packed = _mm512_maskz_compress_epi8(keep, written);
        *out = zerocopy::transmute!(packed);
        let kept = keep.count_ones() as usize;
        let taken = take.count_ones() as usize;
        Some(Block {
            taken,
            kept,
            // The bytes past `kept` are zero.
            spaces: _mm512_cmpeq_epi8_mask(packed, splat(b' ')),
            in_word: word >> (taken - 1) & 1 != 0,
        })
    }

    /// Elsewhere [`super::ascii_chunk`] does it all.
    #[cfg(not(target_arch = "x86_64"))]
    pub(super) fn available() -> bool {
        false
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) fn block(_src: &[u8], _in_word: bool, _out: &mut [u8; 64]) -> Option<Block> {
        None
    }
}

/// The first 64 bytes of `src`, or all of it followed by zeros, for the AVX-512 blocks.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f")]
fn load64(src: &[u8]) -> std::arch::x86_64::__m512i {
    match src.first_chunk::<64>() {
        Some(full) => zerocopy::transmute!(*full),
        None => {
            // The end of the text: its last bytes, then zeros (never taken).
            let mut chunk = [0u8; 64];
            let len = src.len().min(64);
            chunk[..len].copy_from_slice(&src[..len]);
            zerocopy::transmute!(chunk)
        }
    }
}

thread_local! {
    static WORD_BUFFERS: std::cell::Cell<WordBuffers> =
        const { std::cell::Cell::new(WordBuffers { bytes: Vec::new(), starts: Vec::new() }) };
}

/// [`normalize_into`] fused with the word split that shingling needs: `out` gets exactly what
/// [`normalize_into`] writes, `starts` (cleared first) the byte offset where each word of `out`
/// starts, so the shingler need not search the text for spaces again. Returns false when `out`
/// certainly holds no character at U+0800 or above (so no script written without spaces, see
/// [`crate::shingle`]); true when it may.
///
/// The ICU-free single pass records the starts as it writes the spaces; text that needs the
/// full pipeline (exactly the text [`normalize_into`] sends there) is normalised by it and then
/// split by a search for spaces.
pub fn normalize_words_into(text: &str, out: &mut String, starts: &mut Vec<usize>) -> bool {
    normalize_words_with(text, out, starts, ascii_block::available())
}

/// [`normalize_words_into`], with or without [`ascii_block`] (the tests run both).
fn normalize_words_with(
    text: &str,
    out: &mut String,
    starts: &mut Vec<usize>,
    wide_blocks: bool,
) -> bool {
    out.clear();
    starts.clear();
    starts.push(0);
    let WordBuffers {
        mut bytes,
        starts: mut word_starts,
    } = WORD_BUFFERS
        .try_with(std::cell::Cell::take)
        .unwrap_or_default();
    // Room for a 64-byte store at any length the pass can reach, and for a start at every
    // byte (see [`Words`]).
    if bytes.len() < text.len() + 64 {
        bytes.resize(text.len() + 64, 0);
    }
    if word_starts.len() < text.len() + 1 {
        word_starts.resize(text.len() + 1, 0);
    }
    let mut words = Words {
        src: text.as_bytes(),
        bytes,
        len: 0,
        starts: word_starts,
        count: 0,
        wide: false,
        wide_blocks,
    };
    let done = fold_into(text, &mut words, true) == Some(false) && words.finish(out, starts);
    let wide = words.wide;
    // Only fails while the thread is being torn down; the buffers are then simply dropped.
    let _ = WORD_BUFFERS.try_with(|cell| {
        cell.set(WordBuffers {
            bytes: words.bytes,
            starts: words.starts,
        })
    });
    if done {
        return wide;
    }
    out.clear();
    out.push_str(&full_pipeline(text));
    starts.truncate(1);
    starts.extend(memchr::memchr_iter(b' ', out.as_bytes()).map(|space| space + 1));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(s: &str) -> String {
        normalize(s).into_owned()
    }

    fn is_borrowed(s: &str) -> bool {
        matches!(normalize(s), Cow::Borrowed(_))
    }

    #[test]
    fn tanween_is_removed() {
        assert_eq!(norm("مطروحاً"), norm("مطروحا"));
        assert_eq!(norm("مطروحاً"), "مطروحا");
    }

    #[test]
    fn shadda_is_removed_and_hamza_alef_folded() {
        assert_eq!(norm("أنّ"), norm("أن"));
        assert_eq!(norm("أنّ"), "ان");
    }

    #[test]
    fn arabic_sentence_with_colon_and_harakat() {
        assert_eq!(
            norm("لافروف: أكّد أنّ الاقتراحَ ليس مطروحاً"),
            "لافروف اكد ان الاقتراح ليس مطروحا"
        );
    }

    #[test]
    fn closing_quote_and_full_stop_split_words() {
        assert_eq!(norm("الإرهابيين”.وأعرب"), "الارهابيين واعرب");
    }

    #[test]
    fn arabic_indic_digits_become_ascii() {
        assert_eq!(norm("٢٠١٦"), "2016");
        assert_eq!(norm("۲۰۱۶"), "2016");
        assert_eq!(norm("عام ٢٠١٦م"), "عام 2016م");
    }

    #[test]
    fn ascii_punctuation_case_and_spaces() {
        assert_eq!(norm("Hello,   WORLD!"), "hello world");
        assert_eq!(norm("  \t well-known_id  \r\n"), "well known id");
        assert_eq!(norm("a\0b\x7fc"), "a b c");
    }

    #[test]
    fn full_case_folding() {
        assert_eq!(norm("Straße"), "strasse");
        assert_eq!(norm("STRASSE"), "strasse");
        assert_eq!(norm("ΣΟΦΟΣ σοφος σοφοσ"), "σοφοσ σοφοσ σοφοσ");
    }

    #[test]
    fn compatibility_forms_are_folded() {
        assert_eq!(norm("ﻻ"), "لا");
        assert_eq!(norm("ﷲ"), "الله");
        assert_eq!(norm("ﺍﻟﺴﻼﻡ"), "السلام");
        assert_eq!(norm("ＨＥＬＬＯ ﬁne"), "hello fine");
    }

    #[test]
    fn tatweel_is_removed() {
        assert_eq!(norm("مـــرحبا"), "مرحبا");
    }

    #[test]
    fn seed_article_quote_versions_match() {
        let without = "«اقتراح خروج المسلحين ليس مطروحا حاليا لأن روسيا والولايات المتحدة لم تتوصلا إلى اتفاق بهذا الشأن»";
        let with = "اقتراح خروج المسلحين ليس مطروحاً حالياً، لأن روسيا والولايات المتحدة لم تتوصلا إلى اتفاق بهذا الشأن،";
        assert_eq!(norm(without), norm(with));
        assert_eq!(
            norm(with),
            "اقتراح خروج المسلحين ليس مطروحا حاليا لان روسيا والولايات المتحده لم تتوصلا الي اتفاق بهذا الشان"
        );
    }

    #[test]
    fn empty_and_separator_only_input() {
        for s in [
            "",
            " ",
            " \t\n\u{00A0}\u{3000} ",
            "...!?",
            "،؛؟«»“” ..",
            "\u{200B}\u{FEFF}",
        ] {
            assert_eq!(norm(s), "", "{s:?}");
        }
    }

    #[test]
    fn normal_input_is_borrowed() {
        assert!(is_borrowed("hello world"));
        assert!(is_borrowed("مرحبا بكم"));
        assert!(is_borrowed("नमस्ते दुनिया"));
        assert!(is_borrowed(""));
        // Trimming alone does not copy either.
        assert!(is_borrowed("  hello world.\n"));
        assert_eq!(norm("  hello world.\n"), "hello world");
    }

    #[test]
    fn invisible_controls_do_not_split_words() {
        assert_eq!(norm("مر\u{200F}حبا"), "مرحبا");
        assert_eq!(norm("\u{FEFF}ex\u{00AD}ample\u{200B}s"), "examples");
        assert_eq!(norm("\u{202B}نص\u{202C} \u{2066}text\u{2069}"), "نص text");
        assert_eq!(norm("می\u{200C}خواهم"), "ميخواهم");
        assert_eq!(norm("a\u{061C}b\u{2060}c\u{2064}d"), "abcd");
    }

    #[test]
    fn arabic_punctuation_and_ellipsis_separate() {
        assert_eq!(norm("نعم، لا؛ لماذا؟"), "نعم لا لماذا");
        assert_eq!(norm("سؤال.. “إن"), "سوال ان");
        assert_eq!(norm("«حلب»"), "حلب");
    }

    #[test]
    fn persian_and_urdu_letter_forms() {
        assert_eq!(norm("کتاب"), "كتاب");
        assert_eq!(norm("فارسی"), "فارسي");
        assert_eq!(norm("ھذا"), "هذا");
        assert_eq!(norm("ہ ۀ ة"), "ه ه ه");
        assert_eq!(norm("ۓ"), "ے");
        // Distinct letters in Pashto/Kurdish stay distinct.
        assert_eq!(norm("ې ۍ ێ"), "ې ۍ ێ");
    }

    #[test]
    fn alef_and_hamza_forms() {
        assert_eq!(norm("أ إ آ ٱ ٲ ٳ ا"), "ا ا ا ا ا ا ا");
        assert_eq!(norm("مسؤول شيئ على"), "مسوول شيي علي");
        // Decomposed input composes under NFKC first, then folds the same way.
        assert_eq!(norm("ا\u{0654}"), "ا");
    }

    #[test]
    fn latin_accents_are_kept() {
        assert_eq!(norm("Café"), "café");
        assert_ne!(norm("café"), norm("cafe"));
        // Decomposed and precomposed accents agree.
        assert_eq!(norm("cafe\u{0301}"), "café");
    }

    #[test]
    fn marks_of_other_scripts_are_kept() {
        assert_eq!(norm("नमस्ते, दुनिया!"), "नमस्ते दुनिया");
        assert_eq!(norm("שָׁלוֹם"), "שָׁלוֹם");
    }

    #[test]
    fn marks_at_word_start_go_with_the_separator() {
        assert_eq!(norm("I ❤\u{FE0F} you"), "i you");
        assert_eq!(norm("a \u{00B4}b"), "a b");
        assert_eq!(norm("\u{0301}x"), "x");
    }

    #[test]
    fn removal_that_enables_composition_is_recomposed() {
        // Hangul jamo split by a zero-width space compose once it is gone.
        assert_eq!(norm("\u{1100}\u{200B}\u{1161}"), "\u{AC00}");
        // An Arabic hamza mark blocking a Latin accent.
        assert_eq!(norm("a\u{0654}\u{0301}"), "\u{00E1}");
        // Canonical reordering after a removed joiner.
        let once = norm("a\u{0301}\u{200D}\u{0327}");
        assert_eq!(norm(&once), once);
    }

    #[test]
    fn fold_unstable_normal_text_is_borrowed() {
        // `ΐ` folds to three code points that NFKC recomposes into `ΐ`.
        assert_eq!(norm("ΐ"), "\u{0390}");
        assert!(is_borrowed("\u{0390}"));
    }

    #[test]
    fn symbols_separate_and_compat_symbols_become_words() {
        assert_eq!(norm("5$ + 3€ = ©2016"), "5 3 2016");
        assert_eq!(norm("Brand™ ①"), "brandtm 1");
    }

    #[test]
    fn arabic_fast_path_ranges_are_letters() {
        // `classify` keeps these without a property lookup; that is only right for letters.
        let ranges = [
            ('\u{0620}', '\u{063F}'),
            ('\u{0641}', '\u{064A}'),
            ('\u{0674}', '\u{06D3}'),
        ];
        for (lo, hi) in ranges {
            for c in lo..=hi {
                assert_eq!(
                    GENERAL_CATEGORY.get(c),
                    GeneralCategory::OtherLetter,
                    "{c:?}"
                );
            }
        }
    }

    /// Characters that exercise the rules: Arabic (letters, marks, presentation forms), Latin
    /// with combining marks, Greek with iota subscripts, Hangul jamo, Indic scripts with
    /// backward-combining vowel signs, invisible controls, separators and case-folding oddities.
    fn tricky_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::char::range('\u{0600}', '\u{06FF}'),
            1 => prop::char::range('\u{0750}', '\u{077F}'),
            2 => prop::char::range('\u{FB50}', '\u{FDFF}'),
            2 => prop::char::range('\u{FE70}', '\u{FEFF}'),
            2 => prop::char::range('a', 'z'),
            1 => prop::char::range('A', 'Z'),
            2 => prop::char::range('\u{0300}', '\u{036F}'),
            1 => prop::char::range('\u{00A0}', '\u{024F}'),
            1 => prop::char::range('\u{0370}', '\u{03FF}'),
            1 => prop::char::range('\u{1F00}', '\u{1FFF}'),
            1 => prop::char::range('\u{1100}', '\u{11FF}'),
            1 => prop::char::range('\u{0900}', '\u{0DFF}'),
            1 => prop::char::range('\u{2000}', '\u{206F}'),
            1 => prop::char::range('\u{3300}', '\u{33FF}'),
            3 => prop::sample::select(vec![
                '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}',
                '\u{202E}', '\u{2060}', '\u{2064}', '\u{2066}', '\u{2069}', '\u{061C}',
                '\u{FEFF}', '\u{00AD}', '\u{034F}', '\u{FE0F}', '\u{180E}', '\u{0600}',
                '\u{3164}', '\u{FFA0}', '\u{E0001}', '\u{0640}', '\u{0651}', '\u{064B}',
                '\u{0653}', '\u{0654}', '\u{0655}', '\u{0670}',
            ]),
            3 => prop::sample::select(vec![
                ' ', ' ', '\t', '\n', '\r', '\u{00A0}', '\u{3000}', '\u{2028}', '\u{0085}',
                '،', '؛', '؟', '“', '”', '«', '»', '.', ',', '-', '_', '\0', '\u{00B4}',
                '❤', '\u{FFFD}',
            ]),
            2 => prop::sample::select(vec![
                'ß', 'ẞ', 'İ', 'ı', 'Σ', 'ς', 'ﬀ', 'ﬁ', 'ǰ', 'ΐ', '\u{0345}', 'ᾳ', 'ᾼ', '㎒',
                '™', '①', '½', 'ﷺ', 'ﷲ', 'ﻻ', '\u{212A}', '\u{212B}', 'ǅ', 'ŉ', '\u{1E9B}',
                '\u{0307}', '\u{0308}', '\u{0301}', '\u{0327}', '\u{09BE}', '\u{0B3E}',
                '\u{1161}', '\u{11A8}', '\u{AC00}', '\u{09C7}', '\u{0B47}',
            ]),
            1 => any::<char>(),
        ]
    }

    /// Characters the ICU-free path accepts, weighted towards the interesting ones.
    fn fast_path_char() -> impl Strategy<Value = char> {
        prop_oneof![
            2 => prop::char::range('\u{0600}', '\u{06FF}').prop_filter("skips ICU", |&c| skips_icu(c)),
            2 => prop::sample::select(vec![
                '\u{0627}', '\u{0648}', '\u{064A}', '\u{06C1}', '\u{06D2}', '\u{0653}',
                '\u{0654}', '\u{0655}', '\u{064B}', '\u{0651}', '\u{0650}', '\u{0670}',
                '\u{0640}', ' ', '\u{00A0}', '\u{200C}', '\u{200F}', '\u{2026}', '\u{201C}',
                '\u{00A9}', '\u{00A3}', '\u{00B7}', '\u{00D7}', '\u{00F7}', '\u{00BF}',
            ]),
            1 => prop::char::range('\u{2000}', '\u{2064}'),
            1 => prop::char::range('\u{FB50}', '\u{FEFF}')
                .prop_filter("taken for ICU", |&c| presentation_form(c).is_some()),
            1 => prop::char::range('\0', '\x7f'),
        ]
    }

    fn fast_path_string() -> impl Strategy<Value = String> {
        prop::collection::vec(fast_path_char(), 0..40).prop_map(|v| v.into_iter().collect())
    }

    #[test]
    fn every_accepted_character_alone_equals_the_full_pipeline() {
        for c in (0u32..0x3000)
            .filter_map(char::from_u32)
            .filter(|&c| skips_icu(c))
        {
            for s in [
                c.to_string(),
                format!("a{c}b"),
                format!("\u{0628}{c}\u{0628}"),
            ] {
                assert_eq!(normalize(&s), full_pipeline(&s), "U+{:04X}", c as u32);
            }
        }
        let mut buf = String::new();
        for c in ('\u{FB50}'..='\u{FEFF}').filter(|&c| presentation_form(c).is_some()) {
            for s in [
                c.to_string(),
                format!("a{c}b"),
                format!("\u{0628}{c}\u{0628}"),
                format!("{c}{c}\u{0654}"),
                format!("\u{0653}{c}\u{0653}\u{0651}"),
                format!("\u{200D}{c}\u{0655}"),
                format!("{c}\u{0670} {c}\u{0640}"),
            ] {
                normalize_into(&s, &mut buf);
                assert_eq!(buf, full_pipeline(&s), "U+{:04X}", c as u32);
            }
        }
    }

    /// Long runs of Arabic words as news text has them: letters of `U+0620–U+064A` with now
    /// and then any character of the block, mostly single spaces, now and then punctuation or
    /// two spaces; what [`arabic_words::block`] takes sixteen bytes at a time, and
    /// [`arabic_words::block64`] up to 64.
    fn arabic_words_string() -> impl Strategy<Value = String> {
        let letter = prop_oneof![
            20 => prop::char::range('\u{0620}', '\u{064A}'),
            1 => prop::char::range('\u{0600}', '\u{06FF}'),
            1 => prop::sample::select(vec!['a', '7', '.', '\u{00A0}', '\u{FEDF}']),
        ];
        let word = prop::collection::vec(letter, 1..9);
        let gap = prop_oneof![
            12 => Just(" "),
            1 => Just("  "),
            1 => Just(". "),
            1 => Just("، "),
        ];
        prop::collection::vec((word, gap), 0..24).prop_map(|words| {
            let mut text = String::new();
            for (word, gap) in words {
                text.extend(word);
                text.push_str(gap);
            }
            text
        })
    }

    /// Every character of the Arabic block at every place of a sixteen-byte and a 64-byte
    /// block of letters, after a word or a space: [`arabic_words::block`] and
    /// [`arabic_words::block64`] take exactly what the character loop would, and give what
    /// it would.
    #[test]
    fn arabic_blocks_equal_the_character_loop() {
        for c in '\u{0600}'..='\u{06FF}' {
            for at in 0..34 {
                for prefix in ["", "ب ", "ب", " "] {
                    let mut chars = vec!['ب'; 34];
                    chars[at] = c;
                    let mut text = String::from(prefix);
                    text.extend(&chars);
                    for (i, ch) in chars.iter().enumerate() {
                        text.push(if i == at { ' ' } else { *ch });
                    }
                    if let Err(e) = check_against_reference(&text) {
                        panic!("{c:?} at {at} after {prefix:?}: {e}");
                    }
                }
            }
        }
    }

    /// Every ASCII byte, and a character that is not ASCII, at every place of a 64-byte
    /// block and of the text's end, after a word, a space or nothing: [`ascii_block::block`]
    /// takes exactly the ASCII bytes the character loop would, and gives what it would (as
    /// do the eight-byte chunks, see `check_against_reference`).
    #[test]
    fn ascii_blocks_equal_the_character_loop() {
        let specials = (0..0x80u8)
            .map(char::from)
            .chain(['é', '\u{00A0}', 'ب', '،']);
        for c in specials {
            for at in 0..72 {
                for prefix in ["", "w", " ", "w ", "w  "] {
                    let mut chars = vec!['x'; 72];
                    chars[at] = c;
                    for len in [at + 1, (at + 2).min(72), 72] {
                        let mut text = String::from(prefix);
                        text.extend(&chars[..len]);
                        if let Err(e) = check_against_reference(&text) {
                            panic!("{c:?} at {at} of {len} after {prefix:?}: {e}");
                        }
                    }
                }
            }
        }
    }

    fn tricky_string() -> impl Strategy<Value = String> {
        prop::collection::vec(tricky_char(), 0..32).prop_map(|v| v.into_iter().collect())
    }

    /// Rules 3–6 as the module documentation states them, one character at a time through
    /// [`classify`] and [`skips_icu`], with none of `fold_into`'s tables, runs or sink loops:
    /// the text, the word starts and whether another round is needed, or `None` where the
    /// ICU-free pass must give up.
    fn reference_pass(text: &str) -> Option<(String, Vec<usize>, bool)> {
        let (mut out, mut starts) = (String::new(), vec![0]);
        let (mut in_word, mut removed, mut needs_round) = (false, false, false);
        for c in text.chars() {
            let mut utf8 = [0; 4];
            // A presentation form is taken for its NFKC form (checked against ICU below).
            let emitted: &str = if let Some(folded) = presentation_form(c) {
                folded
            } else if !skips_icu(c) {
                return None;
            } else {
                match classify(c) {
                    Action::Keep => c.encode_utf8(&mut utf8),
                    Action::Mark if in_word => c.encode_utf8(&mut utf8),
                    Action::Map(m) => m.encode_utf8(&mut utf8),
                    Action::Mark | Action::Remove => {
                        removed = true;
                        continue;
                    }
                    Action::Separate => {
                        (in_word, removed) = (false, false);
                        continue;
                    }
                }
            };
            needs_round |= removed && emitted.chars().any(|e| !safe_after_removal(e));
            removed = false;
            if !in_word && !out.is_empty() {
                out.push(' ');
                starts.push(out.len());
            }
            in_word = true;
            out.push_str(emitted);
        }
        Some((out, starts, needs_round))
    }

    /// ASCII-heavy text: words in both cases with digits, between runs of spaces, punctuation
    /// and controls, and now and then a character of another kind.
    fn ascii_heavy_string() -> impl Strategy<Value = String> {
        "([a-zA-Z0-9]{0,12}[ ,.;:!?'()\t\n\r\0\x7f-]{0,3}(\u{00A0}|\u{00A9}|\u{00E9}|\u{0301}|\u{200B}|\u{201C}|\u{0627}|){0,1}){0,24}"
    }

    /// Arabic-heavy text: letters (plain and folded), harakat, tatweel, hamza forms and
    /// carriers, Arabic-Indic digits, Quranic signs, Arabic and ASCII punctuation, invisible
    /// controls and a few Latin or presentation-form characters.
    fn arabic_heavy_string() -> impl Strategy<Value = String> {
        let arabic = prop_oneof![
            6 => prop::char::range('\u{0621}', '\u{064A}'),
            3 => prop::char::range('\u{064B}', '\u{0652}'),
            2 => prop::sample::select(vec![
                '\u{0640}', '\u{0622}', '\u{0623}', '\u{0624}', '\u{0625}', '\u{0626}',
                '\u{0629}', '\u{0649}', '\u{0670}', '\u{0671}', '\u{0653}', '\u{0654}',
                '\u{0655}', '\u{06A9}', '\u{06CC}', '\u{06BE}', '\u{06C1}', '\u{06D5}',
                '\u{06D3}', '\u{0675}', '\u{0610}', '\u{06D6}', '\u{06ED}', '\u{0600}',
            ]),
            2 => prop::char::range('\u{0660}', '\u{0669}'),
            1 => prop::char::range('\u{06F0}', '\u{06F9}'),
            1 => prop::char::range('\u{0600}', '\u{06FF}'),
            3 => prop::sample::select(vec![
                ' ', ' ', '.', ':', '،', '؛', '؟', '«', '»', '\u{00A0}', '\u{200C}',
                '\u{200F}', '\n', 'a', 'Z', '7', '\u{FEDF}', '\u{FE8E}', '\u{0301}',
            ]),
        ];
        prop::collection::vec(arabic, 0..48).prop_map(|v| v.into_iter().collect())
    }

    /// `fold_into` into each sink against [`reference_pass`], and what the public functions
    /// built on it give.
    fn check_against_reference(input: &str) -> Result<(), TestCaseError> {
        let reference = reference_pass(input);
        let mut words = (String::from("stale"), vec![7]);
        let wide = normalize_words_into(input, &mut words.0, &mut words.1);
        if ascii_block::available() {
            // The narrow paths that CPUs without AVX-512 use (eight-byte ASCII chunks,
            // sixteen-byte Arabic blocks) give the same.
            let mut chunked = (String::from("stale"), vec![7]);
            let chunked_wide = normalize_words_with(input, &mut chunked.0, &mut chunked.1, false);
            prop_assert_eq!(
                (&chunked, chunked_wide),
                (&words, wide),
                "input {:?}",
                input
            );
        }
        let mut buf = String::from("stale");
        normalize_into(input, &mut buf);
        prop_assert_eq!(&buf, &words.0, "input {:?}", input);
        if let Some((text, starts, needs_round)) = &reference {
            if input.chars().all(skips_icu) {
                let (owned, round) = fold_and_split(input);
                prop_assert_eq!(owned.as_ref(), text.as_str(), "input {:?}", input);
                prop_assert_eq!(round, *needs_round, "input {:?}", input);
            }
            buf.clear();
            prop_assert_eq!(fold_into(input, &mut buf, true), Some(*needs_round));
            prop_assert_eq!(&buf, text, "input {:?}", input);
            if !needs_round {
                prop_assert_eq!(&words.0, text, "input {:?}", input);
                prop_assert_eq!(&words.1, starts, "input {:?}", input);
                let narrow = text.chars().all(|c| c < '\u{0800}');
                prop_assert!(wide || narrow, "input {:?}", input);
            }
        } else {
            buf.clear();
            prop_assert_eq!(fold_into(input, &mut buf, true), None, "input {:?}", input);
        }
        Ok(())
    }

    fn check_output_shape(out: &str) -> Result<(), TestCaseError> {
        prop_assert!(!out.starts_with(' ') && !out.ends_with(' '), "{out:?}");
        prop_assert!(!out.contains("  "), "{out:?}");
        prop_assert!(
            !out.chars()
                .any(|c| c != ' ' && (c.is_whitespace() || c.is_ascii_punctuation())),
            "{out:?}"
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn idempotent_on_arbitrary_strings(s in any::<String>()) {
            let once = normalize(&s);
            let twice = normalize(&once);
            prop_assert!(matches!(twice, Cow::Borrowed(_)), "{s:?} -> {once:?} -> {twice:?}");
            prop_assert_eq!(&twice, &once);
            check_output_shape(&once)?;
        }

        #[test]
        fn idempotent_on_tricky_strings(s in tricky_string()) {
            let once = normalize(&s);
            let twice = normalize(&once);
            prop_assert!(matches!(twice, Cow::Borrowed(_)), "{s:?} -> {once:?} -> {twice:?}");
            prop_assert_eq!(&twice, &once, "input {:?}", s);
            check_output_shape(&once)?;
        }

        /// The ICU-free path gives what the full pipeline gives, on strings drawn only from
        /// the characters it accepts (plus a few Arabic marks and letters that compose).
        #[test]
        fn fast_path_equals_full_pipeline(s in fast_path_string()) {
            let fast = normalize(&s);
            let full = full_pipeline(&s);
            prop_assert_eq!(&fast, &full, "input {:?}", s);
            let mut buf = String::new();
            normalize_into(&s, &mut buf);
            prop_assert_eq!(buf.as_str(), full.as_ref(), "input {:?}", s);
        }

        /// The early-exit pass of `normalize_into` agrees with checking `skips_icu` first.
        #[test]
        fn icu_free_pass_equals_check_then_fold(s in fast_path_string(), t in tricky_string(), u in any::<String>()) {
            let mut buf = String::from("stale");
            for input in [&s, &t, &u] {
                let accepted = input.chars().all(|c| skips_icu(c) || presentation_form(c).is_some());
                let expected = input.chars().all(skips_icu).then(|| fold_and_split(input));
                buf.clear();
                let fast = fold_into(input, &mut buf, true);
                prop_assert_eq!(fast.is_some(), accepted, "input {:?}", input);
                if let (Some(needs_round), Some((out, expected_round))) = (fast, expected) {
                    prop_assert_eq!(buf.as_str(), out.as_ref(), "input {:?}", input);
                    prop_assert_eq!(needs_round, expected_round, "input {:?}", input);
                } else if fast == Some(false) {
                    let full = full_pipeline(input);
                    prop_assert_eq!(buf.as_str(), full.as_ref(), "input {:?}", input);
                }
            }
        }

        #[test]
        fn normalize_into_equals_normalize(s in tricky_string(), t in any::<String>()) {
            let mut buf = String::from("stale");
            for input in [&s, &t] {
                normalize_into(input, &mut buf);
                let expected = normalize(input);
                prop_assert_eq!(buf.as_str(), expected.as_ref(), "input {:?}", input);
            }
        }

        /// The fused pass gives what normalising and then shingling gives: the same text, the
        /// words where the spaces are, a `wide` flag that only promises what holds, and so the
        /// same shingle hashes, on arbitrary, adversarial and fast-path text (ASCII words
        /// longer than the eight-byte step included).
        #[test]
        fn fused_words_equal_normalize_then_shingle(
            s in fast_path_string(),
            t in tricky_string(),
            u in any::<String>(),
            v in "([a-zA-Z0-9]{0,20}[ ,.\u{0627}\u{064B}\u{4E00}\u{00E9}]){0,8}",
        ) {
            let (mut buf, mut starts) = (String::from("stale"), vec![9, 9]);
            let (mut scratch, mut fused, mut plain) =
                (crate::shingle::ShingleScratch::default(), vec![1], vec![2]);
            for input in [&s, &t, &u, &v] {
                let wide = normalize_words_into(input, &mut buf, &mut starts);
                let expected = normalize(input);
                prop_assert_eq!(buf.as_str(), expected.as_ref(), "input {:?}", input);
                let mut want = vec![0];
                want.extend(buf.match_indices(' ').map(|(i, _)| i + 1));
                prop_assert_eq!(&starts, &want, "input {:?}", input);
                prop_assert!(wide || buf.chars().all(|c| c < '\u{0800}'), "input {:?}", input);
                for k in 1..4 {
                    crate::shingle::shingle_words_into(&buf, &starts, wide, k, &mut scratch, &mut fused);
                    crate::shingle::shingle_hashes_into(&expected, k, &mut scratch, &mut plain);
                    prop_assert_eq!(&fused, &plain, "input {:?}", input);
                }
            }
        }

        #[test]
        fn ascii_word_run_counts_leading_letters_and_digits(bytes in prop::collection::vec(
            prop_oneof![4 => b'a'..=b'z', 2 => b'0'..=b'9', 1 => any::<u8>()], 0..40)) {
            let want = bytes
                .iter()
                .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                .count();
            prop_assert_eq!(ascii_word_run(&bytes), want);
        }

        /// The table lookups, the ASCII loops of the sinks, the Arabic-letter step and the run
        /// copies agree with the character-by-character statement of the rules.
        #[test]
        fn fast_loops_equal_reference_pass(
            s in any::<String>(),
            t in ascii_heavy_string(),
            u in arabic_heavy_string(),
            v in fast_path_string(),
            w in tricky_string(),
            x in arabic_words_string(),
        ) {
            for input in [&s, &t, &u, &v, &w, &x] {
                check_against_reference(input)?;
            }
        }

        #[test]
        fn ascii_matches_reference(s in "[ -~\t\n\r]{0,40}") {
            let expected = s
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
                .join(" ");
            prop_assert_eq!(normalize(&s), expected);
        }
    }
}
