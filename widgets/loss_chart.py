"""Training curves drawn with plotext: loss (train, valid, full valid at epoch ends) or token accuracy.

Redraws are throttled: new metrics only mark the chart dirty, and a timer redraws at most twice a
second, and only while the chart is on screen."""

from __future__ import annotations

from textual.content import Content
from textual_plotext import PlotextPlot

REDRAW_SECONDS = 0.5
MAX_POINTS = 400  # more than a terminal chart can show: long runs are thinned before plotting
# metric key, legend label, colour (a name both plotext and Textual know)
SERIES = {
    "loss": (("train_loss", "train", "cyan"), ("valid_loss", "valid", "orange"), ("full_valid_loss", "full valid", "magenta")),
    "accuracy": (("train_mean_token_accuracy", "train", "cyan"), ("valid_mean_token_accuracy", "valid", "orange"),
                 ("full_valid_mean_token_accuracy", "full valid", "magenta")),
}
WAITING = "waiting for the first step"
STEP_TICKS = 5  # at most, on the step axis


def step_ticks(first: int, last: int) -> list[int]:
    """Whole steps spread over first..last: a step axis reading 16.2 or 31.5 names no step."""
    if last <= first:
        return [first]
    count = min(STEP_TICKS, last - first + 1)
    return sorted({round(first + i * (last - first) / (count - 1)) for i in range(count)})


class LossChart(PlotextPlot):
    # As tall as its tab leaves it: a chart drawn taller than that is cut off at the bottom,
    # where the latest (lowest) losses are. The legend sits in the top border, off the data.
    DEFAULT_CSS = "LossChart { height: 1fr; border-top: blank; border-title-align: right; }"

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
            self.series = {key: ([], []) for key, _, _ in SERIES[self.kind]}
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
        shown = [(key, label, colour) for key, label, colour in SERIES[self.kind] if self.series.get(key, ((), ()))[0]]
        self.border_title = Content.assemble(*(item for _, label, colour in shown for item in ((f"━ {label}", colour), "  "))).rstrip() \
            if shown else Content(WAITING)
        if shown:
            every_step = [step for key, _, _ in shown for step in self.series[key][0]]
            ticks = step_ticks(min(every_step), max(every_step))
            plt.xticks(ticks, [str(tick) for tick in ticks])
        for key, _, colour in shown:
            steps, values = self.series[key]
            if len(steps) > MAX_POINTS:
                stride = -(-len(steps) // MAX_POINTS)
                last = (len(steps) - 1) % stride != 0  # keep the latest point
                steps, values = steps[::stride] + steps[-1:] * last, values[::stride] + values[-1:] * last
            if key.startswith("full_"):
                plt.scatter(steps, values, marker="dot", color=colour)
            else:
                plt.plot(steps, values, marker="braille", color=colour)
        self.refresh()
