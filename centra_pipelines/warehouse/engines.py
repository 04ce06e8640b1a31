"""Which database holds the warehouse: a DuckDB file, or a PostgreSQL database.

Every query of the project is written in DuckDB's dialect. For PostgreSQL the warehouse still runs
them in DuckDB: an in-memory DuckDB loads the `postgres` extension, attaches the database as a
catalog and makes it the default, so every schema-qualified table lives in PostgreSQL while the
SQL stays as it is (docs/deployment.md, "The warehouse on PostgreSQL").

The extension comes from PyPI (`duckdb-extension-postgres-scanner`, the same version as duckdb)
and is loaded from the installed package's folder: DuckDB would otherwise download it, which a
production network may not allow.
"""

import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import duckdb

logger = logging.getLogger(__name__)

PATH_VARIABLE = "CENTRA_WAREHOUSE_PATH"
URL_VARIABLE = "CENTRA_WAREHOUSE_URL"

# The attached PostgreSQL database's name inside DuckDB; `USE` makes it the default catalog.
CATALOG = "centra_warehouse"
USE_CATALOG = f"USE {CATALOG}"

# The login lives in a DuckDB secret rather than in the ATTACH text, so that neither
# duckdb_databases() nor DuckDB's connection errors ever show the password.
_SECRET = "centra_warehouse_login"

EXTENSION_PACKAGE = "duckdb_extension_postgres_scanner"
EXTENSION_FILE = "postgres_scanner.duckdb_extension"

# `postgresql+psycopg2://` is accepted so that one URL form serves every PostgreSQL setting.
_SCHEMES = ("postgresql", "postgres")


class WarehouseConfigError(ValueError):
    """The settings name no usable warehouse, or one that would lose writes; says what to set."""


class WarehouseUnreachableError(RuntimeError):
    """The PostgreSQL warehouse could not be opened; the message says what to check."""


@dataclass(frozen=True)
class WarehouseLocation:
    """Where the warehouse is: a DuckDB file path, or a PostgreSQL URL (exactly one is set)."""

    file: str | None = None
    postgres_url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.postgres_url is not None


def locate(path: str | None, url: str | None) -> WarehouseLocation:
    """The warehouse the resource's fields name, else the one the environment names.

    A field set on the resource wins over the environment, so that a warehouse built in code for
    one file is never redirected by a variable meant for the deployment.
    """
    if path is not None and url is not None:
        raise WarehouseConfigError(
            "the warehouse has both a path and a url; give the DuckDB file path or the "
            "PostgreSQL url, not both"
        )
    if path is not None:
        return WarehouseLocation(file=path)
    if url is not None:
        return WarehouseLocation(postgres_url=_checked_url(url))

    file, database = os.environ.get(PATH_VARIABLE, ""), os.environ.get(URL_VARIABLE, "")
    if file.strip() and database.strip():
        raise WarehouseConfigError(
            f"both {PATH_VARIABLE} and {URL_VARIABLE} are set; unset {PATH_VARIABLE} to keep the "
            f"warehouse in PostgreSQL, or {URL_VARIABLE} to keep it in the DuckDB file"
        )
    if database.strip():
        return WarehouseLocation(postgres_url=_checked_url(database.strip()))
    # An empty path is refused where the file is opened, with the message that names the setting.
    return WarehouseLocation(file=file)


def open_postgres(url: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose default catalog is the PostgreSQL database at `url`.

    `USE` holds for this connection only: each cursor taken from it must run `USE_CATALOG`.
    """
    login, options = _libpq_parts(url)
    extension = extension_path()

    # Never fetch an extension from the network; the one this code needs is loaded from disk.
    connection = duckdb.connect(config={"autoinstall_known_extensions": False})
    try:
        connection.execute(f"LOAD '{_sql_text(str(extension))}'")
        settings = ", ".join(f"{name} {value}" for name, value in login.items())
        connection.execute(f"CREATE SECRET {_SECRET} (TYPE postgres, {settings})")
        connection.execute(
            f"ATTACH '{_sql_text(options)}' AS {CATALOG} (TYPE postgres, SECRET {_SECRET})"
        )
        connection.execute(USE_CATALOG)
    except duckdb.Error as error:
        connection.close()
        raise WarehouseUnreachableError(
            f"could not open the warehouse at {redacted(url)}: {_hidden(str(error), url)}. "
            f"Check that the server is reachable and that {URL_VARIABLE} names an existing "
            "database and a user allowed to create schemas in it"
        ) from error

    logger.info("opened the warehouse in PostgreSQL at %s", redacted(url))
    return connection


def check_postgres(url: str) -> None:
    """Refuse a malformed URL or a missing extension before a run fetches anything."""
    _libpq_parts(url)
    extension_path()


def extension_path() -> Path:
    """The `postgres` extension file for the installed duckdb, from its PyPI package."""
    wanted = f"v{duckdb.__version__}"
    spec = importlib.util.find_spec(EXTENSION_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WarehouseConfigError(
            f"the warehouse is set to PostgreSQL, but DuckDB's postgres extension is not "
            f"installed: pip install duckdb-extension-postgres-scanner=={duckdb.__version__}"
        )

    folders = [Path(location) / "extensions" for location in spec.submodule_search_locations]
    found = sorted(path for folder in folders for path in folder.glob(f"*/{EXTENSION_FILE}"))
    for path in found:
        if path.parent.name == wanted:
            return path
    versions = ", ".join(path.parent.name for path in found) or "none"
    raise WarehouseConfigError(
        f"DuckDB's postgres extension is installed for DuckDB {versions}, not for {wanted}: "
        f"pip install duckdb-extension-postgres-scanner=={duckdb.__version__}"
    )


def redacted(url: str) -> str:
    """The URL without its password, fit for logs and error messages.

    Masked on the text rather than on a parsed URL: an unencoded `#`, `?`, `/` or `@` in a
    password makes URL parsing split it elsewhere, and the error about that URL must not show it.
    Everything between the user name and the last `@` is the password.
    """
    credentials, at, host = url.rpartition("@")
    if not at:
        return url
    scheme, separator, login = credentials.rpartition("://")
    user = login.split(":", 1)[0]
    return f"{scheme}{separator}{user}:***@{host}"


def create_sequence(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """Create the sequence `schema.name` in whichever database the connection's default is.

    DuckDB cannot create a sequence inside an attached PostgreSQL database, so there the statement
    goes to PostgreSQL itself.
    """
    catalog = _postgres_catalog(connection)
    statement = f"CREATE SEQUENCE IF NOT EXISTS {name}"
    if catalog is None:
        connection.execute(statement)
    else:
        connection.execute("CALL postgres_execute(?, ?)", [catalog, statement])


def next_value(connection: duckdb.DuckDBPyConnection, name: str) -> int:
    """The next number of a sequence made by `create_sequence`."""
    catalog = _postgres_catalog(connection)
    if catalog is None:
        return connection.execute(f"SELECT nextval('{name}')").fetchone()[0]
    return connection.execute(
        "SELECT * FROM postgres_query(?, ?)", [catalog, f"SELECT nextval('{name}')"]
    ).fetchone()[0]


def forget_catalog(connection: duckdb.DuckDBPyConnection) -> None:
    """Drop DuckDB's cached view of PostgreSQL's tables after a rollback.

    DuckDB caches the tables and columns it has seen or created; PostgreSQL undoes a rolled-back
    CREATE TABLE or ADD COLUMN, but the cache keeps them, and the next write would skip creating
    them and fail on a missing table.
    """
    if _postgres_catalog(connection) is not None:
        connection.execute("CALL pg_clear_cache()")


def _postgres_catalog(connection: duckdb.DuckDBPyConnection) -> str | None:
    row = connection.execute(
        "SELECT database_name FROM duckdb_databases() "
        "WHERE database_name = current_database() AND type = 'postgres'"
    ).fetchone()
    return None if row is None else row[0]


def _hidden(text: str, url: str) -> str:
    """DuckDB's message with the password masked, should a message ever quote the login."""
    password = urlsplit(url).password
    if not password:
        return text
    for form in {unquote(password), password, _sql_text(unquote(password))}:
        text = text.replace(form, "***")
    return text


def _refuse_unencoded_password(url: str) -> None:
    """A password must be percent-encoded; unencoded, its `#`, `?`, `/` or `@` move the host."""
    credentials, at, _ = url.rpartition("@")
    login = credentials.partition("://")[2] if "://" in credentials else credentials
    password = login.partition(":")[2]
    if at and any(character in password for character in "#?/@"):
        raise WarehouseConfigError(
            f"the password in {URL_VARIABLE} holds one of # ? / @: percent-encode it (# as %23, "
            f"? as %3F, / as %2F, @ as %40), e.g. {redacted(url)!r} with the password encoded"
        )


def _checked_url(url: str) -> str:
    _libpq_parts(url)
    return url


def _libpq_parts(url: str) -> tuple[dict[str, str], str]:
    """The URL as a DuckDB secret's settings (the login) and libpq options (everything else)."""
    _refuse_unencoded_password(url)
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise WarehouseConfigError(
            f"{URL_VARIABLE} is not a valid URL ({error}): {redacted(url)!r}"
        ) from None
    scheme = parts.scheme.split("+", 1)[0].lower()
    database = unquote(parts.path.lstrip("/"))
    if scheme not in _SCHEMES or not database:
        raise WarehouseConfigError(
            f"{URL_VARIABLE} must look like postgresql://user:password@host:5432/database, "
            f"not {redacted(url)!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise WarehouseConfigError(f"the port in {redacted(url)!r} is not a number") from None

    login = {"DATABASE": _sql_literal(database)}
    if parts.hostname:
        login["HOST"] = _sql_literal(parts.hostname)
    if port is not None:
        login["PORT"] = str(port)
    if parts.username:
        login["USER"] = _sql_literal(unquote(parts.username))
    if parts.password is not None:
        login["PASSWORD"] = _sql_literal(unquote(parts.password))

    # Query parameters are libpq options (sslmode, connect_timeout, ...), passed on as they are.
    options = " ".join(
        f"{name}={_libpq_value(value)}"
        for name, value in parse_qsl(parts.query, strict_parsing=False)
    )
    return login, options


def _libpq_value(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _sql_literal(value: str) -> str:
    return f"'{_sql_text(value)}'"


def _sql_text(value: str) -> str:
    return value.replace("'", "''")
