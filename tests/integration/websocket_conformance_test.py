"""WebSocket conformance of the real actorhost binary (SPEC section 6, RFC 6455), case by case.

One test class per group of the Autobahn testsuite's case list (1 framing, 2 pings and pongs,
3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close handling, 9 limits), plus the
server's own keep-alive pings. The client is autobahn's asyncio WebSocketClientProtocol, whose
sendFrame() writes any frame, valid or not, and whose maskClientFrames option sends unmasked ones.
A few cases write hand-made frame bytes on its transport, where sendFrame cannot (a header
without its payload), and one class uses a raw socket, for a client that never reads.

The target is websocketActor (SPEC section 9): it sends a welcome text message first, then
echoes binary as binary and answers text with {"type":"echo","data":<the text's JSON, or the
text as a JSON string>}. "The server's close code" below is the code in the Close frame the
client receives; a Close without a body is what a browser reports as 1005.

Each event the server causes (message, ping, pong, Close frame, end of connection) is awaited
with a timeout; nothing here sleeps. Needs ACTORHOST_BIN; run with Debian's python3, which
has python3-autobahn:
    ACTORHOST_BIN=build/app/actorhost /usr/bin/python3 -m unittest tests/integration/websocket_conformance_test.py
"""

import asyncio
import collections
import json
import os
import socket
import struct
import sys
import unittest

# The shared harness beside this file; no bytecode cache is left in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))

import actorhost_proc as ap  # noqa: E402
import txaio  # noqa: E402
from autobahn.asyncio.websocket import WebSocketClientFactory, WebSocketClientProtocol  # noqa: E402

# autobahn logs, at warning level, every connection it fails itself (e.g. on close code 1014,
# which its client does not accept although RFC 6455's registry does); the tests check those
# cases on the frames they record.
txaio.set_global_log_level('error')

# Opcodes (RFC 6455 section 5.2).
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

# Close codes (section 7.4.1); 1005 is never on the wire: a Close without a body.
NORMAL, GOING_AWAY, PROTOCOL_ERROR, NO_STATUS, ABNORMAL, INVALID_PAYLOAD, MESSAGE_TOO_BIG = (
    1000, 1001, 1002, 1005, 1006, 1007, 1009)

EVENT_TIMEOUT = 5.0  # seconds for any one thing the server should do
WS_PATH = '/registry/actors/websocketActor/ws/'
QUERY = ap.get_or_create('websocketActor', ['conf'])
MIB = 1024 * 1024

# The host most groups share; groups that need other flags start their own.
default_host = None


def setUpModule():
    global default_host
    default_host = ap.ActorHost().start()


def tearDownModule():
    default_host.stop()


def close_body(code, reason=b''):
    """A Close frame's payload: the code in network byte order, then the reason (section 5.5.1)."""
    return struct.pack('!H', code) + reason


def split_bytes(data, size):
    """`data` cut into pieces of `size` bytes (the last may be shorter); at least one piece."""
    return [data[i:i + size] for i in range(0, len(data), size)] or [b'']


Event = collections.namedtuple('Event', 'kind payload binary code clean', defaults=(b'', False, None, None))


class Probe(WebSocketClientProtocol):
    """An autobahn client that records, in order, every event the server causes.

    kinds: open, message (payload, binary), ping (payload), pong (payload), close_frame (code:
    the server's, NO_STATUS for an empty body; payload: the raw reason), closed (clean, code as
    autobahn reports it). Pings are answered, as autobahn does, unless `answer_pings` is False.
    """

    answer_pings = True

    def __init__(self):
        super().__init__()
        self.events = asyncio.Queue()

    def onOpen(self):
        self.events.put_nowait(Event('open'))

    def onMessage(self, payload, isBinary):
        self.events.put_nowait(Event('message', payload, isBinary))

    def onPing(self, payload):
        self.events.put_nowait(Event('ping', payload))
        if self.answer_pings:
            super().onPing(payload)

    def onPong(self, payload):
        self.events.put_nowait(Event('pong', payload))

    def onCloseFrame(self, code, reasonRaw):
        self.events.put_nowait(Event('close_frame', reasonRaw or b'', code=NO_STATUS if code is None else code))
        return super().onCloseFrame(code, reasonRaw)

    def onClose(self, wasClean, code, reason):
        self.events.put_nowait(Event('closed', clean=wasClean, code=code))

    async def next_event(self, timeout=EVENT_TIMEOUT):
        try:
            return await asyncio.wait_for(self.events.get(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f'no event from the server within {timeout} s') from None

    async def next_event_except(self, kinds, timeout=EVENT_TIMEOUT):
        """The next event of a kind not in `kinds`, all within `timeout`: the rest is skipped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f'no event other than {kinds} from the server within {timeout} s')
            event = await self.next_event(left)
            if event.kind not in kinds:
                return event

    def send_raw(self, data):
        """Writes bytes as they are, under autobahn's framing (hand-made frames)."""
        self.transport.write(data)

    def drop(self):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


class SilentProbe(Probe):
    """A client that never answers the server's pings."""

    answer_pings = False


def expected_echo(text):
    """What websocketActor puts in "data" for a text message: its JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class WebSocketCase(unittest.IsolatedAsyncioTestCase):
    """Connects autobahn clients to websocketActor and checks what comes back."""

    async def asyncSetUp(self):
        # The test loop runs in debug mode, which reports every callback over 0.1 s; moving
        # 16 MiB messages takes longer than that and is not a fault.
        asyncio.get_running_loop().slow_callback_duration = 5.0

    def target(self):
        """The host to connect to; classes that start their own host override it."""
        return default_host

    async def connect(self, probe_class=Probe, **options):
        """A client past the handshake and the actor's welcome message.

        `options` go to autobahn's setProtocolOptions (maskClientFrames=False, ...).
        """
        host = self.target()
        factory = WebSocketClientFactory(host.ws_url(WS_PATH), protocols=[ap.query_protocol(QUERY)])
        factory.protocol = probe_class
        factory.setProtocolOptions(openHandshakeTimeout=EVENT_TIMEOUT, closeHandshakeTimeout=EVENT_TIMEOUT,
                                   **options)
        loop = asyncio.get_running_loop()
        _, probe = await asyncio.wait_for(loop.create_connection(factory, '127.0.0.1', host.port), EVENT_TIMEOUT)
        self.addCleanup(probe.drop)
        await self.expect(probe, 'open')
        # A host that pings often may ping before the welcome; that is not what is tested here.
        event = await probe.next_event_except(('ping',))
        self.assertEqual(event.kind, 'message', f'expected the welcome, got {event}')
        self.assertEqual(json.loads(event.payload)['type'], 'welcome')
        return probe

    async def expect(self, probe, kind):
        event = await probe.next_event()
        self.assertEqual(event.kind, kind, f'expected {kind}, got {event}')
        return event

    async def expect_message(self, probe, binary, timeout=EVENT_TIMEOUT):
        event = await probe.next_event(timeout)
        self.assertEqual(event.kind, 'message', f'expected a message, got {str(event)[:300]}')
        self.assertEqual(event.binary, binary, 'message type (binary or text)')
        return event.payload

    async def expect_binary_echo(self, probe, data, timeout=EVENT_TIMEOUT):
        payload = await self.expect_message(probe, binary=True, timeout=timeout)
        self.assertEqual(len(payload), len(data))
        self.assertTrue(payload == data, 'binary echo differs from what was sent')

    async def expect_text_echo(self, probe, text, timeout=EVENT_TIMEOUT):
        """The actor's echo of `text` (a str, or the UTF-8 bytes that were sent)."""
        if isinstance(text, bytes):
            text = text.decode('utf-8')
        payload = await self.expect_message(probe, binary=False, timeout=timeout)
        answer = json.loads(payload.decode('utf-8'))
        self.assertEqual(answer['type'], 'echo')
        self.assertTrue(answer['data'] == expected_echo(text), f'text echo differs: {payload[:200]!r}')

    async def expect_close(self, probe, code, may_precede=(), timeout=EVENT_TIMEOUT):
        """The server's Close carries `code` and the connection then ends.

        Only events of the kinds in `may_precede` may come before the Close (none by default:
        nothing the server delivered or answered after a failing frame).
        """
        event = await probe.next_event_except(may_precede, timeout)
        self.assertEqual(event.kind, 'close_frame', f'expected the server to close with {code}, got {str(event)[:300]}')
        self.assertEqual(event.code, code, f'server close code (reason {event.payload!r})')
        closed = await self.expect(probe, 'closed')
        return event, closed

    async def close_normally(self, probe):
        """Our Close 1000; the server must answer it with 1000 and end the connection cleanly."""
        probe.sendClose(code=NORMAL)
        frame, closed = await self.expect_close(probe, NORMAL)
        self.assertTrue(closed.clean)


class Group1Framing(WebSocketCase):
    """Autobahn 1.x: text and binary messages of the sizes around each length encoding."""

    SIZES = (0, 125, 126, 127, 65535, 65536)

    async def test_text_payloads_are_echoed(self):
        probe = await self.connect()
        for size in self.SIZES:
            with self.subTest(size=size):
                data = b'*' * size
                probe.sendMessage(data, isBinary=False)
                await self.expect_text_echo(probe, data)
        await self.close_normally(probe)

    async def test_binary_payloads_are_echoed(self):
        probe = await self.connect()
        for size in self.SIZES:
            with self.subTest(size=size):
                data = bytes((i * 7 + 3) % 256 for i in range(size))
                probe.sendMessage(data, isBinary=True)
                await self.expect_binary_echo(probe, data)
        await self.close_normally(probe)

    async def test_text_that_is_json_comes_back_as_json(self):
        probe = await self.connect()
        text = '{"k":[1,2.5,"x"],"n":null}'
        probe.sendMessage(text.encode(), isBinary=False)
        payload = await self.expect_message(probe, binary=False)
        self.assertEqual(json.loads(payload), {'type': 'echo', 'data': json.loads(text)})
        await self.close_normally(probe)

    async def test_frames_written_in_chops_are_reassembled(self):
        # 1.1.7/1.2.7: 64 KiB in chops of 997 bytes; a short frame byte by byte.
        probe = await self.connect()
        data = b'*' * 65536
        probe.sendFrame(TEXT, data, chopsize=997)
        await self.expect_text_echo(probe, data)
        binary = bytes(range(256)) * 256
        probe.sendFrame(BINARY, binary, chopsize=997)
        await self.expect_binary_echo(probe, binary)
        probe.sendFrame(TEXT, b'Hello, world!', chopsize=1)
        await self.expect_text_echo(probe, b'Hello, world!')
        await self.close_normally(probe)

    async def test_many_frames_in_one_write_are_each_answered(self):
        probe = await self.connect()
        messages = [f'message {i}'.encode() for i in range(20)]
        for m in messages:
            probe.sendFrame(TEXT, m, sync=False)
        for m in messages:
            await self.expect_text_echo(probe, m)
        await self.close_normally(probe)

    async def test_unmasked_client_frame_is_a_protocol_error(self):
        # Section 5.1: a server must fail the connection on an unmasked frame.
        probe = await self.connect(maskClientFrames=False)
        probe.sendFrame(TEXT, b'not masked')
        await self.expect_close(probe, PROTOCOL_ERROR)


class Group2PingPong(WebSocketCase):
    """Autobahn 2.x: pings are answered with their payload; pongs need no answer."""

    async def test_ping_without_payload_gets_empty_pong(self):
        probe = await self.connect()
        probe.sendFrame(PING)
        self.assertEqual((await self.expect(probe, 'pong')).payload, b'')
        await self.close_normally(probe)

    async def test_ping_payload_comes_back_in_the_pong(self):
        probe = await self.connect()
        for payload in (b'Hello, world!', b'\x00\xff\xfe\xfd\xfc\xfb\x00\xff', b'\xfe' * 125):
            with self.subTest(payload=payload[:16]):
                probe.sendFrame(PING, payload)
                self.assertEqual((await self.expect(probe, 'pong')).payload, payload)
        await self.close_normally(probe)

    async def test_ping_with_126_bytes_is_a_protocol_error(self):
        # Section 5.5: control frames carry at most 125 bytes.
        probe = await self.connect()
        probe.sendFrame(PING, b'\xfe' * 126)
        await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_ping_written_byte_by_byte_is_answered(self):
        probe = await self.connect()
        payload = b'\xfe' * 125
        probe.sendFrame(PING, payload, chopsize=1)
        self.assertEqual((await self.expect(probe, 'pong')).payload, payload)
        await self.close_normally(probe)

    async def test_unsolicited_pongs_are_ignored(self):
        probe = await self.connect()
        probe.sendFrame(PONG)
        probe.sendFrame(PONG, b'unsolicited pong payload')
        probe.sendFrame(TEXT, b'after the pongs')
        # Nothing answers the pongs: the next event is the echo.
        await self.expect_text_echo(probe, b'after the pongs')
        await self.close_normally(probe)

    async def test_unsolicited_pong_then_ping_gets_the_pings_payload(self):
        probe = await self.connect()
        probe.sendFrame(PONG, b'unsolicited pong payload')
        probe.sendFrame(PING, b'ping payload')
        self.assertEqual((await self.expect(probe, 'pong')).payload, b'ping payload')
        await self.close_normally(probe)

    async def test_ten_pings_get_ten_pongs_in_order(self):
        probe = await self.connect()
        for chop in (None, 1):
            with self.subTest(chopsize=chop):
                payloads = [f'payload-{i}'.encode() for i in range(10)]
                for p in payloads:
                    probe.sendFrame(PING, p, chopsize=chop)
                for p in payloads:
                    self.assertEqual((await self.expect(probe, 'pong')).payload, p)
        await self.close_normally(probe)

    async def test_fragmented_ping_is_a_protocol_error(self):
        # Section 5.5: control frames must not be fragmented.
        probe = await self.connect()
        probe.sendFrame(PING, b'fragment', fin=False)
        probe.sendFrame(CONTINUATION, b'ed', fin=True)
        await self.expect_close(probe, PROTOCOL_ERROR)


class Group3ReservedBits(WebSocketCase):
    """Autobahn 3.x: no extension is negotiated, so any RSV bit fails the connection."""

    async def test_rsv_bits_on_text_are_a_protocol_error(self):
        for rsv in range(1, 8):
            with self.subTest(rsv=rsv):
                probe = await self.connect()
                probe.sendFrame(TEXT, b'Hello, world!', rsv=rsv)
                await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_rsv_on_binary_ping_and_close_is_a_protocol_error(self):
        for opcode, payload, rsv in ((BINARY, b'\x00\xff' * 4, 5), (PING, b'Hello, world!', 6),
                                     (CLOSE, close_body(NORMAL), 7)):
            with self.subTest(opcode=opcode):
                probe = await self.connect()
                probe.sendFrame(opcode, payload, rsv=rsv)
                await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_valid_message_is_echoed_then_rsv_frame_fails_and_later_ping_is_not_answered(self):
        # 3.2: a valid message first, then the bad frame, then a ping that must not be answered.
        probe = await self.connect()
        probe.sendFrame(TEXT, b'Hello, world!')
        await self.expect_text_echo(probe, b'Hello, world!')
        probe.sendFrame(TEXT, b'Hello, world!', rsv=2)
        probe.sendFrame(PING)
        await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_all_in_one_write_or_frame_by_frame(self):
        # 3.3/3.4: the same three frames in one write, and frame by frame. The valid message
        # may be echoed or not (the failure may overtake it); the ping is never answered.
        for sync in (False, True):
            with self.subTest(frame_by_frame=sync):
                probe = await self.connect()
                probe.sendFrame(TEXT, b'Hello, world!', sync=sync)
                probe.sendFrame(TEXT, b'Hello, world!', rsv=3, sync=sync)
                probe.sendFrame(PING, sync=sync)
                await self.expect_close(probe, PROTOCOL_ERROR, may_precede=('message',))


class Group4Opcodes(WebSocketCase):
    """Autobahn 4.x: reserved opcodes fail the connection."""

    async def test_reserved_non_control_opcodes(self):
        for opcode in range(3, 8):
            for payload in (b'', b'reserved opcode payload'):
                with self.subTest(opcode=opcode, payload=payload):
                    probe = await self.connect()
                    probe.sendFrame(opcode, payload)
                    await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_reserved_control_opcodes(self):
        for opcode in range(11, 16):
            for payload in (b'', b'reserved opcode payload'):
                with self.subTest(opcode=opcode, payload=payload):
                    probe = await self.connect()
                    probe.sendFrame(opcode, payload)
                    await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_valid_message_then_reserved_opcode_then_ping(self):
        # 4.1.3-4.1.5 and 4.2.3-4.2.5: the echo comes, the ping after the bad frame does not.
        for opcode, chop in ((5, None), (7, 1), (13, None), (15, 1)):
            with self.subTest(opcode=opcode, chopsize=chop):
                probe = await self.connect()
                probe.sendFrame(TEXT, b'Hello, world!', chopsize=chop)
                await self.expect_text_echo(probe, b'Hello, world!')
                probe.sendFrame(opcode, b'payload', chopsize=chop)
                probe.sendFrame(PING, chopsize=chop)
                await self.expect_close(probe, PROTOCOL_ERROR)


class Group5Fragmentation(WebSocketCase):
    """Autobahn 5.x: fragments are joined; control frames may come between them (section 5.4)."""

    async def test_fragmented_text_is_echoed_as_one_message(self):
        probe = await self.connect()
        for chop in (None, 1):
            with self.subTest(chopsize=chop):
                probe.sendFrame(TEXT, b'fragment1', fin=False, chopsize=chop)
                probe.sendFrame(CONTINUATION, b'fragment2', fin=True, chopsize=chop)
                await self.expect_text_echo(probe, b'fragment1fragment2')
        await self.close_normally(probe)

    async def test_fragmented_binary_is_echoed_as_one_message(self):
        probe = await self.connect()
        parts = [bytes([i]) * (1000 + i) for i in range(5)]
        probe.sendFrame(BINARY, parts[0], fin=False)
        for p in parts[1:-1]:
            probe.sendFrame(CONTINUATION, p, fin=False)
        probe.sendFrame(CONTINUATION, parts[-1], fin=True)
        await self.expect_binary_echo(probe, b''.join(parts))
        await self.close_normally(probe)

    async def test_empty_fragments(self):
        # 6.1.2/6.1.3: empty fragments, with and without text around them.
        probe = await self.connect()
        probe.sendFrame(TEXT, b'', fin=False)
        probe.sendFrame(CONTINUATION, b'', fin=False)
        probe.sendFrame(CONTINUATION, b'', fin=True)
        await self.expect_text_echo(probe, b'')
        probe.sendFrame(TEXT, b'', fin=False)
        probe.sendFrame(CONTINUATION, b'middle frame payload', fin=False)
        probe.sendFrame(CONTINUATION, b'', fin=True)
        await self.expect_text_echo(probe, b'middle frame payload')
        await self.close_normally(probe)

    async def test_ping_between_fragments_is_answered_and_message_still_echoed(self):
        probe = await self.connect()
        for chop in (None, 1):
            with self.subTest(chopsize=chop):
                probe.sendFrame(TEXT, b'fragment1', fin=False, chopsize=chop)
                probe.sendFrame(PING, b'ping payload', chopsize=chop)
                probe.sendFrame(CONTINUATION, b'fragment2', fin=True, chopsize=chop)
                # The pong goes out as soon as the ping is read, before the message is whole.
                self.assertEqual((await self.expect(probe, 'pong')).payload, b'ping payload')
                await self.expect_text_echo(probe, b'fragment1fragment2')
        await self.close_normally(probe)

    async def test_pong_between_fragments_is_ignored(self):
        probe = await self.connect()
        probe.sendFrame(TEXT, b'fragment1', fin=False)
        probe.sendFrame(PONG, b'pong payload')
        probe.sendFrame(CONTINUATION, b'fragment2', fin=True)
        await self.expect_text_echo(probe, b'fragment1fragment2')
        await self.close_normally(probe)

    async def test_message_built_over_time_with_pings_between(self):
        # 5.19/5.20: each ping's pong is awaited before the next fragment is written, so the
        # server holds a half message across several reads.
        probe = await self.connect()
        fragments = [f'fragment{i}'.encode() for i in range(1, 6)]
        for i, fragment in enumerate(fragments):
            last = i == len(fragments) - 1
            probe.sendFrame(TEXT if i == 0 else CONTINUATION, fragment, fin=last)
            if not last:
                probe.sendFrame(PING, f'pongme {i}'.encode())
                self.assertEqual((await self.expect(probe, 'pong')).payload, f'pongme {i}'.encode())
        await self.expect_text_echo(probe, b''.join(fragments))
        await self.close_normally(probe)

    async def test_continuation_without_a_message_is_a_protocol_error(self):
        # 5.9-5.14: a continuation frame, final or not, with nothing to continue.
        for fin in (True, False):
            for chop in (None, 1):
                with self.subTest(fin=fin, chopsize=chop):
                    probe = await self.connect()
                    probe.sendFrame(CONTINUATION, b'non-continuation payload', fin=fin, chopsize=chop)
                    probe.sendFrame(TEXT, b'Hello, world!', chopsize=chop)
                    await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_continuation_after_a_finished_message_is_a_protocol_error(self):
        # 5.15: the first message completes (and is echoed); the stray continuation fails.
        probe = await self.connect()
        probe.sendFrame(TEXT, b'fragment1', fin=False)
        probe.sendFrame(CONTINUATION, b'fragment2', fin=True)
        await self.expect_text_echo(probe, b'fragment1fragment2')
        probe.sendFrame(CONTINUATION, b'fragment3', fin=False)
        probe.sendFrame(TEXT, b'fragment4', fin=True)
        await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_new_data_frame_inside_a_fragmented_message_is_a_protocol_error(self):
        # 5.18: a text (or binary) frame where a continuation must come.
        for opcode in (TEXT, BINARY):
            with self.subTest(opcode=opcode):
                probe = await self.connect()
                probe.sendFrame(TEXT, b'fragment1', fin=False)
                probe.sendFrame(opcode, b'fragment2', fin=True)
                await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_fragmented_close_is_a_protocol_error(self):
        probe = await self.connect()
        probe.sendFrame(CLOSE, close_body(NORMAL), fin=False)
        probe.sendFrame(CONTINUATION, b'bye', fin=True)
        await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_fragmented_pong_is_a_protocol_error(self):
        probe = await self.connect()
        probe.sendFrame(PONG, b'fragment1', fin=False)
        probe.sendFrame(CONTINUATION, b'fragment2', fin=True)
        await self.expect_close(probe, PROTOCOL_ERROR)


# Autobahn 6.x vectors. Valid ones include the boundaries of each sequence length and the
# noncharacters, which are valid UTF-8.
VALID_UTF8 = [
    'Hello-µ@ßöäüàá-UTF-8!!',
    'κόσμε',
    '\x00', '\x7f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\ufeff', '\ufffd', '\ufffe', '\uffff',
    '\U00010000', '\U0001f600', '\U0010ffff',
]
INVALID_UTF8 = [
    ('surrogate inside text', b'\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited'),
    ('truncated at the end', b'\xce'),
    ('truncated 4-byte sequence', b'\xf0\x90\x80'),
    ('5-byte sequence', b'\xf8\x88\x80\x80\x80'),
    ('6-byte sequence', b'\xfc\x84\x80\x80\x80\x80'),
    ('above U+10FFFF', b'\xf4\x90\x80\x80'),
    ('lone continuation 0x80', b'\x80'),
    ('lone continuation 0xbf', b'\xbf'),
    ('lonely start byte', b'\xc0 '),
    ('0xfe', b'\xfe'),
    ('0xff', b'\xff'),
    ('0xfe 0xfe 0xff 0xff', b'\xfe\xfe\xff\xff'),
    ('overlong / (2 bytes)', b'\xc0\xaf'),
    ('overlong / (3 bytes)', b'\xe0\x80\xaf'),
    ('overlong / (4 bytes)', b'\xf0\x80\x80\xaf'),
    ('maximum overlong (2 bytes)', b'\xc1\xbf'),
    ('maximum overlong (3 bytes)', b'\xe0\x9f\xbf'),
    ('maximum overlong (4 bytes)', b'\xf0\x8f\xbf\xbf'),
    ('overlong NUL', b'\xc0\x80'),
    ('high surrogate D800', b'\xed\xa0\x80'),
    ('high surrogate DB7F', b'\xed\xad\xbf'),
    ('low surrogate DC00', b'\xed\xb0\x80'),
    ('low surrogate DFFF', b'\xed\xbf\xbf'),
    ('surrogate pair', b'\xed\xa0\x80\xed\xb0\x80'),
]


class Group6Utf8(WebSocketCase):
    """Autobahn 6.x: text must be UTF-8 (section 8.1); anything else closes with 1007."""

    async def test_valid_text_is_echoed(self):
        probe = await self.connect()
        for text in VALID_UTF8:
            with self.subTest(text=ascii(text)):
                probe.sendFrame(TEXT, text.encode('utf-8'))
                await self.expect_text_echo(probe, text)
        await self.close_normally(probe)

    async def test_valid_text_split_at_every_byte(self):
        # 6.2.3/6.2.4: one frame written byte by byte, and one fragment per byte, so that
        # fragments end in the middle of code points.
        probe = await self.connect()
        data = 'Hello-µ@ßöäüàá-UTF-8!! κόσμε \U0001f600'.encode('utf-8')
        probe.sendFrame(TEXT, data, chopsize=1)
        await self.expect_text_echo(probe, data)
        pieces = split_bytes(data, 1)
        for i, piece in enumerate(pieces):
            probe.sendFrame(TEXT if i == 0 else CONTINUATION, piece, fin=i == len(pieces) - 1)
        await self.expect_text_echo(probe, data)
        await self.close_normally(probe)

    async def test_fragment_ending_mid_code_point_then_completed(self):
        probe = await self.connect()
        data = 'κόσμε'.encode('utf-8')
        probe.sendFrame(TEXT, data[:1], fin=False)  # 0xce: a lead byte waiting for its tail
        probe.sendFrame(CONTINUATION, data[1:], fin=True)
        await self.expect_text_echo(probe, data)
        await self.close_normally(probe)

    async def test_invalid_text_in_one_frame(self):
        for name, data in INVALID_UTF8:
            with self.subTest(name):
                probe = await self.connect()
                probe.sendFrame(TEXT, data)
                await self.expect_close(probe, INVALID_PAYLOAD)

    async def test_invalid_sequence_split_across_fragments(self):
        # The lead byte ends one fragment, the bytes that make it a surrogate (or an overlong,
        # or a code point above U+10FFFF) begin the next.
        for name, first, second in (('surrogate', b'ab\xed', b'\xa0\x80cd'), ('overlong', b'\xe0', b'\x80\xaf'),
                                    ('above U+10FFFF', b'x\xf4\x90', b'\x80\x80')):
            with self.subTest(name):
                probe = await self.connect()
                probe.sendFrame(TEXT, first, fin=False)
                probe.sendFrame(CONTINUATION, second, fin=True)
                await self.expect_close(probe, INVALID_PAYLOAD)

    async def test_invalid_fragment_fails_before_the_message_ends(self):
        # 6.4.x (fail fast): the message is never finished, yet the server closes at once.
        for chop in (None, 1):
            with self.subTest(chopsize=chop):
                probe = await self.connect()
                probe.sendFrame(TEXT, 'κόσμε'.encode('utf-8'), fin=False, chopsize=chop)
                probe.sendFrame(CONTINUATION, b'\xf4\x90\x80\x80', fin=False, chopsize=chop)
                await self.expect_close(probe, INVALID_PAYLOAD)

    async def test_invalid_bytes_in_the_middle_of_an_unfinished_frame(self):
        # Fail fast inside one frame: its header announces more payload than is written, and
        # the bytes written already cannot be UTF-8.
        probe = await self.connect()
        valid = 'κόσμε'.encode('utf-8')
        payload = valid + b'\xed\xa0\x80'
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        probe.send_raw(bytes([0x80 | TEXT, 0x80 | 100]) + mask + masked)  # 100 announced, 13 sent
        await self.expect_close(probe, INVALID_PAYLOAD)

    async def test_message_ending_inside_a_code_point(self):
        for name, pieces in (('one frame', [b'\xce\xba\xe1']), ('fragments', [b'\xce\xba', b'\xe1\xbd'])):
            with self.subTest(name):
                probe = await self.connect()
                for i, piece in enumerate(pieces):
                    probe.sendFrame(TEXT if i == 0 else CONTINUATION, piece, fin=i == len(pieces) - 1)
                await self.expect_close(probe, INVALID_PAYLOAD)


class Group7Close(WebSocketCase):
    """Autobahn 7.x: the close handshake, close codes and reasons (sections 5.5.1, 7.4)."""

    async def test_close_1000_is_answered_with_1000(self):
        probe = await self.connect()
        probe.sendFrame(TEXT, b'Hello World!')
        await self.expect_text_echo(probe, b'Hello World!')
        probe.sendClose(code=NORMAL, reason='bye')
        frame, closed = await self.expect_close(probe, NORMAL)
        self.assertTrue(closed.clean)

    async def test_close_without_body_gets_empty_close(self):
        probe = await self.connect()
        probe.sendFrame(CLOSE)
        frame, _ = await self.expect_close(probe, NO_STATUS)
        self.assertEqual(frame.payload, b'')

    async def test_close_with_one_byte_body_is_a_protocol_error(self):
        probe = await self.connect()
        probe.sendFrame(CLOSE, b'\x03')
        await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_invalid_close_codes_are_a_protocol_error(self):
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
            with self.subTest(code=code):
                probe = await self.connect()
                probe.sendFrame(CLOSE, close_body(code))
                await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_valid_close_codes_are_echoed(self):
        for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000,
                     4999):
            with self.subTest(code=code):
                probe = await self.connect()
                probe.sendFrame(CLOSE, close_body(code, b'reason'))
                await self.expect_close(probe, code)

    async def test_close_reason_of_123_bytes_is_accepted_124_is_not(self):
        probe = await self.connect()
        probe.sendFrame(CLOSE, close_body(NORMAL, b'*' * 123))
        await self.expect_close(probe, NORMAL)
        # 2 + 124 bytes: over the 125-byte limit of a control frame.
        probe = await self.connect()
        probe.sendFrame(CLOSE, close_body(NORMAL, b'*' * 124))
        await self.expect_close(probe, PROTOCOL_ERROR)

    async def test_close_reason_in_utf8_is_accepted(self):
        probe = await self.connect()
        probe.sendFrame(CLOSE, close_body(NORMAL, 'κόσμε \U0001f600'.encode('utf-8')))
        await self.expect_close(probe, NORMAL)

    async def test_close_reason_that_is_not_utf8(self):
        for name, reason in (('surrogate', b'\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited'),
                             ('ends inside a code point', b'abc\xce'), ('0xff', b'\xff')):
            with self.subTest(name):
                probe = await self.connect()
                probe.sendFrame(CLOSE, close_body(NORMAL, reason))
                await self.expect_close(probe, INVALID_PAYLOAD)

    async def test_data_after_close_is_ignored(self):
        # 7.1.2-7.1.4: a second Close, a ping and a message after our Close get no answer.
        for extra in ((CLOSE, close_body(NORMAL)), (PING, b'after close'), (TEXT, b'after close')):
            with self.subTest(opcode=extra[0]):
                probe = await self.connect()
                probe.sendFrame(CLOSE, close_body(NORMAL))
                probe.sendFrame(*extra)
                await self.expect_close(probe, NORMAL)

    async def test_close_between_fragments_ends_the_message(self):
        # 7.1.5: the message is never finished, so nothing is echoed.
        probe = await self.connect()
        probe.sendFrame(TEXT, b'fragment1', fin=False)
        probe.sendFrame(CLOSE, close_body(NORMAL))
        probe.sendFrame(CONTINUATION, b'fragment2', fin=True)
        await self.expect_close(probe, NORMAL)

    async def test_close_right_after_a_large_message(self):
        # 7.1.6: a 256 KiB message, our Close and a ping in one go; the Close is answered.
        probe = await self.connect()
        probe.sendFrame(TEXT, b'BAsd7&jh23' * 26214)
        probe.sendFrame(CLOSE, close_body(NORMAL))
        probe.sendFrame(PING)
        await self.expect_close(probe, NORMAL, may_precede=('message',))


class Group9Limits(WebSocketCase):
    """Autobahn 9.x: large messages, and --ws-max-message (1009 beyond it, section 10.4)."""

    LIMIT = 65536

    @classmethod
    def setUpClass(cls):
        cls.limited = ap.ActorHost(['--ws-max-message', str(cls.LIMIT)]).start()

    @classmethod
    def tearDownClass(cls):
        cls.limited.stop()

    def target(self):
        return self.limited

    async def test_message_at_the_limit_is_echoed(self):
        probe = await self.connect()
        probe.sendFrame(TEXT, b'*' * self.LIMIT)
        await self.expect_text_echo(probe, b'*' * self.LIMIT)
        data = os.urandom(self.LIMIT)
        probe.sendFrame(BINARY, data[:1000], fin=False)
        probe.sendFrame(CONTINUATION, data[1000:], fin=True)
        await self.expect_binary_echo(probe, data)
        await self.close_normally(probe)

    async def test_message_over_the_limit_in_one_frame(self):
        for opcode in (TEXT, BINARY):
            with self.subTest(opcode=opcode):
                probe = await self.connect()
                probe.sendFrame(opcode, b'*' * (self.LIMIT + 1))
                await self.expect_close(probe, MESSAGE_TOO_BIG)

    async def test_message_over_the_limit_in_fragments(self):
        # Each fragment is small; together they pass the limit by one byte.
        probe = await self.connect()
        half = self.LIMIT // 2
        probe.sendFrame(BINARY, b'*' * half, fin=False)
        probe.sendFrame(CONTINUATION, b'*' * half, fin=False)
        probe.sendFrame(CONTINUATION, b'*', fin=True)
        await self.expect_close(probe, MESSAGE_TOO_BIG)

    async def test_oversized_frame_header_is_refused_before_its_payload(self):
        # A header announcing 1 GiB, and no payload: the close comes from the header alone.
        probe = await self.connect()
        probe.send_raw(bytes([0x80 | BINARY, 0x80 | 127]) + struct.pack('!Q', 1 << 30) + os.urandom(4))
        await self.expect_close(probe, MESSAGE_TOO_BIG)


class Group9LargeMessages(WebSocketCase):
    """Autobahn 9.1-9.4 on the default host: messages up to its 16 MiB cap come back intact."""

    LARGE_TIMEOUT = 30.0

    async def test_large_text_messages(self):
        probe = await self.connect()
        for size in (MIB, 4 * MIB, 16 * MIB):
            with self.subTest(size=size):
                data = b'BAsd7&jh23' * (size // 10) + b'*' * (size % 10)
                probe.sendFrame(TEXT, data)
                await self.expect_text_echo(probe, data, timeout=self.LARGE_TIMEOUT)
        await self.close_normally(probe)

    async def test_large_binary_messages(self):
        probe = await self.connect()
        for size in (MIB, 4 * MIB, 16 * MIB):
            with self.subTest(size=size):
                data = os.urandom(size)
                probe.sendFrame(BINARY, data)
                await self.expect_binary_echo(probe, data, timeout=self.LARGE_TIMEOUT)
        await self.close_normally(probe)

    async def test_16_mib_in_fragments_of_1_mib(self):
        probe = await self.connect()
        data = os.urandom(16 * MIB)
        pieces = split_bytes(data, MIB)
        for i, piece in enumerate(pieces):
            probe.sendFrame(BINARY if i == 0 else CONTINUATION, piece, fin=i == len(pieces) - 1)
        await self.expect_binary_echo(probe, data, timeout=self.LARGE_TIMEOUT)
        await self.close_normally(probe)

    async def test_one_byte_over_16_mib_is_too_big(self):
        probe = await self.connect()
        probe.sendFrame(BINARY, b'\x00' * (16 * MIB + 1))
        await self.expect_close(probe, MESSAGE_TOO_BIG, timeout=self.LARGE_TIMEOUT)


class ServerPings(WebSocketCase):
    """The server's keep-alive: it pings a silent client and drops one that never answers."""

    PING_INTERVAL_MS = 200

    @classmethod
    def setUpClass(cls):
        cls.pinging = ap.ActorHost(['--ws-ping-interval', str(cls.PING_INTERVAL_MS)]).start()

    @classmethod
    def tearDownClass(cls):
        cls.pinging.stop()

    def target(self):
        return self.pinging

    async def test_silent_client_is_pinged_and_stays_when_it_answers(self):
        probe = await self.connect()
        # Two pings in a row: the first was answered (by autobahn), so the socket stayed open.
        for _ in range(2):
            event = await self.expect(probe, 'ping')
            self.assertEqual(event.payload, b'')
        probe.sendFrame(TEXT, b'still here')
        # A ping may cross our message; the echo must come.
        event = await probe.next_event_except(('ping',))
        self.assertEqual(event.kind, 'message')
        self.assertEqual(json.loads(event.payload)['data'], 'still here')
        await self.close_normally_tolerating_pings(probe)

    async def close_normally_tolerating_pings(self, probe):
        probe.sendClose(code=NORMAL)
        frame, closed = await self.expect_close(probe, NORMAL, may_precede=('ping',))
        self.assertTrue(closed.clean)

    async def test_client_that_never_answers_is_told_then_dropped(self):
        probe = await self.connect(SilentProbe)
        await self.expect(probe, 'ping')
        # Unanswered for another interval: the server says why with a Close (going away) before
        # it drops the connection, and the connection ends.
        event = await probe.next_event_except(('ping',))
        self.assertEqual(event.kind, 'close_frame', f'expected a Close from the server, got {event}')
        self.assertEqual(event.code, GOING_AWAY)
        event = await probe.next_event_except(('ping',))
        self.assertEqual(event.kind, 'closed', f'expected the connection to end, got {event}')


class PeerThatNeverReads(unittest.TestCase):
    """Send backpressure (SPEC section 6): a client that writes and never reads must be held back
    through TCP, whatever it writes, instead of growing the server's memory with answers nobody
    reads. The client here is a raw socket with a small receive buffer; "held back" is seen as a
    write that makes no progress for STALL seconds, and a server that took FLOOD bytes without
    that has buffered tens of MiB of answers."""

    STALL = 2.0
    FLOOD = 64 * MIB

    def flood(self, frame):
        """Writes `frame` over and over; returns the bytes written before the server stopped reading."""
        raw = ap.RawConnection(default_host, receive_buffer=4096)
        self.addCleanup(raw.close)
        status, _ = raw.upgrade(WS_PATH, [ap.query_protocol(QUERY)])
        self.assertEqual(status, 101)
        opcode, welcome = raw.read_frame()
        self.assertEqual((opcode, json.loads(welcome)['type']), (TEXT, 'welcome'))
        burst = frame * (MIB // len(frame))
        raw.sock.settimeout(self.STALL)
        written = 0
        try:
            while written < self.FLOOD:
                raw.send(burst)
                written += len(burst)
        except socket.timeout:
            # Held back, or hung? A host that stopped reading because it hangs would pass the
            # stall too: it must still answer everyone else, at once.
            self.assert_serving_others()
            return written
        self.fail(f'the server read {written >> 20} MiB from a client that reads nothing back, without '
                  'ever stopping: what it answers is piling up in its memory')

    def assert_serving_others(self):
        status, body = ap.actor_get(default_host, 'httpActor', ap.get_or_create('httpActor', ap.fresh_key('bystander')),
                                    '/api/hello', timeout=5.0)
        self.assertEqual((status, json.loads(body)), (200, {'message': 'Hello from actor!'}))
        other = ap.RawConnection(default_host)
        self.addCleanup(other.close)
        status, _ = other.upgrade(WS_PATH, [ap.query_protocol(ap.get_or_create('websocketActor', ap.fresh_key('other')))])
        self.assertEqual(status, 101)
        self.assertEqual(json.loads(other.read_frame()[1])['type'], 'welcome')

    def test_messages_are_held_back(self):
        # Each message is echoed; once the echoes wait unread, the actor stops taking messages.
        self.flood(ap.RawConnection.frame(BINARY, b'*' * 125))

    def test_pings_are_held_back(self):
        # Each ping is answered by the connection itself, with no handler in between.
        self.flood(ap.RawConnection.frame(PING, b'*' * 125))


if __name__ == '__main__':
    unittest.main(verbosity=2)
