"""Rule-file validation: every mistake is a `file:line: table/rule: message`, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.api import read_dir, validate_texts
from rules.validate import load_texts
from rules.yamlio import LineDict, load_yaml

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "rules" / "tables"
SL = "rules/tables/service_level.yaml"
REQ = "rules/tables/requirements.yaml"
EL = "rules/tables/eligibility.yaml"
SCHEMA = "rules/tables/schema.yaml"


@pytest.fixture(scope="module")
def bundled() -> dict[str, str]:
    """The bundled rule files as {label: text}."""
    files, issues = read_dir(TABLES)
    assert not issues
    return files


def _line_of(text: str, needle: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[-1]  # the last occurrence: the edited one in every case below


def test_bundled_tables_are_valid(bundled: dict[str, str]) -> None:
    """The bundled rules load without a single issue."""
    ruleset, issues = load_texts(bundled)
    assert issues == []
    assert ruleset is not None
    assert set(ruleset.tables) == {"service_level", "requirements", "eligibility"}
    assert len(ruleset.version) == 12


def test_version_is_a_content_hash(bundled: dict[str, str]) -> None:
    """Same text, same version; one changed byte, another version."""
    a, _ = load_texts(bundled)
    b, _ = load_texts(dict(bundled))
    changed = dict(bundled)
    changed[SL] = changed[SL].replace("Promised for today.", "Promised for today!")
    c, _ = load_texts(changed)
    assert a is not None and b is not None and c is not None
    assert a.version == b.version != c.version


# (file, text to replace, replacement, line marker in the result, where, expected message part)
MISTAKES = [
    pytest.param(
        EL,
        "pair.over_weight_limit: true",
        "pair.overweight_limit: true",
        "pair.overweight_limit",
        "carrier-eligibility/over-weight",
        "unknown field 'pair.overweight_limit' (did you mean 'pair.over_weight_limit'?)",
        id="unknown-field",
    ),
    pytest.param(
        SL,
        "parcels.weight_kg: {gt: 31.5}",
        "parcels.weight_kg: {gtt: 31.5}",
        "gtt",
        "service-level/bulky-goods",
        "unknown operator 'gtt' (did you mean 'gt'?)",
        id="unknown-operator",
    ),
    pytest.param(
        SL,
        "set_service_level: GREEN",
        "set_servicelevel: GREEN",
        "set_servicelevel",
        "service-level/green-delivery",
        "unknown effect 'set_servicelevel' (did you mean 'set_service_level'?)",
        id="unknown-effect",
    ),
    pytest.param(
        SL,
        "set_service_level: GREEN",
        "set_service_level: GREN",
        "GREN",
        "service-level/green-delivery",
        "unknown ServiceLevel 'GREN' (did you mean 'GREEN'?)",
        id="unknown-enum",
    ),
    pytest.param(
        SL,
        "parcels.weight_kg: {gt: 31.5}",
        "parcels.weight_kg: {gt: heavy}",
        "heavy",
        "service-level/bulky-goods",
        "'parcels.weight_kg' is a number, got 'heavy'",
        id="type-error-number",
    ),
    pytest.param(
        SL,
        "order.green: true",
        "order.green: {gt: 1}",
        "order.green",
        "service-level/green-delivery",
        "operator 'gt' does not apply to bool field 'order.green' (use eq, ne, exists)",
        id="operator-for-type",
    ),
    pytest.param(
        SL,
        "  - id: green-delivery",
        "  - id: bulky-goods",
        "id: bulky-goods",
        "service-level/bulky-goods",
        f"duplicate rule id 'bulky-goods' (first at {SL}:29)",
        id="duplicate-id",
    ),
    pytest.param(
        SL,
        "hit_policy: first",
        "hit_policy: firts",
        "firts",
        "service-level",
        "bad hit policy 'firts' (did you mean 'first'?): use one of first, collect",
        id="bad-hit-policy",
    ),
    pytest.param(
        SL,
        "    when:\n      order.promise_days_ahead: {lte: 0}\n",
        "",
        "id: scheduled-window",
        "service-level/scheduled-window",
        "row can never fire: catch-all row 'same-day' (line 46) comes first in this "
        "first-hit table",
        id="unreachable-after-catch-all",
    ),
    pytest.param(
        SL,
        "      order.green: true\n",
        "      order.promise_days_ahead: {lte: 0}\n",
        "id: same-day",
        "service-level/same-day",
        "row can never fire: row 'green-delivery' (line 39) has the same condition",
        id="shadowed-by-same-condition",
    ),
    pytest.param(
        REQ,
        "order.attributes.min_age: {gte: 18}",
        "order.attributes.minimum_age: {gte: 18}",
        "minimum_age",
        "handling/adults-only-id",
        "unknown attribute 'minimum_age' (did you mean 'min_age'?): declare it under "
        "schema.attributes",
        id="undeclared-attribute",
    ),
    pytest.param(
        SL,
        "        - order.tags: alcohol",
        "        - order.tags: alcohl",
        "alcohl",
        "service-level/regulated-goods",
        "unknown tag 'alcohl' (did you mean 'alcohol'?): declare it under schema.tags",
        id="undeclared-tag",
    ),
    pytest.param(
        SL,
        "      order.green: true",
        "      carrier.kind: GIG",
        "carrier.kind",
        "service-level/green-delivery",
        "field 'carrier.kind' cannot be read in a service_level table (available in: eligibility)",
        id="field-not-in-this-decision",
    ),
    pytest.param(
        REQ,
        "      add_requirement: TWO_PERSON",
        "      exclude: MISSING_CAPABILITY",
        "exclude: MISSING",
        "handling/heavy-two-person",
        "effect 'exclude' is not allowed in a requirements table",
        id="effect-not-in-this-decision",
    ),
    pytest.param(
        EL,
        "    message: The carrier does not deliver to this zone.\n",
        "",
        "id: zone-not-served",
        "carrier-eligibility/zone-not-served",
        "an exclude row needs a `message`",
        id="exclude-without-message",
    ),
    pytest.param(
        SL,
        "    message: Promised for today.",
        "    message: !!python/object/apply:os.system ['rm -rf /']",
        "os.system",
        "",
        "unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system': rule files "
        "are data, nothing in them is executed",
        id="python-tag",
    ),
    pytest.param(
        SL,
        "    message: Promised for today.",
        "    message: \"__import__('os').system('id')\"",
        "__import__",
        "",
        "text looks like code ('__import__'): rule files are data and nothing in them is executed",
        id="import-string",
    ),
    pytest.param(
        REQ,
        "      order.tags: hazmat",
        "      order.tags: 'lambda o: o.hazmat'",
        "lambda",
        "",
        "text looks like code",
        id="lambda-string",
    ),
    pytest.param(
        SL,
        "    then:\n      set_service_level: GREEN\n",
        "    then:\n      set_service_level: GREEN\n"
        "    then:  # again\n      set_service_level: GREEN\n",
        "# again",
        "",
        "duplicate key 'then' (first at line 42)",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        SL,
        "table: service-level",
        "table: service-level\n  oops: [",
        "oops",
        "",
        "YAML syntax",
        id="yaml-syntax",
    ),
    pytest.param(
        SL,
        "hit_policy: first",
        "hit_policy: &p first\nnote: *p",
        "hit_policy",
        "",
        "anchors and aliases are not supported in rule files",
        id="yaml-alias",
    ),
    pytest.param(
        SCHEMA,
        "      type: int",
        "      type: integer",
        "integer",
        "schema",
        "attribute 'min_age': type 'integer' is not one of str, int, float, bool",
        id="schema-bad-type",
    ),
    pytest.param(
        SL,
        "    expect: {service_level: BULKY, service_level_by: bulky-goods}",
        "    expect: {service_level: BULKY, service_level_by: bulky-good}",
        "bulky-good}",
        "service-level/test '31.6 kg is bulky'",
        "service_level_by: no service_level rule 'bulky-good' (did you mean 'bulky-goods'?)",
        id="test-unknown-rule",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "marker", "where", "message"), MISTAKES)
def test_mistakes_are_reported_with_file_and_line(
    bundled: dict[str, str], file: str, old: str, new: str, marker: str, where: str, message: str
) -> None:
    """Each broken edit gives exactly the expected `file:line: table/rule: message`."""
    files = dict(bundled)
    assert old in files[file], f"fixture drifted: {old!r} not in {file}"
    files[file] = files[file].replace(old, new, 1)
    line = _line_of(files[file], marker)
    ruleset, issues = load_texts(files)
    assert ruleset is None
    texts = [str(i) for i in issues]
    prefix = f"{file}:{line}: {where}: " if where else f"{file}:{line}: "
    assert any(t.startswith(prefix) and message in t for t in texts), "\n".join(texts)


def test_missing_decision_table(bundled: dict[str, str]) -> None:
    """A rule set without an eligibility table says which table is missing."""
    files = {k: v for k, v in bundled.items() if not k.endswith("eligibility.yaml")}
    _, issues = load_texts(files)
    assert "rules: no eligibility table: add a file with `decision: eligibility`" in [
        str(i) for i in issues
    ]


def test_service_level_table_needs_catch_all(bundled: dict[str, str]) -> None:
    """Without a catch-all some orders would have no service level: an error on the table."""
    files = dict(bundled)
    files[SL] = files[SL].replace(
        "  - id: standard\n    then:", "  - id: standard\n    when: {order.green: false}\n    then:"
    )
    _, issues = load_texts(files)
    line = _line_of(files[SL], "table: service-level")
    assert any(
        "no catch-all row" in str(i) and str(i).startswith(f"{SL}:{line}: service-level")
        for i in issues
    )


def test_engine_nesting_limit_is_a_validation_error(bundled: dict[str, str]) -> None:
    """Conditions nested deeper than the C engine accepts are rejected before it sees them."""
    cond = "{order.green: true}"
    for _ in range(8):
        cond = (
            "{any: [{order.contactless: true}, {all: [{order.signature_wanted: true}, "
            f"{cond}]}}]}}"
        )
    files = dict(bundled)
    files[SL] = files[SL].replace("      order.green: true\n", f"      any: [{cond}]\n")
    _, issues = load_texts(files)
    assert any("too deeply combined for the engine" in str(i) for i in issues)


def test_validate_texts_reports_without_raising() -> None:
    """Garbage of any kind is a report, not an exception."""
    for text in ("", "- a\n- b", "table: [", "\x00\x01", "schema: 3", "table: x\ndecision: 1"):
        report = validate_texts({"x.yaml": text})
        assert not report.ok
        assert report.issues


def test_yaml_lines_are_recorded() -> None:
    """The loader attaches the line of every mapping and key."""
    data, problems = load_yaml("a: 1\nb:\n  c: 2\n")
    assert problems == []
    assert isinstance(data, LineDict)
    assert data.line_of("b") == 2
    assert data["b"].line == 3
    assert data["b"].line_of("c") == 3


def test_test_case_mistakes(bundled: dict[str, str]) -> None:
    """Test cases are validated like rules: unknown expect keys and carriers are named."""
    files = dict(bundled)
    files[EL] = files[EL].replace(
        "    carrier: gigdrop\n    expect: {eligible: true}",
        "    carrier: gigdorp\n    expect: {eligble: true}",
    )
    _, issues = load_texts(files)
    texts = "\n".join(str(i) for i in issues)
    assert "unknown test carrier 'gigdorp' (did you mean 'gigdrop'?)" in texts
    assert "unknown expect key 'eligble' (did you mean 'eligible'?)" in texts


def test_readme_vocabulary_is_current() -> None:
    """rules/README.md shows exactly the vocabulary the validator accepts."""
    from rules.vocabulary import vocabulary_markdown

    text = (ROOT / "rules" / "README.md").read_text()
    block = text.split("<!-- vocabulary:start -->\n", 1)[1].split("<!-- vocabulary:end -->", 1)[0]
    assert block == vocabulary_markdown()


@pytest.mark.parametrize(
    ("file", "old", "message"),
    [
        (
            SCHEMA,
            "  tags: [alcohol, tobacco, pharma, frozen, chilled, hazmat, fragile, high_value, "
            "furniture, b2b]\n",
            "unknown tag 'alcohol': declare it under schema.tags",
        ),
        (
            SL,
            "    order: {tags: [alcohol, b2b], attributes: {channel: replenishment}}\n",
            "",
        ),
    ],
    ids=["schema-without-tags", "test-case-without-order"],
)
def test_a_missing_list_or_mapping_is_a_report_not_a_crash(
    bundled: dict[str, str], file: str, old: str, message: str
) -> None:
    """Leaving out an optional list or mapping (schema tags, a test case's order) reads as
    empty; it used to raise AttributeError, which also ended hot reloading for good."""
    files = dict(bundled)
    assert old in files[file], f"fixture drifted: {old!r} not in {file}"
    files[file] = files[file].replace(old, "", 1)
    report = validate_texts(files)
    if message:
        assert any(message in str(i) for i in report.issues), report.issues
    else:  # valid; the case without its order now fails its own expectation
        assert not report.issues
        assert [r.name for r in report.tests if not r.passed] == [
            "replenishment wins over everything"
        ]


_TOKENS = ["", "0", "-1", "nan", "[]", "{}", "null", "true", "'x'", ":", "- ", "~", "[1, 2]"]


@st.composite
def _edited(draw: st.DrawFn, bundled: dict[str, str]) -> dict[str, str]:
    """The bundled files with one to three line edits in one of them: delete, repeat, replace
    a value or a word, indent, cut short."""
    files = dict(bundled)
    name = draw(st.sampled_from(sorted(files)))
    lines = files[name].split("\n")
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(0, len(lines) - 1))
        how = draw(st.integers(0, 5))
        if how == 0:
            del lines[k]
        elif how == 1:
            lines.insert(k, lines[draw(st.integers(0, len(lines) - 1))])
        elif how == 2 and ":" in lines[k]:
            lines[k] = lines[k].partition(":")[0] + ": " + draw(st.sampled_from(_TOKENS))
        elif how == 3:
            words = lines[k].split(" ")
            words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(_TOKENS))
            lines[k] = " ".join(words)
        elif how == 4:
            lines[k] = " " + lines[k]
        else:
            lines[k] = lines[k][: draw(st.integers(0, len(lines[k])))]
    files[name] = "\n".join(lines)
    return files


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_edit_is_a_report_with_file_and_line(
    bundled: dict[str, str], data: st.DataObject
) -> None:
    """Random line edits never raise; every issue names its file, and a line unless it is
    about the rule set as a whole (a missing table)."""
    files = data.draw(_edited(bundled))
    ruleset, issues = load_texts(files)
    assert (ruleset is None) == bool(issues)
    for issue in issues:
        assert issue.file in files or issue.file == "rules", issue
        assert issue.line > 0 or "table: add a file with" in issue.message, issue


def test_a_list_where_a_name_belongs_is_a_report(bundled: dict[str, str]) -> None:
    """`hit_policy: []` (a list, not a name) is reported on its line; it used to raise
    TypeError (an unhashable value looked up among the policies)."""
    files = dict(bundled)
    files[REQ] = files[REQ].replace("hit_policy: collect", "hit_policy: []", 1)
    line = _line_of(files[REQ], "hit_policy: []")
    _, issues = load_texts(files)
    assert any(
        i.file == REQ and i.line == line and "bad hit policy []" in i.message for i in issues
    ), issues
