//! The `fentguard` binary: argument parsing and wiring only; the work is in `chem` and
//! `law`.

mod classify_cmd;
mod records;
mod screen_cmd;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "fentguard",
    version,
    about = "Control platform for fentanyl-related substances and their precursors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
}

#[derive(Subcommand)]
enum Command {
    /// Is this chemical controlled, where and why? Each INPUT (or each line of standard
    /// input) is a SMILES optionally followed by a name, a CAS number, or a name.
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
        /// Format of the hits.
        #[arg(long, value_enum, default_value = "json")]
        format: ScreenFormat,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Classify {
            jurisdiction,
            format,
            date,
            inputs,
        } => classify_cmd::run(
            date.unwrap_or_else(today),
            match jurisdiction {
                JurisdictionArg::Cn => law::Jurisdictions::Cn,
                JurisdictionArg::Us => law::Jurisdictions::Us,
                JurisdictionArg::All => law::Jurisdictions::All,
            },
            format == ClassifyFormat::Json,
            inputs,
        ),
        Command::Screen {
            file,
            threads,
            out,
            format,
            smiles_column,
            quiet,
        } => screen_cmd::run(screen_cmd::ScreenArgs {
            date: today(),
            file,
            threads,
            out,
            csv: format == ScreenFormat::Csv,
            smiles_column,
            quiet,
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fentguard: {e:#}");
            ExitCode::from(2)
        }
    }
}
