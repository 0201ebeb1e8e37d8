//! The product's closed vocabularies as column types: stored as their text, read back as the
//! enum (a stored text that is not one of its values is an error, never a default), and usable in
//! filters and inserts as they are.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{SingleValue, Text};

use crate::domain::types::{
    AllocationState, BookingState, MessageStatus, Movement, OrderState, ResourceStatus,
    SelfOperation, ServiceStatus, StatementStatus, VoucherStatus,
};

macro_rules! text_column {
    ($($name:ident),+ $(,)?) => {$(
        impl<DB> FromSql<Text, DB> for $name
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                $name::parse(&text).ok_or_else(|| {
                    format!("{text:?} is not a {}", stringify!($name)).into()
                })
            }
        }

        impl<DB, ST> Queryable<ST, DB> for $name
        where
            DB: Backend,
            ST: SingleValue,
            $name: FromSql<ST, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl<DB> ToSql<Text, DB> for $name
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl AsExpression<Text> for $name {
            type Expression = <&'static str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Text> for &$name {
            type Expression = <&'static str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }
    )+};
}

text_column!(
    AllocationState,
    BookingState,
    ResourceStatus,
    VoucherStatus,
    MessageStatus,
    Movement,
    SelfOperation,
    StatementStatus,
    OrderState,
    ServiceStatus
);

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::{BookingState, Movement};

    #[test]
    fn states_round_trip_and_unknown_text_is_an_error() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let read = |conn: &mut SqliteConnection, text: &str| {
            diesel::select(text.into_sql::<Text>()).get_result::<BookingState>(conn)
        };
        for state in BookingState::ALL {
            assert_eq!(read(&mut conn, state.as_str()).unwrap(), *state);
            let written: String = diesel::select(state.into_sql::<Text>())
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(written, state.as_str());
        }
        let err = read(&mut conn, "approved").unwrap_err();
        assert!(
            format!("{err:?}").contains("is not a BookingState"),
            "{err:?}"
        );
    }

    #[test]
    fn an_unknown_ledger_movement_is_an_error_not_a_reversal() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let read = |conn: &mut SqliteConnection, text: &str| {
            diesel::select(text.into_sql::<Text>()).get_result::<Movement>(conn)
        };
        for m in Movement::ALL {
            assert_eq!(read(&mut conn, m.as_str()).unwrap(), *m);
        }
        assert!(read(&mut conn, "refund").is_err());
    }
}
