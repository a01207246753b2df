"""The add-in runs against real xlwings Book objects of the remote engine (xw.Book(json=...)).

The remote engine needs a licence key when xlwings is imported; the non-commercial key is
meant for uses like this suite. If another test module imported xlwings first, the engine is
registered the way xlwings' own `__init__` does it.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import xlwings  # noqa: E402

if "remote" not in [engine.name for engine in xlwings.engines]:
    from xlwings.pro import _xlofficejs, _xlremote

    xlwings.engines.add(xlwings.Engine(impl=_xlremote.engine))
    xlwings.engines.add(xlwings.Engine(impl=_xlofficejs.engine))
    xlwings.__pro__ = True
