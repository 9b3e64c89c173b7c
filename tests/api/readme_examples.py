"""Every GraphQL and curl example of README.md, extracted in README order with the line it is printed
on, ready to run against the app (`test_readme_examples.py`).

The README's convention (explained to readers in its "Reading the examples" paragraph):
- A fenced `graphql` block holds one or more operations. `# variables` is followed by one JSON object;
  each operation of the block gets the variables it declares from the object before it.
- `# with Header: value` sends that header with the block's operations below it.
- `# $NAME = path.to.field` after an example keeps that field of its answer (`data` for GraphQL, the
  JSON body for curl; numbers index lists, `*` takes the first item that has the rest of the path,
  `*[a.b]` the first item whose `a.b` is set).
- `$NAME` in variables, `# with` headers and curl commands is such a value (`$NOW` is the current UTC
  time); curl commands use them as shell variables.
- `# answers userError CODE[, CODE]` after a GraphQL example: the userErrors it shows on purpose.
- `# NNN ...` (or `# NNN or MMM ...`) on the line after a curl command: the status it answers, when
  it is not a 2xx.

Anything that looks like an example but cannot be read this way is an error naming its README line,
never skipped.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
    visit,
)
from graphql.language import Visitor

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

PLACEHOLDER = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)\}?")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>[^\s`]*)[^`]*$")
_SAVE = re.compile(r"^#\s*\$([A-Z][A-Z0-9_]*)\s*=\s*([\w.*\[\]-]+)\s*$")
_WITH = re.compile(r"^#\s*with\s+([A-Za-z][\w-]*):\s*(.+?)\s*$")
_USER_ERRORS = re.compile(r"^#\s*answers userErrors?\s+([A-Z_]+(?:\s*,\s*[A-Z_]+)*)\s*$")
_STATUS = re.compile(r"^#\s*(\d{3}(?:\s+or\s+\d{3})*)\b")
_INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
GRAPHQL_LANGUAGES = {"graphql", "gql"}
SHELL_LANGUAGES = {"sh", "bash", "shell", "console", "zsh", ""}


class ExampleError(Exception):
    """An example that cannot be read: the message starts with `README.md:<line>:`."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"README.md:{line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Save:
    name: str
    path: str
    line: int


@dataclass(frozen=True)
class GraphQLExample:
    line: int
    query: str
    operation_name: str | None
    variables: dict[str, Any]
    """Only the variables the operation declares, with their `$NAME` placeholders."""
    headers: dict[str, str]
    saves: tuple[Save, ...] = ()
    expected_user_errors: frozenset[str] = frozenset()

    @property
    def kind(self) -> str:
        return "graphql"

    def label(self) -> str:
        first = self.query.strip().splitlines()[0]
        return f"README.md:{self.line}: {first[:90]}"


@dataclass(frozen=True)
class FormPart:
    name: str
    value: str
    file: Path | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class CurlExample:
    line: int
    text: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    data: str | None = None
    """A -d/--data-binary body given inline (placeholders not yet substituted)."""
    data_file: Path | None = None
    strip_newlines: bool = False
    """`-d @file` sends the file without its line breaks (curl's rule); `--data-binary @file` as is."""
    form: tuple[FormPart, ...] = ()
    expected_statuses: frozenset[int] = frozenset()
    """Empty: any 2xx."""
    saves: tuple[Save, ...] = field(default=())

    @property
    def kind(self) -> str:
        return "curl"

    def label(self) -> str:
        return f"README.md:{self.line}: {' '.join(self.text.split())[:110]}"


Example = GraphQLExample | CurlExample


@dataclass(frozen=True)
class Block:
    language: str
    first_line: int
    """README line of the block's first content line."""
    lines: list[str]


def fenced_blocks(text: str) -> Iterator[Block]:
    """Fenced code blocks, indented ones (inside list items) included, with their language."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        index += 1
        start = index + 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            line = lines[index]
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
            index += 1
        if index >= len(lines):
            raise ExampleError(start - 1, "a code block is never closed")
        yield Block(opening["info"].lower(), start, body)
        index += 1


def examples(text: str | None = None) -> list[Example]:
    """Every example of the README, in README order."""
    text = README.read_text() if text is None else text
    found: list[Example] = []
    for block in fenced_blocks(text):
        if block.language in GRAPHQL_LANGUAGES:
            found += graphql_block(block)
        elif block.language in SHELL_LANGUAGES:
            found += curl_block(block)
    check_inline_examples(text)
    return found


def check_inline_examples(text: str) -> None:
    """A whole operation or a curl call with a URL in running text would escape the test: those go in
    fenced blocks (fragments such as `createUpload(input: …)` are fine inline)."""
    for number, line in enumerate(text.splitlines(), start=1):
        for span in _INLINE_CODE.findall(line):
            span = span.strip()
            if re.match(r"(mutation|query|subscription)\b[^{]*\{", span):
                raise ExampleError(
                    number, f"a whole GraphQL operation inline: put it in a graphql block: {span[:60]}"
                )
            if span.startswith("curl ") and re.search(r"https?://", span):
                raise ExampleError(number, f"a curl call inline: put it in a sh block: {span[:60]}")


def check_directive(comment: str, line: int) -> None:
    """A comment that starts like a directive but is not one would silently change nothing."""
    for start, pattern, form in (
        ("$", _SAVE, "# $NAME = path.to.field"),
        ("with ", _WITH, "# with Header-Name: value"),
        ("answers user", _USER_ERRORS, "# answers userError CODE[, CODE]"),
    ):
        if comment.lstrip("#").lstrip().startswith(start) and not pattern.match(comment):
            raise ExampleError(line, f"{comment!r} is not of the form `{form}`")


# -- GraphQL ---------------------------------------------------------------------------------------


def graphql_block(block: Block) -> list[GraphQLExample]:
    """The block's operations with their headers, variables, saves and expected userErrors."""
    source_lines = list(block.lines)
    variables_at: list[tuple[int, dict[str, Any]]] = []  # (block line index, object)
    index = 0
    while index < len(source_lines):
        if source_lines[index].strip().startswith("# variables"):
            rest = "\n".join(source_lines[index + 1 :])
            try:
                value, end = json.JSONDecoder().raw_decode(rest.lstrip())
            except json.JSONDecodeError as exc:
                raise ExampleError(block.first_line + index, f"the variables are not JSON: {exc}") from None
            if not isinstance(value, dict):
                raise ExampleError(block.first_line + index, "the variables are not a JSON object")
            consumed = rest[: len(rest) - len(rest.lstrip()) + end].count("\n") + 1
            for blank in range(index, index + 1 + consumed):
                source_lines[blank] = ""  # out of the GraphQL source; line numbers kept
            variables_at.append((index, value))
            index += consumed
        index += 1
    source = "\n".join(source_lines)
    try:
        document = parse(source)
    except GraphQLSyntaxError as exc:
        line = exc.locations[0].line if exc.locations else 1
        raise ExampleError(block.first_line + line - 1, f"not GraphQL: {exc.message}") from None
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            line = block.first_line + source.count("\n", 0, definition.loc.start if definition.loc else 0)
            raise ExampleError(line, "not an operation (schema excerpts go in a `text` block)")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    starts = [_line_of(source, op) for op in operations]  # 0-based block lines

    comments = [(i, line.strip()) for i, line in enumerate(block.lines) if line.strip().startswith("#")]
    for i, comment in comments:
        check_directive(comment, block.first_line + i)
    found = []
    for number, (operation, start) in enumerate(zip(operations, starts, strict=True)):
        end = starts[number + 1] if number + 1 < len(operations) else len(block.lines)
        headers: dict[str, str] = {}
        for i, comment in comments:
            if i < start and (match := _WITH.match(comment)):
                headers[match[1]] = match[2]
        saves, expected = [], frozenset[str]()
        for i, comment in comments:
            if not start <= i < end:
                continue
            if match := _SAVE.match(comment):
                saves.append(Save(match[1], match[2], block.first_line + i))
            elif match := _USER_ERRORS.match(comment):
                expected = frozenset(c.strip() for c in match[1].split(","))
        declared = {v.variable.name.value for v in operation.variable_definitions or ()}
        given: dict[str, Any] = {}
        later = [value for at, value in variables_at if at > start]
        if later:  # the variables printed after the operation (the first such object)
            given = {k: v for k, v in later[0].items() if k in declared}
        loc = operation.loc
        assert loc is not None
        text = source[loc.start : loc.end]
        used = _fragments_used(operation, fragments)
        query = "\n".join([text, *(source[f.loc.start : f.loc.end] for f in used if f.loc)])
        found.append(
            GraphQLExample(
                line=block.first_line + start,
                query=query,
                operation_name=operation.name.value if operation.name else None,
                variables=given,
                headers=headers,
                saves=tuple(saves),
                expected_user_errors=expected,
            )
        )
    return found


def _line_of(source: str, node: OperationDefinitionNode) -> int:
    assert node.loc is not None
    return source.count("\n", 0, node.loc.start)


def _fragments_used(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """The block's fragments the operation spreads, directly or through other fragments."""
    used: dict[str, FragmentDefinitionNode] = {}
    pending: list[Any] = [operation]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(), spreads)
        for name in spreads.names:
            if name in fragments and name not in used:
                used[name] = fragments[name]
                pending.append(fragments[name])
    return list(used.values())


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.names.append(node.name.value)


def graphql_documents() -> list[tuple[DocumentNode, dict[str, Any]]]:
    """(parsed operation, its printed variables) of every GraphQL example."""
    return [(parse(e.query), e.variables) for e in examples() if isinstance(e, GraphQLExample)]


# -- curl ------------------------------------------------------------------------------------------

_NO_ARGUMENT = {"-s", "-S", "-sS", "-i", "-v", "-L", "-f", "--fail", "--silent", "--show-error",
                "--compressed", "--location", "--include", "-g", "--globoff"}  # fmt: skip


def curl_block(block: Block) -> list[CurlExample]:
    """The curl commands of a shell block (other commands are not examples), each with the comment
    lines that follow it."""
    found = []
    index = 0
    lines = block.lines
    while index < len(lines):
        line = lines[index].strip()
        command = line.removeprefix("$ ").strip()
        if not command.startswith("curl "):
            if re.search(r"(^|[\s|;&(])curl\s", command) and not command.startswith("#"):
                raise ExampleError(
                    block.first_line + index, "a curl call the test cannot run: start the line with it"
                )
            index += 1
            continue
        start = index
        text = command
        while True:  # continuation lines, and quotes left open across lines (a -d body)
            joined = re.sub(r"\\\n", " ", text)
            if not text.endswith("\\"):
                try:
                    argv = shlex.split(joined, comments=True)
                    break
                except ValueError:
                    pass
            index += 1
            if index >= len(lines):
                raise ExampleError(
                    block.first_line + start, "a curl command that never ends (a quote left open?)"
                )
            text += "\n" + lines[index].rstrip()
        index += 1
        notes = []
        while index < len(lines) and lines[index].strip().startswith("#"):
            notes.append((index, lines[index].strip()))
            index += 1
        found.append(_curl(argv, joined, block.first_line + start, block.first_line, notes))
    return found


def _curl(
    argv: list[str], text: str, line: int, first_line: int, notes: list[tuple[int, str]]
) -> CurlExample:
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = []
    data: str | None = None
    data_file: Path | None = None
    strip_newlines = False
    form: list[FormPart] = []
    args = iter(argv[1:])
    for arg in args:

        def value(option: str = arg) -> str:
            try:
                return next(args)
            except StopIteration:
                raise ExampleError(line, f"curl option {option} has no value") from None

        if arg in {"-X", "--request"}:
            method = value().upper()
        elif arg in {"-H", "--header"}:
            name, sep, header_value = value().partition(":")
            if not sep:
                raise ExampleError(line, f"a header without a colon: {name}")
            headers.append((name.strip(), header_value.strip()))
        elif arg in {"-d", "--data", "--data-ascii", "--data-raw", "--data-binary"}:
            if data is not None or data_file is not None:
                raise ExampleError(line, "several data options (the test sends one body)")
            body = value()
            if body.startswith("@") and arg != "--data-raw":
                data_file = _example_file(body[1:], line)
                strip_newlines = arg != "--data-binary"
            else:
                data = body
        elif arg in {"-F", "--form"}:
            form.append(_form_part(value(), line))
        elif arg in _NO_ARGUMENT:
            continue
        elif arg.startswith("-"):
            raise ExampleError(line, f"curl option {arg} is not understood by the README test")
        elif url is None:
            url = arg
        else:
            raise ExampleError(line, f"a second URL: {arg}")
    if url is None:
        raise ExampleError(line, "a curl command without a URL")
    if not re.match(r"(https?://[^/\s]+)?/|\$\{?[A-Z]", url):
        raise ExampleError(line, f"not an http URL: {url}")
    if form and (data is not None or data_file is not None):
        raise ExampleError(line, "both -F and -d")
    expected: frozenset[int] = frozenset()
    saves = []
    for i, note in notes:
        check_directive(note, first_line + i)
        if (status := _STATUS.match(note)) and i == notes[0][0]:
            expected = frozenset(int(s) for s in re.findall(r"\d{3}", status[1]))
        elif save := _SAVE.match(note):
            saves.append(Save(save[1], save[2], first_line + i))
    return CurlExample(
        line=line,
        text=text,
        method=method or ("POST" if data is not None or data_file or form else "GET"),
        url=url,
        headers=tuple(headers),
        data=data,
        data_file=data_file,
        strip_newlines=strip_newlines,
        form=tuple(form),
        expected_statuses=expected,
        saves=tuple(saves),
    )


def _form_part(spec: str, line: int) -> FormPart:
    name, sep, rest = spec.partition("=")
    if not sep:
        raise ExampleError(line, f"-F {spec}: expected name=value or name=@file")
    if not rest.startswith("@"):
        return FormPart(name, rest)
    path, *options = rest[1:].split(";")
    types = [o.split("=", 1)[1] for o in options if o.startswith("type=")]
    return FormPart(name, path, _example_file(path, line), types[0] if types else None)


def _example_file(name: str, line: int) -> Path:
    path = (ROOT / name).resolve()
    if not path.is_file() or ROOT not in path.parents:
        raise ExampleError(line, f"{name} is not a file of the repository (examples/ holds the samples)")
    return path
