//! The deadline language (placeholder until the grammar lands): every phrase
//! is read as vague.

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deadline {
    pub phrase: String,
    pub anchor: NaiveDate,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

impl Deadline {
    pub fn is_vague(&self) -> bool {
        self.end.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown deadline phrase {0:?}")]
pub struct DeadlineError(String);

pub fn parse(phrase: &str, anchor: NaiveDate) -> Result<Deadline, DeadlineError> {
    Ok(Deadline { phrase: phrase.to_owned(), anchor, start: anchor, end: None })
}

impl std::fmt::Display for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (anchored {}): from {}, no fixed deadline", self.phrase, self.anchor, self.start)
    }
}
