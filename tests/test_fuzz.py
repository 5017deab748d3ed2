"""Property-based fuzzing: whatever an organisation file holds, the tool answers cleanly.

Every input gives either success or a clean exit-2 report; never a traceback, never exit 1.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from conftest import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = [
    "name",
    "paper",
    "accent_colour",
    "logo",
    "workshop",
    "land_acknowledgement",
    "nations",
    "format",
    "start",
    "date",
    "modules",
    "statement",
    "commitments",
    "territory",
    "local_resources",
    "x",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["letter", "a4", "short", "#1f5f8b", "09:30", "2027-03-14", "NO", "9:30"]),
)
structures = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=20,
)
documents = st.dictionaries(st.sampled_from(KEYS), structures, max_size=6).map(
    lambda d: {"name": "Fuzz Clinic", **d} if d.get("name") is None else d
)


def _check(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = run("check", str(path))
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert "fuzz.yaml" in result.output


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_arbitrary_yaml_structures_never_crash(document):
    _check(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text):
    _check(text.encode("utf-8", errors="surrogatepass"))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(data):
    _check(data)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30),
    nation=st.text(min_size=1, max_size=20),
)
def test_arbitrary_names_build_or_fail_cleanly(name, nation):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzzbuild.yaml"
        path.write_text(
            yaml.safe_dump({"name": name, "land_acknowledgement": {"nations": [{"name": nation}]}}, allow_unicode=True),
            encoding="utf-8",
        )
        result = run("build", str(path), "--out", str(Path(tmp) / "out"), "-j1", "--audience", "participant")
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 2), result.output
