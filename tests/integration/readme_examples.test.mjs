// The README's examples, run as written: every ```sh block that calls curl on 127.0.0.1:8080,
// and the ```js WebSocket snippet, in the order the README gives them, against one host on an
// ephemeral port (the only change made to a command is the port). Each command's output must
// match the `# ...` comment line that follows it (the snippet's: its `// ...` comments, in
// order), where `<actor id>` stands for any 16-hex-digit id and `...` for any text.
//
// The examples share state as a reader's session would: the getStats example counts the
// WebSocket the snippet opened and the ping it sent, so the snippet's socket stays open until
// the end.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { startHost, withTimeout } from './lib/host.mjs';
import { WebSocket } from './lib/ws_client.mjs';

const README = new URL('../../README.md', import.meta.url);
const DEFAULT_ORIGIN = '127.0.0.1:8080';

/** A comment showing output, as a regular expression over the whole output. */
function expectation(text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = escaped
    .replaceAll('<actor id>', '[0-9a-f]{16}')
    .replaceAll('\\.\\.\\.', '.+');
  return new RegExp(`^${pattern}\\n?$`);
}

/**
 * The README's runnable examples, in order: {kind: 'curl', command, setup: [assignments],
 * expected: text | null, line} and {kind: 'js', code, expected: [texts], line}.
 */
function readmeExamples() {
  const text = readFileSync(README, 'utf8');
  const examples = [];
  const assignments = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    const [, lang, body] = m;
    const firstLine = text.slice(0, m.index).split('\n').length + 1;
    if (!body.includes(DEFAULT_ORIGIN)) continue;
    if (lang === 'sh') {
      // Logical lines: a line ending in a backslash continues on the next.
      const lines = [];
      body.split('\n').forEach((line, i) => {
        const prev = lines.at(-1);
        if (prev && prev.text.endsWith('\\')) prev.text = `${prev.text.slice(0, -1)} ${line.trim()}`;
        else lines.push({ text: line, line: firstLine + i });
      });
      let last = null;
      for (const { text: l, line } of lines) {
        const t = l.trim();
        if (t === '') continue;
        if (t.startsWith('#')) {
          if (last && last.expected === null) last.expected = t.replace(/^#\s?/, '');
          continue;
        }
        last = null;
        if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) assignments.push(t);
        else if (/^curl\s/.test(t)) {
          last = { kind: 'curl', command: t, setup: [...assignments], expected: null, line };
          examples.push(last);
        }
      }
    } else if (lang === 'js' && body.includes('new WebSocket(')) {
      const expected = [...body.matchAll(/\/\/\s*(\{.*)$/gm)].map((c) => c[1].trim());
      examples.push({ kind: 'js', code: body, expected, line: firstLine });
    }
  }
  return examples;
}

const examples = readmeExamples();
const curlMissing = spawnSync('curl', ['--version']).error ? 'curl is not installed' : false;

/** Runs `script` in bash: {code, stdout, stderr}. */
async function bash(script, timeoutMs = 15_000) {
  const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  try {
    const [code] = await withTimeout(new Promise((resolve) => child.once('close', (...a) => resolve(a))), timeoutMs, `bash -c ${script}`);
    return { code, stdout, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('README examples', () => {
  let host;
  let snippetSocket = null;
  before(async () => { host = await startHost(); });
  after(async () => {
    snippetSocket?.terminate();
    await host?.stop();
  });
  const here = (s) => s.replaceAll(DEFAULT_ORIGIN, `127.0.0.1:${host.port}`);

  test('the README has curl examples, each followed by the output it shows', () => {
    const curls = examples.filter((e) => e.kind === 'curl');
    assert.ok(curls.length > 0, 'curl examples found');
    for (const e of curls) assert.notEqual(e.expected, null, `README line ${e.line}: \`${e.command}\` shows no output`);
    assert.equal(examples.filter((e) => e.kind === 'js').length, 1, 'one WebSocket snippet');
  });

  for (const example of examples) {
    if (example.kind === 'curl') {
      test(`README line ${example.line}: ${example.command}`, { skip: curlMissing }, async () => {
        assert.notEqual(example.expected, null, 'the README shows the output of this command');
        const script = [...example.setup, example.command].map(here).join('\n');
        const r = await bash(script);
        assert.equal(r.code, 0, `curl failed; stderr:\n${r.stderr}`);
        assert.match(r.stdout, expectation(example.expected), `the README says: # ${example.expected}`);
      });
    } else {
      test(`README line ${example.line}: the WebSocket snippet logs ${example.expected.join(', then ')}`, async () => {
        const logged = [];
        let wake = () => {};
        const console = { log: (x) => { logged.push(String(x)); wake(); } };
        // The snippet as it stands, with the ws package's WebSocket (Node 20 has no global one).
        const run = new Function('WebSocket', 'console', `${here(example.code)}\nreturn ws;`);
        snippetSocket = run(WebSocket, console);
        const until = Date.now() + 10_000;
        while (logged.length < example.expected.length) {
          await withTimeout(new Promise((r) => { wake = r; }), Math.max(1, until - Date.now()),
            () => `${example.expected.length} messages; logged so far: ${JSON.stringify(logged)}`);
        }
        assert.equal(logged.length, example.expected.length, `logged: ${JSON.stringify(logged)}`);
        example.expected.forEach((e, i) => assert.match(logged[i], expectation(e), `message ${i + 1}: the README says // ${e}`));
      });
    }
  }
});
