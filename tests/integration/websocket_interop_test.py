"""Interop of the real actorhost binary with Python's `websockets` 10.4 client (SPEC sections 3, 5, 6, 9).

What a third-party client sees of the WebSocket routes: both route forms (the seed's
/registry/actors/{name}/ws/{path} and RivetKit 0.9's /registry/actors/raw/websocket/{path}, each
also without /registry), the actor query as a subprotocol, as ?query= and as a header (by key,
by id, create), the subprotocol the server answers with, messages from 0 bytes to 16 MiB, many
sockets at once, the setup errors (the upgrade completes, then a Close with 1008 or 1011 and the
error code as its reason), the handshake refusals of plain HTTP requests, upgrades written by
hand (frames in the same write as the request), and websocketActor's counters surviving a
SIGTERM and a SIGKILL restart. SIGTERM with sockets open closes them with 1001.

Every wait is bounded by a timeout; nothing here sleeps. Needs ACTORHOST_BIN; run with
Debian's python3, which has python3-websockets:
    ACTORHOST_BIN=build/app/actorhost /usr/bin/python3 -m unittest tests/integration/websocket_interop_test.py
"""

import asyncio
import base64
import http.client
import json
import os
import signal
import sys
import time
import unittest
import urllib.parse

# The shared harness beside this file; no bytecode cache is left in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))

import actorhost_proc as ap  # noqa: E402
import websockets  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

TIMEOUT = 10.0        # seconds for any one step
LARGE_TIMEOUT = 60.0  # for a 16 MiB message each way
MIB = 1024 * 1024
SEED_PATH = '/registry/actors/websocketActor/ws/'
WIRE_PATH = '/registry/actors/raw/websocket/'

# Close codes (RFC 6455 section 7.4.1).
GOING_AWAY, ABNORMAL, POLICY_VIOLATION, INTERNAL_ERROR = 1001, 1006, 1008, 1011

default_host = None


def setUpModule():
    global default_host
    default_host = ap.ActorHost().start()


def tearDownModule():
    default_host.stop()


def socket_query(key):
    return ap.get_or_create('websocketActor', key)


def url_query(query):
    """?query=<URL-encoded JSON>, the other way to put the query in a WebSocket URL."""
    return '?query=' + urllib.parse.quote(ap.js_json(query), safe='')


def http_request(host, method, path, headers=None):
    """One plain HTTP/1.1 request: (status, headers as a lower-case dict, body bytes)."""
    conn = http.client.HTTPConnection('127.0.0.1', host.port, timeout=TIMEOUT)
    try:
        conn.request(method, path, headers=headers or {})
        res = conn.getresponse()
        body = res.read()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, body
    finally:
        conn.close()


def upgrade_headers(**overrides):
    """The headers of a valid upgrade (RFC 6455 section 4.1); a None in `overrides` drops one."""
    headers = {
        'Upgrade': 'websocket',
        'Connection': 'Upgrade',
        'Sec-WebSocket-Key': base64.b64encode(os.urandom(16)).decode(),
        'Sec-WebSocket-Version': '13',
    }
    for name, value in overrides.items():
        name = name.replace('_', '-')
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return headers


def stats(host, key):
    """websocketActor's counters, read over HTTP from its onFetch (GET /stats)."""
    status, body = ap.actor_get(host, 'websocketActor', ap.get_for_key('websocketActor', key), '/stats')
    if status != 200:
        raise AssertionError(f'GET /stats answered {status}: {body!r}')
    return json.loads(body)


class InteropCase(unittest.IsolatedAsyncioTestCase):
    """Opens `websockets` clients to a host and checks what comes back."""

    async def asyncSetUp(self):
        # The test loop runs in debug mode, which reports every callback over 0.1 s; moving
        # 16 MiB messages takes longer than that and is not a fault.
        asyncio.get_running_loop().slow_callback_duration = 5.0

    async def open(self, path=None, protocols=None, host=None, query=None, **options):
        """A connected client. Without `protocols`, the query (or a fresh websocketActor's) goes
        in a query.<json> subprotocol; without `path`, the seed's route of the query's actor.
        `options` go to websockets.connect."""
        host = host or default_host
        query = query or socket_query(ap.fresh_key('ws'))
        if protocols is None:
            protocols = [ap.query_protocol(query)]
        if path is None:
            path = f'/registry/actors/{next(iter(query.values()))["name"]}/ws/'
        ws = await websockets.connect(host.ws_url(path), subprotocols=protocols or None, max_size=None,
                                      ping_interval=None, open_timeout=TIMEOUT, close_timeout=TIMEOUT, **options)
        self.addAsyncCleanup(ws.close)
        return ws

    async def recv(self, ws, timeout=TIMEOUT):
        return await asyncio.wait_for(ws.recv(), timeout)

    async def send(self, ws, message, timeout=TIMEOUT):
        await asyncio.wait_for(ws.send(message), timeout)

    async def welcome(self, ws):
        """The welcome websocketActor sends first; returns its connectionCount."""
        message = json.loads(await self.recv(ws))
        self.assertEqual(message['type'], 'welcome')
        return message['connectionCount']

    async def assert_text_echo(self, ws, text, timeout=TIMEOUT):
        await self.send(ws, text, timeout)
        answer = await self.recv(ws, timeout)
        self.assertIsInstance(answer, str)
        reply = json.loads(answer)
        self.assertEqual(reply['type'], 'echo')
        self.assertTrue(reply['data'] == text, f'text echo differs: {answer[:200]!r}')

    async def assert_binary_echo(self, ws, data, timeout=TIMEOUT):
        await self.send(ws, data, timeout)
        answer = await self.recv(ws, timeout)
        self.assertIsInstance(answer, bytes)
        self.assertEqual(len(answer), len(data))
        self.assertTrue(answer == data, 'binary echo differs from what was sent')

    async def assert_closed_with(self, ws, code, reason):
        """The server closes the socket (before any message) with `code` and `reason`."""
        with self.assertRaises(ConnectionClosed):
            message = await self.recv(ws)
            self.fail(f'expected a close, got a message: {message!r}')
        self.assertEqual((ws.close_code, ws.close_reason), (code, reason))


class Routes(InteropCase):
    """Both route forms, with and without /registry, and the three places a query may be."""

    async def test_route_forms(self):
        for path in ('/registry/actors/websocketActor/ws/', '/registry/actors/websocketActor/ws/some/path?x=1',
                     '/registry/actors/websocketActor/ws', '/registry/actors/raw/websocket/',
                     '/registry/actors/raw/websocket/some/path', '/actors/websocketActor/ws/chat',
                     '/actors/raw/websocket/chat'):
            with self.subTest(path=path):
                ws = await self.open(path)
                self.assertEqual(await self.welcome(ws), 1)
                await self.assert_text_echo(ws, f'hello over {path}')
                await ws.close()
                self.assertEqual(ws.close_code, 1000)

    async def test_query_in_the_url(self):
        for path in (SEED_PATH, WIRE_PATH, '/actors/raw/websocket/'):
            with self.subTest(path=path):
                key = ap.fresh_key('url')
                ws = await self.open(path + url_query(socket_query(key)), protocols=[])
                self.assertEqual(await self.welcome(ws), 1)
                await self.assert_text_echo(ws, 'query from the URL')
                await ws.close()
                self.assertEqual(stats(default_host, key)['connectionCount'], 1)

    async def test_query_in_a_header(self):
        key = ap.fresh_key('header')
        ws = await self.open(WIRE_PATH, protocols=[],
                             extra_headers={'X-RivetKit-Query': ap.js_json(socket_query(key))})
        self.assertEqual(await self.welcome(ws), 1)
        await self.assert_text_echo(ws, 'query from a header')
        await ws.close()
        self.assertEqual(stats(default_host, key)['connectionCount'], 1)

    async def test_same_actor_whichever_way_it_is_addressed(self):
        key = ap.fresh_key('same')
        query = socket_query(key)
        counts = []
        for path, protocols in ((SEED_PATH, [ap.query_protocol(query)]), (WIRE_PATH + url_query(query), []),
                                ('/actors/raw/websocket/' + url_query(query), ['rivetkit'])):
            ws = await self.open(path, protocols=protocols)
            counts.append(await self.welcome(ws))
            await ws.close()
        self.assertEqual(counts, [1, 2, 3])

    async def test_non_ascii_key_and_get_for_id(self):
        # The key travels percent-encoded (UTF-8) in the subprotocol and in ?query=; getForId
        # with the deterministic id (SPEC section 2) reaches the same instance.
        key = ap.fresh_key('κόσμε/😀 "q" a+b%20')
        query = socket_query(key)
        counts = []
        for path, protocols in ((SEED_PATH, [ap.query_protocol(query)]), (SEED_PATH + url_query(query), []),
                                (WIRE_PATH, [ap.query_protocol(ap.get_for_id(ap.actor_id('websocketActor', key)))])):
            ws = await self.open(path, protocols=protocols)
            counts.append(await self.welcome(ws))
            await ws.close()
        self.assertEqual(counts, [1, 2, 3])
        self.assertEqual(stats(default_host, key)['connectionCount'], 3)


class Subprotocols(InteropCase):
    """The answer: `rivetkit` when offered, else the first offered protocol, else none."""

    async def test_rivetkit_is_chosen_when_offered(self):
        query = ap.query_protocol(socket_query(ap.fresh_key('sp')))
        for offered in ([query, 'rivetkit'], ['rivetkit', query], [query, 'encoding.json', 'chat', 'rivetkit']):
            with self.subTest(offered=offered):
                ws = await self.open(protocols=offered)
                self.assertEqual(ws.subprotocol, 'rivetkit')
                await self.welcome(ws)

    async def test_first_offered_protocol_otherwise(self):
        key = ap.fresh_key('sp')
        query = ap.query_protocol(socket_query(key))
        ws = await self.open(protocols=[query, 'encoding.json'])
        self.assertEqual(ws.subprotocol, query)
        await self.welcome(ws)
        ws = await self.open(SEED_PATH + url_query(socket_query(key)), protocols=['chat', 'superchat'])
        self.assertEqual(ws.subprotocol, 'chat')
        await self.welcome(ws)

    async def test_no_protocol_when_none_offered(self):
        ws = await self.open(SEED_PATH + url_query(socket_query(ap.fresh_key('sp'))), protocols=[])
        self.assertIsNone(ws.subprotocol)
        self.assertEqual(await self.welcome(ws), 1)


class Messages(InteropCase):
    """websocketActor's answers: the echo of every size, and ping -> pong."""

    SIZES = (0, 1, 125, 64 * 1024, MIB, 16 * MIB)

    async def test_text_messages(self):
        ws = await self.open()
        await self.welcome(ws)
        for size in self.SIZES:
            with self.subTest(size=size):
                await self.assert_text_echo(ws, ('abcdefghij' * (size // 10 + 1))[:size], timeout=LARGE_TIMEOUT)

    async def test_binary_messages(self):
        ws = await self.open()
        await self.welcome(ws)
        for size in self.SIZES:
            with self.subTest(size=size):
                await self.assert_binary_echo(ws, os.urandom(size), timeout=LARGE_TIMEOUT)

    async def test_text_that_is_json_is_echoed_as_json(self):
        ws = await self.open()
        await self.welcome(ws)
        await self.send(ws, '{"hello":"κόσμε","n":[1,2,3]}')
        self.assertEqual(json.loads(await self.recv(ws)),
                         {'type': 'echo', 'data': {'hello': 'κόσμε', 'n': [1, 2, 3]}})

    async def test_ping_gets_pong_with_timestamp(self):
        ws = await self.open()
        await self.welcome(ws)
        before = int(time.time() * 1000)
        await self.send(ws, '{"type":"ping"}')
        answer = json.loads(await self.recv(ws))
        after = int(time.time() * 1000)
        self.assertEqual(answer['type'], 'pong')
        # Milliseconds since the epoch, from the host's clock (the same machine's).
        self.assertLessEqual(before - 1000, answer['timestamp'])
        self.assertLessEqual(answer['timestamp'], after + 1000)

    async def test_websocket_level_ping_is_answered(self):
        ws = await self.open()
        await self.welcome(ws)
        pong = await ws.ping(b'are you there')
        await asyncio.wait_for(pong, TIMEOUT)

    async def test_connection_count_increases_per_connection(self):
        key = ap.fresh_key('count')
        for expected in (1, 2, 3):
            ws = await self.open(query=socket_query(key))
            self.assertEqual(await self.welcome(ws), expected)
            await ws.close()
        # One still open while the next opens.
        first = await self.open(query=socket_query(key))
        second = await self.open(query=socket_query(key))
        self.assertEqual({await self.welcome(first), await self.welcome(second)}, {4, 5})


class ManySockets(InteropCase):
    """Many sockets at once, to one actor and across many actors."""

    COUNT = 50

    async def test_many_sockets_to_one_actor(self):
        key = ap.fresh_key('many')
        sockets = await asyncio.gather(*(self.open(query=socket_query(key)) for _ in range(self.COUNT)))
        counts = await asyncio.gather(*(self.welcome(ws) for ws in sockets))
        self.assertEqual(sorted(counts), list(range(1, self.COUNT + 1)))
        await asyncio.gather(*(self.assert_text_echo(ws, f'socket {i}') for i, ws in enumerate(sockets)))
        await asyncio.gather(*(self.assert_binary_echo(ws, i.to_bytes(4, 'big')) for i, ws in enumerate(sockets)))
        await asyncio.gather(*(ws.close() for ws in sockets))
        self.assertEqual(stats(default_host, key), {'connectionCount': self.COUNT, 'messageCount': 2 * self.COUNT})

    async def test_sockets_across_many_actors(self):
        keys = [ap.fresh_key('spread') for _ in range(self.COUNT)]
        sockets = await asyncio.gather(*(self.open(query=socket_query(k)) for k in keys))
        counts = await asyncio.gather(*(self.welcome(ws) for ws in sockets))
        self.assertEqual(counts, [1] * self.COUNT)
        await asyncio.gather(*(self.assert_text_echo(ws, f'actor {i}') for i, ws in enumerate(sockets)))
        await asyncio.gather(*(ws.close() for ws in sockets))
        for key in keys[:5]:
            self.assertEqual(stats(default_host, key), {'connectionCount': 1, 'messageCount': 1})


class SetupErrors(InteropCase):
    """Errors after the query is read: the upgrade completes, then the server closes with 1008
    (auth) or 1011 (anything else) and the error code as the reason (SPEC section 3)."""

    async def test_actor_without_on_auth_is_forbidden(self):
        ws = await self.open(query=ap.get_or_create('lockedActor', ap.fresh_key('locked')))
        await self.assert_closed_with(ws, POLICY_VIOLATION, 'forbidden')

    async def test_auth_actor_without_conn_params(self):
        ws = await self.open(query=ap.get_or_create('authActor', ap.fresh_key('auth')))
        await self.assert_closed_with(ws, POLICY_VIOLATION, 'missing_auth')

    async def test_auth_actor_with_a_wrong_api_key(self):
        query = ap.get_or_create('authActor', ap.fresh_key('auth'))
        ws = await self.open(query=query,
                             protocols=[ap.query_protocol(query), ap.conn_params_protocol({'apiKey': 'wrong'})])
        await self.assert_closed_with(ws, POLICY_VIOLATION, 'forbidden')

    async def test_auth_actor_admits_the_right_key_but_has_no_websocket_handler(self):
        query = ap.get_or_create('authActor', ap.fresh_key('auth'))
        # conn params as a subprotocol, and as the X-RivetKit-Conn-Params header.
        ws = await self.open(query=query,
                             protocols=[ap.query_protocol(query), ap.conn_params_protocol({'apiKey': 'secret'})])
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'websocket_handler_not_defined')
        ws = await self.open(query=query, protocols=[ap.query_protocol(query)],
                             extra_headers={'X-RivetKit-Conn-Params': ap.js_json({'apiKey': 'secret'})})
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'websocket_handler_not_defined')

    async def test_actor_never_created(self):
        ws = await self.open(query=ap.get_for_key('websocketActor', ap.fresh_key('never')))
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'actor_not_found')

    async def test_create_on_an_existing_key(self):
        # `create` makes the actor (welcome 1); a second `create` of the same key is refused.
        query = {'create': {'name': 'websocketActor', 'key': ap.fresh_key('create')}}
        ws = await self.open(query=query)
        self.assertEqual(await self.welcome(ws), 1)
        await ws.close()
        ws = await self.open(query=query)
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'actor_already_exists')

    async def test_unknown_actor_id(self):
        ws = await self.open(WIRE_PATH, protocols=[ap.query_protocol(ap.get_for_id('0123456789abcdef'))])
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'actor_not_found')

    async def test_unregistered_actor_name(self):
        ws = await self.open(WIRE_PATH, query=ap.get_or_create('noSuchActor', ['x']))
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'actor_not_found')

    async def test_actor_without_websocket_handler(self):
        ws = await self.open('/registry/actors/httpActor/ws/', query=ap.get_or_create('httpActor', ap.fresh_key('h')))
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'websocket_handler_not_defined')

    async def test_missing_query(self):
        for protocols in ([], ['rivetkit', 'encoding.json']):
            with self.subTest(protocols=protocols):
                ws = await self.open(protocols=protocols)
                await self.assert_closed_with(ws, INTERNAL_ERROR, 'invalid_request')

    async def test_unparsable_query(self):
        ws = await self.open(protocols=['query.' + ap.encode_uri_component('{"getOrCreateForKey":')])
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'invalid_query_json')

    async def test_malformed_percent_encoding_in_a_subprotocol(self):
        query = ap.query_protocol(socket_query(ap.fresh_key('pct')))
        for protocols in (['query.%ZZ'], [query, 'conn_params.%E0%A4']):
            with self.subTest(protocols=protocols[-1]):
                ws = await self.open(protocols=protocols)
                await self.assert_closed_with(ws, INTERNAL_ERROR, 'invalid_request')

    async def test_conn_params_that_are_not_json(self):
        query = ap.query_protocol(socket_query(ap.fresh_key('params')))
        ws = await self.open(protocols=[query, 'conn_params.' + ap.encode_uri_component('{not json')])
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'invalid_params')

    async def test_route_name_differs_from_the_query(self):
        ws = await self.open('/registry/actors/httpActor/ws/', query=socket_query(ap.fresh_key('mismatch')))
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'invalid_request')

    async def test_unsupported_encoding(self):
        query = ap.query_protocol(socket_query(ap.fresh_key('enc')))
        ws = await self.open(protocols=[query, 'encoding.cbor'])
        await self.assert_closed_with(ws, INTERNAL_ERROR, 'invalid_request')


class HandshakeRefusals(unittest.TestCase):
    """Requests to a WebSocket route that are not a valid upgrade get an HTTP error, no 101."""

    def assert_refused(self, status, method='GET', path=SEED_PATH, headers=None):
        got, headers_back, body = http_request(default_host, method, path, headers)
        self.assertEqual(got, status, body)
        self.assertEqual(headers_back.get('content-type'), 'application/json')
        self.assertEqual(json.loads(body)['c'], 'invalid_request')
        return headers_back

    def test_no_upgrade_header_is_426(self):
        for path in (SEED_PATH, WIRE_PATH, '/actors/raw/websocket/x'):
            with self.subTest(path=path):
                headers = self.assert_refused(426, path=path)
                self.assertEqual(headers.get('upgrade'), 'websocket')
                self.assertEqual(headers.get('sec-websocket-version'), '13')

    def test_unsupported_version_is_426(self):
        headers = self.assert_refused(426, headers=upgrade_headers(Sec_WebSocket_Version='8'))
        self.assertEqual(headers.get('sec-websocket-version'), '13')

    def test_bad_key_is_400(self):
        for key in ('short', base64.b64encode(os.urandom(15)).decode(), base64.b64encode(os.urandom(17)).decode()):
            with self.subTest(key=key):
                self.assert_refused(400, headers=upgrade_headers(Sec_WebSocket_Key=key))
        self.assert_refused(400, headers=upgrade_headers(Sec_WebSocket_Key=None))

    def test_missing_connection_upgrade_is_400(self):
        self.assert_refused(400, headers=upgrade_headers(Connection='keep-alive'))

    def test_post_is_405(self):
        self.assert_refused(405, method='POST', headers=upgrade_headers())

    def test_valid_upgrade_is_101_with_the_rfc_accept_value(self):
        # RFC 6455 section 1.3's example key and its accept value.
        protocol = ap.query_protocol(socket_query(ap.fresh_key('raw')))
        status, headers, _ = http_request(default_host, 'GET', SEED_PATH, upgrade_headers(
            Sec_WebSocket_Key='dGhlIHNhbXBsZSBub25jZQ==', Sec_WebSocket_Protocol=f'{protocol}, rivetkit'))
        self.assertEqual(status, 101)
        self.assertEqual(headers.get('upgrade', '').lower(), 'websocket')
        self.assertEqual(headers.get('sec-websocket-accept'), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
        self.assertEqual(headers.get('sec-websocket-protocol'), 'rivetkit')


class RawUpgrade(unittest.TestCase):
    """Upgrades written by hand."""

    def raw(self):
        raw = ap.RawConnection(default_host)
        self.addCleanup(raw.close)
        return raw

    def request(self, version='1.1', **headers):
        protocol = ap.query_protocol(socket_query(ap.fresh_key('raw')))
        lines = [f'GET {SEED_PATH} HTTP/{version}', 'Host: 127.0.0.1', f'Sec-WebSocket-Protocol: {protocol}']
        lines += [f'{name.replace("_", "-")}: {value}' for name, value in upgrade_headers(**headers).items()]
        return ('\r\n'.join(lines) + '\r\n\r\n').encode()

    def test_frames_in_the_same_write_as_the_upgrade_request_are_served(self):
        # Header names and tokens in other cases and in lists, as browsers send them
        # (Firefox: "Connection: keep-alive, Upgrade"); the subprotocols over two header lines.
        raw = self.raw()
        request = self.request(Upgrade='WebSocket', Connection='keep-alive, Upgrade',
                               Sec_WebSocket_Protocol='chat, rivetkit')
        raw.send(request + ap.RawConnection.frame(0x1, b'early bird') + ap.RawConnection.frame(0x9, b'early ping'))
        status, headers = raw.read_head()
        self.assertEqual(status, 101)
        self.assertEqual(headers.get('sec-websocket-protocol'), ['rivetkit'])
        frames = [raw.read_frame() for _ in range(3)]
        # The pong may come before or after the welcome; the welcome comes before the echo.
        self.assertIn((0xA, b'early ping'), frames)
        texts = [json.loads(payload) for opcode, payload in frames if opcode == 0x1]
        self.assertEqual([t['type'] for t in texts], ['welcome', 'echo'])
        self.assertEqual(texts[1]['data'], 'early bird')

    def test_http_1_0_upgrade_is_refused(self):
        raw = self.raw()
        raw.send(self.request(version='1.0'))
        status, _ = raw.read_head()
        self.assertEqual(status, 400)


class Durability(InteropCase):
    """websocketActor's counters over restarts (SPEC section 5): each test owns a data directory."""

    def setUp(self):
        self.data_dir = ap.make_data_dir('ws-durability')
        self.addCleanup(ap.remove_data_dir, self.data_dir)

    def start_host(self):
        host = ap.ActorHost(data_dir=self.data_dir).start()
        self.addCleanup(host.kill)  # a no-op once the test stopped it
        return host

    async def test_counts_reflect_messages_and_survive_sigterm(self):
        key = ap.fresh_key('term')
        host = self.start_host()
        ws = await self.open(host=host, query=socket_query(key))
        self.assertEqual(await self.welcome(ws), 1)
        for i in range(3):
            await self.assert_text_echo(ws, f'message {i}')
        await self.assert_binary_echo(ws, b'\x00\x01')
        await self.assert_binary_echo(ws, b'')
        await ws.close()
        self.assertEqual(stats(host, key), {'connectionCount': 1, 'messageCount': 5})
        host.stop()

        host = self.start_host()
        self.assertEqual(stats(host, key), {'connectionCount': 1, 'messageCount': 5})
        ws = await self.open(host=host, query=socket_query(key))
        self.assertEqual(await self.welcome(ws), 2)
        await self.assert_text_echo(ws, 'after the restart')
        await ws.close()
        self.assertEqual(stats(host, key), {'connectionCount': 2, 'messageCount': 6})
        host.stop()

    async def test_connection_count_survives_sigkill(self):
        # connectionCount is saved (saveState) before the welcome goes out, so a welcome seen
        # is a count on disk, even if the host dies with the sockets open.
        key = ap.fresh_key('kill')
        host = self.start_host()
        first = await self.open(host=host, query=socket_query(key))
        second = await self.open(host=host, query=socket_query(key))
        self.assertEqual({await self.welcome(first), await self.welcome(second)}, {1, 2})
        self.assertEqual(host.signal_and_wait(signal.SIGKILL), -signal.SIGKILL)
        for ws in (first, second):
            await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
            self.assertEqual(ws.close_code, ABNORMAL)

        host = self.start_host()
        self.assertEqual(stats(host, key)['connectionCount'], 2)
        ws = await self.open(host=host, query=socket_query(key))
        self.assertEqual(await self.welcome(ws), 3)
        await ws.close()
        host.stop()

    async def test_sigterm_closes_open_sockets_with_1001_and_keeps_their_changes(self):
        # messageCount is not saved per message; what the open sockets changed is saved when
        # they close, which shutdown makes happen (SPEC section 5: no change silently dropped).
        key = ap.fresh_key('shutdown')
        host = self.start_host()
        sockets = [await self.open(host=host, query=socket_query(key)) for _ in range(3)]
        for ws in sockets:
            await self.welcome(ws)
            await self.assert_text_echo(ws, 'before shutdown')
            await self.assert_binary_echo(ws, b'before shutdown')
        host.terminate()
        for ws in sockets:
            await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
            self.assertEqual(ws.close_code, GOING_AWAY)
        await asyncio.to_thread(host.stopped)

        host = self.start_host()
        self.assertEqual(stats(host, key), {'connectionCount': 3, 'messageCount': 6})
        host.stop()

if __name__ == '__main__':
    unittest.main(verbosity=2)
