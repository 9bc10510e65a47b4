"""The deployment files start, proved without Docker: docker-compose.yml, the Dockerfile, .env.example
and bin/run-gateway (what `make run` starts).

The compose test reads docker-compose.yml, validates it against the Compose Specification's JSON
schema (vendored in tests/vendor/compose-spec/), and runs each of our services' commands here with
the environment compose would give its container — the image's ENV, the .env file, the service's
``environment`` interpolated the way compose does — first with compose's defaults (a .env holding
only DJANGO_SECRET_KEY), then with .env.example copied to .env. Then it runs each service's
health check. What differs from a container, and nothing else:

- DATABASE_URL and REDIS_URL point at the local PostgreSQL and Redis instead of the compose host
  names ``postgres`` and ``redis``;
- a container has its own filesystem and network: its /var/lib/gateway is a temporary folder here,
  and its PORT (8000) a free port.
"""

from __future__ import annotations

import contextlib
import fnmatch
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import require_service

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA = ROOT / "tests" / "vendor" / "compose-spec" / "compose-spec.json"
OURS = ("web", "worker", "beat")
BIN = str(Path(sys.executable).parent)
DATABASE_URL = os.environ.get("GATEWAY_DEPLOY_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gw_deploy_test")
REDIS_URL = os.environ.get("GATEWAY_DEPLOY_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
SECRET = "compose-defaults-" + "k" * 40


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


# --- what compose does with the file -------------------------------------------------------------

VARIABLE = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}."""

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("bare"):
            return variables.get(match.group("bare"), "")
        expression = match.group("braced")
        name, operator, rest = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?]?)(.*)", expression, re.S).groups()
        value = variables.get(name)
        unset = value is None or (operator.startswith(":") and value == "")
        if operator.endswith("-"):
            return rest if unset else value
        if operator.endswith("?"):
            if unset:
                raise ValueError(f"required variable {name} is missing: {rest}")
            return value
        return value or ""

    return VARIABLE.sub(one, value)


def interpolated(node, variables: dict[str, str]):
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [interpolated(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(item, variables) for key, item in node.items()}
    return node


def env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and comments skipped, surrounding quotes removed."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        found[key.strip()] = value.strip().strip("'\"")
    return found


def image_env() -> dict[str, str]:
    """The ENV of the Dockerfile, on top of what python:3.11-slim sets (its PATH is our venv's here)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = {"PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    for line in text.splitlines():
        if line.startswith("ENV "):
            found.update(pair.split("=", 1) for pair in line[4:].split())
    return found


class Deployment:
    """One compose configuration, run here: a .env (or none) and the folder standing in for the container's."""

    def __init__(self, dotenv: dict[str, str], state: Path) -> None:
        self.dotenv = dotenv
        self.state = state
        self.services = interpolated(compose()["services"], dotenv)
        self.port = free_port()

    def environment(self, name: str) -> dict[str, str]:
        service = self.services[name]
        env = image_env()
        for entry in service.get("env_file", []):
            path = entry["path"] if isinstance(entry, dict) else entry
            assert path == ".env", "the test knows only the .env file"
            env.update(self.dotenv)
        env.update({key: str(value) for key, value in service["environment"].items()})
        env["HOSTNAME"] = socket.gethostname()  # docker sets the container's host name
        # The substitutions named in the module docstring, and no others.
        assert "@postgres:5432/" in env["DATABASE_URL"] and env["REDIS_URL"].startswith("redis://redis:6379/")
        env["DATABASE_URL"], env["REDIS_URL"] = DATABASE_URL, REDIS_URL
        env["PORT"] = str(self.port)
        for key, value in env.items():
            env[key] = value.replace("/var/lib/gateway", str(self.state))
        return env

    def command(self, name: str) -> list[str]:
        command = self.services[name]["command"]
        return command if isinstance(command, list) else ["sh", "-c", command]

    def start(self, name: str) -> subprocess.Popen:
        log = (self.state / f"{name}.log").open("wb")
        return subprocess.Popen(
            self.command(name),
            cwd=ROOT,
            env=self.environment(name),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def health_check(self, name: str) -> subprocess.CompletedProcess:
        test = self.services[name]["healthcheck"]["test"]
        kind, *rest = test
        command = rest if kind == "CMD" else ["sh", "-c", rest[0]]
        assert kind in ("CMD", "CMD-SHELL")
        return subprocess.run(command, cwd=ROOT, env=self.environment(name), capture_output=True, timeout=30)

    def metrics(self) -> str:
        """GET /metrics on the web service, with the token when the configuration sets one."""
        env = self.environment("web")
        host = env["DJANGO_ALLOWED_HOSTS"].split(",")[0].strip()
        headers = {"Host": host, "X-Forwarded-Proto": "https"}
        if env.get("GATEWAY_METRICS_TOKEN"):
            headers["Authorization"] = f"Bearer {env['GATEWAY_METRICS_TOKEN']}"
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/metrics", headers=headers)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.read().decode()

    def log(self, name: str) -> str:
        return (self.state / f"{name}.log").read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scan_lines(log: str) -> list[dict]:
    """The worker's JSON log lines written from inside a file-drop scan (they name the task); a last line
    still being written is not one yet."""
    found = []
    for text in log.splitlines():
        try:
            line = json.loads(text) if text.startswith("{") else None
        except json.JSONDecodeError:
            continue
        if line and line.get("task_name") == "edi.tasks.filedrop_scan":
            found.append(line)
    return found


def wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {seconds} s")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the file ------------------------------------------------------------------------------------


def test_the_compose_file_follows_the_compose_specification():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        checked = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
            env={**os.environ, "DJANGO_SECRET_KEY": SECRET},
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr


def test_the_schema_check_catches_a_broken_file():
    schema = json.loads(SCHEMA.read_text())
    broken = compose()
    broken["services"]["worker"]["healthcheck"]["retry"] = 3  # "retries"
    broken["services"]["migrate"]["restart"] = False  # "no", a string
    errors = jsonschema.Draft7Validator(schema).iter_errors(broken)
    assert sorted(tuple(e.absolute_path)[:2] for e in errors) == [("services", "migrate"), ("services", "worker")]


def test_services_wait_for_migrations_and_the_broker_never_evicts():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for name in OURS:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "migrate" not in " ".join(services[name]["command"])
    redis = services["redis"]["command"]
    assert redis[redis.index("--maxmemory-policy") + 1] == "noeviction"
    # The files volume is mounted where the app writes, on a folder the image gives to its user.
    for name in OURS:
        env = services[name]["environment"]
        assert f"gateway-files:{env['GATEWAY_FILE_ROOT']}" in services[name]["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "mkdir -p /var/lib/gateway/files" in dockerfile
    assert "chown -R gateway:gateway /var/lib/gateway" in dockerfile
    assert dockerfile.index("chown -R gateway:gateway") < dockerfile.index("USER gateway")


def test_the_image_gets_every_app():
    """The Dockerfile copies the project whole; .dockerignore leaves out only local state and caches."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY \. \.$", dockerfile, re.M)
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    ignored = [pattern for pattern in ignored if pattern and not pattern.startswith("#")]
    needed = [p.parent.name for p in ROOT.glob("*/apps.py")] + ["bin", "templates", "manage.py", "pyproject.toml"]
    assert {"api", "edi", "gateway", "notifications", "procurement", "suppliers"} <= set(needed)
    for name in needed:
        assert not any(fnmatch.fnmatch(name, pattern) for pattern in ignored), name
    assert {".git", ".venv", ".env", "var"} <= set(ignored)


# --- the services, run ---------------------------------------------------------------------------


def _fresh_database_and_broker() -> None:
    import psycopg
    import redis

    name = DATABASE_URL.rsplit("/", 1)[1]
    try:
        admin = psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3)
        broker = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        broker.ping()
    except Exception as error:  # a missing service: skipped locally, a failure in CI
        require_service("PostgreSQL and Redis", False, f"{type(error).__name__}: {error}")
        return
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    broker.flushdb()


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.parametrize("dotenv", ["defaults", ".env.example"])
def test_each_service_starts_with_the_environment_compose_gives_it_and_is_healthy(dotenv, tmp_path):
    _fresh_database_and_broker()
    values = {"DJANGO_SECRET_KEY": SECRET} if dotenv == "defaults" else env_file(ROOT / ".env.example")
    values["GATEWAY_METRICS_TOKEN"] = "deployment-test-metrics-token"  # as for a Prometheus scraping it
    deployment = Deployment(values, tmp_path)
    migrated = subprocess.run(
        deployment.command("migrate"), cwd=ROOT, env=deployment.environment("migrate"), capture_output=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr.decode()[-2000:]

    running = [deployment.start(name) for name in OURS]
    try:
        wait_for(lambda: deployment.health_check("web").returncode == 0, 40, "the web health check passing")
        wait_for(lambda: deployment.health_check("worker").returncode == 0, 40, "the worker health check passing")
        # beat has no health check of its own: it is healthy when what it schedules reaches the worker.
        # Waited for as a line logged from inside the task, not Celery's "received": under load the task
        # itself logs a moment later, and its duration reaches /metrics once it has finished.
        wait_for(lambda: bool(scan_lines(deployment.log("worker"))), 30, "a scheduled scan running on the worker")
        assert [p.poll() for p in running] == [None, None, None], [deployment.log(n)[-2000:] for n in OURS]
        # And /healthz answered under the host name and scheme the app expects; compose's logs are
        # JSON, one object per line, gunicorn's access log among them.
        web = [json.loads(line) for line in deployment.log("web").splitlines() if line.strip()]
        assert any(
            line["logger"] == "gunicorn.access" and 'GET /healthz HTTP/1.1" 200' in line["message"] for line in web
        ), web[-5:]
        # The worker's lines from inside a task name the task (Celery's banner is not a log line).
        scans = scan_lines(deployment.log("worker"))
        assert scans and all(len(line["task_id"]) == 36 for line in scans), scans[-5:]
        assert {"timestamp", "level", "logger", "message"} <= set(scans[0])
        # The scheduler's too (its banner aside): "Scheduler: Sending due task …".
        beat = [json.loads(line) for line in deployment.log("beat").splitlines() if line.startswith("{")]
        assert any(line["logger"] == "celery.beat" and "Sending due task" in line["message"] for line in beat), beat[
            -5:
        ]
        # /metrics adds up the worker's figures (its task durations) with the web's.
        counted = 'gateway_task_duration_seconds_count{outcome="success",task="edi.tasks.filedrop_scan"}'
        wait_for(lambda: counted in deployment.metrics(), 20, "the scan's duration reaching /metrics")
    finally:
        stop(running)


def test_the_health_check_is_not_turned_away_by_allowed_hosts_or_the_https_redirect(db, tmp_path):
    """What the web health check sends, against what a production app answers (no server needed)."""
    from django.test import Client, override_settings

    deployment = Deployment(env_file(ROOT / ".env.example"), tmp_path)
    env = deployment.environment("web")
    host = subprocess.run(
        [sys.executable, "-c", "import runpy; m = runpy.run_path('bin/healthcheck'); print(m['host_name']())"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert host == "gateway.example.com"
    with override_settings(
        DEBUG=False,
        ALLOWED_HOSTS=env["DJANGO_ALLOWED_HOSTS"].split(","),
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    ):
        client = Client()
        assert client.get("/healthz", headers={"host": "127.0.0.1"}).status_code == 400  # what it used to send
        assert client.get("/healthz", headers={"host": host}).status_code == 301  # plain HTTP: redirected
        answer = client.get("/healthz", headers={"host": host, "x-forwarded-proto": "https"})
        assert (answer.status_code, answer.json()) == (200, {"status": "ok", "database": "ok"})


# --- make run ------------------------------------------------------------------------------------


def session_processes(session: int) -> list[str]:
    """Live (non-zombie) processes of a session, as "pid command"."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(f"{stat.parent.name} {text[text.index('(') + 1 : text.rindex(')')]}")
    return found


@pytest.fixture(scope="module")
def gateway_var(tmp_path_factory) -> dict[str, str]:
    """A var folder of its own, migrated and with the demo data, as `make run` prepares it (SQLite, on-disk broker)."""
    var = tmp_path_factory.mktemp("run-gateway")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "GATEWAY_FILE_ROOT")}
    env.update(GATEWAY_VAR_DIR=str(var), VENV=str(Path(sys.executable).parent.parent), DJANGO_DEBUG="1")
    for command in (["migrate", "--noinput", "-v0"], ["demo_seed"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


@contextlib.contextmanager
def run_gateway(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen, int]]:
    """bin/run-gateway started as from a terminal, on a free port, once /healthz answers; killed after."""
    port = free_port()
    script = subprocess.Popen(
        [str(ROOT / "bin" / "run-gateway")],
        cwd=ROOT,
        env={**env, "GATEWAY_PORT": str(port)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own session and process group, like a terminal's foreground job
        # As from a terminal: SIGINT at its default. A signal ignored when a shell starts cannot be
        # trapped, and a test run before this one may have left the test process ignoring it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return False

        wait_for(healthy, 60, "/healthz answering")
        yield script, port
    finally:
        if script.poll() is None or session_processes(script.pid):
            os.killpg(script.pid, signal.SIGKILL)
            for line in session_processes(script.pid):
                os.kill(int(line.split()[0]), signal.SIGKILL)
            script.wait(timeout=15)


@pytest.mark.worker
def test_run_gateway_reads_a_chunked_body_like_any_other(gateway_var):
    raw = json.dumps(
        {
            "document_id": "GEARS-ACK-CHUNKED",
            "po_number": "PO-4503",
            "header": "ACCEPTED",
            "lines": [{"line_no": "1", "response": "ACCEPT"}],
        },
        indent=1,
    ).encode()
    with run_gateway(gateway_var) as (_, port):
        # A key of its own: the script revokes earlier demo keys when it starts.
        keys = subprocess.run(
            [sys.executable, "manage.py", "demo_keys"],
            cwd=ROOT,
            env=gateway_var,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        key = re.search(r"SUPPLIER_KEY=['\"]?(gw_[^'\"\s]+)", keys)[1]  # type: ignore[index]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "POST",
            "/api/v1/acknowledgements/",
            body=iter([raw[:40], raw[40:]]),  # two chunks, no Content-Length
            headers={
                "Authorization": f"Bearer {key}",
                "Idempotency-Key": "run-chunked-1",
                "Content-Type": "application/json",
            },
            encode_chunked=True,
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.request(
            "GET", f"/api/v1/documents/{answer.get('document')}/", headers={"Authorization": f"Bearer {key}"}
        )
        stored = json.loads(connection.getresponse().read())
        connection.close()

    assert (response.status, answer["outcome"], answer["exceptions"]) == (201, "applied", []), answer
    assert (stored["size"], stored["state"]) == (len(raw), "processed"), stored


@pytest.mark.worker
@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
def test_run_gateway_stops_everything_within_six_seconds(gateway_var, how):
    var = Path(gateway_var["GATEWAY_VAR_DIR"])
    with run_gateway(gateway_var) as (script, port):
        wait_for(lambda: "ready." in (var / "log" / "worker.log").read_text(), 60, "the worker being ready")

        def scans_counted() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                text = answer.read().decode()
            return 'gateway_task_duration_seconds_count{outcome="success",task="edi.tasks.filedrop_scan"}' in text

        # The web server's /metrics adds up the worker's figures (var/metrics, emptied at the start).
        wait_for(scans_counted, 30, "the worker's scans counted in /metrics")
        files = [p.name for p in (var / "metrics").iterdir()]
        assert all(re.fullmatch(r"(counter|histogram)_(web|worker|beat)@[A-Za-z0-9.-]+\+\d+\.db", f) for f in files)
        assert "worker" in {re.split(r"[_@]", name)[1] for name in files}, files
        assert len(session_processes(script.pid)) >= 5  # the script, web, beat, the worker and its pool

        started = time.monotonic()
        if how == "SIGTERM":
            script.send_signal(signal.SIGTERM)
        else:  # the terminal sends SIGINT to the foreground process group: the script's
            os.killpg(script.pid, signal.SIGINT)
        script.wait(timeout=15)
        took = time.monotonic() - started
        time.sleep(0.2)
        # Within 10 s is the promise; an idle gateway stops well inside it (no SIGKILL needed).
        assert took <= 6, f"stopping took {took:.1f} s"
        assert session_processes(script.pid) == []
        assert script.returncode == (143 if how == "SIGTERM" else 130)
