#!/usr/bin/python3
"""Slow and hostile clients against one running server, for bench/slow_clients.sh.

    slow_clients.py header
    slow_clients.py run --attack ATTACK --server {actorhost,nginx} --pid PID --port PORT
                        [--n N] [--duration S] [--nginx-big-path /big.bin] ...

`run` warms the server up, reads its baseline memory and fds, then runs one attack for
--duration seconds while a separate sampler process reads /proc/PID/status and /proc/PID/fd
(PID and its descendants, summed: nginx's workers count) and times a health request over a
fresh connection every 0.5 s. At the end it prints one table row and closes its sockets.

Attacks:
  slowloris   N connections send a request head one byte a second and never finish it.
  slowbody    N connections send a whole POST head (Content-Length: 1 MiB) then one body
              byte a second.
  slowreader  N connections send a request with a large response (actorhost: POST 16 MiB
              to httpActor's echo; nginx: GET a 16 MiB static file) and never read.
  wsreserve   N WebSocket handshakes on websocketActor, each then sends one masked binary
              frame header declaring a 16 MiB payload plus a few bytes, and goes silent.

SLOW_CLIENTS_TRACE=1 in the environment also prints the samples and every health check's
latency to stderr. Python 3 standard library only.
"""

import argparse
import asyncio
import base64
import multiprocessing
import os
import random
import socket
import statistics
import struct
import sys
import threading
import time

HOST = "127.0.0.1"
HTTP_QUERY = '{"getOrCreateForKey":{"name":"httpActor","key":["demo"]}}'
WS_QUERY = '{"getOrCreateForKey":{"name":"websocketActor","key":["demo"]}}'
ECHO_PATH = "/registry/actors/httpActor/raw/http/api/echo"
WS_PATH = "/registry/actors/websocketActor/ws/"
SLOW_BODY_LENGTH = 1024 * 1024
BIG = 16 * 1024 * 1024
WS_DECLARED = 16 * 1024 * 1024
TCP_ESTABLISHED = 1

COLUMNS = [  # (title, width)
    ("attack", 10), ("server", 9), ("ok/N", 7), ("held", 4), ("close_s", 7),
    ("rss0", 6), ("rss_pk", 7), ("rss_end", 7), ("vsz0", 7), ("vsz_pk", 8),
    ("fd0", 4), ("fd_pk", 5), ("fd_end", 6),
    ("hc_med", 6), ("hc_max", 7), ("<10ms", 5), ("note", 0),
]


def row(values):
    out = []
    for (_, width), v in zip(COLUMNS, values):
        out.append(str(v).ljust(width) if width and len(out) < 2 else str(v).rjust(width) if width else str(v))
    return " ".join(out)


# ---------------------------------------------------------------------------- /proc


def process_tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def proc_stats(pid):
    """Sums over PID and its descendants: kB of VmRSS, VmSize, VmHWM, VmPeak, and open fds."""
    total = {"VmRSS": 0, "VmSize": 0, "VmHWM": 0, "VmPeak": 0, "fds": 0}
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in total:
                        total[key] += int(value.split()[0])
            total["fds"] += len(os.listdir(f"/proc/{p}/fd"))
        except (OSError, ValueError):
            pass
    return total


# ------------------------------------------------------------------ health check


def health_check(port, path, timeout=2.0):
    """(seconds, ok) of one GET over a fresh connection, read to the end of its body."""
    t0 = time.perf_counter()
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(max(0.001, timeout - (time.perf_counter() - t0)))
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
            buf = b""
            length = None
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                head_end = buf.find(b"\r\n\r\n")
                if head_end >= 0 and length is None:
                    length = 0
                    for line in buf[:head_end].split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                if length is not None and len(buf) - head_end - 4 >= length:
                    break
            ok = buf.startswith(b"HTTP/1.1 200") and length is not None and len(buf) - head_end - 4 >= length
    except OSError:
        ok = False
    return time.perf_counter() - t0, ok


def sampler_main(pid, port, health_path, interval, stop, conn, parent):
    """The sampler process: /proc figures and health checks every INTERVAL until STOP."""
    samples, checks = [], []

    def watch_proc():
        while not stop.is_set():
            s = proc_stats(pid)
            s["t"] = time.monotonic()
            samples.append(s)
            stop.wait(interval)

    thread = threading.Thread(target=watch_proc, daemon=True)
    thread.start()
    next_at = time.monotonic()
    while not stop.is_set() and os.getppid() == parent:
        checks.append(health_check(port, health_path))
        next_at += interval
        stop.wait(max(0.0, next_at - time.monotonic()))
    stop.set()
    thread.join()
    conn.send({"samples": samples, "checks": checks})
    conn.close()


# ------------------------------------------------------------------------ clients


class Client:
    __slots__ = ("sock", "opened", "closed", "first", "sent", "setup_ok", "tasks")

    def __init__(self):
        self.sock = None
        self.opened = None  # monotonic time the connection (or the handshake) was made
        self.closed = None  # monotonic time the server closed it, as this client saw it
        self.first = b""  # the first bytes the server sent
        self.sent = 0
        self.setup_ok = False
        self.tasks = []

    def mark_closed(self):
        if self.closed is None and self.opened is not None:
            self.closed = time.monotonic()


def tcp_state(sock):
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
    except OSError:
        return 0


async def connect(client):
    loop = asyncio.get_running_loop()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.sock = s
    await loop.sock_connect(s, (HOST, client_port))
    client.opened = time.monotonic()


async def drain(client):
    """Reads (and drops) whatever the server sends, until it closes the connection."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            data = await loop.sock_recv(client.sock, 65536)
            if not data:
                break
            if len(client.first) < 64:
                client.first += data[: 64 - len(client.first)]
    except OSError:
        pass
    client.mark_closed()


async def trickle(client, data, start):
    """Sends DATA one byte a second (from offset START), at a random phase."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(random.random())
    i = start
    while i < len(data) and client.closed is None:
        try:
            await loop.sock_sendall(client.sock, data[i : i + 1])
        except OSError:
            client.mark_closed()
            return
        client.sent += 1
        i += 1
        await asyncio.sleep(1.0)


def status_of(first):
    if first.startswith(b"HTTP/1."):
        return first[9:12].decode(errors="replace")
    return "?" if first else ""


async def slowloris(client, server):
    await connect(client)
    client.setup_ok = True
    head = (f"GET / HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: slowloris\r\nX-Slow: ").encode() + b"a" * 100_000
    client.tasks.append(asyncio.ensure_future(drain(client)))
    await trickle(client, head, 0)


async def slowbody(client, server):
    await connect(client)
    loop = asyncio.get_running_loop()
    if server == "actorhost":
        head = (
            f"POST {ECHO_PATH} HTTP/1.1\r\nHost: {HOST}\r\nX-RivetKit-Actor-Query: {HTTP_QUERY}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {SLOW_BODY_LENGTH}\r\n\r\n"
        )
    else:
        head = (
            f"POST /upload HTTP/1.1\r\nHost: {HOST}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {SLOW_BODY_LENGTH}\r\n\r\n"
        )
    await loop.sock_sendall(client.sock, head.encode())
    client.setup_ok = True
    client.tasks.append(asyncio.ensure_future(drain(client)))
    await trickle(client, b"x" * SLOW_BODY_LENGTH, 0)


async def slowreader(client, server):
    await connect(client)
    loop = asyncio.get_running_loop()
    if server == "actorhost":
        head = (
            f"POST {ECHO_PATH} HTTP/1.1\r\nHost: {HOST}\r\nX-RivetKit-Actor-Query: {HTTP_QUERY}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {BIG}\r\n\r\n"
        ).encode()
        payload = [head, BIG_BODY]
    else:
        payload = [f"GET {nginx_big_path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()]
    client.setup_ok = True
    for part in payload:
        view = memoryview(part)
        while view:
            # Nothing is ever read: the sends stall once the server stops taking the body.
            try:
                n = client.sock.send(view[: 256 * 1024])
            except BlockingIOError:
                await writable(loop, client.sock)
                continue
            except OSError:
                client.mark_closed()
                return
            client.sent += n
            view = view[n:]


async def writable(loop, sock):
    fut = loop.create_future()
    loop.add_writer(sock.fileno(), lambda: fut.done() or fut.set_result(None))
    try:
        await fut
    finally:
        loop.remove_writer(sock.fileno())


def ws_frame_header(length):
    return bytes([0x82, 0x80 | 127]) + struct.pack("!Q", length) + os.urandom(4)


async def wsreserve(client, server):
    await connect(client)
    loop = asyncio.get_running_loop()
    key = base64.b64encode(os.urandom(16)).decode()
    req = (
        f"GET {WS_PATH} HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nX-RivetKit-Actor-Query: {WS_QUERY}\r\n\r\n"
    )
    await loop.sock_sendall(client.sock, req.encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = await loop.sock_recv(client.sock, 4096)
        if not data:
            client.first = buf[:64]
            client.mark_closed()
            return
        buf += data
    client.first = buf[:64]
    if not buf.startswith(b"HTTP/1.1 101"):
        client.mark_closed()
        return
    client.opened = time.monotonic()
    client.setup_ok = True
    # The header of a 16 MiB binary frame and 16 bytes of its payload; then silence.
    await loop.sock_sendall(client.sock, ws_frame_header(WS_DECLARED) + os.urandom(16))
    client.sent = 16
    client.tasks.append(asyncio.ensure_future(drain(client)))


async def watch_states(clients):
    """For clients that never read: a connection the server closed leaves ESTABLISHED."""
    while True:
        for c in clients:
            if c.sock is not None and c.opened is not None and c.closed is None:
                if tcp_state(c.sock) != TCP_ESTABLISHED:
                    c.mark_closed()
        await asyncio.sleep(0.25)


async def run_attack(attack, server, n, duration):
    fn = {"slowloris": slowloris, "slowbody": slowbody, "slowreader": slowreader, "wsreserve": wsreserve}[attack]
    clients = [Client() for _ in range(n)]
    errors = []

    async def one(c):
        try:
            await fn(c, server)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a refused or reset setup counts as not set up
            errors.append(type(e).__name__)
            c.mark_closed()

    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(one(c)) for c in clients]
    watcher = asyncio.ensure_future(watch_states(clients)) if attack == "slowreader" else None
    await asyncio.sleep(max(0.0, duration - (time.monotonic() - t0)))
    if watcher:
        for c in clients:  # one last look
            if c.sock is not None and c.opened is not None and c.closed is None:
                if tcp_state(c.sock) != TCP_ESTABLISHED:
                    c.mark_closed()
    return clients, tasks, watcher, errors


def close_all(clients, tasks, watcher):
    for t in tasks + [watcher] + [t for c in clients for t in c.tasks]:
        if t is not None:
            t.cancel()
    for c in clients:
        if c.sock is not None:
            try:
                # An abortive close, so neither side lingers in FIN_WAIT or TIME_WAIT.
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            c.sock.close()


# --------------------------------------------------------------------------- main


def warm_up(server, port, health_path):
    """Makes the server do its first-use work (actor creation, store) before the baseline."""
    for _ in range(3):
        health_check(port, health_path)
    if server != "actorhost":
        return
    with socket.create_connection((HOST, port), timeout=5) as s:
        body = b"warm"
        s.sendall(
            (
                f"POST {ECHO_PATH} HTTP/1.1\r\nHost: {HOST}\r\nX-RivetKit-Actor-Query: {HTTP_QUERY}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )
        while s.recv(65536):
            pass
    with socket.create_connection((HOST, port), timeout=5) as s:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(
            (
                f"GET {WS_PATH} HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nX-RivetKit-Actor-Query: {WS_QUERY}\r\n\r\n"
            ).encode()
        )
        s.recv(4096)
        s.sendall(bytes([0x88, 0x82]) + b"\0\0\0\0" + struct.pack("!H", 1000))  # close 1000
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass


def mib(kb):
    return f"{kb / 1024:.1f}"


def fmt_ms(x):
    return f"{x * 1000:.2f}" if x is not None else "-"


def main():
    global client_port, BIG_BODY, nginx_big_path
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["header", "run"])
    ap.add_argument("--attack", choices=["slowloris", "slowbody", "slowreader", "wsreserve"])
    ap.add_argument("--server", choices=["actorhost", "nginx"])
    ap.add_argument("--pid", type=int)
    ap.add_argument("--port", type=int)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--threshold-ms", type=float, default=10)
    ap.add_argument("--nginx-big-path", default="/big.bin")
    a = ap.parse_args()
    if a.cmd == "header":
        print(row([t for t, _ in COLUMNS]))
        return

    client_port = a.port
    nginx_big_path = a.nginx_big_path
    BIG_BODY = b"\xa5" * BIG if a.attack == "slowreader" and a.server == "actorhost" else b""
    health_path = "/health" if a.server == "actorhost" else "/"

    warm_up(a.server, a.port, health_path)
    time.sleep(0.5)
    base = proc_stats(a.pid)

    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    parent_end, child_end = ctx.Pipe(duplex=False)
    sampler = ctx.Process(
        target=sampler_main,
        args=(a.pid, a.port, health_path, a.interval, stop, child_end, os.getpid()),
        daemon=True,
    )
    sampler.start()
    child_end.close()

    loop = asyncio.new_event_loop()
    try:
        clients, tasks, watcher, errors = loop.run_until_complete(run_attack(a.attack, a.server, a.n, a.duration))
        end = proc_stats(a.pid)  # before a single client socket closes
        stop.set()
        result = parent_end.recv()
        sampler.join(5)
        close_all(clients, tasks, watcher)
        loop.run_until_complete(asyncio.sleep(0.05))
    finally:
        stop.set()
        if sampler.is_alive():
            sampler.terminate()
        loop.close()

    if os.environ.get("SLOW_CLIENTS_TRACE"):  # the timeline, to stderr
        t0 = min([s["t"] for s in result["samples"]] + [time.monotonic()])
        for s in result["samples"]:
            print(f"  t={s['t'] - t0:5.1f}s rss={mib(s['VmRSS'])} vsz={mib(s['VmSize'])} fds={s['fds']}", file=sys.stderr)
        print("  health ms: " + " ".join(f"{t * 1000:.1f}{'' if ok else '!'}" for t, ok in result["checks"]), file=sys.stderr)

    samples = result["samples"] + [end]
    peak_rss = max([s["VmRSS"] for s in samples] + [end["VmHWM"]])
    peak_vsz = max([s["VmSize"] for s in samples] + [end["VmPeak"]])
    peak_fds = max(s["fds"] for s in samples)
    checks = result["checks"]
    lat_ok = [t for t, ok in checks if ok]
    fails = sum(1 for _, ok in checks if not ok)
    lat_all = [t for t, _ in checks]
    under = bool(checks) and fails == 0 and max(lat_all) < a.threshold_ms / 1000

    set_up = [c for c in clients if c.setup_ok]
    held = [c for c in set_up if c.closed is None]
    closes = [c.closed - c.opened for c in set_up if c.closed is not None]
    statuses = {}
    for c in set_up:
        st = status_of(c.first)
        if st and not (a.attack == "wsreserve" and st == "101"):
            statuses[st] = statuses.get(st, 0) + 1
    notes = [f"checks={len(checks)}"]
    slow = sum(1 for t, ok in checks if ok and t >= a.threshold_ms / 1000)
    if slow:
        notes.append(f"hc_slow={slow}")
    if fails:
        notes.append(f"hc_fail={fails}")
    if statuses:
        notes.append("replies=" + ",".join(f"{k}x{v}" for k, v in sorted(statuses.items())))
    if a.attack == "slowreader" and a.server == "actorhost":
        notes.append(f"sent_avg={sum(c.sent for c in set_up) / max(1, len(set_up)) / 2**20:.1f}MiB")
    if a.attack == "wsreserve" and a.n > len(set_up):
        notes.append("no_101=" + str(a.n - len(set_up)))
    if errors:
        kinds = {}
        for e in errors:
            kinds[e] = kinds.get(e, 0) + 1
        notes.append("errors=" + ",".join(f"{k}x{v}" for k, v in sorted(kinds.items())))

    print(
        row(
            [
                a.attack, a.server, f"{len(set_up)}/{a.n}", len(held),
                f"{statistics.median(closes):.1f}" if closes else "-",
                mib(base["VmRSS"]), mib(peak_rss), mib(end["VmRSS"]), mib(base["VmSize"]), mib(peak_vsz),
                base["fds"], peak_fds, end["fds"],
                fmt_ms(statistics.median(lat_ok) if lat_ok else None),
                fmt_ms(max(lat_all) if lat_all else None),
                "yes" if under else "no",
                " ".join(notes),
            ]
        ),
        flush=True,
    )


client_port = 0
nginx_big_path = "/big.bin"
BIG_BODY = b""

if __name__ == "__main__":
    main()
