// `npm run pack`: builds the bundle and writes the installable tarball (what `npm publish` would
// upload) into .pack/. The last line of the output is the tarball's absolute path, so
//   npm install "$(npm run pack --silent | tail -n 1)"
// installs it into a Directus project. `--no-build` packs what dist/ holds now.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './runtime.mjs';

export const PACK_DIR = join(ROOT, '.pack');

function npm(args, options = {}) {
	const result = spawnSync('npm', args, { cwd: ROOT, encoding: 'utf8', ...options });
	if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${result.stderr ?? ''}`);
	return result.stdout ?? '';
}

/** The files `npm pack` puts into the tarball, without writing it. */
export function packedFiles() {
	const [report] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts']));
	return report.files.map((f) => f.path).sort();
}

/** Writes the tarball into `destination` and returns its absolute path. */
export function pack({ build = true, destination = PACK_DIR } = {}) {
	if (build) npm(['run', 'build', '--silent'], { stdio: ['ignore', 'inherit', 'inherit'] });
	mkdirSync(destination, { recursive: true });
	const [report] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', destination]));
	return join(destination, report.filename);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	console.log(pack({ build: !process.argv.includes('--no-build') }));
}
