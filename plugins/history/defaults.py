"""Defaults of the history, read by the command line's options without importing the store."""

#: Default retention of audits, in days (two school years and a bit: a rentrée can be
#: compared with the one before).
DEFAULT_RETENTION_DAYS = 800
#: File of the SQLite history in the data folder.
DB_NAME = "historique.sqlite"
