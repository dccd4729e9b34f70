/**
 * Finds isolated-vm, the engine scripts run in. It is a native addon that must be built for the
 * Node running Directus, so the copy Directus itself ships (a dependency of @directus/api, used by
 * its Run Script operation) is preferred over the extension's own; the first that loads wins.
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as IsolatedVm from 'isolated-vm';
import { SandboxUnavailableError } from './script-errors.js';

export type IsolatedVmModule = typeof IsolatedVm;

/** Where to look. Defaults to this process; tests pass their own. */
export interface EngineLocations {
	/** `RT_ISOLATED_VM_PATH`: the isolated-vm package directory, tried first. */
	envPath: string | undefined;
	/** The Directus project directory (Directus runs with it as working directory). */
	cwd: string;
	/** The script Node started, i.e. Directus' CLI inside the Directus installation. */
	entry: string | undefined;
	/** URL of a module of this extension, for its own dependencies. */
	self: string;
}

interface Attempt {
	place: string;
	load: () => unknown;
}

let loaded: IsolatedVmModule | undefined;

export function defaultEngineLocations(): EngineLocations {
	return { envPath: process.env.RT_ISOLATED_VM_PATH || undefined, cwd: process.cwd(), entry: process.argv[1], self: import.meta.url };
}

/**
 * Loads isolated-vm, trying in order: `RT_ISOLATED_VM_PATH`; the Directus installation (from the
 * working directory and from the running CLI, through @directus/api's own folder since npm may
 * nest isolated-vm under it); the extension's own dependencies. Throws a SandboxUnavailableError
 * naming every place tried and why each failed. The default lookup is done once per process.
 */
export function loadIsolatedVm(locations?: EngineLocations): IsolatedVmModule {
	if (locations === undefined && loaded !== undefined) return loaded;
	const failures: string[] = [];
	for (const attempt of attempts(locations ?? defaultEngineLocations())) {
		try {
			const engine = attempt.load() as IsolatedVmModule;
			if (typeof engine?.Isolate !== 'function') throw new Error('the module loaded but has no Isolate class');
			if (locations === undefined) loaded = engine;
			return engine;
		} catch (error) {
			failures.push(`${attempt.place}: ${firstLine(error)}`);
		}
	}
	throw new SandboxUnavailableError(
		'Scripts cannot run: isolated-vm could not be loaded. Tried:\n' +
			failures.map((failure) => `  - ${failure}`).join('\n') +
			'\nDirectus 11 and 12 ship isolated-vm with @directus/api (built for Node 22 on install); make sure the Directus ' +
			'installation is complete and runs on the Node it was installed with, or set RT_ISOLATED_VM_PATH to an ' +
			'isolated-vm package directory.',
	);
}

function attempts(from: EngineLocations): Attempt[] {
	const list: Attempt[] = [];
	if (from.envPath !== undefined) {
		const path = resolve(from.cwd, from.envPath);
		list.push({ place: `RT_ISOLATED_VM_PATH (${path})`, load: () => createRequire(from.self)(path) });
	}
	const anchors = [resolve(from.cwd, 'package.json')];
	if (from.entry !== undefined) anchors.push(resolve(from.cwd, from.entry));
	for (const anchor of anchors) {
		const where = anchor.endsWith('package.json') ? `the Directus project in ${dirname(anchor)}` : `the running script ${anchor}`;
		const host = createRequire(anchor);
		list.push(
			{ place: `@directus/api as seen from ${where}`, load: () => fromPackage(host.resolve('@directus/api/package.json')) },
			{
				place: `directus as seen from ${where}`,
				load: () => fromPackage(createRequire(host.resolve('directus/package.json')).resolve('@directus/api/package.json')),
			},
			{ place: where, load: () => host('isolated-vm') },
		);
	}
	const own = fileURLToPath(new URL('.', from.self));
	list.push({ place: `the extension's own dependencies (${own})`, load: () => createRequire(from.self)('isolated-vm') });
	return list;
}

/** isolated-vm as the package owning `packageJson` would import it (nested or hoisted). */
function fromPackage(packageJson: string): unknown {
	return createRequire(packageJson)('isolated-vm');
}

function firstLine(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	return text.split('\n', 1)[0] ?? text;
}
