//! What needs what: the edges between resources that order apply. Each kind says, from a
//! resource's attributes, which addresses it needs to exist first (`KindInfo::needs`: its
//! role, its dead-letter queue, the API, what its values name as known only after apply),
//! the same for a desired and a live resource. Creates and updates follow the edges,
//! deletions go against them, and a cycle among desired resources is an error at plan time.
//!
//! Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::model::Resource;
use crate::kinds::Index;

/// For each resource (by position), the positions of the resources it needs among them.
pub fn edges(resources: &[&Resource], index: &Index) -> Vec<Vec<usize>> {
    let at: BTreeMap<String, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.address(), i))
        .collect();
    resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let needs: BTreeSet<usize> = (r.kind.info().needs)(r, index)
                .iter()
                .filter_map(|address| at.get(address).copied())
                .filter(|&j| j != i)
                .collect();
            needs.into_iter().collect()
        })
        .collect()
}

/// The positions in an order where each comes after what it needs (`edges`); ties go by
/// position. `Err` holds the members of a cycle, when there is one.
pub fn order(edges: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let mut waiting: Vec<usize> = edges.iter().map(Vec::len).collect();
    let mut needed_by: Vec<Vec<usize>> = vec![Vec::new(); edges.len()];
    for (i, needs) in edges.iter().enumerate() {
        for &j in needs {
            needed_by[j].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..edges.len()).filter(|&i| waiting[i] == 0).collect();
    let mut out = Vec::with_capacity(edges.len());
    while let Some(i) = ready.pop_first() {
        out.push(i);
        for &k in &needed_by[i] {
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.insert(k);
            }
        }
    }
    if out.len() == edges.len() {
        return Ok(out);
    }
    Err(cycle(edges, &waiting))
}

/// One cycle among the positions still waiting: walk from one of them along what it needs
/// until a position comes back.
fn cycle(edges: &[Vec<usize>], waiting: &[usize]) -> Vec<usize> {
    let Some(start) = (0..edges.len()).find(|&i| waiting[i] > 0) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut seen = BTreeMap::from([(start, 0)]);
    let mut at = start;
    loop {
        let Some(&next) = edges[at].iter().find(|&&j| waiting[j] > 0) else {
            return path;
        };
        if let Some(&first) = seen.get(&next) {
            return path[first..].to_vec();
        }
        seen.insert(next, path.len());
        path.push(next);
        at = next;
    }
}

/// The cycle among the desired resources, as their addresses in the order each needs the
/// next; `None` when apply can order them.
pub fn desired_cycle(resources: &[&Resource]) -> Option<Vec<String>> {
    let index = Index::of(resources.iter().copied());
    let edges = edges(resources, &index);
    order(&edges)
        .err()
        .map(|members| members.iter().map(|&i| resources[i].address()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Kind;

    fn function(key: &str, env: &str) -> Resource {
        Resource::new(Kind::Function, key, format!("s-dev-{key}"))
            .with(
                "role",
                format!("arn:aws:iam::1:role/slsr/s/dev/s-dev-{key}"),
            )
            .with("env.OTHER", env)
    }

    fn role(key: &str) -> Resource {
        Resource::new(Kind::Role, key, format!("s-dev-{key}"))
            .with("arn", format!("arn:aws:iam::1:role/slsr/s/dev/s-dev-{key}"))
    }

    #[test]
    fn what_a_resource_needs_comes_first_and_a_cycle_is_named() {
        let (f, r) = (function("api", "plain"), role("api"));
        let resources = vec![&f, &r];
        let index = Index::of(resources.iter().copied());
        let edges = edges(&resources, &index);
        assert_eq!(edges, vec![vec![1], vec![]], "the function needs its role");
        assert_eq!(order(&edges), Ok(vec![1, 0]));
        assert_eq!(desired_cycle(&resources), None);

        // Two functions whose environments name each other's URL, known only after apply.
        let url = |f: &str| format!("(known after apply: function_url.{f}.url)");
        let a = function("a", &url("b"));
        let b = function("b", &url("a"));
        let (ua, ub) = (
            Resource::new(Kind::FunctionUrl, "a", "s-dev-a").with("function_arn", "arn:a"),
            Resource::new(Kind::FunctionUrl, "b", "s-dev-b").with("function_arn", "arn:b"),
        );
        let (a, b) = (a.with("arn", "arn:a"), b.with("arn", "arn:b"));
        let cycle = desired_cycle(&[&a, &b, &ua, &ub]).expect("a cycle");
        assert_eq!(cycle.len(), 4, "{cycle:?}");
        for member in [
            "function.a",
            "function.b",
            "function_url.a",
            "function_url.b",
        ] {
            assert!(cycle.contains(&member.to_string()), "{cycle:?}");
        }
    }
}
