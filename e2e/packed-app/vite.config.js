// Vite finds the page's imports when its dev server starts, but a worker's only once the
// worker is first requested: `jobrail/worker` would then be optimized late and the first
// visit reloaded ("optimized dependencies changed. reloading"). Listing it here avoids that.
// (No import of 'vite' here: this app does not install Vite, the test runs the repo's.)
export default {
  optimizeDeps: { include: ['jobrail/worker'] },
};
