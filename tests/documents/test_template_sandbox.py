"""Security tests for templates: they see plain data only, and check-template is safe on hostile ones.

Each test is the proof named for one threat in docs/security.md.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sos_docs.documents import render, sandbox
from sos_docs.documents.context import DocumentSettings, build_context
from sos_docs.documents.render import check_template, render_document, render_documents
from sos_docs.errors import TemplateError
from sos_docs.model import MappingCase, Picture
from sos_docs.service.doctor import CheckStatus, check_template_of
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder

try:
    import resource
except ImportError:  # Windows: no address-space limit, the bounds are tested all the same
    resource = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "templates" / "conference_report.docx"
STORY = ROOT / "templates" / "words_and_pictures.docx"
SETTINGS = DocumentSettings(report_date=EXAMPLE_TODAY)
PLAIN = (str, int, float, bool, type(None), list, dict, tuple)

# Templates that try to reach an object behind a value, or to make the process run out of
# memory. {OUT} is replaced by a path under tmp_path that must never be written.
ATTACKS = [
    "{{ scale_picture.tpl.replace_zipname('docProps/app.xml', '/etc/passwd') }}",
    "{{ scale_picture.tpl.write_xml('{OUT}') }}",
    "{{ scale_picture.tpl }}",
    "{{ scale_picture.tpl.docx }}",
    "{{ scale_picture.image_descriptor }}",
    "{{ scale_picture['tpl'] }}",
    "{{ scale_picture.__class__ }}",
    "{{ scale_picture|attr('tpl') }}",
    "{% for p in words_pages %}{{ p.picture.tpl }}{% endfor %}",
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ '{0.__class__}'.format(case_reference) }}",
    "{{ '{0.tpl}'.format(scale_picture) }}",
    "{{ '{x.tpl}'.format_map({'x': scale_picture}) }}",
    "{{ case_reference.upper() }}",
    "{{ children.clear() }}",
    "{{ children|map('upper')|list }}",
    "{{ 'x' * 10**8 }}",
    "{{ [1] * 10**8 }}",
    "{{ 9**999999 }}",
    "{{ range(10**6)|list }}",
    "{{ 'x'|center(10**8) }}",
    "{{ case_reference.ljust(10**8) }}",
    "{{ lipsum(10**5) }}",
    "{% set x = 'x' * 1000 %}{% set x = x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x %}"
    "{% set x = x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x %}"
    "{% set x = x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x %}"
    "{% set x = x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x %}"
    "{% set x = x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x %}{{ x|length }}",
    "{% for i in range(5000) %}{% for j in range(5000) %}{{ case_reference }}{% endfor %}"
    "{% endfor %}",
    "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(18) }}",
    "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
    "{{ ([[1] * 10] * 3000)|sum(start=[])|length }}",
    "{{ [1]|batch(9999999, 'x')|list|length }}",
    "{% block b %}x{% endblock %}{{ self['b'] }}",
    "{{ [scale_picture]|selectattr('tpl')|list }}",
    "{{ words_pages|sort(attribute='picture.tpl')|list }}",
    "{{ ('%(a)10000s' * 1000000 % {'a': 1})|length }}",
]
# Written as ones an attacker would use; refused the same way (not run on the unchanged code,
# which would try to allocate tens of gigabytes).
HUGE_ATTACKS = ["{{ 'x' * 10**10 }}", "{{ range(10**9)|list }}", "{{ 'x'|center(10**10) }}"]


def template_with(folder: Path, *paragraphs: str) -> Path:
    """A real .docx template holding these paragraphs (written with python-docx)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.docx"
    document.save(path)
    return path


@pytest.fixture(scope="module")
def picture_case(tmp_path_factory: pytest.TempPathFactory) -> MappingCase:
    """A case whose Words and pictures pages carry real pictures."""
    folder = tmp_path_factory.mktemp("pictures")
    book = (
        WorkbookBuilder()
        .with_picture("Words and pictures", 0)
        .with_picture("Words and pictures", 1)
    )
    validation = validate(read_workbook(book.write(folder / "case.xlsx")), today=EXAMPLE_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


@pytest.fixture(scope="module")
def picture_context(picture_case: MappingCase) -> dict[str, object]:
    """The picture case's context."""
    return build_context(picture_case, SETTINGS)


def what_templates_see(
    monkeypatch: pytest.MonkeyPatch, templates: list[Path], context: dict[str, object]
) -> list[object]:
    """The values handed to Jinja for each document, captured on their way in."""
    seen: list[object] = []
    original = render._for_document

    def spy(cleaned: object, pictures: object) -> object:
        prepared = original(cleaned, pictures)  # type: ignore[arg-type]
        if isinstance(prepared, dict) and "case_reference" in prepared:  # a whole context
            seen.append(prepared)
        return prepared

    monkeypatch.setattr(render, "_for_document", spy)
    render_documents(templates, context)
    return seen


def walk(value: object, path: str, allowed: tuple[type, ...]) -> list[tuple[str, type]]:
    """Every value in a context, recursively, with its path: the ones of a type not allowed."""
    if type(value) is dict:
        return [bad for key, item in value.items() for bad in walk(item, f"{path}.{key}", allowed)]
    if type(value) in (list, tuple):
        return [bad for item in value for bad in walk(item, f"{path}[]", allowed)]  # type: ignore[attr-defined]
    return [] if type(value) in allowed else [(path, type(value))]


def pictures_in(value: object) -> int:
    """How many opaque picture values a prepared context holds."""
    if isinstance(value, dict):
        return sum(pictures_in(item) for item in value.values())
    if isinstance(value, list | tuple):
        return sum(pictures_in(item) for item in value)
    return int(type(value) is render.TemplatePicture)


# ---- templates see plain data only


def test_the_context_holds_only_plain_data_and_pictures(picture_context: dict[str, object]) -> None:
    """build_context makes str, numbers, bools, None, lists, dicts and model Pictures, nothing else."""
    assert walk(picture_context, "", (*PLAIN, Picture)) == []


@pytest.mark.parametrize("case_name", ["example", "pictures"])
def test_templates_see_only_plain_data_and_opaque_pictures(
    case_name: str,
    example_case: MappingCase,
    picture_context: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every value Jinja gets, for both shipped templates, is plain data or the opaque picture."""
    context = build_context(example_case, SETTINGS) if case_name == "example" else picture_context
    seen = what_templates_see(monkeypatch, [REPORT, STORY], context)
    assert len(seen) == 2
    for prepared in seen:
        assert walk(prepared, "", (*PLAIN, render.TemplatePicture)) == []
    assert pictures_in(seen[0]) >= 1  # the scale picture at least
    if case_name == "pictures":
        assert pictures_in(seen[1]) >= 3  # the scale picture and two pages' pictures


def test_the_opaque_picture_offers_nothing_to_a_template(
    picture_context: dict[str, object],
) -> None:
    """The picture value has no attribute a template could reach, public or private data."""
    picture = render.TemplatePicture.__new__(render.TemplatePicture)
    public = [name for name in dir(picture) if not name.startswith("_")]
    assert public == []
    assert not hasattr(picture, "__dict__")


# ---- hostile templates: rendering refuses them


@pytest.mark.parametrize("tag", ATTACKS + HUGE_ATTACKS)
def test_a_hostile_template_fails_with_a_template_error_and_touches_no_file(
    tag: str, tmp_path: Path, picture_context: dict[str, object]
) -> None:
    """Reaching behind a value or blowing up memory stops the render with a TemplateError."""
    out = tmp_path / "written.xml"
    template = template_with(
        tmp_path / "t", "Report {{ case_reference }}", tag.replace("{OUT}", str(out))
    )
    limit_memory(2 * 1024**3)
    try:
        with pytest.raises(TemplateError) as raised:
            render_document(template, picture_context)
    finally:
        limit_memory(None)
    assert template.name in str(raised.value)
    assert "\n" not in str(raised.value)
    assert not out.exists()


def limit_memory(size: int | None) -> None:
    """Cap this process's address space (None: lift the cap), so a blow-up fails fast instead
    of swapping the machine."""
    if resource is None:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = resource.RLIM_INFINITY if size is None else size
    if hard != resource.RLIM_INFINITY:
        wanted = hard if size is None else min(size, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def test_a_template_cannot_put_a_file_into_the_report(
    tmp_path: Path, picture_context: dict[str, object]
) -> None:
    """The replace_zipname attack of issue 10 makes no document at all, let alone with the file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET CANARY")
    template = template_with(
        tmp_path / "t",
        f"{{{{ scale_picture.tpl.replace_zipname('docProps/app.xml', '{secret}') }}}}",
    )
    with pytest.raises(TemplateError, match="may not do"):
        render_document(template, picture_context)


# ---- hostile templates: check-template and doctor refuse them first


@pytest.mark.parametrize("tag", ATTACKS + HUGE_ATTACKS)
def test_check_template_refuses_a_hostile_template(tag: str, tmp_path: Path) -> None:
    """check-template reports every attack (or fails on it) before any workbook meets it."""
    template = template_with(
        tmp_path / "t", "Report {{ case_reference }}", tag.replace("{OUT}", "x")
    )
    limit_memory(2 * 1024**3)
    try:
        found = check_template(template)
    except TemplateError:
        return
    finally:
        limit_memory(None)
    assert found, f"check-template passed {tag!r}"
    assert any("may not" in field.message for field in found), found


@pytest.mark.parametrize("tag", ATTACKS[:8] + ATTACKS[17:19])
def test_doctor_fails_a_hostile_template(tag: str, tmp_path: Path) -> None:
    """doctor's template check fails a template that reaches behind values or blows up."""
    template = template_with(tmp_path / "t", tag.replace("{OUT}", "x"))
    check = check_template_of("Report", template)
    assert check.status is CheckStatus.FAIL, check


@pytest.mark.parametrize(
    "tag",
    [
        "{{ case_reference|upper }} {{ children_names|lower|trim }}",
        "{% for d in danger_statements %}{{ loop.index }}. {{ d.statement }}"
        "{{ loop.cycle('a', 'b') }}{% if not loop.last %}, {% endif %}{% endfor %}",
        "{% for s in scores|sort(attribute='score') %}{{ s.reason|default('none') }}{% endfor %}",
        "{% macro line(x) %}<{{ x }}>{% endmacro %}{{ line(case_reference) }}",
        "{% set names = children_names %}{{ names }} {{ danger_statements|length * 2 }}",
        "{{ danger_statements[0].statement if danger_statements else '' }}",
    ],
)
def test_check_template_still_passes_ordinary_templates(tag: str, tmp_path: Path) -> None:
    """Filters, loops, loop helpers, macros and conditions the docs show stay allowed."""
    template = template_with(tmp_path / "t", tag)
    assert check_template(template) == []


# ---- check-template on files that are not templates


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """sos-docs run as a separate process, its memory capped at 1 GB."""

    def cap() -> None:
        limit_memory(1024**3)

    return subprocess.run(
        [sys.executable, "-m", "sos_docs", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap if os.name == "posix" else None,  # the child runs no threads before exec
        check=False,
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_check_template_refuses_a_device_without_reading_it() -> None:
    """/dev/zero as the template is refused as not a regular file, not read for ever."""
    result = run_cli("check-template", "/dev/zero")
    assert result.returncode == 1, result
    assert "not a regular file" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_check_template_refuses_a_pipe_without_blocking(tmp_path: Path) -> None:
    """A FIFO as the template is refused at once instead of waiting for a writer."""
    fifo = tmp_path / "template.docx"
    os.mkfifo(fifo)
    result = run_cli("check-template", str(fifo), timeout=30)
    assert result.returncode == 1, result
    assert "not a regular file" in result.stderr + result.stdout


def test_check_template_refuses_an_oversized_file(tmp_path: Path) -> None:
    """A template file over the size limit is refused without being read."""
    big = tmp_path / "big.docx"
    with big.open("wb") as out:
        out.truncate(render.MAX_TEMPLATE_BYTES + 1)
    with pytest.raises(TemplateError, match="larger than"):
        check_template(big)


def test_check_template_refuses_a_symbolic_link(tmp_path: Path) -> None:
    """A template named through a link is refused (opened without following links)."""
    link = tmp_path / "link.docx"
    link.symlink_to(REPORT)
    with pytest.raises(TemplateError, match="link"):
        check_template(link)


def test_the_check_template_command_says_what_a_hostile_template_may_not_do(
    tmp_path: Path,
) -> None:
    """`sos-docs check-template` exits 1 and prints why the tag is refused, not just "unknown"."""
    template = template_with(tmp_path / "t", ATTACKS[0])
    result = run_cli("check-template", str(template))
    assert result.returncode == 1, result
    assert "which templates may not do" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_documented_filters_are_the_allowed_ones() -> None:
    """docs/template-fields.md lists exactly the filters the sandbox allows (less short aliases)."""
    text = (ROOT / "docs/template-fields.md").read_text(encoding="utf-8")
    listed = text[text.index("and the filters") : text.index("It may not call methods")]
    documented = set(re.findall(r"`(\w+)`", listed))
    assert documented == set(sandbox.ALLOWED_FILTERS) - {"d", "e"}


def test_no_field_is_named_like_a_dict_attribute() -> None:
    """The sandbox reads `d.name` from a dict's items first, as Jinja would when no dict
    attribute has that name: no documented field may be named like one (`items`, `keys`)."""
    from sos_docs.documents.fields import FIELDS

    assert [f.name for f in FIELDS if hasattr(dict, f.leaf)] == []


def test_the_service_pipeline_refuses_the_file_reading_template(tmp_path: Path) -> None:
    """Through process_workbook (as the watcher runs it) the issue's attack is a TemplateError,
    no document is written and the secret goes nowhere."""
    import shutil

    from sos_docs.config import DEFAULT_TEMPLATES_DIR, Config
    from sos_docs.pipeline import REPORT as REPORT_KIND
    from sos_docs.pipeline import process_workbook

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET CANARY")
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, templates)
    attack = f"{{{{ scale_picture.tpl.replace_zipname('docProps/app.xml', '{secret}') }}}}"
    document = docx.Document()
    document.add_paragraph(attack)
    document.save(templates / REPORT_KIND.template)
    workbook = WorkbookBuilder().write(tmp_path / "in" / "case.xlsx")
    with pytest.raises(TemplateError, match="may not do"):
        process_workbook(
            workbook, tmp_path / "out", Config(templates_dir=templates), today=EXAMPLE_TODAY
        )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "tag",
    [
        "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
        "{% if 1 %}" * 3000 + "x" + "{% endif %}" * 3000,
    ],
    ids=["brackets", "ifs"],
)
def test_check_template_refuses_tags_nested_too_deeply(tag: str, tmp_path: Path) -> None:
    """Thousands of nested brackets or ifs are a TemplateError, not a RecursionError traceback."""
    template = template_with(tmp_path / "t", tag)
    with pytest.raises(TemplateError, match="nest"):
        check_template(template)


# ---- hostile templates that pass check-template: bounded while rendering

# A list of ten million one-letter strings, and a list holding it 2**20 times (made by `+`, which
# copies references only): printing, joining or sorting the second would need petabytes.
_NESTED = "{% set x = ['a'] * 9999999 %}{% set y = [x] %}" + "{% set y = y + y %}" * 20
_BIG_TEXT = "{% set s = 'a' * 9999999 %}"
_TEN_THOUSAND_TIMES = "{% for i in range(10000) %}{{ s }}{% endfor %}"
_LISTED = "{% set x = range(10000)|list %}"
# Templates an attacker review found that check-template passes and that exhausted the
# service's memory (or ran for minutes) while rendering.
RUNTIME_ATTACKS = {
    "macro output": _BIG_TEXT
    + "{% macro m() %}"
    + _TEN_THOUSAND_TIMES
    + "{% endmacro %}{{ m()|length }}",
    "set block": _BIG_TEXT + "{% set b %}" + _TEN_THOUSAND_TIMES + "{% endset %}{{ b|length }}",
    "call block": _BIG_TEXT
    + "{% macro w() %}{{ caller()|length }}{% endmacro %}"
    + "{% call w() %}"
    + _TEN_THOUSAND_TIMES
    + "{% endcall %}",
    "filter block": _BIG_TEXT + "{% filter length %}" + _TEN_THOUSAND_TIMES + "{% endfilter %}",
    "macro of literal text": "{% set x = range(100)|list %}{% macro m() %}"
    "{% for i in x %}{% for j in x %}" + "x" * 100_000 + "{% endfor %}{% endfor %}"
    "{% endmacro %}{% for k in x %}{{ m()|length }}{% endfor %}",
    "print a repeated nested list": "{% set x = ['a'] * 9999999 %}"
    "{% set y = [x] * 9999999 %}{{ y|length }}",
    "print a nested list": _NESTED + "{{ y }}",
    "join a nested list": _NESTED + "{{ y|join }}",
    "string of a nested list": _NESTED + "{{ y|string|length }}",
    "upper of a nested list": _NESTED + "{{ y|upper|length }}",
    "escape a nested list": _NESTED + "{{ y|e|length }}",
    "tilde a nested list": _NESTED + "{{ (y ~ '')|length }}",
    "percent a nested list": _NESTED + "{{ ('%s' % (y,))|length }}",
    "sort a nested list": _NESTED + "{{ y|sort|length }}",
    "list of a nested list's batches": _NESTED + "{{ y|batch(3)|list|string|length }}",
    "nested loops over a listed range": _LISTED
    + "{% for i in x %}{% for j in x %}{% for k in x %}{% endfor %}{% endfor %}{% endfor %}",
    "nested loops over filtered lists": _LISTED
    + "{% for i in x|select %}{% for j in x|reject %}{% for k in x|select %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "wordwrap at width 1": "{% set t = 'word ' * 2000000 %}{{ t|wordwrap(1)|length }}",
    "percent with a repeated mapping format": "{{ ('%(a)10000s' * 1000000 % {'a': 1})|length }}",
    "percent repeated as often as the data says": "{% set n = case_reference|length %}"
    "{{ (('%10000s' * (n * 100000)) % ((case_reference,) * (n * 100000)))|length }}",
    "percent of a long text many times": _BIG_TEXT + "{{ ('%s' * 1000 % ((s,) * 1000))|length }}",
}


@pytest.mark.parametrize("tag", RUNTIME_ATTACKS.values(), ids=RUNTIME_ATTACKS.keys())
def test_a_template_passing_the_check_cannot_exhaust_memory_or_time(
    tag: str, tmp_path: Path, picture_context: dict[str, object]
) -> None:
    """Under a 2 GB cap, each attack ends in a one-line TemplateError within 5 seconds."""
    template = template_with(tmp_path / "t", "Report {{ case_reference }}", tag)
    limit_memory(2 * 1024**3)
    started = time.monotonic()
    try:
        with pytest.raises(TemplateError) as raised:
            render_document(template, picture_context)
    finally:
        limit_memory(None)
    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert template.name in message
    assert "\n" not in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("tag", "printed"),
    [
        ("{{ [1, 'a', [2]] }}", "[1, 'a', [2]]"),
        ("{{ {'k': 1} }}", "{'k': 1}"),
        ("{{ ['Mia', 'Leo']|join(' and ') }}", "Mia and Leo"),
        ("{{ [[1], [2]]|join(';') }}", "[1];[2]"),
        ("{{ [1, 2]|string }}", "[1, 2]"),
        ("{{ (['a'] ~ 'b') }}", "['a']b"),
        ("{{ '%s!' % ([1],) }}", "[1]!"),
        ("{{ 'one two three'|wordwrap(10) }}", "one two\nthree"),
        (
            "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m('a') }}{% set b %}B{% endset %}{{ b }}",
            "<a>B",
        ),
        (
            "{% for i in range(3) %}{% for j in [1, 2] %}{{ i * j }}{% endfor %}{% endfor %}",
            "001224",
        ),
        ("{{ [[1, 2], [3]]|sort|first }}", "[1, 2]"),
        ("{{ '%s and %s' % ('Mia', 'Leo') }}", "Mia and Leo"),
        ("{{ '%05d' % 7 }}", "00007"),
        ("{% set d = {'x': 'Mia'} %}{{ '%(x)s, %(x)s' % d }}", "Mia, Mia"),
        (
            "{{ '%-4s|%4s|%.2f|%x|%%|%.3s' % ('a', 'b', 3.14159, 255, 'abcdef') }}",
            "a   |   b|3.14|ff|%|abc",
        ),
    ],
)
def test_ordinary_printing_joining_and_loops_are_unchanged(
    tag: str, printed: str, tmp_path: Path, picture_context: dict[str, object]
) -> None:
    """Small lists print as Python writes them, and joins, macros and loops work as before."""
    template = template_with(tmp_path / "t", tag)
    rendered = render_document(template, picture_context)
    paragraphs = docx.Document(io.BytesIO(rendered.data)).paragraphs
    assert "\n".join(p.text for p in paragraphs) == printed


def test_check_template_passes_every_shipped_template() -> None:
    """The bounds refuse no tag of the templates the project ships."""
    shipped = sorted((ROOT / "templates").glob("**/*.docx"))
    assert len(shipped) >= 3
    for template in shipped:
        assert check_template(template) == [], template


def test_template_render_joins_through_the_bounded_concat() -> None:
    """Jinja's own Template.render (not only the docx path) refuses a part past MAX_PART_CHARS
    before joining it: 100 copies of a megabyte of literal text."""
    env = sandbox.TemplateSandbox()
    template = env.from_string("{% for i in range(100) %}" + "x" * 1_000_000 + "{% endfor %}")
    with sandbox.document_budget(), pytest.raises(sandbox.DocumentTooLarge, match="longer than"):
        template.render()


_TEXTS = st.text(alphabet="abc ,'", max_size=5)
_NESTED_DATA = st.recursive(
    st.one_of(_TEXTS, st.integers(-1000, 1000)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXTS, inner, max_size=3),
    max_leaves=20,
)


@given(value=st.lists(_NESTED_DATA, max_size=5))
def test_small_values_print_and_join_exactly_as_python_writes_them(value: list[object]) -> None:
    """Printing, `|string`, `|join`, `~` and `%` of small nested data give Python's own text."""
    env = sandbox.TemplateSandbox()
    template = env.from_string(
        "{{ v }}|{{ v|string }}|{{ v|join(';') }}|{{ v ~ '' }}|{{ '%s' % (v,) }}"
    )
    with sandbox.document_budget():
        printed = template.render(v=value)
    text = str(value)
    assert printed == f"{text}|{text}|{';'.join(map(str, value))}|{text}|{text}"


def test_a_memory_error_while_rendering_is_a_template_error_saying_the_document_is_too_large(
    tmp_path: Path, picture_context: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Running out of memory in a render is a one-line TemplateError naming the template, not an
    empty reason."""

    def out_of_memory(op: str, left: object, right: object) -> object:
        raise MemoryError

    monkeypatch.setattr(sandbox, "bounded_binop", out_of_memory)
    template = template_with(tmp_path / "t", "{{ 6 * case_reference|length }}")
    with pytest.raises(TemplateError) as raised:
        render_document(template, picture_context)
    message = str(raised.value)
    assert message.startswith(f"The document from {template.name} would be too large to make")
    assert "\n" not in message


_CONVERSIONS = st.one_of(
    st.tuples(st.sampled_from(["s", "r", "a"]), _NESTED_DATA),
    st.tuples(st.sampled_from(["d", "i", "o", "x", "X"]), st.integers(-(2**200), 2**200)),
    st.tuples(st.sampled_from(["f", "e", "g", "E"]), st.floats(allow_nan=False, width=64)),
    st.tuples(st.just("c"), st.characters()),
    st.tuples(st.just("%"), st.none()),
)


@given(
    pieces=st.lists(
        st.tuples(
            st.text(max_size=3),
            st.sampled_from(["", "-", "0", "#", "+", " "]),
            st.none() | st.integers(0, 40),
            st.none() | st.integers(0, 20),
            _CONVERSIONS,
        ),
        max_size=6,
    ),
    keyed=st.booleans(),
)
def test_the_percent_size_estimate_is_never_below_what_python_makes(
    pieces: list[tuple[str, str, int | None, int | None, tuple[str, object]]], keyed: bool
) -> None:
    """For any format and arguments, `printf_size` is at least the length of Python's result,
    and the sandbox's `%` gives Python's own text."""
    template = ""
    positional: list[object] = []
    named: dict[str, object] = {}
    for n, (text, flags, width, precision, (kind, value)) in enumerate(pieces):
        template += text.replace("%", "%%")
        if kind == "%":  # Python takes no key, flag, width or precision for a literal '%'
            template += "%%"
            continue
        key = f"({n})" if keyed else ""
        width_text = "" if width is None else str(width)
        precision_text = "" if precision is None else f".{precision}"
        template += f"%{key}{flags}{width_text}{precision_text}{kind}"
        positional.append(value)
        named[str(n)] = value
    arguments: object = named if keyed else tuple(positional)
    made = template % arguments  # type: ignore[operator]
    assert sandbox.printf_size(template, arguments) >= len(made)
    with sandbox.document_budget():
        assert sandbox.bounded_binop("%", template, arguments) == made
