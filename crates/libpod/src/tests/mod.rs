//! Unit tests of the engine with the in-memory OCI runtime
//! (`ocirt::fake::FakeRuntime`): no root, no runc, no monitor, a temporary
//! root and run root with vfs storage. Integration tests with real runc
//! live in `crates/rpod/tests`.

mod archives;
mod external;
mod lifecycle;
mod migrations;
mod networking;
mod pods;
mod support;
