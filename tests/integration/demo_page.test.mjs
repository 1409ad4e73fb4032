// The demo page (SPEC §9: GET / serves a small page that uses the JavaScript client), in
// headless Chromium against the real binary: the host serves the page at / and the client
// module at /client/actorhost-client.mjs; two tabs on one room (#room-<random>) connect, each
// sees what the other says, live, with the room's message count; a reloaded tab gets the
// history back. Message text is shown as text, never as markup.
//
// Chromium is Debian's `chromium` package (scripts/setup installs it for tests), driven by
// playwright-core (a devDependency: `npm ci` in tests/integration). Without /usr/bin/chromium
// these tests are skipped, and say why.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import { startHost, withTimeout } from './lib/host.mjs';

const CHROMIUM = '/usr/bin/chromium';
const WAIT_MS = 15_000;
const CLIENT_SOURCE = new URL('../../clients/js/actorhost-client.mjs', import.meta.url);

const skip = existsSync(CHROMIUM) ? false
  : `${CHROMIUM} not found: install Debian's chromium package (scripts/setup test) to run the browser tests`;

let host;
let browser;
let context;
const pageErrors = [];

before(async () => {
  if (skip) return;
  const { chromium } = await import('playwright-core').catch((err) => {
    throw new Error(`the playwright-core package is missing: run \`npm ci\` in tests/integration (${err.message})`);
  });
  host = await startHost();
  // As root Chromium only starts without its sandbox; playwright-core then passes --no-sandbox.
  browser = await withTimeout(chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false }),
    WAIT_MS, 'Chromium to start');
  context = await browser.newContext();
  context.setDefaultTimeout(WAIT_MS);
});

after(async () => {
  await browser?.close();
  await host?.stop();
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** A new tab on the demo page for `room`; its uncaught errors are collected. */
async function openTab(room) {
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${room}: ${err.message}`));
  const res = await page.goto(`${host.url}/#${encodeURIComponent(room)}`);
  assert.equal(res.status(), 200);
  return page;
}

/** Waits until the page's #status says exactly "connected". */
async function connected(page) {
  await page.waitForFunction(() => document.getElementById('status')?.textContent.trim() === 'connected');
}

/** Types `text` as `name` and submits the form. */
async function say(page, name, text) {
  await page.fill('#name', name);
  await page.fill('#text', text);
  await page.click('#say button[type="submit"]');
}

/** The text of every <li> in #messages. */
function messages(page) {
  return page.$$eval('#messages li', (items) => items.map((li) => li.textContent));
}

/** Waits until #messages has a message from `name` saying `text` (its <li> ends with "name: text"). */
async function waitForMessage(page, name, text) {
  await page.waitForFunction((line) => [...document.querySelectorAll('#messages li')].some((li) => li.textContent.endsWith(line)),
    `${name}: ${text}`);
}

/** Waits until #count shows `n`. */
async function waitForCount(page, n) {
  await page.waitForFunction((want) => document.getElementById('count')?.textContent.trim() === want, String(n));
}

// ---------------------------------------------------------------------------------------------

describe('demo page', { skip }, () => {
  test('GET / is the page; GET /client/actorhost-client.mjs is the client module, as in the tree', async () => {
    const page = await fetch(`${host.url}/`, { signal: AbortSignal.timeout(WAIT_MS) });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    assert.match(await page.text(), /\/client\/actorhost-client\.mjs/);

    const module = await fetch(`${host.url}/client/actorhost-client.mjs`, { signal: AbortSignal.timeout(WAIT_MS) });
    assert.equal(module.status, 200);
    assert.match(module.headers.get('content-type'), /^(text|application)\/javascript/);
    assert.equal(await module.text(), await readFile(CLIENT_SOURCE, 'utf8'), 'the embedded client differs from clients/js');
  });

  test('two tabs on one room chat live; a reloaded tab gets the history back', async () => {
    const room = `room-${Math.random().toString(36).slice(2, 10)}`;
    const a = await openTab(room);
    const b = await openTab(room);
    await Promise.all([connected(a), connected(b)]);
    assert.equal(await a.textContent('#room'), room);
    assert.deepEqual(await messages(a), [], 'a new room has no messages');

    await say(a, 'alice', 'hello from A');
    await Promise.all([waitForMessage(a, 'alice', 'hello from A'), waitForMessage(b, 'alice', 'hello from A')]);
    await Promise.all([waitForCount(a, 1), waitForCount(b, 1)]);
    assert.equal(await a.inputValue('#text'), '', 'the text field is cleared after sending');

    // Text that looks like markup is shown as text.
    const markup = 'hi from B <b>bold?</b> <img src=x onerror="window.injected=1"> ✓';
    await say(b, 'bob', markup);
    await Promise.all([waitForMessage(a, 'bob', markup), waitForMessage(b, 'bob', markup)]);
    await Promise.all([waitForCount(a, 2), waitForCount(b, 2)]);
    assert.equal(await a.$$eval('#messages li b, #messages li img', (els) => els.length), 0);
    assert.equal(await a.evaluate(() => window.injected), undefined);

    await b.reload();
    await connected(b);
    await waitForMessage(b, 'bob', markup);
    const history = await messages(b);
    assert.equal(history.length, 2);
    assert.ok(history[0].endsWith('alice: hello from A'), history[0]);
    assert.ok(history[1].endsWith(`bob: ${markup}`), history[1]);
    await waitForCount(b, 2);

    // The reloaded tab still talks to the other one.
    await say(b, 'bob', 'back again');
    await Promise.all([waitForMessage(a, 'bob', 'back again'), waitForMessage(b, 'bob', 'back again')]);
    await waitForCount(a, 3);

    await Promise.all([a.close(), b.close()]);
  });

  test('rooms are separate, and the room name may hold any characters', async () => {
    const room = `café ✓ (${Math.random().toString(36).slice(2, 8)})`;
    const other = await openTab(room);
    const elsewhere = await openTab(`${room}-elsewhere`);
    await Promise.all([connected(other), connected(elsewhere)]);
    assert.equal(await other.textContent('#room'), room);
    await say(other, 'zoë', 'only here');
    await waitForMessage(other, 'zoë', 'only here');
    await say(elsewhere, 'yann', 'only there');
    await waitForMessage(elsewhere, 'yann', 'only there');
    assert.equal((await messages(other)).length, 1);
    assert.equal((await messages(elsewhere)).length, 1);
    await Promise.all([other.close(), elsewhere.close()]);
  });

  test('no page raised an uncaught error', () => {
    assert.deepEqual(pageErrors, []);
  });
});
