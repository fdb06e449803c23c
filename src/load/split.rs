//! A lexical scan of KDL 2 text that sees blocks, block comments and line ends outside strings
//! and comments, and the parse of a large `platform.kdl` in pieces on several cores that it
//! makes possible.
//!
//! The KDL parser reads about 4 MB/s: a 2,000-tenant `platform.kdl` (190 KB) takes 40 ms on one
//! core while the others wait. The tenants are children of one top-level block, so the file
//! splits at the start of a line between two of them: the first piece is the file with the
//! later lines blanked out, each later piece holds only its own lines, and the nodes of the
//! later pieces are appended to the block's children in the first.
//!
//! **Invariant:** a split parse gives the document the whole parse would, spans included (each
//! piece is blanked with spaces byte for byte, so every offset stays where it was); when it
//! cannot be sure of that, or a piece does not parse, the caller parses the whole file, whose
//! errors are the ones reported.

use std::ops::ControlFlow;

use kdl::KdlDocument;

/// What `scan` meets outside strings and comments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mark {
    /// A `{`; `depth` counts the blocks open after it.
    Open { depth: usize },
    /// A `}`; `depth` counts the blocks still open after it.
    Close { depth: usize },
    /// A `/*`; `depth` counts the block comments open after it.
    Comment { depth: usize },
    /// A `\n`; `blocks` counts the blocks open. `continued` says the line held a `\` (a line
    /// continuation) or a `/-` (which may comment out what follows on the next line).
    LineEnd { blocks: usize, continued: bool },
}

/// Walks `text` as KDL 2 does, skipping strings (quoted, raw `#"…"#`, multi-line `"""`) and
/// comments, and calls `visit` with each mark and its byte offset until it breaks.
pub(super) fn scan<B>(
    text: &str,
    mut visit: impl FnMut(usize, Mark) -> ControlFlow<B>,
) -> Option<B> {
    let bytes = text.as_bytes();
    let (mut blocks, mut comments, mut continued) = (0usize, 0usize, false);
    let mut i = 0;
    while i < bytes.len() {
        let (at, rest) = (i, &bytes[i..]);
        if comments > 0 {
            if rest.starts_with(b"*/") {
                comments -= 1;
                i += 2;
            } else if rest.starts_with(b"/*") {
                comments += 1;
                if let ControlFlow::Break(b) = visit(at, Mark::Comment { depth: comments }) {
                    return Some(b);
                }
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        let mark = match rest[0] {
            b'/' if rest.starts_with(b"/*") => {
                comments = 1;
                i += 2;
                Mark::Comment { depth: 1 }
            }
            b'/' if rest.starts_with(b"//") => {
                i += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                continue;
            }
            b'/' if rest.starts_with(b"/-") => {
                continued = true;
                i += 2;
                continue;
            }
            b'\\' => {
                continued = true;
                i += 1;
                continue;
            }
            b'#' | b'"' => {
                i += string_len(rest);
                continue;
            }
            b'{' => {
                blocks += 1;
                i += 1;
                Mark::Open { depth: blocks }
            }
            b'}' => {
                blocks = blocks.saturating_sub(1);
                i += 1;
                Mark::Close { depth: blocks }
            }
            b'\n' => {
                let mark = Mark::LineEnd { blocks, continued };
                continued = false;
                i += 1;
                mark
            }
            _ => {
                i += 1;
                continue;
            }
        };
        if let ControlFlow::Break(b) = visit(at, mark) {
            return Some(b);
        }
    }
    None
}

/// The length of the string `rest` starts with (to the end of `rest` if it never closes), or
/// of the `#`s that start a keyword such as `#true`.
fn string_len(rest: &[u8]) -> usize {
    let hashes = rest.iter().take_while(|&&b| b == b'#').count();
    if rest.get(hashes) != Some(&b'"') {
        return hashes.max(1);
    }
    let quotes = if rest[hashes..].starts_with(b"\"\"\"") {
        3
    } else {
        1
    };
    let mut close = vec![b'"'; quotes];
    close.extend(std::iter::repeat_n(b'#', hashes));
    let mut j = hashes + quotes;
    // Escapes exist only in strings without `#`.
    while j < rest.len() && !rest[j..].starts_with(&close) {
        j += if hashes == 0 && rest[j] == b'\\' {
            2
        } else {
            1
        };
    }
    (j + close.len()).min(rest.len())
}

/// The fewest bytes worth a piece of their own: below it, starting a thread and parsing the
/// blanks costs more than the piece.
const PIECE_MIN: usize = 64 * 1024;

/// `text` parsed in one piece per core (at most one per `PIECE_MIN` bytes), or `None` when it
/// is too small, cannot be split safely, or a piece does not parse.
pub(super) fn parse_in_pieces(text: &str) -> Option<KdlDocument> {
    parse_split(text, crate::parallel::cores().min(text.len() / PIECE_MIN))
}

/// `text` parsed in up to `wanted` pieces (`parse_in_pieces` with the count chosen).
fn parse_split(text: &str, wanted: usize) -> Option<KdlDocument> {
    if wanted < 2 || !plain_line_ends(text) {
        return None;
    }
    let (open, close, starts) = split_points(text, wanted)?;
    let blank = |range: std::ops::Range<usize>| " ".repeat(range.len());
    let mut pieces = Vec::with_capacity(starts.len() + 1);
    pieces.push(format!(
        "{}{}{}",
        &text[..starts[0]],
        blank(starts[0]..close),
        &text[close..]
    ));
    for (index, &start) in starts.iter().enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(close);
        pieces.push(format!("{}{}", blank(0..start), &text[start..end]));
    }
    let parsed = crate::parallel::runs(&pieces, 1, &|run: &[String]| {
        run.iter()
            .map(|piece| piece.parse::<KdlDocument>().ok())
            .collect::<Vec<_>>()
    });
    let mut parsed = parsed.into_iter().flatten();
    let mut document = parsed.next()??;
    // The node whose children block is the one split: anything else (a commented-out block,
    // a second block on the node) means the pieces are not what they seem.
    let block = document.nodes_mut().iter_mut().find_map(|node| {
        let children = node.children_mut().as_mut()?;
        let first = children.span().offset();
        (open < first && first <= starts[0]).then_some(children)
    })?;
    let mut end = block.span().offset() + block.span().len();
    for piece in parsed {
        let mut piece = piece?;
        end = piece.span().offset() + piece.span().len();
        block.nodes_mut().append(piece.nodes_mut());
    }
    // The whole parse's block spans its nodes, from the first to the last.
    block.set_span(block.span().offset()..end);
    Some(document)
}

/// KDL 2 ends lines at CR, LF, CRLF, NEL, VT, FF, LS and PS; `scan` knows only LF (a line
/// comment it skips to the next LF), so only text whose lines all end in LF or CRLF is split.
fn plain_line_ends(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == 0x0b || b == 0x0c || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        && !text.contains(['\u{85}', '\u{2028}', '\u{2029}'])
}

/// The largest top-level block (`{` and `}` offsets) and up to `wanted - 1` offsets inside it,
/// spread evenly, at which a piece can start: the start of a line inside the block and no
/// deeper, after a line that neither continues nor comments out what follows, beginning
/// (after indentation) with a letter, so with a node's bare name.
fn split_points(text: &str, wanted: usize) -> Option<(usize, usize, Vec<usize>)> {
    let bytes = text.as_bytes();
    // Per top-level block: its `{`, its `}`, and the line starts inside it where a piece can start.
    let mut blocks: Vec<(usize, usize, Vec<usize>)> = Vec::new();
    let mut current: Option<(usize, Vec<usize>)> = None;
    scan::<()>(text, |at, mark| {
        match mark {
            Mark::Open { depth: 1 } => current = Some((at, Vec::new())),
            Mark::Close { depth: 0 } => {
                if let Some((open, starts)) = current.take() {
                    blocks.push((open, at, starts));
                }
            }
            Mark::LineEnd {
                blocks: 1,
                continued: false,
            } => {
                let indented = &bytes[at + 1..];
                let first = indented.iter().position(|&b| b != b' ' && b != b'\t');
                if let (Some((_, starts)), Some(first)) = (current.as_mut(), first)
                    && indented[first].is_ascii_alphabetic()
                {
                    starts.push(at + 1);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    });
    let (open, close, starts) = blocks
        .into_iter()
        .max_by_key(|(open, close, _)| close - open)?;
    let span = close - open;
    let mut chosen: Vec<usize> = Vec::new();
    for piece in 1..wanted {
        let target = open + span * piece / wanted;
        let nearest = starts.partition_point(|&start| start < target);
        let Some(&start) = starts.get(nearest) else {
            break;
        };
        if chosen.last().is_none_or(|&last| last < start) {
            chosen.push(start);
        }
    }
    (!chosen.is_empty()).then_some((open, close, chosen))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every span in `document`, in document order, for comparing two parses (the `kdl`
    /// crate's equality ignores spans).
    fn spans(document: &KdlDocument, into: &mut Vec<(usize, usize)>) {
        fn push(into: &mut Vec<(usize, usize)>, span: miette::SourceSpan) {
            into.push((span.offset(), span.len()));
        }
        let push = |into: &mut Vec<_>, span| push(into, span);
        push(into, document.span());
        for node in document.nodes() {
            push(into, node.span());
            push(into, node.name().span());
            if let Some(ty) = node.ty() {
                push(into, ty.span());
            }
            for entry in node.entries() {
                push(into, entry.span());
                if let Some(name) = entry.name() {
                    push(into, name.span());
                }
                if let Some(ty) = entry.ty() {
                    push(into, ty.span());
                }
            }
            if let Some(children) = node.children() {
                spans(children, into);
            }
        }
    }

    /// The split parse of `text` in `wanted` pieces, checked against the whole parse: the
    /// same nodes, entries and spans.
    fn assert_same_as_whole(text: &str, wanted: usize) {
        let whole: KdlDocument = (text.parse())
            .unwrap_or_else(|error| panic!("the whole text parses: {error:?}\n{text}"));
        let split = parse_split(text, wanted).expect("the text splits");
        let (mut split_spans, mut whole_spans) = (Vec::new(), Vec::new());
        spans(&split, &mut split_spans);
        spans(&whole, &mut whole_spans);
        assert_eq!(split_spans, whole_spans, "spans, {wanted} pieces");
        let (mut split, mut whole) = (split, whole);
        split.clear_format_recursive();
        whole.clear_format_recursive();
        assert_eq!(split, whole, "nodes, {wanted} pieces");
    }

    /// A platform-like document whose tenants hold what could fool a split: braces, quotes and
    /// line ends in strings and comments, non-ASCII text, continued lines, commented-out nodes.
    fn tricky_platform(tenants: usize) -> String {
        let mut text = String::from("/- kdl-version 2\nplatform \"é-plat\" {\n");
        for n in 0..tenants {
            text.push_str(&format!(
                "    tenant \"t{n}\" team=\"Équipe {{ {n}\" {{\n        retention \"14d\"\n    }}\n"
            ));
            match n % 7 {
                0 => text.push_str("    note #\"raw \" } { \"#\n"),
                1 => text.push_str("    note \"\"\"\n    multi {\n    line }\n    \"\"\"\n"),
                2 => text.push_str("    // a comment with { and \"\n"),
                3 => text
                    .push_str("    /* block { \n comment */ spaced \\\n        continued=#true\n"),
                4 => text.push_str("    /-\n    commented \"out\"\n"),
                5 => text.push_str("    (typed)node 1 (u8)2 key=(t)\"v\"; other\n"),
                _ => text.push_str("\tindented \"tab\" \"esc \\\" {\"\n"),
            }
        }
        text.push_str("}\nafter \"top\" {\n    child\n}\n");
        text
    }

    #[test]
    fn a_split_parse_is_the_whole_parse() {
        for tenants in [3, 10, 41] {
            let text = tricky_platform(tenants);
            for wanted in 2..=5 {
                assert_same_as_whole(&text, wanted);
            }
            assert_same_as_whole(&text.replace('\n', "\r\n"), 3);
        }
        let example = include_str!("../../platform.kdl");
        for wanted in 2..=6 {
            assert_same_as_whole(example, wanted);
        }
    }

    #[test]
    fn what_cannot_be_split_safely_is_left_to_the_whole_parse() {
        let text = tricky_platform(20);
        // A syntax error in any piece: the whole parse reports it.
        let broken = text.replace("tenant \"t15\"", "tenant \"t15");
        assert!(broken.parse::<KdlDocument>().is_err());
        assert!(parse_split(&broken, 2).is_none());
        // A commented-out block: its lines belong to no node.
        let commented = text.replacen("platform \"é-plat\" {", "/- platform \"é-plat\" {", 1);
        assert!(parse_split(&commented, 2).is_none());
        let second_block = text
            .replacen("platform \"é-plat\" {", "platform /- {", 1)
            .replacen("}\nafter", "} {\n    kept\n}\nafter", 1);
        assert!(second_block.parse::<KdlDocument>().is_ok());
        assert!(parse_split(&second_block, 2).is_none());
        // Lines that KDL ends and the scan does not.
        for line_end in ["\r", "\u{85}", "\u{0b}", "\u{0c}", "\u{2028}", "\u{2029}"] {
            let odd = text.replacen("\n", line_end, 1);
            assert!(parse_split(&odd, 2).is_none(), "{line_end:?}");
        }
        // One piece wanted, or nowhere to split.
        assert!(parse_split(&text, 1).is_none());
        assert!(parse_split("platform {\n}\n", 2).is_none());
    }

    #[test]
    fn the_pieces_start_at_node_lines_inside_the_largest_block() {
        let text =
            "small {\n  a\n  b\n}\nbig {\n  c \\\n    d\n  e /-\n  f\n  g\n  \"h\"\n  i\n}\n";
        let (open, close, starts) = split_points(text, 8).expect("split points");
        assert_eq!((&text[open..=open], &text[close..=close]), ("{", "}"));
        let lines: Vec<&str> = starts
            .iter()
            .map(|&start| text[start..].lines().next().unwrap_or_default().trim())
            .collect();
        // Not `d` (continued), `f` (commented out by `/-`) or `"h"` (a quoted name).
        assert_eq!(lines, ["e /-", "g", "i"]);
    }
}
