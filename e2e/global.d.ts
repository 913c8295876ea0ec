import type { Harness } from './pages/harness.js';

declare global {
  interface Window {
    h: Harness;
  }
}
