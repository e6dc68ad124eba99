"""The review desk: the technicians' web app (FastAPI, server-rendered Jinja2)."""

from chartdrop.review.app import create_app

__all__ = ["create_app"]
