//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
//! 31-character alphabet, the last a check character over the first 17.

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a code is not a valid USCC, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("must be 18 characters, found {0}")]
    Length(usize),
    #[error(
        "character {ch:?} at position {pos} is not allowed (allowed: 0-9 and A-Y except I, O, S, V, Z)"
    )]
    Character { ch: char, pos: usize },
    #[error("positions 3 to 8 must be a 6-digit administrative division code")]
    Division,
    #[error("check character is {found:?} but should be {expected:?}: the code has a typo")]
    Check { found: char, expected: char },
}

fn value(ch: char) -> Option<u32> {
    ALPHABET.find(ch).map(|i| i as u32)
}

/// The check character for the first 17 characters of a code.
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0;
    for (ch, w) in first17.chars().zip(WEIGHTS) {
        sum += value(ch)? * w;
    }
    let check = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(check as usize)
}

/// Validates a code as written (upper case, no spaces) and returns it.
pub fn validate(code: &str) -> Result<&str, UsccError> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(UsccError::Length(chars.len()));
    }
    if let Some((pos, &ch)) = chars.iter().enumerate().find(|(_, c)| value(**c).is_none()) {
        return Err(UsccError::Character { ch, pos: pos + 1 });
    }
    if !chars[2..8].iter().all(char::is_ascii_digit) {
        return Err(UsccError::Division);
    }
    let expected = check_char(&code[..17]).ok_or(UsccError::Length(chars.len()))?;
    if chars[17] != expected {
        return Err(UsccError::Check {
            found: chars[17],
            expected,
        });
    }
    Ok(code)
}

/// The province a valid code was registered in, from its administrative division (positions 3
/// and 4); none outside the four provinces of the region.
pub fn province(code: &str) -> Option<crate::domain::types::Province> {
    use crate::domain::types::Province;
    match code.get(2..4)? {
        "31" => Some(Province::SH),
        "32" => Some(Province::JS),
        "33" => Some(Province::ZJ),
        "34" => Some(Province::AH),
        _ => None,
    }
}

/// Completes 17 characters with their check character (for demo and test data).
pub fn complete(first17: &str) -> String {
    let check = check_char(first17).unwrap_or('0');
    format!("{first17}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_published_code() {
        // A code printed on a public business licence sample (GB 32100 worked example form).
        assert_eq!(validate("91350100M000100Y43"), Ok("91350100M000100Y43"));
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        assert_eq!(
            validate("91350100M000100Y44"),
            Err(UsccError::Check {
                found: '4',
                expected: '3'
            })
        );
    }

    #[test]
    fn rejects_bad_shape() {
        assert_eq!(validate("123"), Err(UsccError::Length(3)));
        assert!(matches!(
            validate("91350100M0001I0Y43"),
            Err(UsccError::Character { ch: 'I', pos: 14 })
        ));
        assert_eq!(validate("91AB0100M000100Y43"), Err(UsccError::Division));
    }

    #[test]
    fn complete_produces_valid_codes() {
        let code = complete("91320500MA1X2Y3Z4");
        assert!(validate(&code).is_err(), "Z is not in the alphabet");
        let code = complete("91320500MA1X2Y3K4");
        assert_eq!(validate(&code), Ok(code.as_str()));
    }
}
