"""Tables on a stream with rich: colours on a terminal; plain, unwrapped text without trailing blanks otherwise."""
from __future__ import annotations

import io
from typing import TextIO

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table

_PLAIN_WIDTH = 1000  # wide enough that a table piped to grep or a file is never wrapped


def table(*columns: str, right: tuple[str, ...] = ()) -> Table:
    """A table with a bold header and a rule under it; the `right` columns are right-aligned (numbers)."""
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", pad_edge=False)
    for name in columns:
        t.add_column(name, justify="right" if name in right else "left")
    return t


def show(out: TextIO, *renderables: RenderableType) -> None:
    """Print to `out`: as rich does on a terminal, else as plain text (no colours, no wrapping, no padding)."""
    console = _console(out)
    if console.is_terminal:
        console.print(*renderables)
        return
    buffer = _Buffer(getattr(out, "encoding", None))
    Console(file=buffer, width=_PLAIN_WIDTH, force_terminal=False, color_system=None, markup=False, emoji=False,
            highlight=False).print(*renderables)
    for line in buffer.getvalue().splitlines():
        print(line.rstrip(), file=out)


def _console(file: TextIO) -> Console:
    # Text is shown as written: no [markup], :emoji: codes or highlighting of what admins typed.
    return Console(file=file, markup=False, emoji=False, highlight=False)


class _Buffer(io.StringIO):
    """Collects plain output; carries the real stream's encoding so rich picks ASCII lines where UTF-8 is not."""

    def __init__(self, encoding: str | None) -> None:
        super().__init__()
        self._encoding = encoding or "utf-8"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding
