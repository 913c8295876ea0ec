import { test, expect } from './test.js';

for (const variant of ['one-blob', 'two-blobs', 'blob-then-put', 'get-blob-put']) {
test('probe raw blob idb ' + variant, async ({ page }) => {
  await page.goto('/e2e/pages/blank.html');
  await page.evaluate((variant) => {
    const w = window as unknown as { steps: string[] };
    w.steps = [];
    const log = (s: string) => w.steps.push(`${Math.round(performance.now())} ${s}`);
    void (async () => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('probe' + Math.random(), 1);
        r.onupgradeneeded = () => { r.result.createObjectStore('s'); r.result.createObjectStore('t'); r.result.createObjectStore('m'); };
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      log('open');
      const tx = db.transaction(['s', 't', 'm'], 'readwrite');
      const req = (r: IDBRequest, n: string) => { r.onsuccess = () => log(n + ' ok'); r.onerror = () => log(n + ' err ' + String(r.error)); };
      if (variant === 'get-blob-put') req(tx.objectStore('m').get('seq'), 'get');
      req(tx.objectStore('s').put({ b: new Blob(['x']) }, 'k'), 'put1');
      if (variant === 'two-blobs') req(tx.objectStore('t').put({ b: new Blob(['y']) }, 'k'), 'put2');
      if (variant === 'blob-then-put' || variant === 'get-blob-put') req(tx.objectStore('m').put(5, 'seq'), 'put3');
      await new Promise<void>((r) => { tx.onabort = () => { log('abort ' + String(tx.error)); r(); }; tx.oncomplete = () => { log('complete'); r(); }; });
      for (let i = 0; i < 3; i++) {
        const t2 = db.transaction(['s', 't', 'm'], 'readwrite');
        req(t2.objectStore('m').get('seq'), 'again get ' + i);
        req(t2.objectStore('s').put({ plain: 1 }, 'k'), 'again put ' + i);
        await new Promise<void>((r) => { t2.onabort = () => { log('t2 abort'); r(); }; t2.oncomplete = () => { log('t2 complete'); r(); }; setTimeout(r, 2000); });
      }
      log('end');
    })().catch((e) => log('error ' + String(e)));
  }, variant);
  await expect.poll(() => page.evaluate(() => (window as unknown as { steps: string[] }).steps.join('\n')), { timeout: 8000 }).toContain('end');
  const steps = await page.evaluate(() => (window as unknown as { steps: string[] }).steps.join('\n'));
  console.log(variant + '\n' + steps);
  expect(steps).toContain('t2 complete');
});
}
