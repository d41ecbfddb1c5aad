//! The deadline language: a phrase such as "first half of 2026", read
//! relative to an anchor date, becomes a window of calendar dates.
//!
//! A commitment is announced with a deadline in the words people use. [`parse`]
//! turns `(phrase, anchor)` into a [`Deadline`]: a `start` and an `end`, both
//! inclusive, or no `end` at all for vague phrases ("soon"). A commitment met on
//! or before `end` is on time. The anchor is the announcement's date for a
//! commitment and the event's date for a revision; `start` is never before it,
//! because a commitment cannot be met before it was made.
//!
//! # Grammar
//!
//! Words are matched without regard to case or extra white space; letters and
//! digits written together are split ("Q3", "1H26", "FY2026-27"). One or more
//! trailing `.` or `,` are ignored (phrases are often cut out of sentences).
//! A phrase is one line of visible text: control characters (a newline or a
//! tab too) and invisible format characters (U+200B zero width space, U+00AD
//! soft hyphen, U+FEFF byte order mark, …) are refused wherever they are, and
//! named by code point; other spaces, such as U+00A0, are white space.
//! Where two rules could match, the longer one wins: "before the end of 2026"
//! is a `by` phrase.
//!
//! ```text
//! phrase    = ( vague | within | by | before | [prefix] ( within | period ) ) { "." | "," }
//! prefix    = "in" | "during" | "on" | "at" | "over" | "scheduled" "for"
//!           | ( "sometime" | "some" "time" | "at" "some" "point" ) [ "in" | "during" ]
//! vague     = "soon" | "very" "soon" | "sometime" "soon" | "shortly" | "asap"
//!           | "as" "soon" "as" "possible" | "in" "due" "course" | "at" "an" "early" "date"
//!           | "in" "the" "near" "future"
//!           | ( "in" | "over" | "within" ) [ "the" ] next [ "few" | "several" ] units
//!                            (but "within [the] next units", with "next" itself, is one unit)
//!           | ( "in" | "over" | "within" ) ( [ "a" ] "few" | "several" ) units
//!           | "within" units
//! units     = "days" | "weeks" | "months" | "years"       (no count: "within weeks")
//! within    = "within" [ [ "the" ] next ] count unit      (count may be left out after next)
//!           | [ "the" ] next count unit                    (count here is digits or a word)
//!           | "within" ( "the" [ "current" ] | "this" ) ( "year" | "quarter" | "month" | "week" )
//!                                                          (by the end of that calendar period)
//! next      = "next" | "coming"                            ("the coming 12 months" = "the next 12 months")
//! count     = DIGITS | "one" | "two" | … | "twenty" | "a" | "an"
//! unit      = "day[s]" | "week[s]" | "fortnight[s]" | "month[s]" | "year[s]"
//! by        = ( "by" | "no" "later" "than" | "not" "later" "than" | "on" "or" "before" )
//!             ( end-of target | start-of target | period )
//!                                (a target named by its end after end-of or start-of, "the end of
//!                                 year-end 2026", is read as written, with a note: "end" is said twice)
//!           | "before" end-of target | "before" [ "the" ] "year" [ "-" ] "end" [ year-ref ]
//!           | "before" MONTH [ "." ] [ "-" ] "end" of-year
//! start-of  = [ "the" ] ( "start" | "beginning" ) "of"     (due on the target's first day)
//! before    = "before" period
//! end-of    = [ "the" ] "end" [ "of" | "-" ]
//! period    = [ "the" ] ( part | target )
//! part      = ( "early" | "mid" | "late" ) [ "-" ] third-of
//!           | ( "beginning" | "start" | "middle" ) "of" third-of
//!           | ( "end" [ "of" | "-" ] | ( "towards" | "toward" ) [ "the" ] "end" "of" ) ( third-of | target )
//!                                                          (any other target: read as "by the end of";
//!                                                           one named by its end, "end of month-end", too,
//!                                                           with the note that "end" is said twice)
//! third-of  = year-ref | "year" [ YEAR ] | MONTH [ "." ] of-year
//!           | [ "this" | "next" | "the" [ "current" ] ] "month"
//! target    = YEAR | YEAR "-" MM [ "-" DD ]
//!           | half | quarter | month | day | season | fiscal
//!           | ( "this" | "next" | "later" "this" ) ( "year" | "quarter" | "month" | "week" )
//!           | "the" [ "current" ] ( "year" | "quarter" | "month" | "week" )
//!           | "later" "in" ( year-ref | "the" ( "quarter" | "month" | "week" ) )
//!           | "year" [ "-" ] "end" [ year-ref ] | "quarter" [ "-" ] "end" | "month" [ "-" ] "end"
//!           | MONTH [ "." ] [ "-" ] "end" of-year             (its last third, as "end of MONTH")
//! half      = ( "first" | "1st" | "second" | "2nd" ) "half" of-year
//!           | "latter" "half" of-year
//!           | "h" ( "1" | "2" ) of-year | ( "1" | "2" ) "h" ( YY | of-year )
//! quarter   = ( "first" | … | "fourth" | "1st" | … | "4th" ) "quarter" of-year
//!           | "q" ( "1" | … | "4" ) of-year | ( "1" | … | "4" ) "q" ( YY | of-year )
//! month     = MONTH [ "." ] of-year
//! day       = MONTH [ "." ] DD [ ORD ] [ "," ] [ year-ref ]
//!           | DD [ ORD ] [ "of" ] MONTH [ "." ] [ "," ] [ year-ref ]
//! season    = ( "spring" | "summer" | "autumn" | "fall" | "winter" ) of-year
//!           | "winter" [ "of" ] YEAR ( "-" | "/" ) ( YY | YEAR )
//! fiscal    = ( "fy" | "fiscal" [ "year" ] | "financial" "year" ) ( YEAR | YY ) ( "-" | "/" ) ( YY | YEAR )
//! of-year   = "of" year-ref | [ [ "," ] year-ref ]  (no year: the next occurrence)
//! year-ref  = YEAR | ( "this" | "next" | "the" [ "current" ] ) "year"
//! ```
//!
//! `YEAR` is four digits, `YY` two digits meaning 20YY (only in the compact
//! codes "1H26", "3Q26" and fiscal or winter pairs), `MONTH` a month name in
//! full or abbreviated ("Sept" too), `ORD` one of "st", "nd", "rd", "th".
//!
//! # Examples
//!
//! ```
//! use chrono::NaiveDate;
//! use pledger::deadline::parse;
//!
//! let day = |s: &str| s.parse::<NaiveDate>().unwrap();
//! for (phrase, anchor, start, end) in [
//!     ("first half of 2026", "2026-01-16", "2026-01-16", Some("2026-06-30")),
//!     ("scheduled for Q3 2026", "2026-01-16", "2026-07-01", Some("2026-09-30")),
//!     ("in early 2027", "2026-01-16", "2027-01-01", Some("2027-04-30")),
//!     ("mid-2026", "2026-01-16", "2026-05-01", Some("2026-08-31")),
//!     ("by the end of next year", "2026-01-16", "2026-01-16", Some("2027-12-31")),
//!     ("before 2027", "2026-01-16", "2026-01-16", Some("2026-12-31")),
//!     ("by March", "2026-05-04", "2026-05-04", Some("2027-03-31")),
//!     ("winter 2026", "2026-01-16", "2026-12-01", Some("2027-02-28")),
//!     ("FY2026-27", "2026-01-16", "2026-04-01", Some("2027-03-31")),
//!     ("within 100 days", "2026-01-16", "2026-01-16", Some("2026-04-26")),
//!     ("within six months", "2026-08-31", "2026-08-31", Some("2027-02-28")),
//!     ("within a fortnight", "2026-01-16", "2026-01-16", Some("2026-01-30")),
//!     ("within the year", "2026-05-04", "2026-05-04", Some("2026-12-31")),
//!     ("later in 2026", "2026-05-04", "2026-05-04", Some("2026-12-31")),
//!     ("towards the end of 2026", "2026-01-16", "2026-09-01", Some("2026-12-31")),
//!     ("in the coming 12 months", "2026-01-16", "2026-01-16", Some("2027-01-16")),
//!     ("31 March 2026", "2026-01-16", "2026-03-31", Some("2026-03-31")),
//!     ("in the coming months", "2026-01-16", "2026-01-16", None),
//! ] {
//!     let got = parse(phrase, day(anchor)).unwrap();
//!     assert_eq!((got.start, got.end), (day(start), end.map(day)), "{phrase}");
//! }
//!
//! let err = parse("FY2026", day("2026-01-16")).unwrap_err();
//! assert!(err.to_string().contains("FY2026-27"));
//! let err = parse("early 2025", day("2026-01-16")).unwrap_err();
//! assert!(err.to_string().contains("before its anchor 2026-01-16"));
//! ```
//!
//! # Conventions
//!
//! In short: a period means the whole period (start clamped to the anchor);
//! early/mid/late are thirds (Jan–Apr, May–Aug, Sep–Dec; days 1–10, 11–20,
//! 21–end of a month); "by X" runs from the anchor to the last day of X and
//! "before X" to the day before X begins; seasons are northern meteorological;
//! fiscal years run April to March and must name both years; a month, quarter,
//! half, season or day without a year is its next occurrence that has not yet
//! ended. Where such a reading may surprise a reader ("March" said in October
//! is March of next year; "by H2 2026" ends on December 31), the window comes
//! with a [`Note`] that says so. `DEADLINES.md` at the top of the repository
//! lists every form with its window, where the convention comes from, and what
//! is refused and why.

use std::cell::Cell;
use std::fmt::{self, Write as _};

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The last day a window may end on: dates are written with four-digit
/// years, and no date flag or event date goes past 9999-12-31.
pub const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

/// Parse `phrase` read relative to `anchor` (the announcement's date for a
/// commitment, the event's date for a revision).
pub fn parse(phrase: &str, anchor: NaiveDate) -> Result<Deadline, DeadlineError> {
    let tokens = Tokens::lex(phrase)?;
    let mut parser = Parser { phrase, toks: tokens.as_slice(), pos: 0, anchor, note: Cell::new(None) };
    let (start, end, form) = parser.parse_phrase()?;
    // A vague window has no end, but starts at the anchor.
    if end.unwrap_or(start) > LAST_DAY {
        return Err(parser.out_of_range());
    }
    Ok(Deadline { phrase: phrase.to_owned(), anchor, start, end, form, note: parser.note.get() })
}

/// A deadline phrase resolved to a window of calendar dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// As written by the user (not normalised), so the window can be
    /// recomputed if a convention changes.
    pub phrase: String,
    /// The date the phrase is read relative to.
    pub anchor: NaiveDate,
    /// First day of the window, inclusive; never before `anchor`.
    pub start: NaiveDate,
    /// Last day of the window, inclusive; `None` for a vague phrase ("no fixed deadline").
    pub end: Option<NaiveDate>,
    /// Which grammar rule matched (not serialised).
    pub form: Form,
    /// A reading a reader might not expect, worth saying beside the window
    /// (not serialised: the window is the reading).
    pub note: Option<Note>,
}

/// Why a window may not be what a reader of the phrase expects, although
/// it follows the conventions: the CLI prints it as a `note:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// No year was written, and the next occurrence that has not ended (or,
    /// after "before", not begun) by the anchor is in a later year.
    NextOccurrence {
        /// The year the window's period starts in.
        year: i32,
    },
    /// "winter 2026" said in January or February 2026: the winter that
    /// begins in December 2026, not the one in progress.
    WinterAhead {
        /// The year written.
        year: i32,
    },
    /// "by" an early or middle part of a period, or a second half: due at
    /// its end, not when it begins.
    ByEndOfPart,
    /// "the end of" (or, with `start`, "the start of") a period named by
    /// its end already ("year-end", "March-end"): "end" is said twice.
    EndOfAnEnd { start: bool },
}

/// `no year is written: read as the next occurrence, which begins in 2027`.
impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Note::NextOccurrence { year } => {
                write!(f, "no year is written: read as the next occurrence, which begins in {year:04}")
            }
            Note::WinterAhead { year } => write!(
                f,
                "winter {year:04} is December {year:04} to February {:04}; the winter in progress is 'winter {:04}-{:02}'",
                year + 1,
                year - 1,
                year.rem_euclid(100)
            ),
            Note::ByEndOfPart => write!(f, "'by' is read to the last day of the part it names, not the day it begins"),
            Note::EndOfAnEnd { start: false } => write!(
                f,
                "'end' is written twice (the end of a period's '-end'): read as the period's last day, as the '-end' alone is"
            ),
            Note::EndOfAnEnd { start: true } => write!(
                f,
                "the start of a period's '-end' is read as the day its '-end' begins (the start of its last third, as DEADLINES.md reads '-end'), not the day the period begins"
            ),
        }
    }
}

impl Deadline {
    /// True for a phrase with no fixed deadline ("soon"): it is never overdue.
    pub fn is_vague(&self) -> bool {
        self.end.is_none()
    }
}

/// One line: `first half of 2026 (anchored 2026-01-16): 2026-01-16 to 2026-06-30`.
impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Control characters are escaped so the line stays one line.
        write!(f, "{} (anchored {}): ", Escaped(&self.phrase), self.anchor)?;
        match self.end {
            Some(end) => write!(f, "{} to {}", self.start, end),
            None => write!(f, "from {}, no fixed deadline", self.start),
        }
    }
}

/// `{"phrase":…,"anchor":"YYYY-MM-DD","start":"YYYY-MM-DD","end":"YYYY-MM-DD" or null,"vague":bool}`.
impl Serialize for Deadline {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Deadline", 5)?;
        s.serialize_field("phrase", &self.phrase)?;
        s.serialize_field("anchor", &self.anchor)?;
        s.serialize_field("start", &self.start)?;
        s.serialize_field("end", &self.end)?;
        s.serialize_field("vague", &self.is_vague())?;
        s.end()
    }
}

/// The grammar rule a phrase matched; `Display` gives a short human name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// "2026", "this year", "next year".
    Year,
    /// "first half of 2026", "H2 2026", "1H26".
    HalfYear,
    /// "Q3 2026", "third quarter of 2026", "next quarter".
    Quarter,
    /// "March 2026", "2026-03", "next month".
    Month,
    /// "2026-03-31", "31 March 2026", "March 31, 2026".
    Day,
    /// "this week", "next week" (ISO weeks, Monday to Sunday).
    Week,
    /// "summer 2026", "winter 2026-27".
    Season,
    /// "FY2026-27".
    FiscalYear,
    /// "early 2026", "mid-2026", "end of 2026" (thirds of the year).
    PartOfYear,
    /// "early March 2026", "mid-June", "the end of March 2026" (thirds of the month).
    PartOfMonth,
    /// "by X", "by the end of X", "no later than X", "before the end of X".
    By,
    /// "before X".
    Before,
    /// "within N days/weeks/months/years".
    Within,
    /// "soon", "in due course": no fixed deadline.
    Vague,
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Form::Year => "year",
            Form::HalfYear => "half-year",
            Form::Quarter => "quarter",
            Form::Month => "month",
            Form::Day => "day",
            Form::Week => "week",
            Form::Season => "season",
            Form::FiscalYear => "fiscal year",
            Form::PartOfYear => "part of year",
            Form::PartOfMonth => "part of month",
            Form::By => "by period",
            Form::Before => "before period",
            Form::Within => "within duration",
            Form::Vague => "vague",
        })
    }
}

/// Why a phrase was refused. Every message is one line, starts lowercase,
/// quotes the phrase and has no trailing period, so it can follow `FILE:LINE: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// The phrase is empty or only white space.
    #[error("empty deadline phrase: expected {FORMS}")]
    Empty,
    /// The phrase does not start like any form the grammar knows.
    #[error("unknown deadline {}: expected {FORMS}", Quoted(.phrase))]
    Unknown { phrase: String },
    /// A form started but something else was expected at one point.
    #[error(
        "invalid deadline {}: expected {expected} {}, found {}",
        Quoted(.phrase),
        After(.after),
        Found(.found)
    )]
    Expected {
        phrase: String,
        /// What the grammar wanted, e.g. "a year".
        expected: String,
        /// The phrase up to the point of failure; `None` at the start.
        after: Option<String>,
        /// The word found there; `None` at the end of the phrase.
        found: Option<String>,
    },
    /// A complete form was followed by more words.
    #[error(
        "invalid deadline {}: expected the end of the phrase after {}, found {}",
        Quoted(.phrase),
        Quoted(.after),
        Quoted(.rest)
    )]
    Trailing { phrase: String, after: String, rest: String },
    /// A character that cannot be seen or that breaks the line (a control
    /// character, U+200B zero width space, U+00AD soft hyphen, U+FEFF byte
    /// order mark, …): quoted raw it would make the phrase look valid.
    #[error(
        "invalid deadline {}: expected a visible character or a space {}, found {}",
        Quoted(.phrase),
        After(.after),
        Named(*.ch)
    )]
    Invisible {
        phrase: String,
        /// The phrase before the character, without white space around it; `None` at the start.
        after: Option<String>,
        ch: char,
    },
    /// A bare fiscal year ("FY2026"), which different countries read differently.
    #[error("{}", FiscalHelp(.phrase, .year))]
    AmbiguousFiscalYear { phrase: String, year: i32 },
    /// The words parse but name something impossible or ambiguous.
    #[error("invalid deadline {}: {reason}", Quoted(.phrase))]
    Invalid { phrase: String, reason: String },
    /// The window would end before the anchor: the deadline had passed when it was set.
    #[error("deadline {} ends {}, before its anchor {anchor}", Quoted(.phrase), Ending(*.end))]
    EndsBeforeAnchor { phrase: String, end: NaiveDate, anchor: NaiveDate },
    /// A number or date too large for the calendar (`within 99999999999 years`),
    /// or a window that would end after [`LAST_DAY`] (`next year` in 9999).
    #[error(
        "deadline {} (anchored {anchor}) reaches beyond the dates pledger can represent, which end on {LAST_DAY}",
        Quoted(.phrase)
    )]
    OutOfRange { phrase: String, anchor: NaiveDate },
}

/// The brief list of accepted forms, shown when a phrase is not understood.
const FORMS: &str = "a period (2026, H1 2026, Q3 2026, March 2026, 2026-03-31, 31 March 2026, \
summer 2026, FY2026-27, early/mid/late 2026, next year), 'by' or 'before' a period \
(by the end of 2026), 'within' N days/weeks/months/years, or a vague phrase (soon, \
in due course); see DEADLINES.md";

// ---------------------------------------------------------------------------
// Message helpers.

/// A user's text in single quotes, cut at 60 characters, with every
/// character that cannot be seen escaped: control characters as `\n` or
/// `\u{1b}`, format characters and spaces other than U+0020 as `\u{200b}` or
/// `\u{a0}`, so the quote never looks like another phrase.
struct Quoted<'a>(&'a str);

/// When a window ends, as an error says it: `on 2025-12-31`, or, for a
/// window that ends before year 0 (`before 0000`), before the first date
/// pledger writes, rather than on a date with a minus sign.
struct Ending(NaiveDate);

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.year() < 0 {
            f.write_str("before 0000-01-01, the first date pledger writes")
        } else {
            write!(f, "on {}", self.0)
        }
    }
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('\'')?;
        for (i, c) in self.0.chars().enumerate() {
            if i == 60 {
                f.write_char('…')?;
                break;
            }
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else if crate::text::hidden_name(c).is_some() || (c.is_whitespace() && c != ' ') {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                f.write_char(c)?;
            }
        }
        f.write_char('\'')
    }
}

/// A character by code point and name: `U+200B (zero width space)`.
struct Named(char);

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::text::describe(self.0))
    }
}

/// A user's text with control characters escaped, otherwise unchanged.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.chars().try_for_each(|c| write_escaped(f, c))
    }
}

fn write_escaped(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    // Line and paragraph separators are not `is_control` but still break lines.
    if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
        write!(f, "{}", c.escape_default())
    } else {
        f.write_char(c)
    }
}

struct After<'a>(&'a Option<String>);

impl fmt::Display for After<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, "after {}", Quoted(s)),
            None => f.write_str("at the start"),
        }
    }
}

struct Found<'a>(&'a Option<String>);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, "{}", Quoted(s)),
            None => f.write_str("the end of the phrase"),
        }
    }
}

struct FiscalHelp<'a>(&'a str, &'a i32);

impl fmt::Display for FiscalHelp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let y = i64::from(*self.1);
        write!(
            f,
            "ambiguous fiscal year in {}: Japan names a fiscal year by the year it starts \
             (April {y} to March {next}), India by the year it ends (April {prev} to March {y}) \
             and the US federal FY{y} runs October {prev} to September {y}; write both years, \
             'FY{y}-{nn:02}' or 'FY{prev}-{yy:02}'",
            Quoted(self.0),
            next = y + 1,
            prev = y - 1,
            nn = (y + 1).rem_euclid(100),
            yy = y.rem_euclid(100),
        )
    }
}

// ---------------------------------------------------------------------------
// Tokens.

/// Longer phrases are refused rather than scanned: no deadline needs this many
/// words, and a fixed buffer keeps parsing free of heap allocation.
const MAX_TOKENS: usize = 32;

/// What reads as a hyphen: `-`, U+2010 hyphen, U+2011 non-breaking hyphen,
/// U+2012 figure dash, U+2013 en dash, U+2014 em dash, U+2212 minus sign.
const DASHES: [&str; 7] = ["-", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2212}"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A run of ASCII letters.
    Word,
    /// A run of ASCII digits.
    Num,
    /// Any other single character that is not white space.
    Punct,
}

#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    kind: Kind,
    text: &'a str,
    /// Byte offsets into the phrase, for quoting what came before an error.
    start: usize,
    end: usize,
}

struct Tokens<'a> {
    buf: [Tok<'a>; MAX_TOKENS],
    len: usize,
}

impl<'a> Tokens<'a> {
    fn lex(phrase: &'a str) -> Result<Self, DeadlineError> {
        let blank = Tok { kind: Kind::Punct, text: "", start: 0, end: 0 };
        let mut out = Tokens { buf: [blank; MAX_TOKENS], len: 0 };
        let mut chars = phrase.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            // Before white space: a newline or a tab is white space, but a
            // phrase is one line of text.
            if crate::text::hidden_name(c).is_some() {
                let before = phrase[..start].trim();
                return Err(DeadlineError::Invisible {
                    phrase: phrase.to_owned(),
                    after: (!before.is_empty()).then(|| before.to_owned()),
                    ch: c,
                });
            }
            if c.is_whitespace() {
                continue;
            }
            let kind = if c.is_ascii_alphabetic() {
                Kind::Word
            } else if c.is_ascii_digit() {
                Kind::Num
            } else {
                Kind::Punct
            };
            let mut end = start + c.len_utf8();
            if kind != Kind::Punct {
                while let Some(&(i, d)) = chars.peek() {
                    let same = match kind {
                        Kind::Word => d.is_ascii_alphabetic(),
                        _ => d.is_ascii_digit(),
                    };
                    if !same {
                        break;
                    }
                    end = i + d.len_utf8();
                    chars.next();
                }
            }
            if out.len == MAX_TOKENS {
                return Err(DeadlineError::Invalid {
                    phrase: phrase.to_owned(),
                    reason: format!("too long for a deadline (more than {MAX_TOKENS} words)"),
                });
            }
            out.buf[out.len] = Tok { kind, text: &phrase[start..end], start, end };
            out.len += 1;
        }
        Ok(out)
    }

    fn as_slice(&self) -> &[Tok<'a>] {
        &self.buf[..self.len]
    }
}

// ---------------------------------------------------------------------------
// Periods and how they become dates.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Early,
    Mid,
    Late,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Season {
    Spring,
    Summer,
    Autumn,
    Winter,
}

/// A kind of period that recurs every year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Year,
    Half(u32),
    Quarter(u32),
    Month(u32),
    Day(u32, u32),
    Season(Season),
    /// A third of the year.
    YearPart(Part),
    /// A third of a month.
    MonthPart(u32, Part),
    /// April to March, named by the year it starts in.
    Fiscal,
}

/// Which year a recurring period is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Year {
    In(i32),
    /// Not written: the next occurrence (see [`Parser::resolve`]).
    Next,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Yearly(Span, Year),
    /// Already dates (weeks, which do not recur by year).
    Fixed(NaiveDate, NaiveDate),
}

/// A period as parsed; `by` is set for "end of X" where X is not a year or a
/// month, which reads as "by the end of X".
struct Period {
    target: Target,
    by: bool,
}

/// What an unwritten year must satisfy.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// The period has not ended by the anchor (plain and "by" forms).
    EndOnOrAfter,
    /// The period begins after the anchor ("before" forms), so the window
    /// before it is not empty.
    StartAfter,
}

impl Span {
    /// First and last day of this period in year `y`; `None` outside the
    /// calendar or for February 29 in a common year.
    fn window(self, y: i32) -> Option<(NaiveDate, NaiveDate)> {
        let months = |a: u32, b: u32| Some((ymd(y, a, 1)?, ymd(y, b, days_in_month(y, b))?));
        match self {
            Span::Year => months(1, 12),
            Span::Half(h) => months(6 * h - 5, 6 * h),
            Span::Quarter(q) => months(3 * q - 2, 3 * q),
            Span::Month(m) => months(m, m),
            Span::Day(m, d) => ymd(y, m, d).map(|d| (d, d)),
            Span::Season(Season::Spring) => months(3, 5),
            Span::Season(Season::Summer) => months(6, 8),
            Span::Season(Season::Autumn) => months(9, 11),
            Span::Season(Season::Winter) => {
                let next = y.checked_add(1)?;
                Some((ymd(y, 12, 1)?, ymd(next, 2, days_in_month(next, 2))?))
            }
            Span::YearPart(p) => {
                let first = 4 * p as u32 + 1;
                months(first, first + 3)
            }
            Span::MonthPart(m, p) => {
                let (a, b) = match p {
                    Part::Early => (1, 10),
                    Part::Mid => (11, 20),
                    Part::Late => (21, days_in_month(y, m)),
                };
                Some((ymd(y, m, a)?, ymd(y, m, b)?))
            }
            Span::Fiscal => Some((ymd(y, 4, 1)?, ymd(y.checked_add(1)?, 3, 31)?)),
        }
    }

    fn form(self) -> Form {
        match self {
            Span::Year => Form::Year,
            Span::Half(_) => Form::HalfYear,
            Span::Quarter(_) => Form::Quarter,
            Span::Month(_) => Form::Month,
            Span::Day(..) => Form::Day,
            Span::Season(_) => Form::Season,
            Span::YearPart(_) => Form::PartOfYear,
            Span::MonthPart(..) => Form::PartOfMonth,
            Span::Fiscal => Form::FiscalYear,
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn is_leap(y: i32) -> bool {
    y.rem_euclid(4) == 0 && (y.rem_euclid(100) != 0 || y.rem_euclid(400) == 0)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------
// Word tables.

/// Full names as messages print them (matching ignores case), and abbreviations.
const MONTHS: [(&str, &str); 12] = [
    ("January", "jan"),
    ("February", "feb"),
    ("March", "mar"),
    ("April", "apr"),
    ("May", "may"),
    ("June", "jun"),
    ("July", "jul"),
    ("August", "aug"),
    ("September", "sep"),
    ("October", "oct"),
    ("November", "nov"),
    ("December", "dec"),
];

#[rustfmt::skip]
const NUMBER_WORDS: [&str; 20] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen", "twenty",
];

fn month_number(w: &str) -> Option<u32> {
    if w.eq_ignore_ascii_case("sept") {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|(full, abbr)| w.eq_ignore_ascii_case(full) || w.eq_ignore_ascii_case(abbr))
        .map(|i| i as u32 + 1)
}

fn season(w: &str) -> Option<Season> {
    const SEASONS: [(&str, Season); 5] = [
        ("spring", Season::Spring),
        ("summer", Season::Summer),
        ("autumn", Season::Autumn),
        ("fall", Season::Autumn),
        ("winter", Season::Winter),
    ];
    SEASONS.iter().find(|(name, _)| w.eq_ignore_ascii_case(name)).map(|&(_, s)| s)
}

fn is_ordinal_suffix(w: &str) -> bool {
    ["st", "nd", "rd", "th"].iter().any(|s| w.eq_ignore_ascii_case(s))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Week,
    Fortnight,
    Month,
    Year,
}

fn duration_unit(w: &str) -> Option<Unit> {
    const UNITS: [(&str, Unit); 10] = [
        ("day", Unit::Day),
        ("days", Unit::Day),
        ("week", Unit::Week),
        ("weeks", Unit::Week),
        ("fortnight", Unit::Fortnight),
        ("fortnights", Unit::Fortnight),
        ("month", Unit::Month),
        ("months", Unit::Month),
        ("year", Unit::Year),
        ("years", Unit::Year),
    ];
    UNITS.iter().find(|(name, _)| w.eq_ignore_ascii_case(name)).map(|&(_, u)| u)
}

// ---------------------------------------------------------------------------
// The parser: one `parse_*` method per rule of the grammar above.
//
// Rules return `Ok(None)` when the phrase does not start the way they need
// (having consumed nothing), and `Err` once they have committed to a form and
// something is wrong: that is where the most specific message can be given.

type Window = (NaiveDate, Option<NaiveDate>, Form);

/// What a phrase says, before it is turned into dates. Windows are computed
/// only once the whole phrase has been read, so a leftover word is reported
/// as such rather than as a window that ends too early ("mid-2020s").
enum Plan {
    Vague,
    Within(u64, Unit),
    By(Target),
    /// "by the start of X": due on the first day of X.
    ByStart(Target),
    Before(Target),
    Period(Period),
}

struct Parser<'a, 't> {
    phrase: &'a str,
    toks: &'t [Tok<'a>],
    pos: usize,
    anchor: NaiveDate,
    /// Set while resolving, where the reading is worth a note.
    note: Cell<Option<Note>>,
}

impl<'a> Parser<'a, '_> {
    // --- Looking at tokens.

    fn tok(&self, k: usize) -> Option<Tok<'a>> {
        self.toks.get(self.pos + k).copied()
    }

    fn word(&self, k: usize) -> Option<&'a str> {
        self.tok(k).filter(|t| t.kind == Kind::Word).map(|t| t.text)
    }

    fn num(&self, k: usize) -> Option<&'a str> {
        self.tok(k).filter(|t| t.kind == Kind::Num).map(|t| t.text)
    }

    fn is(&self, k: usize, w: &str) -> bool {
        self.word(k).is_some_and(|t| t.eq_ignore_ascii_case(w))
    }

    fn is_punct(&self, k: usize, c: &str) -> bool {
        self.tok(k).is_some_and(|t| t.kind == Kind::Punct && t.text == c)
    }

    /// A hyphen, or a dash that word processors and web pages put in its
    /// place: the Unicode hyphen, the non-breaking hyphen (which looks
    /// exactly like a hyphen), the figure dash (a hyphen the width of a
    /// digit, made for "2026‒27"), the en dash, the em dash and the minus sign.
    fn is_dash(&self, k: usize) -> bool {
        DASHES.iter().any(|dash| self.is_punct(k, dash))
    }

    /// How many tokens "end" or "-end" takes at `k` ("year-end", "March
    /// end"): 0 if neither is there.
    fn end_suffix(&self, k: usize) -> usize {
        if self.is(k, "end") {
            1
        } else if self.is_dash(k) && self.is(k + 1, "end") {
            2
        } else {
            0
        }
    }

    fn eat(&mut self, w: &str) -> bool {
        let hit = self.is(0, w);
        self.pos += usize::from(hit);
        hit
    }

    /// Consume all of `words` or nothing.
    fn eat_all(&mut self, words: &[&str]) -> bool {
        let hit = words.iter().enumerate().all(|(k, w)| self.is(k, w));
        if hit {
            self.pos += words.len();
        }
        hit
    }

    fn eat_dash(&mut self) -> bool {
        let hit = self.is_dash(0);
        self.pos += usize::from(hit);
        hit
    }

    fn eat_punct(&mut self, c: &str) -> bool {
        let hit = self.is_punct(0, c);
        self.pos += usize::from(hit);
        hit
    }

    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    // --- Errors.

    fn expected(&self, what: impl Into<String>) -> DeadlineError {
        DeadlineError::Expected {
            phrase: self.phrase.to_owned(),
            expected: what.into(),
            after: (self.pos > 0).then(|| self.consumed().to_owned()),
            found: self.tok(0).map(|t| t.text.to_owned()),
        }
    }

    fn invalid(&self, reason: impl Into<String>) -> DeadlineError {
        DeadlineError::Invalid { phrase: self.phrase.to_owned(), reason: reason.into() }
    }

    /// A count and unit written as a period ("in 6 months"): the phrase a
    /// duration takes.
    fn needs_within(&self, count: &str, unit: &str) -> DeadlineError {
        let (count, unit) = (count.to_ascii_lowercase(), unit.to_ascii_lowercase());
        self.invalid(format!("a duration needs 'within': write 'within {count} {unit}'"))
    }

    fn out_of_range(&self) -> DeadlineError {
        DeadlineError::OutOfRange { phrase: self.phrase.to_owned(), anchor: self.anchor }
    }

    fn ends_before_anchor(&self, end: NaiveDate) -> DeadlineError {
        DeadlineError::EndsBeforeAnchor { phrase: self.phrase.to_owned(), end, anchor: self.anchor }
    }

    /// The phrase as written up to the last consumed token.
    fn consumed(&self) -> &'a str {
        match (self.toks.first(), self.pos.checked_sub(1).and_then(|i| self.toks.get(i))) {
            (Some(first), Some(last)) => &self.phrase[first.start..last.end],
            _ => "",
        }
    }

    // --- phrase

    fn parse_phrase(&mut self) -> Result<Window, DeadlineError> {
        if self.toks.is_empty() {
            return Err(DeadlineError::Empty);
        }
        let plan = if self.parse_vague() {
            Plan::Vague
        } else if let Some(plan) = self.parse_within()? {
            plan
        } else if let Some(plan) = self.parse_by()? {
            plan
        } else if let Some(target) = self.parse_before()? {
            Plan::Before(target)
        } else {
            self.parse_prefix();
            if let Some(plan) = self.parse_within()? {
                plan
            } else if let Some(p) = self.parse_period()? {
                Plan::Period(p)
            } else if self.at_end() {
                return Err(self.expected("a period"));
            } else {
                return Err(DeadlineError::Unknown { phrase: self.phrase.to_owned() });
            }
        };
        self.parse_end()?;
        match plan {
            Plan::Vague => Ok((self.anchor, None, Form::Vague)),
            Plan::Within(n, unit) => self.within_window(n, unit),
            Plan::By(target) => self.by_window(target),
            Plan::ByStart(target) => self.by_start_window(target),
            Plan::Before(target) => self.before_window(target),
            Plan::Period(period) => self.period_window(period),
        }
    }

    /// Trailing `.` and `,` are allowed; anything else is refused, never ignored.
    fn parse_end(&mut self) -> Result<(), DeadlineError> {
        let before = self.pos;
        while self.is_punct(0, ".") || self.is_punct(0, ",") {
            self.pos += 1;
        }
        match self.tok(0) {
            None => Ok(()),
            Some(t) => {
                self.pos = before;
                Err(DeadlineError::Trailing {
                    phrase: self.phrase.to_owned(),
                    after: self.consumed().to_owned(),
                    rest: self.phrase[t.start..].trim_end().to_owned(),
                })
            }
        }
    }

    /// prefix = "in" | "during" | "on" | "at" | "over" | "scheduled" "for"
    ///        | ( "sometime" | "some" "time" | "at" "some" "point" ) [ "in" | "during" ]
    fn parse_prefix(&mut self) -> bool {
        // "sometime in 2026" says no more than "in 2026": the whole year.
        if self.eat("sometime") || self.eat_all(&["some", "time"]) || self.eat_all(&["at", "some", "point"]) {
            let _ = self.eat("in") || self.eat("during");
            return true;
        }
        self.eat_all(&["scheduled", "for"])
            || ["in", "during", "on", "at", "over"].iter().any(|w| self.eat(w))
    }

    /// vague = "soon" | "shortly" | "in" "due" "course" | … (see the grammar)
    fn parse_vague(&mut self) -> bool {
        const FIXED: [&[&str]; 9] = [
            &["soon"],
            &["sometime", "soon"],
            &["very", "soon"],
            &["shortly"],
            &["asap"],
            &["as", "soon", "as", "possible"],
            &["in", "due", "course"],
            &["at", "an", "early", "date"],
            &["in", "the", "near", "future"],
        ];
        if FIXED.iter().any(|words| self.eat_all(words)) {
            return true;
        }
        let start = self.pos;
        let within = self.is(0, "within");
        if self.eat("in") || self.eat("over") || self.eat("within") {
            let the = self.eat("the");
            // A count of units is a span ("the next 6 months", "within
            // weeks" is not): only a plural unit with no number is vague.
            let vague = if self.eat("coming") {
                let _ = self.eat("few") || self.eat("several");
                self.eat_plural_unit()
            } else if self.eat("next") {
                // "within the next weeks" has read as one week since the
                // first release, and a stored deadline keeps its window.
                let few = self.eat("few") || self.eat("several");
                (few || !within) && self.eat_plural_unit()
            } else if !the && (self.eat_all(&["a", "few"]) || self.eat("few") || self.eat("several")) {
                self.eat_plural_unit()
            } else {
                within && !the && self.eat_plural_unit()
            };
            if vague {
                return true;
            }
        }
        self.pos = start;
        false
    }

    fn eat_plural_unit(&mut self) -> bool {
        ["days", "weeks", "months", "years"].iter().any(|w| self.eat(w))
    }

    // --- within

    /// within = "within" [["the"] next] count unit | ["the"] next count unit,
    /// next = "next" | "coming" (a count makes "the coming 12 months" a span
    /// like "the next 12 months"; without one, "the coming months" is vague)
    fn parse_within(&mut self) -> Result<Option<Plan>, DeadlineError> {
        let n = if self.eat("within") {
            // "within the year" is the calendar year it was said in, as
            // "within this month" is; "within a year" is twelve months.
            let this = usize::from(self.is(0, "the") || self.is(0, "this"));
            let this = this + usize::from(this == 1 && self.is(1, "current"));
            if this > 0 && ["year", "quarter", "month", "week"].iter().any(|u| self.is(this, u)) {
                self.pos += this;
                return Ok(Some(Plan::By(self.parse_relative(0)?)));
            }
            let next = self.eat_all(&["the", "next"])
                || self.eat("next")
                || self.eat_all(&["the", "coming"])
                || self.eat("coming");
            // "within a year", but not "within the next a year".
            match self.parse_count(!next) {
                Some(n) => n,
                // "within the next year": one of the unit.
                None if next && self.word(0).and_then(duration_unit).is_some() => 1,
                None => return Err(self.expected("a number of days, weeks, months or years")),
            }
        } else {
            let the = usize::from(self.is(0, "the"));
            if !((self.is(the, "next") || self.is(the, "coming")) && self.count_at(the + 1)) {
                return Ok(None);
            }
            self.pos += the + 1;
            match self.parse_count(false) {
                Some(n) => n,
                None => return Err(self.expected("a number")),
            }
        };
        let Some(unit) = self.word(0).and_then(duration_unit) else {
            return Err(self.expected("'days', 'weeks', 'months' or 'years'"));
        };
        self.pos += 1;
        Ok(Some(Plan::Within(n, unit)))
    }

    /// From the anchor to anchor + N units.
    fn within_window(&self, n: u64, unit: Unit) -> Result<Window, DeadlineError> {
        let end = match unit {
            Unit::Day => self.anchor.checked_add_days(Days::new(n)),
            Unit::Week => n.checked_mul(7).and_then(|d| self.anchor.checked_add_days(Days::new(d))),
            Unit::Fortnight => n.checked_mul(14).and_then(|d| self.anchor.checked_add_days(Days::new(d))),
            // chrono clamps to the month's end: 31 August + 6 months = 28 February.
            Unit::Month => u32::try_from(n).ok().and_then(|m| self.anchor.checked_add_months(Months::new(m))),
            Unit::Year => n
                .checked_mul(12)
                .and_then(|m| u32::try_from(m).ok())
                .and_then(|m| self.anchor.checked_add_months(Months::new(m))),
        };
        let end = end.ok_or_else(|| self.out_of_range())?;
        Ok((self.anchor, Some(end), Form::Within))
    }

    fn count_at(&self, k: usize) -> bool {
        self.num(k).is_some()
            || self.word(k).is_some_and(|w| NUMBER_WORDS.iter().any(|n| w.eq_ignore_ascii_case(n)))
    }

    /// count = DIGITS | "one" … "twenty" | "a" | "an" (the articles only if `article`)
    fn parse_count(&mut self, article: bool) -> Option<u64> {
        if let Some(digits) = self.num(0) {
            self.pos += 1;
            // Digits of any length: a number too big for u64 (the only way
            // parsing ASCII digits fails) saturates, and adding u64::MAX days,
            // weeks, months or years to a date is refused as out of range.
            return Some(digits.parse::<u64>().unwrap_or(u64::MAX));
        }
        let w = self.word(0)?;
        let n = match NUMBER_WORDS.iter().position(|n| w.eq_ignore_ascii_case(n)) {
            Some(i) => i as u64 + 1,
            None if article && (w.eq_ignore_ascii_case("a") || w.eq_ignore_ascii_case("an")) => 1,
            None => return None,
        };
        self.pos += 1;
        Some(n)
    }

    // --- by and before

    fn end_of_ahead(&self) -> bool {
        self.is(0, "end") || (self.is(0, "the") && self.is(1, "end"))
    }

    /// end-of = ["the"] "end" ["of" | "-"]
    fn parse_end_of(&mut self) {
        self.eat("the");
        self.eat("end");
        if !self.eat("of") {
            self.eat_dash();
        }
    }

    /// Notes an end named as the period after "the end of" or "the start
    /// of" ("by the end of year-end 2026"), which says "end" twice. It is
    /// read as written (as pledgers before the note read it), so that no
    /// recorded deadline changes its window.
    fn note_end_of_an_end(&self, start: bool) {
        if self.names_an_end() {
            self.note.set(Some(Note::EndOfAnEnd { start }));
        }
    }

    /// Whether the words ahead name a period by its end: `["the"]` then
    /// "year", "quarter", "month" or a month's name, then "-end" or "end".
    fn names_an_end(&self) -> bool {
        let the = usize::from(self.is(0, "the"));
        let after = if ["year", "quarter", "month"].iter().any(|u| self.is(the, u)) {
            the + 1
        } else if self.word(the).and_then(month_number).is_some() {
            the + 1 + usize::from(self.is_punct(the + 1, "."))
        } else {
            return false;
        };
        self.end_suffix(after) > 0
    }

    /// by = ("by" | "no later than" | "not later than" | "on or before") (end-of target | start-of target | period)
    ///    | "before" end-of target | "before" ["the"] "year" ["-"] "end" [year-ref]
    ///    | "before" MONTH ["."] ["-"] "end" of-year
    fn parse_by(&mut self) -> Result<Option<Plan>, DeadlineError> {
        let by = self.eat("by")
            || self.eat_all(&["no", "later", "than"])
            || self.eat_all(&["not", "later", "than"])
            || self.eat_all(&["on", "or", "before"]);
        if !by {
            // "before the end of X" is the longer match, so it is a "by"
            // phrase; so are "before year-end" and "before June-end", which
            // name the same day (read as "before" the Sep-Dec third, or
            // June's last third, they ended on Aug 31 or June 20).
            let end = self.is(1, "end") || self.is(1, "the") && self.is(2, "end");
            let y = 1 + usize::from(self.is(1, "the"));
            let year_end =
                ["year", "quarter", "month"].iter().any(|u| self.is(y, u)) && self.end_suffix(y + 1) > 0;
            let month_end = self.word(y).and_then(month_number).is_some()
                && self.end_suffix(y + 1 + usize::from(self.is_punct(y + 1, "."))) > 0;
            if !(self.is(0, "before") && (end || year_end || month_end)) {
                return Ok(None);
            }
            self.pos += 1;
        }
        // "by the start of 2027" is due when 2027 begins, not by the end of
        // "start of 2027" (Jan-Apr), which would read a promise generously.
        let the = usize::from(self.is(0, "the"));
        if (self.is(the, "start") || self.is(the, "beginning")) && self.is(the + 1, "of") {
            self.pos += the + 2;
            self.note_end_of_an_end(true);
            return match self.parse_target(true)? {
                Some(target) => Ok(Some(Plan::ByStart(target))),
                None => Err(self.expected("a period")),
            };
        }
        let target = if self.end_of_ahead() {
            self.parse_end_of();
            self.note_end_of_an_end(false);
            match self.parse_target(true)? {
                Some(t) => t,
                None => return Err(self.expected("a period")),
            }
        } else {
            let target = match self.parse_period()? {
                Some(p) => p.target,
                None => return Err(self.expected("a period")),
            };
            // "by the end of H2" says so; "by H2" may mean its start.
            if let Target::Yearly(
                Span::YearPart(Part::Early | Part::Mid)
                | Span::MonthPart(_, Part::Early | Part::Mid)
                | Span::Half(2),
                _,
            ) = target
            {
                self.note.set(Some(Note::ByEndOfPart));
            }
            target
        };
        Ok(Some(Plan::By(target)))
    }

    /// From the anchor to the first day of the period.
    fn by_start_window(&self, target: Target) -> Result<Window, DeadlineError> {
        let (first, _) = self.resolve(target, Need::StartAfter)?;
        if first < self.anchor {
            return Err(self.ends_before_anchor(first));
        }
        Ok((self.anchor, Some(first), Form::By))
    }

    fn by_window(&self, target: Target) -> Result<Window, DeadlineError> {
        let (_, last) = self.resolve(target, Need::EndOnOrAfter)?;
        if last < self.anchor {
            return Err(self.ends_before_anchor(last));
        }
        Ok((self.anchor, Some(last), Form::By))
    }

    /// before = "before" period
    fn parse_before(&mut self) -> Result<Option<Target>, DeadlineError> {
        if !self.eat("before") {
            return Ok(None);
        }
        match self.parse_period()? {
            Some(period) => Ok(Some(period.target)),
            None => Err(self.expected("a period")),
        }
    }

    /// From the anchor to the day before the period begins.
    fn before_window(&self, target: Target) -> Result<Window, DeadlineError> {
        let (first, _) = self.resolve(target, Need::StartAfter)?;
        let end = first.pred_opt().ok_or_else(|| self.out_of_range())?;
        if end < self.anchor {
            return Err(self.ends_before_anchor(end));
        }
        Ok((self.anchor, Some(end), Form::Before))
    }

    // --- periods

    /// The window of a plain period: the whole period, not starting before the anchor.
    fn period_window(&self, period: Period) -> Result<Window, DeadlineError> {
        if period.by {
            return self.by_window(period.target);
        }
        let (first, last) = self.resolve(period.target, Need::EndOnOrAfter)?;
        if last < self.anchor {
            return Err(self.ends_before_anchor(last));
        }
        let form = match period.target {
            Target::Yearly(span, _) => span.form(),
            Target::Fixed(..) => Form::Week,
        };
        Ok((first.max(self.anchor), Some(last), form))
    }

    /// First and last day of `target`. A year left unwritten means the next
    /// occurrence: the first year (from the one before the anchor's, for
    /// winter) whose period meets `need`. Eight years ahead always suffices,
    /// even for February 29.
    fn resolve(&self, target: Target, need: Need) -> Result<(NaiveDate, NaiveDate), DeadlineError> {
        match target {
            Target::Fixed(first, last) => Ok((first, last)),
            Target::Yearly(span, Year::In(y)) => span.window(y).ok_or_else(|| self.out_of_range()),
            Target::Yearly(span, Year::Next) => {
                let y = self.anchor.year();
                let (first, last) = (y - 1..=y + 8)
                    .filter_map(|y| span.window(y))
                    .find(|&(first, last)| match need {
                        Need::EndOnOrAfter => last >= self.anchor,
                        Need::StartAfter => first > self.anchor,
                    })
                    .ok_or_else(|| self.out_of_range())?;
                if first.year() > y {
                    self.note.set(Some(Note::NextOccurrence { year: first.year() }));
                }
                Ok((first, last))
            }
        }
    }

    /// period = ["the"] (part | target)
    fn parse_period(&mut self) -> Result<Option<Period>, DeadlineError> {
        let start = self.pos;
        let the = self.eat("the");
        let next = self.is(0, "next") || self.is(0, "coming");
        if the && next && ["year", "quarter", "month", "week"].iter().any(|u| self.is(1, u)) {
            return Err(self.the_next_is_ambiguous());
        }
        if let Some(p) = self.parse_part()? {
            return Ok(Some(p));
        }
        if let Some(target) = self.parse_target_body(the)? {
            return Ok(Some(Period { target, by: false }));
        }
        if the {
            return Err(self.expected("a period"));
        }
        self.pos = start;
        Ok(None)
    }

    /// "the next year" (or "the coming year") could be the calendar year or
    /// twelve months from the anchor; pledger does not guess which.
    fn the_next_is_ambiguous(&self) -> DeadlineError {
        let unit = self.word(1).unwrap_or("year").to_ascii_lowercase();
        let span = match unit.as_str() {
            "quarter" => "three months from the anchor ('within 3 months')".to_owned(),
            u => format!("a {u} from the anchor ('within a {u}')"),
        };
        self.invalid(format!("ambiguous between the calendar {unit} ('next {unit}') and {span}"))
    }

    /// target, with its own optional "the"; `bare` allows "year", "month",
    /// "quarter" and "week" without "the" (as in "by end of year").
    fn parse_target(&mut self, bare: bool) -> Result<Option<Target>, DeadlineError> {
        let the = self.eat("the");
        match self.parse_target_body(the || bare)? {
            Some(t) => Ok(Some(t)),
            None if the => Err(self.expected("a period")),
            None => Ok(None),
        }
    }

    /// part = ("early" | "mid" | "late") ["-"] third-of
    ///      | ("beginning" | "start" | "middle") "of" third-of
    ///      | ( "end" ["of" | "-"] | ("towards" | "toward") ["the"] "end" "of" ) (third-of | target)
    fn parse_part(&mut self) -> Result<Option<Period>, DeadlineError> {
        let part = if self.eat("early") {
            Part::Early
        } else if self.eat("mid") {
            Part::Mid
        } else if self.eat("late") {
            Part::Late
        } else if self.eat_all(&["beginning", "of"]) || self.eat_all(&["start", "of"]) {
            Part::Early
        } else if self.eat_all(&["middle", "of"]) {
            Part::Mid
        } else if self.eat("end") {
            if !self.eat("of") {
                self.eat_dash();
            }
            return self.parse_end_part().map(Some);
        } else if self.eat("towards") || self.eat("toward") {
            // "towards the end of 2026" names the same time as "the end of 2026".
            self.eat("the");
            if !self.eat("end") {
                return Err(self.expected("'the end of'"));
            }
            if !self.eat("of") {
                return Err(self.expected("'of'"));
            }
            return self.parse_end_part().map(Some);
        } else {
            return Ok(None);
        };
        self.eat_dash();
        match self.parse_third_of(part)? {
            Some(target) => Ok(Some(Period { target, by: false })),
            None => Err(self.expected("a year or a month")),
        }
    }

    /// After "end of": a year or a month gives its last third; any other
    /// period reads as "by the end of" it (a quarter or season has no
    /// customary last part, and its end is what a deadline means).
    fn parse_end_part(&mut self) -> Result<Period, DeadlineError> {
        // "end of month-end": the longer rule wins, so the target is the
        // period named by its end (not "end of month" with "-end" left
        // over), read as "by the end of month-end" is, with its note.
        if self.names_an_end() {
            self.note.set(Some(Note::EndOfAnEnd { start: false }));
            if let Some(target) = self.parse_target(true)? {
                return Ok(Period { target, by: true });
            }
        }
        if let Some(target) = self.parse_third_of(Part::Late)? {
            return Ok(Period { target, by: false });
        }
        match self.parse_target(true)? {
            Some(target) => Ok(Period { target, by: true }),
            None => Err(self.expected("a year, a month or another period")),
        }
    }

    /// third-of = year-ref | "year" [YEAR] | MONTH ["."] of-year | ["this" | "next" | "the"] "month"
    fn parse_third_of(&mut self, part: Part) -> Result<Option<Target>, DeadlineError> {
        if let Some(y) = self.parse_year_ref(true) {
            return Ok(Some(Target::Yearly(Span::YearPart(part), y)));
        }
        if let Some(m) = self.word(0).and_then(month_number) {
            self.pos += 1;
            self.eat_punct(".");
            let y = self.parse_of_year()?;
            return Ok(Some(Target::Yearly(Span::MonthPart(m, part), y)));
        }
        let offset = if self.eat_all(&["this", "month"])
            || self.eat_all(&["the", "current", "month"])
            || self.eat_all(&["the", "month"])
            || self.eat("month")
        {
            0
        } else if self.eat_all(&["next", "month"]) {
            1
        } else {
            return Ok(None);
        };
        let (y, m) = self.relative_month(offset);
        Ok(Some(Target::Yearly(Span::MonthPart(m, part), Year::In(y))))
    }

    /// year-ref = YEAR | ("this" | "next" | "the") "year", and a bare "year" if `bare`.
    fn parse_year_ref(&mut self, bare: bool) -> Option<Year> {
        if let Some(y) = self.num(0).filter(|d| d.len() == 4) {
            self.pos += 1;
            return y.parse().ok().map(Year::In);
        }
        if self.eat_all(&["this", "year"]) || self.eat_all(&["the", "current", "year"]) {
            return Some(Year::In(self.anchor.year()));
        }
        if self.eat_all(&["next", "year"]) {
            // Anchors end in year 262143, so this cannot overflow; the window may not exist.
            return Some(Year::In(self.anchor.year() + 1));
        }
        if self.eat_all(&["the", "year"]) {
            return Some(Year::Next);
        }
        if bare && self.eat("year") {
            // "mid-year", "end of year"; "mid-year 2026" names the year.
            if let Some(y) = self.num(0).filter(|d| d.len() == 4) {
                self.pos += 1;
                return y.parse().ok().map(Year::In);
            }
            return Some(Year::Next);
        }
        None
    }

    /// of-year = "of" year-ref | [year-ref]
    fn parse_of_year(&mut self) -> Result<Year, DeadlineError> {
        if self.eat("of") {
            return self.parse_year_ref(false).ok_or_else(|| self.expected("a year"));
        }
        // "March, 2026", as a day may be written ("March 31, 2026"); a
        // comma that no year follows is left to end the phrase.
        let before_comma = self.pos;
        if self.eat_punct(",") {
            if let Some(year) = self.parse_year_ref(false) {
                return Ok(year);
            }
            self.pos = before_comma;
        }
        Ok(self.parse_year_ref(false).unwrap_or(Year::Next))
    }

    /// After a compact code ("1H", "3Q"): a two-digit year ("1H26") or of-year.
    fn parse_compact_year(&mut self) -> Result<Year, DeadlineError> {
        if let Some(yy) = self.num(0).filter(|d| d.len() == 2) {
            self.pos += 1;
            return Ok(Year::In(2000 + two_digits(yy)));
        }
        self.parse_of_year()
    }

    /// The target rules, after an optional "the" (`the` says whether one was
    /// written, which allows "the year", "the month" and so on).
    fn parse_target_body(&mut self, the: bool) -> Result<Option<Target>, DeadlineError> {
        match self.tok(0) {
            Some(t) if t.kind == Kind::Num => self.parse_numeric(t.text).map(Some),
            Some(t) if t.kind == Kind::Word => self.parse_worded(t.text, the),
            _ => Ok(None),
        }
    }

    /// Targets that start with a number: a year, an ISO date, "1H26",
    /// "3Q 2026", "3rd quarter", "31 March 2026".
    fn parse_numeric(&mut self, digits: &'a str) -> Result<Target, DeadlineError> {
        if let Some(unit) = self.word(1).filter(|w| duration_unit(w).is_some()) {
            return Err(self.needs_within(digits, unit));
        }
        if self.is_punct(1, "/") {
            return Err(self.invalid(
                "numeric dates with '/' are ambiguous (day/month or month/day): \
                 write 2026-03-31 or 31 March 2026",
            ));
        }
        if digits.len() == 4 {
            return self.parse_year_or_iso(digits);
        }
        if digits.len() > 2 {
            return Err(self.expected("a four-digit year, a day of the month or a period"));
        }
        let n = two_digits(digits) as u32;
        if self.is(1, "h") {
            return self.parse_compact(n, digits.len(), Compact::Half);
        }
        if self.is(1, "q") {
            return self.parse_compact(n, digits.len(), Compact::Quarter);
        }
        self.pos += 1;
        let ordinal = self.word(0).is_some_and(is_ordinal_suffix);
        if ordinal {
            self.pos += 1;
            if self.eat("half") {
                if !(1..=2).contains(&n) {
                    return Err(self.invalid(format!("a year has two halves, not {n}")));
                }
                return Ok(Target::Yearly(Span::Half(n), self.parse_of_year()?));
            }
            if self.eat("quarter") {
                if !(1..=4).contains(&n) {
                    return Err(self.invalid(format!("a year has four quarters, not {n}")));
                }
                return Ok(Target::Yearly(Span::Quarter(n), self.parse_of_year()?));
            }
        }
        self.eat("of");
        let Some(m) = self.word(0).and_then(month_number) else {
            return Err(self.expected(if ordinal { "'half', 'quarter' or a month" } else { "a month" }));
        };
        self.pos += 1;
        self.eat_punct(".");
        self.eat_punct(",");
        let y = self.parse_year_ref(false).unwrap_or(Year::Next);
        self.day(m, n, y)
    }

    /// YEAR | YEAR "-" MM ["-" DD]
    fn parse_year_or_iso(&mut self, digits: &str) -> Result<Target, DeadlineError> {
        // Four ASCII digits always fit.
        let y: i32 = digits.parse().map_err(|_| self.out_of_range())?;
        self.pos += 1;
        if !(self.is_dash(0) && self.num(1).is_some()) {
            return Ok(Target::Yearly(Span::Year, Year::In(y)));
        }
        self.pos += 1;
        let mm = self.num(0).unwrap_or("");
        let m = two_digits(mm) as u32;
        let next_yy = (i64::from(y) + 1).rem_euclid(100);
        if mm.len() == 2 && i64::from(m) == next_yy && m > 12 {
            return Err(self.invalid(format!(
                "'{y}-{mm}' is not a date; a fiscal year is written 'FY{y}-{mm}' \
                 and a winter 'winter {y}-{mm}'"
            )));
        }
        if mm.len() == 4 {
            // "2026-2027": the reader means years, not a month.
            let fiscal = if mm.parse::<i64>().ok() == Some(i64::from(y) + 1) {
                format!(", or 'FY{y}-{mm}' for a fiscal year")
            } else {
                String::new()
            };
            return Err(self.invalid(format!(
                "'{y}-{mm}' is a span of years, not a deadline; write its end, as in 'by the end of {mm}'{fiscal}"
            )));
        }
        if mm.len() != 2 || !(1..=12).contains(&m) {
            return Err(self.expected("a two-digit month 01 to 12"));
        }
        self.pos += 1;
        if !self.eat_dash() {
            return Ok(Target::Yearly(Span::Month(m), Year::In(y)));
        }
        let dd = self.num(0).filter(|d| d.len() == 2);
        let Some(dd) = dd else {
            return Err(self.expected("a two-digit day"));
        };
        self.pos += 1;
        self.day(m, two_digits(dd) as u32, Year::In(y))
    }

    /// "1H 2026", "2H26", "3Q 2026", "4Q26".
    fn parse_compact(&mut self, n: u32, width: usize, kind: Compact) -> Result<Target, DeadlineError> {
        let (max, name) = match kind {
            Compact::Half => (2, "a half 1 or 2"),
            Compact::Quarter => (4, "a quarter number 1 to 4"),
        };
        if width != 1 || !(1..=max).contains(&n) {
            return Err(self.expected(name));
        }
        self.pos += 2;
        let y = self.parse_compact_year()?;
        Ok(Target::Yearly(
            match kind {
                Compact::Half => Span::Half(n),
                Compact::Quarter => Span::Quarter(n),
            },
            y,
        ))
    }

    /// Targets that start with a word.
    fn parse_worded(&mut self, w: &'a str, the: bool) -> Result<Option<Target>, DeadlineError> {
        // "in six months", as "in 6 months" (see `parse_numeric`), when
        // the duration ends the phrase: "one year after the summit" is not
        // "within one year", and "one day" means some day.
        let counts = |w: &str| ["a", "an"].iter().chain(&NUMBER_WORDS).any(|n| w.eq_ignore_ascii_case(n));
        let ends = self.toks.get(self.pos + 2..).is_some_and(|rest| {
            rest.iter().all(|t| t.kind == Kind::Punct && (t.text == "." || t.text == ","))
        });
        let some_day = |u: &str| {
            u.eq_ignore_ascii_case("day") && ["one", "a", "an"].iter().any(|n| w.eq_ignore_ascii_case(n))
        };
        if let Some(unit) =
            self.word(1).filter(|u| !the && counts(w) && ends && !some_day(u) && duration_unit(u).is_some())
        {
            return Err(self.needs_within(w, unit));
        }
        if let Some(m) = month_number(w) {
            self.pos += 1;
            return self.parse_month_rest(m).map(Some);
        }
        if let Some(s) = season(w) {
            self.pos += 1;
            return self.parse_season_rest(s).map(Some);
        }
        let lower = |s: &str| w.eq_ignore_ascii_case(s);
        if lower("h") || lower("q") {
            let (max, name) = if lower("h") { (2, "a half 1 or 2") } else { (4, "a quarter number 1 to 4") };
            self.pos += 1;
            let n = self.num(0).filter(|d| d.len() == 1).map(two_digits);
            let Some(n) = n.filter(|n| (1..=max).contains(n)) else {
                return Err(self.expected(name));
            };
            self.pos += 1;
            let y = self.parse_of_year()?;
            let span = if lower("h") { Span::Half(n as u32) } else { Span::Quarter(n as u32) };
            return Ok(Some(Target::Yearly(span, y)));
        }
        if lower("latter") {
            // "the latter half of 2026": the second half.
            self.pos += 1;
            if !self.eat("half") {
                return Err(self.expected("'half'"));
            }
            return Ok(Some(Target::Yearly(Span::Half(2), self.parse_of_year()?)));
        }
        const ORDINALS: [&str; 4] = ["first", "second", "third", "fourth"];
        if let Some(i) = ORDINALS.iter().position(|o| lower(o)) {
            let n = i as u32 + 1;
            self.pos += 1;
            if n <= 2 && self.eat("half") {
                return Ok(Some(Target::Yearly(Span::Half(n), self.parse_of_year()?)));
            }
            if self.eat("quarter") {
                return Ok(Some(Target::Yearly(Span::Quarter(n), self.parse_of_year()?)));
            }
            return Err(self.expected(if n <= 2 { "'half' or 'quarter'" } else { "'quarter'" }));
        }
        if lower("fy") || lower("fiscal") || (lower("financial") && self.is(1, "year")) {
            self.pos += 1;
            return self.parse_fiscal_rest().map(Some);
        }
        if lower("this") || lower("next") || (the && lower("current")) {
            self.pos += 1;
            return self.parse_relative(i32::from(lower("next"))).map(Some);
        }
        if lower("later") {
            self.pos += 1;
            if self.eat("this") {
                return self.parse_relative(0).map(Some);
            }
            if !self.eat("in") {
                return Err(self.expected("'this' or 'in'"));
            }
            // "later in 2026", "later in the year": what is left of that
            // year (the window starts at the anchor, as every window does).
            if let Some(y) = self.parse_year_ref(false) {
                return Ok(Some(Target::Yearly(Span::Year, y)));
            }
            if self.is(0, "the") && ["quarter", "month", "week"].iter().any(|u| self.is(1, u)) {
                self.pos += 1;
                return self.parse_relative(0).map(Some);
            }
            return Err(self.expected("a year"));
        }
        let end = self.end_suffix(1);
        if end > 0 && ["year", "quarter", "month"].iter().any(|u| lower(u)) {
            // "year-end" is the last third of the year ("year-end 2026" of
            // 2026), "month-end" likewise of this month; "quarter-end" is
            // this quarter, as "the end of Q3" reads "by the end of Q3".
            if lower("quarter") {
                let target = self.parse_relative(0)?;
                self.pos += end;
                return Ok(Some(target));
            }
            self.pos += 1 + end;
            return Ok(Some(if lower("year") {
                let y = self.parse_year_ref(false).unwrap_or(Year::Next);
                Target::Yearly(Span::YearPart(Part::Late), y)
            } else {
                let (y, m) = self.relative_month(0);
                Target::Yearly(Span::MonthPart(m, Part::Late), Year::In(y))
            }));
        }
        if the && ["year", "quarter", "month", "week"].iter().any(|u| lower(u)) {
            // "the year", "the quarter": the current one.
            if lower("year") {
                self.pos += 1;
                return Ok(Some(Target::Yearly(Span::Year, Year::Next)));
            }
            return self.parse_relative(0).map(Some);
        }
        Ok(None)
    }

    /// After MONTH: a day ("March 31, 2026") or of-year ("March of 2026", "March").
    fn parse_month_rest(&mut self, m: u32) -> Result<Target, DeadlineError> {
        self.eat_punct(".");
        // "March-end" is "the end of March": its last third.
        let end = self.end_suffix(0);
        if end > 0 {
            self.pos += end;
            return Ok(Target::Yearly(Span::MonthPart(m, Part::Late), self.parse_of_year()?));
        }
        if let Some(dd) = self.num(0).filter(|d| d.len() <= 2) {
            self.pos += 1;
            if self.word(0).is_some_and(is_ordinal_suffix) {
                self.pos += 1;
            }
            self.eat_punct(",");
            let y = self.parse_year_ref(false).unwrap_or(Year::Next);
            return self.day(m, two_digits(dd) as u32, y);
        }
        Ok(Target::Yearly(Span::Month(m), self.parse_of_year()?))
    }

    /// A day of a month, checked against the calendar.
    fn day(&self, m: u32, d: u32, y: Year) -> Result<Target, DeadlineError> {
        let max = match y {
            Year::In(y) => days_in_month(y, m),
            // A February 29 without a year is the next one.
            Year::Next => days_in_month(2000, m),
        };
        if d == 0 || d > max {
            let name = MONTHS[m as usize - 1].0;
            return Err(self.invalid(match y {
                Year::In(y) => format!("{name} {y} has no day {d}"),
                Year::Next => format!("{name} has no day {d}"),
            }));
        }
        Ok(Target::Yearly(Span::Day(m, d), y))
    }

    /// After a season name: of-year, or for winter a pair of years ("winter 2026-27").
    fn parse_season_rest(&mut self, s: Season) -> Result<Target, DeadlineError> {
        let y = self.parse_of_year()?;
        if let (Season::Winter, Year::In(first)) = (s, y) {
            if self.is_dash(0) || self.is_punct(0, "/") {
                self.pos += 1;
                self.parse_second_year(first)?;
            } else if first == self.anchor.year() && self.anchor.month() <= 2 {
                self.note.set(Some(Note::WinterAhead { year: first }));
            }
        }
        Ok(Target::Yearly(Span::Season(s), y))
    }

    /// fiscal = ("fy" | "fiscal" ["year"]) (YEAR | YY) ("-" | "/") (YY | YEAR)
    fn parse_fiscal_rest(&mut self) -> Result<Target, DeadlineError> {
        self.eat("year");
        let first = match self.num(0) {
            Some(d) if d.len() == 4 => d.parse::<i32>().map_err(|_| self.out_of_range())?,
            Some(d) if d.len() == 2 => 2000 + two_digits(d),
            _ => return Err(self.expected("a fiscal year such as 'FY2026-27'")),
        };
        self.pos += 1;
        if !(self.is_dash(0) || self.is_punct(0, "/")) {
            // A second year after some other separator ("FY2026~27") is not
            // the one-year form that the ambiguity message is about.
            let separator = self.tok(0).is_some_and(|t| {
                t.kind == Kind::Num || (t.kind == Kind::Punct && t.text != "." && t.text != ",")
            });
            if separator {
                return Err(self.expected("a hyphen or '/' between the years"));
            }
            return Err(DeadlineError::AmbiguousFiscalYear { phrase: self.phrase.to_owned(), year: first });
        }
        self.pos += 1;
        self.parse_second_year(first)?;
        Ok(Target::Yearly(Span::Fiscal, Year::In(first)))
    }

    /// The second year of a pair must follow the first: "2026-27" or "2026-2027".
    fn parse_second_year(&mut self, first: i32) -> Result<(), DeadlineError> {
        let next = i64::from(first) + 1;
        if next > i64::from(LAST_DAY.year()) {
            // "FY9999-10000": there is no following year to write.
            return Err(self.out_of_range());
        }
        let ok = match self.num(0) {
            Some(d) if d.len() == 2 => i64::from(two_digits(d)) == next.rem_euclid(100),
            Some(d) if d.len() == 4 => d.parse::<i64>().ok() == Some(next),
            _ => false,
        };
        if !ok {
            return Err(
                self.expected(format!("the following year, '{:02}' or '{next}'", next.rem_euclid(100)))
            );
        }
        self.pos += 1;
        Ok(())
    }

    /// After "this" (offset 0) or "next" (offset 1): year, quarter, month or week.
    fn parse_relative(&mut self, offset: i32) -> Result<Target, DeadlineError> {
        let y = self.anchor.year();
        let target = if self.is(0, "year") {
            Target::Yearly(Span::Year, Year::In(y + offset))
        } else if self.is(0, "quarter") {
            let q = (self.anchor.month() - 1) / 3 + 1;
            let (y, q) = if offset == 1 && q == 4 { (y + 1, 1) } else { (y, q + offset as u32) };
            Target::Yearly(Span::Quarter(q), Year::In(y))
        } else if self.is(0, "month") {
            let (y, m) = self.relative_month(offset);
            Target::Yearly(Span::Month(m), Year::In(y))
        } else if self.is(0, "week") {
            // ISO weeks: Monday to Sunday.
            let back = u64::from(self.anchor.weekday().num_days_from_monday());
            let first = self
                .anchor
                .checked_sub_days(Days::new(back))
                .and_then(|d| d.checked_add_days(Days::new(7 * offset as u64)));
            let last = first.and_then(|d| d.checked_add_days(Days::new(6)));
            match (first, last) {
                (Some(first), Some(last)) => Target::Fixed(first, last),
                _ => return Err(self.out_of_range()),
            }
        } else if let Some(s) = self.word(0).and_then(season) {
            // "this winter" said in January could be either winter. The
            // example is the next one that has not ended, as "summer" reads.
            let name = self.word(0).unwrap_or_default().to_ascii_lowercase();
            let next = self.resolve(Target::Yearly(Span::Season(s), Year::Next), Need::EndOnOrAfter);
            let year = next.map(|(first, _)| first.year()).unwrap_or(y);
            let example = match s {
                Season::Winter => format!("winter {year:04}-{:02}", (year + 1).rem_euclid(100)),
                _ => format!("{name} {year:04}"),
            };
            return Err(self.invalid(format!(
                "a season is named by its year, not by 'this' or 'next': write '{example}'"
            )));
        } else if self.is(0, "fiscal") || self.is(0, "financial") || self.is(0, "fy") {
            return Err(self.invalid(format!(
                "a fiscal year is named by both its years, not by 'this', 'next' or 'current', since which one is current depends on whose fiscal year it is: write 'FY{y:04}-{:02}' or 'FY{:04}-{:02}'",
                (y + 1).rem_euclid(100),
                y - 1,
                y.rem_euclid(100)
            )));
        } else {
            return Err(self.expected("'year', 'quarter', 'month' or 'week'"));
        };
        self.pos += 1;
        Ok(target)
    }

    /// The anchor's month (offset 0) or the one after it (offset 1).
    fn relative_month(&self, offset: i32) -> (i32, u32) {
        let (y, m) = (self.anchor.year(), self.anchor.month());
        if offset == 1 && m == 12 {
            (y + 1, 1)
        } else {
            (y, m + offset as u32)
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Compact {
    Half,
    Quarter,
}

/// The value of at most two ASCII digits (callers check the length).
fn two_digits(d: &str) -> i32 {
    d.bytes().take(2).fold(0, |n, b| n * 10 + i32::from(b.wrapping_sub(b'0')))
}
