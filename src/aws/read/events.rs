//! EventBridge rules: ListRules by prefix on each bus the spec uses, then per rule
//! ListTagsForResource (ownership) and ListTargetsByRule, each listing followed page by page
//! (the SDK has no paginators for EventBridge).

use super::{Found, Parts, Reader, Scope, conflict};
use crate::aws::{AwsError, pages, tags_by_arn};
use crate::engine::model::{Kept, Kind, State, address};

use crate::kinds::rule::TARGET_ID;

/// The rules, the conflicts, and the targets on owned rules that slsr did not add (kept).
pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<(Found, Parts), AwsError> {
    // The owned buses, and the rules on them even once they left the spec.
    let (owned_buses, bus_conflicts) = super::buses::read(r, scope, wanted).await?;
    let mut buses = vec!["default".to_string()];
    buses.extend(scope.buses.iter().filter(|b| *b != "default").cloned());
    buses.extend(owned_buses.iter().map(|b| b.name.clone()));
    buses.sort();
    buses.dedup();
    let mut rules = Vec::new();
    for bus in &buses {
        let target = format!("bus {bus}");
        let listed = pages::follow(&r.calls, "EventBridge.ListRules", &target, |token| async {
            let out = r
                .events
                .list_rules()
                .name_prefix(scope.prefix())
                .event_bus_name(bus)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::new("ListRules", target.clone(), e))?;
            Ok((out.rules.unwrap_or_default(), out.next_token))
        })
        .await?;
        rules.extend(listed.into_iter().map(|rule| (bus.clone(), rule)));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (bus, rule) in rules {
        let r = r.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            let name = rule.name().unwrap_or_default().to_string();
            let arn = rule.arn().unwrap_or_default().to_string();
            r.calls.count("EventBridge.ListTagsForResource");
            let tags = tags_by_arn!(r.events, &arn, arn.clone()).await?;
            let targets = pages::follow(
                &r.calls,
                "EventBridge.ListTargetsByRule",
                &name,
                |token| async {
                    let out = r
                        .events
                        .list_targets_by_rule()
                        .rule(&name)
                        .event_bus_name(&bus)
                        .set_next_token(token)
                        .send()
                        .await
                        .map_err(|e| AwsError::new("ListTargetsByRule", name.clone(), e))?;
                    Ok((out.targets.unwrap_or_default(), out.next_token))
                },
            )
            .await?;
            // Only the target with slsr's id is slsr's; any other was added by someone else.
            let (ours, others): (Vec<_>, Vec<_>) =
                targets.into_iter().partition(|t| t.id() == TARGET_ID);
            Ok::<_, AwsError>((bus, rule, tags, ours.into_iter().next(), others))
        });
    }
    let mut resources = owned_buses;
    let mut conflicts = bus_conflicts;
    let mut parts = Parts::default();
    while let Some(joined) = tasks.join_next().await {
        let (bus, rule, tags, target, others) = joined.expect("a read task does not panic")?;
        let name = rule.name().unwrap_or_default();
        // `{service}-{stage}-{function}-{8 hex or the event's name}`. A function's name and
        // an event's may both hold `-`: the spec's rule of that name says where one ends;
        // a rule no longer in the spec is keyed at its last `-`.
        let spec_key = wanted
            .resources
            .values()
            .find(|w| w.kind == Kind::Rule && w.name == name)
            .map(|w| w.key.clone());
        let Some(key) = spec_key.or_else(|| {
            let (function, suffix) = scope.logical(name)?.rsplit_once('-')?;
            Some(format!("{function}.{suffix}"))
        }) else {
            continue;
        };
        let at = address(Kind::Rule, &key);
        if !scope.owns(&tags) {
            if wanted.resources.contains_key(&at) {
                conflicts.push(conflict(at, name, scope));
            }
            continue;
        }
        let res = crate::kinds::rule::live(&key, &bus, &rule, &tags, target.as_ref());
        for other in others {
            parts.kept.push(Kept {
                address: res.address(),
                name: format!("{name} target {}", other.id()),
                reason: format!(
                    "a target slsr did not add ({}); slsr leaves it, and if the rule leaves the spec slsr removes only its own target and its tags, and the rule stays",
                    other.arn()
                ),
            });
        }
        resources.push(res);
    }
    Ok(((resources, conflicts), parts))
}
