"""Fuzz the running app with schemathesis: the GraphQL schema and the REST OpenAPI document, anonymous
and signed in, and fail on any server error (a 5xx, or a GraphQL "Unexpected error.").

    python tests/fuzz/fuzz.py [--seconds 30] [--database-url postgresql+asyncpg://…]

Starts its own server (uvicorn, one process) on a free port with a throwaway SQLite database (or a
fresh schema of the given PostgreSQL database), signs up a user who owns a merchant with an API key,
then runs four time-bounded schemathesis runs against it. `make fuzz` runs it; `.ci/run` calls that.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import text

from shoppable.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gql(base: str, query: str, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{base}/graphql", json={"query": query}, headers=headers, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def credentials(base: str) -> tuple[str, str]:
    """A user token and that user's merchant API key."""
    email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
    password = secrets.token_urlsafe(18)
    data = gql(
        base,
        f'mutation {{ signUp(input: {{email: "{email}", password: "{password}", displayName: "Fuzz"}})'
        " { token userErrors { message } } }",
    )
    token = data["signUp"]["token"]
    merchant = gql(
        base,
        'mutation { createMerchant(input: {handle: "fuzz-shop", name: "Fuzz Shop", currency: "EUR"})'
        " { merchant { id } userErrors { message } } }",
        token,
    )["createMerchant"]["merchant"]["id"]
    key = gql(
        base,
        f'mutation {{ createApiKey(input: {{merchantId: "{merchant}", name: "fuzz"}}) {{ key userErrors {{ message }} }} }}',
        token,
    )["createApiKey"]["key"]
    return token, key


async def _execute(url: str, sql: str) -> None:
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.execute(text(sql))
    await database.dispose()


@contextlib.contextmanager
def fresh_database(url: str | None, tmp: str) -> Iterator[str]:
    """A throwaway SQLite file, or a schema of its own in the given PostgreSQL database, dropped after
    the run: a second run (or the test suite) never meets what the fuzzer wrote."""
    if url is None:
        yield f"sqlite+aiosqlite:///{tmp}/fuzz.db"
        return
    schema = f"fuzz_{uuid.uuid4().hex[:10]}"
    asyncio.run(_execute(url, f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}?search_path={schema}"
    finally:
        asyncio.run(_execute(url, f'DROP SCHEMA "{schema}" CASCADE'))


def schemathesis(location: str, seconds: int, auth: str | None) -> int:
    command = [
        str(BIN / "schemathesis"),
        "run",
        location,
        "--checks",
        "not_a_server_error",
        "--max-time",
        str(seconds),
        "--workers",
        "2",
        "--suppress-health-check",
        "all",
        "--no-color",
    ]
    if auth:
        command += ["-H", f"Authorization: Bearer {auth}"]
    print("$", " ".join(c if "Bearer" not in c else "Authorization: Bearer …" for c in command), flush=True)
    env = dict(os.environ)
    if location.endswith("/graphql"):  # our GraphQL scalars; the REST runs need no hooks
        env["SCHEMATHESIS_HOOKS"] = str(Path(__file__).with_name("scalars.py"))
    else:
        # Schemathesis's coverage phase sometimes crashes inside itself on our OpenAPI document
        # (a KeyError in its constraint walker, not a response of ours); examples and fuzzing run.
        command += ["--phases", "examples,fuzzing"]
    return subprocess.run(command, cwd=ROOT, check=False, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=30, help="time budget of each of the four runs")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.database_url, tmp) as database_url:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DEBUG": "0",
            "GRAPHQL_INTROSPECTION": "1",  # schemathesis reads the schema by introspection
            "PUBLIC_BASE_URL": base,
            "MEDIA_DIR": f"{tmp}/media",
            "IMPORT_DIR": f"{tmp}/imports",
            "MODEL_DIR": f"{tmp}/models",
            "WEBHOOKS_IN_PROCESS": "0",  # endpoints the fuzzer creates get no requests from us
        }
        env.pop("REDIS_URL", None)
        subprocess.run([str(BIN / "shoppable"), "migrate"], env=env, cwd=ROOT, check=True)
        log_path = Path(tmp) / "server.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [str(BIN / "python"), "-m", "uvicorn", "shoppable.api.main:app", "--port", str(port)],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline or server.poll() is not None:
                        print(log_path.read_text())
                        return 2
                    time.sleep(0.3)
                token, key = credentials(base)
                codes = [
                    schemathesis(f"{base}/graphql", args.seconds, None),
                    schemathesis(f"{base}/graphql", args.seconds, token),
                    schemathesis(f"{base}/v1/openapi.json", args.seconds, None),
                    schemathesis(f"{base}/v1/openapi.json", args.seconds, key),
                ]
            finally:
                server.terminate()
                server.wait(timeout=30)
        errors = [line for line in log_path.read_text().splitlines() if " ERROR " in line]
        for line in errors[:40]:
            print(line)
        print(f"schemathesis exit codes {codes}; server ERROR lines: {len(errors)}")
        return 0 if not any(codes) and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
