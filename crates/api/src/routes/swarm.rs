//! Swarm mode's endpoints (`/swarm`, `/services`, `/nodes`, `/tasks`,
//! `/secrets`, `/configs`): rpod is a single-host engine that is never part
//! of a swarm, so each answers as a Docker engine outside a swarm does,
//! 503 with Docker's message. Clients such as docker-py's test fixtures call
//! `POST /swarm/leave?force=true` while cleaning up and expect exactly that.

use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::json;

use super::json;

/// Docker's answer to a manager-only request on a node outside a swarm.
const NOT_A_MANAGER: &str = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";
/// Docker's answer to leaving a swarm the node is not in.
const NOT_IN_A_SWARM: &str = "This node is not part of a swarm";

/// The message for one swarm-mode request.
pub fn refusal(method: &Method, path: &str) -> &'static str {
    match (method, path.trim_end_matches('/')) {
        (_, "/swarm/leave") => NOT_IN_A_SWARM,
        (&Method::POST, "/swarm/init") | (&Method::POST, "/swarm/join") => {
            "rpod does not run swarm mode: this node is not part of a swarm and cannot become one"
        }
        _ => NOT_A_MANAGER,
    }
}

/// Every swarm-mode endpoint: 503.
pub async fn not_in_a_swarm(method: Method, uri: Uri) -> Response {
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({ "message": refusal(&method, uri.path()) }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leave_says_not_part_of_a_swarm_the_rest_not_a_manager() {
        assert_eq!(refusal(&Method::POST, "/swarm/leave"), NOT_IN_A_SWARM);
        assert_eq!(refusal(&Method::POST, "/swarm/unlock"), NOT_A_MANAGER);
        assert_eq!(refusal(&Method::GET, "/swarm"), NOT_A_MANAGER);
        assert_eq!(refusal(&Method::GET, "/services/x"), NOT_A_MANAGER);
        assert!(refusal(&Method::POST, "/swarm/init").contains("swarm mode"));
    }
}
