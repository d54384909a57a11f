"""The sidebar: domains register their entries; each user sees those their role allows."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    icon: str
    label: object
    section: object | None = None   # a heading such as 系统管理; None for the top group
    permission: str | None = None
    order: int = 100


NAV_ITEMS: list[NavItem] = []


def register_nav(endpoint: str, icon: str, label, section=None, permission: str | None = None,
                 order: int = 100) -> None:
    if any(item.endpoint == endpoint for item in NAV_ITEMS):
        return
    NAV_ITEMS.append(NavItem(endpoint, icon, label, section, permission, order))


def navigation(user) -> list[dict]:
    """Entries the user may open, grouped: top-level items first, then one heading per section."""
    if not user or not user.is_authenticated:
        return []
    allowed = sorted((item for item in NAV_ITEMS if item.permission is None or user.can(item.permission)),
                     key=lambda item: item.order)
    result: list[dict] = []
    sections: dict[str, dict] = {}
    for item in allowed:
        entry = {"endpoint": item.endpoint, "icon": item.icon, "label": item.label}
        if item.section is None:
            result.append(entry)
            continue
        key = str(item.section)
        if key not in sections:
            sections[key] = {"heading": item.section, "children": []}
            result.append(sections[key])
        sections[key]["children"].append(entry)
    return result
