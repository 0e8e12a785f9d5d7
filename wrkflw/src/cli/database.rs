//! Which database the command works on (`--database`, else `WRKFLW_DATABASE`, else
//! `DATABASE_URL`), and opening it: an existing file only, never a new one.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::Failure;

/// Where the database's path came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Flag,
    WrkflwDatabase,
    DatabaseUrl,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Flag => "--database",
            Source::WrkflwDatabase => "WRKFLW_DATABASE",
            Source::DatabaseUrl => "DATABASE_URL",
        }
    }
}

/// The database's path: the flag's, else the first of the two variables that is set and not
/// empty. `env` reads a variable (the process's environment outside tests).
pub(crate) fn locate(
    flag: Option<&OsStr>,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<PathBuf, Failure> {
    let chosen = flag
        .map(|value| (value.to_owned(), Source::Flag))
        .or_else(|| {
            [Source::WrkflwDatabase, Source::DatabaseUrl]
                .into_iter()
                .find_map(|source| {
                    env(source.name())
                        .filter(|value| !value.is_empty())
                        .map(|value| (value, source))
                })
        });
    let Some((value, source)) = chosen else {
        return Err(Failure::NoDatabase);
    };
    path_of(&value).ok_or_else(|| Failure::DatabaseUrl {
        source: source.name(),
        value: value.to_string_lossy().into_owned(),
    })
}

/// A `sqlite:` URL's path (`sqlite:runs.db`, `sqlite://runs.db`, `sqlite:///srv/runs.db`,
/// percent-escapes decoded: `my%20runs.db` is `my runs.db`) or a plain path, taken as it is.
/// `None` for another scheme (`postgres://...`), an in-memory database, which would hold
/// nothing to migrate, and a URL with query parameters (`?mode=ro`): the command line
/// would not honour them, and must not write a database the URL says to only read.
fn path_of(value: &OsStr) -> Option<PathBuf> {
    let Some(text) = value.to_str() else {
        // Not UTF-8: not a URL, a path of the platform's own.
        return Some(PathBuf::from(value));
    };
    let path = match text.strip_prefix("sqlite:") {
        Some(rest) => {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            if rest.is_empty() || rest == ":memory:" || rest.contains('?') {
                return None;
            }
            percent_decoded(rest)?
        }
        // `postgres://...`, `mysql://...`: a URL of another database.
        None if text.contains("://") => return None,
        None => text.to_owned(),
    };
    Some(PathBuf::from(path))
}

/// `%XX` escapes of a URL's path as the bytes they stand for; `None` when one is malformed
/// or the result is not UTF-8.
fn percent_decoded(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Opens an existing database file for reading and writing (or reading only, when the file
/// is write-protected). A missing file is an error: creating an empty one would make a
/// mistyped path look like a database with nothing to migrate.
pub(crate) fn open(path: &Path) -> Result<Connection, Failure> {
    if !path.is_file() {
        return Err(Failure::DatabaseNotFound {
            path: path.to_owned(),
        });
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(path, flags).map_err(|source| Failure::Open {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_flag_comes_first_then_wrkflw_database_then_database_url() {
        let both = [("WRKFLW_DATABASE", "a.db"), ("DATABASE_URL", "sqlite:b.db")];
        let flag = OsStr::new("c.db");
        assert_eq!(locate(Some(flag), env(&both)).unwrap(), Path::new("c.db"));
        assert_eq!(locate(None, env(&both)).unwrap(), Path::new("a.db"));
        let url = [("WRKFLW_DATABASE", ""), ("DATABASE_URL", "sqlite:b.db")];
        assert_eq!(locate(None, env(&url)).unwrap(), Path::new("b.db"));
        assert!(matches!(locate(None, env(&[])), Err(Failure::NoDatabase)));
    }

    #[test]
    fn sqlite_urls_are_read_as_paths() {
        let path = |text: &str| path_of(OsStr::new(text));
        assert_eq!(path("sqlite:runs.db"), Some("runs.db".into()));
        assert_eq!(path("sqlite://runs.db"), Some("runs.db".into()));
        assert_eq!(path("sqlite:///srv/runs.db"), Some("/srv/runs.db".into()));
        assert_eq!(path("sqlite://runs.db?mode=ro"), None);
        assert_eq!(
            path("sqlite:///srv/my%20runs.db"),
            Some("/srv/my runs.db".into())
        );
        assert_eq!(path("sqlite:bad%2"), None);
        // A plain path is taken as it is, `%` included.
        assert_eq!(path("50%20off.db"), Some("50%20off.db".into()));
        assert_eq!(path("/srv/runs.db"), Some("/srv/runs.db".into()));
        assert_eq!(path("sqlite::memory:"), None);
        assert_eq!(path("postgres://localhost/app"), None);
    }
}
