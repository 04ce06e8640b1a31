"""`FileExchange`: record files in a folder shared with another system, local or remote.

One resource serves every file role (WMS stock files in, order files out, ERP exports, ...) by
configuration. The folder is any fsspec URL: `file:///srv/wms`, `sftp://user@host/exchange` (needs
paramiko), `s3://bucket/wms` (needs s3fs), `gcs://...` (needs gcsfs), `memory://...` in tests.

Layout under the folder, each subfolder name configurable:

    incoming/     files the other side delivers; `claim()` takes them from here
    processing/   files claimed by a run: `<claim id>__<name>`
    archive/      `<YYYY-MM-DD>/<name>` (UTC day) once `done()`
    failed/       `<name>` and `<name>.error.txt` (the reason) once `failed()` or unreadable
    outgoing/     files we deliver with `write_records()`

Moving a file out of incoming is what claims it: when two readers race, one move succeeds and the
other finds the file gone and skips it. That holds where a rename is atomic (local disks, SFTP
servers on POSIX systems). Object stores have no rename: fsspec copies and then deletes, so two
readers of one bucket folder could both copy a file; give such a folder a single reader (one
sensor or a Dagster concurrency limit).
"""

import logging
import posixpath
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import fsspec
from dagster import ConfigurableResource, InitResourceContext
from fsspec import AbstractFileSystem
from pydantic import Field, PrivateAttr

from centra_pipelines.connectors.formats import (
    FormatOptions,
    MalformedFile,
    Record,
    check_options,
    parse_records,
    serialize_records,
)

logger = logging.getLogger(__name__)

# Names a partner's own upload tools give half-written files, and our temporary names
# (".<name>.tmp-<uuid>"); a reader must never claim these.
DEFAULT_IGNORE_PATTERNS = (".*", "*.tmp", "*.part", "*.filepart", "*~")

# "<claim id>__<original name>" in processing/; the id starts with the UTC claim time, so
# `recover(older_than=...)` can tell an abandoned claim from one still being worked on.
_CLAIM_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_CLAIMED_NAME = re.compile(r"^(?P<claim_id>(?P<time>\d{8}T\d{6}Z)-[0-9a-f]{8})__(?P<name>.+)$")

# Storage option keys whose values are never put in a message.
_SECRET_KEY = re.compile(r"pass|secret|token|key|credential", re.IGNORECASE)

ERROR_SIDECAR_SUFFIX = ".error.txt"


class FileExchangeError(Exception):
    """A file exchange operation failed; the message names the folder and what to do."""


class FileExchangeConfigError(FileExchangeError, ValueError):
    """The configuration cannot work (unknown format, protocol or encoding, bad names)."""


class FileExchangeUnavailable(FileExchangeError, OSError):
    """The folder cannot be reached or used: missing, refused credentials, no connection."""


@dataclass(frozen=True)
class ClaimedFile:
    """A file taken from incoming for one run, with its records.

    Pass it to `FileExchange.done()` or `FileExchange.failed()` when its records are handled.
    """

    name: str
    """The file's name as delivered in incoming (each record came from this file)."""
    claim_id: str
    """Unique per claim; it prefixes the file's name in processing and appears in the logs."""
    path: str
    """Where the file lies while claimed (in processing), as the filesystem names it."""
    claimed_at: datetime
    records: list[Record]


@dataclass
class _Connection:
    fs: AbstractFileSystem
    root: str


class FileExchange(ConfigurableResource):
    """Files of records exchanged with another system through a folder, local or remote.

    Reads: `claim()` yields each new file of `incoming` once, with its records; the caller then
    calls `done()` or `failed()`. `recover()` returns files that a crashed run left claimed.
    Writes: `write_records()` puts a whole file in `outgoing` atomically. See docs/connectors.md.
    """

    url: str = Field(
        description="Folder URL: file:///path, sftp://user@host[:port]/path, s3://bucket/path, "
        "memory://name. Never put a password in it; use `credential`."
    )
    storage_options: dict[str, Any] = Field(
        default_factory=dict,
        repr=False,
        description="Options of the fsspec filesystem (e.g. username, port, key_filename for "
        "SFTP; endpoint_url for S3). Never logged.",
    )
    credential: str | None = Field(
        default=None,
        repr=False,
        description="The secret (use an EnvVar), passed as the storage option `credential_option`.",
    )
    credential_option: str = Field(
        default="password",
        description="Storage option that receives `credential`: password (SFTP), secret (S3), "
        "token (GCS).",
    )
    incoming_folder: str = Field(default="incoming", description="Where the other side delivers.")
    processing_folder: str = Field(default="processing", description="Files claimed by a run.")
    archive_folder: str = Field(default="archive", description="Handled files, by UTC day.")
    failed_folder: str = Field(default="failed", description="Files that failed, with reasons.")
    outgoing_folder: str = Field(default="outgoing", description="Where our files are written.")
    file_format: str = Field(default="csv", description="csv, json or xml.")
    encoding: str = Field(default="utf-8", description="Text encoding of the files.")
    csv_delimiter: str = Field(default=",", description="Field separator of CSV files.")
    json_lines: bool = Field(
        default=False, description="JSON files hold one object per line instead of an array."
    )
    xml_root_element: str = Field(default="records", description="Root element of XML files.")
    xml_record_element: str = Field(default="record", description="Element of one XML record.")
    empty_as_none: bool = Field(
        default=True, description="Read empty CSV and XML fields as None rather than ''."
    )
    filename_pattern: str = Field(
        default="*", description="Glob that names files `claim()` takes, e.g. 'stock_*.csv'."
    )
    ignore_patterns: list[str] = Field(
        default=list(DEFAULT_IGNORE_PATTERNS),
        description="Globs of names never claimed: hidden and half-uploaded files.",
    )
    create_missing_folders: bool = Field(
        default=False,
        description="Create the folder and its subfolders instead of failing when they are "
        "missing. Needed on object stores, where a folder exists only once it holds a file.",
    )

    # Injectable for tests, so archive days and claim ages do not depend on the wall clock.
    _now: Callable[[], datetime] = PrivateAttr(default=partial(datetime.now, UTC))
    _connection: _Connection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Check the configuration and reach the folder when a run starts, not at first use."""
        self._ready()

    @property
    def display_url(self) -> str:
        """The folder URL with any password removed, for logs and messages."""
        return _without_password(self.url)

    @property
    def filesystem(self) -> AbstractFileSystem:
        """The fsspec filesystem behind the folder, for checks and tests."""
        return self._ready().fs

    def folder_path(self, subfolder: str) -> str:
        """A subfolder's path as the filesystem names it (e.g. `/srv/wms/incoming`)."""
        return posixpath.join(self._ready().root, _checked_relative(subfolder, "subfolder"))

    def claim(
        self,
        *,
        pattern: str | None = None,
        limit: int | None = None,
        unreadable: list[tuple[str, str]] | None = None,
    ) -> Iterator[ClaimedFile]:
        """Claim the files waiting in incoming, one at a time as the caller iterates.

        Each file is moved to processing before it is read, so no other reader gets it, and a
        file the caller never reaches stays in incoming. A file that cannot be parsed goes to
        failed (with the parse error and line in `<name>.error.txt`) and is not yielded.

        Args:
            pattern: glob of names to take; `filename_pattern` by default.
            limit: take at most this many files (the rest wait for the next run).
            unreadable: a list to which each file moved to failed is added as (name, reason),
                so the caller can report it.

        Yields:
            A `ClaimedFile` per readable file, in name order. Call `done()` or `failed()`
            on each; one left unanswered stays in processing until `recover()`.
        """
        connection = self._ready()
        incoming = self.folder_path(self.incoming_folder)
        names = self._waiting_names(connection, incoming, pattern or self.filename_pattern)
        if not names:
            logger.info("no files waiting in %s/%s", self.display_url, self.incoming_folder)
            return

        logger.info(
            "%d files waiting in %s/%s; claiming %s",
            len(names),
            self.display_url,
            self.incoming_folder,
            "all" if limit is None else f"up to {limit}",
        )
        yielded = 0
        for name in names[:limit]:
            claimed = self._claim_one(connection, incoming, name, unreadable)
            if claimed is not None:
                yielded += 1
                yield claimed

        logger.info(
            "claimed %d readable files of %d listed in %s/%s (unreadable ones went to %s)",
            yielded,
            len(names[:limit]),
            self.display_url,
            self.incoming_folder,
            self.failed_folder,
        )

    def done(self, claimed: ClaimedFile) -> str:
        """Archive a handled file under `archive/<UTC day>/`, keeping any file of the same name.

        Returns:
            The file's path in the archive.
        """
        day = self._now().astimezone(UTC).date().isoformat()
        folder = self.folder_path(posixpath.join(self.archive_folder, day))
        target = self._move_claimed(claimed, folder)

        logger.info("archived %s (claim %s) as %s", claimed.name, claimed.claim_id, target)
        return target

    def failed(self, claimed: ClaimedFile, reason: str) -> str:
        """Move a file whose records could not be handled to failed, with the reason beside it.

        Args:
            claimed: the file, as `claim()` yielded it.
            reason: what went wrong and, ideally, what to do; written to `<name>.error.txt`.
                Name records and fields, not customer data: operators and partners read it.

        Returns:
            The file's path in failed.
        """
        target = self._move_claimed(claimed, self.folder_path(self.failed_folder))
        self._write_sidecar(target, claimed.name, claimed.claim_id, reason)

        logger.warning(
            "moved %s (claim %s) to %s: %s", claimed.name, claimed.claim_id, target, reason
        )
        return target

    def recover(self, *, older_than: timedelta | None = None) -> list[str]:
        """Move files left in processing by a run that died back to incoming.

        Call it at the start of a run that reads this folder, before `claim()`, when no other
        run is processing files of the same folder; with `older_than`, only claims older than
        that are taken back, which is safe while other readers run as long as none takes that
        long over a file.

        Returns:
            The original names of the recovered files.
        """
        connection = self._ready()
        processing = self.folder_path(self.processing_folder)
        incoming = self.folder_path(self.incoming_folder)
        now = self._now()

        recovered = []
        for path in self._files_in(connection, processing):
            match = _CLAIMED_NAME.match(posixpath.basename(path))
            if match is None:
                logger.warning("left %s in processing: it was not put there by a claim", path)
                continue
            claimed_at = datetime.strptime(match["time"], _CLAIM_TIME_FORMAT).replace(tzinfo=UTC)
            if older_than is not None and now - claimed_at < older_than:
                continue

            target = self._free_path(connection, incoming, match["name"], match["claim_id"])
            connection.fs.mv(path, target)
            recovered.append(match["name"])

        if recovered:
            logger.warning(
                "recovered %d files left in %s/%s by an interrupted run: %s",
                len(recovered),
                self.display_url,
                self.processing_folder,
                ", ".join(recovered),
            )
        return recovered

    def write_records(
        self,
        name: str,
        records: Iterable[Mapping[str, str | None]],
        *,
        subfolder: str | None = None,
        overwrite: bool = False,
    ) -> str:
        """Write records as one file, atomically, in outgoing (or `subfolder`).

        The file is written under a hidden temporary name in the target folder and then renamed,
        so a reader never sees half a file: on local disks and SFTP servers the rename is atomic.
        On object stores fsspec copies the finished temporary object and deletes it; an object
        only becomes visible once complete, so readers still never see part of one.

        Args:
            name: the file name, e.g. `orders_20261101.csv`; no folders.
            records: field name to text (or None); every field name must be a string.
            subfolder: a folder under the exchange folder instead of outgoing.
            overwrite: replace an existing file of that name instead of refusing.

        Returns:
            The final path of the file, as the filesystem names it.

        Raises:
            RecordError: a record has a field name or value the format cannot carry; the
                message names the record and the field. Nothing is written.
            FileExchangeError: the file exists and `overwrite` is off.
        """
        connection = self._ready()
        _checked_name(name)
        folder = self.folder_path(subfolder or self.outgoing_folder)
        target = posixpath.join(folder, name)
        if not overwrite and connection.fs.exists(target):
            raise FileExchangeError(
                f"{target} already exists in {self.display_url}: the other side may not have "
                "read it yet; write under another name or pass overwrite=True"
            )

        content = serialize_records(records, self._format_options())
        self._write_atomically(connection, target, content)

        logger.info("wrote %s (%d bytes) to %s", name, len(content), self.display_url)
        return target

    def _format_options(self) -> FormatOptions:
        return FormatOptions(
            file_format=self.file_format,
            encoding=self.encoding,
            csv_delimiter=self.csv_delimiter,
            json_lines=self.json_lines,
            xml_root_element=self.xml_root_element,
            xml_record_element=self.xml_record_element,
            empty_as_none=self.empty_as_none,
        )

    def _ready(self) -> _Connection:
        if self._connection is None:
            self._check_config()
            connection = self._connect()
            self._check_folders(connection)
            self._connection = connection
        return self._connection

    def _check_config(self) -> None:
        try:
            check_options(self._format_options())
            for folder in (
                self.incoming_folder,
                self.processing_folder,
                self.archive_folder,
                self.failed_folder,
                self.outgoing_folder,
            ):
                _checked_relative(folder, "folder name")
        except ValueError as error:
            raise FileExchangeConfigError(f"file exchange {self.display_url}: {error}") from None

        if urlsplit(self.url).password:
            raise FileExchangeConfigError(
                f"file exchange {self.display_url}: the URL holds a password; move it to "
                "`credential` (an EnvVar) so that it is never logged"
            )

    def _connect(self) -> _Connection:
        options = dict(self.storage_options)
        if self.credential is not None:
            options[self.credential_option] = self.credential

        try:
            fs, root = fsspec.core.url_to_fs(self.url, **options)
        except ImportError as error:
            raise FileExchangeConfigError(
                f"file exchange {self.display_url}: {error} (the filesystem's optional package "
                "is not installed)"
            ) from None
        except ValueError as error:
            raise FileExchangeConfigError(
                f"file exchange {self.display_url}: {self._scrubbed(error)}; check the URL's "
                "protocol (file, sftp, s3, gcs, memory)"
            ) from None
        except Exception as error:
            raise self._unavailable("cannot connect", error) from None
        return _Connection(fs=fs, root=root.rstrip("/") or "/")

    def _check_folders(self, connection: _Connection) -> None:
        folders = [
            connection.root,
            *(
                posixpath.join(connection.root, name)
                for name in (self.incoming_folder, self.processing_folder, self.failed_folder)
            ),
        ]
        try:
            if self.create_missing_folders:
                for folder in folders:
                    connection.fs.makedirs(folder, exist_ok=True)
            elif not connection.fs.isdir(connection.root):
                raise FileExchangeUnavailable(
                    f"folder {self.display_url} does not exist (or this account cannot see it): "
                    "create it, fix `url`, or set create_missing_folders"
                )
        except FileExchangeError:
            raise
        except Exception as error:
            raise self._unavailable("cannot open", error) from None

    def _unavailable(self, action: str, error: Exception) -> FileExchangeUnavailable:
        return FileExchangeUnavailable(
            f"{action} folder {self.display_url}: {type(error).__name__}: {self._scrubbed(error)}; "
            "check the host, the credentials and storage_options"
        )

    def _scrubbed(self, error: Exception) -> str:
        # Library messages sometimes echo their arguments; keep secrets out of ours.
        message = str(error)
        secrets = [
            str(value)
            for key, value in self.storage_options.items()
            if _SECRET_KEY.search(key) and value
        ]
        if self.credential:
            secrets.append(self.credential)
        for secret in secrets:
            message = message.replace(secret, "***")
        return message

    def _waiting_names(self, connection: _Connection, folder: str, pattern: str) -> list[str]:
        try:
            paths = self._files_in(connection, folder)
        except FileNotFoundError:
            raise FileExchangeUnavailable(
                f"{folder} does not exist in {self.display_url}: create it, set incoming_folder, "
                "or set create_missing_folders"
            ) from None

        names = (posixpath.basename(path) for path in paths)
        return sorted(
            name
            for name in names
            if fnmatchcase(name, pattern)
            and not any(fnmatchcase(name, ignored) for ignored in self.ignore_patterns)
        )

    @staticmethod
    def _files_in(connection: _Connection, folder: str) -> list[str]:
        # Object store filesystems cache listings; a file that arrived since must show up.
        connection.fs.invalidate_cache(folder)
        entries = connection.fs.ls(folder, detail=True)
        return [entry["name"].rstrip("/") for entry in entries if entry["type"] == "file"]

    def _claim_one(
        self,
        connection: _Connection,
        incoming: str,
        name: str,
        unreadable: list[tuple[str, str]] | None,
    ) -> ClaimedFile | None:
        claimed_at = self._now().astimezone(UTC).replace(microsecond=0)
        claim_id = f"{claimed_at.strftime(_CLAIM_TIME_FORMAT)}-{uuid.uuid4().hex[:8]}"
        processing = self.folder_path(self.processing_folder)
        path = posixpath.join(processing, f"{claim_id}__{name}")

        connection.fs.makedirs(processing, exist_ok=True)
        try:
            connection.fs.mv(posixpath.join(incoming, name), path)
        except FileNotFoundError:
            logger.info("skipped %s: another reader claimed it first", name)
            return None

        claimed = ClaimedFile(name, claim_id, path, claimed_at, records=[])
        try:
            records = parse_records(connection.fs.cat_file(path), self._format_options())
        except MalformedFile as error:
            reason = f"cannot read as {self._format_description()}: {error}"
            self.failed(claimed, reason)
            if unreadable is not None:
                unreadable.append((name, reason))
            return None

        if not records:
            logger.warning("%s (claim %s) holds no records", name, claim_id)
        logger.info("claimed %s (claim %s): %d records", name, claim_id, len(records))
        return ClaimedFile(name, claim_id, path, claimed_at, records)

    def _format_description(self) -> str:
        if self.file_format == "json" and self.json_lines:
            return "JSON Lines"
        return self.file_format.upper()

    def _move_claimed(self, claimed: ClaimedFile, folder: str) -> str:
        connection = self._ready()
        target = self._free_path(connection, folder, claimed.name, claimed.claim_id)

        connection.fs.makedirs(folder, exist_ok=True)
        try:
            connection.fs.mv(claimed.path, target)
        except FileNotFoundError:
            raise FileExchangeError(
                f"{claimed.name} (claim {claimed.claim_id}) is no longer in {claimed.path}: "
                "was recover() run while this run still held it, or was it answered twice?"
            ) from None
        return target

    @staticmethod
    def _free_path(connection: _Connection, folder: str, name: str, claim_id: str) -> str:
        """`folder/name`, or `folder/<stem>.<claim id><ext>` when that name is taken."""
        path = posixpath.join(folder, name)
        if not connection.fs.exists(path):
            return path
        stem, extension = posixpath.splitext(name)
        return posixpath.join(folder, f"{stem}.{claim_id}{extension}")

    def _write_sidecar(self, target: str, name: str, claim_id: str, reason: str) -> None:
        text = (
            f"{reason}\n\n"
            f"file: {name}\n"
            f"claim: {claim_id}\n"
            f"failed at: {self._now().astimezone(UTC).isoformat()}\n"
        )
        self._write_atomically(self._ready(), target + ERROR_SIDECAR_SUFFIX, text.encode("utf-8"))

    @staticmethod
    def _write_atomically(connection: _Connection, target: str, content: bytes) -> None:
        folder, name = posixpath.split(target)
        temporary = posixpath.join(folder, f".{name}.tmp-{uuid.uuid4().hex}")

        connection.fs.makedirs(folder, exist_ok=True)
        try:
            with connection.fs.open(temporary, "wb") as file:
                file.write(content)
            connection.fs.mv(temporary, target)
        except BaseException:
            # A half-written temporary file is hidden from readers, but would pile up.
            if connection.fs.exists(temporary):
                connection.fs.rm(temporary)
            raise


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _checked_relative(path: str, what: str) -> str:
    """A relative folder path that stays inside the exchange folder."""
    parts = path.split("/")
    if not path or path.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"{what} {path!r} must be a relative path without '.', '..' or '//'")
    return path


def _checked_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith(".") or name != name.strip():
        raise FileExchangeError(
            f"file name {name!r} must be a plain name: no folders, not hidden, no outer spaces"
        )
