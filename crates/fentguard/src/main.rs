//! The `fentguard` binary: argument parsing and wiring only; the work is in `chem` and
//! `law`.

// Standard output goes through `say!`, which returns the write's error instead of
// panicking as `println!` does when the reader has gone (`| head`).
#![deny(clippy::print_stdout)]

/// `println!` that hands a failed write (a closed pipe) back to the caller as an error;
/// `main` ends quietly on a broken pipe.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod backup_cmd;
mod catalogue_cmd;
mod classify_cmd;
mod export_cmd;
mod keys;
mod permit_cmd;
mod records;
mod scan_text_cmd;
mod screen_cmd;
mod serve_cmd;

// A server's pages and lists allocate many small short-lived strings from many threads;
// mimalloc serves them with less locking than glibc's allocator (see bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "fentguard",
    version,
    about = "Control platform for fentanyl-related substances and their precursors"
)]
struct Cli {
    /// A CSV of catalogue changes (add_substance, add, amend, withdraw) to apply on top
    /// of the built-in catalogue before answering.
    #[arg(long, global = true)]
    changes: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(subcommand)]
    command: Command,
}

/// Size limits of the structures read (defaults: see `chem::limits`); beyond them a
/// structure is refused with an error naming the limit, never judged.
#[derive(clap::Args)]
struct LimitArgs {
    /// Most heavy atoms in a structure [default: 1000].
    #[arg(long, global = true, env = "FENTGUARD_MAX_ATOMS")]
    max_atoms: Option<usize>,
    /// Most rings in a structure [default: 100].
    #[arg(long, global = true, env = "FENTGUARD_MAX_RINGS")]
    max_rings: Option<usize>,
    /// Most rings in one fused ring system [default: 40].
    #[arg(long, global = true, env = "FENTGUARD_MAX_RING_SYSTEM_RINGS")]
    max_ring_system_rings: Option<usize>,
    /// Most atoms in one fused ring system [default: 250].
    #[arg(long, global = true, env = "FENTGUARD_MAX_RING_SYSTEM_ATOMS")]
    max_ring_system_atoms: Option<usize>,
    /// Most fused aromatic ring combinations tried in one ring system [default: 20000].
    #[arg(long, global = true, env = "FENTGUARD_MAX_AROMATIC_COMBINATIONS")]
    max_aromatic_combinations: Option<usize>,
}

impl LimitArgs {
    fn limits(&self) -> chem::Limits {
        let d = chem::Limits::DEFAULT;
        chem::Limits {
            max_atoms: self.max_atoms.unwrap_or(d.max_atoms),
            max_rings: self.max_rings.unwrap_or(d.max_rings),
            max_ring_system_rings: self
                .max_ring_system_rings
                .unwrap_or(d.max_ring_system_rings),
            max_ring_system_atoms: self
                .max_ring_system_atoms
                .unwrap_or(d.max_ring_system_atoms),
            max_aromatic_combinations: self
                .max_aromatic_combinations
                .unwrap_or(d.max_aromatic_combinations),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum JurisdictionArg {
    Cn,
    Us,
    All,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ClassifyFormat {
    Json,
    Table,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ScreenFormat {
    Json,
    Csv,
    Table,
}

#[derive(Subcommand)]
enum Command {
    /// Is this chemical controlled, where and why? Each INPUT (or each line of standard
    /// input) is a SMILES optionally followed by a name, a CAS number, an InChIKey, a
    /// name, a name with a salt ("fentanyl citrate"), or a .mol/.sdf file. Unknown names
    /// are refused with the closest names on file (exit code 1).
    Classify {
        /// Which jurisdictions to answer for.
        #[arg(long, value_enum, default_value = "all")]
        jurisdiction: JurisdictionArg,
        /// `json`: one JSON object per input (JSON Lines); `table`: for people.
        #[arg(long, value_enum, default_value = "table")]
        format: ClassifyFormat,
        /// Answer as the law stood on this date (YYYY-MM-DD; default today).
        #[arg(long, value_parser = parse_date)]
        date: Option<law::NaiveDate>,
        /// Inputs; standard input when none.
        inputs: Vec<String>,
    },
    /// Screen texts (online listings, messages) for controlled substances and the signs
    /// of an offer: each line of each FILE (standard input when none) is a text, or a
    /// JSON object with `id` and `text`. Prints each text's decision (flag, review,
    /// clear), score, the substances found (with byte offsets, what was undone to find
    /// them, their status per jurisdiction) and the signals.
    ScanText {
        /// `json`: one JSON object per text (JSON Lines); `table`: for people.
        #[arg(long, value_enum, default_value = "json")]
        format: ClassifyFormat,
        /// Judge as the law stood on this date (YYYY-MM-DD; default today).
        #[arg(long, value_parser = parse_date)]
        date: Option<law::NaiveDate>,
        /// Files of texts; standard input when none.
        files: Vec<String>,
    },
    /// Do I need a licence to export this? Decision, regimes, authorities, documents,
    /// review times and caveats, by the rules in force on the date.
    ExportCheck {
        /// Substance: SMILES, CAS number, name, or name with salt ("fentanyl citrate");
        /// with --mixture, the listed component asked about.
        #[arg(long)]
        substance: String,
        /// Destination country (ISO 3166-1 alpha-2).
        #[arg(long)]
        destination: String,
        /// Quantity with a mass unit (mg, g, kg, t), e.g. 25kg.
        #[arg(long)]
        quantity: Option<String>,
        /// Date of export (YYYY-MM-DD; default today).
        #[arg(long, value_parser = parse_date)]
        date: Option<law::NaiveDate>,
        /// Mixture composition "NAME_OR_CAS=PCT,..." (e.g. "toluene=45,water=55").
        #[arg(long)]
        mixture: Option<String>,
        /// Exporting jurisdiction (ISO 3166-1 alpha-2).
        #[arg(long, default_value = "CN")]
        from: String,
        /// `json` or `table`.
        #[arg(long, value_enum, default_value = "table")]
        format: ClassifyFormat,
    },
    /// The catalogue: what changed between two dates, or check a changes file.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Check a printed permit offline: the text of its QR code (argument, or standard
    /// input, e.g. from `zbarimg -q`) against the issuing authority's public key (GET
    /// /api/v1/permits/public-key). Exit code 1 when it is not genuine.
    VerifyPermit {
        /// The authority's Ed25519 public key, hex.
        #[arg(long)]
        public_key: String,
        /// The QR code's text; standard input when absent.
        text: Option<String>,
    },
    /// Run the HTTP server (SQLite by default, created on first start).
    Serve {
        #[command(flatten)]
        at: Authority,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "FENTGUARD_LISTEN")]
        listen: String,
        /// Where to publish signed checkpoints of the audit head (JSON Lines, appended;
        /// copy it off this machine): `audit verify --checkpoints` then catches a chain
        /// cut short. Default: fentguard-checkpoints.jsonl beside the key; `none`
        /// publishes nothing.
        #[arg(long, env = "FENTGUARD_CHECKPOINTS")]
        checkpoints: Option<PathBuf>,
        /// Seconds between checkpoints (one is written only when the head moved).
        #[arg(long, default_value_t = 60, env = "FENTGUARD_CHECKPOINT_EVERY")]
        checkpoint_every: u64,
        /// Log lines (standard error; each request one line at target
        /// `fentguard::access`): `text` for people, `json` for a log collector.
        #[arg(long, value_enum, default_value = "text", env = "FENTGUARD_LOG_FORMAT")]
        log_format: serve_cmd::LogFormat,
        /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
        #[arg(long, env = "FENTGUARD_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert (PEM; the owner's only, mode 600).
        #[arg(long, env = "FENTGUARD_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// A reverse proxy (address or network, e.g. 10.0.0.5 or 10.0.0.0/24) whose
        /// X-Forwarded-For and X-Forwarded-Proto are believed; from anyone else they are
        /// ignored. Repeat, or separate with commas.
        #[arg(long, env = "FENTGUARD_TRUST_PROXY", value_delimiter = ',')]
        trust_proxy: Vec<String>,
        /// The address people reach this server at (e.g. https://fentguard.example.gov.cn):
        /// printed permits' QR codes open its verification page. Default: http:// or
        /// https:// and --listen.
        #[arg(long, env = "FENTGUARD_PUBLIC_URL")]
        public_url: Option<String>,
        /// The font permits are printed in: a TrueType/OpenType file or collection that
        /// covers Chinese and Latin. Default: the first of Debian's fonts-noto-cjk (and
        /// other well-known places) found.
        #[arg(long, env = "FENTGUARD_PRINT_FONT")]
        print_font: Option<PathBuf>,
        /// The face of --print-font to use when it is a collection (.ttc): e.g. 2 for
        /// Noto Sans CJK SC.
        #[arg(long, default_value_t = 0, env = "FENTGUARD_PRINT_FONT_FACE")]
        print_font_face: u32,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Demonstration data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Set-up of a real deployment.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Screen a large file (.smi, .csv with a SMILES column, .sdf; optionally .gz).
    Screen {
        /// The file to screen.
        file: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Where to write hits (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Format of the hits: `json` (JSON Lines, the full answer), `csv`, or `table`.
        #[arg(long, value_enum, default_value = "json")]
        format: ScreenFormat,
        /// Screen against the law as it stood on this date (YYYY-MM-DD; default today).
        #[arg(long, value_parser = parse_date)]
        date: Option<law::NaiveDate>,
        /// Name of the SMILES column in CSV input (default: the first column named like 'smiles').
        #[arg(long)]
        smiles_column: Option<String>,
        /// Do not show a progress bar even on a terminal.
        #[arg(long)]
        quiet: bool,
    },
}

/// Today's date (local time).
fn today() -> law::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Parse a YYYY-MM-DD date argument.
fn parse_date(s: &str) -> Result<law::NaiveDate, String> {
    law::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("'{s}' is not a date (YYYY-MM-DD): {e}"))
}

/// The database and the authority's key, which go together: the key signs permits and
/// checkpoints and seals every audit entry.
#[derive(Args)]
struct Authority {
    /// Database URL: sqlite://FILE or postgres://...
    #[arg(long, default_value = "sqlite://fentguard.db", env = "FENTGUARD_DB")]
    db: String,
    /// The authority's key (Ed25519 secret, hex; the owner's only): signs permits and
    /// audit checkpoints, and seals the audit trail. Created on a new database; keep it
    /// off the database's machine's backups of the database, and back it up apart.
    #[arg(
        long,
        default_value = "fentguard-signing.key",
        env = "FENTGUARD_SIGNING_KEY"
    )]
    key: PathBuf,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the audit trail: the hash chain and every entry's seal (a rewritten entry
    /// is found even when the hashes after it were recomputed), the heads published
    /// earlier (a chain cut short is found), and that applications, notifications,
    /// permits, organisations, users, licences and stored events agree with the trail.
    /// Exit code 1 when anything is wrong.
    Verify {
        #[command(flatten)]
        at: Authority,
        /// Published checkpoints (JSON, a JSON list or JSON Lines, as `serve` writes them
        /// or `audit checkpoint` prints them); may be given several times.
        #[arg(long)]
        checkpoints: Vec<PathBuf>,
    },
    /// Print a signed checkpoint of the audit head (JSON), to publish.
    Checkpoint {
        #[command(flatten)]
        at: Authority,
    },
    /// Seal, once, the audit entries written before entries were sealed (checks their
    /// chain first; audited). `serve` refuses to start until this is done.
    Seal {
        #[command(flatten)]
        at: Authority,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Back the database up while `serve` runs: SQLite to a new file (a consistent copy,
    /// checked with `audit verify` at once), PostgreSQL with pg_dump (custom format). The
    /// key file is not in the backup: keep a copy of it apart.
    Backup {
        #[command(flatten)]
        at: Authority,
        /// The new backup file (never overwritten).
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into a new SQLite file or an empty PostgreSQL database given by
    /// --db, then run `audit verify` on it; exit code 1 (and, for SQLite, the copy moved
    /// aside to FILE.unverified) when it does not verify.
    Restore {
        #[command(flatten)]
        at: Authority,
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
    },
    /// Rotate the authority's key: a new key signs permits and checkpoints and seals the
    /// audit trail from now on; the old one stays in the key file as an earlier key, so
    /// what it signed and sealed still verifies (audited). Restart `serve` afterwards.
    RotateKey {
        #[command(flatten)]
        at: Authority,
    },
    /// Create the first administrator (and the authority it belongs to) on a new
    /// database. Reads the password (12 characters or more) from the first line of
    /// standard input; refuses when an administrator exists. Log in with
    /// `POST /api/v1/auth/login`, then create organisations, users and licences over the API.
    Init {
        #[command(flatten)]
        at: Authority,
        /// Id of the administering authority, e.g. `cn-mofcom`.
        #[arg(long)]
        org_id: String,
        /// Its name.
        #[arg(long)]
        org_name: String,
        /// Its country (ISO 3166-1 alpha-2).
        #[arg(long)]
        country: String,
        /// The administrator's user name.
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Create one organisation and user per role and print their API tokens as JSON
    /// (`{"role": token}`), valid 30 days.
    Seed {
        #[command(flatten)]
        at: Authority,
    },
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// List what was added, amended or withdrawn after --from up to and including --to.
    Diff {
        /// Start (exclusive), YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        from: law::NaiveDate,
        /// End (inclusive), YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        to: law::NaiveDate,
        /// `json` (JSON Lines) or `table`.
        #[arg(long, value_enum, default_value = "table")]
        format: ClassifyFormat,
    },
    /// Validate a changes file against the catalogue without using it.
    Check {
        /// The changes CSV.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    catalogue_cmd::set_limits(cli.limits.limits());
    let changes = cli.changes.clone();
    let result = match cli.command {
        Command::Classify {
            jurisdiction,
            format,
            date,
            inputs,
        } => classify_cmd::run(
            changes.as_deref(),
            date.unwrap_or_else(today),
            match jurisdiction {
                JurisdictionArg::Cn => law::Jurisdictions::Cn,
                JurisdictionArg::Us => law::Jurisdictions::Us,
                JurisdictionArg::All => law::Jurisdictions::All,
            },
            format == ClassifyFormat::Json,
            inputs,
        ),
        Command::ScanText {
            format,
            date,
            files,
        } => scan_text_cmd::run(
            changes.as_deref(),
            date.unwrap_or_else(today),
            format == ClassifyFormat::Json,
            files,
        ),
        Command::ExportCheck {
            substance,
            destination,
            quantity,
            date,
            mixture,
            from,
            format,
        } => export_cmd::run(export_cmd::ExportArgs {
            changes: changes.clone(),
            substance,
            destination,
            quantity,
            date: date.unwrap_or_else(today),
            mixture,
            from,
            json: format == ClassifyFormat::Json,
        }),
        Command::Serve {
            at,
            listen,
            checkpoints,
            checkpoint_every,
            log_format,
            tls_cert,
            tls_key,
            trust_proxy,
            public_url,
            print_font,
            print_font_face,
        } => serve_cmd::serve(
            changes.as_deref(),
            &at.db,
            &serve_cmd::Listen {
                address: listen,
                tls: tls_cert.zip(tls_key),
                trust_proxy,
                public_url,
                print_font: print_font.map(|p| (p, print_font_face)),
            },
            &at.key,
            serve_cmd::Publish {
                file: match checkpoints {
                    Some(f) if f.as_os_str() == "none" => None,
                    Some(f) => Some(f),
                    None => Some(at.key.with_file_name("fentguard-checkpoints.jsonl")),
                },
                every_s: checkpoint_every,
            },
            log_format,
        ),
        Command::Admin(AdminCommand::Backup { at, to }) => backup_cmd::backup(&at.db, &at.key, &to),
        Command::Admin(AdminCommand::Restore { at, from }) => {
            backup_cmd::restore(&from, &at.db, &at.key)
        }
        Command::Demo(DemoCommand::Seed { at }) => serve_cmd::demo_seed(&at.db, &at.key),
        Command::Admin(AdminCommand::Init {
            at,
            org_id,
            org_name,
            country,
            username,
        }) => serve_cmd::admin_init(&at.db, &at.key, &org_id, &org_name, &country, &username),
        Command::Admin(AdminCommand::RotateKey { at }) => serve_cmd::rotate_key(&at.db, &at.key),
        Command::Audit(AuditCommand::Verify { at, checkpoints }) => {
            serve_cmd::audit_verify(&at.db, &at.key, &checkpoints)
        }
        Command::Audit(AuditCommand::Checkpoint { at }) => {
            serve_cmd::audit_checkpoint(&at.db, &at.key)
        }
        Command::Audit(AuditCommand::Seal { at }) => serve_cmd::audit_seal(&at.db, &at.key),
        Command::Catalogue(CatalogueCommand::Diff { from, to, format }) => {
            catalogue_cmd::diff(changes.as_deref(), from, to, format == ClassifyFormat::Json)
        }
        Command::Catalogue(CatalogueCommand::Check { file }) => catalogue_cmd::check(&file),
        Command::VerifyPermit { public_key, text } => permit_cmd::verify(&public_key, text),
        Command::Screen {
            file,
            threads,
            out,
            format,
            date,
            smiles_column,
            quiet,
        } => screen_cmd::run(screen_cmd::ScreenArgs {
            changes: changes.clone(),
            date: date.unwrap_or_else(today),
            file,
            threads,
            out,
            format: match format {
                ScreenFormat::Json => screen_cmd::Format::Json,
                ScreenFormat::Csv => screen_cmd::Format::Csv,
                ScreenFormat::Table => screen_cmd::Format::Table,
            },
            smiles_column,
            quiet,
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`| head`) is the reader's choice, not an error to report.
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("fentguard: {e:#}");
            ExitCode::from(2)
        }
    }
}
