/**
 * The edge of permission mode: Directus' own answers to "may this caller read ...", with the
 * caller's current accountability. `item` is the check Directus' services run for a read of
 * given keys and fields (`validateAccess`: the item read through the caller's permissions, item
 * rules and field rules included); `rules` are the caller's processed read permissions of a
 * collection (`fetchPolicies` + `fetchPermissions`, the ones Directus' reads use, cached by
 * Directus and cleared by it on every change of roles, policies and permissions).
 */
import type { Knex } from 'knex';
import { loadDirectusModule, loadValidateAccess } from '../host.js';
import type { Accountability } from './caller.js';
import type { ReadRule } from './permission-decision.js';

export interface ReadAccess {
	/** Whether the caller may read item `key` of `collection` with every one of `fields`. */
	item(collection: string, key: string, fields: readonly string[]): Promise<boolean>;
	/** The caller's read permissions of `collection`. */
	rules(collection: string): Promise<ReadRule[]>;
}

type FetchPolicies = (accountability: unknown, context: { knex: Knex; schema: unknown }) => Promise<string[]>;
type FetchPermissions = (
	options: { action: string; policies: string[]; collections: string[]; accountability: unknown },
	context: { knex: Knex; schema: unknown },
) => Promise<Array<Record<string, unknown>>>;

let loadedPermissionModules: Promise<{ fetchPolicies?: FetchPolicies; fetchPermissions?: FetchPermissions }> | undefined;

function permissionModules() {
	loadedPermissionModules ??= Promise.all([
		loadDirectusModule<{ fetchPolicies?: FetchPolicies }>('permissions/lib/fetch-policies'),
		loadDirectusModule<{ fetchPermissions?: FetchPermissions }>('permissions/lib/fetch-permissions'),
	]).then(([policies, permissions]) => ({ fetchPolicies: policies?.fetchPolicies, fetchPermissions: permissions?.fetchPermissions }));
	return loadedPermissionModules;
}

function asList(value: unknown): string[] | null {
	if (Array.isArray(value)) return value.map(String);
	if (typeof value === 'string') {
		try {
			const parsed = JSON.parse(value);
			if (Array.isArray(parsed)) return parsed.map(String);
		} catch {
			return value.split(',').map((f) => f.trim());
		}
	}
	return null;
}

function asObject(value: unknown): Record<string, unknown> | null {
	if (typeof value === 'string') {
		try {
			return asObject(JSON.parse(value));
		} catch {
			return null;
		}
	}
	return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function directusReadAccess(accountability: Accountability, schema: unknown, knex: Knex): ReadAccess {
	return {
		async item(collection, key, fields) {
			const check = await loadValidateAccess();
			if (!check) throw new Error('this Directus version does not offer its access check to extensions');
			try {
				await check({ accountability, action: 'read', collection, primaryKeys: [key], ...(fields.length > 0 ? { fields: [...fields] } : {}) } as never, { schema, knex });
				return true;
			} catch (error) {
				if ((error as { code?: string }).code === 'FORBIDDEN') return false;
				throw error;
			}
		},
		async rules(collection) {
			if (accountability.admin === true) return [{ policy: null, fields: ['*'], permissions: null }];
			const { fetchPolicies, fetchPermissions } = await permissionModules();
			if (!fetchPolicies || !fetchPermissions) throw new Error('this Directus version does not offer its permission modules to extensions');
			const context = { knex, schema };
			const policies = await fetchPolicies(accountability, context);
			const rows = await fetchPermissions({ action: 'read', policies, collections: [collection], accountability }, context);
			return rows.map((row) => ({ policy: typeof row.policy === 'string' ? row.policy : null, fields: asList(row.fields), permissions: asObject(row.permissions) }));
		},
	};
}
