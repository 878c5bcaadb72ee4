// The phone app's service worker (issue 18): caches the app shell so /app opens offline after
// the first load. Plain JS at a fixed address (/app/sw.js, scope /app/), not bundled by Vite.
// The shell's hashed assets are read from /app/ itself at install, so a new build is picked up
// by a new worker (the version below is the build's page; a changed page means a new cache).
const CACHE = 'pulsehub-app-v1';
const SHELL = ['/app/', '/app/manifest.webmanifest', '/app/icon-192.png', '/app/icon-512.png'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL);
    const html = await (await cache.match('/app/')).text();
    const assets = [...new Set([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]))];
    await cache.addAll(assets);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

// The page: network first (a new build shows at once), the cached shell when offline.
// Hashed assets: cache first (they never change under the same name). Everything else
// (the REST API, /mqtt) goes to the network untouched.
self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && url.pathname.startsWith('/app')) {
    event.respondWith((async () => {
      try {
        const res = await fetch(req);
        if (res.ok) await (await caches.open(CACHE)).put('/app/', res.clone());
        return res;
      } catch {
        return (await caches.match('/app/')) ?? Response.error();
      }
    })());
    return;
  }
  if (url.pathname.startsWith('/assets/') || SHELL.includes(url.pathname)) {
    event.respondWith((async () => {
      const hit = await caches.match(req);
      if (hit) return hit;
      const res = await fetch(req);
      if (res.ok) await (await caches.open(CACHE)).put(req, res.clone());
      return res;
    })());
  }
});
