//! CSV that is safe to open in Excel or WPS. A cell that begins with `=`, `+`, `-`, `@`, a tab or
//! a carriage return is read by spreadsheets as a formula (`=HYPERLINK(…)`, `=cmd|…`), so such a
//! cell is written with a leading apostrophe, which shows the text as it is. Numbers, negative
//! ones included, are left as numbers.

use std::borrow::Cow;

/// `text` as a cell no spreadsheet runs.
pub fn cell(text: &str) -> Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && text.parse::<f64>().is_err() {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A CSV document whose every cell goes through [`cell`].
pub struct Sheet(csv::Writer<Vec<u8>>);

impl Default for Sheet {
    fn default() -> Sheet {
        Sheet(csv::Writer::from_writer(Vec::new()))
    }
}

impl Sheet {
    pub fn row<I, S>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let safe: Vec<String> = cells
            .into_iter()
            .map(|c| cell(c.as_ref()).into_owned())
            .collect();
        self.0.write_record(&safe)
    }

    /// The document's text.
    pub fn finish(self) -> Result<String, String> {
        let bytes = self.0.into_inner().map_err(|e| e.to_string())?;
        String::from_utf8(bytes).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        for risky in [
            "=HYPERLINK(\"http://x\")",
            "+SUM(A1)",
            "-2+3",
            "@SUM(A1)",
            "=cmd|' /C calc'!A0",
            "\tx",
            "\rx",
        ] {
            assert_eq!(cell(risky), format!("'{risky}"), "{risky}");
        }
        for plain in [
            "-5",
            "-12.5",
            "+3",
            "0",
            "Fudan University",
            "复旦大学",
            "",
            "a=b",
        ] {
            assert_eq!(cell(plain), plain, "{plain}");
        }
    }

    #[test]
    fn a_sheet_quotes_and_defuses() {
        let mut s = Sheet::default();
        s.row(["name", "amount"]).unwrap();
        s.row(["=1+1, \"x\"", "-100"]).unwrap();
        assert_eq!(
            s.finish().unwrap(),
            "name,amount\n\"'=1+1, \"\"x\"\"\",-100\n"
        );
    }
}
