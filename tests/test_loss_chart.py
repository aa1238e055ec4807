"""The training chart as drawn (issue 16 §2.14): whole steps on the step axis, the legend off the
data, and a word on a job with no step yet."""

from __future__ import annotations

import re

from textual.app import App, ComposeResult

from widgets.loss_chart import LossChart, step_ticks


class OneChart(App):
    def compose(self) -> ComposeResult:
        yield LossChart("loss")


def drawn(app: App) -> list[str]:
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


def metrics(steps: int) -> list[dict]:
    return [{"step": s, "train_loss": 10 - s / 10, **({"valid_loss": 11 - s / 10} if s % 5 == 0 else {})} for s in range(1, steps + 1)]


async def show(pilot, chart: LossChart, shown: list[dict]) -> list[str]:
    chart.show(shown)
    await pilot.pause(0.7)  # one throttled redraw
    return drawn(pilot.app)


async def test_steps_are_whole_and_the_legend_is_above_the_data():
    app = OneChart()
    async with app.run_test(size=(60, 14)) as pilot:
        screen = await show(pilot, app.query_one(LossChart), metrics(26))
        legend_row = next(i for i, line in enumerate(screen) if "━ train" in line)
        assert "━ valid" in screen[legend_row]
        assert not any("train" in line or "valid" in line for line in screen[legend_row + 1 :])  # nothing on the plot
        axis = next(line for line in reversed(screen) if re.search(r"\d", line))
        assert re.fullmatch(r"[\d ]+", axis.strip()) and {"1", "26"} <= set(axis.split())  # no 16.2 or 31.5


async def test_a_job_without_steps_says_it_waits_then_plots_the_first():
    app = OneChart()
    async with app.run_test(size=(60, 14)) as pilot:
        chart = app.query_one(LossChart)
        assert any("waiting for the first step" in line for line in await show(pilot, chart, []))
        screen = await show(pilot, chart, metrics(1))
        assert not any("waiting" in line for line in screen) and any("━ train" in line for line in screen)


def test_step_ticks_are_whole_and_span_the_run():
    assert step_ticks(1, 26) == [1, 7, 14, 20, 26]
    assert step_ticks(1, 3) == [1, 2, 3]
    assert step_ticks(5, 5) == [5]
