// The dashboard in a real browser: headless Chromium from Debian, driven by playwright-core. The page shows every
// node of the mesh and its supervision tree; an actor crashed through the test's own hook shows its new restart
// count. A screenshot goes to the test's temporary folder (and to DASHBOARD_SCREENSHOT when set, for the README).
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { MicroError } from '../../src/mesh/errors.ts';
import { defineService } from '../../src/mesh/service.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../support/browser.ts';
import { memoryMesh } from '../support/mesh.ts';

const orders = defineService({
  name: 'orders',
  endpoints: {
    'Orders.Create': (req: { item: string }) => ({ id: req.item.length }),
    'Orders.Get': () => {
      throw new MicroError('NOT_FOUND', 'no such order');
    },
    'Orders.Watch': { stream: async () => {} },
  },
});
const billing = defineService({ name: 'billing', endpoints: { 'Invoice.Send': (req: unknown) => req } });

type CrashMessage = 'crash' | 'work';

test('dashboard — a browser sees the nodes and their trees, and a crashed actor’s restart count go up', { timeout: 60_000 }, async (t) => {
  const executablePath = chromiumPath();
  if (executablePath === undefined) return t.skip('no Chromium');
  const dir = mkdtempSync(join(tmpdir(), 'micromesh-dashboard-'));
  const mesh = memoryMesh();
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  let passed = false;
  try {
    const front = await mesh.node('front', { ops: { address: '127.0.0.1:0' } });
    const worker = await mesh.node('worker', { ops: {} });
    await worker.serve(orders, { instances: 2 });
    await front.serve(billing);
    // The test hook: an actor of the worker node that fails on 'crash'; its supervisor restarts it.
    const crashy = worker.system.spawn<CrashMessage>(
      (m) => {
        if (m === 'crash') throw new Error('crashed by the test');
      },
      { name: 'crashy' },
    );
    for (let i = 0; i < 20; i++) await front.client.call('orders', 'Orders.Create', { item: `i${i}` });
    await assert.rejects(front.client.call('orders', 'Orders.Get', {}));

    const page = await browser.newPage({ viewport: { width: 1180, height: 700 } });
    await page.goto(`http://${front.ops.address}/`);
    const restarts = page.locator('[data-node="worker"] [data-path="/user/crashy"] .restarts');
    await restarts.waitFor({ timeout: 15_000 });
    assert.equal(await restarts.getAttribute('data-value'), '0');
    assert.equal(await page.locator('[data-node="front"] [data-path="/system/node/ops"]').count(), 1, 'the front node and its tree');
    assert.equal(await page.locator('[data-node="worker"] [data-path="/user/services/orders/instance-2"]').count(), 1, 'service instances in the tree');
    assert.match((await page.locator('[data-node="worker"] [data-endpoint="orders/Orders.Create"]').textContent()) ?? '', /20 calls/);
    assert.equal(await page.locator('[data-node="worker"] [data-endpoint="orders/Orders.Watch"]').count(), 1, 'stream endpoints are listed');

    crashy.tell('crash');
    await page.waitForSelector('[data-node="worker"] [data-path="/user/crashy"] .restarts[data-value="1"]', { timeout: 15_000 });
    assert.match((await restarts.textContent()) ?? '', /restarts 1/);
    for (let i = 0; i < 30; i++) await front.client.call('orders', 'Orders.Create', { item: 'more' });
    const rate = page.locator('[data-node="worker"] [data-endpoint="orders/Orders.Create"] td.num').first();
    await rate.filter({ hasText: /^[1-9][0-9]*\.[0-9]\/s$/ }).waitFor({ timeout: 15_000 });

    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot });
    assert.ok(statSync(shot).size > 10_000, 'a screenshot with something in it');
    if (process.env.DASHBOARD_SCREENSHOT) copyFileSync(shot, process.env.DASHBOARD_SCREENSHOT);
    passed = true;
  } finally {
    if (passed) rmSync(dir, { recursive: true, force: true });
    else {
      await browser.contexts()[0]?.pages()[0]?.screenshot({ path: join(dir, 'failure.png') }).catch(() => {});
      console.log(`# the dashboard as the failed test left it: ${join(dir, 'failure.png')}`);
    }
    await browser.close();
    await mesh.close();
  }
});
