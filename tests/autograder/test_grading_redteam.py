"""Hostile submissions, one fixture per attack (``redteam/*.py``), graded together in one batch.

Each fixture is appended to one module of the *solution*; its header names the functions that
must score 0 (``# zero:``) and the
tests of other functions that call them and so fail too (``# lose:``, the naive-vs-vectorized
agreement tests). Every other function must keep full marks: the attack gains nothing
and costs nothing beyond the function it sits in, and the batch finishes.
"""
from __future__ import annotations

import ast
import json
import os
import re
import socket
import threading
from pathlib import Path

import pytest
from points import CODE_POINTS

from autograder import KIT_ROOT
from autograder.grading import manifest, preflight
from autograder.grading.batch import grade_all
from autograder.grading.demo import make_submission
from autograder.grading.results import INTEGRITY_KINDS, SubmissionResult
from autograder.grading.sandbox import Limits

pytestmark = pytest.mark.e2e  # a class of hostile submissions graded in sandboxes

IS_ROOT = os.geteuid() == 0
FAST = Limits(call_seconds=3.0, submission_seconds=40.0)

ATTACKS = Path(__file__).with_name("redteam")
CLASSMATE = "classmate"
PLANTED = "planted-by-redteam"
FULL = {}
for spec in manifest.TESTS:
    FULL[spec.function] = FULL.get(spec.function, 0) + spec.points


def header(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text().splitlines():
        if line.startswith("# ") and ":" in line:
            key, _, value = line[2:].partition(":")
            fields[key.strip()] = value.strip()
    return fields


def attacks() -> list[Path]:
    found = sorted(ATTACKS.glob("*.py"))
    return [p for p in found if IS_ROOT or header(p).get("needs") != "root"]


@pytest.fixture(scope="module")
def batch(releases, tmp_path_factory):
    root = tmp_path_factory.mktemp("redteam")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    heard: list[bytes] = []
    stop = threading.Event()

    def listen():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
                heard.append(connection.recv(100))
                connection.close()
            except OSError:
                pass

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    submissions, out = root / "submissions", root / "out"
    submissions.mkdir()
    def substitute(text: str) -> str:
        return (
            text.replace("KIT_ROOT", str(KIT_ROOT))
            .replace("OUT_DIR", str(out))
            .replace("BATCH_DIR", str(submissions))
            .replace("LISTEN_PORT", str(listener.getsockname()[1]))
        )

    for attack in attacks():
        fields = header(attack)
        folder = make_submission(
            releases["solution"],
            submissions / attack.stem,
            append={fields["target"]: "\n" + substitute(attack.read_text())},
        )
        for key, value in fields.items():
            kind, _, relative = key.partition(" ")
            if kind == "file":  # an extra file in the submission
                (folder / relative).parent.mkdir(parents=True, exist_ok=True)
                (folder / relative).write_text(value + "\n")
            elif kind == "symlink":  # a file replaced by a symbolic link
                (folder / relative).unlink()
                (folder / relative).symlink_to(substitute(value))
            elif kind == "many":  # a folder of tiny files
                (folder / relative).mkdir(parents=True)
                for number in range(int(value)):
                    (folder / relative / f"{number}.txt").write_text("x")
    make_submission(releases["solution"], submissions / CLASSMATE)  # an honest student next to the attackers
    # Whatever this machine gives (the tests below say which promises hold in which mode).
    summary = grade_all(submissions, out, workers=2, limits=FAST, progress=False, accept=preflight.WEAKER,
                        notebooks=False)
    stop.set()
    thread.join()
    listener.close()
    return {"summary": summary, "out": out, "heard": heard}


def points_by_function(result: SubmissionResult) -> dict[str, float]:
    earned = {function: 0.0 for function in FULL}
    for test in result.tests:
        earned[test.spec.function] += test.score
    return earned


@pytest.mark.parametrize("attack", attacks(), ids=lambda p: p.stem)
def test_attack_gains_nothing_and_costs_only_its_function(batch, attack):
    results = {r.student: r for r in batch["summary"].results}
    result = results[attack.stem]
    if header(attack).get("expect") == "could_not_grade":
        assert result.status == "could_not_grade" and result.score == 0 and result.notices
        return
    assert result.status == "graded", result.staff_log[-2000:]
    zero = set(header(attack).get("zero", "").split())
    lose = set(header(attack).get("lose", "").split())  # tests of other functions that call a zeroed one
    lost = {}
    for spec in manifest.TESTS:
        if spec.id in lose:
            lost[spec.function] = lost.get(spec.function, 0) + spec.points
    earned = points_by_function(result)
    for function, points in earned.items():
        expected = 0 if function in zero else FULL[function] - lost.get(function, 0)
        assert points == expected, (
            function,
            [(t.spec.id, t.outcome.detail) for t in result.tests if not t.outcome.passed],
        )
    stored = json.loads((batch["out"] / attack.stem / "results.json").read_text())
    assert stored["score"] == result.score  # the file on disk is the grader's, not a planted one


@pytest.mark.parametrize("attack", attacks(), ids=lambda p: p.stem)
def test_the_attack_is_recorded_as_its_event_class(batch, attack):
    """The staff record names what the grader saw (``# events:``): exactly those integrity events,
    and at least the time-outs and crashes listed."""
    result = {r.student: r for r in batch["summary"].results}[attack.stem]
    expected = set(header(attack).get("events", "").split())
    recorded = {event.kind for event in result.events}
    assert expected <= recorded, result.events
    assert recorded & set(INTEGRITY_KINDS) == expected & set(INTEGRITY_KINDS), result.events
    assert "events" not in (batch["out"] / attack.stem / "results.json").read_text()  # staff only


def test_the_honest_classmate_has_no_events(batch):
    assert {r.student: r for r in batch["summary"].results}[CLASSMATE].events == ()


def test_the_batch_survives_and_writes_a_row_per_attack(batch):
    lines = (batch["out"] / "grades.csv").read_text().splitlines()
    assert len(lines) == 1 + len(attacks()) + 1  # the header, the attacks, the honest classmate
    assert not (batch["out"] / "victim").exists() and not (batch["out"] / "planted").exists()


def test_captured_output_is_capped(batch):
    if "output_bomb" not in {p.stem for p in attacks()}:
        pytest.skip("output bomb not in this run")
    assert (batch["out"] / "output_bomb" / "grading.json").stat().st_size < 200_000


def skip_without_namespaces(batch) -> None:
    """Without root, the network and mount namespaces need a user namespace; skip if there was none."""
    if not IS_ROOT and any("no network/mount/IPC namespace" in result.staff_log for result in batch["summary"].results):
        pytest.skip("not root, and this machine allows no user namespaces")


def test_no_network_reached_the_host(batch):
    skip_without_namespaces(batch)
    assert batch["heard"] == []


@pytest.mark.skipif(
    not IS_ROOT, reason="the per-uid process sweep needs root; without it a new session survives killpg"
)
def test_no_student_process_outlives_grading(batch):
    survivors = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if b"987654" in cmdline:
                survivors.append(entry)
    assert survivors == []


def test_no_shared_memory_outlives_grading(batch):
    """System V segments made by a submission die with its IPC namespace (``sysv_shared_memory``)."""
    skip_without_namespaces(batch)
    keys = {0x5EED0001 + number for number in range(4)}
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    left = [line for line in lines if int(line.split()[0]) in keys]
    assert left == []


def test_the_scratch_folder_is_capped(batch):
    """A submission cannot fill the grader's disk or inode table (``fill_disk``)."""
    skip_without_namespaces(batch)
    results = {r.student: r for r in batch["summary"].results}
    line = next(line for line in results["fill_disk"].staff_log.splitlines() if "FILL-DISK" in line)
    written, files = (int(word) for word in line.split() if word.isdigit())
    assert written <= FAST.scratch_bytes and files < FAST.scratch_inodes


@pytest.mark.skipif(not IS_ROOT, reason="control groups are written as root")
def test_a_process_swarm_shares_one_capped_control_group(batch):
    """Every process a submission starts is counted and throttled together (``process_swarm``)."""
    from autograder.grading import cgroups

    if not cgroups.detect().available:
        pytest.skip(f"no control groups here: {cgroups.detect().reason}")
    results = {r.student: r for r in batch["summary"].results}
    log = results["process_swarm"].staff_log.splitlines()
    line = next(line for line in log if "SWARM settings" in line)
    settings = ast.literal_eval(line.split("settings ", 1)[1])
    assert settings["pids.max"] == str(FAST.group_processes)  # every process and thread, together
    quota = settings.get("cpu.cfs_quota_us") or settings["cpu.max"].split()[0]
    assert int(quota) == int(FAST.group_cpus * 100_000)  # one core's worth, whatever it starts


def test_replies_are_capped_per_function(batch):
    """The parent stops reading a function's replies past ``Limits.reply_bytes`` (``reply_flood``)."""
    results = {r.student: r for r in batch["summary"].results}
    assert f"passed {FAST.reply_bytes >> 20} MiB; the rest was refused" in results["reply_flood"].staff_log
    feedback = (batch["out"] / "reply_flood" / "feedback.md").read_text()
    assert "far more data than a correct answer" in feedback


def test_no_namespace_mount_or_keyring_for_student_code(batch):
    """The seccomp filter refuses new namespaces, mounts and keyrings (``escape_hatches``)."""
    skip_without_namespaces(batch)
    results = {r.student: r for r in batch["summary"].results}
    line = next(line for line in results["escape_hatches"].staff_log.splitlines() if line.startswith("HATCH"))
    outcomes = dict(item.split("=") for item in line.split()[1:])
    assert outcomes == {"unshare": "EPERM", "mount": "EPERM", "add_key": "EPERM"}, line


def test_the_honest_classmate_keeps_full_marks(batch):
    results = {r.student: r for r in batch["summary"].results}
    assert results[CLASSMATE].score == CODE_POINTS, [
        (t.spec.id, t.outcome.detail) for t in results[CLASSMATE].tests if not t.outcome.passed
    ]


def test_nothing_was_written_outside_the_scratch_folder(batch):
    skip_without_namespaces(batch)
    submissions = batch["out"].parent / "submissions"
    places = [
        KIT_ROOT / f"{PLANTED}.txt",
        KIT_ROOT / "cs_utils" / f"{PLANTED}.py",
        submissions / f"{PLANTED}.txt",
        batch["out"] / f"{PLANTED}.txt",
        Path("/tmp") / f"{PLANTED}.txt",
        Path("/var/tmp") / f"{PLANTED}.txt",
        Path("/dev/shm") / f"{PLANTED}.txt",
    ]
    assert [str(place) for place in places if place.exists()] == []
    classmate = (submissions / CLASSMATE / "cs_utils" / "classifiers" / "softmax.py").read_text()
    assert "return 0.0, None" not in classmate


def test_a_class_name_built_from_the_hidden_inputs_reaches_the_staff_log_only(batch):
    folder = batch["out"] / "exception_name_leak"
    graded = json.loads((folder / "grading.json").read_text())
    leaked = set(re.findall(r"Leak_[0-9_]+_reg[0-9]+", graded["staff_log"]))
    assert leaked  # the attack ran, and staff read what it raised
    student = [(folder / "results.json").read_text(), (folder / "feedback.md").read_text(),
               json.dumps([test["outcome"] for test in graded["tests"]]), json.dumps(graded["notices"])]
    for text in student:
        plain = text.replace("\\", "")  # Markdown and JSON escapes, so "Leak\\_3" is found too
        assert "Leak_" not in plain and "hidden labels" not in plain
    assert "- svm_loss_vectorized raised an exception of your own class\n" in student[1]


def test_there_are_enough_attacks():
    assert len(list(ATTACKS.glob("*.py"))) >= 20
