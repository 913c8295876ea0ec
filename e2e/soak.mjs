// npm run soak [-- --browser chromium|firefox|webkit] [other playwright test flags]
// The long chaos soak (SOAK_SECONDS, default 60) in one engine, or in all three without --browser.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const at = args.indexOf('--browser');
const projects = [];
if (at >= 0) {
  const engine = args[at + 1];
  if (!['chromium', 'firefox', 'webkit'].includes(engine ?? '')) {
    console.error(`--browser takes chromium, firefox or webkit, got ${String(engine)}`);
    process.exit(2);
  }
  projects.push(`--project=${engine}`);
  args.splice(at, 2);
}
const env = { ...process.env, SOAK_SECONDS: process.env.SOAK_SECONDS ?? '60' };
const run = spawnSync('npx', ['playwright', 'test', 'e2e/soak.spec.ts', ...projects, ...args], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
