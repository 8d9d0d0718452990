# The two commands of the README:
#   make run    set up .venv and run Momentum Lab
#   make test   set up .venv and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-x bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/momentum-lab $(ARGS)

# The suite offscreen, then the X smoke (tests/test_xcb.py: real key events through a real X
# server). Without Debian's xvfb its tests run offscreen only to skip, saying why (CI=true: fail).
XVFB_RUN := $(shell command -v xvfb-run)
XSERVER := $(if $(XVFB_RUN),xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb,env QT_QPA_PLATFORM=offscreen)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not xcb" $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-x

test-x: $(STAMP)
	$(XSERVER) $(BIN)/python -m pytest -m xcb tests/test_xcb.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_gui.py
	$(BIN)/python benchmarks/bench_sweep.py

# The README's pictures, made by the screenshot mode (works without a display).
SHOT := QT_QPA_PLATFORM=offscreen $(BIN)/momentum-lab gui --size 1400x860
screenshots: $(STAMP)
	mkdir -p docs/images
	$(SHOT) --epochs 60 --screenshot docs/images/window.png
	$(SHOT) --lesson lookback-vs-classical --screenshot docs/images/lesson.png
	$(SHOT) --lesson momentum-early --lecture --screenshot docs/images/lecture.png

clean:
	rm -rf $(VENV) build dist .pytest_cache
