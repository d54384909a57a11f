"""What the demo seeders share: the size asked for, one password hash, seeded Faker, and what was made."""
from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field

from ..core.models import Branch, Department, User

SIZES = ("small", "large")


@dataclass
class DemoContext:
    """Passed to each seeder in turn; a seeder reads what earlier ones made and adds its own counts."""

    size: str
    password_hash: str  # argon2 is slow by design: hashed once, shared by every demo user
    counts: dict[str, int] = field(default_factory=dict)
    sample_usernames: list[str] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    users: list[User] = field(default_factory=list)

    @property
    def large(self) -> bool:
        return self.size == "large"

    def active_users(self, *role_codes: str) -> list[User]:
        """The demo staff still employed with one of these roles, in the order they were made."""
        return [u for u in self.users if u.is_active and u.role.code in role_codes]

    def rng(self, seeder: str) -> random.Random:
        """A random generator seeded from the seeder's name and the size: the same data on every run."""
        return random.Random(zlib.crc32(f"{seeder}:{self.size}".encode()))

    def faker(self, seeder: str):
        """A zh_CN Faker seeded from the seeder's name: the same data on every run, and a change to one
        seeder does not reshuffle what the others produce."""
        from faker import Faker  # imported here: the server imports this package without seeding
        fake = Faker("zh_CN")
        fake.seed_instance(zlib.crc32(f"{seeder}:{self.size}".encode()))
        return fake
