// The reference for bench/ws_bench.sh: a plain Node `ws` echo server (no compression), the
// way a Node user would write one. Usage: node ws_echo.mjs PORT
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.on('listening', () => console.log(`listening on ws://127.0.0.1:${port}`));
