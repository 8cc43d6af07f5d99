//! Parsers of text that images and users control. Nothing here panics on
//! any input: malformed entries are skipped or reported as errors.

pub mod passwd;
