import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const RUNTIME_DIR = process.env.RT_RUNTIME_DIR ?? join(ROOT, '.runtime');
export const DIRECTUS_DIR = join(RUNTIME_DIR, 'directus');
/** Directus' CLI without the npm update check (it would reach out to the registry on every start). */
export const DIRECTUS_CLI = join(DIRECTUS_DIR, 'node_modules', '@directus', 'api', 'dist', 'cli', 'run.js');

/** The Node that runs Directus (>= 22); the test runner itself runs on it. */
export const DIRECTUS_NODE = process.execPath;

/**
 * The Node that runs Soketi: its native uWebSockets build loads on Node 20 only, so the
 * machine's own Node is preferred when the test launcher says which it is.
 */
export const SOKETI_NODE = process.env.RT_HOST_NODE && existsSync(process.env.RT_HOST_NODE) ? process.env.RT_HOST_NODE : process.execPath;
