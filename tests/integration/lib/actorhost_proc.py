"""Test harness for the real actorhost binary, for the Python integration tests.

Starts the binary named by ACTORHOST_BIN on 127.0.0.1 with an ephemeral port (--port 0) and a
data directory (a fresh temporary one, or one the test owns and reuses across restarts), waits
for its one stdout line `listening on http://127.0.0.1:PORT`, and stops it with SIGTERM,
insisting on exit code 0 and on nothing more on stdout; or kills it with any signal. Also the
small helpers the tests share: actor queries (SPEC section 2), the query and conn-params
subprotocols (SPEC section 3), a plain HTTP request to an actor's onFetch, and a WebSocket
connection written by hand for what no client library does.

Every wait here is bounded by a timeout; none is a sleep. A host still running when the test
process exits (a test that failed before its stop()) is killed, and its own data directory
removed, so no server outlives its test file.
"""

import atexit
import base64
import hashlib
import http.client
import json
import os
import re
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse

LISTENING = re.compile(r'^listening on (http://127\.0\.0\.1:(\d+))$')

_live_hosts = set()


@atexit.register
def _kill_leftovers():
    for host in list(_live_hosts):
        host.kill()


def actorhost_bin():
    """Path of the binary under test; fails clearly when the environment does not name one."""
    path = os.environ.get('ACTORHOST_BIN')
    if not path:
        raise RuntimeError('ACTORHOST_BIN is not set: point it at the built actorhost binary, e.g. '
                           'ACTORHOST_BIN=build/app/actorhost /usr/bin/python3 -m unittest '
                           'tests/integration/websocket_interop_test.py')
    return path


def make_data_dir(label='data'):
    """A temporary data directory the caller owns (hosts started on it never remove it)."""
    return tempfile.mkdtemp(prefix=f'actorhost-py-{label}-')


def remove_data_dir(path):
    shutil.rmtree(path, ignore_errors=True)


class ActorHost:
    """One actorhost process.

    `args` are appended to the command line. Without `data_dir` the host gets a fresh temporary
    directory, removed once the process is gone; a given one is left in place, so that a later
    host can open it again. ACTORHOST_* variables of the caller are not inherited, so the host
    runs with its defaults plus what `args` says.
    """

    def __init__(self, args=(), data_dir=None, threads=2, start_timeout=10.0):
        self.args = list(args)
        self.owns_data_dir = data_dir is None
        self.data_dir = make_data_dir('host') if data_dir is None else data_dir
        self.threads = threads
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.url = None
        self._stdout = b''
        self._stderr = None
        self._stderr_tail = ''

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith('ACTORHOST_')}
        # stderr goes to a file: a pipe nobody reads could fill up and stall the host.
        self._stderr = tempfile.TemporaryFile()
        cmd = [actorhost_bin(), '--port', '0', '--threads', str(self.threads), '--data-dir', self.data_dir,
               '--log-level', 'warn', *self.args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=env)
        _live_hosts.add(self)
        try:
            line = self._read_first_line(self.start_timeout)
            match = LISTENING.match(line)
            if not match:
                raise RuntimeError(f'unexpected first stdout line from actorhost: {line!r}; stderr:\n{self.stderr()}')
        except BaseException:
            self.kill()
            raise
        self.url = match.group(1)
        self.port = int(match.group(2))
        return self

    def _read_first_line(self, timeout):
        """Reads stdout up to its first newline, within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b'\n' not in self._stdout:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise TimeoutError(f'actorhost did not print its listening line within {timeout} s; '
                                       f'stdout so far {self._stdout!r}; stderr:\n{self.stderr()}')
                chunk = os.read(fd, 4096)
                if not chunk:
                    code = self.proc.wait(timeout=5)
                    raise RuntimeError(f'actorhost exited (code {code}) before listening; stderr:\n{self.stderr()}')
                self._stdout += chunk
        return self._stdout.split(b'\n', 1)[0].decode('utf-8', 'replace')

    def signal_and_wait(self, sig=signal.SIGTERM, timeout=20.0):
        """Sends `sig` and returns the exit status (negative: killed by that signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait_exit(timeout, sig.name)

    def wait_exit(self, timeout=20.0, after='its signal'):
        """Waits for the process to end and returns its exit status.

        A host that does not exit in time is killed and TimeoutError raised.
        """
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TimeoutError(f'actorhost did not exit within {timeout} s of {after}; stderr:\n{self.stderr()}')
        self._finish()
        return code

    def terminate(self):
        """Sends SIGTERM and returns at once; stopped() then checks how the host ended."""
        self.proc.send_signal(signal.SIGTERM)

    def stopped(self, timeout=20.0):
        """After terminate(): insists on exit code 0 and on exactly the listening line on stdout."""
        self._check_clean_exit(self.wait_exit(timeout, 'SIGTERM'))

    def stop(self, timeout=20.0):
        """SIGTERM, then insists on exit code 0 and on exactly the one listening line on stdout."""
        self._check_clean_exit(self.signal_and_wait(signal.SIGTERM, timeout))

    def _check_clean_exit(self, code):
        if code != 0:
            raise AssertionError(f'actorhost exited with {code} after SIGTERM; stderr:\n{self.stderr()}')
        expected = f'listening on {self.url}\n'.encode()
        if self._stdout != expected:
            raise AssertionError(f'actorhost wrote more than its listening line to stdout: {self._stdout!r}')

    def kill(self):
        """SIGKILL (if it still runs) and reaps the process; never raises for its status."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._finish()

    def _finish(self):
        """Reads what is left on stdout, closes the pipes and removes an own data directory."""
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            with selectors.DefaultSelector() as sel:
                sel.register(self.proc.stdout.fileno(), selectors.EVENT_READ)
                # The process is gone, so the pipe is at its end: the reads cannot block long.
                while sel.select(1.0):
                    chunk = os.read(self.proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    self._stdout += chunk
            self.proc.stdout.close()
        if self._stderr is not None:
            self._stderr_tail = self.stderr()
            self._stderr.close()
            self._stderr = None
        _live_hosts.discard(self)
        if self.owns_data_dir:
            remove_data_dir(self.data_dir)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr(self):
        """What the host wrote to stderr so far (its last 16 KiB)."""
        if self._stderr is None:
            return self._stderr_tail
        self._stderr.flush()
        size = self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, size - 16384))
        return self._stderr.read().decode('utf-8', 'replace')

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if not self.running():
            self.kill()
        elif exc_type is None:
            self.stop()
        else:
            self.kill()
        return False

    # -- addresses -----------------------------------------------------------------------------

    def ws_url(self, path):
        return f'ws://127.0.0.1:{self.port}{path}'


# -- actor queries (SPEC section 2) ------------------------------------------------------------

def get_or_create(name, key):
    return {'getOrCreateForKey': {'name': name, 'key': list(key)}}


def get_for_key(name, key):
    return {'getForKey': {'name': name, 'key': list(key)}}


def actor_id(name, key):
    """The deterministic actor id (SPEC section 2): sha256 of JSON [name, key], first 8 bytes, hex."""
    return hashlib.sha256(js_json([name, list(key)]).encode('utf-8')).hexdigest()[:16]


def get_for_id(actor_id_):
    return {'getForId': {'actorId': actor_id_}}


def js_json(value):
    """JSON as JavaScript's JSON.stringify writes it: no spaces, non-ASCII left as it is."""
    return json.dumps(value, separators=(',', ':'), ensure_ascii=False)


def encode_uri_component(text):
    """JavaScript's encodeURIComponent: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) escaped."""
    return urllib.parse.quote(text, safe="-_.!~*'()")


def query_protocol(query):
    """The subprotocol that carries an actor query: query.<encodeURIComponent(json)>."""
    return 'query.' + encode_uri_component(js_json(query))


def conn_params_protocol(params):
    """The subprotocol that carries conn params: conn_params.<encodeURIComponent(json)>."""
    return 'conn_params.' + encode_uri_component(js_json(params))


_key_counter = 0


def fresh_key(label='k'):
    """A key unique to this process and call, so that tests never share an actor by accident."""
    global _key_counter
    _key_counter += 1
    return [f'{label}-{os.getpid()}-{_key_counter}-{os.urandom(3).hex()}']


# -- plain HTTP to an actor's onFetch -----------------------------------------------------------

def actor_get(host, name, query, path, timeout=15.0):
    """GET /registry/actors/{name}/raw/http{path} with the query header: (status, body bytes)."""
    conn = http.client.HTTPConnection('127.0.0.1', host.port, timeout=timeout)
    try:
        # Header values are bytes: non-ASCII JSON goes as its UTF-8 bytes (a latin-1 str here).
        header = js_json(query).encode('utf-8').decode('latin-1')
        conn.request('GET', f'/registry/actors/{name}/raw/http{path}', headers={'X-RivetKit-Query': header})
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


# -- a WebSocket connection written by hand ------------------------------------------------------

class RawConnection:
    """A TCP connection to the host with hand-made requests and frames, for what a library's
    client never does: frames sent in the same write as the upgrade request, unusual spellings
    of the upgrade headers, HTTP/1.0, a peer that never reads.

    Every read and write is bounded by the socket timeout. Frames from the server are unmasked
    (RFC 6455 section 5.1); frame() makes masked client frames. `receive_buffer` shrinks the
    socket's receive buffer (set before connecting, so the TCP window follows it).
    """

    def __init__(self, host, timeout=10.0, receive_buffer=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        self.sock.connect(('127.0.0.1', host.port))
        self.buf = b''

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def upgrade(self, path, protocols=()):
        """Sends a valid upgrade request for `path` and returns the response head."""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f'GET {path} HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade',
                 f'Sec-WebSocket-Key: {key}', 'Sec-WebSocket-Version: 13']
        if protocols:
            lines.append('Sec-WebSocket-Protocol: ' + ', '.join(protocols))
        self.send(('\r\n'.join(lines) + '\r\n\r\n').encode())
        return self.read_head()

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f'connection closed; received {self.buf[:200]!r}')
            self.buf += chunk

    def read_head(self):
        """The response head: (status, headers as a dict of lower-case name -> list of values)."""
        while b'\r\n\r\n' not in self.buf:
            self._need(len(self.buf) + 1)
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        status_line, *lines = head.decode('latin-1').split('\r\n')
        headers = {}
        for line in lines:
            name, _, value = line.partition(':')
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        return int(status_line.split(' ')[1]), headers

    def read_frame(self):
        """The next frame from the server: (opcode, payload)."""
        self._need(2)
        opcode, length = self.buf[0] & 0x0F, self.buf[1] & 0x7F
        offset = 2
        if length == 126:
            self._need(4)
            length, offset = struct.unpack('!H', self.buf[2:4])[0], 4
        elif length == 127:
            self._need(10)
            length, offset = struct.unpack('!Q', self.buf[2:10])[0], 10
        self._need(offset + length)
        payload, self.buf = self.buf[offset:offset + length], self.buf[offset + length:]
        return opcode, payload

    @staticmethod
    def frame(opcode, payload):
        """A final, masked client frame."""
        mask = os.urandom(4)
        if len(payload) < 126:
            length = bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            length = bytes([0x80 | 126]) + struct.pack('!H', len(payload))
        else:
            length = bytes([0x80 | 127]) + struct.pack('!Q', len(payload))
        return bytes([0x80 | opcode]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
