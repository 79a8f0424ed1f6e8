"""Which steps bring the producer to each page of portal.yaml, so that a step used on
the wrong page can say what to write before it. Each route is a step as a feature file
writes it; ``tests/test_steps_doc.py`` checks that every screen has a route and that
every route is a step of the catalogue (``features/STEPS.md``)."""

from __future__ import annotations

from collections.abc import Iterable

from specs.model import PortalSpec

__all__ = ["ROUTES", "way_to"]

# Screen of portal.yaml -> steps that bring the producer there, the shortest first.
ROUTES: dict[str, tuple[str, ...]] = {
    "login_page": (
        "When the producer opens the portal",
        "When the producer opens the portal's address",
        "When the producer closes the browser and clears its history and cache",
    ),
    "welcome": ("Given the producer has signed in with their password",),
    "state_selected": (
        "Given the producer has signed in with their password",
        'When the producer selects the state "IL"',
    ),
    "edit_profile": (
        "Given the producer has signed in and opened Edit Profile",
        'When the producer chooses "Edit Profile" from the "Account" menu',
    ),
    "password_updated": (
        "Given the producer has signed in and opened Edit Profile",
        'When the producer changes the password from their password to "Santa2026"',
    ),
    "forgot_user_name": (
        'Given the producer is on the "Forgot User Name?" page',
        'When the producer clicks "Forgot User Name?"',
    ),
    "username_request_submitted": (
        'Given the producer is on the "Forgot User Name?" page',
        "When the producer submits Forgot User Name? with the Agent Unique ID their Agent"
        " Unique ID and the E-mail Address their E-mail Address",
    ),
    "reset_password": (
        'Given the producer is on the "Reset Password?" page',
        'When the producer clicks "Reset Password?"',
    ),
    "reset_request_submitted": (
        'Given the producer is on the "Reset Password?" page',
        "When the producer submits Reset Password? with the User Name their user name and"
        " the E-mail Address their E-mail Address",
    ),
}


def way_to(portal: PortalSpec, screens: Iterable[str]) -> str:
    """``the "Change Password" page; to get there: ...``, for a failure message."""
    screens = list(screens)
    titles = list(dict.fromkeys(f'"{portal.screens[name].title}"' for name in screens))
    routes = [route for name in screens for route in ROUTES.get(name, ())]
    ways = "\n".join(f"    {route}" for route in dict.fromkeys(routes))
    return (
        f"the {' or '.join(titles)} page; steps that bring the producer there"
        f" (features/STEPS.md):\n{ways}"
    )
