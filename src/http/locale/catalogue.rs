//! The Chinese catalogue of problem texts, and how a text the service wrote is matched against
//! it: an English template whose `{}` parts stand for whatever the text has there.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A piece of a template: text to match as it is, or a part that varies.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// The n-th part (from 0).
    Part(usize),
}

#[derive(Debug)]
struct Entry {
    english: Vec<Piece>,
    chinese: Vec<Piece>,
}

impl Entry {
    /// How much fixed text the English template has: longer templates are tried first, so the
    /// most specific one wins.
    fn fixed(&self) -> usize {
        self.english
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Part(_) => 0,
            })
            .sum()
    }
}

struct Catalogue {
    /// Texts without varying parts, looked up whole.
    exact: HashMap<String, String>,
    /// Templates with varying parts, most specific first.
    templates: Vec<Entry>,
}

const ZH_CN: &str = include_str!("zh-CN.txt");

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| parse(ZH_CN))
}

fn parse(source: &str) -> Catalogue {
    let mut exact = HashMap::new();
    let mut templates = Vec::new();
    let mut english: Option<&str> = None;
    for line in source.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match (line.strip_prefix("= "), english.take()) {
            (Some(zh), Some(en)) => {
                let entry = Entry {
                    english: pieces(en),
                    chinese: pieces(zh),
                };
                match entry.english.as_slice() {
                    [Piece::Text(t)] => {
                        exact.insert(t.clone(), text_of(&entry.chinese));
                    }
                    _ => templates.push(entry),
                }
            }
            (None, _) => english = Some(line),
            (Some(_), None) => {}
        }
    }
    templates.sort_by_key(|e| std::cmp::Reverse(e.fixed()));
    Catalogue { exact, templates }
}

/// A template's pieces: `{}` is the next part, `{n}` the n-th (from 1), `{{` and `}}` braces.
fn pieces(template: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut next = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some('{')) | ('}', Some('}')) => {
                text.push(c);
                chars.next();
            }
            ('{', _) => {
                let mut digits = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    digits.push(d);
                }
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                let n = match digits.parse::<usize>() {
                    Ok(n) => n.saturating_sub(1),
                    Err(_) => next,
                };
                next = n + 1;
                out.push(Piece::Part(n));
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    out
}

fn text_of(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.as_str(),
            Piece::Part(_) => "",
        })
        .collect()
}

/// The parts of `text` if it has the shape of `template`; each fixed piece is matched at its
/// first place after the one before.
fn parts<'t>(template: &[Piece], text: &'t str) -> Option<Vec<&'t str>> {
    let mut parts = Vec::new();
    let mut rest = text;
    let mut open = false;
    for (i, piece) in template.iter().enumerate() {
        match piece {
            Piece::Part(_) => open = true,
            Piece::Text(t) if !open => rest = rest.strip_prefix(t.as_str())?,
            Piece::Text(t) => {
                let last = i == template.len() - 1;
                let at = if last {
                    rest.strip_suffix(t.as_str()).map(str::len)?
                } else {
                    rest.find(t.as_str())?
                };
                parts.push(&rest[..at]);
                rest = &rest[at + t.len()..];
                open = false;
            }
        }
    }
    match open {
        true => parts.push(rest),
        false if !rest.is_empty() => return None,
        false => {}
    }
    Some(parts)
}

/// `text` in Chinese, when the catalogue has it or a template of its shape, or has each of
/// its `; `-separated pieces (advice put together from several sources).
pub fn to_chinese(text: &str) -> Option<String> {
    let catalogue = catalogue();
    if let Some(zh) = catalogue.exact.get(text) {
        return Some(zh.clone());
    }
    let matched = catalogue.templates.iter().find_map(|entry| {
        let parts = parts(&entry.english, text)?;
        Some(fill(&entry.chinese, &parts))
    });
    matched.or_else(|| {
        let pieces: Vec<&str> = text.split("; ").collect();
        let each: Option<Vec<String>> = match pieces.len() {
            1 => None,
            _ => pieces.iter().map(|p| to_chinese(p)).collect(),
        };
        each.map(|e| e.join("；"))
    })
}

/// The Chinese template with its parts filled in, each in Chinese where the catalogue has it.
fn fill(chinese: &[Piece], parts: &[&str]) -> String {
    let mut out = String::new();
    for piece in chinese {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Part(n) => {
                let part = parts.get(*n).copied().unwrap_or("");
                out.push_str(&to_chinese(part).unwrap_or_else(|| part.to_owned()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_with_parts_is_matched_and_its_parts_reordered() {
        let cat = parse(
            "{} is not supported on {}; use {}\n= {2} 不支持 {1}；请使用 {3}\n\
             a {{b}} {}\n= 甲 {{乙}} {}\n",
        );
        let entry = &cat.templates[0];
        let found = parts(&entry.english, "PUT is not supported on /x; use GET").unwrap();
        assert_eq!(found, ["PUT", "/x", "GET"]);
        assert_eq!(fill(&entry.chinese, &found), "/x 不支持 PUT；请使用 GET");
        let braces = cat.templates.iter().find(|e| e.fixed() == 6).unwrap();
        assert_eq!(parts(&braces.english, "a {b} 7"), Some(vec!["7"]));
        assert_eq!(parts(&braces.english, "a {b}"), None);
    }

    #[test]
    fn the_most_specific_template_wins_and_nouns_are_translated_inside() {
        assert_eq!(
            to_chinese("must be between 1 and 500 fen").as_deref(),
            Some("必须在 1 到 500 分之间")
        );
        assert_eq!(
            to_chinese("must be between 1 and 52").as_deref(),
            Some("必须在 1 到 52 之间")
        );
        assert_eq!(
            to_chinese("booking not found").as_deref(),
            Some("未找到预约")
        );
        assert_eq!(to_chinese("something we never wrote"), None);
    }

    #[test]
    fn serde_texts_inside_a_problem_are_translated_too() {
        let text =
            "the body does not have the expected fields: missing field `reason` at line 1 column 2";
        assert_eq!(
            to_chinese(text).as_deref(),
            Some("请求体的字段不符合要求：缺少字段 `reason`（第 1 行第 2 列）")
        );
    }
}
