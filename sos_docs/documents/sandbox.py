"""The Jinja sandbox templates run in: plain data in, bounded work, nothing else reachable.

Jinja's own SandboxedEnvironment stops `__class__` and friends but lets a template call any
public method of any value it can reach, and bounds neither memory nor time. This one lets a
template read plain data (text, numbers, lists, dicts), call nothing but its own macros,
`range` and the loop helpers, use only the filters the project documents, and refuses before
computing any value larger than `MAX_VALUE_SIZE` (`'x' * 10**10`, `range(10**9)`,
`'x'|center(10**10)`, `9**999999`, a `%` format whose result, estimated from its
widths and arguments, would be too large) or a document part larger than `MAX_PART_CHARS`. What a
template prints is counted as it is printed and again where Jinja joins a macro's or block's
buffer (`concat`); a list or dict prints as text only while small; every `for` is counted
(`count_loop`). Every refusal is a Jinja `SecurityError`, which the render layer reports as a
TemplateError.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import re
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn

import jinja2
import markupsafe
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import Concat, EvalContext
from jinja2.runtime import Context, LoopContext, Macro, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment

# The most characters or items one value a template makes may hold (a workbook cell holds at
# most 32,767 characters; the whole example report is about 60,000).
MAX_VALUE_SIZE = 10_000_000
# The most characters one rendered part (body, a header, footnotes) may hold.
MAX_PART_CHARS = 50_000_000
# The most numbers all `range()` calls of one document may make together: nested loops over
# ranges cannot multiply their way to hours of work.
MAX_RANGE_ITEMS = 10_000
# The most characters or items all the values one document's template makes may hold together:
# many values just under MAX_VALUE_SIZE, kept in variables, cannot add up to gigabytes.
MAX_MADE_PER_DOCUMENT = 100_000_000
# The most calls of macros (and `caller`) one document may make, and how deep they may nest:
# a macro calling itself twice cannot double its way to hours of work.
MAX_CALLS = 100_000
MAX_CALL_DEPTH = 50
# The largest number a filter takes (a width, a count): no document needs more.
MAX_FILTER_NUMBER = 100_000
# The largest integer a template may make, in bits (estimated before it is made: the base's
# bits times the exponent for `**`, the sum of the bits for `*`).
MAX_INT_BITS = 4096
# A width or precision in a `%` format larger than this would pad a value to megabytes.
MAX_FORMAT_WIDTH = 10_000
# The most conversions one `%` format may hold: its result is estimated conversion by
# conversion before it is made, and no document needs more than a few.
MAX_FORMAT_CONVERSIONS = 10_000
# The most times all the loops of one document may go round together: nested loops over a
# listed range (`range(10000)|list`) cannot run for hours.
MAX_LOOP_ITERATIONS = 1_000_000
# The most characters one document's template may print, into its parts or into the buffers
# of macros, `{% call %}`, `{% set %}` and `{% filter %}` blocks, counted as they are printed.
MAX_PRINTED_PER_DOCUMENT = 100_000_000
# The most characters and items (counted deep, every repeat of a shared list again) a list or
# dict may hold to be printed as text, as Python writes it: a template prints text and numbers.
MAX_PRINTED_CONTAINER = 100_000
# The most characters `wordwrap` wraps: Python's textwrap takes seconds on ten million.
MAX_WORDWRAP_CHARS = 1_000_000

# Filters a template may use: the ones that turn plain data into plain data. The others (map,
# attr, format, pprint, tojson, random, xmlattr, safe, urlize, ...) are kept as names that
# refuse, so a template using one fails with "may not" instead of "no such filter".
ALLOWED_FILTERS = frozenset(
    {
        "abs", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e",
        "escape", "filesizeformat", "first", "float", "forceescape", "groupby", "indent", "int",
        "items", "join", "last", "length", "list", "lower", "max", "min", "reject",
        "rejectattr", "replace", "reverse", "round", "select", "selectattr", "slice", "sort",
        "string", "striptags", "sum", "title", "trim", "truncate", "unique", "upper",
        "wordcount", "wordwrap",
    }
)  # fmt: skip
# What a template may read of `loop` inside a for loop.
LOOP_ATTRIBUTES = frozenset(
    {
        "index", "index0", "revindex", "revindex0", "first", "last", "length", "depth",
        "depth0", "previtem", "nextitem", "cycle", "changed",
    }
)  # fmt: skip
LOOP_METHODS = frozenset({"cycle", "changed"})
# Jinja's default globals a template may not use.
UNAVAILABLE_GLOBALS = frozenset({"lipsum", "cycler", "joiner", "namespace", "dict"})
# Filters that turn their value into text first (str() of a list is every item's text).
TEXT_FILTERS = frozenset(
    {
        "capitalize", "center", "e", "escape", "forceescape", "indent", "lower", "replace",
        "string", "striptags", "title", "trim", "truncate", "upper", "wordcount", "wordwrap",
    }
)  # fmt: skip
# Filters that compare or walk every item of their value, however deep.
ORDERING_FILTERS = frozenset({"dictsort", "groupby", "max", "min", "sort", "unique"})
# Filters whose value is read into a list first, counted item by item as it is read.
LISTING_FILTERS = ORDERING_FILTERS | {"join", "list"}
# The values a template may read as an attribute: data, never a method or an object.
_PLAIN_DATA = (str, int, float, bool, type(None), list, dict, tuple)
# Values whose text (str()) is the text of everything they hold.
_CONTAINERS = (list, tuple, dict, set, frozenset, KeysView, ValuesView, ItemsView)
# What follows a `%` (and its mapping key) up to the conversion's type letter.
_PRINTF_SPEC = re.compile(r"[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?")
BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul,
    "**": operator.pow,
    "+": operator.add,
    "%": operator.mod,
}


class Opaque:
    """Base of values a template may hold but not look into (pictures, unavailable globals).

    No public attribute or method and no `__dict__`; reading any public name is refused with
    the subclass's own sentence, and private or special names simply do not exist for Jinja
    (the sandbox never reads names starting with "_").
    """

    __slots__ = ()

    def _refusal(self, name: str) -> str:
        """Why a template may not read `name` of this value."""
        return f"'{name}' cannot be read here"

    def __getattr__(self, name: str) -> NoReturn:
        # Reached only for names the object does not have.
        if name.startswith("_") or name == "jinja_pass_arg":  # looked up by Python and Jinja
            raise AttributeError(name)
        raise SecurityError(self._refusal(name))


# What a template may read attributes or items of: data, `loop`, and values that refuse with
# their own message (undefined names, Jinja's globals that are not available, pictures).
_READABLE = (*_PLAIN_DATA, LoopContext, jinja2.Undefined, Opaque)


class TooLarge(SecurityError):
    """A template asked for a value or a document larger than the sandbox allows."""


class DocumentTooLarge(TooLarge):
    """A rendered part passed MAX_PART_CHARS: too much data, or a template repeating too much."""


@dataclass
class _Budget:
    """What is left for one document: numbers from range(), characters or items made."""

    range_items: int = MAX_RANGE_ITEMS
    made: int = MAX_MADE_PER_DOCUMENT
    iterations: int = MAX_LOOP_ITERATIONS
    printed: int = MAX_PRINTED_PER_DOCUMENT
    calls: int = MAX_CALLS
    depth: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("sos_docs_template_budget", default=None)


@contextlib.contextmanager
def document_budget() -> Iterator[None]:
    """A fresh budget for the document rendered (or template checked) inside the block.

    Kept in a context variable, so each thread rendering a document has its own.
    """
    token = _budget.set(_Budget())
    try:
        yield
    finally:
        _budget.reset(token)


def refuse_if_too_large(size: int, what: str) -> None:
    """Raise TooLarge when a value would hold more than MAX_VALUE_SIZE characters or items."""
    if size > MAX_VALUE_SIZE:
        raise TooLarge(
            f"{what} would make a value of {size:,} characters or items, "
            f"more than the {MAX_VALUE_SIZE:,} allowed"
        )


def refuse_unaffordable(size: int, what: str) -> None:
    """Refuse (without spending) a value larger than MAX_VALUE_SIZE or than what is left of
    the document's budget, before it is made."""
    refuse_if_too_large(size, what)
    budget = _budget.get()
    if budget is not None and size > budget.made:
        raise TooLarge(
            f"{what} would take the values the template makes past "
            f"{MAX_MADE_PER_DOCUMENT:,} characters or items"
        )


def spend(size: int, what: str) -> None:
    """Count a value the template made against the document's budget (and MAX_VALUE_SIZE)."""
    refuse_unaffordable(size, what)
    budget = _budget.get()
    if budget is not None:
        budget.made -= size


def bounded_binop(op: str, left: Any, right: Any) -> Any:
    """`left op right` for *, **, + and %, refused before it could make a value too large."""
    if op == "*":
        _check_repeat(left, right)
        _check_repeat(right, left)
        _check_int_bits(left, right, _bits(left) + _bits(right))
    elif op == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            _check_int_bits(left, right, _bits(left) * right)
    elif op == "+":
        if _sized(left) and _sized(right):
            refuse_if_too_large(len(left) + len(right), "Joining two values")
    elif op == "%" and isinstance(left, str):
        for argument in right if isinstance(right, tuple) else (right,):
            check_printable(argument)
        # Widths are bounded one by one; the result is bounded in total before it is made.
        refuse_unaffordable(printf_size(left, right), "Formatting with '%'")
    try:
        result = BINOPS[op](left, right)
    except OverflowError as exc:
        raise TooLarge(f"the number is too large ({exc})") from exc
    if _sized(result):
        spend(len(result), "The expression")
    return result


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sized(value: object) -> bool:
    return isinstance(value, str | list | tuple)


def _bits(value: object) -> int:
    return value.bit_length() if _is_int(value) else 0  # type: ignore[attr-defined]


def _check_repeat(sequence: object, times: object) -> None:
    """`sequence * times` may hold MAX_VALUE_SIZE items, counted deep: `[x] * n` holds n times
    everything x holds (printing or joining it would write all of it)."""
    if not (_sized(sequence) and _is_int(times)):
        return
    count = max(times, 0)  # type: ignore[call-overload]
    size = len(sequence)  # type: ignore[arg-type]
    if count and not isinstance(sequence, str) and _holds_containers(sequence):  # type: ignore[arg-type]
        size = deep_size(sequence, MAX_VALUE_SIZE // count)
    refuse_if_too_large(size * count, "Repeating a value")


def _holds_containers(sequence: Iterable[object]) -> bool:
    return any(isinstance(item, _CONTAINERS) for item in sequence)


def deep_size(value: object, limit: int) -> int:
    """The characters and items in `value`, every repeat of a shared list counted again,
    worked out only until the count passes `limit` (so never more than `limit` steps)."""
    size = 0
    waiting = [value]
    while waiting:
        item = waiting.pop()
        if isinstance(item, str):
            size += len(item)
        elif isinstance(item, _CONTAINERS):
            size += len(item)
            if size > limit:
                return size
            if isinstance(item, dict):
                waiting.extend(item.keys())
                waiting.extend(item.values())
            else:
                waiting.extend(item)
        else:
            size += 1 + _bits(item) // 3  # a number's digits, roughly
        if size > limit:
            return size
    return size


def check_printable(value: object) -> int:
    """How many characters and items `value` prints; refused for a list or dict too large to
    print as text (a template prints text and numbers, and loops over lists)."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, _CONTAINERS):
        return 1
    size = deep_size(value, MAX_PRINTED_CONTAINER)
    if size > MAX_PRINTED_CONTAINER:
        raise TooLarge(
            "a template prints text and numbers, and this list or table holds more than "
            f"{MAX_PRINTED_CONTAINER:,} characters and items; use a loop to print its items"
        )
    return size


def spend_printed(size: int) -> None:
    """Count characters printed (anywhere: a part, a macro, a block) against the document's
    budget, refusing the document past MAX_PRINTED_PER_DOCUMENT."""
    budget = _budget.get()
    if budget is None:
        return
    budget.printed -= size
    if budget.printed < 0:
        raise DocumentTooLarge(
            f"the template would print more than {MAX_PRINTED_PER_DOCUMENT:,} characters"
        )


def bounded_concat(pieces: Iterable[str]) -> str:
    """Jinja's `concat` ("".join) for parts, macros and blocks: the pieces are counted first,
    and refused past MAX_PART_CHARS or the document's printed budget, before joining."""
    if not isinstance(pieces, list):
        pieces = _counted_pieces(pieces)
    total = sum(map(len, pieces))
    if total > MAX_PART_CHARS:
        raise DocumentTooLarge(f"a part would be longer than {MAX_PART_CHARS:,} characters")
    spend_printed(total)
    return "".join(pieces)


def _counted_pieces(pieces: Iterable[str]) -> list[str]:
    kept: list[str] = []
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > MAX_PART_CHARS:
            raise DocumentTooLarge(f"a part would be longer than {MAX_PART_CHARS:,} characters")
        kept.append(piece)
    return kept


def bounded_list(values: Iterable[Any]) -> list[Any]:
    """The values as a list, refused once it would hold more than MAX_VALUE_SIZE items."""
    if isinstance(values, list | tuple | str | dict | range):
        refuse_if_too_large(len(values), "Listing a value")
        return list(values)
    listed: list[Any] = []
    for value in values:
        listed.append(value)
        if len(listed) > MAX_VALUE_SIZE:
            refuse_if_too_large(len(listed), "Listing a value")
    return listed


def count_loop(iterable: Any) -> Any:
    """What a `for` tag goes round, counted against the document's MAX_LOOP_ITERATIONS."""
    budget = _budget.get()
    if budget is None or isinstance(iterable, jinja2.Undefined):
        return iterable
    if isinstance(iterable, list | tuple | dict | str | range):
        _spend_iterations(budget, len(iterable))
        return iterable
    return _counted_iteration(iterable, budget)


def _counted_iteration(iterable: Iterable[Any], budget: _Budget) -> Iterator[Any]:
    for item in iterable:
        _spend_iterations(budget, 1)
        yield item


def _spend_iterations(budget: _Budget, count: int) -> None:
    budget.iterations -= count
    if budget.iterations < 0:
        raise DocumentTooLarge(
            f"the template's loops would go round more than {MAX_LOOP_ITERATIONS:,} times"
        )


def _check_int_bits(left: object, right: object, bits: int) -> None:
    if _is_int(left) and _is_int(right) and bits > MAX_INT_BITS:
        raise TooLarge(
            f"the number would have about {bits:,} bits, more than the {MAX_INT_BITS:,} allowed"
        )


@dataclass(frozen=True)
class _Conversion:
    """One `%` conversion of a format: its mapping key (None: the next argument), width,
    precision and type letter, and the text it was written as."""

    key: str | None
    width: int
    precision: int | None
    kind: str
    written: str


def _conversions(template: str) -> Iterator[_Conversion]:
    """The conversions of a `%` format, read as Python reads them (a mapping key may hold
    brackets); a `*` width or precision is refused, and so is one over MAX_FORMAT_WIDTH, and
    a format with more than MAX_FORMAT_CONVERSIONS conversions."""
    start = template.find("%")
    for _ in range(MAX_FORMAT_CONVERSIONS + 1):
        if start < 0:
            return
        position = start + 1
        key = None
        if template.startswith("(", position):
            key, position = _mapping_key(template, position + 1)
        spec = _PRINTF_SPEC.match(template, position)
        assert spec is not None  # every part of the pattern may be empty
        width, precision = spec.group("width"), spec.group("precision")
        written = template[start : spec.end() + 1]
        for number in (width, precision):
            if number == "*" or (number and (len(number) > 9 or int(number) > MAX_FORMAT_WIDTH)):
                raise TooLarge(f"the format '{written[:40]}' pads a value too far")
        kind = template[spec.end() : spec.end() + 1]
        yield _Conversion(
            key, int(width or 0), int(precision) if precision else None, kind, written
        )
        start = template.find("%", spec.end() + 1)
    raise TooLarge(f"a '%' format may hold at most {MAX_FORMAT_CONVERSIONS:,} conversions")


def _mapping_key(template: str, position: int) -> tuple[str, int]:
    """The mapping key starting at `position` (just after its "("), up to the ")" closing it,
    and where the rest of the conversion starts."""
    depth, start = 1, position
    while depth:
        close = template.find(")", position)
        if close < 0:  # Python refuses it: "incomplete format key"
            return template[start:], len(template)
        depth += template.count("(", position, close) - 1
        position = close + 1
    return template[start : position - 1], position


def printf_size(template: str, arguments: object) -> int:
    """At least how many characters `template % arguments` makes, worked out without making
    it: the literal text, and for each conversion the larger of its width and its argument's
    converted size (the argument looked up by key in a mapping format)."""
    size = len(template)  # the literal text, and more: the conversions' own text is counted
    positional = iter(arguments if isinstance(arguments, tuple) else (arguments,))
    # Markup escapes each argument first: `'` becomes `&#39;`, five characters for one.
    growth = 5 if isinstance(template, markupsafe.Markup) else 1
    printed: dict[tuple[int, str], int] = {}  # a container's text, by id: made once
    for conversion in _conversions(template):
        if size > MAX_VALUE_SIZE:
            break  # refused however the rest adds up
        if conversion.kind == "%":
            size += conversion.width
            continue
        if conversion.key is None:
            argument = next(positional, None)
        elif isinstance(arguments, Mapping):
            argument = arguments.get(conversion.key)
        else:
            argument = None  # Python refuses the lookup itself
        converted = _converted_size(argument, conversion, printed)
        size += max(conversion.width, growth * converted)
    return size


# How `%s`, `%r` and `%a` write a value.
_WRITERS: dict[str, Callable[[object], str]] = {"s": str, "r": repr, "a": ascii}


def _converted_size(
    argument: object, conversion: _Conversion, printed: dict[tuple[int, str], int]
) -> int:
    """At most how many characters one conversion makes of its argument, before padding."""
    if conversion.kind not in "sra":  # a number, or `%c`: one character
        return _number_size(argument) + (conversion.precision or 0) + 8  # sign, point, 'e+'
    if isinstance(argument, str):
        # repr writes a character as up to ten (\U0010ffff), and adds the quotes.
        size = len(argument) if conversion.kind == "s" else 10 * len(argument) + 2
    elif isinstance(argument, _CONTAINERS):
        check_printable(argument)  # small enough to print: its text is made to be measured
        key = (id(argument), conversion.kind)
        if key not in printed:
            write = _WRITERS[conversion.kind]
            printed[key] = len(write(argument))
        size = printed[key]
    else:
        size = _number_size(argument)
    if conversion.precision is not None:
        size = min(size, conversion.precision)
    return size


def _number_size(value: object) -> int:
    """At most how many characters a number (or another small value) is written as."""
    if _is_int(value):
        return 2 + _bits(value) // 3  # octal, the longest: a digit per three bits
    if isinstance(value, float):
        return 330  # '%f' of 1e308 writes 309 digits
    return 1000  # bools, None, a one-letter text for `%c`, pictures: small, counted generously


def bounded_range(*args: int) -> range:
    """`range` whose numbers, over all its calls in one document, stay within MAX_RANGE_ITEMS."""
    if not all(_is_int(arg) and abs(arg) < 2**31 for arg in args):
        raise TooLarge("range() takes only whole numbers of a sensible size")
    numbers = range(*args)
    spend_range(len(numbers))
    return numbers


def spend_range(count: int) -> None:
    """Count numbers made by range() against the document's budget."""
    budget = _budget.get()
    left = budget.range_items if budget is not None else MAX_RANGE_ITEMS
    if count > left:
        raise TooLarge(f"range() would make more than {MAX_RANGE_ITEMS:,} numbers in one document")
    if budget is not None:
        budget.range_items -= count


def _data_arguments(args: Iterable[Any]) -> list[Any]:
    """A filter's arguments without the environment or context Jinja passes some filters first."""
    return [a for a in args if not isinstance(a, jinja2.Environment | Context | EvalContext)]


def _argument(args: list[Any], kwargs: Mapping[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def check_filter_arguments(name: str, args: list[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse a filter call whose result would be too large, before making it."""
    for value in [*args[1:], *kwargs.values()]:
        if _is_int(value) and abs(value) > MAX_FILTER_NUMBER:
            raise TooLarge(
                f"the filter '{name}' takes numbers up to {MAX_FILTER_NUMBER:,}, not {value:,}"
            )
    value = args[0] if args else ""
    if name == "sum":
        start = _argument(args, kwargs, 2, "start")
        if start is not None and not isinstance(start, int | float):
            raise SecurityError("the filter 'sum' adds numbers only")
    if name == "replace":
        new = _argument(args, kwargs, 2, "new")
        if _sized(value) and isinstance(new, str):
            refuse_if_too_large((len(value) + 1) * len(new), "The filter 'replace'")
    elif name == "join":
        separator = _argument(args, kwargs, 1, "d")
        if isinstance(value, list | tuple) and isinstance(separator, str):
            refuse_if_too_large(len(value) * len(separator), "The filter 'join'")
    elif name == "indent":
        width = _argument(args, kwargs, 1, "width")
        size = width if _is_int(width) else len(width) if isinstance(width, str) else 4
        if isinstance(value, str):
            refuse_if_too_large((value.count("\n") + 1) * size + len(value), "The filter 'indent'")
    elif name == "wordwrap":
        _check_wordwrap(value, _argument(args, kwargs, 4, "wrapstring"))
    if name in TEXT_FILTERS:
        check_printable(value)
    elif name in ORDERING_FILTERS and isinstance(value, _CONTAINERS):
        if deep_size(value, MAX_VALUE_SIZE) > MAX_VALUE_SIZE:
            raise TooLarge(
                f"the filter '{name}' would compare values holding more than "
                f"{MAX_VALUE_SIZE:,} characters or items"
            )
    elif name == "join" and isinstance(value, list):
        _check_join(value, _argument(args, kwargs, 1, "d"))


def _check_wordwrap(value: object, wrapstring: object) -> None:
    """Wrapping takes time in proportion to the text, and adds `wrapstring` at every break."""
    if isinstance(value, str) and len(value) > MAX_WORDWRAP_CHARS:
        raise TooLarge(
            f"the filter 'wordwrap' wraps at most {MAX_WORDWRAP_CHARS:,} characters, "
            f"not {len(value):,}"
        )
    if isinstance(value, str) and isinstance(wrapstring, str):
        refuse_if_too_large((len(value) + 1) * len(wrapstring), "The filter 'wordwrap'")


def _check_join(values: list[Any], separator: object) -> None:
    """A join holds every item's text: counted item by item, stopping at MAX_VALUE_SIZE."""
    total = len(values) * len(separator) if isinstance(separator, str) else 0
    for value in values:
        if isinstance(value, str):
            total += len(value)
        else:
            total += (
                deep_size(value, MAX_VALUE_SIZE - total) if isinstance(value, _CONTAINERS) else 1
            )
        if total > MAX_VALUE_SIZE:
            break
    refuse_if_too_large(total, "The filter 'join'")


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter, refusing arguments or results too large (keeps Jinja's pass_* marker)."""

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if name in LISTING_FILTERS:
            args = _with_listed_value(args)
        check_filter_arguments(name, _data_arguments(args), kwargs)
        result = function(*args, **kwargs)
        if _sized(result):
            spend(len(result), f"The filter '{name}'")
        return result

    return bounded


def _with_listed_value(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The filter's arguments with its value (the first after any environment or context)
    read into a list, counted as it is read: a generator is listed before it is checked."""
    for index, argument in enumerate(args):
        if not isinstance(argument, jinja2.Environment | Context | EvalContext):
            if isinstance(argument, list | str | dict | jinja2.Undefined):
                return args
            return (*args[:index], bounded_list(argument), *args[index + 1 :])
    return args


def _refused_filter(name: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise SecurityError(f"templates may not use the filter '{name}'")

    return refused


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with `~` joins made by a function that refuses huge results,
    and what each `for` goes round passed through `environment.count_loop`."""

    _loop_iterable: jinja2.nodes.Node | None = None

    def visit_For(self, node: jinja2.nodes.For, frame: Frame) -> None:
        outer = self._loop_iterable
        self._loop_iterable = node.iter
        try:
            super().visit_For(node, frame)
        finally:
            self._loop_iterable = outer

    def visit(self, node: jinja2.nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if node is not self._loop_iterable:
            return super().visit(node, *args, **kwargs)
        self._loop_iterable = None  # wrapped once, where the loop reads it
        self.write("environment.count_loop(")
        super().visit(node, *args, **kwargs)
        self.write(")")
        return None

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            autoescape = "context.eval_ctx.autoescape"
        else:
            autoescape = str(bool(frame.eval_ctx.autoescape))
        self.write("environment.bounded_join((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write(f"), {autoescape})")


class TemplateSandbox(SandboxedEnvironment):
    """A sandbox where templates read plain data, call only macros, range and loop helpers,
    and cannot make values or documents large enough to exhaust memory."""

    intercepted_binops = frozenset(BINOPS)
    code_generator_class = _BoundedCodeGenerator
    # Jinja joins the buffers of macros, `{% call %}`, `{% set %}` and `{% filter %}` blocks,
    # and Template.render's output, with `environment.concat`.
    concat = staticmethod(bounded_concat)
    count_loop = staticmethod(count_loop)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.finalize = _counted_finalize(self.finalize)
        # No lipsum, cycler, joiner, namespace or dict: named, they refuse to be used.
        self.globals = {name: _Unavailable(name) for name in UNAVAILABLE_GLOBALS}
        self.globals["range"] = bounded_range
        self.filters = {
            name: _bounded_filter(name, function)
            if name in ALLOWED_FILTERS
            else _refused_filter(name)
            for name, function in self.filters.items()
        }

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return bounded_binop(operator, left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Only data, and the loop helpers: never a method or an object behind a value."""
        if attr.startswith("_"):
            return False
        if isinstance(obj, LoopContext):
            return attr in LOOP_ATTRIBUTES
        return isinstance(value, _PLAIN_DATA)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Attributes of data, `loop` and pictures only: never of Jinja's own objects (`self`)."""
        if type(obj) is dict and attribute in obj:
            # A field of a context item (`d.statement`), the commonest read: taken as Jinja
            # would after looking for a dict attribute of that name, which no field shares.
            return obj[attribute]
        if not isinstance(obj, _READABLE):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Items of data only."""
        if not isinstance(obj, _READABLE):
            return self.unsafe_undefined(obj, str(argument))
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> None:
        """No `str.format`: a template cannot call string methods at all."""
        return None

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Call one of the template's macros, `range` or a loop helper; refuse anything else."""
        if isinstance(__obj, jinja2.Undefined):
            __obj._fail_with_undefined_error()  # says why it is undefined (or unsafe)
        if isinstance(__obj, _Unavailable):
            __obj._refuse()
        if not _callable_by_templates(__obj):
            raise SecurityError(f"templates may not call {_callable_name(__obj)}")
        budget = _budget.get()
        if budget is None or not isinstance(__obj, Macro):
            return __context.call(__obj, *args, **kwargs)
        if budget.calls <= 0:
            raise TooLarge(f"the template calls its macros more than {MAX_CALLS:,} times")
        if budget.depth >= MAX_CALL_DEPTH:
            raise TooLarge(f"macros call each other more than {MAX_CALL_DEPTH} deep")
        budget.calls -= 1
        budget.depth += 1
        try:
            return __context.call(__obj, *args, **kwargs)
        finally:
            budget.depth -= 1

    @staticmethod
    def bounded_join(parts: tuple[Any, ...], autoescape: bool) -> str:
        """What `a ~ b` makes, refused when it would be too large."""
        refuse_if_too_large(sum(check_printable(p) for p in parts), "Joining values")
        joined = markup_join(parts) if autoescape else str_join(parts)
        spend(len(joined), "Joining values")
        return joined


def _counted_finalize(finalize: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """`finalize` (what every printed value goes through) counting what is printed, and
    refusing a list or dict too large to print as text."""

    def counted(value: Any) -> Any:
        spend_printed(check_printable(value))
        return value if finalize is None else finalize(value)

    return counted


class _Unavailable(Opaque):
    """Stands for one of Jinja's own globals (lipsum, cycler, ...): any use of it is refused."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def _refusal(self, name: str) -> str:
        return f"Jinja's '{self._name}' is not available to templates"

    def _refuse(self) -> NoReturn:
        raise SecurityError(self._refusal(""))

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        self._refuse()

    def __getitem__(self, key: object) -> NoReturn:
        self._refuse()

    def __iter__(self) -> NoReturn:
        self._refuse()

    def __str__(self) -> str:
        self._refuse()

    def __bool__(self) -> bool:
        self._refuse()


def _callable_by_templates(obj: object) -> bool:
    if isinstance(obj, Macro) or obj is bounded_range:
        return True
    owner = getattr(obj, "__self__", None)
    return isinstance(owner, LoopContext) and getattr(obj, "__name__", "") in LOOP_METHODS


def _callable_name(obj: object) -> str:
    name = getattr(obj, "__name__", None)
    return f"'{name}'" if isinstance(name, str) else "that"


def render_bounded(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """The template rendered, refused as soon as its output passes MAX_PART_CHARS."""
    pieces: list[str] = []
    total = 0
    for piece in template.generate(context):
        total += len(piece)
        if total > MAX_PART_CHARS:
            raise DocumentTooLarge(
                f"the document would be longer than {MAX_PART_CHARS:,} characters"
            )
        pieces.append(piece)
    return "".join(pieces)
