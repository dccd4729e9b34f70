/**
 * The script sandbox as unit tests use it: isolated-vm from the Directus host installed for the
 * tests (the sandbox's own loader finds it through RT_ISOLATED_VM_PATH), and sandboxes disposed
 * when the test file ends.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { ScriptSandbox } from '../../shared/src/sandbox/index.js';
import { DIRECTUS_DIR } from './paths.js';

const hostModules = join(DIRECTUS_DIR, 'node_modules');

/** The Directus host's copy of isolated-vm: its own, or the one under @directus/api. */
export const HOST_ISOLATED_VM: string | undefined = [join(hostModules, 'isolated-vm'), join(hostModules, '@directus', 'api', 'node_modules', 'isolated-vm')].find(existsSync);

/** Points the sandbox's loader at the Directus host's isolated-vm, unless RT_ISOLATED_VM_PATH says otherwise. */
export function useHostIsolatedVm(): void {
	process.env.RT_ISOLATED_VM_PATH ??= HOST_ISOLATED_VM;
}

export type SandboxOptions = ConstructorParameters<typeof ScriptSandbox>[0];

/** A sandbox on the host's isolated-vm, disposed after the test file. Call it at the top level of the file. */
export function testSandbox(options: SandboxOptions): ScriptSandbox {
	useHostIsolatedVm();
	const sandbox = new ScriptSandbox(options);
	after(() => sandbox.dispose());
	return sandbox;
}
