import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain ESM script shared with npm test
import { selectedDirectus } from '../../scripts/runtime.mjs';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const RUNTIME_DIR = process.env.RT_RUNTIME_DIR ?? join(ROOT, '.runtime');

/** The Directus host of this run: 12 by default, 11 with DIRECTUS=11 (scripts/runtime.mjs). */
export const DIRECTUS_HOST: { major: number; version: string; folder: string } = selectedDirectus();
export const DIRECTUS_DIR = join(RUNTIME_DIR, DIRECTUS_HOST.folder);
/** Directus' CLI without the npm update check (it would reach out to the registry on every start). */
export const DIRECTUS_CLI = join(DIRECTUS_DIR, 'node_modules', '@directus', 'api', 'dist', 'cli', 'run.js');

/** The Node that runs Directus (>= 22); the test runner itself runs on it. */
export const DIRECTUS_NODE = process.execPath;

/**
 * The Node that runs Soketi: its uWebSockets build loads on Node 20 only (scripts/runtime.mjs
 * provides one; `npm test` passes it as RT_SOKETI_NODE).
 */
const candidates = [process.env.RT_SOKETI_NODE, process.env.RT_HOST_NODE].filter((p): p is string => Boolean(p) && existsSync(p!));
export const SOKETI_NODE = candidates[0] ?? process.execPath;
