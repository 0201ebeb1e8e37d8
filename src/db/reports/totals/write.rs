//! Adding a tally to the monthly totals: one upsert per row it touches.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::Tally;
use crate::db::DbConnection;
use crate::db::dialect::{for_backend, saturating_add};

impl Tally {
    /// Adds the totals to the tables, one upsert per key.
    pub fn write(&self, conn: &mut DbConnection) -> QueryResult<()> {
        self.write_uses(conn)?;
        self.write_users(conn)?;
        self.write_longest(conn)?;
        self.write_endings(conn)
    }

    fn write_uses(&self, conn: &mut DbConnection) -> QueryResult<()> {
        let add = |column: &str| {
            let sum = saturating_add(
                conn,
                &format!("use_months.{column}"),
                &format!("excluded.{column}"),
            );
            format!("{column} = {sum}")
        };
        let add_use = for_backend(
            conn,
            &format!(
                "INSERT INTO use_months (resource_id, organization_id, voucher_id, month, \
                 unit_minutes, fee_fen, voucher_fen, uses) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (resource_id, organization_id, voucher_id, month) DO UPDATE SET \
                 {}, {}, {}, uses = use_months.uses + excluded.uses",
                add("unit_minutes"),
                add("fee_fen"),
                add("voucher_fen")
            ),
        );
        for ((resource, org, voucher, month), t) in &self.uses {
            diesel::sql_query(&add_use)
                .bind::<BigInt, _>(resource)
                .bind::<BigInt, _>(org)
                .bind::<BigInt, _>(voucher)
                .bind::<Text, _>(month)
                .bind::<BigInt, _>(t[0])
                .bind::<BigInt, _>(t[1])
                .bind::<BigInt, _>(t[2])
                .bind::<BigInt, _>(t[3])
                .execute(conn)?;
        }
        Ok(())
    }

    fn write_users(&self, conn: &mut DbConnection) -> QueryResult<()> {
        let add_user = for_backend(
            conn,
            "INSERT INTO user_months (resource_id, user_key, month) VALUES ($1, $2, $3) \
             ON CONFLICT (resource_id, user_key, month) DO NOTHING",
        );
        for (resource, user, month) in &self.users {
            diesel::sql_query(&add_user)
                .bind::<BigInt, _>(resource)
                .bind::<Text, _>(user)
                .bind::<Text, _>(month)
                .execute(conn)?;
        }
        Ok(())
    }

    fn write_longest(&self, conn: &mut DbConnection) -> QueryResult<()> {
        let greatest = match conn {
            DbConnection::Sqlite(_) => "MAX",
            _ => "GREATEST",
        };
        let longest = for_backend(
            conn,
            &format!(
                "INSERT INTO use_bounds (resource_id, longest_use_min) VALUES ($1, $2) \
                 ON CONFLICT (resource_id) DO UPDATE SET \
                 longest_use_min = {greatest}(use_bounds.longest_use_min, excluded.longest_use_min)"
            ),
        );
        for (resource, minutes) in &self.longest {
            diesel::sql_query(&longest)
                .bind::<BigInt, _>(resource)
                .bind::<BigInt, _>(minutes)
                .execute(conn)?;
        }
        Ok(())
    }

    fn write_endings(&self, conn: &mut DbConnection) -> QueryResult<()> {
        let add_ending = for_backend(
            conn,
            "INSERT INTO ending_months (resource_id, month, due, no_shows, late_cancels) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (resource_id, month) DO UPDATE SET \
             due = ending_months.due + excluded.due, \
             no_shows = ending_months.no_shows + excluded.no_shows, \
             late_cancels = ending_months.late_cancels + excluded.late_cancels",
        );
        for ((resource, month), e) in &self.endings {
            diesel::sql_query(&add_ending)
                .bind::<BigInt, _>(resource)
                .bind::<Text, _>(month)
                .bind::<BigInt, _>(e[0])
                .bind::<BigInt, _>(e[1])
                .bind::<BigInt, _>(e[2])
                .execute(conn)?;
        }
        Ok(())
    }
}
