"""The window at a fractional scale (``QT_SCALE_FACTOR``, set before Qt starts: hence a process of
its own), walked for what is cut (``layout_walk.py``) and checked for blurred markers; run by
``test_scaling.py`` as ``python scaled_walk.py WxH MODE LAYOUT...``. Prints one JSON object:
the scale Qt applied, the findings (the known open ones left out), every scatter plot's markers
drawn at a device pixel ratio other than its view's (a marker drawn at 1 and scaled by 1.5 is
blurred) and how many scatter plots were looked at.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

import pyqtgraph as pg  # (after PySide6)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from layout_walk import known_open, walk  # noqa: E402

from momentum_lab._qt._app import ensure_app  # noqa: E402


def main(size: str, mode: str, layouts: list[str]) -> dict:
    app = ensure_app()
    from test_layout_walk import app_as_run_gui_styles_it

    app_as_run_gui_styles_it()
    from momentum_lab._qt.controller import RunConfig, RunController
    from momentum_lab._qt.window import MainWindow

    def wait(ready, seconds: float = 60) -> None:
        end = time.monotonic() + seconds
        while not ready():
            app.processEvents()
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting at {size} {mode}")

    width, height = map(int, size.split("x"))
    controller = RunController(RunConfig())
    window = MainWindow(controller)
    window.resize(width, height)
    window.show()
    wait(lambda: controller.latest is not None and not controller.busy)
    controller.set_speed(math.inf)
    controller.set_max_epochs(3)
    controller.start()
    wait(lambda: controller.state == "finished")
    window.set_lecture_mode(mode == "lecture")
    wait(lambda: window.views.layout == ("Lecture" if mode == "lecture" else "Explore"))
    found, blurred, checked = [], [], 0
    for layout in layouts:
        window.resize(width, height)
        window.apply_layout(layout)
        for name in ("network", "regions", "stability"):  # (the views that draw markers)
            window.views.show(name)
            for _ in range(2):
                QApplication.sendPostedEvents()
                window.refresh()
                window.grab()
            found += [f"{layout}, {name} in front: {f}" for f in map(str, walk(window)) if not known_open(f)]
            for view in window.findChildren(pg.GraphicsView):
                if not view.isVisible():
                    continue
                for item in view.scene().items():
                    if isinstance(item, pg.ScatterPlotItem) and item.isVisible() and len(item.data):
                        checked += 1
                        ratio = item.fragmentAtlas.devicePixelRatio()
                        if not math.isclose(ratio, view.devicePixelRatioF()):
                            blurred.append(f"{layout}, {name} in front: {type(view).__name__} markers drawn at "
                                           f"{ratio}, shown at {view.devicePixelRatioF()}")
    result = {"scale": window.devicePixelRatioF(), "found": sorted(set(found)), "blurred": sorted(set(blurred)),
              "markers": checked}
    window.close()
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3:])))
