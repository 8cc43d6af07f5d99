//! The state database: SQLite in WAL mode under the root directory.
//!
//! A container's configuration is written once; its state row changes with
//! every transition. Writes are single statements or short transactions, so a
//! process killed at any point leaves either the old or the new record.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::container::{ContainerConfig, ContainerState};
use crate::error::{Error, Result};

/// Schema migrations, applied in order; the index + 1 is the schema version
/// (SQLite's `user_version`).
pub(crate) const MIGRATIONS: &[&str] = &[
    "CREATE TABLE containers (
        id      TEXT PRIMARY KEY NOT NULL,
        name    TEXT NOT NULL UNIQUE,
        config  TEXT NOT NULL,
        state   TEXT NOT NULL,
        created INTEGER NOT NULL
    );",
    "CREATE TABLE volumes (
        name    TEXT PRIMARY KEY NOT NULL,
        config  TEXT NOT NULL,
        state   TEXT NOT NULL,
        created INTEGER NOT NULL
    );",
    "CREATE TABLE pods (
        id      TEXT PRIMARY KEY NOT NULL,
        name    TEXT NOT NULL UNIQUE,
        config  TEXT NOT NULL,
        created INTEGER NOT NULL
    );",
    // Who depends on whom, indexed both ways, so removing a container does
    // not parse every configuration to find its dependents.
    "CREATE TABLE container_deps (
        id  TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        dep TEXT NOT NULL,
        PRIMARY KEY (id, dep)
    );
    CREATE INDEX container_deps_dep ON container_deps(dep);
    INSERT OR IGNORE INTO container_deps (id, dep)
        SELECT c.id, j.value FROM containers c, json_each(c.config, '$.dependencies') j;",
    // Settings an engine keeps for its life (the volume path).
    "CREATE TABLE settings (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    );",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The database holds every container's environment: only root reads it.
/// A new file is made 0600 before SQLite opens it (its `-wal` and `-shm`
/// files take the database file's permissions); an older, wider one is
/// tightened together with those files.
fn restrict_db_files(path: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e: std::io::Error| Error::Io {
        context: format!("restricting the permissions of {}", path.display()),
        source: e,
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o077 == 0 => Ok(()),
        Ok(_) => {
            for suffix in ["", "-wal", "-shm"] {
                let p = PathBuf::from(format!("{}{suffix}", path.display()));
                match std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                    _ => {}
                }
            }
            Ok(())
        }
        Err(_) => std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map(drop)
            .map_err(io),
    }
}

/// How long a command waits for another one's write transaction. Every
/// write is one short transaction (never held across a container process
/// or a download), so this bounds a wait in a queue, not a retry loop:
/// SQLite's busy handler sleeps until the lock is free.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// An open state database.
pub struct Db {
    conn: Connection,
}

/// True for the errors of a database file that is not (or no longer) a
/// valid SQLite database.
fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// True when the file system holding `path` has no free blocks left.
fn is_full(path: &Path) -> bool {
    let dir = path.parent().unwrap_or(path);
    nix::sys::statvfs::statvfs(dir).is_ok_and(|s| s.blocks_available() == 0)
}

impl Db {
    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// A corrupt file, or one of a newer schema than this build's, is
    /// refused with [`Error::StateDatabase`] and left untouched.
    pub fn open(path: &Path) -> Result<Self> {
        restrict_db_files(path)?;
        crate::fault::point("db.open");
        let corrupt = |e: rusqlite::Error| -> Error {
            if is_full(path)
                && matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::DiskFull)
                )
            {
                // SQLite rebuilds its shared-memory index when a command is
                // the first to open the database: on a full disk it cannot.
                Error::NoSpace {
                    operation: format!("opening the state database {}", path.display()),
                    detail: e.to_string(),
                }
            } else if is_corruption(&e) {
                Error::StateDatabase {
                    path: path.to_path_buf(),
                    message: format!(
                        "the file is corrupt ({e}); `rpod system reset` removes it, with every container, image and volume"
                    ),
                }
            } else {
                e.into()
            }
        };
        let conn = Connection::open(path).map_err(corrupt)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // The schema version is read before anything is written, so a
        // newer database is never changed (not even its journal mode).
        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(corrupt)?;
        if version > SCHEMA_VERSION {
            return Err(Error::StateDatabase {
                path: path.to_path_buf(),
                message: format!(
                    "schema version {version} is newer than this rpod understands ({SCHEMA_VERSION}); upgrade rpod (the database was not changed)"
                ),
            });
        }
        // A file whose header does not account for its length (cut short,
        // overwritten) is checked page by page here, not found in the
        // middle of a command; a whole one is not read through (that would
        // make every command as slow as the number of containers).
        let check: String = if header_is_whole(path) {
            "ok".into()
        } else {
            conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
                .map_err(corrupt)?
        };
        if check != "ok" {
            return Err(Error::StateDatabase {
                path: path.to_path_buf(),
                message: format!(
                    "the file is corrupt ({check}); `rpod system reset` removes it, with every container, image and volume"
                ),
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(corrupt)?;
        // Short-lived commands must not checkpoint (and delete) the WAL on
        // every close: SQLite's automatic checkpoints keep it bounded, and
        // each commit is in the WAL already, so a kill loses nothing.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        let db = Db { conn };
        if version < SCHEMA_VERSION {
            db.migrate(path).map_err(|e| match e {
                Error::Database(e) => corrupt(e),
                other => other,
            })?;
        }
        Ok(db)
    }

    /// A write transaction that takes the write lock at BEGIN: a writer
    /// never reads first and then finds its snapshot stale (which SQLite
    /// reports as busy without waiting).
    fn write_tx(&self) -> rusqlite::Result<Transaction<'_>> {
        Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
    }

    /// Applies the missing migrations under the write lock; the version is
    /// read again inside the transaction, so commands opening a new
    /// database at the same time migrate it once.
    fn migrate(&self, path: &Path) -> Result<()> {
        let tx = self.write_tx()?;
        let version: usize = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::StateDatabase {
                path: path.to_path_buf(),
                message: format!(
                    "schema version {version} is newer than this rpod understands ({SCHEMA_VERSION}); upgrade rpod (the database was not changed)"
                ),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
        }
        crate::fault::point("db.migrate");
        tx.commit()?;
        Ok(())
    }

    /// Adds a new container; fails with `NameInUse` if the name is taken.
    /// The setting `key`, recorded as `value` if the database has none yet.
    /// (A read only, once recorded: no write per command.)
    pub fn setting_or_record(&self, key: &str, value: &str) -> Result<String> {
        let get = || -> Result<Option<String>> {
            Ok(self
                .conn
                .query_row(
                    "SELECT value FROM settings WHERE key = ?1",
                    params![key],
                    |r| r.get(0),
                )
                .optional()?)
        };
        if let Some(v) = get()? {
            return Ok(v);
        }
        self.conn.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)",
            params![key, value],
        )?;
        Ok(get()?.unwrap_or_else(|| value.to_string()))
    }

    pub fn add_container(&self, config: &ContainerConfig, state: &ContainerState) -> Result<()> {
        let tx = self.write_tx()?;
        let res = tx.execute(
            "INSERT INTO containers (id, name, config, state, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                config.id,
                config.name,
                to_json(config)?,
                to_json(state)?,
                config.created_at.timestamp_nanos_opt().unwrap_or_default()
            ],
        );
        let res = res.and_then(|_| {
            for dep in &config.dependencies {
                tx.execute(
                    "INSERT OR IGNORE INTO container_deps (id, dep) VALUES (?1, ?2)",
                    params![config.id, dep],
                )?;
            }
            crate::fault::point("db.add_container");
            tx.commit()
        });
        match res {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, Some(msg)))
                if e.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("name") =>
            {
                Err(Error::NameInUse(config.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Saves a container's state.
    pub fn save_state(&self, id: &str, state: &ContainerState) -> Result<()> {
        crate::fault::point("db.save_state");
        let n = self.conn.execute(
            "UPDATE containers SET state = ?1 WHERE id = ?2",
            params![to_json(state)?, id],
        )?;
        if n == 0 {
            return Err(Error::NoSuchContainer(id.to_string()));
        }
        Ok(())
    }

    /// Rewrites a container's configuration (and name): only `rename` and
    /// `update` change a configuration after creation.
    pub fn save_config(&self, config: &ContainerConfig) -> Result<()> {
        let tx = self.write_tx()?;
        let res = tx
            .execute(
                "UPDATE containers SET name = ?1, config = ?2 WHERE id = ?3",
                params![config.name, to_json(config)?, config.id],
            )
            .and_then(|_| {
                tx.execute(
                    "DELETE FROM container_deps WHERE id = ?1",
                    params![config.id],
                )?;
                for dep in &config.dependencies {
                    tx.execute(
                        "INSERT OR IGNORE INTO container_deps (id, dep) VALUES (?1, ?2)",
                        params![config.id, dep],
                    )?;
                }
                tx.commit()
            });
        match res {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(Error::NameInUse(config.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn remove_container(&self, id: &str) -> Result<()> {
        crate::fault::point("db.remove_container");
        self.conn
            .execute("DELETE FROM containers WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// One container by full ID.
    pub fn container(&self, id: &str) -> Result<Option<(ContainerConfig, ContainerState)>> {
        self.conn
            .query_row(
                "SELECT config, state FROM containers WHERE id = ?1",
                params![id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
            .map(|(c, s)| Ok((from_json(&c)?, from_json(&s)?)))
            .transpose()
    }

    /// Resolves a name, full ID or unique ID prefix to a full ID.
    pub fn resolve(&self, name_or_id: &str) -> Result<String> {
        if name_or_id.is_empty() {
            return Err(Error::NoSuchContainer(String::new()));
        }
        let by_name: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM containers WHERE name = ?1",
                params![name_or_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = by_name {
            return Ok(id);
        }
        if !name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::NoSuchContainer(name_or_id.to_string()));
        }
        let pattern = format!("{}%", name_or_id.to_ascii_lowercase());
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM containers WHERE id LIKE ?1 LIMIT 10")?;
        let ids: Vec<String> = stmt
            .query_map(params![pattern], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.len() {
            0 => Err(Error::NoSuchContainer(name_or_id.to_string())),
            1 => Ok(ids.into_iter().next().unwrap_or_default()),
            _ => Err(Error::AmbiguousContainer {
                prefix: name_or_id.to_string(),
                candidates: ids,
            }),
        }
    }

    /// Every container, oldest first.
    pub fn all_containers(&self) -> Result<Vec<(ContainerConfig, ContainerState)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT config, state FROM containers ORDER BY created")?;
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(c, s)| Ok((from_json(&c)?, from_json(&s)?)))
            .collect()
    }

    /// IDs and names of the containers that depend on `id` (an index lookup).
    pub fn dependents_of(&self, id: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.name FROM container_deps d JOIN containers c ON c.id = d.id
             WHERE d.dep = ?1 ORDER BY c.created",
        )?;
        let rows = stmt
            .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// IDs of containers made from `image_id`.
    pub fn containers_using_image(&self, image_id: &str) -> Result<Vec<(String, String)>> {
        Ok(self
            .all_containers()?
            .into_iter()
            .filter(|(c, _)| c.image_id.as_deref() == Some(image_id))
            .map(|(c, _)| (c.id, c.name))
            .collect())
    }

    /// True when `name` is taken.
    pub fn name_exists(&self, name: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM containers WHERE name = ?1",
                params![name],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

impl Db {
    /// Adds a volume; false when the name is taken.
    pub fn add_volume(
        &self,
        name: &str,
        config: &impl serde::Serialize,
        state: &impl serde::Serialize,
        created: i64,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO volumes (name, config, state, created) VALUES (?1, ?2, ?3, ?4)",
            params![name, to_json(config)?, to_json(state)?, created],
        )?;
        Ok(n == 1)
    }

    pub fn save_volume_state(&self, name: &str, state: &impl serde::Serialize) -> Result<()> {
        self.conn.execute(
            "UPDATE volumes SET state = ?1 WHERE name = ?2",
            params![to_json(state)?, name],
        )?;
        Ok(())
    }

    /// One volume's configuration and state.
    pub fn volume<C, S>(&self, name: &str) -> Result<Option<(C, S)>>
    where
        C: serde::de::DeserializeOwned,
        S: serde::de::DeserializeOwned,
    {
        self.conn
            .query_row(
                "SELECT config, state FROM volumes WHERE name = ?1",
                params![name],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
            .map(|(c, s)| Ok((from_json(&c)?, from_json(&s)?)))
            .transpose()
    }

    /// Every volume, oldest first.
    pub fn all_volumes<C, S>(&self) -> Result<Vec<(C, S)>>
    where
        C: serde::de::DeserializeOwned,
        S: serde::de::DeserializeOwned,
    {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT config, state FROM volumes ORDER BY created")?;
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(c, s)| Ok((from_json(&c)?, from_json(&s)?)))
            .collect()
    }

    pub fn remove_volume(&self, name: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM volumes WHERE name = ?1", params![name])?;
        Ok(())
    }
}

impl Db {
    /// Adds a pod; false when the name is taken.
    pub fn add_pod(
        &self,
        id: &str,
        name: &str,
        config: &impl serde::Serialize,
        created: i64,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO pods (id, name, config, created) VALUES (?1, ?2, ?3, ?4)",
            params![id, name, to_json(config)?, created],
        )?;
        Ok(n == 1)
    }

    pub fn save_pod(&self, id: &str, config: &impl serde::Serialize) -> Result<()> {
        self.conn.execute(
            "UPDATE pods SET config = ?1 WHERE id = ?2",
            params![to_json(config)?, id],
        )?;
        Ok(())
    }

    /// Resolves a pod name, ID or unique ID prefix to its configuration.
    pub fn pod<C: serde::de::DeserializeOwned>(&self, name_or_id: &str) -> Result<Option<C>> {
        let by_name: Option<String> = self
            .conn
            .query_row(
                "SELECT config FROM pods WHERE name = ?1 OR id = ?1",
                params![name_or_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(c) = by_name {
            return Ok(Some(from_json(&c)?));
        }
        if name_or_id.is_empty() || !name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT config FROM pods WHERE id LIKE ?1 LIMIT 2")?;
        let rows: Vec<String> = stmt
            .query_map(
                params![format!("{}%", name_or_id.to_ascii_lowercase())],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<_>>()?;
        match rows.len() {
            1 => Ok(Some(from_json(&rows[0])?)),
            0 => Ok(None),
            _ => Err(Error::InvalidArgument(format!(
                "pod ID prefix {name_or_id:?} is ambiguous"
            ))),
        }
    }

    pub fn all_pods<C: serde::de::DeserializeOwned>(&self) -> Result<Vec<C>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT config FROM pods ORDER BY created")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        rows.iter().map(|c| from_json(c)).collect()
    }

    pub fn remove_pod(&self, id: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM pods WHERE id = ?1", params![id])?;
        Ok(())
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|source| Error::Json {
        context: "encoding a database record".into(),
        source,
    })
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|source| Error::Json {
        context: "decoding a database record".into(),
        source,
    })
}

/// Whether the SQLite file at `path` is as long as its header says (magic,
/// page size and a valid in-header page count, the file at least that
/// long), or is not there yet. A file that fails this gets a full check.
fn header_is_whole(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return true;
    };
    let Ok(len) = f.metadata().map(|m| m.len()) else {
        return false;
    };
    if len == 0 {
        return true;
    }
    let mut h = [0u8; 100];
    if f.read_exact(&mut h).is_err() || &h[..16] != b"SQLite format 3\0" {
        return false;
    }
    let be32 = |o: usize| u32::from_be_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
    let page_size = match u16::from_be_bytes([h[16], h[17]]) {
        1 => 65536u64,
        n => u64::from(n),
    };
    // The page count is valid only when written with this change counter.
    let (counter, pages, valid_for) = (be32(24), be32(28), be32(92));
    page_size >= 512 && valid_for == counter && len >= u64::from(pages) * page_size
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opening reads the file through only when its header does not
    /// account for its length: a whole file passes the cheap check, one cut
    /// short or overwritten does not (and is then checked page by page).
    #[test]
    fn only_a_file_its_header_does_not_account_for_is_checked_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpod.db");
        assert!(header_is_whole(&path), "no file yet");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE t (v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT hex(randomblob(64)) FROM n;",
            )
            .unwrap();
        }
        assert!(header_is_whole(&path));
        let len = std::fs::metadata(&path).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len / 2).unwrap();
        drop(f);
        assert!(!header_is_whole(&path), "cut short");
        std::fs::write(&path, b"not a database").unwrap();
        assert!(!header_is_whole(&path), "overwritten");
        assert!(Db::open(&path).is_err());
    }

    /// A database of schema version 3 (before the dependency index) is
    /// upgraded, its dependencies indexed from the stored configurations.
    #[test]
    fn an_old_schema_is_upgraded_and_dependencies_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpod.db");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..3] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            for (id, name, deps) in [
                ("a", "first", "[]"),
                ("b", "second", "[\"a\"]"),
                ("c", "third", "[\"a\",\"b\"]"),
            ] {
                conn.execute(
                    "INSERT INTO containers (id, name, config, state, created) VALUES (?1, ?2, ?3, '{}', ?4)",
                    params![id, name, format!("{{\"dependencies\":{deps}}}"), id.as_bytes()[0] as i64],
                )
                .unwrap();
            }
        }
        let db = Db::open(&path).unwrap();
        assert_eq!(
            db.dependents_of("a").unwrap(),
            vec![
                ("b".to_string(), "second".to_string()),
                ("c".to_string(), "third".to_string())
            ]
        );
        assert_eq!(
            db.dependents_of("b").unwrap(),
            vec![("c".to_string(), "third".to_string())]
        );
        assert!(db.dependents_of("c").unwrap().is_empty());
        // Removing a container drops its own dependency rows.
        db.remove_container("c").unwrap();
        assert!(db.dependents_of("b").unwrap().is_empty());
        let version: usize = db
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        // A newer schema is refused, not written.
        db.conn
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(db);
        let err = Db::open(&path).err().unwrap().to_string();
        assert!(err.contains("newer than this rpod understands"), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
}
