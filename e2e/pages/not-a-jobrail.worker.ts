// A worker script that forgets to call serveHandlers: the runner must say so.
self.addEventListener('message', () => {});
