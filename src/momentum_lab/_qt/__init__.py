"""Everything that imports Qt lives under this package (the engine never does).

PySide6 is imported here, before any module of this package imports
pyqtgraph: pyqtgraph uses whichever Qt binding was imported first.
"""

import PySide6.QtCore  # noqa: F401
