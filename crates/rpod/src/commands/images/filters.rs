//! `images --filter` and `-a`: reference, label, dangling, before, since; intermediate
//! images hidden without `-a`.

use anyhow::{bail, Result};
use libpod::images::ImageSummary;
use libpod::Runtime;

/// Keeps the images matching every filter. Without `all`, untagged images whose layers are
/// all shared with a named image (intermediate images) are hidden, like Podman.
pub fn apply(
    rt: &Runtime,
    images: Vec<ImageSummary>,
    filters: &[String],
    all: bool,
) -> Result<Vec<ImageSummary>> {
    let intermediate = intermediate_ids(&images);
    let mut out: Vec<ImageSummary> = images
        .into_iter()
        .filter(|i| all || !intermediate.contains(&i.id))
        .collect();
    for filter in filters {
        let Some((key, value)) = filter.split_once('=') else {
            bail!("invalid filter {filter:?}: expected KEY=VALUE");
        };
        out = match key {
            "reference" => out
                .into_iter()
                .filter(|i| i.names.iter().any(|n| reference_matches(n, value)))
                .collect(),
            "dangling" => {
                let want = matches!(value, "true" | "1");
                // Like Podman: dangling = no name and no child image.
                out.into_iter()
                    .filter(|i| (i.names.is_empty() && !intermediate.contains(&i.id)) == want)
                    .collect()
            }
            "label" => {
                let mut kept = Vec::new();
                for i in out {
                    let labels = rt.inspect_image(&i.id)?.labels;
                    let matched = match value.split_once('=') {
                        Some((k, v)) => labels.get(k).and_then(|x| x.as_str()) == Some(v),
                        None => labels.get(value).is_some(),
                    };
                    if matched {
                        kept.push(i);
                    }
                }
                kept
            }
            "before" | "since" => {
                let pivot = rt.image(value)?.created;
                out.into_iter()
                    .filter(|i| {
                        if key == "before" {
                            i.created_at < pivot
                        } else {
                            i.created_at > pivot
                        }
                    })
                    .collect()
            }
            other => bail!(
                "unsupported filter {other:?}: use reference, label, dangling, before or since"
            ),
        };
    }
    Ok(out)
}

/// The intermediate images, which Podman's `images` hides without `-a`: images with no name
/// whose layers are the bottom layers of another image (its parent in a build or commit).
/// An image with no name and no such child is dangling and stays listed.
fn intermediate_ids(images: &[ImageSummary]) -> std::collections::BTreeSet<String> {
    images
        .iter()
        .filter(|i| i.names.is_empty())
        .filter(|i| {
            images.iter().any(|child| {
                child.id != i.id
                    && child.layers.len() > i.layers.len()
                    && child.layers.starts_with(&i.layers)
            })
        })
        .map(|i| i.id.clone())
        .collect()
}

/// Podman's reference filter: a glob on the full name, or on the name without the domain,
/// or on the repository (without tag).
fn reference_matches(name: &str, pattern: &str) -> bool {
    let (repo, _) = libpod::images::split_name(name);
    let short = name.split_once('/').map_or(name, |(_, rest)| rest);
    let short_repo = repo.split_once('/').map_or(repo.as_str(), |(_, rest)| rest);
    [name, short, repo.as_str(), short_repo]
        .iter()
        .any(|candidate| glob(pattern, candidate))
}

/// `*` and `?` glob matching.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert!(reference_matches("localhost/busybox:latest", "busybox"));
        assert!(reference_matches("localhost/busybox:latest", "busy*"));
        assert!(reference_matches(
            "localhost/busybox:latest",
            "busybox:latest"
        ));
        assert!(!reference_matches("localhost/busybox:latest", "alpine"));
    }
}
