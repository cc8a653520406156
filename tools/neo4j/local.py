"""ChainMatch's local Neo4j: fetch the Community engine from Maven Central, start it on a free loopback port,
run a command against it, stop it — even when the command fails or this process is killed.

    python tools/neo4j/local.py fetch                       # jars into tools/neo4j/lib-<version>/ (once)
    python tools/neo4j/local.py run [--require] -- CMD ...   # start, run CMD with NEO4J_URI set, stop
    python tools/neo4j/local.py run --home var/neo4j -- chainmatch serve   # keep the data between runs

`run` exports NEO4J_URI (bolt://127.0.0.1:<port>), NEO4J_USER, NEO4J_PASSWORD (auth is off on loopback) and
CHAINMATCH_NEO4J_VERSION to CMD, and exits with CMD's exit code. Without Java 17+ or Maven it prints why and runs
CMD without Neo4j (the tests then run on SQLite only and say so) — unless --require (or
CHAINMATCH_REQUIRE_NEO4J=1), which is what CI sets: then a Neo4j that cannot start is a failure.

Without --home the database lives in a temporary folder deleted afterwards. The version is the one pinned in
tools/neo4j/pom.xml (docker-compose.yml pins the same for production). Standard library only: `make test` runs
this before anything else.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator, Sequence

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LAUNCHER = HERE / "Launcher.java"
READY = "CHAINMATCH-NEO4J READY"
FAILED = "CHAINMATCH-NEO4J FAILED"
# what Neo4j's own neo4j.conf passes to the JVM; embedded mode has to pass them itself
JVM_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-Dfile.encoding=UTF-8",
)


class Unavailable(RuntimeError):
    """Neo4j cannot be started here (no Java 17+, no Maven, fetch or start failed); the message says why."""


def neo4j_version() -> str:
    m = re.search(r"<neo4j\.version>([^<]+)</neo4j\.version>", POM.read_text(encoding="utf-8"))
    if not m:
        raise Unavailable(f"{POM} 中没有 <neo4j.version>")
    return m.group(1).strip()


def lib_dir(version: str | None = None) -> Path:
    return HERE / f"lib-{version or neo4j_version()}"


def java_binary() -> str:
    """The java of JAVA_HOME, else the one on PATH; it must be 17 or newer (Neo4j 5.26 runs on 17 and 21)."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise Unavailable("未找到 Java（需要 17 或更高版本；Debian: apt-get install openjdk-17-jdk-headless）")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(m.group(1)) if m else 0
    if major == 1 and m and m.group(2):  # "1.8.0"
        major = int(m.group(2))
    if major < 17:
        raise Unavailable(f"Java {major or '?'} 太旧：Neo4j {neo4j_version()} 需要 Java 17 或 21（{java}）")
    return java


def fetch(*, quiet: bool = False) -> Path:
    """The folder of Neo4j jars for the pinned version, downloaded by Maven the first time (atomically: a
    half-finished download is never taken for a complete one)."""
    version = neo4j_version()
    target = lib_dir(version)
    stamp = target / ".complete"
    if stamp.exists():
        return target
    mvn = shutil.which("mvn")
    if not mvn:
        raise Unavailable("未找到 Maven（mvn），无法从 Maven Central 获取 Neo4j；Debian: apt-get install maven")
    tmp = HERE / f".lib-{version}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    if not quiet:
        print(f"neo4j-local: 从 Maven Central 获取 Neo4j {version}（约 120 MB，只需一次）…", file=sys.stderr, flush=True)
    cmd = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={tmp}",
           "-DincludeScope=runtime"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 or not any(tmp.glob("neo4j-bolt-*.jar")):
        shutil.rmtree(tmp, ignore_errors=True)
        tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-15:])
        raise Unavailable(f"Maven 获取 Neo4j {version} 失败（退出码 {r.returncode}）：\n{tail}")
    (tmp / ".complete").write_text(version + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class LocalNeo4j:
    """One running embedded Neo4j (see Launcher.java); `stop()` shuts it down cleanly."""

    uri: str
    version: str
    home: Path
    log_path: Path
    proc: subprocess.Popen
    _tmp_home: bool = False
    _log: IO[str] | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        return {"NEO4J_URI": self.uri, "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": "",
                "CHAINMATCH_NEO4J_VERSION": self.version}

    def stop(self, timeout: float = 90.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close() if self.proc.stdin else None
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"neo4j-local: Neo4j 未在 {timeout:.0f} 秒内停止，强制结束", file=sys.stderr)
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
        if self._tmp_home:
            shutil.rmtree(self.home, ignore_errors=True)


def start(*, home: str | os.PathLike[str] | None = None, port: int | None = None, heap: str = "1g",
          pagecache: str = "256m", timeout: float = 240.0) -> LocalNeo4j:
    """Fetch if needed, start Neo4j on 127.0.0.1:`port` (a free one by default) and wait until Bolt answers."""
    java = java_binary()
    lib = fetch()
    version = neo4j_version()
    tmp_home = home is None
    home_path = Path(tempfile.mkdtemp(prefix="chainmatch-neo4j-")) if tmp_home else Path(home).resolve()
    home_path.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = home_path / "launcher.log"
    log = open(log_path, "a", encoding="utf-8")
    cmd = [java, f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS, "-cp", f"{lib}{os.sep}*", str(LAUNCHER),
           "--home", str(home_path), "--port", str(port), "--pagecache", pagecache, "--exit-on-stdin-eof"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, encoding="utf-8", errors="replace", start_new_session=True)
    server = LocalNeo4j(f"bolt://127.0.0.1:{port}", version, home_path, log_path, proc, tmp_home, log)
    ready = threading.Event()
    failed: list[str] = []

    def pump() -> None:  # copy the launcher's output to its log; notice the ready line
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            log.flush()
            if line.startswith(READY):
                ready.set()
            elif line.startswith(FAILED):
                failed.append(line.strip())
        ready.set()  # EOF: the process ended

    threading.Thread(target=pump, name="neo4j-local-log", daemon=True).start()
    t0 = time.monotonic()
    ready.wait(timeout)
    if proc.poll() is not None or failed or not ready.is_set():
        why = failed[0] if failed else (f"退出码 {proc.returncode}" if proc.poll() is not None else
                                        f"{timeout:.0f} 秒内未就绪")
        server.stop(timeout=30)
        tail = _tail(log_path) if not tmp_home else ""
        raise Unavailable(f"Neo4j {version} 启动失败：{why}" + (f"\n{tail}" if tail else ""))
    _wait_for_bolt(server.uri, deadline=t0 + timeout)
    return server


def _tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _wait_for_bolt(uri: str, *, deadline: float) -> None:
    """The ready line means the database is up; also check that the Bolt port takes connections."""
    host, port = uri.rsplit("//", 1)[1].rsplit(":", 1)
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise Unavailable(f"Neo4j 已启动，但 {uri} 不接受连接")
            time.sleep(0.2)


@contextlib.contextmanager
def running(**kw) -> Iterator[LocalNeo4j]:
    server = start(**kw)
    try:
        yield server
    finally:
        server.stop()


def _run(args: argparse.Namespace) -> int:
    require = args.require or os.environ.get("CHAINMATCH_REQUIRE_NEO4J") == "1"
    cmd: Sequence[str] = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        print("neo4j-local run: 缺少要运行的命令（在 -- 之后）", file=sys.stderr)
        return 2
    try:
        t0 = time.monotonic()
        server = start(home=args.home, port=args.port, heap=args.heap, pagecache=args.pagecache)
    except Unavailable as e:
        if require:
            print(f"neo4j-local: {e}\nneo4j-local: 需要 Neo4j（--require / CHAINMATCH_REQUIRE_NEO4J=1），停止。",
                  file=sys.stderr)
            return 1
        print(f"neo4j-local: {e}\nneo4j-local: 不启动 Neo4j，只在 SQLite 上运行（Neo4j 测试将被跳过）。",
              file=sys.stderr, flush=True)
        return subprocess.call(list(cmd))
    print(f"neo4j-local: Neo4j {server.version} 就绪于 {server.uri}（{time.monotonic() - t0:.1f} 秒），"
          f"数据目录 {server.home}", file=sys.stderr, flush=True)
    env = {**os.environ, **server.env()}
    if require:
        env["CHAINMATCH_REQUIRE_NEO4J"] = "1"
    child: subprocess.Popen | None = None

    def forward(signum, _frame):  # Ctrl-C / SIGTERM: pass on to the command, then stop Neo4j below
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        child = subprocess.Popen(list(cmd), env=env)
        return child.wait()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        server.stop()
        print("neo4j-local: Neo4j 已停止", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tools/neo4j/local.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="verb", required=True)
    sub.add_parser("fetch", help="download the pinned Neo4j jars (once)")
    sub.add_parser("version", help="print the pinned Neo4j version")
    r = sub.add_parser("run", help="start Neo4j, run a command with NEO4J_URI set, stop Neo4j")
    r.add_argument("--require", action="store_true", help="fail if Neo4j cannot start (CI)")
    r.add_argument("--home", default=None, help="database folder to keep (default: a temporary one)")
    r.add_argument("--port", type=int, default=None, help="Bolt port on 127.0.0.1 (default: a free one)")
    r.add_argument("--heap", default=os.environ.get("CHAINMATCH_NEO4J_HEAP", "1g"))
    r.add_argument("--pagecache", default=os.environ.get("CHAINMATCH_NEO4J_PAGECACHE", "256m"))
    r.add_argument("cmd", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    if args.verb == "version":
        print(neo4j_version())
        return 0
    if args.verb == "fetch":
        try:
            print(fetch())
        except Unavailable as e:
            print(f"neo4j-local: {e}", file=sys.stderr)
            return 1
        return 0
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
