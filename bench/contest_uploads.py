"""Evidence uploads right at a cut's deadline, over HTTP to a local server: none lost, none
corrupted, late ones refused.

    .venv/bin/python bench/contest_uploads.py            # 200 uploads of 5 MB
    .venv/bin/python bench/contest_uploads.py --uploads 40 --size-mb 1   # a quick run

Issue 5: "200 concurrent evidence uploads of 5 MB to a local server on 127.0.0.1 right at
the deadline, bounded in count and time: none lost, none corrupted (checksums), late ones
refused." In a temporary directory (its own SQLite database and media folder, nothing of
yours is touched) it loads the Cusco demo territories and people, creates a seal edition
whose first cut's deadline is a few seconds ahead, registers the region's municipalities,
starts `minka runserver` on a free port of 127.0.0.1, signs in as the coordinator, and
sends every upload at once from as many threads: most start before the deadline, the last
`--late` start one second after it. Then it checks every answer against the database and
the files on disk:

- accepted (redirect): exactly one stored file with the SHA-256 sent, whose bytes on disk
  hash the same;
- refused (400 with the deadline message): nothing stored;
- every upload sent after the deadline refused; no 5xx; no upload unanswered within the
  time bound (`--timeout`).

Prints counts, latencies (median, 95th percentile, max) and throughput; prints MISSED for a
broken rule. Exit status 0 (a measurement, not a test).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
MINKA = ROOT / ".venv" / "bin" / "minka"
PASSWORD = "minka-demo-2026"


@dataclass
class Upload:
    registration: int
    criterion: str
    body: bytes
    sha256: str
    late: bool
    status: int = 0
    seconds: float = 0.0
    answer: str = ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(work / "media"),
        "MINKA_ANALYTICS_STORE": str(work / "analytics.duckdb"),
        "MINKA_JOBS_SYNC": "true",
    }


def _prepare(deadline_in: float, slots: int) -> tuple[str, int, list[tuple[int, str]], float]:
    """(edition path, cut deadline as epoch seconds, upload slots, setup seconds)."""
    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.utils import timezone

    from minka.accounts.models import User
    from minka.contests import services
    from minka.demo.services import demo_seed
    from minka.territories.models import Institution
    from minka.territories.selectors import territory_get

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo_seed(indicators=None, analytics=False)
    coordinator = User.objects.get(username="coordinadora.cusco")
    region = territory_get(country="PE", code="08")
    now = timezone.now()
    contest = services.contest_create(code="sello-bench", name_es="Sello de prueba",
                                      territory=region)
    edition = services.edition_create(contest=contest, year=2030,
                                      fund=Decimal("1500000.00"), user=coordinator)
    services.phase_set(edition=edition, kind="registration", starts_at=now - timedelta(hours=1),
                       ends_at=now + timedelta(hours=1), user=coordinator)
    deadline = now + timedelta(seconds=deadline_in)
    services.cut_set(edition=edition, code="2030S1", name="Corte de prueba",
                     evaluation_date=date.today(), evidence_deadline=deadline, user=coordinator)
    services.cut_set(edition=edition, code="2030S2", name="Segundo corte",
                     evaluation_date=date.today(), evidence_deadline=deadline + timedelta(days=1),
                     user=coordinator)
    rules = (ROOT / "minka" / "contests" / "examples" / "rules.json").read_text()
    services.rules_version_save(edition=edition, document=rules.replace("2025S", "2030S"),
                                user=coordinator)
    services.registration_open(edition=edition, user=coordinator)
    registrations = []
    for municipality in Institution.objects.filter(
        kind=Institution.Kind.MUNICIPALITY, territory__path__startswith=region.path
    ).order_by("pk"):
        registration = services.registration_submit(
            edition=edition, municipality=municipality, user=coordinator, accept_rules=True,
            council_act=ContentFile(b"%PDF-1.4\n%%EOF\n", name="acta.pdf"))
        registrations.append(services.registration_review(
            registration=registration, user=coordinator, approve=True, category="A").pk)
    criteria = ["PLAN-01", "PLAN-02", "AGUA-02", "COM-01"]
    all_slots = [(r, c) for c in criteria for r in registrations]
    if slots > len(all_slots):
        raise SystemExit(f"at most {len(all_slots)} uploads: one per municipality and criterion")
    return (f"/sellos/{contest.code}/{edition.year}/", deadline.timestamp(), all_slots[:slots],
            time.perf_counter() - started)


def _login(base: str) -> tuple[str, str]:
    """(sessionid, csrftoken) of the demo coordinator."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/cuenta/ingresar/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1),
                                   "username": "coordinadora.cusco", "password": PASSWORD})
    opener.open(urllib.request.Request(f"{base}/cuenta/ingresar/", data=data.encode(),
                                       headers={"Referer": f"{base}/cuenta/ingresar/"}))
    cookies = {c.name: c.value for c in jar}
    return cookies["sessionid"], cookies["csrftoken"]


def _send(port: int, path: str, upload: Upload, session: str, csrf: str,
          timeout: float) -> None:
    boundary = secrets.token_hex(16)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\""
            f"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"uploads\"; filename=\"evidencia.pdf\"\r\nContent-Type: application/pdf"
            f"\r\n\r\n").encode()
    body = head + upload.body + f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request("POST", path, body=body, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "Referer": f"http://127.0.0.1:{port}{path}",
        })
        response = connection.getresponse()
        upload.status = response.status
        upload.answer = response.read().decode(errors="replace")
    except OSError as error:
        upload.status = -1
        upload.answer = str(error)
    finally:
        upload.seconds = time.perf_counter() - started
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=5.0)
    parser.add_argument("--late", type=int, default=20, help="uploads sent after the deadline")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per upload")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    env = _environment(work)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minka.settings")
    sys.path.insert(0, str(ROOT))
    server = None
    try:
        # The deadline leaves time to start the server and build the payloads.
        path, deadline, slots, setup = _prepare(deadline_in=60.0 + options.uploads * 0.05,
                                                slots=options.uploads)
        print(f"setup: demo territories, an edition and {options.uploads} upload slots in "
              f"{setup:.1f} s (work directory {work})")
        port = _free_port()
        server = subprocess.Popen([str(MINKA), "runserver", f"127.0.0.1:{port}", "--noreload"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/sellos/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        session, csrf = _login(base)
        size = int(options.size_mb * 1024 * 1024)
        uploads = []
        for number, (registration, criterion) in enumerate(slots):
            body = b"%PDF-1.4\n" + os.urandom(size - 9)
            uploads.append(Upload(registration, criterion, body,
                                  hashlib.sha256(body).hexdigest(),
                                  late=number >= len(slots) - options.late))
        on_time_start = deadline - 8.0  # close to the deadline, with time to arrive
        wait = on_time_start - time.time()
        if wait < 0:
            print("MISSED: setup took longer than the deadline allowed; rerun with fewer uploads")
            return
        time.sleep(wait)
        threads = []
        started = time.perf_counter()
        for upload in uploads:
            target = (f"{path}inscripciones/{upload.registration}/evidencias/2030S1/"
                      f"{upload.criterion}/")

            def run(upload: Upload = upload, target: str = target) -> None:
                if upload.late:
                    time.sleep(max(0.0, deadline + 1.0 - time.time()))
                _send(port, target, upload, session, csrf, options.timeout)

            thread = threading.Thread(target=run)
            thread.start()
            threads.append(thread)
            # runserver listens with a backlog of 10: connections opened in the same
            # millisecond overflow it and are reset before Django sees them. 10 ms apart,
            # all are open within two seconds and every upload still overlaps the others.
            time.sleep(0.01)
        for thread in threads:
            thread.join(options.timeout + 30)
        elapsed = time.perf_counter() - started
        options.deadline = deadline
        _report(uploads, elapsed, options)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def _report(uploads: list[Upload], elapsed: float, options: argparse.Namespace) -> None:
    from minka.contests.models import EvidenceFile

    stored = {f.sha256: f for f in EvidenceFile.objects.all()}
    accepted = [u for u in uploads if u.status == 302]
    refused = [u for u in uploads if u.status == 400]
    other = [u for u in uploads if u.status not in (302, 400)]
    lost = [u for u in accepted if u.sha256 not in stored]
    corrupted = [u for u in accepted if u.sha256 in stored and hashlib.sha256(
        Path(stored[u.sha256].file.path).read_bytes()).hexdigest() != u.sha256]
    stored_refused = [u for u in refused if u.sha256 in stored]
    late_accepted = [u for u in uploads if u.late and u.status == 302]
    shown = datetime.fromtimestamp(options.deadline, ZoneInfo("America/Lima")).strftime(
        "%d/%m/%Y %H:%M:%S")
    refused_with_reason = [u for u in refused if shown in u.answer]
    latencies = sorted(u.seconds for u in uploads)
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    on_time = [u for u in uploads if not u.late]
    busiest = max((u.seconds for u in on_time), default=0.0)
    print(f"{len(uploads)} uploads of {options.size_mb:g} MB, {options.late} of them sent one "
          f"second after the deadline; all answered within {elapsed:.1f} s")
    print(f"the {len(on_time)} sent together before the deadline: "
          f"{len(on_time) * options.size_mb:.0f} MB received in {busiest:.1f} s "
          f"({len(on_time) * options.size_mb / max(busiest, 1e-9):.1f} MB/s)")
    print(f"latency: median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, "
          f"max {latencies[-1]:.2f} s")
    print(f"accepted {len(accepted)}, refused {len(refused)} "
          f"({len(refused_with_reason)} with the deadline message), other {len(other)}")
    for status in sorted({u.status for u in other}):
        sample = next(u for u in other if u.status == status)
        first_line = " ".join(sample.answer.split())[:160]
        print(f"  status {status}: {sum(u.status == status for u in other)}, e.g. {first_line}")
    for rule, broken in (
        ("none lost (accepted but not stored)", lost),
        ("none corrupted (stored bytes hash as sent)", corrupted),
        ("nothing stored for a refused upload", stored_refused),
        ("every late upload refused", late_accepted),
        ("every upload answered with 302 or 400 in time", other),
    ):
        print(f"  {rule}: {'yes' if not broken else f'MISSED ({len(broken)})'}")


if __name__ == "__main__":
    main()
