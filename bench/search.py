"""Contact search on N contacts of one project (default 100,000): count + first page.

Run: ``flock /tmp/heavy.lock .venv/bin/python bench/search.py [N]``; with ``DATABASE_URL``
for PostgreSQL (an empty database it may fill). Figures: docs/performance.md "Contact search".
"""

import os
import random
import sys
import tempfile
import time


def main(n: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("SHOPLINK_DATA_DIR", tempfile.mkdtemp(prefix="shoplink-search-"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shoplink.audience.models import Contact
    from shoplink.audience.search import search_contacts
    from shoplink.projects.models import Project
    from shoplink.projects.services import create_project

    call_command("migrate", verbosity=0)
    project = Project.objects.filter(slug="bench").first() or create_project("Bench", slug="bench")
    if Contact.objects.filter(project=project).count() < n:
        rnd = random.Random(1)
        firsts = ["Leo", "Ana", "Maria", "John", "Wei", "Olga", "Pierre", "Sara", "Tom", "Ines"]
        lasts = ["Silva", "Costa", "Smith", "Chen", "Novak", "Martin", "Berg", "Rossi", "Khan"]
        rows = []
        for i in range(n):
            first, last = rnd.choice(firsts), rnd.choice(lasts)
            rows.append(
                Contact(
                    project=project,
                    external_id=str(i),
                    first_name=first,
                    last_name=f"{last}{i % 997}",
                    email=f"{first.lower()}.{last.lower()}{i}@example.test",
                    phone=f"+1415{rnd.randrange(10**7):07d}",
                )
            )
        Contact.objects.bulk_create(rows, batch_size=2000)
    print(connection.vendor, Contact.objects.filter(project=project).count(), "contacts")
    for q in ["Leo Silva", "leo", "415 555 0123", "zzzz nobody", "12345"]:
        qs = search_contacts(Contact.objects.filter(project=project), q).order_by("-id")
        started = time.perf_counter()
        count = qs.count()
        list(qs[:50])
        took = time.perf_counter() - started
        print(f"{q!r:16} matches={count:6}  count + first page {took * 1000:7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
