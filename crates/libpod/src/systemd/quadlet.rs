//! Quadlet: `.container`, `.volume`, `.network` and `.kube` files translated to service units.
