"""Domain errors.  Each message says what is wrong and what to do next."""

from __future__ import annotations


class QAError(Exception):
    """Base class: the CLI prints these without a traceback; the API maps them to 4xx/503."""

    status_code = 400


class InvalidQuestionError(QAError, ValueError):
    """The question is empty, too long, or otherwise unusable."""

    status_code = 422


class InvalidDocumentError(QAError):
    """A corpus file cannot be read (not UTF-8, unreadable PDF, unsupported type)."""


class IndexMissingError(QAError):
    """No index has been built at the configured location."""

    status_code = 503


class IndexCorruptError(QAError):
    """The index exists but cannot be read back."""

    status_code = 503


class IndexMismatchError(QAError):
    """The index was built with another model, encoding or format version."""

    status_code = 503
