//! pull, push, save, load, tag, untag, history, tree, login, logout.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};

use anyhow::{bail, Context, Result};
use libpod::humanize::{human_duration, human_size};
use libpod::images::{ArchiveFormat, Platform, PullPolicy, RegistryOptions, SaveTarget};
use libpod::Runtime;
use serde::Serialize;

use super::progress::CliProgress;
use crate::cli::{
    HistoryArgs, LoadArgs, LoginArgs, LogoutArgs, PullArgs, PushArgs, RegistryFlags, SaveArgs,
    SearchArgs, TagArgs, TreeArgs, UntagArgs,
};
use crate::format::{print_table, OutputFormat};

/// The engine's registry options from the shared flags.
pub fn registry_options(flags: &RegistryFlags) -> RegistryOptions {
    RegistryOptions {
        tls_verify: flags.tls_verify,
        authfile: flags.authfile.clone(),
        creds: flags.creds.clone(),
        platform: None,
        cert_dir: None,
    }
}

fn platform(a: &PullArgs) -> Result<Option<Platform>> {
    platform_of(
        a.platform.as_deref(),
        a.arch.as_deref(),
        a.os.as_deref(),
        a.variant.as_deref(),
    )
}

/// `--platform`, or `--os`/`--arch`/`--variant` over the host's (pull,
/// create, run).
pub fn platform_of(
    platform: Option<&str>,
    arch: Option<&str>,
    os: Option<&str>,
    variant: Option<&str>,
) -> Result<Option<Platform>> {
    if let Some(p) = platform {
        return Ok(Some(Platform::parse(p)?));
    }
    if arch.is_none() && os.is_none() && variant.is_none() {
        return Ok(None);
    }
    let host = Platform::host();
    Ok(Some(Platform {
        os: os.map(str::to_string).unwrap_or(host.os),
        arch: arch.map(str::to_string).unwrap_or(host.arch),
        variant: variant.map(str::to_string),
    }))
}

pub fn pull(rt: &Runtime, a: PullArgs) -> Result<u8> {
    let mut opts = registry_options(&a.registry);
    opts.platform = platform(&a)?;
    opts.cert_dir = a.cert_dir.clone();
    let policy: PullPolicy = a.policy.parse()?;
    let progress = CliProgress::new(a.quiet);
    if a.all_tags {
        for name in &a.names {
            for image in rt.pull_all_tags(name, &opts, &progress)? {
                println!("{}", image.id);
            }
        }
        return Ok(0);
    }
    for name in &a.names {
        match rt.pull_with_policy(name, policy, &opts, &progress)? {
            Some(image) => println!("{}", image.id),
            None => bail!("{name}: image not known and the pull policy is \"never\""),
        }
    }
    Ok(0)
}

pub fn push(rt: &Runtime, a: PushArgs) -> Result<u8> {
    if a.compress {
        bail!("--compress is for the dir: transport, which rpod does not push to");
    }
    if let Some(f) = &a.compression_format {
        bail!(
            "--compression-format {f} is not supported yet: rpod pushes layers as they are stored"
        );
    }
    if a.sign_by.is_some()
        || a.sign_by_sigstore_private_key.is_some()
        || a.sign_passphrase_file.is_some()
    {
        return Err(libpod::Error::Unsupported(
            "signing images is not supported by rpod (--sign-by, --sign-by-sigstore-private-key, --sign-passphrase-file)".into(),
        )
        .into());
    }
    let format = a
        .format
        .as_deref()
        .map(str::parse::<libpod::images::ManifestFormat>)
        .transpose()?;
    let mut opts = registry_options(&a.registry);
    opts.cert_dir = a.cert_dir.clone();
    let progress = CliProgress::new(a.quiet);
    let digest = rt.push_image(&a.image, a.destination.as_deref(), format, &opts, &progress)?;
    if let Some(path) = &a.digestfile {
        std::fs::write(path, &digest).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(0)
}

pub fn save(rt: &Runtime, a: SaveArgs) -> Result<u8> {
    let format: ArchiveFormat = a.format.parse()?;
    if a.compress {
        bail!("--compress is for the docker-dir format, which rpod does not write");
    }
    // Podman: without -m the first argument is the image and the others
    // more names for it in the archive.
    let save = |target: SaveTarget<'_>| -> libpod::Result<()> {
        if a.multi_image_archive || a.images.len() == 1 {
            rt.save_images(&a.images, format, target)
        } else {
            rt.save_image_tagged(&a.images[0], &a.images[1..], format, target)
        }
    };
    match (format, &a.output) {
        (ArchiveFormat::OciDir, Some(dir)) => {
            save(SaveTarget::Directory(dir))?;
        }
        (ArchiveFormat::OciDir, None) => bail!("oci-dir needs an output directory (-o DIR)"),
        (_, Some(path)) => {
            let file =
                File::create(path).with_context(|| format!("creating {}", path.display()))?;
            let mut out = BufWriter::with_capacity(1 << 20, file);
            let res = save(SaveTarget::Stream(&mut out));
            if let Err(e) = res.and_then(|()| {
                out.flush().map_err(|source| libpod::Error::Io {
                    context: format!("writing {}", path.display()),
                    source,
                })
            }) {
                let _ = std::fs::remove_file(path);
                return Err(e.into());
            }
        }
        (_, None) => {
            let stdout = std::io::stdout();
            if stdout.is_terminal() {
                bail!("refusing to write an archive to a terminal: use -o FILE or redirect stdout");
            }
            let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
            save(SaveTarget::Stream(&mut out))?;
            out.flush().context("writing to stdout")?;
        }
    }
    Ok(0)
}

pub fn load(rt: &Runtime, a: LoadArgs) -> Result<u8> {
    let progress = CliProgress::new(a.quiet);
    let loaded = match &a.input {
        Some(path) if path.is_dir() => rt.load_directory(path, &progress)?,
        Some(path) => {
            let mut file =
                File::open(path).with_context(|| format!("opening {}", path.display()))?;
            rt.load_images(&mut file, &progress)?
        }
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                bail!("no archive: use -i FILE or pipe one to stdin");
            }
            let mut reader: Box<dyn Read> = Box::new(stdin.lock());
            rt.load_images(&mut reader, &progress)?
        }
    };
    for name in loaded {
        println!("Loaded image: {name}");
    }
    Ok(0)
}

pub fn tag(rt: &Runtime, a: TagArgs) -> Result<u8> {
    rt.tag_image(&a.image, &a.names)?;
    Ok(0)
}

pub fn untag(rt: &Runtime, a: UntagArgs) -> Result<u8> {
    rt.untag_image(&a.image, &a.names)?;
    Ok(0)
}

/// The fields `history --format` templates see (Podman's names).
#[derive(Serialize)]
#[allow(non_snake_case)]
struct HistoryRow {
    ID: String,
    Created: String,
    CreatedSince: String,
    CreatedBy: String,
    Size: String,
    Comment: String,
}

pub fn history(rt: &Runtime, a: HistoryArgs) -> Result<u8> {
    let entries = rt.image_history(&a.image)?;
    let short = |id: &str| {
        if a.no_trunc || id == "<missing>" {
            id.to_string()
        } else {
            id.chars().take(12).collect()
        }
    };
    if a.quiet {
        for e in &entries {
            println!("{}", short(&e.id));
        }
        return Ok(0);
    }
    let format = OutputFormat::parse(a.format.as_deref())?;
    if matches!(format, OutputFormat::Json) {
        let docs: Vec<HistoryJson> = entries.iter().map(HistoryJson::from).collect();
        format.print_items(&docs)?;
        return Ok(0);
    }
    let rows: Vec<HistoryRow> = entries
        .iter()
        .map(|e| {
            let mut created_by = e.created_by.clone();
            if !a.no_trunc && created_by.chars().count() > 45 {
                created_by = created_by.chars().take(42).collect::<String>() + "...";
            }
            HistoryRow {
                ID: short(&e.id),
                Created: e.created.map(|c| c.to_rfc3339()).unwrap_or_default(),
                CreatedSince: match e.created {
                    Some(c) if a.human => {
                        format!("{} ago", human_duration(chrono::Utc::now() - c))
                    }
                    Some(c) => c.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    None => "<unknown>".into(),
                },
                CreatedBy: created_by,
                Size: human_size(e.size),
                Comment: e.comment.clone(),
            }
        })
        .collect();
    if format.print_items(&rows)? {
        return Ok(0);
    }
    let mut lines = vec!["ID\tCREATED\tCREATED BY\tSIZE\tCOMMENT".to_string()];
    for r in rows {
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}",
            r.ID, r.CreatedSince, r.CreatedBy, r.Size, r.Comment
        ));
    }
    print_table(&lines);
    Ok(0)
}

pub fn tree(rt: &Runtime, a: TreeArgs) -> Result<u8> {
    let (image, layers) = rt.image_tree(&a.image, a.what_requires)?;
    let mut out = format!(
        "Image ID: {}\nTags:     [{}]\nSize:     {}\n{}",
        &image.id[..12],
        image.names.join(" "),
        libpod::humanize::human_size_compact(image.size),
        if image.layers.is_empty() {
            "No Image Layers"
        } else {
            "Image Layers"
        }
    );
    // Podman's tree: one item per layer; with --whatrequires a layer with more than one
    // child nests them, a single child stays at its parent's level.
    fn item(l: &libpod::images::TreeLayer) -> String {
        let tags = if l.top_of.is_empty() {
            String::new()
        } else {
            format!(" Top Layer of: [{}]", l.top_of.join(" "))
        };
        format!(
            "ID: {} Size: {:>7}{tags}",
            &l.id[..12.min(l.id.len())],
            libpod::humanize::human_size_compact(l.size)
        )
    }
    struct Node {
        text: String,
        items: Vec<Node>,
    }
    fn add_traversed(l: &libpod::images::TreeLayer, parent: &mut Vec<Node>) {
        parent.push(Node {
            text: item(l),
            items: Vec::new(),
        });
        let nested = l.children.len() > 1;
        for c in &l.children {
            if nested {
                let last = parent.len() - 1;
                add_traversed(c, &mut parent[last].items);
            } else {
                add_traversed(c, parent);
            }
        }
    }
    let mut items = Vec::new();
    if a.what_requires {
        for l in &layers {
            add_traversed(l, &mut items);
        }
    } else {
        items = layers
            .iter()
            .map(|l| Node {
                text: item(l),
                items: Vec::new(),
            })
            .collect();
    }
    fn print(items: &[Node], prefix: &str, out: &mut String) {
        for (i, n) in items.iter().enumerate() {
            let last = i + 1 == items.len();
            out.push('\n');
            out.push_str(prefix);
            out.push_str(if last { "└── " } else { "├── " });
            out.push_str(&n.text);
            let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
            print(&n.items, &deeper, out);
        }
    }
    print(&items, "", &mut out);
    println!("{out}\n");
    Ok(0)
}

/// Descriptions longer than this are cut (`--no-trunc` keeps them whole).
const DESCRIPTION_WIDTH: usize = 44;

pub fn search(rt: &Runtime, a: SearchArgs) -> Result<u8> {
    use libpod::images::search::{SearchFilters, SearchOptions};
    let opts = SearchOptions {
        limit: a.limit.filter(|l| *l > 0),
        filters: SearchFilters::parse(&a.filters)?,
        registry: RegistryOptions {
            tls_verify: a.tls_verify,
            authfile: a.authfile.clone(),
            creds: None,
            platform: None,
            cert_dir: None,
        },
    };
    let format = OutputFormat::parse(a.format.as_deref())?;
    if a.list_tags {
        let lists = rt.search_tags(&a.term, &opts)?;
        if matches!(format, OutputFormat::Json) {
            println!("{}", crate::format::json_indent4(&lists)?);
            return Ok(0);
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Row<'a> {
            name: &'a str,
            tag: &'a str,
        }
        let rows: Vec<Row> = lists
            .iter()
            .flat_map(|l| {
                l.tags.iter().map(|t| Row {
                    name: &l.name,
                    tag: t,
                })
            })
            .collect();
        if !format.print_items(&rows)? {
            let mut lines = vec!["NAME\tTAG".to_string()];
            lines.extend(rows.iter().map(|r| format!("{}\t{}", r.name, r.tag)));
            print_table(&lines);
        }
        return Ok(0);
    }
    let mut results = rt.search(&a.term, &opts)?;
    if !a.no_trunc {
        for r in &mut results {
            if r.description.chars().count() > DESCRIPTION_WIDTH {
                let cut: String = r.description.chars().take(DESCRIPTION_WIDTH - 3).collect();
                r.description = format!("{cut}...");
            }
        }
    }
    if matches!(format, OutputFormat::Json) {
        println!("{}", crate::format::json_indent4(&results)?);
        return Ok(0);
    }
    if format.print_items(&results)? || results.is_empty() {
        return Ok(0);
    }
    let mut lines = vec![if a.compatible {
        "NAME\tDESCRIPTION\tSTARS\tOFFICIAL\tAUTOMATED".to_string()
    } else {
        "NAME\tDESCRIPTION".to_string()
    }];
    for r in &results {
        lines.push(if a.compatible {
            format!(
                "{}\t{}\t{}\t{}\t{}",
                r.name, r.description, r.stars, r.official, r.automated
            )
        } else {
            format!("{}\t{}", r.name, r.description)
        });
    }
    print_table(&lines);
    Ok(0)
}

pub fn login(rt: &Runtime, a: LoginArgs) -> Result<u8> {
    let authfile = a
        .registry
        .authfile
        .clone()
        .unwrap_or_else(libpod::images::auth::default_auth_file);
    if a.get_login {
        println!(
            "{}",
            libpod::images::auth::logged_in_user(&authfile, &a.registry_host)?
        );
        return Ok(0);
    }
    let mut opts = registry_options(&a.registry);
    opts.cert_dir = a.cert_dir.clone();
    let (user, password) = match (&a.registry.creds, &a.username) {
        (Some(creds), _) => {
            let (u, p) = libpod::images::auth::parse_creds(creds)?;
            (u, p)
        }
        (None, Some(user)) => {
            let password = match (&a.password, a.password_stdin) {
                (Some(p), false) => p.clone(),
                (None, true) => {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .context("reading the password")?;
                    text.trim_end_matches(['\n', '\r']).to_string()
                }
                (Some(_), true) => bail!("--password and --password-stdin are mutually exclusive"),
                (None, false) => bail!("a password is needed: --password or --password-stdin"),
            };
            (user.clone(), password)
        }
        (None, None) => bail!("a user name is needed: --username or --creds"),
    };
    opts.creds = None;
    rt.login(&a.registry_host, &user, &password, &opts)?;
    if a.verbose {
        println!("Used: {}", authfile.display());
    }
    println!("Login Succeeded!");
    Ok(0)
}

pub fn logout(rt: &Runtime, a: LogoutArgs) -> Result<u8> {
    let host = if a.all {
        None
    } else {
        a.registry_host.as_deref()
    };
    if host.is_none() && !a.all {
        bail!("a registry or --all is needed");
    }
    if rt.logout(host, a.authfile.clone())? {
        println!(
            "Removed login credentials for {}",
            host.unwrap_or("all registries")
        );
        Ok(0)
    } else {
        bail!("not logged into {}", host.unwrap_or("any registry"))
    }
}

/// One entry of `history --format json`, with Podman's keys (lower case
/// for the image library's fields, `CreatedBy` and `Created` for its own).
#[derive(Serialize)]
struct HistoryJson {
    id: String,
    created: String,
    #[serde(rename = "CreatedBy")]
    created_by: String,
    size: u64,
    comment: String,
    /// RFC 3339 to the second.
    #[serde(rename = "Created")]
    created_seconds: String,
}

impl From<&libpod::images::HistoryEntry> for HistoryJson {
    fn from(e: &libpod::images::HistoryEntry) -> Self {
        HistoryJson {
            id: e.id.clone(),
            created: e
                .created
                .map(go_rfc3339_nano)
                .unwrap_or_else(|| "0001-01-01T00:00:00Z".into()),
            created_by: e.created_by.clone(),
            size: e.size,
            comment: e.comment.clone(),
            created_seconds: e
                .created
                .map(|c| c.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_else(|| "0001-01-01T00:00:00Z".into()),
        }
    }
}

/// Go's RFC 3339 with nanoseconds, trailing zeros dropped.
fn go_rfc3339_nano(t: chrono::DateTime<chrono::Utc>) -> String {
    let frac = format!("{:09}", t.timestamp_subsec_nanos());
    let frac = frac.trim_end_matches('0');
    let dot = if frac.is_empty() { "" } else { "." };
    format!("{}{dot}{frac}Z", t.format("%Y-%m-%dT%H:%M:%S"))
}
