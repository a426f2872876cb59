"""The speed race's rounds (harness ``_race``), on a fake clock: no test here measures time."""
from __future__ import annotations

import importlib.util

import pytest

from autograder.grading.checks.plans import RACE_FACTOR, RACE_ROUNDS, RACE_SETTLED


@pytest.fixture
def harness(monkeypatch):
    """The harness module (normally run as text in the child), with a clock the contenders move."""
    from autograder import KIT_ROOT

    spec = importlib.util.spec_from_file_location("race_harness", KIT_ROOT / "autograder" / "grading" / "harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    clock = {"now": 0.0}
    monkeypatch.setattr(module, "_cpu_seconds", lambda: clock["now"])
    monkeypatch.setattr(module, "_busy_seconds", lambda: clock["now"])
    module.clock = clock
    return module


def race(harness, seconds: dict[str, list[float]], settled: float | None = RACE_SETTLED):
    """Run ``_race`` with contenders that take the given times, turn by turn; return (best, calls made)."""
    made = {"vectorized": 0, "naive": 0}

    def prepare(contender, store):
        name = contender["name"]

        def run():
            harness.clock["now"] += seconds[name][made[name]]
            made[name] += 1
            return 1.0

        return run, {}

    harness._prepare = prepare
    call = {"contenders": [{"name": "vectorized"}, {"name": "naive"}], "rounds": RACE_ROUNDS, "budget_seconds": 10.0}
    if settled is not None:
        call["settled_ratio"] = settled
    best, _ = harness._race(call, store=None)
    return best, made


def test_a_clear_win_ends_after_one_round(harness):
    best, made = race(harness, {"vectorized": [0.002] * 3, "naive": [0.1] * 3})
    assert made == {"vectorized": 1, "naive": 1} and best == pytest.approx((0.002, 0.1))


def test_a_close_race_gets_every_round(harness):
    times = {"vectorized": [0.01, 0.011, 0.009], "naive": [0.05, 0.02, 0.025]}  # ahead, but not by RACE_SETTLED
    best, made = race(harness, times)
    assert made == {"vectorized": RACE_ROUNDS, "naive": RACE_ROUNDS} and best == pytest.approx((0.009, 0.02))
    assert best[1] < RACE_FACTOR * best[0]  # the full protocol's verdict: not fast enough


def test_a_loop_version_is_never_settled_early(harness):
    best, made = race(harness, {"vectorized": [0.05, 0.05, 0.05], "naive": [0.05, 0.06, 0.04]})
    assert made["naive"] == RACE_ROUNDS and best == pytest.approx((0.05, 0.04))


def test_without_the_setting_every_round_runs(harness):
    _, made = race(harness, {"vectorized": [0.002] * 3, "naive": [0.1] * 3}, settled=None)
    assert made == {"vectorized": RACE_ROUNDS, "naive": RACE_ROUNDS}


def failing_race(harness, failing: str, error: BaseException):
    """A race whose ``failing`` contender raises ``error`` every time it is called."""
    def prepare(contender, store):
        def run():
            if contender["name"] == failing:
                raise error
            harness.clock["now"] += 0.01
            return 1.0

        return run, {}

    harness._prepare = prepare
    call = {"contenders": [{"name": "vectorized"}, {"name": "naive"}], "rounds": RACE_ROUNDS, "budget_seconds": 10.0,
            "settled_ratio": RACE_SETTLED}
    return harness._race(call, store=None)


@pytest.mark.parametrize("error", [ValueError("shapes"), SystemExit(0), KeyboardInterrupt()])
def test_a_naive_version_that_raises_is_no_yardstick(harness, error):
    best, returned = failing_race(harness, "naive", error)
    assert best == pytest.approx((0.01, float("inf"))) and returned == {}


def test_the_vectorized_functions_exception_is_the_races(harness):
    """The call fails as the vectorized function's own call would: the parent reads its exception."""
    with pytest.raises(ValueError, match="shapes"):
        failing_race(harness, "vectorized", ValueError("shapes"))


def test_one_contender_is_timed_alone(harness):
    """The reference's timing: the race of its vectorized function alone, every round."""
    made = {"vectorized": 0}

    def prepare(contender, store):
        def run():
            harness.clock["now"] += (0.003, 0.001, 0.002)[made["vectorized"]]
            made["vectorized"] += 1

        return run, {}

    harness._prepare = prepare
    best, _ = harness._race({"contenders": [{"name": "vectorized"}], "rounds": 3, "settled_ratio": None}, store=None)
    assert best == pytest.approx((0.001,)) and made["vectorized"] == 3
