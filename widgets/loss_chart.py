"""Training curves drawn with plotext: loss (train, valid, full valid at epoch ends) or token accuracy.

Redraws are throttled: new metrics only mark the chart dirty, and a timer redraws at most twice a
second, and only while the chart is on screen."""

from __future__ import annotations

from textual_plotext import PlotextPlot

REDRAW_SECONDS = 0.5
MAX_POINTS = 400  # more than a terminal chart can show: long runs are thinned before plotting
SERIES = {
    "loss": (("train_loss", "train"), ("valid_loss", "valid"), ("full_valid_loss", "full valid")),
    "accuracy": (("train_mean_token_accuracy", "train"), ("valid_mean_token_accuracy", "valid"), ("full_valid_mean_token_accuracy", "full valid")),
}


class LossChart(PlotextPlot):
    # As tall as its tab leaves it: a chart drawn taller than that is cut off at the bottom,
    # where the latest (lowest) losses are. The tab says what is plotted: no title row.
    DEFAULT_CSS = "LossChart { height: 1fr; }"

    def __init__(self, kind: str = "loss", **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self._metrics: list[dict] = []  # the job's metrics as last shown; it only grows
        self._taken = 0  # how many of them are in `series`
        self.series: dict[str, tuple[list, list]] = {}  # metric key -> (steps, values)
        self._dirty = False

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REDRAW_SECONDS, self._redraw_if_needed)

    def show(self, metrics: list[dict]) -> None:
        """Plot `metrics` (oldest first). The same list grown since the last call costs only its
        new entries: a long run has tens of thousands."""
        if metrics is not self._metrics or len(metrics) < self._taken:
            self._metrics, self._taken = metrics, 0
            self.series = {key: ([], []) for key, _ in SERIES[self.kind]}
            self._dirty = True
        for m in metrics[self._taken :]:
            for key, (steps, values) in self.series.items():
                if m.get(key) is not None:
                    steps.append(m["step"])
                    values.append(m[key])
            self._dirty = True
        self._taken = len(metrics)

    def _redraw_if_needed(self) -> None:
        if not self._dirty or not self.display or not self.is_on_screen:
            return
        self._dirty = False
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        for key, label in SERIES[self.kind]:
            steps, values = self.series.get(key, ((), ()))
            if not steps:
                continue
            if len(steps) > MAX_POINTS:
                stride = -(-len(steps) // MAX_POINTS)
                last = (len(steps) - 1) % stride != 0  # keep the latest point
                steps, values = steps[::stride] + steps[-1:] * last, values[::stride] + values[-1:] * last
            if key.startswith("full_"):
                plt.scatter(steps, values, label=label, marker="dot")
            else:
                plt.plot(steps, values, label=label, marker="braille")
        self.refresh()
