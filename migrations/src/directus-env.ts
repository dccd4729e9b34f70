/**
 * The environment Directus itself sees (its .env file included), when the migration runs inside
 * Directus; the process environment otherwise.
 */
import { createRequire } from 'node:module';

export async function directusEnv(): Promise<Record<string, unknown>> {
	try {
		const anchor = process.argv[1];
		if (anchor) {
			const resolved = createRequire(anchor).resolve('@directus/env');
			const mod = (await import(resolved)) as { useEnv?: () => Record<string, unknown> };
			if (mod.useEnv) return mod.useEnv();
		}
	} catch {
		// Not inside a Directus process: fall through to the process environment.
	}
	return { ...process.env };
}
