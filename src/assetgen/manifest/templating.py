"""Render repository-held Jinja2 templates (prompts, snippet templates) in a bounded sandbox.

A manifest comes from whatever repository `verify` runs in, so its templates are hostile
(SPEC section 10). They render in Jinja's `ImmutableSandboxedEnvironment` (no Python
internals, no mutation of lists and dicts) with StrictUndefined, made stricter so that
no template can take more than a bounded amount of time or memory:

- every value a template makes (literal, operator result, call result, filter result) is at
  most `MAX_VALUE_SIZE` characters/items once nested containers are expanded, and the
  operations that can amplify (`*`, `**`, `+`, `%`, `~`, `str.replace`/`join`/padding
  methods, the `center`/`indent`/`wordwrap`/`replace`/`join`/`batch`/`slice`/`format`/`sum`
  filters) are checked *before* they run, so a refused one never allocates;
- integers stay below `MAX_INT_BITS`; `range` has at most `MAX_RANGE` items;
- every loop step, call and output is one unit of work, at most `MAX_STEPS` per render, and
  the deadline (`DEADLINE_S`) is checked while they happen;
- all text written (to the output and to `{% set %}`/macro buffers) is counted, at most
  `MAX_WRITTEN`; the output is streamed and rendering stops once it passes its limit;
- `str.format`/`format_map`, `lipsum`, includes and imports are not available.

One environment per kind (autoescape off for prompts, on for HTML snippets) is created per
process; the limits of the render in progress live in a context variable.
"""

from __future__ import annotations

import contextvars
import functools
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import nodes
    from jinja2.compiler import Frame
    from jinja2.runtime import Context
    from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_VALUE_SIZE = 1_000_000
MAX_INT_BITS = 100_000
MAX_RANGE = 100_000
MAX_STEPS = 200_000
MAX_WRITTEN = 2_000_000
MAX_SOURCE_CHARS = 100_000
DEADLINE_S = 2.0


class TemplateLimitError(Exception):
    """A template went past one of the sandbox's limits (or used something refused).

    Not a ``jinja2`` ``SecurityError`` (Jinja2 is only imported once something renders):
    callers catch both as "refused by the sandbox".
    """


class TemplateTooLong(TemplateLimitError):
    """The output passed the caller's ``max_chars`` (rendering stopped there)."""


class _Budget:
    __slots__ = ("deadline", "sizes", "steps", "written")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.steps = 0
        self.written = 0
        # id -> (value, expanded size); the value is kept so that its id is not reused
        self.sizes: dict[int, tuple[Any, int]] = {}

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise TemplateLimitError(f"more than {MAX_STEPS:,} loop steps, calls and outputs")
        if self.steps & 0xFF == 0 and time.monotonic() > self.deadline:
            raise TemplateLimitError(f"rendering took more than {DEADLINE_S:g} s")


_CURRENT: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "assetgen_template_budget", default=None)


def _budget() -> _Budget:
    budget = _CURRENT.get()
    # Outside render() (compile-time constant folding in a test, say) the size limits still
    # hold; only the step count and deadline need a render to belong to.
    return budget if budget is not None else _Budget(time.monotonic() + DEADLINE_S)


def _namespace_type() -> type[Any]:
    """Jinja2's `namespace()` objects (assignable: never memoised); no Jinja2 loaded, none
    can exist."""
    return getattr(sys.modules.get("jinja2.utils"), "Namespace", _NoNamespace)


class _NoNamespace:
    pass


def size_of(value: Any, budget: _Budget | None = None) -> int:
    """Characters/items ``value`` stands for once nested containers are expanded.

    Containers are memoised by identity for the render (shared structure, such as YAML
    aliases or `[x] * n`, costs its distinct nodes only); a namespace is not, as templates
    can assign to it. Integers count their decimal digits; a cycle counts as too big.
    """
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, int):
        return 1 + value.bit_length() // 3
    namespace = _namespace_type()
    if not isinstance(value, list | tuple | dict | set | frozenset | namespace):
        return 1
    if budget is None:
        budget = _budget()
    memo = budget.sizes
    known = memo.get(id(value))
    if known is not None:
        return known[1]
    memo[id(value)] = (value, MAX_VALUE_SIZE + 1)  # while walking it: a cycle is too big
    if isinstance(value, namespace):
        attrs: dict[str, Any] = object.__getattribute__(value, "_Namespace__attrs")
        children: Iterable[Any] = attrs.items()
    elif isinstance(value, dict):
        children = value.items()
    else:
        children = value
    total = 1
    try:
        for child in children:
            total += size_of(child, budget)
            if total > MAX_VALUE_SIZE:
                break
    except RecursionError:
        total = MAX_VALUE_SIZE + 1
    if isinstance(value, namespace):
        del memo[id(value)]
    else:
        memo[id(value)] = (value, total)
    return total


def _bounded(value: Any, what: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) \
            and value.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError(f"{what} makes an integer of more than {MAX_INT_BITS:,} bits")
    if size_of(value) > MAX_VALUE_SIZE:
        raise TemplateLimitError(f"{what} makes a value of more than {MAX_VALUE_SIZE:,} "
                                 "characters or items")
    return value


def _refuse_size(size: int, what: str) -> None:
    if size > MAX_VALUE_SIZE:
        raise TemplateLimitError(f"{what} would make a value of {size:,} characters or items "
                                 f"(at most {MAX_VALUE_SIZE:,})")


def _int_arg(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_printf(template: str, what: str) -> None:
    """`'%0999999999d' % 1` allocates a GB: refuse `*` widths and widths over the limit."""
    for width, precision in _PRINTF_SPEC.findall(template):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_VALUE_SIZE):
                raise TemplateLimitError(f"{what} uses a %-format width or precision that "
                                         f"is `*` or more than {MAX_VALUE_SIZE:,}")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    what = f"the operator `{operator}`"
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, str | bytes | list | tuple) and _int_arg(count):
                _refuse_size(size_of(seq) * max(count, 0), what)
        if _int_arg(left) and _int_arg(right) \
                and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateLimitError(f"{what} would make an integer of more than "
                                     f"{MAX_INT_BITS:,} bits")
    elif operator == "**":
        if _int_arg(left) and _int_arg(right) and abs(left) > 1 and right > 0 \
                and right * math.log2(abs(left)) > MAX_INT_BITS:
            raise TemplateLimitError(f"{what} would make an integer of more than "
                                     f"{MAX_INT_BITS:,} bits")
    elif operator == "+":
        if isinstance(left, str | bytes | list | tuple) and isinstance(right, type(left)):
            _refuse_size(size_of(left) + size_of(right), what)
    elif operator == "%" and isinstance(left, str):
        _check_printf(left, what)


def _check_str_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Pre-check the str/bytes methods whose result can be far larger than their inputs."""
    text = method.__self__
    name = method.__name__
    what = f"`{type(text).__name__}.{name}()`"
    if name in ("format", "format_map", "translate", "maketrans"):
        raise TemplateLimitError(f"{what} is not available in templates")
    if name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, str | bytes) and isinstance(new, str | bytes):
            count = text.count(old) if old else len(text) + 1
            if len(args) > 2 and _int_arg(args[2]) and args[2] >= 0:
                count = min(count, args[2])
            _refuse_size(len(text) + count * max(len(new) - len(old), 0), what)
    elif name == "join" and args:
        items = args[0]
        if isinstance(items, list | tuple | str):
            _refuse_size(sum(size_of(i) for i in items) + len(text) * len(items), what)
        else:
            raise TemplateLimitError(f"{what} takes a list here (use the join filter)")
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        if _int_arg(tabsize):
            _refuse_size(len(text) + text.count("\t" if isinstance(text, str) else b"\t")
                         * max(tabsize, 0), what)


@functools.cache
def sandbox_type() -> type[ImmutableSandboxedEnvironment]:
    """The bounded sandbox's class, defined on first use: Jinja2 takes ~30 ms to import,
    and loading a manifest (every `verify`) rarely needs it (`assets.render_simple`)."""
    import jinja2  # third-party, imported lazily for start-up time (see above)
    from jinja2 import nodes
    from jinja2.compiler import CodeGenerator
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class GuardedCodeGenerator(CodeGenerator):
        """Route every output, `~`, literal container and loop through the checks."""

        def _output_const_repr(self, group: Iterable[Any]) -> str:
            return f"environment.written({super()._output_const_repr(group)})"

        def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
            self.write("environment.written(")
            super()._output_child_pre(node, frame, finalize)

        def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
            super()._output_child_post(node, frame, finalize)
            self.write(")")

        def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
            self.write("environment.joined(")
            super().visit_Concat(node, frame)
            self.write(")")

        def visit_List(self, node: nodes.List, frame: Frame) -> None:
            self.write("environment.made(")
            super().visit_List(node, frame)
            self.write(")")

        def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
            if node.ctx == "store":
                super().visit_Tuple(node, frame)
                return
            self.write("environment.made(")
            super().visit_Tuple(node, frame)
            self.write(")")

        def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
            self.write("environment.made(")
            super().visit_Dict(node, frame)
            self.write(")")

        def visit_For(self, node: nodes.For, frame: Frame) -> None:
            node.iter = nodes.Call(nodes.EnvironmentAttribute("stepped"), [node.iter], [],
                                   None, None, lineno=node.lineno)
            super().visit_For(node, frame)

    class BoundedSandbox(ImmutableSandboxedEnvironment):
        """`ImmutableSandboxedEnvironment` with the limits of the module docstring."""

        code_generator_class = GuardedCodeGenerator
        intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

        def __init__(self, *, autoescape: bool) -> None:
            super().__init__(undefined=jinja2.StrictUndefined, autoescape=autoescape,
                             keep_trailing_newline=False, loader=None, cache_size=0)
            self.globals.pop("lipsum", None)
            self.globals["range"] = _bounded_range
            self.filters = {name: _guard_filter(name, func)
                            for name, func in self.filters.items()}

        # -- hooks called by the generated code ----------------------------------------------

        def written(self, text: Any) -> Any:
            budget = _budget()
            budget.step()
            budget.written += len(text)
            if budget.written > MAX_WRITTEN:
                raise TemplateLimitError(f"the template wrote more than {MAX_WRITTEN:,} "
                                         "characters")
            return text

        def joined(self, text: Any) -> Any:
            return _bounded(text, "`~`")

        def made(self, value: Any) -> Any:
            return _bounded(value, "a literal")

        def stepped(self, iterable: Any) -> Iterator[Any]:
            budget = _budget()
            for item in iterable:
                budget.step()
                yield item

        # -- sandbox hooks --------------------------------------------------------------------

        def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            return _bounded(super().call_binop(context, operator, left, right),
                            f"the operator `{operator}`")

        def call(__self, __context: Context, __obj: Any, *args: Any,
                 **kwargs: Any) -> Any:
            _budget().step()
            for value in (*args, *kwargs.values()):
                if _int_arg(value) and abs(value) > MAX_VALUE_SIZE:
                    raise TemplateLimitError(f"a call is given the number {value:,}; numbers "
                                             f"passed to calls are at most {MAX_VALUE_SIZE:,}")
            if isinstance(getattr(__obj, "__self__", None), str | bytes):
                _check_str_method(__obj, args, kwargs)
            return _bounded(super().call(__context, __obj, *args, **kwargs), "a call")

        def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
            if getattr(value, "__name__", None) in ("format", "format_map") \
                    and isinstance(getattr(value, "__self__", None), str):
                def refused(*args: Any, **kwargs: Any) -> str:
                    raise TemplateLimitError("`str.format()` is not available in templates "
                                             "(use `~` or the format filter)")
                return refused
            return None

    return BoundedSandbox


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimitError(f"range() of {len(numbers):,} items; at most {MAX_RANGE:,}")
    return numbers


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its result bounded, and pre-checked when it can amplify its input."""
    precheck = _FILTER_PRECHECKS.get(name)

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _budget().step()
        if name in _MATERIALISED:
            args = _materialise_first(args)
        values = [a for a in args if not _is_jinja_internal(a)]
        if precheck is not None:
            precheck(values, kwargs)
        return _bounded(func(*args, **kwargs), f"the filter `{name}`")

    return guarded


_MATERIALISED = frozenset({"join", "sum"})


def _materialise_first(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The filter's input as a list, so that its size can be checked before it runs."""
    for index, value in enumerate(args):
        if _is_jinja_internal(value):
            continue
        if isinstance(value, list | tuple | str | dict):
            return args
        budget = _budget()
        items = []
        for item in value:
            budget.step()
            items.append(item)
            if len(items) > MAX_VALUE_SIZE:
                raise TemplateLimitError(f"a filter is given more than {MAX_VALUE_SIZE:,} items")
        return (*args[:index], items, *args[index + 1:])
    return args


def _is_jinja_internal(value: Any) -> bool:
    from jinja2 import Environment  # loaded already: only a render calls this
    from jinja2.nodes import EvalContext
    from jinja2.runtime import Context

    return isinstance(value, Environment | EvalContext | Context)


def _arg(values: list[Any], kwargs: Mapping[str, Any], index: int, name: str,
         default: Any) -> Any:
    if name in kwargs:
        return kwargs[name]
    return values[index] if len(values) > index else default


def _pre_center(values: list[Any], kwargs: Mapping[str, Any]) -> None:
    width = _arg(values, kwargs, 1, "width", 80)
    if _int_arg(width):
        _refuse_size(max(width, 0), "the filter `center`")


def _pre_indent(values: list[Any], kwargs: Mapping[str, Any]) -> None:
    text = str(values[0]) if values else ""
    width = _arg(values, kwargs, 1, "width", 4)
    pad = len(width) if isinstance(width, str) else width if _int_arg(width) else 0
    _refuse_size(len(text) + (text.count("\n") + 1) * max(pad, 0), "the filter `indent`")


def _pre_wordwrap(values: list[Any], kwargs: Mapping[str, Any]) -> None:
    text = str(values[0]) if values else ""
    wrapstring = _arg(values, kwargs, 4, "wrapstring", None)
    if isinstance(wrapstring, str):
        _refuse_size(len(text) * (len(wrapstring) + 1), "the filter `wordwrap`")


def _pre_replace(values: list[Any], kwargs: Mapping[str, Any]) -> None:
    text = str(values[0]) if values else ""
    old, new = _arg(values, kwargs, 1, "old", ""), _arg(values, kwargs, 2, "new", "")
    if isinstance(old, str) and isinstance(new, str):
        count = text.count(old) if old else len(text) + 1
        _refuse_size(len(text) + count * max(len(new) - len(old), 0), "the filter `replace`")


def _pre_join(values: list[Any], kwargs: Mapping[str, Any]) -> None:
    items = values[0] if values else ()
    separator = _arg(values, kwargs, 1, "d", "")
    if not isinstance(items, list | tuple | str | dict):
        return
    total = sum(size_of(i) for i in items) + len(items) * len(str(separator))
    _refuse_size(total, "the filter `join`")


def _pre_batch_slice(name: str) -> Callable[[list[Any], Mapping[str, Any]], None]:
    def check(values: list[Any], kwargs: Mapping[str, Any]) -> None:
        count = _arg(values, kwargs, 1, "linecount" if name == "batch" else "slices", 1)
        if _int_arg(count):
            _refuse_size(max(count, 0), f"the filter `{name}`")
    return check


def _pre_format(values: list[Any], kwargs: Mapping[str, Any]) -> None:
    if values and isinstance(values[0], str):
        _check_printf(values[0], "the filter `format`")


def _pre_sum(values: list[Any], kwargs: Mapping[str, Any]) -> None:
    items = values[0] if values else ()
    if isinstance(items, list | tuple) and any(isinstance(i, list | tuple) for i in items):
        _refuse_size(sum(size_of(i) for i in items), "the filter `sum`")


_FILTER_PRECHECKS: dict[str, Callable[[list[Any], Mapping[str, Any]], None]] = {
    "center": _pre_center, "indent": _pre_indent, "wordwrap": _pre_wordwrap,
    "replace": _pre_replace, "join": _pre_join, "batch": _pre_batch_slice("batch"),
    "slice": _pre_batch_slice("slice"), "format": _pre_format, "sum": _pre_sum,
}

_ENVIRONMENTS: dict[bool, ImmutableSandboxedEnvironment] = {}


def environment(*, autoescape: bool) -> ImmutableSandboxedEnvironment:
    """The process's one sandbox for prompts (autoescape off) or HTML (on)."""
    env = _ENVIRONMENTS.get(autoescape)
    if env is None:
        env = _ENVIRONMENTS[autoescape] = sandbox_type()(autoescape=autoescape)
    return env


def render(source: str, variables: Mapping[str, Any], *, max_chars: int,
           autoescape: bool = False) -> str:
    """``source`` rendered with ``variables`` inside the bounded sandbox.

    Raises ``TemplateLimitError`` for a template that goes past a limit (including an
    output longer than ``max_chars``), Jinja2's ``SecurityError`` for one reaching for
    Python internals, and Jinja's own errors (``TemplateSyntaxError``,
    ``UndefinedError``, ...) otherwise.
    """
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateLimitError(f"the template is {len(source):,} characters; at most "
                                 f"{MAX_SOURCE_CHARS:,} are accepted")
    token = _CURRENT.set(_Budget(time.monotonic() + DEADLINE_S))
    try:
        template = environment(autoescape=autoescape).from_string(source)
        pieces: list[str] = []
        total = 0
        for piece in template.generate(**variables):
            total += len(piece)
            if total > max_chars:
                raise TemplateTooLong(f"the output passed {max_chars:,} characters")
            pieces.append(piece)
        return "".join(pieces)
    finally:
        _CURRENT.reset(token)
