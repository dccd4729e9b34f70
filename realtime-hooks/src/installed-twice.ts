/**
 * The bundle installed twice (a folder in extensions/ from the 0.1 instructions, and the npm
 * package): Directus loads both copies, each with its own module scope, so each would publish
 * every item change. The first copy Directus lists (extensions/ before node_modules) works; any
 * other stays quiet, and says where both copies are so one can be removed.
 */
import { realpathSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDirectusModule } from '@directus-realtime/shared';

export const BUNDLE_NAME = 'directus-extension-realtime-pusher';

type ExtensionManager = { extensions: Array<{ name?: string; path?: string }> };

const real = (path: string) => {
	try {
		return realpathSync(path);
	} catch {
		return path;
	}
};

const inside = (file: string, folder: string) => {
	const rel = relative(folder, file);
	return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
};

/** Folders of every loaded copy of the bundle, in Directus' order; empty when it cannot tell. */
export async function loadedCopies(): Promise<string[]> {
	const mod = await loadDirectusModule<{ getExtensionManager?: () => ExtensionManager }>('extensions/index');
	const extensions = mod?.getExtensionManager?.().extensions ?? [];
	return extensions.filter((e) => e.name === BUNDLE_NAME && typeof e.path === 'string').map((e) => real(e.path!));
}

/** Whether this copy is one of several, and not the one that works; the warning when so. */
export function secondCopy(copies: string[], ownFile = real(fileURLToPath(import.meta.url))): string | undefined {
	if (copies.length < 2) return undefined;
	const own = copies.find((folder) => inside(ownFile, folder));
	if (own === undefined || own === copies[0]) return undefined;
	return (
		`realtime: ${BUNDLE_NAME} is installed twice (${copies.join(' and ')}): the copy in ${copies[0]} publishes, ` +
		`the one in ${own} stays quiet. Remove one of them`
	);
}
