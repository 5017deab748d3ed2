"""Property-based fuzzing: whatever an organisation file holds, the tool answers cleanly.

Every input gives either success or a clean exit-2 report; never a traceback, never exit 1.
The curriculum is read once for the whole module (it is not what is being fuzzed), so
each `check` costs milliseconds and hypothesis can try many inputs.
"""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from conftest import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = [
    "name",
    "paper",
    "accent_colour",
    "logo",
    "logo_alt",
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
    "facilitators",
    "x",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(
        ["letter", "a4", "short", "#1f5f8b", "#fff", "09:30", "2027-03-14", "2027-02-30", "NO", "9:30", "logo.png"]
    ),
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

# Pieces of YAML syntax, so that random text is often almost-valid YAML: tags, anchors,
# aliases, merge keys, flow collections, escapes, directives, document markers.
TOKENS = [
    "name: ",
    "workshop:\n  ",
    "start: ",
    "nations:\n  - ",
    "- ",
    ": ",
    "\n",
    "  ",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ", ",
    '"',
    "'",
    "|\n  ",
    ">-\n  ",
    "#",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!str ",
    "!!seq ",
    "!!map ",
    "!!null ",
    "!!binary ",
    "!!timestamp ",
    "!!python/object:os.system ",
    "!local ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:yaml.org,2002:\n",
    '"\\ud83c"',
    '"\\ud83c\\udf3f"',
    '"\\x00"',
    '"\\u202e"',
    '"\\U0010ffff"',
    "9:30",
    "1:2:3",
    "01234",
    "0x1F",
    "0o17",
    "1e3",
    "1_000",
    ".inf",
    "9" * 120,
    "yes",
    "~",
    "2027-02-30",
    "Clinic",
    "xʷməθkʷəy̓əm",
    "\u202e",
    "\ufeff",
    "\x85",
]
yamlish = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)


@pytest.fixture(scope="module", autouse=True)
def curriculum_once():
    import packets.curriculum

    original = packets.curriculum.load_curriculum
    packets.curriculum.load_curriculum = functools.lru_cache(maxsize=None)(original)
    yield
    packets.curriculum.load_curriculum = original


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
    problems = [row for row in result.output.splitlines() if "fuzz.yaml" in row]
    for row in problems:
        assert re.search(r"fuzz\.yaml:\d+: ", row), f"a problem without a line: {row}"
    if result.exit_code == 2:
        assert problems, result.output


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_arbitrary_yaml_structures_never_crash(document):
    _check(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yamlish)
def test_almost_yaml_never_crashes(text):
    _check(text)


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
        out = Path(tmp) / "out"
        result = run("build", str(path), "--out", str(out), "-j1", "--audience", "participant")
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 2), result.output
        pdfs = list(out.rglob("*.pdf")) if out.exists() else []
        assert len(pdfs) == (1 if result.exit_code == 0 else 0), result.output
