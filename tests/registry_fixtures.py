"""Helpers behind the registry fixtures in conftest.py: real registries, real images, no engine.

* `start_registry()` runs Debian's `docker-registry` (the CNCF distribution registry) on a free
  127.0.0.1 port with its own config and storage, optionally behind bcrypt htpasswd auth.
* `build_oci_layout()` writes a small OCI image layout (one tar layer holding one file, a config,
  a manifest, and an index for several platforms when asked) in pure Python.
* `push_image()` copies such a layout into a registry with `skopeo copy` and returns the digest
  the registry stores, so tests hold real manifests without docker, buildah or dagger.
* `LoopbackOnlyTransport` is the httpx transport tests give the reader: it refuses any request
  that would leave 127.0.0.1, and ignores proxy settings from the environment.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REGISTRY_BINARY = "docker-registry"
TOOLS = ("docker-registry", "skopeo", "htpasswd")
INSTALL_HINT = "run .ci/install-registry-tools.sh"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def missing_tools() -> list[str]:
    """The registry tools that are not on PATH."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningRegistry:
    """A docker-registry process on loopback; `users` is empty when it needs no auth."""

    port: int
    root: Path
    process: subprocess.Popen[bytes]
    users: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """host:port, usable as `--registry` (loopback, so plain HTTP)."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def stop(self) -> None:
        """Terminate the registry and wait for it (kill after 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Poll `url`/v2/ until it answers 200 or 401; fail early if the process exits."""
    opener = _no_proxy_opener()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {process.returncode} before serving")
        try:
            with opener.open(f"{url}/v2/", timeout=1) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"docker-registry did not answer {url}/v2/ within {timeout:.0f}s")


def write_htpasswd(path: Path, users: Mapping[str, str]) -> None:
    """A bcrypt htpasswd file (cost 4: fast in tests; the registry checks it on every request).

    Names and passwords go to htpasswd as argv items, never through a shell, so `$`, `+`
    and `:` arrive byte-exact.
    """
    lines = []
    for username, password in users.items():
        result = subprocess.run(
            ["htpasswd", "-nbB", "-C", "4", username, password],
            check=True,
            capture_output=True,
            timeout=30,
        )
        lines.append(result.stdout.decode().strip())
    path.write_text("\n".join(lines) + "\n")


def start_registry(root: Path, users: Mapping[str, str] | None = None) -> RunningRegistry:
    """Start docker-registry on a free loopback port with storage under `root`.

    With `users`, the registry requires HTTP Basic auth checked against a bcrypt htpasswd file.
    Retries a few ports in case another process grabs the chosen one first.
    """
    root.mkdir(parents=True, exist_ok=True)
    storage = root / "storage"
    storage.mkdir(exist_ok=True)
    auth = ""
    if users:
        htpasswd = root / "htpasswd"
        write_htpasswd(htpasswd, users)
        auth = f"auth:\n  htpasswd:\n    realm: go-publish-test\n    path: {htpasswd}\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    last_error: Exception | None = None
    for _ in range(5):
        port = free_port()
        config = root / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n"
            f"{auth}"
        )
        log = open(root / "registry.log", "ab")  # noqa: SIM115 - owned by the process
        process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        log.close()
        running = RunningRegistry(port, root, process, dict(users or {}))
        try:
            wait_until_serving(running.url, process)
            return running
        except RuntimeError as exc:
            last_error = exc
            running.stop()
    tail = (root / "registry.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"could not start docker-registry: {last_error}\n{tail}")


# -- OCI layouts ------------------------------------------------------------------------------


def _descriptor(media_type: str, data: bytes, **extra: object) -> dict[str, object]:
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data), **extra}


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _layer(content: str) -> bytes:
    """An uncompressed, reproducible tar with one file, /hello.txt, holding `content`."""
    data = content.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        info.mtime = 0
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build_oci_layout(
    layout: Path, ref: str, content: str, platforms: Sequence[str] = ("linux/amd64",)
) -> str:
    """Write (or add to) an OCI image layout at `layout`, tagged `ref` inside it.

    One platform gives an image manifest, several give an index over one manifest each; every
    platform's layer holds `content` plus the platform name, so different `content` means a
    different image and digest, and the same arguments always give the same digest.
    Returns the digest of the top-level manifest (what a registry tag will point at).
    """
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def blob(data: bytes) -> None:
        (blobs / hashlib.sha256(data).hexdigest()).write_bytes(data)

    manifests: list[dict[str, object]] = []
    for name in platforms:
        os_name, arch, *variant = name.split("/")
        layer = _layer(f"{content}\n{name}\n")
        config = _canonical(
            {
                "architecture": arch,
                "os": os_name,
                **({"variant": variant[0]} if variant else {}),
                "config": {"Cmd": ["/hello"]},
                "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
            }
        )
        manifest = _canonical(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": _descriptor(OCI_CONFIG, config),
                "layers": [_descriptor(OCI_LAYER, layer)],
            }
        )
        for data in (layer, config, manifest):
            blob(data)
        platform = {"os": os_name, "architecture": arch, **({"variant": variant[0]} if variant else {})}
        manifests.append(_descriptor(OCI_MANIFEST, manifest, platform=platform))

    if len(manifests) == 1:
        top = manifests[0]
        top.pop("platform")
    else:
        index = _canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
        blob(index)
        top = _descriptor(OCI_INDEX, index)

    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    index_path = layout / "index.json"
    entries: list[dict[str, object]] = []
    if index_path.exists():
        entries = [
            e for e in json.loads(index_path.read_text())["manifests"]
            if e.get("annotations", {}).get("org.opencontainers.image.ref.name") != ref
        ]
    entries.append({**top, "annotations": {"org.opencontainers.image.ref.name": ref}})
    index_path.write_text(json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}))
    return str(top["digest"])


@dataclass
class Skopeo:
    """Runs skopeo hermetically: accept-anything policy, empty auth file, no registries.conf."""

    workdir: Path

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.policy = self.workdir / "policy.json"
        self.policy.write_text('{"default":[{"type":"insecureAcceptAnything"}]}')
        self.authfile = self.workdir / "auth.json"
        self.authfile.write_text('{"auths":{}}')
        self.registries_conf = self.workdir / "registries.conf"
        self.registries_conf.write_text("")

    def copy(
        self,
        source: str,
        destination: str,
        *,
        creds: tuple[str, str] | None = None,
        all_platforms: bool = False,
    ) -> str:
        """`skopeo copy source destination`; returns the digest the destination stored."""
        digestfile = Path(tempfile.mkstemp(dir=self.workdir, suffix=".digest")[1])
        args = [
            "skopeo", "--policy", str(self.policy), "copy", "--quiet",
            "--src-tls-verify=false", "--dest-tls-verify=false",
            "--src-authfile", str(self.authfile), "--dest-authfile", str(self.authfile),
            "--digestfile", str(digestfile), "--retry-times", "0",
        ]
        # Credentials go as one argv item (no shell): `$`, `+` reach the registry byte-exact.
        args += ["--dest-creds", f"{creds[0]}:{creds[1]}"] if creds else ["--dest-no-creds"]
        if source.startswith("docker://"):
            args += ["--src-creds", f"{creds[0]}:{creds[1]}"] if creds else ["--src-no-creds"]
        if all_platforms:
            args.append("--all")
        args += [source, destination]
        env = {**os.environ, "CONTAINERS_REGISTRIES_CONF": str(self.registries_conf), "REGISTRY_AUTH_FILE": str(self.authfile)}
        result = subprocess.run(args, capture_output=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            # Do not echo argv: it holds the password.
            raise RuntimeError(f"skopeo copy to {destination} failed: {result.stderr.decode(errors='replace')[-1500:]}")
        digest = digestfile.read_text().strip()
        digestfile.unlink()
        return digest


def push_image(
    skopeo: Skopeo,
    registry: RunningRegistry,
    path: str,
    tags: Sequence[str],
    *,
    content: str,
    platforms: Sequence[str] = ("linux/amd64",),
    user: str | None = None,
) -> str:
    """Push one real image (see `build_oci_layout`) to `registry`/`path` under every tag in `tags`.

    The first tag is copied from an OCI layout, the others from the registry itself, so they all
    point at the same digest. For an auth registry the first user (or `user`) pushes.
    Returns the digest the registry stores.
    """
    if not tags:
        raise ValueError("push_image needs at least one tag")
    creds = None
    if registry.users:
        name = user or next(iter(registry.users))
        creds = (name, registry.users[name])
    key = hashlib.sha256(_canonical([content, list(platforms)])).hexdigest()[:16]
    layout = skopeo.workdir / "layouts" / key
    build_oci_layout(layout, "image", content, platforms)
    many = len(platforms) > 1
    first = f"docker://{registry.host}/{path}:{tags[0]}"
    digest = skopeo.copy(f"oci:{layout}:image", first, creds=creds, all_platforms=many)
    for tag in tags[1:]:
        again = skopeo.copy(first, f"docker://{registry.host}/{path}:{tag}", creds=creds, all_platforms=many)
        if again != digest:
            raise RuntimeError(f"retagging {first} as {tag} changed the digest ({digest} -> {again})")
    return digest


class LoopbackOnlyTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends only to 127.0.0.1 and refuses everything else.

    Not a mock: requests go to the real registries; this only guarantees a test can never
    reach past the machine, even when the code under test is wrong.
    """

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"test tried to reach {request.url.host}; only 127.0.0.1 is allowed")
        self.requests.append(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
