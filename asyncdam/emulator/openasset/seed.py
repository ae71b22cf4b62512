"""Deterministic seed data: every noun of the fact sheet, sized by `EmulatorConfig.size`.

At size 1.0 there are 3,000 Files spread over 150 Projects, with keywords, custom field values,
album memberships and generated size files, so every listing pages at any sensible limit.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from asyncdam.emulator.openasset.store import Record, Store

ADMIN_USERNAME = "admin"
ADMIN_USER_ID = 1
VIEWER_USERNAME = "viewer"
VIEWER_USER_ID = 2
ORIGINAL_SIZE_ID = 1

_BASE = datetime(2016, 1, 1, tzinfo=UTC)
_WORDS = (
    "atrium bridge campus depot facade gallery harbour library museum office pavilion plaza "
    "quay school station tower viaduct warehouse yard zenith canopy cloister loggia"
).split()
_ODD_STEMS = ("Site plan", "Café façade", "Élévation nord", "Ünterführung #2", "100% render")
_DISPLAY_TYPES = (
    "singleLine",
    "multiLine",
    "suggestion",
    "fixedSuggestion",
    "option",
    "date",
    "boolean",
    "grid",
)
_SIZES: tuple[tuple[str, str, str, int, int, int], ...] = (
    # name, postfix, format, width, height, always_create
    ("Original", "original", "", 0, 0, 1),
    ("Small", "small", "jpg", 150, 150, 1),
    ("Medium", "medium", "jpg", 600, 600, 1),
    ("Large", "large", "jpg", 1600, 1600, 0),
    ("Square", "square", "png", 300, 300, 0),
    ("Print TIFF", "print", "tif", 3000, 3000, 0),
)


def dt(moment: datetime) -> str:
    """OpenAsset's YYYYMMDDhhmmss form."""
    return moment.strftime("%Y%m%d%H%M%S")


def now_dt() -> str:
    """The current time in OpenAsset form."""
    return dt(datetime.now(UTC))


def size_entry(file: Record, size: Record, length: int) -> Record:
    """A generated size of one file as `/Files/{id}/Sizes` lists it (host part added on output)."""
    stem, _, ext = str(file["filename"]).rpartition(".")
    fmt = str(size["file_format"]) or ext
    path = f"{file['id']}/{size['id']}/{stem or ext}_{size['postfix']}.{fmt}"
    return {
        "id": size["id"],
        "width": size["width"] or 2400,
        "height": size["height"] or 1600,
        "file_format": fmt,
        "colourspace": size["colourspace"],
        "x_resolution": size["x_resolution"],
        "y_resolution": size["y_resolution"],
        "quality": size["quality"],
        "filesize": length,
        "cropped": size["crop_to_fit"],
        "watermarked": 0,
        "recreate": 0,
        "allow_use": 1,
        "relative_path": path,
    }


class _Seeder:
    def __init__(self, seed: int, size: float) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.store = Store()

    def n(self, base: int, minimum: int = 2) -> int:
        return max(minimum, round(base * self.size))

    def when(self) -> str:
        return dt(_BASE + timedelta(seconds=self.rng.randrange(0, 8 * 365 * 86400)))

    def word(self) -> str:
        return self.rng.choice(_WORDS)

    def add(self, noun: str, **fields: Any) -> Record:
        return self.store.insert(noun, dict(fields))

    def ids(self, noun: str) -> list[int]:
        return list(self.store.table(noun))

    def run(self) -> Store:
        self.reference_data()
        self.people()
        self.taxonomy()
        self.fields()
        self.projects()
        self.files()
        self.collections()
        self.employee_links()
        return self.store

    def employee_links(self) -> None:
        """Employees credited on some files and staffed on some projects (drawn last, so the
        rest of the data set does not change)."""
        employees = self.ids("Employees")
        for noun, share in (("Files", 0.1), ("Projects", 0.5)):
            for pid in self.ids(noun):
                if self.rng.random() < share:
                    people = self.rng.sample(employees, min(len(employees), self.rng.randint(1, 3)))
                    self.store.link(noun, "Employees", pid).extend(
                        {"id": e} for e in sorted(people)
                    )

    def reference_data(self) -> None:
        for label in ("Public", "Private", "Unapproved", "Restricted"):
            self.add("AccessLevels", label=label)
        self.add("AlternateStores", name="Primary", storage_name="s3-primary")
        self.add("AlternateStores", name="Archive", storage_name="glacier-archive")
        for code, label in (
            ("1x1", "Square"),
            ("4x3", "Classic"),
            ("16x9", "Wide"),
            ("3x2", "35mm"),
        ):
            self.add("AspectRatios", code=code, label=label)
        for i, (match, repl) in enumerate((("dept", "department"), ("bldg", "building"))):
            self.add(
                "TextRewrites",
                text_match=match,
                text_replace=repl,
                case_sensitive=i % 2,
                preserve_first_letter_case=1,
            )
        for kind in ("cosential", "vision"):
            self.add(
                "DataIntegrations",
                name=kind.title(),
                data_integration_type=kind,
                address=f"https://{kind}.example.invalid/api",
                alive=1,
                version="2.4",
                last_ping=self.when(),
                last_connect=self.when(),
            )
        for name, postfix, fmt, w, h, always in _SIZES:
            self.add(
                "Sizes",
                name=name,
                postfix=postfix,
                original=int(postfix == "original"),
                file_format=fmt,
                colourspace="RGB",
                width=w,
                height=h,
                x_resolution=72 if w < 3000 else 300,
                y_resolution=72 if w < 3000 else 300,
                quality=85,
                crop_to_fit=int(postfix == "square"),
                always_create=always,
                alive=1,
                display_order=len(self.store.table("Sizes")),
                size_protected=int(postfix == "original"),
                use_for_zip=int(postfix == "large"),
                use_for_contact_sheet=int(postfix == "small"),
                use_for_power_point=int(postfix == "medium"),
                updated=self.when(),
            )
        for i in range(self.n(6, 4)):
            self.add(
                "Categories",
                name=f"{self.word().title()} category {i + 1}",
                code=f"CAT{i + 1:02d}",
                description="",
                alive=1,
                display_order=i,
                default_access_level=1,
                default_rank=5,
                maximum_rank=10,
                projects_category=int(i % 3 == 0),
                updated=self.when(),
            )

    def people(self) -> None:
        for username, name in ((ADMIN_USERNAME, "Ada Admin"), (VIEWER_USERNAME, "Vic Viewer")):
            self.add(
                "Users",
                username=username,
                full_name=name,
                email=f"{username}@example.invalid",
                alive=1,
                expiry_date="",
                valid=1,
                protected=1,
                current_album_id=0,
                updated=self.when(),
            )
        for i in range(self.n(25)):
            self.add(
                "Users",
                username=f"user{i + 3}",
                full_name=f"{self.word().title()} Person {i + 3}",
                email=f"user{i + 3}@example.invalid",
                alive=int(i % 9 != 0),
                expiry_date="",
                valid=1,
                protected=0,
                current_album_id=0,
                updated=self.when(),
            )
        users = self.ids("Users")
        for i in range(self.n(8)):
            group = self.add(
                "Groups",
                name=f"Group {i + 1}",
                alive=1,
                hidden=int(i == 0),
                expires=0,
                expiry_date="",
                default_for_new_users=int(i == 1),
                can_modify=1,
                updated=self.when(),
            )
            members = self.rng.sample(users, min(len(users), 4))
            self.store.link("Groups", "Users", group["id"]).extend(
                {"id": u, "can_modify": self.rng.randint(0, 1)} for u in sorted(members)
            )
        for i in range(self.n(40)):
            self.add(
                "Photographers", name=f"{self.word().title()} Photo {i + 1}", updated=self.when()
            )
        for i in range(self.n(5)):
            self.add(
                "CopyrightPolicies",
                name=f"Policy {i + 1}",
                code=f"POL{i + 1}",
                description="",
                updated=self.when(),
            )
        policies = self.ids("CopyrightPolicies")
        for i in range(self.n(15)):
            self.add(
                "CopyrightHolders",
                name=f"Holder {i + 1} Ltd",
                copyright_policy_id=self.rng.choice(policies),
                updated=self.when(),
            )

    def taxonomy(self) -> None:
        categories = self.ids("Categories")
        for i in range(self.n(20)):
            self.add(
                "KeywordCategories",
                name=f"Keyword group {i + 1}",
                code=f"KC{i + 1}",
                category_id=categories[i % len(categories)],
                display_order=i,
                updated=self.when(),
            )
        kcs = self.ids("KeywordCategories")
        for i in range(self.n(400)):
            self.add(
                "Keywords",
                name=f"{self.word()} {i + 1}",
                keyword_category_id=self.rng.choice(kcs),
                updated=self.when(),
            )
        for i in range(self.n(8)):
            self.add(
                "ProjectKeywordCategories",
                name=f"Sector {i + 1}",
                code=f"PKC{i + 1}",
                display_order=i,
                updated=self.when(),
            )
        pkcs = self.ids("ProjectKeywordCategories")
        for i in range(self.n(80)):
            self.add(
                "ProjectKeywords",
                name=f"{self.word()} sector {i + 1}",
                project_keyword_category_id=self.rng.choice(pkcs),
                project_count=0,
                updated=self.when(),
            )
        for i in range(self.n(4)):
            self.add(
                "EmployeeKeywordCategories",
                name=f"Skill set {i + 1}",
                code=f"EKC{i + 1}",
                display_order=i,
                updated=self.when(),
            )
        ekcs = self.ids("EmployeeKeywordCategories")
        for i in range(self.n(30)):
            self.add(
                "EmployeeKeywords",
                name=f"skill {i + 1}",
                employee_keyword_category_id=self.rng.choice(ekcs),
                employee_count=0,
                updated=self.when(),
            )

    def fields(self) -> None:
        for i in range(self.n(24, 8)):
            display = _DISPLAY_TYPES[i % len(_DISPLAY_TYPES)]
            field_type = ("image", "project", "employee")[i % 3]
            code = f"{self.word()}_{i + 1}"
            field = self.add(
                "Fields",
                name=code.replace("_", " ").title(),
                code=code,
                rest_code=code,
                field_type=field_type,
                field_display_type=display,
                cardinality=1 if display != "suggestion" else 0,
                built_in=int(i < 2),
                protected=int(i < 2),
                alive=1,
                display_order=i,
                include_on_info=1,
                include_on_search=int(i % 2 == 0),
                updated=self.when(),
            )
            if display in ("suggestion", "fixedSuggestion", "option"):
                for j in range(3 + i % 4):
                    self.add(
                        "FieldLookupStrings",
                        value=f"{self.word().title()} {j + 1}",
                        display_order=j,
                        field_id=field["id"],
                    )

    def _field_values(self, field_type: str) -> list[Record]:
        fields = [f for f in self.store.table("Fields").values() if f["field_type"] == field_type]
        chosen = self.rng.sample(fields, self.rng.randint(0, min(3, len(fields))))
        return [
            {"id": f["id"], "values": [f"{self.word()} {self.rng.randint(1, 99)}"]}
            for f in sorted(chosen, key=lambda f: f["id"])
        ]

    def projects(self) -> None:
        pks = self.ids("ProjectKeywords")
        for i in range(self.n(150)):
            project = self.add(
                "Projects",
                name=f"{self.word().title()} {self.word()} {i + 1}",
                code=f"P{i + 1:05d}",
                name_alias_1="",
                name_alias_2="",
                code_alias_1="",
                code_alias_2="",
                alive=int(i % 25 != 24),
                hero_image_id=0,
                public_image_count=0,
                private_image_count=0,
                unapproved_image_count=0,
                updated=self.when(),
            )
            tags = self.rng.sample(pks, min(len(pks), self.rng.randint(0, 3)))
            self.store.link("Projects", "ProjectKeywords", project["id"]).extend(
                {"id": k} for k in sorted(tags)
            )
            self.store.link("Projects", "Fields", project["id"]).extend(
                self._field_values("project")
            )
        for i in range(self.n(60)):
            self.add(
                "Employees",
                code=f"E{i + 1:04d}",
                descriptor=f"Employee {i + 1}",
                hero_image_id=0,
                first_name=self.word().title(),
                last_name=f"Surname{i + 1}",
                email=f"employee{i + 1}@example.invalid",
                updated=self.when(),
            )

    def files(self) -> None:
        store = self.store
        categories = list(store.table("Categories").values())
        projects = self.ids("Projects")
        keywords = self.ids("Keywords")
        photographers = self.ids("Photographers")
        holders = self.ids("CopyrightHolders")
        users = self.ids("Users")
        sizes = store.table("Sizes")
        count = self.n(3000, 10)
        for i in range(count):
            category = categories[i % len(categories)]
            if i % 97 == 5:
                stem = f"{self.rng.choice(_ODD_STEMS)} {i + 1}"
            else:
                stem = f"{self.word()}_{self.word()}_{i + 1}"
            ext = self.rng.choice(("jpg", "jpg", "tif", "pdf", "png", "mov"))
            created = self.when()
            file = store.insert(
                "Files",
                {
                    "filename": f"{stem}.{ext}",
                    "original_filename": f"{stem}.{ext}",
                    "category_id": category["id"],
                    "project_id": self.rng.choice(projects) if category["projects_category"] else 0,
                    "access_level": self.rng.choice((1, 1, 1, 2, 3)),
                    "alternate_store_id": 0,
                    "caption": f"{self.word().title()} view {i + 1}",
                    "description": "",
                    "rank": self.rng.randint(1, 10),
                    "photographer_id": self.rng.choice(photographers),
                    "copyright_holder_id": self.rng.choice(holders),
                    "user_id": self.rng.choice(users),
                    "click_count": self.rng.randint(0, 500),
                    "download_count": self.rng.randint(0, 200),
                    "contains_audio": int(ext == "mov"),
                    "contains_video": int(ext == "mov"),
                    "duration": 12.5 if ext == "mov" else 0,
                    "md5_at_upload": "",
                    "md5_now": "",
                    "rotation_since_upload": 0,
                    "rotate_degrees": 0,
                    "processing_failures": 0,
                    "recheck": 0,
                    "created": created,
                    "uploaded": created,
                    "updated": max(created, self.when()),
                    "replaced": "",
                    "deleted": "",
                    "replaced_user_id": 0,
                    "deleted_user_id": 0,
                    "alive": int(i % 50 != 49),
                },
            )
            wanted = [1, 2, 3] + ([4] if i % 4 == 0 else [])
            entries = store.link("Files", "Sizes", file["id"])
            for sid in wanted:
                if sid in sizes:
                    length = self.rng.randint(512, 4096) if sid == 1 else self.rng.randint(64, 1024)
                    entries.append(size_entry(file, sizes[sid], length))
            tags = self.rng.sample(keywords, min(len(keywords), self.rng.randint(0, 4)))
            store.link("Files", "Keywords", file["id"]).extend({"id": k} for k in sorted(tags))
            store.link("Files", "Fields", file["id"]).extend(self._field_values("image"))

    def collections(self) -> None:
        store = self.store
        files = self.ids("Files")
        users = self.ids("Users")
        groups = self.ids("Groups")
        for i in range(self.n(60)):
            album = self.add(
                "Albums",
                name=f"Album {i + 1} {self.word()}",
                code=f"{self.rng.getrandbits(64):016x}",
                description="",
                user_id=self.rng.choice(users),
                company_album=int(i % 5 == 0),
                approved_company_album=int(i % 10 == 0),
                my_album=0,
                shared_album=int(i % 3 == 0),
                share_with_all_users=int(i % 7 == 0),
                all_users_can_modify=0,
                can_modify=1,
                locked=0,
                created=self.when(),
                updated=self.when(),
            )
            chosen = self.rng.sample(files, min(len(files), self.rng.randint(0, 40)))
            store.link("Albums", "Files", album["id"]).extend(
                {"id": f, "display_order": n} for n, f in enumerate(chosen)
            )
            store.link("Albums", "Users", album["id"]).extend(
                {"id": u, "can_modify": 0} for u in sorted(self.rng.sample(users, 2))
            )
            store.link("Albums", "Groups", album["id"]).append(
                {"id": self.rng.choice(groups), "can_modify": 1}
            )
        for i in range(self.n(10)):
            project = self.rng.choice(self.ids("Projects"))
            search = self.add(
                "Searches",
                name=f"Saved search {i + 1}",
                code=f"S{i + 1}",
                saved=1,
                locked=0,
                user_id=ADMIN_USER_ID,
                company_saved_search=int(i % 2 == 0),
                approved_company_saved_search=0,
                share_with_all_users=0,
                all_users_can_modify=0,
                can_modify=1,
                search_items=[
                    {
                        "code": "project",
                        "operator": "",
                        "exclude": 0,
                        "ids": [project],
                        "values": [],
                    }
                ],
                updated=self.when(),
            )
            store.link("Searches", "Groups", search["id"]).append(
                {"id": self.rng.choice(groups), "can_modify": 0}
            )


def build_store(seed: int, size: float) -> Store:
    """A fresh store seeded from `seed`; equal arguments give equal data."""
    return _Seeder(seed, size).run()
