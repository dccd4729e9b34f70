// Installs the built bundle into a Directus project's extensions folder as a local extension
// (what `npm install` puts into node_modules, in a folder Directus scans without npm):
//   <extensions>/directus-extension-realtime-pusher/{package.json, dist/api.js, dist/app.js, dist/client/}
// The realtime_channels table is created by the bundle on its first start; the migration file
// is copied only when a migrations folder is named (for `directus database migrate:latest`).
// usage: node scripts/install-extensions.mjs <directus-project>/extensions [migrations-dir]
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
export const BUNDLE = PACKAGE.name;

/** The files npm would publish (package.json's `files`), relative to the repository root. */
export function bundleFiles() {
	return ['package.json', ...PACKAGE.files];
}

export function installExtensions(extensionsDir, migrationsDir) {
	const to = join(extensionsDir, BUNDLE);
	rmSync(to, { recursive: true, force: true });
	for (const file of bundleFiles()) {
		const from = join(ROOT, file);
		if (!existsSync(from)) throw new Error(`${file} is missing: run \`npm run build\` first`);
		mkdirSync(dirname(join(to, file)), { recursive: true });
		cpSync(from, join(to, file), { recursive: true });
	}
	if (migrationsDir) installMigrations(migrationsDir);
}

export function installMigrations(migrationsDir) {
	const built = join(ROOT, 'migrations', 'dist');
	if (!existsSync(built)) throw new Error('the migration is not built: run `npm run build` first');
	mkdirSync(migrationsDir, { recursive: true });
	for (const file of readdirSync(built).filter((f) => f.endsWith('.mjs'))) cpSync(join(built, file), join(migrationsDir, file));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const target = process.argv[2];
	if (!target) {
		console.error('usage: node scripts/install-extensions.mjs <directus-project>/extensions [migrations-dir]');
		process.exit(2);
	}
	installExtensions(resolve(target), process.argv[3] ? resolve(process.argv[3]) : undefined);
	console.log(`installed ${BUNDLE} into ${resolve(target)}${process.argv[3] ? ` and its migration into ${resolve(process.argv[3])}` : ''}`);
}
