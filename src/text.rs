//! Characters in user text that a reader cannot see, and their names.
//!
//! Free text (titles, notes, party names, `--by`) and deadline phrases are
//! printed to terminals and quoted in print, so some characters are refused
//! where they are typed: a carriage return can print one status over
//! another, an escape recolours the screen, a right-to-left override
//! reorders what follows it, and a zero width space makes two phrases look
//! alike. Each module decides which characters it refuses (a deadline phrase
//! refuses more than a title, which may need a zero width joiner to spell a
//! word); this one names them the same way everywhere: `U+000D (carriage
//! return)`. A stored event is not checked again when it is read, so text a
//! ledger holds is printed through [`shown`], which escapes them.

/// The first character of `text` that a terminal would act on rather than
/// show, with its 1-based position: C0 and C1 controls and DEL, line and
/// paragraph separators, and the bidirectional embeddings, overrides and
/// isolates that reorder what follows them.
pub fn unprintable(text: &str) -> Option<(usize, char)> {
    // Most text is printable ASCII, which needs no look at its characters.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    text.chars().enumerate().find(|&(_, c)| acts_on_terminal(c)).map(|(i, c)| (i + 1, c))
}

/// `text` as it may be printed to a terminal: each character
/// [`unprintable`] would find is written as its escape (`\u{1b}`), so that
/// text a ledger holds cannot move the cursor, clear the screen or reorder
/// what follows. Input refuses such characters, but a stored event is not
/// checked again when it is read, and a ledger can come from anyone.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    if unprintable(text).is_none() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if acts_on_terminal(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Whether a terminal acts on `c` rather than showing it (see
/// [`unprintable`]).
fn acts_on_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character by code point, and by name if it is one that cannot be seen:
/// `U+000D (carriage return)`, `U+200B (zero width space)`, `U+00E9`.
pub fn describe(c: char) -> String {
    match hidden_name(c) {
        Some(name) => format!("U+{:04X} ({name})", u32::from(c)),
        None => format!("U+{:04X}", u32::from(c)),
    }
}

/// The name of a character that cannot be seen or that a terminal acts on:
/// every control character, the line and paragraph separators, and the
/// format characters and other default-ignorable code points that text is
/// likely to carry. `None` for any other character.
pub fn hidden_name(c: char) -> Option<&'static str> {
    let n = u32::from(c);
    HIDDEN.iter().find(|&&(lo, hi, _)| (lo..=hi).contains(&n)).map(|&(_, _, name)| name)
}

/// Hidden characters by range and name, in code point order. The C0
/// controls carry their Unicode names, since a message that says "bell" or
/// "backspace" tells the user where the character came from.
#[rustfmt::skip]
const HIDDEN: &[(u32, u32, &str)] = &[
    (0x0000, 0x0000, "null"),
    (0x0001, 0x0001, "start of heading"),
    (0x0002, 0x0002, "start of text"),
    (0x0003, 0x0003, "end of text"),
    (0x0004, 0x0004, "end of transmission"),
    (0x0005, 0x0005, "enquiry"),
    (0x0006, 0x0006, "acknowledge"),
    (0x0007, 0x0007, "bell"),
    (0x0008, 0x0008, "backspace"),
    (0x0009, 0x0009, "tab"),
    (0x000A, 0x000A, "line feed"),
    (0x000B, 0x000B, "line tabulation"),
    (0x000C, 0x000C, "form feed"),
    (0x000D, 0x000D, "carriage return"),
    (0x000E, 0x000E, "shift out"),
    (0x000F, 0x000F, "shift in"),
    (0x0010, 0x0010, "data link escape"),
    (0x0011, 0x0011, "device control one"),
    (0x0012, 0x0012, "device control two"),
    (0x0013, 0x0013, "device control three"),
    (0x0014, 0x0014, "device control four"),
    (0x0015, 0x0015, "negative acknowledge"),
    (0x0016, 0x0016, "synchronous idle"),
    (0x0017, 0x0017, "end of transmission block"),
    (0x0018, 0x0018, "cancel"),
    (0x0019, 0x0019, "end of medium"),
    (0x001A, 0x001A, "substitute"),
    (0x001B, 0x001B, "escape"),
    (0x001C, 0x001C, "file separator"),
    (0x001D, 0x001D, "group separator"),
    (0x001E, 0x001E, "record separator"),
    (0x001F, 0x001F, "unit separator"),
    (0x007F, 0x007F, "delete"),
    (0x0080, 0x0084, "control character"),
    (0x0085, 0x0085, "next line"),
    (0x0086, 0x009F, "control character"),
    (0x00AD, 0x00AD, "soft hyphen"),
    (0x034F, 0x034F, "combining grapheme joiner"),
    (0x061C, 0x061C, "arabic letter mark"),
    (0x115F, 0x1160, "hangul filler"),
    (0x17B4, 0x17B5, "khmer inherent vowel"),
    (0x180B, 0x180F, "mongolian variation selector"),
    (0x200B, 0x200B, "zero width space"),
    (0x200C, 0x200C, "zero width non-joiner"),
    (0x200D, 0x200D, "zero width joiner"),
    (0x200E, 0x200E, "left-to-right mark"),
    (0x200F, 0x200F, "right-to-left mark"),
    (0x2028, 0x2028, "line separator"),
    (0x2029, 0x2029, "paragraph separator"),
    (0x202A, 0x202A, "left-to-right embedding"),
    (0x202B, 0x202B, "right-to-left embedding"),
    (0x202C, 0x202C, "pop directional formatting"),
    (0x202D, 0x202D, "left-to-right override"),
    (0x202E, 0x202E, "right-to-left override"),
    (0x2060, 0x2060, "word joiner"),
    (0x2061, 0x2064, "invisible operator"),
    (0x2066, 0x2066, "left-to-right isolate"),
    (0x2067, 0x2067, "right-to-left isolate"),
    (0x2068, 0x2068, "first strong isolate"),
    (0x2069, 0x2069, "pop directional isolate"),
    (0x206A, 0x206F, "deprecated format character"),
    (0x3164, 0x3164, "hangul filler"),
    (0xFE00, 0xFE0F, "variation selector"),
    (0xFEFF, 0xFEFF, "byte order mark"),
    (0xFFA0, 0xFFA0, "halfwidth hangul filler"),
    (0xFFF9, 0xFFFB, "interlinear annotation character"),
    (0x1BCA0, 0x1BCA3, "shorthand format control"),
    (0x1D173, 0x1D17A, "musical symbol format character"),
    (0xE0001, 0xE0001, "language tag"),
    (0xE0020, 0xE007F, "tag character"),
    (0xE0100, 0xE01EF, "variation selector"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_and_separator_is_named() {
        let unnamed: Vec<String> = (0u32..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| c.is_control() || unprintable(&c.to_string()).is_some())
            .filter(|&c| hidden_name(c).is_none())
            .map(describe)
            .collect();
        assert!(unnamed.is_empty(), "unnamed: {unnamed:?}");
    }

    #[test]
    fn ranges_are_in_order_and_do_not_overlap() {
        for pair in HIDDEN.windows(2) {
            assert!(pair[0].1 < pair[1].0, "{:X?} then {:X?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn shown_text_escapes_what_a_terminal_would_act_on_and_keeps_the_rest() {
        let cases = [
            ("Hold a dialogue", "Hold a dialogue"),
            ("Réunion à Tōkyō", "Réunion à Tōkyō"),
            ("\u{1b}[2JGone", "\\u{1b}[2JGone"),
            ("met\roverdue", "met\\u{d}overdue"),
            ("abc\u{202E}fed", "abc\\u{202e}fed"),
            ("two\nlines", "two\\u{a}lines"),
        ];
        for (text, expected) in cases {
            assert_eq!(shown(text), expected, "{text:?}");
        }
    }

    #[test]
    fn visible_characters_are_described_by_code_point_only() {
        assert_eq!(describe('é'), "U+00E9");
        assert_eq!(describe('\u{7}'), "U+0007 (bell)");
        assert_eq!(describe('\u{202E}'), "U+202E (right-to-left override)");
    }
}
