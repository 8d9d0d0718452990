# The two commands of the README:
#   make run    set up .venv and run Momentum Lab
#   make test   set up .venv and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-x bench screenshots clean FORCE

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

# The pictures of the README and the tutorial, made by the screenshot mode (works without a
# display): the window and lecture mode at three sizes, a compare, a lesson, and the tutorial's.
SHOT := QT_QPA_PLATFORM=offscreen $(BIN)/momentum-lab gui
SIZES := 1280x720 1600x1000 1920x1080
IMAGES := docs/images
PICTURES := $(foreach size,$(SIZES),$(IMAGES)/window-$(size).png $(IMAGES)/lecture-$(size).png) \
	$(IMAGES)/compare-1600x1000.png $(IMAGES)/lesson-1600x1000.png \
	$(addprefix $(IMAGES)/tutorial-,first-run.png compare.png heatmap-fading.png divergence.png sweep.png)

screenshots: $(PICTURES)

# (FORCE: made again at every call, as the window they show changes.)
$(IMAGES)/window-%.png: $(STAMP) FORCE
	$(SHOT) --size $* --epochs 60 --screenshot $@
$(IMAGES)/lecture-%.png: $(STAMP) FORCE
	$(SHOT) --size $* --lesson momentum-early --lecture --screenshot $@
$(IMAGES)/compare-%.png: $(STAMP) FORCE
	$(SHOT) --size $* --epochs 40 --momentum 0.9 --compare classical --compare nesterov --screenshot $@
$(IMAGES)/lesson-%.png: $(STAMP) FORCE
	$(SHOT) --size $* --lesson lookback-vs-classical --screenshot $@

# The tutorial's, as docs/tutorial.md describes each.
$(IMAGES)/tutorial-first-run.png: $(STAMP) FORCE
	$(SHOT) --size 1400x860 --epochs 40 --screenshot $@
$(IMAGES)/tutorial-compare.png: $(STAMP) FORCE
	$(SHOT) --size 1400x860 --epochs 30 --momentum 0.9 --compare classical --screenshot $@
$(IMAGES)/tutorial-heatmap-fading.png: $(STAMP) FORCE
	$(SHOT) --size 1400x860 --lesson adaptive-steps --epochs 12 --screenshot $@
$(IMAGES)/tutorial-divergence.png: $(STAMP) FORCE
	$(SHOT) --size 1600x1000 --lesson divergence-stability-map --screenshot $@
$(IMAGES)/tutorial-sweep.png: $(STAMP) FORCE
	table=$$(mktemp -d) && $(BIN)/momentum-lab sweep --activation relu --rule lookback --lr 0.001:3:20 \
	    --momentum 0:0.95:20 --epochs 100 --target-loss 0.1 --out $$table/sweep.csv --png $@ -q; \
	    status=$$?; rm -rf $$table; exit $$status

FORCE:

clean:
	rm -rf $(VENV) build dist .pytest_cache

# The layout walk alone (tests/test_layout_walk*.py, part of `make test`): every widget and plot
# text of the window at three sizes, normal and lecture mode, and at 125 % and 150 % scale
# (tests/test_scaling.py).
walk: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m walk $(PYTEST_ARGS) tests/test_layout_walk.py tests/test_layout_walk_opened.py tests/test_scaling.py
