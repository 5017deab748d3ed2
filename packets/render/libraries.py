"""Importing WeasyPrint without the library search that costs a third of a second on Linux.

WeasyPrint loads Pango, HarfBuzz and fontconfig by trying several names for each, the
Windows and macOS ones first. Through cffi, every name that does not load sends ctypes'
`find_library` looking for it, which on Linux runs `ldconfig`, `gcc` and `ld` as
subprocesses (WeasyPrint issue #1125): about twenty lookups, 0.3 s of a one-organization
build on a slow machine, all of it before the first page. The names that work on Linux
are the sonames (`libpango-1.0.so.0`), which the dynamic loader finds by itself, so
during the import the search answers "not found" at once and WeasyPrint moves on to the
next name. Should some library be found only by the search (installed where only `gcc`
looks), the import is done again the usual way, so the shortcut can cost time but never
stop a build.
"""

from __future__ import annotations

import contextlib
import io
import sys


def import_weasyprint() -> None:
    """Import WeasyPrint's text libraries (the slow part of importing it), quickly where we can."""
    if "weasyprint.text.ffi" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint.text.ffi  # noqa: F401

        return
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = _not_found
    try:
        # WeasyPrint prints its installation advice before giving up on a library; that
        # advice is for the import done the usual way, below.
        with contextlib.redirect_stdout(io.StringIO()):
            import weasyprint.text.ffi  # noqa: F401
    except OSError:
        ctypes.util.find_library = search
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        import weasyprint.text.ffi  # noqa: F401
    finally:
        ctypes.util.find_library = search


def _not_found(name: str) -> None:
    return None
