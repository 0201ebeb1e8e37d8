//! Who is acting: a user with a role and, unless an admin, an organisation. Every way into the
//! service (HTTP, jobs, the CLI, the demo) acts through one of these; role checks live here.

use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::Role;

/// The caller of a service operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
    pub org: Option<OrganizationId>,
}

/// How much of the region an actor sees in lists, decided once from role and organisation and
/// applied by the queries themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Admins: everything.
    All,
    /// Lab managers: their institution's resources and what happens on them.
    Institution(OrganizationId),
    /// Facility operators: the resources they are assigned to.
    Operated(UserId),
    /// Bookers: what they booked, and what their organisation was allocated.
    Member {
        user: UserId,
        org: Option<OrganizationId>,
    },
    /// Voucher issuers: their agency's programmes.
    Agency(OrganizationId),
    /// A role without the organisation it needs: nothing.
    Nothing,
}

/// A role check that failed: what the action needs and what the caller is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this action needs the role {needed} (you are {actual})")]
pub struct Denied {
    needed: String,
    actual: Role,
}

impl Actor {
    /// The platform itself, as the CLI and scheduled work act: an admin of no organisation.
    pub fn platform() -> Actor {
        Actor {
            id: UserId(0),
            role: Role::Admin,
            org: None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Denied unless the caller has one of `roles` (admins always pass).
    pub fn require(&self, roles: &[Role]) -> Result<(), Denied> {
        if self.is_admin() || roles.contains(&self.role) {
            return Ok(());
        }
        let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        names.push("admin");
        Err(Denied {
            needed: names.join(" or "),
            actual: self.role,
        })
    }

    /// What this actor sees in lists.
    pub fn reach(&self) -> Reach {
        match (self.role, self.org) {
            (Role::Admin, _) => Reach::All,
            (Role::Manager, Some(org)) => Reach::Institution(org),
            (Role::Operator, _) => Reach::Operated(self.id),
            (Role::Booker, org) => Reach::Member { user: self.id, org },
            (Role::Issuer, Some(org)) => Reach::Agency(org),
            (Role::Manager | Role::Issuer, None) => Reach::Nothing,
        }
    }

    /// True when the caller acts for `org`: its member, or an admin.
    pub fn acts_for(&self, org: OrganizationId) -> bool {
        self.is_admin() || self.org == Some(org)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_organisations() {
        let booker = Actor {
            id: UserId(3),
            role: Role::Booker,
            org: Some(OrganizationId(9)),
        };
        assert!(booker.require(&[Role::Booker]).is_ok());
        let denied = booker.require(&[Role::Manager]).unwrap_err();
        assert_eq!(
            denied.to_string(),
            "this action needs the role manager or admin (you are booker)"
        );
        assert!(booker.acts_for(OrganizationId(9)));
        assert!(!booker.acts_for(OrganizationId(8)));
        assert!(Actor::platform().acts_for(OrganizationId(8)));
        assert_eq!(
            booker.reach(),
            Reach::Member {
                user: UserId(3),
                org: Some(OrganizationId(9))
            }
        );
        let lost = Actor {
            org: None,
            role: Role::Manager,
            ..booker
        };
        assert_eq!(lost.reach(), Reach::Nothing);
    }
}
