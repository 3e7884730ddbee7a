"""Shell completion scripts for bash and zsh, generated from the argument parser.

``scolint completion bash`` prints a bash function completing the commands, their
sub-commands, their options (French names and their English aliases) and the values of
options with a fixed list (``--format``, ``--echec-si``); anything else falls back on the
shell's file-name completion (``complete -o default``). ``scolint completion zsh`` prints
the same function for zsh through its ``bashcompinit`` layer.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Iterator

SHELLS = ("bash", "zsh")


def _walk(parser: argparse.ArgumentParser,
          path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, path + (name,))


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Sub-commands, option strings and ``{option: values}`` of one parser."""
    commands: list[str] = []
    options: list[str] = []
    values: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            commands.extend(action.choices)
            continue
        options.extend(o for o in action.option_strings if o.startswith("--"))
        if action.choices and action.option_strings:
            for o in action.option_strings:
                values[o] = [str(c) for c in action.choices]
    return commands, options, values


def bash_script(parser: argparse.ArgumentParser, values: dict[str, list[str]] | None = None) -> str:
    """The bash completion script of ``parser`` (``values``: extra option values, such as
    the report formats, by option string)."""
    prog = parser.prog
    func = "_" + prog.replace("-", "_")
    steps, cases, value_cases = [], [], {}
    for path, sub in _walk(parser):
        commands, options, choices = _words(sub)
        key = " ".join(path)
        for cmd in commands:
            steps.append(f'            {shlex.quote(key + ":" + cmd)}) path="${{path:+$path }}{cmd}" ;;')
        cases.append(f"        {shlex.quote(key)}) words={shlex.quote(' '.join(commands + options))} ;;")
        for opt, vals in {**choices, **{o: v for o, v in (values or {}).items() if o in options}}.items():
            value_cases[f"{key}:{opt}"] = vals
    value_lines = [f"        {shlex.quote(k)}) COMPREPLY=($(compgen -W {shlex.quote(' '.join(v))} -- \"$cur\")); return ;;"
                   for k, v in sorted(value_cases.items())]
    return "\n".join([
        f"# Complétion de {prog} pour bash : source <({prog} completion bash)",
        f"{func}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" words="" w i',
        '    COMPREPLY=()',
        '    [ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    for ((i = 1; i < COMP_CWORD; i++)); do',
        '        w="${COMP_WORDS[i]}"',
        '        case "$path:$w" in',
        *steps,
        '        esac',
        '    done',
        '    case "$path:$prev" in',
        *value_lines,
        '    esac',
        '    case "$path" in',
        *cases,
        '    esac',
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        '    else',
        '        local commands="" x',
        '        for x in $words; do [[ "$x" != -* ]] && commands="$commands $x"; done',
        '        [ -n "$commands" ] && COMPREPLY=($(compgen -W "$commands" -- "$cur"))',
        '    fi',
        '    return 0',
        '}',
        f"complete -o default -F {func} {prog}",
        "",
    ])


def zsh_script(parser: argparse.ArgumentParser, values: dict[str, list[str]] | None = None) -> str:
    """The zsh completion script: the bash function through zsh's ``bashcompinit``."""
    return "\n".join([
        f"#compdef {parser.prog}",
        f"# Complétion de {parser.prog} pour zsh : source <({parser.prog} completion zsh)",
        "autoload -U +X compinit && compinit",
        "autoload -U +X bashcompinit && bashcompinit",
        bash_script(parser, values),
    ])


def script(shell: str, parser: argparse.ArgumentParser, values: dict[str, list[str]] | None = None) -> str:
    return zsh_script(parser, values) if shell == "zsh" else bash_script(parser, values)
