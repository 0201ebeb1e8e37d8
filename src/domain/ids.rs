//! Identifier newtypes, so that one kind of id cannot be passed where another is expected.

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

id_type!(
    /// An organisation: institution, enterprise or agency.
    OrganizationId,
    /// A user account.
    UserId,
    /// A bookable resource of the catalogue.
    ResourceId,
    /// A machine client's API token.
    ApiTokenId,
    /// A blackout period of a resource.
    BlackoutId,
    /// A booking (or a request for one).
    BookingId,
    /// A computing allocation.
    AllocationId,
    /// A voucher granted to one enterprise.
    VoucherId,
    /// A voucher programme of an issuing agency.
    ProgramId,
    /// A published service, such as sample testing.
    ServiceId,
    /// An order for a service.
    OrderId,
);
