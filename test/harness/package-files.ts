/** What the published package must hold: the bundle, every module of the client helper (typed), and the documents. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** The client helper's modules, from its sources: each ships as `dist/client/<name>.js` with its `.d.ts`. */
export function clientModules(): string[] {
	return readdirSync(join(ROOT, 'client', 'src'))
		.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
		.map((f) => f.slice(0, -'.ts'.length));
}

/** The files `npm pack` must publish, sorted. */
export function publishedFiles(): string[] {
	const client = clientModules().flatMap((m) => [`dist/client/${m}.d.ts`, `dist/client/${m}.js`]);
	return ['CHANGELOG.md', 'LICENSE.md', 'README.md', 'dist/api.js', 'dist/app.js', ...client, 'package.json'].sort();
}
