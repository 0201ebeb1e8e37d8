//! Computing allocations as pure rules: reading job accounting (the shape `sacct --parsable2`
//! prints, or comma-separated), drawing an allocation down job by job with what goes beyond it
//! kept as overage, the balance and burn rate, and the alert thresholds.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Issue;

/// One finished job as the centre's accounting reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The line of the file (or the position in a posted batch, from 1).
    pub line: u64,
    pub job_id: Option<String>,
    pub account: String,
    pub user: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub units: i64,
    /// Unit-hours charged, to the nearest unit-minute.
    pub unit_minutes: i64,
}

/// A job as posted through the API: times in RFC 3339, unit-hours as a number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostedJob {
    pub job_id: Option<String>,
    pub account: String,
    pub user: String,
    pub start: String,
    pub end: String,
    pub units: i64,
    pub unit_hours: f64,
}

/// Column names accepted in a file's header, each with the names `sacct` uses.
const ACCOUNT: &[&str] = &["account"];
const USER: &[&str] = &["user"];
const START: &[&str] = &["start"];
const END: &[&str] = &["end"];
const UNITS: &[&str] = &["units", "allocgres", "allocgpus", "nnodes", "alloccpus"];
const UNIT_HOURS: &[&str] = &["unit_hours", "unithours", "unit-hours"];
const JOB_ID: &[&str] = &["job_id", "jobid"];

/// Where each field sits in a file's columns.
struct Columns {
    account: usize,
    user: usize,
    start: usize,
    end: usize,
    units: usize,
    unit_hours: usize,
    job_id: Option<usize>,
}

impl Columns {
    fn of(header: &[String]) -> Result<Columns, Issue> {
        let find = |names: &[&str]| {
            header
                .iter()
                .position(|h| names.contains(&h.to_ascii_lowercase().as_str()))
        };
        let need = |names: &[&str]| {
            find(names).ok_or_else(|| {
                Issue::line(
                    1,
                    format!(
                        "the header needs account, user, start, end, units and unit_hours \
                         (job_id optional); no column named {}",
                        names[0]
                    ),
                )
            })
        };
        Ok(Columns {
            account: need(ACCOUNT)?,
            user: need(USER)?,
            start: need(START)?,
            end: need(END)?,
            units: need(UNITS)?,
            unit_hours: need(UNIT_HOURS)?,
            job_id: find(JOB_ID),
        })
    }
}

/// A time as `sacct` prints it (local to the centre, `2026-03-01T10:00:00`) or in RFC 3339.
pub fn parse_time(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if matches!(text, "Unknown" | "None" | "") {
        return Err("the job has not finished (no end time); import it once it has".into());
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .map_err(|_| format!("{text:?} is not a time like 2026-03-01T10:00:00"))?;
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => Err(format!(
            "{text} happens twice in {} as the clocks go back; give it with its offset, \
             {} or {}",
            tz.name(),
            first.to_rfc3339(),
            second.to_rfc3339()
        )),
        LocalResult::None => Err(format!("{text} does not exist in {}", tz.name())),
    }
}

/// Unit-hours as unit-minutes, to the nearest minute.
fn unit_minutes(hours: f64) -> Result<i64, String> {
    if !hours.is_finite() || !(0.0..=1e9).contains(&hours) {
        return Err("unit_hours must be a number from 0 to 1 000 000 000".into());
    }
    Ok((hours * 60.0).round() as i64)
}

/// Checks one job's fields and builds it.
fn job(line: u64, fields: [&str; 4], start: &str, end: &str, tz: Tz) -> Result<Job, String> {
    let [job_id, account, user, units_text] = fields;
    if fields.iter().any(|f| f.contains('\0')) {
        // PostgreSQL cannot store a NUL; refused on both backends alike.
        return Err("text must not contain NUL characters".into());
    }
    if job_id.chars().count() > 100 {
        return Err("job_id must be at most 100 characters".into());
    }
    let (start, end) = (parse_time(start, tz)?, parse_time(end, tz)?);
    if end < start {
        return Err("end is before start".into());
    }
    let units: i64 = units_text
        .trim()
        .parse()
        .ok()
        .filter(|u| *u > 0)
        .ok_or_else(|| format!("units must be a whole number above 0, not {units_text:?}"))?;
    for (name, value) in [("account", account), ("user", user)] {
        if !super::text_fits(value, 100) {
            return Err(format!("{name} must be 1 to 100 characters"));
        }
    }
    Ok(Job {
        line,
        job_id: Some(job_id.trim())
            .filter(|j| !j.is_empty())
            .map(str::to_owned),
        account: account.trim().to_owned(),
        user: user.trim().to_owned(),
        start,
        end,
        units,
        unit_minutes: 0,
    })
}

/// Checks that a job charged no more unit-hours than its units ran for (a minute's leeway for
/// rounding), and sets them.
fn charged(mut j: Job, minutes: i64) -> Result<Job, String> {
    let most = (j.end - j.start)
        .num_minutes()
        .saturating_add(1)
        .saturating_mul(j.units);
    if minutes > most {
        return Err(format!(
            "unit_hours is more than {} units over the job's {} minutes",
            j.units,
            (j.end - j.start).num_minutes()
        ));
    }
    j.unit_minutes = minutes;
    Ok(j)
}

/// The jobs read from a batch, and every bad line with its number and reason.
#[derive(Debug, Default)]
pub struct Parsed {
    pub jobs: Vec<Job>,
    pub issues: Vec<Issue>,
}

/// Reads a usage file: `|`-separated as `sacct --parsable2` prints it, or comma-separated.
pub fn parse_csv(text: &str, tz: Tz) -> Parsed {
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains('|') { b'|' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect(),
        Err(e) => {
            return finish(
                vec![],
                vec![Issue::line(1, format!("unreadable header: {e}"))],
            );
        }
    };
    let cols = match Columns::of(&header) {
        Ok(c) => c,
        Err(issue) => return finish(vec![], vec![issue]),
    };
    let (mut jobs, mut issues) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let rec = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                issues.push(Issue::line(line, format!("unreadable line: {e}")));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let get = |i: usize| rec.get(i).unwrap_or("");
        let id = cols.job_id.map_or("", get);
        let fields = [id, get(cols.account), get(cols.user), get(cols.units)];
        let hours = get(cols.unit_hours);
        let parsed = job(line, fields, get(cols.start), get(cols.end), tz).and_then(|j| {
            let h: f64 = hours
                .trim()
                .parse()
                .map_err(|_| format!("unit_hours must be a number, not {hours:?}"))?;
            charged(j, unit_minutes(h)?)
        });
        match parsed {
            Ok(j) => jobs.push(j),
            Err(reason) => issues.push(Issue::line(line, reason)),
        }
    }
    finish(jobs, issues)
}

/// Checks posted jobs; their "lines" are their positions in the batch, from 1.
pub fn parse_posted(posted: &[PostedJob], tz: Tz) -> Parsed {
    let (mut jobs, mut issues) = (Vec::new(), Vec::new());
    for (i, p) in posted.iter().enumerate() {
        let line = i as u64 + 1;
        let id = p.job_id.as_deref().unwrap_or("");
        let units = p.units.to_string();
        let fields = [id, p.account.as_str(), p.user.as_str(), units.as_str()];
        let parsed = job(line, fields, &p.start, &p.end, tz)
            .and_then(|j| charged(j, unit_minutes(p.unit_hours)?));
        match parsed {
            Ok(j) => jobs.push(j),
            Err(reason) => issues.push(Issue::line(line, reason)),
        }
    }
    finish(jobs, issues)
}

/// Refuses an empty batch and a job named twice in one batch.
fn finish(jobs: Vec<Job>, mut issues: Vec<Issue>) -> Parsed {
    let mut seen = std::collections::HashMap::new();
    for j in &jobs {
        if let Some(id) = &j.job_id
            && let Some(first) = seen.insert(id.clone(), j.line)
        {
            issues.push(Issue::line(
                j.line,
                format!("job {id} appears twice in this batch (first at line {first})"),
            ));
        }
    }
    if jobs.is_empty() && issues.is_empty() {
        issues.push(Issue::line(2, "there are no jobs to record"));
    }
    Parsed { jobs, issues }
}

/// Splits each job's unit-minutes between what is left of the allocation and overage, in the
/// order given (oldest first). `left` is what remains before these jobs.
pub fn draw(mut left: i64, jobs: &[i64]) -> Vec<i64> {
    jobs.iter()
        .map(|&minutes| {
            let within = minutes.min(left.max(0));
            left -= within;
            minutes - within
        })
        .collect()
}

/// Where an allocation stands: what was granted, used within it and beyond it, and how fast it is
/// being used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    pub granted_unit_hours: i64,
    pub used_unit_hours: f64,
    pub overage_unit_hours: f64,
    pub remaining_unit_hours: f64,
    pub used_percent: f64,
    /// Unit-hours a day over the last seven days (or since the start, if sooner).
    pub burn_rate_unit_hours_per_day: f64,
    /// When the rest runs out at that rate, if it is being used at all.
    pub projected_exhausted_on: Option<NaiveDate>,
    pub fee_fen: i64,
}

/// Use so far: unit-minutes within the allocation and beyond it, fees, and the unit-minutes of
/// jobs that ended in the last seven days.
#[derive(Debug, Clone, Copy, Default)]
pub struct Use {
    pub within_minutes: i64,
    pub overage_minutes: i64,
    pub fee_fen: i64,
    pub recent_minutes: i64,
}

/// How many days the burn rate is averaged over.
pub const BURN_WINDOW_DAYS: i64 = 7;

fn hours(minutes: i64) -> f64 {
    (minutes as f64 / 60.0 * 100.0).round() / 100.0
}

/// The standing of an allocation of `granted` unit-hours that began at `start`, at `now`.
pub fn standing(
    granted: i64,
    used: Use,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Standing {
    let granted_minutes = granted * 60;
    let left = (granted_minutes - used.within_minutes).max(0);
    let window = (now - start).clamp(Duration::days(1), Duration::days(BURN_WINDOW_DAYS));
    let per_day = used.recent_minutes as f64 / 60.0 / (window.num_minutes() as f64 / 1_440.0);
    let projected = (per_day > 0.0 && left > 0).then(|| {
        let days = (left as f64 / 60.0 / per_day).ceil() as i64;
        (now + Duration::days(days)).with_timezone(&tz).date_naive()
    });
    let total = used.within_minutes + used.overage_minutes;
    Standing {
        granted_unit_hours: granted,
        used_unit_hours: hours(used.within_minutes),
        overage_unit_hours: hours(used.overage_minutes),
        remaining_unit_hours: hours(left),
        used_percent: (total as f64 * 10_000.0 / granted_minutes.max(1) as f64).round() / 100.0,
        burn_rate_unit_hours_per_day: (per_day * 100.0).round() / 100.0,
        projected_exhausted_on: projected,
        fee_fen: used.fee_fen,
    }
}

/// The alert thresholds, in percent of the allocation used.
pub const THRESHOLDS: [i64; 2] = [80, 100];

/// The highest threshold `used` unit-minutes of `granted` unit-hours have reached, if any.
pub fn threshold_reached(granted: i64, used: i64) -> Option<i64> {
    THRESHOLDS
        .iter()
        .rev()
        .copied()
        .find(|t| used * 100 >= granted * 60 * t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_sacct_parsable_output_in_the_centres_zone() {
        let text = "JobID|Account|User|Start|End|AllocGPUs|Unit_Hours\n\
                    101|proj-a|alice|2026-03-01T10:00:00|2026-03-01T12:30:00|4|10\n";
        let jobs = parse_csv(text, Shanghai).jobs;
        assert_eq!(jobs.len(), 1);
        let j = &jobs[0];
        assert_eq!(j.job_id.as_deref(), Some("101"));
        assert_eq!(j.start, at("2026-03-01T02:00:00Z"));
        assert_eq!(j.unit_minutes, 600);
        assert_eq!(j.line, 2);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_reason() {
        let text = "account,user,start,end,units,unit_hours,job_id\n\
                    a,u,2026-03-01T10:00:00,2026-03-01T11:00:00,2,2,1\n\
                    a,u,2026-03-01T10:00:00,Unknown,2,2,2\n\
                    a,u,2026-03-01T10:00:00,2026-03-01T09:00:00,2,2,3\n\
                    a,u,2026-03-01T10:00:00,2026-03-01T11:00:00,0,2,4\n\
                    a,u,2026-03-01T10:00:00,2026-03-01T11:00:00,2,3,5\n\
                    a,u,2026-03-01T10:00:00,2026-03-01T11:00:00,2,lots,6\n\
                    a,u,2026-03-01T10:00:00,2026-03-01T11:00:00,2,2,1\n";
        let mut issues = parse_csv(text, Shanghai).issues;
        issues.sort_by_key(|i| i.line);
        let lines: Vec<_> = issues.iter().map(|i| i.line.unwrap()).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8]);
        assert!(issues[0].message.contains("not finished"));
        assert!(issues[1].message.contains("before start"));
        assert!(issues[2].message.contains("units"));
        assert!(issues[3].message.contains("more than 2 units"));
        assert!(issues[4].message.contains("number"));
        assert!(issues[5].message.contains("appears twice"));
    }

    #[test]
    fn the_hour_the_clocks_go_back_needs_its_offset() {
        let berlin = chrono_tz::Europe::Berlin;
        let text = "account,user,start,end,units,unit_hours\n\
                    a,u,2027-10-31T01:30:00,2027-10-31T02:30:00,1,1\n\
                    a,u,2027-10-31T02:30:00+01:00,2027-10-31T03:30:00,1,1\n";
        let parsed = parse_csv(text, berlin);
        assert_eq!(parsed.issues.len(), 1, "{:?}", parsed.issues);
        assert_eq!(parsed.issues[0].line, Some(2));
        let message = &parsed.issues[0].message;
        assert!(message.contains("happens twice"), "{message}");
        assert!(message.contains("2027-10-31T02:30:00+02:00"), "{message}");
        assert!(message.contains("2027-10-31T02:30:00+01:00"), "{message}");
        assert_eq!(parsed.jobs.len(), 1);
        assert_eq!(parsed.jobs[0].start, at("2027-10-31T01:30:00Z"));
    }

    #[test]
    fn a_header_without_a_needed_column_is_refused() {
        let issues = parse_csv("account,user,start,end\n", Shanghai).issues;
        assert!(issues[0].message.contains("units"), "{issues:?}");
    }

    #[test]
    fn jobs_beyond_the_allocation_are_overage() {
        assert_eq!(draw(100, &[30, 50, 40, 10]), [0, 0, 20, 10]);
        assert_eq!(draw(0, &[5]), [5]);
    }

    #[test]
    fn standing_and_burn_rate_by_hand() {
        // 100 unit-hours granted, started ten days ago; 60 h used, 35 h of it in the last week.
        let now = at("2026-03-11T04:00:00Z");
        let used = Use {
            within_minutes: 60 * 60,
            overage_minutes: 0,
            fee_fen: 8_400,
            recent_minutes: 35 * 60,
        };
        let s = standing(100, used, now - Duration::days(10), now, Shanghai);
        assert_eq!(s.remaining_unit_hours, 40.0);
        assert_eq!(s.used_percent, 60.0);
        assert_eq!(s.burn_rate_unit_hours_per_day, 5.0);
        // 40 h at 5 h a day: 8 days from 11 March.
        assert_eq!(
            s.projected_exhausted_on,
            NaiveDate::from_ymd_opt(2026, 3, 19)
        );
    }

    #[test]
    fn thresholds_at_eighty_and_a_hundred_percent() {
        assert_eq!(threshold_reached(10, 479), None);
        assert_eq!(threshold_reached(10, 480), Some(80));
        assert_eq!(threshold_reached(10, 600), Some(100));
        assert_eq!(threshold_reached(10, 900), Some(100));
    }
}
