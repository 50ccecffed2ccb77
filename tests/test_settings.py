import pytest

import bayes_widgets as bw
from bayes_widgets.settings import FAST_ENV


@pytest.mark.parametrize(
    "value, fast",
    [("1", True), ("yes", True), ("ON", True), ("0", False), ("", False), ("off", False)],
)
def test_fast_mode_reads_the_environment(monkeypatch, value, fast):
    monkeypatch.setenv(FAST_ENV, value)
    assert bw.fast_mode() is fast
    assert bw.choose(1000, 100) == (100 if fast else 1000)


def test_fast_mode_is_off_by_default(monkeypatch):
    monkeypatch.delenv(FAST_ENV, raising=False)
    assert bw.choose("full", "fast") == "full"


def test_a_bad_value_is_named(monkeypatch):
    monkeypatch.setenv(FAST_ENV, "maybe")
    with pytest.raises(ValueError, match="BAYES_WIDGETS_FAST='maybe'"):
        bw.fast_mode()
