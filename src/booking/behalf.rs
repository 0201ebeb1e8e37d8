//! Whom a booking is for: the booker who asks, or, when a resource's staff book for a walk-in or
//! phone user, a booker of any organisation, whose organisation then pays and whose vouchers apply.

use crate::db::resources::ResourceView;
use crate::db::{DbConnection, users};
use crate::domain::actor::Actor;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::Role;
use crate::error::ServiceError;

/// The booker and the organisation that pays for a request `actor` makes on `resource`, for
/// themselves or for `on_behalf`.
pub fn booker_of(
    conn: &mut DbConnection,
    actor: &Actor,
    on_behalf: Option<UserId>,
    resource: &ResourceView,
) -> Result<(UserId, OrganizationId), ServiceError> {
    let Some(user) = on_behalf.filter(|u| *u != actor.id) else {
        actor.require(&[Role::Booker])?;
        let org = actor.org.ok_or_else(|| {
            ServiceError::forbidden("bookings are made for an organisation; admins have none")
        })?;
        return Ok((actor.id, org));
    };
    if !super::is_staff(conn, actor, resource)? {
        return Err(ServiceError::forbidden(
            "only the resource's operators and managers book on someone's behalf",
        ));
    }
    let found = users::find(conn, user)?
        .filter(|u| u.active && u.role == Role::Booker.as_str())
        .ok_or_else(|| {
            ServiceError::invalid_field("booker_id", "must be an active booker's user id")
        })?;
    let org = found.organization_id.ok_or_else(|| {
        ServiceError::invalid_field("booker_id", "the booker belongs to no organisation")
    })?;
    Ok((UserId(found.id), OrganizationId(org)))
}
