// Copies the built extensions and migrations into a Directus project's extensions folder,
// the way a user installs them:
//   <extensions>/realtime-hooks/{package.json,dist/}
//   <extensions>/realtime-endpoints/{package.json,dist/}
//   <extensions>/migrations/*.mjs   (Directus' default MIGRATIONS_PATH)
// usage: node scripts/install-extensions.mjs <directus-project>/extensions [migrations-dir]
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const EXTENSIONS = ['realtime-hooks', 'realtime-endpoints'];

export function installExtensions(extensionsDir, migrationsDir = join(extensionsDir, 'migrations')) {
	for (const name of EXTENSIONS) {
		const from = join(ROOT, name);
		if (!existsSync(join(from, 'dist', 'index.js'))) throw new Error(`${name} is not built: run \`npm run build\` first`);
		const to = join(extensionsDir, name);
		rmSync(to, { recursive: true, force: true });
		mkdirSync(to, { recursive: true });
		cpSync(join(from, 'package.json'), join(to, 'package.json'));
		cpSync(join(from, 'dist'), join(to, 'dist'), { recursive: true });
	}
	const builtMigrations = join(ROOT, 'migrations', 'dist');
	if (!existsSync(builtMigrations)) throw new Error('migrations are not built: run `npm run build` first');
	mkdirSync(migrationsDir, { recursive: true });
	for (const file of readdirSync(builtMigrations).filter((f) => f.endsWith('.mjs'))) {
		cpSync(join(builtMigrations, file), join(migrationsDir, file));
	}
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const target = process.argv[2];
	if (!target) {
		console.error('usage: node scripts/install-extensions.mjs <directus-project>/extensions [migrations-dir]');
		process.exit(2);
	}
	installExtensions(resolve(target), process.argv[3] ? resolve(process.argv[3]) : undefined);
	console.log(`installed ${EXTENSIONS.join(', ')} and migrations into ${resolve(target)}`);
}
