//! Text normalisation (stub; to be written).
use std::borrow::Cow;

/// Version of the normalisation rules; bumped on every rule change.
pub const NORMALIZER_VERSION: u32 = 1;

/// Normalise `text` for comparison.
pub fn normalize(text: &str) -> Cow<'_, str> {
    Cow::Borrowed(text)
}
