//! Dependencies between containers (`--requires`, a pod's infra): checking
//! them, starting the whole graph in order, and the dependents that block
//! a removal.

use std::collections::{BTreeMap, BTreeSet};

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// Orders `root`'s dependency graph so every container comes after those it
/// requires (`root` last). `deps_of` gives a container's direct
/// dependencies. A cycle or a missing container is an error.
pub(crate) fn start_order(
    root: &str,
    mut deps_of: impl FnMut(&str) -> Result<Vec<String>>,
) -> Result<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit(
        id: &str,
        deps_of: &mut dyn FnMut(&str) -> Result<Vec<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
        order: &mut Vec<String>,
    ) -> Result<()> {
        match marks.get(id) {
            Some(Mark::Done) => return Ok(()),
            Some(Mark::Visiting) => {
                path.push(id.to_string());
                let start = path.iter().position(|p| p == id).unwrap_or(0);
                return Err(Error::InvalidArgument(format!(
                    "dependency cycle between containers: {}",
                    path[start..]
                        .iter()
                        .map(|p| &p[..p.len().min(12)])
                        .collect::<Vec<_>>()
                        .join(" -> ")
                )));
            }
            None => {}
        }
        marks.insert(id.to_string(), Mark::Visiting);
        path.push(id.to_string());
        for dep in deps_of(id)? {
            visit(&dep, deps_of, marks, path, order)?;
        }
        path.pop();
        marks.insert(id.to_string(), Mark::Done);
        order.push(id.to_string());
        Ok(())
    }
    let mut marks = BTreeMap::new();
    let mut order = Vec::new();
    visit(root, &mut deps_of, &mut marks, &mut Vec::new(), &mut order)?;
    Ok(order)
}

impl Runtime {
    /// IDs and names of the containers that require `id`.
    pub(crate) fn dependents_of(&self, id: &str) -> Result<Vec<(String, String)>> {
        self.db.dependents_of(id)
    }
}

impl Container<'_> {
    /// Names of the dependencies that are not running.
    pub(crate) fn dependencies_not_running(&self) -> Result<Vec<String>> {
        let mut missing = Vec::new();
        for dep in &self.config.dependencies {
            let mut c = self.rt.container(dep)?;
            c.sync_unlocked_view()?;
            if c.status() != ContainerStatus::Running {
                missing.push(c.name().to_string());
            }
        }
        Ok(missing)
    }

    /// Refuses when a dependency is not running (the seed's check before init).
    pub(crate) fn check_dependencies(&self) -> Result<()> {
        let missing = self.dependencies_not_running()?;
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::InvalidArgument(format!(
            "some dependencies of container {} are not started: {}",
            self.name(),
            missing.join(",")
        )))
    }

    /// Starts the container's dependencies that are not running, deepest
    /// first (the seed's startDependencies); cycles are refused.
    pub(crate) fn start_dependencies(&self) -> Result<()> {
        if self.config.dependencies.is_empty() {
            return Ok(());
        }
        let rt = self.rt;
        let order = start_order(self.id(), |id| {
            rt.db
                .container(id)?
                .map(|(c, _)| c.dependencies)
                .ok_or_else(|| Error::NoSuchContainer(id.to_string()))
        })?;
        let mut seen = BTreeSet::new();
        for id in order.iter().filter(|id| id.as_str() != self.id()) {
            if !seen.insert(id.clone()) {
                continue;
            }
            let mut dep = rt.container(id)?;
            dep.sync_unlocked_view()?;
            match dep.status() {
                ContainerStatus::Running => {}
                ContainerStatus::Paused => {
                    return Err(Error::InvalidArgument(format!(
                        "dependency {} of container {} is paused",
                        dep.name(),
                        self.name()
                    )))
                }
                // Another party (a `start` of many side by side) may have
                // started it meanwhile.
                _ => dep.start_one_unless_running()?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph<'a>(
        edges: &'a [(&'a str, &'a [&'a str])],
    ) -> impl FnMut(&str) -> Result<Vec<String>> + 'a {
        move |id| {
            edges
                .iter()
                .find(|(n, _)| *n == id)
                .map(|(_, d)| d.iter().map(|s| s.to_string()).collect())
                .ok_or_else(|| Error::NoSuchContainer(id.to_string()))
        }
    }

    #[test]
    fn chains_start_deepest_first() {
        let order = start_order("c", graph(&[("c", &["b"]), ("b", &["a"]), ("a", &[])])).unwrap();
        assert_eq!(order, vec!["a", "b", "c"]);
    }

    #[test]
    fn diamonds_start_each_once() {
        let order = start_order(
            "d",
            graph(&[("d", &["b", "c"]), ("b", &["a"]), ("c", &["a"]), ("a", &[])]),
        )
        .unwrap();
        assert_eq!(order, vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn cycles_and_missing_containers_are_errors() {
        let err = start_order("a", graph(&[("a", &["b"]), ("b", &["a"])])).unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
        let err = start_order("a", graph(&[("a", &["x"])])).unwrap_err();
        assert!(matches!(err, Error::NoSuchContainer(_)));
    }
}
