"""What a template's tags use that is not a documented field, or that templates may not do.

The walk behind `sos-docs check-template` (render.check_template opens the template and parses
each part; `check_part` walks one parsed part). Nothing is rendered: the walk follows the
parsed tags, so its time and memory follow the template's size. It is in two halves: the walk
over statements (`_StatementWalk`), which keeps track of what each name in scope stands for
through `for`, `set`, `with`, macros and call blocks, and the check of expressions
(`_ExpressionCheck`), which resolves names, attributes and indexes to documented fields and
refuses calls, internals, filters outside the allowed set and constant values too large.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError

from sos_docs.documents import sandbox
from sos_docs.documents.fields import FIELDS_BY_NAME, FieldKind, item_names, top_level_names

_TEMPLATE_GLOBALS = frozenset({"loop", "caller", "varargs", "kwargs"})
# Jinja's own globals, which this sandbox does not offer: a template naming one is refused.
_JINJA_GLOBALS = sandbox.UNAVAILABLE_GLOBALS | {"self"}
# Filters whose result is the same list in another order or subset: loops over them keep
# the item fields of the list.
_LIST_KEEPING_FILTERS = frozenset({"sort", "reverse", "list", "unique", "selectattr", "rejectattr"})
# Filters whose first argument names the attribute they read of each item.
_ATTRIBUTE_FIRST_FILTERS = frozenset({"selectattr", "rejectattr", "groupby"})

# What a name in a template's scope stands for, besides a field path: `loop` inside a for
# loop, a macro the template defines (or `caller` inside one), or something untyped.
_LOOP = "<loop>"
_MACRO = "<macro>"
_Scope = dict[str, str | None]  # each name in scope: the field path it stands for, or the above


@dataclass(frozen=True)
class UnknownField:
    """A placeholder a template uses that is not a documented field, with the nearest one."""

    name: str  # as the template writes it, e.g. "d.statment"
    suggestion: str  # the nearest known field written the same way, or ""
    part: str = "body"  # body, header, footer, footnotes or document properties
    internal: bool = False  # something the sandbox stops (`__class__`, a call), not a field
    why: str = ""  # what it does, when not reaching into Python's internals

    @property
    def message(self) -> str:
        """One line for the person fixing the template."""
        if self.internal:
            does = self.why or "reaches into the program's internals"
            return (
                f"'{self.name}' (in the {self.part}) {does}, which templates may not do; remove it."
            )
        text = f"'{self.name}' (in the {self.part}) is not a known template field"
        return f"{text}; did you mean '{self.suggestion}'?" if self.suggestion else f"{text}."


def check_part(part: str, tree: nodes.Template, env: jinja2.Environment) -> list[UnknownField]:
    """What one parsed part of a template (`part`: body, header, ...) uses that it may not,
    in the order found.

    Constant expressions are worked out with the sandbox's own bounded operators, under one
    document's budget, so `'x' * 10**10` is refused here without being made.
    """
    with sandbox.document_budget():
        return _StatementWalk(part, env, tree).check()


# ---------------------------------------------------------------------------------------------
# Values known without a workbook


class _NotConstant(Exception):
    """An expression whose value is not known without a workbook."""


class _ConstantValues:
    """The values of a template's expressions known without a workbook: constants, `{% set %}`
    names holding one, and what the sandbox's bounded operators make of them (so `'x' * 10**10`
    is refused without being made)."""

    def __init__(self) -> None:
        self.named: dict[str, object] = {}  # `{% set %}` names holding a known value
        self.known: dict[int, object] = {}  # constant expressions worked out, by node
        self.repeats = 1  # how often the part being walked runs, as far as constant ranges say

    @contextlib.contextmanager
    def repeated(self, times: int) -> Iterator[None]:
        """While walking the body of a loop that goes round `times` times."""
        outer = self.repeats
        self.repeats *= times
        try:
            yield
        finally:
            self.repeats = outer

    def remember(self, target: nodes.Node, value: nodes.Node | None, scope: _Scope) -> None:
        """Keep the value a `{% set %}` gives a name when it is known without a workbook."""
        known: object = _NotConstant
        if isinstance(target, nodes.Name) and value is not None:
            with contextlib.suppress(_NotConstant, SecurityError):  # reported by resolve
                known = self.of(value, scope)  # before forgetting: `set x = x ~ x`
        for name in [target, *target.find_all(nodes.Name)]:
            if isinstance(name, nodes.Name):
                self.named.pop(name.name, None)
        if isinstance(target, nodes.Name) and known is not _NotConstant:
            self.named[target.name] = known

    def of(self, node: nodes.Node, scope: _Scope) -> object:
        """The value of an expression known without a workbook, made with the sandbox's
        bounded operators (once per expression); _NotConstant when it depends on data."""
        if isinstance(node, nodes.Name):  # its value depends on where the walk is
            return self._worked_out(node, scope)
        if id(node) not in self.known:
            self.known[id(node)] = self._worked_out(node, scope)
        return self.known[id(node)]

    def _worked_out(self, node: nodes.Node, scope: _Scope) -> object:
        if isinstance(node, nodes.Const):
            return node.value
        if isinstance(node, nodes.Name) and node.name in self.named:
            return self.named[node.name]
        if isinstance(node, nodes.List):
            return [self.of(item, scope) for item in node.items]
        if isinstance(node, nodes.Tuple):  # a tuple: `%` takes its items as the arguments
            return tuple(self.of(item, scope) for item in node.items)
        if isinstance(node, nodes.Dict):  # `'%(a)s' % {'a': 1}` looks the keys up
            items = [(self.of(p.key, scope), self.of(p.value, scope)) for p in node.items]
            if not all(isinstance(key, str | int | float | bool) for key, _ in items):
                raise _NotConstant  # a list as a key: the render says what is wrong
            return dict(items)
        if isinstance(node, nodes.Neg | nodes.Pos):
            value = self.of(node.node, scope)
            return -value if isinstance(node, nodes.Neg) else +value  # type: ignore[operator]
        try:
            if isinstance(node, nodes.BinExpr) and node.operator in sandbox.BINOPS:
                left, right = self.of(node.left, scope), self.of(node.right, scope)
                return sandbox.bounded_binop(node.operator, left, right)
            if isinstance(node, nodes.Concat):
                parts = tuple(self.of(part, scope) for part in node.nodes)
                return sandbox.TemplateSandbox.bounded_join(parts, autoescape=False)
            if _is_range_call(node, scope):
                assert isinstance(node, nodes.Call)
                numbers = sandbox.bounded_range(*[self.of(a, scope) for a in node.args])  # type: ignore[arg-type]
                sandbox.spend_range(len(numbers) * (self.repeats - 1))  # inside range loops
                return numbers
            if isinstance(node, nodes.Filter) and node.node is not None:
                return self._filter(node, scope)
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise _NotConstant from exc  # an error the render reports with its own words
        raise _NotConstant

    def _filter(self, node: nodes.Filter, scope: _Scope) -> object:
        """A filter's size check on constant arguments (the filter itself is not run)."""
        assert node.node is not None
        values = [self.of(node.node, scope), *(self.of(a, scope) for a in node.args)]
        options = {str(pair.key): self.of(pair.value, scope) for pair in node.kwargs}
        sandbox.check_filter_arguments(node.name, values, options)
        raise _NotConstant  # its result is not worked out here


# ---------------------------------------------------------------------------------------------
# Macros


class _Macros:
    """The macros a template defines, in order, and which of them the code being walked may
    call: those defined before the one it is in, so no macro calls itself, directly or round
    a loop."""

    def __init__(self, tree: nodes.Template) -> None:
        self.order = {macro.name: n for n, macro in enumerate(tree.find_all(nodes.Macro))}
        self.below: int | None = None  # None: at the top, where any macro may be called

    @contextlib.contextmanager
    def running(self, name: str) -> Iterator[None]:
        """While walking code that runs as the macro `name` (nothing changes for other names)."""
        outer = self.below
        if name in self.order:
            below = self.order[name]
            self.below = below if outer is None else min(outer, below)
        try:
            yield
        finally:
            self.below = outer

    def may_call(self, name: str) -> bool:
        """Whether the code being walked may call the macro `name`."""
        return self.below is None or self.order.get(name, -1) < self.below


# ---------------------------------------------------------------------------------------------
# The walk over statements


class _StatementWalk:
    """Walks a part's statements, keeping what each name in scope stands for, and hands each
    expression to an `_ExpressionCheck`.

    A loop variable takes the item fields of the list it loops over, so `d.statement` inside
    `{% for d in danger_statements %}` is checked against `danger_statements[].statement`;
    `{% set %}` names take the field (and the constant value) they are given; macro arguments,
    `with` names and `caller` stand for no field. Other files (`include`, `import`,
    `extends`) are refused.
    """

    def __init__(self, part: str, env: jinja2.Environment, tree: nodes.Template) -> None:
        self.tree = tree
        self.macros = _Macros(tree)
        self.values = _ConstantValues()
        self.expressions = _ExpressionCheck(part, env, self.macros, self.values)

    def check(self) -> list[UnknownField]:
        """Everything the part uses that it may not, in the order found."""
        self.visit(self.tree, dict.fromkeys(self.macros.order, _MACRO))
        return self.expressions.found

    def visit(self, node: nodes.Node, scope: _Scope) -> None:
        if isinstance(node, nodes.For):
            self.visit_for(node, scope)
        elif isinstance(node, nodes.Expr) and not isinstance(node, nodes.Literal):
            self.expressions.resolve(node, scope)
        elif isinstance(node, nodes.Assign | nodes.AssignBlock):
            self.visit_set(node, scope)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            self.visit_callable(node, scope)
        elif isinstance(node, nodes.With):
            self.visit_with(node, scope)
        elif isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
            self.expressions.report(type(node).__name__.lower(), "", why="loads another file")
        else:
            for child in node.iter_child_nodes():
                self.visit(child, scope)

    def visit_for(self, node: nodes.For, scope: _Scope) -> None:
        source = self.expressions.resolve(node.iter, scope)
        field = FIELDS_BY_NAME.get(source or "")
        is_list = field is not None and field.kind is FieldKind.LIST
        inner = dict(scope)
        _bind(node.target, f"{source}[]" if is_list else None, inner)
        inner["loop"] = _LOOP
        with self.values.repeated(_constant_range_length(node.iter, scope)):
            for child in [*node.body, *([node.test] if node.test else [])]:
                self.visit(child, inner)
        for child in node.else_:
            self.visit(child, scope)

    def visit_set(self, node: nodes.Assign | nodes.AssignBlock, scope: _Scope) -> None:
        """`{% set x = ... %}` takes the value's field; `{% set x %}...{% endset %}` none."""
        if isinstance(node, nodes.Assign):
            path = self.expressions.resolve(node.node, scope)
            _bind(node.target, path, scope)
            self.values.remember(node.target, node.node, scope)
            return
        for child in [*node.body, *([node.filter] if node.filter else [])]:
            self.visit(child, scope)
        _bind(node.target, None, scope)
        self.values.remember(node.target, None, scope)

    def visit_with(self, node: nodes.With, scope: _Scope) -> None:
        for value in node.values:
            self.visit(value, scope)
        inner = dict(scope)
        for target in node.targets:
            _bind(target, None, inner)
        for child in node.body:
            self.visit(child, inner)

    def visit_callable(self, node: nodes.Macro | nodes.CallBlock, scope: _Scope) -> None:
        if isinstance(node, nodes.CallBlock):
            self.visit(node.call, scope)
        for default in node.defaults:
            self.visit(default, scope)
        inner = dict(scope)
        inner["caller"] = _MACRO
        for arg in node.args:
            _bind(arg, None, inner)
        # A macro's body runs as that macro; a call block's body runs inside the macro called.
        called = node.name if isinstance(node, nodes.Macro) else _written(node.call.node)
        with self.macros.running(called):
            for child in node.body:
                self.visit(child, inner)


def _bind(target: nodes.Node, path: str | None, scope: _Scope) -> None:
    """The name assigned stands for `path` (None: no field); each name of a tuple for no field."""
    if isinstance(target, nodes.Name):
        scope[target.name] = path
    else:
        for name in target.find_all(nodes.Name):
            scope[name.name] = None


# ---------------------------------------------------------------------------------------------
# Expressions resolved to fields


class _ExpressionCheck:
    """Resolves a template's expressions to documented fields and reports what a template may
    not use: unknown names and item fields, attributes that are not fields, calls other than
    its own macros, `range` and the loop helpers, filters outside the allowed set, and
    constant values too large."""

    def __init__(
        self, part: str, env: jinja2.Environment, macros: _Macros, values: _ConstantValues
    ) -> None:
        self.part = part
        self.top = set(top_level_names())
        self.globals = (set(env.globals) - _JINJA_GLOBALS) | _TEMPLATE_GLOBALS
        self.filters = set(env.filters)
        self.macros = macros
        self.values = values
        self.found: list[UnknownField] = []

    def visit(self, node: nodes.Node, scope: _Scope) -> None:
        """Resolve an expression, or each expression in a helper node (a keyword argument, a
        dict's pair, a list's items)."""
        if isinstance(node, nodes.Expr) and not isinstance(node, nodes.Literal):
            self.resolve(node, scope)
        else:
            for child in node.iter_child_nodes():
                self.visit(child, scope)

    def resolve(self, node: nodes.Node, scope: _Scope) -> str | None:
        """The registry name an expression stands for, reporting what a template may not use;
        None if it is not a field."""
        if isinstance(node, nodes.Name):
            return self.resolve_name(node.name, scope)
        if isinstance(node, nodes.Getattr):
            return self.resolve_item(node, node.node, node.attr, scope)
        if isinstance(node, nodes.Getitem):
            return self.resolve_index(node, scope)
        if isinstance(node, nodes.Filter):
            return self.resolve_filter(node, scope)
        if isinstance(node, nodes.Call):
            self.resolve_call(node, scope)
            return None
        if isinstance(node, nodes.BinExpr | nodes.Concat):
            self.check_size(node, scope)
        for child in node.iter_child_nodes():
            self.visit(child, scope)
        return None

    def resolve_name(self, name: str, scope: _Scope) -> str | None:
        if name.startswith("_"):
            self.report(name, "", internal=True)
            return None
        if name in scope:
            return scope[name]
        if name in self.top:
            return name
        if name in _JINJA_GLOBALS:
            self.report(name, "", why=f"uses Jinja's '{name}'")
        elif name not in self.globals:
            self.report(name, _closest(name, self.top))
        return None

    def resolve_item(
        self, node: nodes.Node, base: nodes.Node, attr: str, scope: _Scope
    ) -> str | None:
        if attr.startswith("_"):  # the sandbox refuses these at render time; say so now
            self.report(_written(node), "", internal=True)
            return None
        before = len(self.found)
        owner = self.resolve(base, scope)
        if len(self.found) > before:
            return None  # what it belongs to is reported already
        if owner == _LOOP:
            if attr not in sandbox.LOOP_ATTRIBUTES:
                close = _closest(attr, sandbox.LOOP_ATTRIBUTES)
                self.report(_written(node), f"loop.{close}" if close else "")
            return None
        field = FIELDS_BY_NAME.get(owner or "")
        if field is not None and field.kind is FieldKind.LIST:
            self.report(_written(node), "")  # a field of the list itself, not of its items
            return None
        if owner is None or not owner.endswith("[]"):
            # A method of a text value (`case_reference.upper`), an object behind a picture.
            what = f"the value of '{owner}'" if owner and owner != _MACRO else "a value"
            self.report(_written(node), "", why=f"reads something behind {what}")
            return None
        name = f"{owner}.{attr}"
        if name in FIELDS_BY_NAME:
            return name
        close = _closest(attr, item_names(owner[:-2]))
        self.report(_written(node), f"{_written(base)}.{close}" if close else "")
        return None

    def resolve_index(self, node: nodes.Getitem, scope: _Scope) -> str | None:
        """`x['name']` as `x.name`; `x[0]` or `x[n]` on a list as one of its items."""
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            return self.resolve_item(node, node.node, node.arg.value, scope)
        self.visit(node.arg, scope)
        owner = self.resolve(node.node, scope)
        field = FIELDS_BY_NAME.get(owner or "")
        if field is None or field.kind is not FieldKind.LIST:
            return None
        return owner if isinstance(node.arg, nodes.Slice) else f"{owner}[]"

    def resolve_filter(self, node: nodes.Filter, scope: _Scope) -> str | None:
        written = f"{_written(node.node) if node.node else '…'}|{node.name}"
        if node.name == "attr":  # `x|attr('__class__')`: a way round the checks on names
            self.report(written, "", internal=True)
        elif node.name in self.filters and node.name not in sandbox.ALLOWED_FILTERS:
            self.report(written, "", why=f"uses the filter '{node.name}'")
        for child in [*node.args, *node.kwargs, *_dynamic(node)]:
            self.visit(child, scope)
        self.check_size(node, scope)
        inner = self.resolve(node.node, scope) if node.node is not None else None
        for name, suggestion, why in _filter_attribute_problems(node, written, inner):
            self.report(name, suggestion, why=why)
        return inner if node.name in _LIST_KEEPING_FILTERS else None

    def resolve_call(self, node: nodes.Call, scope: _Scope) -> None:
        """Only the template's own macros, `caller`, `range` and `loop.cycle`/`loop.changed`."""
        for child in [*node.args, *node.kwargs, *_dynamic(node)]:
            self.visit(child, scope)
        callee = node.node
        if isinstance(callee, nodes.Name) and scope.get(callee.name) == _MACRO:
            if not self.macros.may_call(callee.name):
                why = "calls a macro from itself or from one defined before it"
                self.report(f"{callee.name}(…)", "", why=why)
            return
        if _is_range_call(node, scope):
            self.check_size(node, scope)
            return
        if (
            isinstance(callee, nodes.Getattr)
            and isinstance(callee.node, nodes.Name)
            and scope.get(callee.node.name) == _LOOP
            and callee.attr in sandbox.LOOP_METHODS
        ):
            return
        before = len(self.found)
        self.resolve(callee, scope)
        if len(self.found) == before or not all(f.internal for f in self.found[before:]):
            self.report(f"{_written(callee)}(…)", "", why="calls a function or method")

    def check_size(self, node: nodes.Node, scope: _Scope) -> None:
        """Report a constant expression that makes a value larger than the sandbox allows."""
        try:
            self.values.of(node, scope)
        except _NotConstant:
            pass
        except sandbox.TooLarge as exc:
            self.report(_written(node), "", why=f"makes too large a value ({exc.message})")
        except SecurityError as exc:
            self.report(_written(node), "", why=f"is refused ({exc.message})")

    def report(self, name: str, suggestion: str, *, internal: bool = False, why: str = "") -> None:
        field = UnknownField(name, suggestion, self.part, internal or bool(why), why)
        if field not in self.found:
            self.found.append(field)


def _filter_attribute_problems(
    node: nodes.Filter, written: str, items: str | None
) -> Iterator[tuple[str, str, str]]:
    """(name, suggestion, why) for each attribute a filter reads of each item
    (`sort(attribute='score')`) that is not an item field of the list it is given."""
    named = [kw.value for kw in node.kwargs if kw.key == "attribute"]
    if node.name in _ATTRIBUTE_FIRST_FILTERS and node.args:
        named.append(node.args[0])
    field = FIELDS_BY_NAME.get(items or "")
    for value in named:
        attribute = value.value if isinstance(value, nodes.Const) else None
        if not isinstance(attribute, str) or "._" in f".{attribute}":
            yield written, "", "reads an attribute it does not name plainly"
        elif field is None or field.kind is not FieldKind.LIST:
            yield written, "", f"reads '{attribute}' of values that are not fields"
        else:
            found, behind = _item_field(f"{items}[]", attribute)
            if behind:
                yield written, "", f"reads '{attribute}', behind a value"
            elif found is None:
                close = _closest(attribute.split(".")[0], item_names(str(items)))
                yield f"{written}('{attribute}')", close, ""


def _item_field(item: str, attribute: str) -> tuple[str | None, bool]:
    """The field a dotted attribute (`goals.0.goal`) names from a list's items (None when it
    names none), and whether it reaches behind a text, number or picture."""
    current = item
    for part in attribute.split("."):
        field = FIELDS_BY_NAME.get(current)
        if current.endswith("[]"):
            current = f"{current}.{part}"
            if current not in FIELDS_BY_NAME:
                return None, False
        elif field is not None and field.kind is FieldKind.LIST and part.isdigit():
            current = f"{current}[]"
        else:
            return None, True
    return current, False


def _is_range_call(node: nodes.Node, scope: Mapping[str, str | None]) -> bool:
    return (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "range"
        and "range" not in scope
    )


def _constant_range_length(node: nodes.Node, scope: Mapping[str, str | None]) -> int:
    """How many times a loop over `range(...)` with constant whole numbers runs; else 1."""
    if not _is_range_call(node, scope):
        return 1
    assert isinstance(node, nodes.Call)
    args = [a.value for a in node.args if isinstance(a, nodes.Const)]
    if len(args) != len(node.args) or not all(type(a) is int and abs(a) < 2**31 for a in args):
        return 1
    try:
        return max(len(range(*args)), 1)
    except (TypeError, ValueError):
        return 1


def _dynamic(node: nodes.Call | nodes.Filter) -> list[nodes.Expr]:
    """A call's `*args` and `**kwargs` expressions, where given."""
    return [arg for arg in (node.dyn_args, node.dyn_kwargs) if arg is not None]


def _closest(name: str, candidates: Iterable[str]) -> str:
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else ""


def _written(node: nodes.Node) -> str:
    """An expression as a template author wrote it: `d.statment`, `d['statment']`."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_written(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_written(node.node)}[{node.arg.value!r}]"
    if isinstance(node, nodes.Const):
        shown = repr(node.value)
        return shown if len(shown) <= 40 else f"{shown[:37]}…"
    if isinstance(node, nodes.BinExpr):
        return f"{_written(node.left)} {node.operator} {_written(node.right)}"
    if isinstance(node, nodes.Concat):
        return " ~ ".join(_written(part) for part in node.nodes)
    if isinstance(node, nodes.Call):
        return f"{_written(node.node)}(…)"
    if isinstance(node, nodes.Filter) and node.node is not None:
        return f"{_written(node.node)}|{node.name}"
    return "…"
