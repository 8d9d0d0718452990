"""Run ▸ The article's own run in the window: it opens the article lesson, trains the article's
two runs as the program does, and the stability readout r measures its signal's curvature along
itself (it has no λ: no point on the map)."""

from __future__ import annotations

import article_reference as article
import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab._qt.actions import ARTICLE_LESSON
from momentum_lab.engine import find_lesson

from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)


@pytest.fixture(scope="module", autouse=True)
def article_kernel_ready(kernels_ready):  # noqa: F811 (the fixture imported above)
    """The 4-5-3 kernel compiled in the main thread before the window's worker needs it."""
    ml.replay(find_lesson(ARTICLE_LESSON).scenario, epochs=1)


def test_the_menu_command_opens_the_articles_run_and_it_matches_the_program(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    action = w.commands["article_run"]
    assert action in w.run_menu.actions() and action.text().replace("&", "") == "The article's own run"
    action.trigger()
    qtbot.waitUntil(lambda: not c.busy and c.latest is not None and c.config.loss == "article", timeout=TIMEOUT)
    lesson = find_lesson(ARTICLE_LESSON)
    assert c.start_config == lesson.scenario.config and w.lesson_dock.isVisible()
    assert [lane.momentum for lane in c.config.lanes] == [0.0, 0.75]
    c.set_speed(float("inf"))
    c.set_max_epochs(50)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "finished"):
        c.start()
    for lane, momentum in zip(c.lanes, (0.0, 0.75)):
        rows = lane.history.rows
        np.testing.assert_array_equal(rows[:, 0], np.arange(51))
        np.testing.assert_allclose(rows[1:, 1], [r[0] for r in article.run(momentum)], rtol=0, atol=1e-12)
    w._show_status()
    # The online readout needs no Hessian (the signal's curvature along itself): the article's
    # settings are well inside.
    assert w.status_labels["stability"].text().startswith("stable: r ")


def test_another_data_set_chosen_after_the_articles_run_drops_its_test_file(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    assert w.open_lesson(ARTICLE_LESSON)
    qtbot.waitUntil(lambda: not c.busy and c.config.test_data == "iris-article-test", timeout=TIMEOUT)
    assert c.apply(dataset="xor")  # (a generated set cannot go with a test file)
    qtbot.waitUntil(lambda: not c.busy and c.config.dataset == "xor", timeout=TIMEOUT)
    assert c.config.test_data is None and c.dataset.n_test > 0
