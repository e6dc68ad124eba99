"""The review desk's commands: `serve`, `user add|list|deactivate`, `audit verify`,
and the web thread `watch --serve` starts."""

from __future__ import annotations

import sys
import threading
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chartdrop.settings import Settings


def _cli() -> Any:
    """chartdrop.cli, imported when first needed (it imports this module)."""
    from chartdrop import cli

    return cli


def _uvicorn_server(settings: Settings, host: str, port: int) -> Any:
    import uvicorn

    from chartdrop.review import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        server_header=False,
    )
    return uvicorn.Server(config)


def _hint_without_accounts(factory: sessionmaker[Session]) -> None:
    from chartdrop.models import User

    with factory() as session:
        if session.scalar(select(User.id).limit(1)) is None:
            _cli().errors.print(
                "The review desk has no accounts yet: add one with "
                "`chartdrop user add NAME --role admin`.",
                markup=False,
            )


def start_web_thread(settings: Settings, factory: sessionmaker[Session]) -> Any:
    """The review desk in a background thread of the watcher process (uvicorn leaves
    signal handling to the main thread, where the watcher owns SIGINT/SIGTERM)."""
    _hint_without_accounts(factory)
    server = _uvicorn_server(settings, settings.serve_host, settings.serve_port)
    threading.Thread(target=server.run, name="review-desk", daemon=True).start()
    _cli().errors.print(
        f"Review desk on http://{settings.serve_host}:{settings.serve_port}/", markup=False
    )
    return server


def serve(
    host: Annotated[str | None, typer.Option(help="Address (default: serve_host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: serve_port).")] = None,
) -> None:
    """Run the review desk web app (technicians, physicians, admins)."""
    _cli()._logging(False)
    settings = _cli()._settings()
    _hint_without_accounts(_cli()._open(settings))  # _open refuses an un-migrated database
    _uvicorn_server(settings, host or settings.serve_host, port or settings.serve_port).run()


def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="technician, physician or admin")] = "technician",
    name: Annotated[
        str, typer.Option("--name", help="Full name (physicians: as they dictate it).")
    ] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a review desk account (the password is asked for twice, never echoed)."""
    from chartdrop.models import transaction
    from chartdrop.review.accounts import AccountError, create_user

    factory = _cli()._open(_cli()._settings())
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with transaction(factory) as session:
            user = create_user(session, username, password, role, name, actor=_cli()._actor())
            user_id = user.id
    except AccountError as exc:
        _cli().errors.print(str(exc), markup=False)
        raise typer.Exit(1) from exc
    _cli().console.print(f"User {username} ({role}) added as user {user_id}.", markup=False)


def user_list() -> None:
    """List the review desk accounts."""
    from chartdrop.models import User

    factory = _cli()._open(_cli()._settings())
    table = Table("id", "username", "name", "role", "active")
    with factory() as session:
        for user in session.scalars(select(User).order_by(User.id)):
            table.add_row(
                str(user.id), user.username, user.display_name, user.role, str(user.active)
            )
    _cli().console.print(table)


def user_deactivate(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Deactivate an account: it can no longer log in, and its sessions end."""
    from chartdrop.models import User, transaction
    from chartdrop.review.accounts import set_active

    factory = _cli()._open(_cli()._settings())
    with transaction(factory) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            _cli().errors.print(f"There is no user {username}.", markup=False)
            raise typer.Exit(1)
        set_active(session, user.id, False, _cli()._actor())
    _cli().console.print(f"User {username} deactivated.", markup=False)


def audit_verify() -> None:
    """Check the audit chain: exit 1 and list the problems if an event was altered
    or removed."""
    from chartdrop.models import AuditEvent, verify_audit_chain

    factory = _cli()._open(_cli()._settings())
    with factory() as session:
        problems = verify_audit_chain(session)
        count = session.query(AuditEvent).count()
    if problems:
        for problem in problems:
            _cli().console.print(problem, markup=False)
        _cli().errors.print(f"The audit chain is broken: {len(problems)} problem(s).")
        raise typer.Exit(1)
    _cli().console.print(f"Audit chain intact: {count} events.")


def register(app: typer.Typer) -> None:
    """Add these commands to the `chartdrop` app."""
    app.command()(serve)
    user_app = typer.Typer(help="Review desk accounts.", no_args_is_help=True)
    user_app.command("add")(user_add)
    user_app.command("list")(user_list)
    user_app.command("deactivate")(user_deactivate)
    app.add_typer(user_app, name="user")
    audit_app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)
    audit_app.command("verify")(audit_verify)
    app.add_typer(audit_app, name="audit")
