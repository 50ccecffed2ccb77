"""FitMonitor with NumPyro in a real JupyterLab: the SVI loss curve and NUTS chains, live.

Timing-sensitive on a loaded machine: every check waits for growth with generous
timeouts and never expects a rate.
"""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from .jupyter_harness import (
    cell_is_running,
    relevant_console_errors,
    save_screenshot,
    start_all_cells,
    wait_until,
)

MONITOR = "[data-testid=fit-monitor]"
TIMEOUT_MS = 180_000


def attr(page: Page, name: str, selector: str = MONITOR) -> str | None:
    return page.locator(selector).first.get_attribute(f"data-{name}")


def as_int(value: str | None) -> int:
    return int(float(value)) if value else 0


def steps_done(page: Page) -> int:
    return as_int(attr(page, "steps-done"))


def loss_points(page: Page) -> int:
    return as_int(attr(page, "points", f"{MONITOR} [data-testid=figure]"))


def displayed_steps(page: Page) -> int:
    return as_int(attr(page, "steps", f"{MONITOR} [data-testid=counts]"))


def test_svi_loss_curve_grows_live_and_ends_converged(notebook_page):
    page = notebook_page("fit_svi_live.ipynb", app="lab")
    start_all_cells(page)
    monitor = page.locator(MONITOR)
    expect(monitor).to_be_visible(timeout=TIMEOUT_MS)
    assert monitor.get_attribute("data-method") == "svi"
    figure = page.locator(f"{MONITOR} [data-testid=figure][data-rendered=true]")
    expect(figure).to_be_attached(timeout=TIMEOUT_MS)
    # the loss curve receives points while the cell runs, and the steps shown rise
    assert wait_until(lambda: loss_points(page) > 0 and cell_is_running(page), timeout=180), (
        "no loss point arrived while the cell ran"
    )
    first_points, first_steps = loss_points(page), displayed_steps(page)
    seen = []

    def grew() -> bool:
        seen.append(
            (loss_points(page), displayed_steps(page), attr(page, "status"), cell_is_running(page))
        )
        points, steps, status, running = seen[-1]
        return points > first_points and steps > first_steps and status == "sampling" and running

    assert wait_until(grew, timeout=120), (
        f"the loss curve did not grow while optimising: {seen[-5:]}"
    )
    assert int(figure.get_attribute("data-received") or 0) > 0
    # the current parameters are shown while optimising
    rows = page.locator(f"{MONITOR} [data-testid=svi-params] tr[data-name]")
    assert wait_until(lambda: rows.count() == 3, timeout=60)
    assert {rows.nth(i).get_attribute("data-name") for i in range(3)} == {"alpha", "beta", "sigma"}
    page.locator(MONITOR).screenshot(
        path=str(
            save_screenshot(page, "fit_monitor_svi_live").with_name(
                "fit_monitor_svi_live_widget.png"
            )
        )
    )
    # it stops on its own, converged, and the final state stays
    assert wait_until(lambda: attr(page, "status") == "finished", timeout=240)
    assert attr(page, "converged") == "true"
    expect(page.locator(f"{MONITOR} [data-testid=status]")).to_contain_text("converged")
    summary = page.locator(f"{MONITOR} [data-testid=summary]")
    expect(summary).to_be_visible(timeout=30_000)
    assert summary.get_attribute("data-converged") == "true"
    steps = int(summary.get_attribute("data-steps"))
    assert 0 < steps < 50_000
    assert steps_done(page) == steps
    expect(figure).to_be_attached(timeout=TIMEOUT_MS)
    assert wait_until(lambda: loss_points(page) > 100, timeout=60)
    expect(page.locator(".jp-OutputArea-output").filter(has_text="done finished")).to_contain_text(
        f"done finished {steps} True", timeout=60_000
    )
    # the y-range toggle works on the final figure
    page.locator(f"{MONITOR} [data-testid=loss-range]").click()
    assert (
        page.locator(f"{MONITOR} [data-testid=loss-range]").get_attribute("data-robust") == "false"
    )
    page.locator(MONITOR).screenshot(
        path=str(save_screenshot(page, "fit_monitor_svi").with_name("fit_monitor_svi_widget.png"))
    )
    assert relevant_console_errors(page) == []


def test_svi_cancel_button_keeps_the_parameters(notebook_page):
    page = notebook_page("fit_svi_live.ipynb", app="lab")
    start_all_cells(page)
    monitor = page.locator(MONITOR)
    expect(monitor).to_be_visible(timeout=TIMEOUT_MS)
    assert wait_until(
        lambda: attr(page, "status") == "sampling" and steps_done(page) > 200, timeout=180
    )
    t0 = time.monotonic()
    monitor.locator("[data-testid=cancel]").click()
    assert wait_until(lambda: attr(page, "status") == "cancelled", timeout=30)
    assert time.monotonic() - t0 < 20
    summary = monitor.locator("[data-testid=summary]")
    expect(summary).to_be_visible(timeout=60_000)
    assert summary.get_attribute("data-partial") == "true"
    steps = int(summary.get_attribute("data-steps"))
    assert steps > 0
    expect(monitor.locator("[data-testid=message]")).to_contain_text(
        f"Cancelled at step {steps} of 50000"
    )
    assert monitor.locator("[data-testid=cancel]").is_disabled()
    expect(page.locator(".jp-OutputArea-output").filter(has_text="done cancelled")).to_contain_text(
        f"done cancelled {steps} False", timeout=60_000
    )


def test_numpyro_nuts_chains_progress_live(notebook_page):
    page = notebook_page("fit_numpyro_live.ipynb", app="lab")
    start_all_cells(page)
    expect(page.locator(MONITOR)).to_be_visible(timeout=TIMEOUT_MS)
    rows = page.locator(f"{MONITOR} [data-testid=chains] tr[data-chain]")
    assert wait_until(lambda: rows.count() == 2, timeout=60)

    def per_chain() -> list[int]:
        return [as_int(rows.nth(i).get_attribute("data-draws")) for i in range(2)]

    assert wait_until(
        lambda: attr(page, "status") == "sampling" and min(per_chain()) > 0, timeout=180
    )
    seen = [(per_chain(), cell_is_running(page))]

    def rising() -> bool:
        seen.append((per_chain(), cell_is_running(page)))
        return (
            all(len({draws[c] for draws, running in seen if running}) >= 3 for c in range(2))
            and attr(page, "status") == "sampling"
        )

    assert wait_until(rising, timeout=120), f"per-chain draws did not rise live: {seen[-5:]}"
    for c in range(2):
        counts = [draws[c] for draws, _ in seen]
        assert counts == sorted(counts)
    # step size and tree depth are shown per chain, and the live trace grows
    figure = page.locator(f"{MONITOR} [data-testid=figure][data-rendered=true]")
    expect(figure).to_be_attached(timeout=TIMEOUT_MS)
    assert wait_until(lambda: int(figure.get_attribute("data-received") or 0) > 0, timeout=120)
    page.locator(MONITOR).screenshot(
        path=str(
            save_screenshot(page, "fit_monitor_numpyro_live").with_name(
                "fit_monitor_numpyro_live_widget.png"
            )
        )
    )
    assert wait_until(lambda: attr(page, "status") == "finished", timeout=240)
    summary = page.locator(f"{MONITOR} [data-testid=summary]")
    expect(summary).to_be_visible(timeout=60_000)
    assert int(summary.get_attribute("data-draws-per-chain")) == 400_000
    assert {rows.nth(i).get_attribute("data-phase") for i in range(2)} == {"done"}
    assert relevant_console_errors(page) == []
