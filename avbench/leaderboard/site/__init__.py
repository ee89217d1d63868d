"""The leaderboard as a static web site: sortable, filterable tables, a page per experiment, SVG charts."""

from .render import render_site

__all__ = ["render_site"]
