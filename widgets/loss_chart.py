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
    DEFAULT_CSS = "LossChart { height: 1fr; min-height: 8; }"

    def __init__(self, kind: str = "loss", **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.metrics: list[dict] = []
        self._dirty = False

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REDRAW_SECONDS, self._redraw_if_needed)

    def show(self, metrics: list[dict]) -> None:
        self.metrics = metrics
        self._dirty = True

    def _redraw_if_needed(self) -> None:
        if not self._dirty or not self.display or not self.is_on_screen:
            return
        self._dirty = False
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"{self.kind} by step")
        for key, label in SERIES[self.kind]:
            points = [(m["step"], m[key]) for m in self.metrics if m.get(key) is not None]
            if not points:
                continue
            if len(points) > MAX_POINTS:
                stride = -(-len(points) // MAX_POINTS)
                points = points[::stride] + ([points[-1]] if (len(points) - 1) % stride else [])  # keep the latest
            steps, values = zip(*points)
            if key.startswith("full_"):
                plt.scatter(steps, values, label=label, marker="dot")
            else:
                plt.plot(steps, values, label=label, marker="braille")
        self.refresh()
