/**
 * The README that npm shows. package.json has no `repository`, so npm cannot resolve the
 * README's relative image paths (docs/*.png) and would show broken images; the images are
 * not in the tarball either. `npm pack` / `npm publish` therefore ship a README whose images
 * are replaced by a line naming them: `prepack` runs `strip`, `postpack` runs `restore`.
 * The repository's README.md is kept as .readme.repo.md meanwhile (a leftover one, from a pack
 * that was killed, is restored first).
 *
 *   node scripts/npm-readme.mjs strip | restore
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const readme = join(root, 'README.md');
const kept = join(root, '.readme.repo.md');

/** Markdown images with a relative path (absolute http(s) URLs render on npm and stay). */
export const RELATIVE_IMAGE = /!\[([^\]]*)\]\((?!https?:\/\/)([^)\s]+)\)/g;

function restore() {
  if (existsSync(kept)) renameSync(kept, readme);
}

const action = process.argv[2];
if (action === 'restore') restore();
else if (action === 'strip') {
  restore();
  const text = readFileSync(readme, 'utf8');
  renameSync(readme, kept);
  writeFileSync(readme, text.replace(RELATIVE_IMAGE, (_, alt, path) => `*(Image in the source repository, \`${path}\`: ${alt})*`));
} else {
  console.error('usage: node scripts/npm-readme.mjs strip | restore');
  process.exit(2);
}
