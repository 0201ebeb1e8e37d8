//! Reports as pictures: monthly utilisation as a bar chart and a flow matrix as a heat map, drawn
//! as standalone SVG with a title, labelled axes and units, in English or Chinese. Every mark
//! carries its value in a `data-value` attribute, so a reader (or a test) can take the numbers
//! back out.

use std::fmt::Write;

use crate::domain::types::Locale;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn t<'a>(l: Locale, en: &'a str, zh: &'a str) -> &'a str {
    crate::notify::text::t(l, en, zh)
}

const WIDTH: i64 = 720;
const HEIGHT: i64 = 400;
const LEFT: i64 = 70;
const TOP: i64 = 50;
const BOTTOM: i64 = 60;

fn open(out: &mut String, title: &str, lang: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" xml:lang=\"{lang}\" font-family=\"sans-serif\" font-size=\"12\">\
         <title>{t}</title>\
         <text x=\"{x}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">{t}</text>",
        t = escape(title),
        x = WIDTH / 2,
    );
}

fn lang(l: Locale) -> &'static str {
    match l {
        Locale::En => "en",
        Locale::ZhCn => "zh-CN",
    }
}

/// Monthly utilisation (percent of rated hours) as bars, one per month; a month with no rated
/// time has no bar and says so.
pub fn monthly_utilisation(l: Locale, subject: &str, year: i32, months: &[Option<f64>]) -> String {
    let title = match l {
        Locale::En => format!("{subject}: monthly utilisation, {year}"),
        Locale::ZhCn => format!("{subject}：{year}年月度利用率"),
    };
    let mut out = String::new();
    open(&mut out, &title, lang(l));
    let (w, h) = (WIDTH - LEFT - 20, HEIGHT - TOP - BOTTOM);
    // The value axis runs from 0 to the larger of 100 % and the busiest month.
    let top = months
        .iter()
        .flatten()
        .fold(100.0_f64, |m, v| m.max(v * 100.0));
    let plot = Bars {
        w,
        h,
        base: TOP + h,
        top,
    };
    plot.value_axis(&mut out, l);
    for (i, value) in months.iter().enumerate() {
        plot.month(&mut out, l, i, *value);
    }
    let axis_x = t(l, "Month", "月份");
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{axis_x}</text></svg>",
        LEFT + w / 2,
        HEIGHT - 16
    );
    out
}

/// A bar chart's plot area (width, height, baseline) and the percentage its top stands for.
struct Bars {
    w: i64,
    h: i64,
    base: i64,
    top: f64,
}

impl Bars {
    fn height(&self, pct: f64) -> i64 {
        (pct / self.top * self.h as f64).round() as i64
    }

    /// Both axes, the value axis marked in quarters, and its label.
    fn value_axis(&self, out: &mut String, l: Locale) {
        let base = self.base;
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{base}\" stroke=\"#333\"/>\
             <line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#333\"/>",
            LEFT + self.w
        );
        for q in 0..=4 {
            let pct = self.top * f64::from(q) / 4.0;
            let y = base - self.height(pct);
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{pct:.0}</text>",
                LEFT - 6,
                y + 4
            );
        }
        let label = t(
            l,
            "Utilisation (% of rated hours)",
            "利用率（占额定机时的百分比）",
        );
        let mid = TOP + self.h / 2;
        let _ = write!(
            out,
            "<text x=\"16\" y=\"{mid}\" transform=\"rotate(-90 16 {mid})\" text-anchor=\"middle\">{}</text>",
            escape(label)
        );
    }

    /// Month `i` (from 0): its label, and its bar when it had rated time.
    fn month(&self, out: &mut String, l: Locale, i: usize, value: Option<f64>) {
        let (month, slot, base) = (i + 1, self.w / 12, self.base);
        let x = LEFT + slot * i as i64 + slot / 6;
        let label = match l {
            Locale::En => MONTHS[i].to_owned(),
            Locale::ZhCn => format!("{month}月"),
        };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
            x + slot / 3,
            base + 18
        );
        let Some(v) = value else {
            return;
        };
        let pct = (v * 10_000.0).round() / 100.0;
        let h = self.height(pct);
        let _ = write!(
            out,
            "<rect class=\"bar\" data-month=\"{month}\" data-value=\"{pct}\" x=\"{x}\" y=\"{}\" \
             width=\"{}\" height=\"{h}\" fill=\"#3b7dd8\"><title>{label}: {pct}%</title></rect>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{pct}</text>",
            base - h,
            slot * 2 / 3,
            x + slot / 3,
            base - h - 4
        );
    }
}

/// One square of a heat map at (x, y, size), shaded from near-white to deep blue by `shade`.
fn heat_cell(out: &mut String, (from, to): (&str, &str), v: f64, shade: f64, at: (i64, i64, i64)) {
    let (x, y, size) = at;
    let channel = |light: f64, dark: f64| (light + (dark - light) * shade).round() as u8;
    let fill = format!(
        "#{:02x}{:02x}{:02x}",
        channel(240.0, 20.0),
        channel(244.0, 70.0),
        channel(250.0, 160.0)
    );
    let ink = if shade > 0.5 { "#fff" } else { "#000" };
    let _ = write!(
        out,
        "<rect class=\"cell\" data-from=\"{from}\" data-to=\"{to}\" data-value=\"{v}\" \
         x=\"{x}\" y=\"{y}\" width=\"{size}\" height=\"{size}\" fill=\"{fill}\" stroke=\"#fff\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{ink}\">{v}</text>",
        x + size / 2,
        y + size / 2 + 4
    );
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The provinces of the region, in the order rows and columns are drawn.
pub const PROVINCES: [&str; 4] = ["SH", "JS", "ZJ", "AH"];

fn province(l: Locale, code: &str) -> &'static str {
    match (code, l) {
        ("SH", Locale::En) => "Shanghai",
        ("JS", Locale::En) => "Jiangsu",
        ("ZJ", Locale::En) => "Zhejiang",
        ("AH", Locale::En) => "Anhui",
        ("SH", _) => "上海",
        ("JS", _) => "江苏",
        ("ZJ", _) => "浙江",
        _ => "安徽",
    }
}

/// What a heat map shows.
pub struct Matrix<'a> {
    pub title: String,
    /// The unit of the values, named in the legend.
    pub unit: &'a str,
    /// Whose province the rows are: the users' or the voucher issuers'.
    pub rows_are: &'a str,
    /// (row province, column province, value).
    pub cells: Vec<(String, String, f64)>,
}

/// A 4 × 4 heat map: rows from, columns to (the providers' province); darker is more.
pub fn heat_map(l: Locale, m: &Matrix<'_>) -> String {
    let mut out = String::new();
    open(&mut out, &m.title, lang(l));
    let size = 70;
    let (x0, y0) = (LEFT + 110, TOP + 40);
    let most = m.cells.iter().fold(0.0_f64, |a, c| a.max(c.2));
    let value = |from: &str, to: &str| {
        m.cells
            .iter()
            .find(|c| c.0 == from && c.1 == to)
            .map_or(0.0, |c| c.2)
    };
    for (c, to) in PROVINCES.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x0 + size * c as i64 + size / 2,
            y0 - 8,
            province(l, to)
        );
    }
    for (r, from) in PROVINCES.iter().enumerate() {
        let y = y0 + size * r as i64;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            x0 - 8,
            y + size / 2 + 4,
            province(l, from)
        );
        for (c, to) in PROVINCES.iter().enumerate() {
            let v = value(from, to);
            let shade = if most > 0.0 { v / most } else { 0.0 };
            let at = (x0 + size * c as i64, y, size);
            heat_cell(&mut out, (from, to), v, shade, at);
        }
    }
    let across = t(l, "Provider's province", "服务提供方所在省份");
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{across}</text>\
         <text x=\"20\" y=\"{}\" transform=\"rotate(-90 20 {})\" text-anchor=\"middle\">{}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></svg>",
        x0 + size * 2,
        TOP + 14,
        y0 + size * 2,
        y0 + size * 2,
        escape(m.rows_are),
        WIDTH - 10,
        HEIGHT - 12,
        escape(m.unit)
    );
    out
}
