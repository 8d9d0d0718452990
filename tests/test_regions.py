"""The decision regions (issue 12): a legend of the classes and of train / test markers that
covers no data, a choice of the two inputs shown, and a default pair that shows the signal."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from momentum_lab._qt.controller import RunConfig

from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)


def axb_csv(path, n: int = 300) -> str:
    """The class is sign(a*b); c, between them, is noise."""
    rng = np.random.default_rng(0)
    a, c, b = rng.uniform(-1, 1, (3, n))
    rows = [f"{a[i]:.4f},{c[i]:.4f},{b[i]:.4f},{'pos' if a[i] * b[i] > 0 else 'neg'}" for i in range(n)]
    path.write_text("a,c,b,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def drawn(w, qtbot, items: int = 0):
    """The window's decision regions, drawn (after ``items`` training steps) and laid out."""
    c = w.controller
    if items:
        c.step_items(items)
        qtbot.waitUntil(lambda: c.latest.step == items, timeout=TIMEOUT)
    r = w.regions
    r.refresh()
    qtbot.waitUntil(lambda: r.image.image is not None and r.legend.size().height() > 0
                    and r.legend.size().width() > 0, timeout=TIMEOUT)
    return r


def point_scene_positions(r) -> list[QPointF]:
    vb = r.plot.vb
    positions = []
    for scatter in (r.train_points, r.test_points):
        x, y = scatter.getData()
        positions += [vb.mapViewToScene(QPointF(float(px), float(py))) for px, py in zip(x, y)]
    return positions


def tinted_towards(pixel: np.ndarray, colours) -> int | None:
    """The class whose colour ``pixel`` is a mix of with white (None: white itself, or no class)."""
    away = 255.0 - pixel.astype(float)
    if away.max() < 3:
        return None
    for k, colour in enumerate(colours):
        full = 255.0 - np.array(colour.getRgb()[:3], dtype=float)
        s = away @ full / (full @ full)
        if np.abs(away - s * full).max() < 2.0:
            return k
    return None


def test_the_legend_names_every_class_in_the_regions_colour(qtbot, open_window):
    w = open_window()
    r = drawn(w, qtbot, items=600)
    names = list(w.controller.dataset.class_names)
    assert names == ["setosa", "versicolor", "virginica"]
    texts = [text for text, _, _ in r.legend.entries]
    assert texts[:3] == names and "train" in texts and "test" in texts
    image = r.image.image.reshape(-1, 3)
    tints = {tinted_towards(p, r.colours) for p in image[::7]}
    for k, name in enumerate(names):
        swatch = r.legend.swatch(name)
        assert swatch is not None and swatch.isVisible()
        assert swatch.brush().color().getRgb()[:3] == r.colours[k].getRgb()[:3]
        assert k in tints  # the regions of class k are drawn in that same colour
    assert tints <= {None, 0, 1, 2}


@pytest.mark.parametrize("data", ["iris", "blobs5", "axb"])
def test_the_legend_covers_no_data_point_and_fits_the_plot(qtbot, open_window, tmp_path, data):
    config = {"iris": RunConfig(), "blobs5": RunConfig(dataset="blobs", classes=5),
              "axb": RunConfig(dataset=axb_csv(tmp_path / "axb.csv"))}[data]
    w = open_window(config)
    r = drawn(w, qtbot)
    legend = r.legend.sceneBoundingRect()
    assert not legend.intersects(r.plot.vb.sceneBoundingRect())
    positions = point_scene_positions(r)
    assert positions and not any(legend.contains(p) for p in positions)
    # Fitted to the plot: every entry inside the legend, the legend no wider than the plot.
    assert legend.width() <= r.plot.sceneBoundingRect().width() + 1
    for mark, label in r.legend._items:
        for shape in (mark, label):
            if shape is not None:
                assert legend.adjusted(-1, -1, 1, 1).contains(shape.sceneBoundingRect())


def test_the_input_combos_list_the_features_and_redraw_at_once(qtbot, open_window):
    w = open_window()
    r = drawn(w, qtbot, items=300)
    features = list(w.controller.dataset.feature_names)
    for combo in (r.x_input, r.y_input):
        assert [combo.itemText(i) for i in range(combo.count())] == features
    assert r.pick == (2, 3) and r.x_input.currentText() == "petal_length" and r.y_input.currentText() == "petal_width"
    before = r.image.image.copy()
    before_x = r.train_points.getData()[0].copy()
    r.x_input.setCurrentIndex(0)
    assert r.pick == (0, 3)
    assert r.plot.getAxis("bottom").labelText == "sepal_length"
    assert r.plot.getAxis("left").labelText == "petal_width"
    assert not np.array_equal(r.image.image, before)
    np.testing.assert_allclose(r.train_points.getData()[0], w.controller.dataset.x_train[:, 0])
    assert not np.array_equal(r.train_points.getData()[0], before_x)
    after_x = r.image.image.copy()
    r.y_input.setCurrentIndex(1)
    assert r.pick == (0, 1) and r.plot.getAxis("left").labelText == "sepal_width"
    assert not np.array_equal(r.image.image, after_x)


def test_the_same_input_twice_is_swapped_or_refused(qtbot, open_window):
    w = open_window()
    r = drawn(w, qtbot)
    assert r.pick == (2, 3)
    r.x_input.setCurrentIndex(3)  # y's input: the two swap
    assert r.pick == (3, 2)
    assert (r.x_input.currentIndex(), r.y_input.currentIndex()) == (3, 2)
    assert r.plot.getAxis("bottom").labelText == "petal_width"
    assert r.plot.getAxis("left").labelText == "petal_length"
    r.y_input.setCurrentIndex(3)
    assert r.pick == (2, 3)
    with pytest.raises(ValueError):
        r.set_pick(1, 1)
    assert r.pick == (2, 3) and r.x_input.currentIndex() != r.y_input.currentIndex()


def test_the_pick_resets_when_the_data_set_changes(qtbot, open_window):
    w = open_window()
    r = drawn(w, qtbot)
    r.set_pick(0, 1)
    c = w.controller
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        w.panel.dataset.setCurrentText("xor")
        w.panel.dataset.activated.emit(w.panel.dataset.currentIndex())
    qtbot.waitUntil(lambda: c.dataset.name == "xor" and c.latest is not None, timeout=TIMEOUT)
    r.refresh()
    assert [r.x_input.itemText(i) for i in range(r.x_input.count())] == list(c.dataset.feature_names)
    assert r.pick == (0, 1) and r.x_input.currentIndex() == 0 and r.y_input.currentIndex() == 1
    assert [text for text, _, kind in r.legend.entries if kind == "class"] == list(c.dataset.class_names)


def test_on_an_a_times_b_csv_the_default_pick_is_a_and_b(qtbot, open_window, tmp_path):
    w = open_window(RunConfig(dataset=axb_csv(tmp_path / "axb.csv")))
    r = drawn(w, qtbot)
    d = w.controller.dataset
    assert list(d.feature_names) == ["a", "c", "b"]
    assert r.plane(d) == (0, 2)
    assert (r.x_input.currentText(), r.y_input.currentText()) == ("a", "b")
    assert r.plot.getAxis("bottom").labelText == "a" and r.plot.getAxis("left").labelText == "b"
