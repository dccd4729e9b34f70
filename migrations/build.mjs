// Bundles each migration into one self-contained .mjs file for Directus' MIGRATIONS_PATH.
// .mjs because Directus imports them with import() from a folder that has no package.json.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const entries = readdirSync('src').filter((f) => /^rtpusher\d{3}-.+\.ts$/.test(f));
await build({
	entryPoints: entries.map((f) => `src/${f}`),
	outdir: 'dist',
	outExtension: { '.js': '.mjs' },
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node22',
	external: ['knex'],
	logLevel: 'warning',
});
console.log(`built ${entries.length} migration(s) into migrations/dist`);
