//! Colour for people at a terminal, with `anstyle`: whether to colour is decided once, by
//! `config` (`--color`, `NO_COLOR`, whether the stream is a terminal); this module only paints.

use anstyle::{AnsiColor, Effects, Style};

/// Whether text is painted. Resolved once per output stream by `config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    Never,
    Always,
}

/// File headers of a diff and environment headings.
pub(super) const HEADING: Style = Style::new().effects(Effects::BOLD);
/// Hunk headers.
pub(super) const HUNK: Style = AnsiColor::Cyan.on_default();
/// What is removed, and an old value.
pub(super) const OLD: Style = AnsiColor::Red.on_default();
/// What is added, and a new value.
pub(super) const NEW: Style = AnsiColor::Green.on_default();
/// The changed words inside a changed line.
pub(super) const EMPHASIS: Style = Style::new().effects(Effects::UNDERLINE);

/// `text` in `style` (reset after it), or as it is without colour.
pub(super) fn paint(colour: Colour, style: Style, text: &str) -> String {
    match colour {
        Colour::Always if style != Style::new() => format!("{style}{text}{style:#}"),
        _ => text.to_owned(),
    }
}
