"""Deterministic seed data: one account, the user, three projects full of locales and keys."""

from __future__ import annotations

import random

from asyncdam.emulator.phrase.store import (
    Account,
    Branch,
    Job,
    Key,
    Locale,
    Project,
    ProjectData,
    Store,
    Tag,
    Translation,
    Upload,
    User,
)

# 2024-01-01T00:00:00Z: seeded timestamps count up from here so runs are reproducible.
EPOCH = 1_704_067_200.0

LOCALES = (
    ("en", "en", False),
    ("de", "de-DE", False),
    ("fr", "fr-FR", False),
    ("es", "es-ES", False),
    ("it", "it-IT", False),
    ("ja", "ja-JP", False),
    ("ar", "ar", True),
    ("pt-BR", "pt-BR", False),
)
TRANSLATED_LOCALES = 3
SECTIONS = ("app", "auth", "billing", "dashboard", "errors", "nav", "settings", "profile")
TAGS = ("web", "ios", "android", "marketing", "legal", "beta")
JOB_STATES = ("draft", "in_progress", "completed")
MAIN_KEYS = 2500
OTHER_KEYS = 300
JOBS = 30


def _account_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(32):08x}"


def seed_store(seed: int, size: float) -> Store:
    """Build the store for `seed`; `size` scales key and job counts (at least one of each)."""
    rng = random.Random(seed)
    user = User(
        id=f"{rng.getrandbits(128):032x}",
        username="emulator",
        name="Emulator User",
        email="emulator@example.com",
        created=EPOCH,
        updated=EPOCH,
    )
    store = Store(rng=rng, user=user, updated=EPOCH)
    account = Account(
        id=_account_id(rng),
        name="Emulated Org",
        slug="emulated-org",
        company="Emulated Org GmbH",
        created=EPOCH,
        updated=EPOCH,
    )
    store.accounts[account.id] = account
    names = ("Main App", "Marketing Site", "Mobile")
    for index, name in enumerate(names):
        count = MAIN_KEYS if index == 0 else OTHER_KEYS
        project = Project(
            id=store.new_id(),
            name=name,
            slug=name.lower().replace(" ", "-"),
            account_id=account.id,
            created=EPOCH + index * 3600,
            updated=EPOCH + index * 3600,
        )
        _fill(store, project, max(1, int(count * size)), max(1, int(JOBS * size)))
        store.projects[project.id] = project
    main = next(iter(store.projects.values()))
    base_names = frozenset(main.data.key_names)
    main.branches["feature-x"] = Branch(
        name="feature-x",
        created=EPOCH + 86_400,
        updated=EPOCH + 86_400,
        data=main.data.clone_content(),
        base_names=base_names,
        state="success",
    )
    return store


def _fill(store: Store, project: Project, n_keys: int, n_jobs: int) -> None:
    data: ProjectData = project.data
    t0 = project.created
    en_id = ""
    for pos, (name, code, rtl) in enumerate(LOCALES):
        loc = Locale(
            id=store.new_id(),
            name=name,
            code=code,
            created=t0 + pos,
            updated=t0 + pos,
            default=pos == 0,
            main=pos == 0,
            rtl=rtl,
        )
        if pos == 0:
            en_id = loc.id
        else:
            loc.source_locale_id = en_id
        data.locales[loc.id] = loc
    for pos, tag in enumerate(TAGS):
        data.tags[tag] = Tag(name=tag, created=t0 + pos, updated=t0 + pos)
    translated = list(data.locales.values())[:TRANSLATED_LOCALES]
    rng = store.rng
    for i in range(n_keys):
        section = SECTIONS[i % len(SECTIONS)]
        stamp = t0 + 60 + i
        key = Key(
            id=store.new_id(),
            name=f"{section}.label_{i:05d}",
            created=stamp,
            updated=stamp,
            description=f"Label {i} of the {section} screen",
            tags=sorted({TAGS[i % len(TAGS)], TAGS[(i * 7 + 3) % len(TAGS)]}),
            plural=i % 50 == 0,
        )
        data.add_key(key)
        for loc in translated:
            data.add_translation(
                Translation(
                    id=store.new_id(),
                    key_id=key.id,
                    locale_id=loc.id,
                    content=f"{section.title()} label {i} ({loc.name})",
                    created=stamp,
                    updated=stamp,
                    unverified=loc.name != "en" and rng.random() < 0.1,
                )
            )
    for j in range(n_jobs):
        stamp = t0 + 10_000 + j
        data.jobs[store.new_id()] = Job(
            id="",
            name=f"Job {j + 1}",
            created=stamp,
            updated=stamp,
            state=JOB_STATES[j % len(JOB_STATES)],
            source_locale_id=en_id,
            locale_ids=[loc.id for loc in translated[1:]],
        )
    for job_id, job in data.jobs.items():
        job.id = job_id
    for u in range(3):
        stamp = t0 + 20_000 + u
        up = Upload(
            id=store.new_id(),
            filename=f"seed-{u}.yml",
            format="yml",
            tags=[],
            locale_id=en_id,
            entries={},
            update_translations=False,
            created=stamp,
            updated=stamp,
            state="success",
        )
        data.uploads[up.id] = up
    data.updated = max(t0 + 20_003, data.updated)
    project.updated = data.updated
    store.updated = max(store.updated, project.updated)
