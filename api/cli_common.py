"""What every `chainmatch` command needs: the configured store, its snapshot, a clear failure, names resolved
like the API resolves them, and usage errors in Chinese.

Usage errors. Typer (and click, which it carries) word their usage errors in English ("Missing option '--region'.") through gettext,
which would need a compiled catalogue installed process-wide. Instead the top-level group (ChineseGroup) runs
click with `standalone_mode=False` — click then raises its exceptions to the caller instead of printing them
(click's documented "exception handling" contract) — and prints each usage error itself, worded in Chinese from
the exception's fields (the parameter, the unknown option and its close matches), with exit code 2 as click does.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Iterator, NoReturn, Sequence

import typer
from typer.core import TyperGroup

try:  # Typer 0.2x carries its own copy of click (typer._click); its usage errors are that copy's classes
    from typer._click import exceptions as cx
except ImportError:  # pragma: no cover - Typer on top of the click package
    from click import exceptions as cx

if TYPE_CHECKING:
    from graph.snapshot import Snapshot
    from api.settings import Settings
    from graph.store import GraphStore


def fail(msg: str, code: int = 2) -> NoReturn:
    typer.secho(msg, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def fail_lookup(message: str, candidates: Sequence[str] = ()) -> NoReturn:
    """A name the user gave that means nothing (or several things), with what it could have meant."""
    fail(message + (f"\n可选：{'、'.join(candidates[:30])}" if candidates else ""))


def parse_date(text: str | None, what: str) -> dt.date | None:
    """A YYYY-MM-DD option (None if not given); anything else ends the command with a message naming it."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{what}应为日期 YYYY-MM-DD，实际 {text!r}")
    return None


def resolve_name(snap: "Snapshot", kind: str, text: str, *, param: str) -> str:
    """The key of the chain / region / park / segment `text` names (kernel.resolve, as the API does); an unknown or
    ambiguous name ends the command with the resolver's message and its suggestions."""
    from kernel.errors import LookupFailed
    from kernel.resolve import resolver

    r = resolver(snap)
    label = {"chain": "IndustryChain", "region": "Region", "park": "Park", "segment": "Segment"}[kind]
    try:
        return r.key(label, getattr(r, kind)(text, param=param))
    except LookupFailed as e:
        fail_lookup(e.message, e.candidates)


def usage_message(e: cx.UsageError) -> str:
    """A click usage error, worded in Chinese."""
    param = getattr(e, "param", None)
    hint = getattr(e, "param_hint", None) or ""
    if not hint and param is not None:
        hint = (" / ".join(f"'{o}'" for o in param.opts) if param.param_type_name == "option"
                else f"'{(param.metavar or param.name or '').upper()}'")
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(hint)
    if isinstance(e, cx.MissingParameter):
        kind = "参数" if (e.param_type or getattr(param, "param_type_name", "")) == "argument" else "选项"
        return f"缺少{kind} {hint}".rstrip() + "。"
    if isinstance(e, cx.NoSuchOption):
        close = f"；您是不是要找：{'、'.join(e.possibilities)}" if e.possibilities else ""
        return f"没有选项 {e.option_name}{close}"
    if isinstance(e, cx.BadParameter):
        return f"{hint} 的值无效：{e.message}"
    if isinstance(e, cx.BadOptionUsage):
        return f"选项 {e.option_name} 用法有误：{e.message}"
    text = re.sub(r"^Got unexpected extra arguments?(\(s\))?", "多余的参数", e.message)
    text = re.sub(r"^No such command (.*?)\.?$", r"没有命令 \1", text)
    return text.replace(". Did you mean", "；您是不是要找").rstrip("?.")


def show_usage_error(e: cx.UsageError) -> None:
    ctx = e.ctx
    if ctx is not None:
        typer.echo(re.sub(r"^Usage: *", "用法：", ctx.get_usage()), err=True)
        typer.echo(f"运行 '{ctx.command_path} --help' 查看帮助。", err=True)
    typer.secho(f"错误：{usage_message(e)}", fg=typer.colors.RED, err=True)


class ChineseGroup(TyperGroup):
    """The `chainmatch` command group: usage errors (missing option, unknown option, bad value, unknown command)
    are printed in Chinese; everything else behaves as Typer's group."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except cx.UsageError as e:
            if not standalone_mode:
                raise
            if type(e).__name__ == "NoArgsIsHelpError":  # `chainmatch` alone: the help, as Typer shows it
                e.show()
            else:
                show_usage_error(e)
            sys.exit(e.exit_code)
        except cx.ClickException as e:
            if not standalone_mode:
                raise
            typer.secho(f"错误：{e.format_message()}", fg=typer.colors.RED, err=True)
            sys.exit(e.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            typer.secho("已中止", fg=typer.colors.RED, err=True)
            sys.exit(1)
        if not standalone_mode:
            return rv
        # without standalone mode click returns a command's typer.Exit code instead of exiting
        sys.exit(rv if isinstance(rv, int) else 0)


def settings() -> "Settings":
    """The deployment's one Settings, for commands that read a tunable (capability CLIs import api.cli_common, not
    api.settings)."""
    from api.settings import get_settings

    return get_settings()


def open_store(db: "str | os.PathLike[str] | None" = None) -> "GraphStore":
    """The configured store — or, for a command's `--db FILE`, the SQLite graph in that file."""
    from api.deps import open_configured_store
    from api.settings import get_settings

    s = get_settings()
    if db is not None:
        s = s.model_copy(update={"store_backend": "sqlite", "sqlite_path": str(db)})
    return open_configured_store(s)


@contextlib.contextmanager
def store_snapshot(*, require_data: bool = True, db: "str | os.PathLike[str] | None" = None
                   ) -> Iterator[tuple["GraphStore", "Snapshot"]]:
    """The store (see open_store) and its current snapshot (cached on disk); the store is closed afterwards."""
    from api.settings import get_settings
    from graph.snapshot import SnapshotCache

    store = open_store(db)
    try:
        if require_data and sum(store.counts()["nodes"].values()) == 0:
            fail("空库：请先运行 chainmatch seed（或 chainmatch import）")
        yield store, SnapshotCache(store, get_settings().snapshot_dir).get()
    finally:
        store.close()
