//! Proposals to beamtime calls, who reviews each and the reviews.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{beam_assignments as a, beam_proposals as p, beam_reviews as r};

#[derive(Debug, Clone, Queryable)]
pub struct ProposalRow {
    pub id: i64,
    pub call_id: i64,
    pub resource_id: i64,
    pub proposer_id: i64,
    pub organization_id: i64,
    pub title: String,
    pub summary: String,
    pub shifts_requested: i64,
    /// Dates as a JSON array of `YYYY-MM-DD`.
    pub preferred_dates: String,
    pub unavailable_dates: String,
    /// The team as a JSON array of members.
    pub team: String,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub version: i64,
    pub submitted_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a proposer writes; the same fields edit it.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = p)]
pub struct ProposalValues {
    pub resource_id: i64,
    pub title: String,
    pub summary: String,
    pub shifts_requested: i64,
    pub preferred_dates: String,
    pub unavailable_dates: String,
    pub team: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
pub struct ReviewRow {
    pub proposal_id: i64,
    pub reviewer_id: i64,
    /// One score per criterion, as a JSON array.
    pub scores: String,
    pub comment: String,
    pub reviewed_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    (call, proposer, organization): (i64, i64, i64),
    v: &ProposalValues,
) -> QueryResult<ProposalRow> {
    diesel::insert_into(p::table)
        .values((
            p::call_id.eq(call),
            p::proposer_id.eq(proposer),
            p::organization_id.eq(organization),
            v,
            p::submitted_at.eq(v.updated_at),
        ))
        .returning(p::all_columns)
        .get_result(conn)
}

/// Replaces a proposal's fields if it is still at `version`; `None` when it moved on.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    v: &ProposalValues,
) -> QueryResult<Option<ProposalRow>> {
    diesel::update(p::table.find(id).filter(p::version.eq(version)))
        .set((v, p::version.eq(p::version + 1)))
        .returning(p::all_columns)
        .get_result(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ProposalRow>> {
    p::table.find(id).first(conn).optional()
}

/// A call's proposals, oldest first.
pub fn of_call(conn: &mut DbConnection, call: i64) -> QueryResult<Vec<ProposalRow>> {
    p::table.filter(p::call_id.eq(call)).order(p::id).load(conn)
}

pub fn count_of_call(conn: &mut DbConnection, call: i64) -> QueryResult<i64> {
    p::table
        .filter(p::call_id.eq(call))
        .count()
        .get_result(conn)
}

/// Records the allocation's decision on a proposal.
pub fn decide(
    conn: &mut DbConnection,
    id: i64,
    (decision, reason): (&str, Option<&str>),
    at: NaiveDateTime,
) -> QueryResult<ProposalRow> {
    diesel::update(p::table.find(id))
        .set((
            p::decision.eq(decision),
            p::decision_reason.eq(reason),
            p::version.eq(p::version + 1),
            p::updated_at.eq(at),
        ))
        .returning(p::all_columns)
        .get_result(conn)
}

/// Makes `reviewers` the ones who review proposal `id`.
pub fn assign(conn: &mut DbConnection, id: i64, reviewers: &[i64]) -> QueryResult<()> {
    diesel::delete(a::table.filter(a::proposal_id.eq(id))).execute(conn)?;
    for reviewer in reviewers {
        diesel::insert_into(a::table)
            .values((a::proposal_id.eq(id), a::reviewer_id.eq(reviewer)))
            .execute(conn)?;
    }
    Ok(())
}

/// Who reviews each of `proposals`: `(proposal, reviewer)` pairs.
pub fn assignments(conn: &mut DbConnection, proposals: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    a::table
        .filter(a::proposal_id.eq_any(proposals))
        .order((a::proposal_id, a::reviewer_id))
        .select((a::proposal_id, a::reviewer_id))
        .load(conn)
}

/// Records `reviewer`'s review of a proposal, replacing an earlier one.
pub fn put_review(conn: &mut DbConnection, review: &ReviewRow) -> QueryResult<ReviewRow> {
    let key = (review.proposal_id, review.reviewer_id);
    diesel::delete(r::table.find(key)).execute(conn)?;
    diesel::insert_into(r::table)
        .values((
            r::proposal_id.eq(review.proposal_id),
            r::reviewer_id.eq(review.reviewer_id),
            r::scores.eq(&review.scores),
            r::comment.eq(&review.comment),
            r::reviewed_at.eq(review.reviewed_at),
        ))
        .returning(r::all_columns)
        .get_result(conn)
}

/// The reviews of `proposals`, by proposal and reviewer.
pub fn reviews(conn: &mut DbConnection, proposals: &[i64]) -> QueryResult<Vec<ReviewRow>> {
    r::table
        .filter(r::proposal_id.eq_any(proposals))
        .order((r::proposal_id, r::reviewer_id))
        .load(conn)
}
