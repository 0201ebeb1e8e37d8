//! Closed vocabularies of the product, each stored and sent as the same text.

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $( #[serde(rename = $text)] $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The values as text, in the order declared.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted values, for error messages.
            pub fn choices() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a user may do; see docs/design.md §2.
    Role { Admin => "admin", Manager => "manager", Operator => "operator", Booker => "booker", Issuer => "issuer" }
);
text_enum!(OrgKind { Institution => "institution", Enterprise => "enterprise", Agency => "agency" });
text_enum!(Locale { ZhCn => "zh-CN", En => "en" });
text_enum!(Province { SH => "SH", JS => "JS", ZJ => "ZJ", AH => "AH" });

impl Province {
    /// The province's English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Province::SH => "Shanghai",
            Province::JS => "Jiangsu",
            Province::ZJ => "Zhejiang",
            Province::AH => "Anhui",
        }
    }
}
text_enum!(ResourceKind { Instrument => "instrument", Facility => "facility", Computing => "computing" });
text_enum!(ResourceStatus { Active => "active", Suspended => "suspended", Retired => "retired" });
text_enum!(ApprovalPolicy { Auto => "auto", Manual => "manual" });
text_enum!(
    /// Who may run a resource alone: anyone; qualified users, others with an operator's
    /// assistance; or qualified users only.
    SelfOperation { Open => "open", Assisted => "assisted", QualifiedOnly => "qualified_only" }
);
text_enum!(
    /// What a rate card charges per: a unit-hour, to the minute, or a shift (the resource's
    /// granularity), in whole shifts.
    RatePer { UnitHour => "unit_hour", Shift => "shift" }
);
text_enum!(ConflictPolicy { FirstCome => "first_come", OperatorChoice => "operator_choice" });
text_enum!(
    /// Where a booking stands; see docs/design.md §4.
    BookingState {
        Pending => "pending", Confirmed => "confirmed", Waitlisted => "waitlisted", Rejected => "rejected",
        Cancelled => "cancelled", Expired => "expired", Completed => "completed", NoShow => "no_show",
    }
);

text_enum!(
    /// Where a computing allocation stands.
    AllocationState {
        Pending => "pending", Approved => "approved", Rejected => "rejected",
        Cancelled => "cancelled", Ended => "ended",
    }
);
text_enum!(
    /// Where an order for a service (such as sample testing) stands.
    OrderState {
        Submitted => "submitted", Accepted => "accepted", SamplesReceived => "samples_received",
        InProgress => "in_progress", ReportDelivered => "report_delivered", Rejected => "rejected",
        Cancelled => "cancelled",
    }
);
text_enum!(
    /// Whether a service is offered: published, or withdrawn (its orders go on).
    ServiceStatus { Published => "published", Withdrawn => "withdrawn" }
);
text_enum!(
    /// Whether a voucher can be used.
    VoucherStatus { Active => "active", Suspended => "suspended", Revoked => "revoked" }
);

text_enum!(
    /// A line of a voucher's ledger: money granted, held for a booking or allocation, released,
    /// captured on use, expired, or the reversal of an earlier line.
    Movement {
        Grant => "grant", Hold => "hold", Release => "release", Capture => "capture",
        Expire => "expire", Reversal => "reversal",
    }
);
text_enum!(
    /// Where a message in the outbox stands: waiting, leased by a dispatcher, delivered, or parked
    /// after its last attempt failed.
    MessageStatus { Pending => "pending", Sending => "sending", Sent => "sent", Failed => "failed" }
);

text_enum!(
    /// Where a settlement statement stands: issued by the provider, agreed and then paid by the
    /// issuer; or withdrawn by the provider or disputed by the issuer before it was agreed.
    StatementStatus {
        Issued => "issued", Agreed => "agreed", Paid => "paid", Withdrawn => "withdrawn",
        Disputed => "disputed",
    }
);

impl Locale {
    /// A user's stored language; Chinese, the platform's, for anything unreadable.
    pub fn of_user(stored: &str) -> Locale {
        Locale::parse(stored).unwrap_or(Locale::ZhCn)
    }
}

impl Role {
    /// The organisation kinds a user of this role may belong to; admins belong to none.
    pub fn allowed_org_kinds(self) -> &'static [OrgKind] {
        match self {
            Role::Admin => &[],
            Role::Manager | Role::Operator => &[OrgKind::Institution],
            Role::Booker => &[OrgKind::Enterprise, OrgKind::Institution],
            Role::Issuer => &[OrgKind::Agency],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Locale::parse("zh-CN"), Some(Locale::ZhCn));
        assert_eq!(ConflictPolicy::parse("nope"), None);
    }
}
