"""User accounts: creation (CLI and admin page), activation, physician matching."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chartdrop.models import Role, User, record_event
from chartdrop.review.security import hash_password, password_problem

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")


class AccountError(ValueError):
    """The account cannot be created or changed as asked (message is for the user)."""


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    actor: str = "cli",
) -> User:
    """Add a user in the caller's transaction, with an audit event."""
    if not USERNAME_RE.match(username):
        raise AccountError("A username is 2-64 letters, digits, dots, dashes or underscores.")
    if role not in {r.value for r in Role}:
        raise AccountError("The role must be technician, physician or admin.")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    taken = session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise AccountError(f"The username {username} is taken.")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role,
        active=True,
        session_epoch=0,
    )
    session.add(user)
    session.flush()
    record_event(session, actor, "user_created", "user", user.id, {"role": role})
    return user


def set_active(session: Session, user_id: int, active: bool, actor: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such user.")
    user.active = active
    user.session_epoch += 1  # a deactivated user's open sessions end now
    record_event(
        session, actor, "user_activated" if active else "user_deactivated", "user", user.id
    )
    return user


def _name_key(name: str) -> list[str]:
    words = re.sub(r"[^a-z ]", " ", name.lower()).split()
    return [w for w in words if w not in {"dr", "doctor", "md", "do", "by", "dictated"}]


def match_physician(session: Session, provider: str | None) -> User | None:
    """The active physician whose display name matches the dictated provider name:
    the same words (titles ignored), else the only physician with that last name."""
    if not provider:
        return None
    wanted = _name_key(provider)
    if not wanted:
        return None
    physicians = session.scalars(
        select(User).where(User.role == Role.PHYSICIAN, User.active.is_(True))
    ).all()
    exact = [p for p in physicians if _name_key(p.display_name) == wanted]
    if len(exact) == 1:
        return exact[0]
    same_last = [p for p in physicians if (_name_key(p.display_name) or [""])[-1] == wanted[-1]]
    return same_last[0] if len(same_last) == 1 else None
