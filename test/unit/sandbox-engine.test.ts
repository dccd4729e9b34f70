import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SandboxUnavailableError, loadIsolatedVm } from '../../shared/src/sandbox/index.js';

// The Directus host installed for the tests: a project directory with Directus in node_modules.
const DIRECTUS_PROJECT = join(process.env.RT_RUNTIME_DIR ?? fileURLToPath(new URL('../../.runtime', import.meta.url)), 'directus');
const ISOLATED_VM = [
	join(DIRECTUS_PROJECT, 'node_modules', 'isolated-vm'),
	join(DIRECTUS_PROJECT, 'node_modules', '@directus', 'api', 'node_modules', 'isolated-vm'),
].find(existsSync);

// A directory with nothing installed, standing in for a host without isolated-vm.
const EMPTY = mkdtempSync(join(tmpdir(), 'rt-sandbox-engine-'));
const EXTENSION_MODULE = pathToFileURL(join(EMPTY, 'dist', 'index.js')).href;
after(() => rmSync(EMPTY, { recursive: true, force: true }));

describe('loading isolated-vm', () => {
	it('loads the package RT_ISOLATED_VM_PATH points at', () => {
		const engine = loadIsolatedVm({ envPath: ISOLATED_VM, cwd: EMPTY, entry: undefined, self: EXTENSION_MODULE });
		assert.equal(typeof engine.Isolate, 'function');
	});

	it('loads the copy of the Directus installation it runs in, found from the working directory', () => {
		const engine = loadIsolatedVm({ envPath: undefined, cwd: DIRECTUS_PROJECT, entry: undefined, self: EXTENSION_MODULE });
		assert.equal(typeof engine.Isolate, 'function');
	});

	it('loads the copy of the Directus installation whose CLI started the process', () => {
		const cli = join(DIRECTUS_PROJECT, 'node_modules', '@directus', 'api', 'dist', 'cli', 'run.js');
		const engine = loadIsolatedVm({ envPath: undefined, cwd: EMPTY, entry: cli, self: EXTENSION_MODULE });
		assert.equal(typeof engine.Isolate, 'function');
	});

	it('fails at start-up with an error naming every place it tried', () => {
		assert.throws(
			() => loadIsolatedVm({ envPath: join(EMPTY, 'missing-isolated-vm'), cwd: EMPTY, entry: undefined, self: EXTENSION_MODULE }),
			(error: unknown) =>
				error instanceof SandboxUnavailableError &&
				error.code === 'SANDBOX_UNAVAILABLE' &&
				error.message.includes(`RT_ISOLATED_VM_PATH (${join(EMPTY, 'missing-isolated-vm')})`) &&
				error.message.includes(`@directus/api as seen from the Directus project in ${EMPTY}`) &&
				error.message.includes(`directus as seen from the Directus project in ${EMPTY}`) &&
				error.message.includes(`the extension's own dependencies (${join(EMPTY, 'dist')}/)`) &&
				error.message.includes('Cannot find module'),
		);
	});
});
