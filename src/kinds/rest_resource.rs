//! The REST API's resources: one per path of a `rest` event's route and per path above it
//! (`/orders` and `/orders/{id}` for `GET /orders/{id}`), shared between routes, as AWS's
//! tree has them; `/` is the root AWS makes with the API. AWS names them by id; slsr knows
//! them by path. A resource needs its parent; one no route uses any more is deleted.

use aws_sdk_apigateway::types::Resource as AwsResource;
use serde_json::Value;

use super::{Index, KindInfo, Tags, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State, address};
use crate::engine::plan::Action;
use crate::spec::model::Event;

pub static INFO: KindInfo = KindInfo {
    prefix: "rest_resource",
    naming: "an id AWS gives, one per path",
    tags: Tags::Untagged,
    replaced_by: &[PATH_PART, PARENT],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[PARENT, PATH_PART],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The last segment of the path (`{id}`); empty for the root.
pub const PATH_PART: &str = "path_part";
/// The parent's path (`/orders`); null for the root.
pub const PARENT: &str = "parent";

/// The address of the resource at `path`.
pub fn at(path: &str) -> String {
    address(super::Kind::RestResource, path)
}

/// The route's method and path (`GET`, `/orders/{id}`).
pub fn split_route(route: &str) -> (&str, &str) {
    route.split_once(' ').unwrap_or((route, "/"))
}

/// Each path from the root down to `path`: `/`, `/orders`, `/orders/{id}`.
pub fn paths(path: &str) -> Vec<String> {
    let mut out = vec!["/".to_string()];
    let mut current = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        current = format!("{current}/{segment}");
        out.push(current.clone());
    }
    out
}

fn parent_of(path: &str) -> Option<String> {
    if path == "/" {
        return None;
    }
    let (parent, _) = path.rsplit_once('/').unwrap_or(("", ""));
    Some(if parent.is_empty() {
        "/".into()
    } else {
        parent.into()
    })
}

fn resource(path: &str, name: &str) -> Resource {
    let part = path.rsplit('/').next().unwrap_or_default();
    Resource::new(super::Kind::RestResource, path, name)
        .with(PATH_PART, part)
        .with(PARENT, parent_of(path).map_or(Value::Null, Value::from))
}

fn desired(b: &Builder, state: &mut State) {
    for f in b.p.functions.values() {
        for event in f.events.iter().flatten() {
            let Event::Rest(rest) = event else { continue };
            let (_, path) = split_route(rest.parts().0);
            for p in paths(path) {
                state.insert(resource(&p, KNOWN_AFTER_APPLY));
            }
        }
    }
}

fn needs(r: &Resource, _: &Index) -> Vec<String> {
    let mut needs = vec![super::rest_api::the_api()];
    needs.extend(super::attr_opt(r, PARENT).map(|p| at(&p)));
    needs
}

/// A resource as GetResources lists it, by its path.
pub fn live(r: &AwsResource) -> Resource {
    resource(r.path().unwrap_or("/"), r.id().unwrap_or_default())
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let target = step.change.address.clone();
    let api = super::rest_api::api_id(a)?;
    match step.action {
        // The root goes with the API (below); a parent's deletion took its children with it.
        Action::Delete if r.key != "/" => {
            a.rest
                .delete_resource()
                .rest_api_id(&api)
                .resource_id(&r.name)
                .send()
                .await
                .or_gone("DeleteResource", &target)?;
        }
        Action::Delete => {}
        Action::Create if r.key == "/" => {
            // AWS made the root with the API.
            let root = a.ids.get(super::rest_api::ROOT_KEY).unwrap_or_default();
            a.ids.set(&target, root);
        }
        Action::Create => {
            let parent = at(&attr_str(r, PARENT));
            let parent_id = a.ids.get(&parent).ok_or_else(|| AwsError {
                operation: "CreateResource",
                target: target.clone(),
                message: format!("{parent} does not exist"),
            })?;
            let made = a
                .rest
                .create_resource()
                .rest_api_id(&api)
                .parent_id(parent_id)
                .path_part(attr_str(r, PATH_PART))
                .send()
                .await;
            let id = match made {
                Ok(out) => out.id.unwrap_or_default(),
                // A retried create whose first answer was lost: AWS refuses the path it made.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conflict_exception()) =>
                {
                    made_at(a, &api, &r.key)
                        .await?
                        .ok_or_else(|| AwsError::new("CreateResource", &target, e))?
                }
                Err(e) => return Err(AwsError::new("CreateResource", &target, e)),
            };
            a.ids.set(&target, id);
        }
        // Its path and parent are what it is: a change replaces it.
        _ => {}
    }
    Ok(())
}

/// The id of the API's resource at `path`, if it has one: a read, not counted among the writes.
async fn made_at(a: &Applier, api: &str, path: &str) -> Result<Option<String>, AwsError> {
    let resources = crate::aws::pages::follow(
        &a.lookups,
        "APIGateway.GetResources",
        path,
        |position| async {
            let out = a
                .rest
                .get_resources()
                .rest_api_id(api)
                .set_position(position)
                .send()
                .await
                .map_err(|e| AwsError::new("GetResources", path, e))?;
            Ok((out.items.unwrap_or_default(), out.position))
        },
    )
    .await?;
    Ok(resources
        .iter()
        .find(|r| r.path() == Some(path))
        .and_then(|r| r.id().map(str::to_string)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_s_path_is_the_tree_above_it() {
        assert_eq!(paths("/orders/{id}"), ["/", "/orders", "/orders/{id}"]);
        assert_eq!(paths("/"), ["/"]);
        assert_eq!(parent_of("/orders").as_deref(), Some("/"));
        assert_eq!(parent_of("/orders/{id}").as_deref(), Some("/orders"));
    }
}
