//! Machine-readable output for CI (README "Running the suite from CI",
//! docs/json_schema.md): the `--json` switch of the report tools, the `--json-summary <file>`
//! option of the test tools, and how both are written.
//!
//! With `--json` the tool's one JSON document is the only thing on stdout; errors stay one
//! line on stderr. A summary file is written under a temporary name and renamed when
//! complete, so a CI job never collects half a file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::output_file::{write_output_file, OutputFileError};

/// `--json`: the report as one JSON document on stdout instead of text.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonArgs {
    /// Print the report as one JSON document (schema in docs/json_schema.md) instead of text.
    #[arg(long = "json")]
    pub json: bool,
}

impl JsonArgs {
    /// True with `--json`; stdout is then reserved for the document: the console messages
    /// of the VFIO layer (`Opening device ...`) go to stderr from now on.
    pub fn claim_stdout(&self) -> bool {
        if self.json {
            STDOUT_CLAIMED.store(true, Ordering::Relaxed);
        }
        self.json
    }
}

static STDOUT_CLAIMED: AtomicBool = AtomicBool::new(false);

/// Whether stdout holds a JSON document (see [`JsonArgs::claim_stdout`]).
pub fn stdout_is_claimed() -> bool {
    STDOUT_CLAIMED.load(Ordering::Relaxed)
}

/// `--json-summary <file>`: the verdicts and timing statistics as JSON in a file, the text
/// output unchanged.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonSummaryArgs {
    /// Also write the verdict, each test's verdict and the timing statistics as JSON to
    /// this file (schema in docs/json_schema.md).
    #[arg(long = "json-summary", alias = "json_summary", value_name = "FILE")]
    pub json_summary: Option<PathBuf>,
}

/// Writes `document` as pretty-printed JSON and a final newline.
pub fn write_json_document<T: Serialize + ?Sized>(
    out: &mut impl Write,
    document: &T,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, document)?;
    writeln!(out)?;
    out.flush()
}

/// Writes `document` as JSON to `path` atomically (see [`write_output_file`]).
pub fn write_json_file<T: Serialize + ?Sized>(
    path: &Path,
    document: &T,
) -> Result<(), OutputFileError> {
    let mut text = serde_json::to_vec_pretty(document).map_err(|e| OutputFileError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    text.push(b'\n');
    write_output_file(path, &text, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Doc {
        schema_version: u32,
        size_bytes: u64,
    }

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        json: JsonArgs,
        #[command(flatten)]
        summary: JsonSummaryArgs,
    }

    #[test]
    fn document_is_json_with_a_final_newline() {
        let mut out = Vec::new();
        let doc = Doc {
            schema_version: 1,
            size_bytes: 4096,
        };
        write_json_document(&mut out, &doc).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("}\n"), "{text}");
        assert_eq!(serde_json::from_str::<Doc>(&text).unwrap(), doc);
    }

    #[test]
    fn summary_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        std::fs::write(&path, "old").unwrap();
        let doc = Doc {
            schema_version: 1,
            size_bytes: 7,
        };
        write_json_file(&path, &doc).unwrap();
        let back: Doc = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back, doc);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn options_parse_with_both_spellings() {
        let cli = Cli::parse_from(["tool", "--json", "--json_summary", "s.json"]);
        assert!(cli.json.json);
        assert_eq!(cli.summary.json_summary, Some(PathBuf::from("s.json")));
        let cli = Cli::parse_from(["tool"]);
        assert!(!cli.json.json);
        assert_eq!(cli.summary.json_summary, None);
    }
}
