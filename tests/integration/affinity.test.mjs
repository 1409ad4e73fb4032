// Connection affinity (docs/architecture.md, "Threads"): a keep-alive connection whose requests
// keep going to actors on another worker moves there between requests, with the bytes it has
// already read (pipelined requests) carried along. Forced here with two workers and actors
// chosen by their home worker (the id's last bit), and observed in the host's debug log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { actorId, freshKey, getOrCreate, jsonHeader, RawConnection, startHost, withTimeout } from './lib/host.mjs';

let host;
before(async () => { host = await startHost({ threads: 2, logLevel: 'debug' }); });
after(async () => { await host?.stop(); });

/** A fresh httpActor key whose instance lives on worker `home` of 2. */
function keyOnWorker(home) {
  for (;;) {
    const key = freshKey(`affinity-${home}`);
    if (Number.parseInt(actorId('httpActor', key).slice(-1), 16) % 2 === home) return key;
  }
}

const statsRequest = (key) => [
  'GET /registry/actors/httpActor/raw/http/api/stats HTTP/1.1', 'Host: x',
  `X-RivetKit-Actor-Query: ${jsonHeader(getOrCreate('httpActor', key))}`, '', ''].join('\r\n');

test('a connection moves to the worker its requests go to, pipelined bytes and all', async () => {
  const moves = () => host.stderr().match(/connection moves from worker \d to worker \d with \d+ byte\(s\) already read/g) ?? [];
  const conn = await RawConnection.open(host.port);
  try {
    // Whichever worker took the connection, the requests of one of the two actors are away
    // from it: ten to each, the last three of each written at once.
    for (const key of [keyOnWorker(0), keyOnWorker(1)]) {
      let count = 0;
      const expect = async () => {
        const res = await conn.readResponse();
        assert.equal(res.status, 200);
        count += 1;
        // Every request counts in the actor's state: the count says which actor answered.
        assert.equal(JSON.parse(res.body.toString()).requestCount, count);
      };
      for (let i = 0; i < 7; i += 1) {
        await conn.write(statsRequest(key));
        await expect();
      }
      await conn.write(statsRequest(key).repeat(3));
      for (let i = 0; i < 3; i += 1) await expect();
    }
  } finally {
    conn.destroy();
  }
  // The move came after the eighth request of a batch of three: two were read already. (The
  // log is a pipe of its own, so its line may come after the answers: it is waited for.)
  const carried = () => moves().some((line) => !/with 0 byte/.test(line));
  await withTimeout((async () => {
    while (!carried()) await new Promise((r) => { setTimeout(r, 20); });
  })(), 5000, () => `a move that carried bytes; moves: ${moves().join('\n')}; stderr:\n${host.stderr().slice(-3000)}`);
});
